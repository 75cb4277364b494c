//! Contract scenarios for the Groups API 2.0: dbx-groups against the emulator.
//!
//! Every endpoint's exact request and response JSON is pinned by a snapshot; its legacy error
//! codes are asserted; Groups 2.0 and SCIM are checked to be one model (a group made in one is
//! the same group in the other, with the same members).

use dbx_contract_tests::{portable, snapshot, Harness};
use dbx_core::{Error, Request};
use dbx_groups::{GroupsApi, Member, Principal};
use dbx_scim::{Group, MemberName, PatchRequest, ResourceKind, ScimApi, User, UserId};
use serde_json::{json, Value};

fn code(e: &Error) -> (u16, &str) {
    (
        e.status().map(|s| s.as_u16()).unwrap_or(0),
        e.error_code().unwrap_or(""),
    )
}

/// A user made through SCIM (Groups 2.0 cannot make users), deleted when the scenario ends.
async fn new_user(h: &Harness, base: &str) -> (String, UserId) {
    let scim = ScimApi::new(h.admin.clone());
    let name = format!("{}@example.com", h.name(base));
    let id = scim
        .users()
        .create(&User::new(&name))
        .await
        .unwrap_or_else(|e| panic!("create user {name}: {e}"))
        .id
        .expect("id");
    let cleanup = scim.clone();
    let uid = id.clone();
    h.defer(format!("delete user {name}"), async move {
        cleanup.users().delete(&uid).await
    });
    (name, id)
}

/// Delete the group `name` (through Groups 2.0) when the scenario ends.
fn cleanup_group(h: &Harness, name: &str) {
    let api = GroupsApi::new(h.admin.clone());
    let name = name.to_owned();
    h.defer(format!("delete group {name}"), async move {
        api.delete(&name).await
    });
}

portable!(
    group_endpoints,
    group_errors,
    original_create_group_url,
    groups_and_scim_are_one_model,
);

async fn group_endpoints(h: &Harness) {
    let api = GroupsApi::new(h.admin.clone());
    let (user, _) = new_user(h, "gail").await;
    let (team, parent) = (h.name("team"), h.name("parent"));
    cleanup_group(h, &team);
    cleanup_group(h, &parent);
    h.clear_exchanges();

    assert_eq!(api.create(&team).await.expect("create"), team);
    snapshot!(h, "create");
    api.create(&parent).await.expect("create parent");
    h.clear_exchanges();

    api.add_member(&team, &Principal::user(&user))
        .await
        .expect("add user");
    api.add_member(&parent, &Principal::group(&team))
        .await
        .expect("add group");
    snapshot!(h, "add_member");

    let all = api.list().await.expect("list");
    for g in ["admins", "users", team.as_str(), parent.as_str()] {
        assert!(all.iter().any(|n| n == g), "{g} in {all:?}");
    }
    snapshot!(h, "list");

    assert_eq!(
        api.list_members(&team).await.expect("members"),
        [Member::Known(Principal::user(&user))]
    );
    assert_eq!(
        api.list_members(&parent).await.expect("members"),
        [Member::Known(Principal::group(&team))]
    );
    snapshot!(h, "list_members");

    // Direct parents only: the user's parents do not include the parent's parent.
    let user_parents = api
        .list_parents(&Principal::user(&user))
        .await
        .expect("parents");
    assert!(user_parents.contains(&team), "{user_parents:?}");
    assert!(!user_parents.contains(&parent), "{user_parents:?}");
    assert_eq!(
        api.list_parents(&Principal::group(&team))
            .await
            .expect("parents"),
        std::slice::from_ref(&parent)
    );
    assert!(api
        .list_parents(&Principal::group(&parent))
        .await
        .expect("parents")
        .is_empty());
    snapshot!(h, "list_parents");

    api.remove_member(&team, &Principal::user(&user))
        .await
        .expect("remove");
    assert!(api.list_members(&team).await.expect("members").is_empty());
    snapshot!(h, "remove_member");

    api.delete(&team).await.expect("delete");
    let gone = api.list_members(&team).await.expect_err("deleted");
    assert_eq!(code(&gone), (404, "RESOURCE_DOES_NOT_EXIST"));
    // A deleted group is no longer anyone's member.
    assert!(api.list_members(&parent).await.expect("members").is_empty());
    assert!(!api.exists(&team).await.expect("exists"));
    snapshot!(h, "delete");
}

async fn group_errors(h: &Harness) {
    let api = GroupsApi::new(h.admin.clone());
    let (user, _) = new_user(h, "gus").await;
    let (team, ghost) = (h.name("errs"), h.name("ghost"));
    let ghost_user = format!("{ghost}@example.com");
    cleanup_group(h, &team);
    api.create(&team).await.expect("create");
    h.clear_exchanges();

    let dup = api.create(&team).await.expect_err("taken");
    assert_eq!(code(&dup), (400, "RESOURCE_ALREADY_EXISTS"));
    assert!(dup.is_already_exists());

    let missing = [
        api.add_member(&ghost, &Principal::user(&user)).await,
        api.add_member(&team, &Principal::user(&ghost_user)).await,
        api.add_member(&team, &Principal::group(&ghost)).await,
        api.remove_member(&ghost, &Principal::user(&user)).await,
        api.list_members(&ghost).await.map(drop),
        api.list_parents(&Principal::user(&ghost_user))
            .await
            .map(drop),
        api.list_parents(&Principal::group(&ghost)).await.map(drop),
        api.delete(&ghost).await,
    ];
    for e in missing {
        let e = e.expect_err("missing");
        assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"), "{e:?}");
        assert!(e.is_not_found());
    }
    snapshot!(h, "errors_missing");

    // Shapes the typed client cannot send: no group name, and no member at all.
    for body in [json!({}), json!({"parent_name": team})] {
        let path = if body.get("parent_name").is_some() {
            "/api/2.0/groups/add-member"
        } else {
            "/api/2.0/groups/create"
        };
        let req = Request::post(path).json(&body).expect("body");
        let e = h
            .admin
            .call::<Value>(req)
            .await
            .expect_err("invalid request");
        assert_eq!(code(&e).0, 400, "{path}: {e:?}");
        assert!(e.is_invalid_parameter(), "{path}: {e:?}");
    }
    snapshot!(h, "errors_invalid");
}

async fn original_create_group_url(h: &Harness) {
    // databricksapi 1.1.8 `Groups.createGroup` posts here instead of `groups/create`.
    let name = h.name("legacy-url");
    cleanup_group(h, &name);
    let req = Request::post("/api/2.0/groups/group")
        .json(&json!({"group_name": name}))
        .expect("body");
    let e = h
        .admin
        .call::<Value>(req)
        .await
        .expect_err("unknown endpoint");
    assert_eq!(code(&e), (404, "ENDPOINT_NOT_FOUND"));
    assert!(
        !e.is_not_found(),
        "an unknown endpoint is not a missing resource"
    );
    let api = GroupsApi::new(h.admin.clone());
    assert!(
        !api.exists(&name).await.expect("list"),
        "nothing was created"
    );
    snapshot!(h, "original_create_group_url");
}

async fn groups_and_scim_are_one_model(h: &Harness) {
    let api = GroupsApi::new(h.admin.clone());
    let scim = ScimApi::new(h.admin.clone());
    let (user, uid) = new_user(h, "uma").await;
    let (outer, inner) = (h.name("outer"), h.name("inner"));
    cleanup_group(h, &outer);
    cleanup_group(h, &inner);

    // Made in Groups 2.0, seen in SCIM by displayName.
    api.create(&outer).await.expect("create");
    let outer_scim = scim
        .find_group(&outer)
        .await
        .expect("find")
        .expect("same group");
    let outer_id = outer_scim.id.clone().expect("id");

    // Made in SCIM with a member, seen in Groups 2.0.
    let inner_id = scim
        .groups()
        .create(&Group::new(&inner).member_id(uid.as_str()))
        .await
        .expect("scim create")
        .id
        .expect("id");
    assert_eq!(
        api.list_members(&inner).await.expect("members"),
        [Member::Known(Principal::user(&user))]
    );

    // Nested through Groups 2.0, seen in SCIM with a Groups `$ref`.
    api.add_member(&outer, &Principal::group(&inner))
        .await
        .expect("nest");
    let outer_scim = scim.groups().get(&outer_id).await.expect("get");
    assert_eq!(outer_scim.members.len(), 1);
    assert_eq!(
        outer_scim.members[0].value.as_deref(),
        Some(inner_id.as_str())
    );
    assert_eq!(outer_scim.members[0].ref_kind(), Some(ResourceKind::Group));

    // A SCIM PATCH adds the user to the outer group; Groups 2.0 lists it as a user member.
    scim.groups()
        .patch(&outer_id, &PatchRequest::new().add_members([uid.as_str()]))
        .await
        .expect("patch");
    let mut members = api.list_members(&outer).await.expect("members");
    members.sort_by_key(|m| m.to_string());
    let mut want = vec![
        Member::Known(Principal::group(&inner)),
        Member::Known(Principal::user(&user)),
    ];
    want.sort_by_key(|m| m.to_string());
    assert_eq!(members, want);
    let mut parents = api
        .list_parents(&Principal::user(&user))
        .await
        .expect("parents");
    parents.retain(|p| p == &outer || p == &inner);
    parents.sort();
    let mut both = vec![inner.clone(), outer.clone()];
    both.sort();
    assert_eq!(parents, both);

    // Removed through the SCIM helper, gone from Groups 2.0.
    scim.remove_member(&outer, &MemberName::user(&user))
        .await
        .expect("remove");
    assert_eq!(
        api.list_members(&outer).await.expect("members"),
        [Member::Known(Principal::group(&inner))]
    );

    // Deleted in SCIM, gone from Groups 2.0.
    scim.groups().delete(&inner_id).await.expect("scim delete");
    assert!(!api.exists(&inner).await.expect("list"));
    assert!(api.list_members(&outer).await.expect("members").is_empty());
    snapshot!(h, "one_model");
}

#[tokio::test]
async fn builtin_groups_cannot_be_deleted() {
    let Some(h) = Harness::emulator_only("never tries to delete a real workspace's admins group")
    else {
        return;
    };
    let api = GroupsApi::new(h.admin.clone());
    for name in ["admins", "users"] {
        let e = api.delete(name).await.expect_err("built-in");
        assert!((400..500).contains(&code(&e).0), "{name}: {e:?}");
        assert!(
            api.exists(name).await.expect("list"),
            "{name} is still there"
        );
    }
    snapshot!(h, "builtin_groups_cannot_be_deleted");
}

#[tokio::test]
async fn only_admins_change_groups() {
    let Some(h) = Harness::emulator_only("needs a non-admin user made by the emulator") else {
        return;
    };
    let admin = GroupsApi::new(h.admin.clone());
    admin.create("eng").await.expect("create");
    let bob = GroupsApi::new(h.user("bob@example.com"));
    h.clear_exchanges();
    for e in [
        bob.create("bobs").await.map(drop),
        bob.add_member("eng", &Principal::user("bob@example.com"))
            .await,
        bob.add_member("admins", &Principal::user("bob@example.com"))
            .await,
        bob.remove_member("eng", &Principal::user("admin@example.com"))
            .await,
        bob.delete("eng").await,
    ] {
        let e = e.expect_err("not an admin");
        assert_eq!(code(&e), (403, "PERMISSION_DENIED"), "{e:?}");
    }
    snapshot!(h, "only_admins_change_groups");
    assert!(admin.list_members("eng").await.expect("members").is_empty());
}
