//! Contract scenarios for the SCIM API: dbx-scim against the emulator.
//!
//! Every endpoint (Users, Groups, ServicePrincipals: list, get, create, replace, patch, delete;
//! Me) has its exact request and response JSON pinned by a snapshot. Portable scenarios use only
//! what Databricks documents (filters `eq`/`ne`/`co`/`sw` with `and`/`or`, the PATCH paths of
//! the SCIM reference); the full RFC 7644 filter grammar, permissions and the cross-family
//! effects of identity changes (tokens, secret ACLs) need emulator-only powers.

use dbx_contract_tests::{portable, snapshot, Harness};
use dbx_core::{Client, Error, Request};
use dbx_scim::{
    Entitlement, Filter, Group, GroupId, MemberName, PatchRequest, Projection, ScimApi,
    ServicePrincipal, ServicePrincipalId, SortOrder, User, UserId, GROUP_SCHEMA, USER_SCHEMA,
};
use dbx_secrets::{AclPermission, SecretsApi};
use futures::TryStreamExt;
use serde_json::{json, Value};

fn status(e: &Error) -> u16 {
    e.status().map(|s| s.as_u16()).unwrap_or(0)
}

fn message(e: &Error) -> String {
    e.api().map(|a| a.message.clone()).unwrap_or_default()
}

/// The status of the last captured exchange.
fn last_status(h: &Harness) -> u64 {
    h.exchanges()
        .as_array()
        .and_then(|a| a.last())
        .and_then(|e| e["response"]["status"].as_u64())
        .unwrap_or(0)
}

/// A user name (an email address) unique on a shared workspace.
fn email(h: &Harness, base: &str) -> String {
    format!("{}@example.com", h.name(base))
}

fn cleanup_user(h: &Harness, id: &UserId) {
    let api = ScimApi::new(h.admin.clone());
    let id = id.clone();
    h.defer(format!("delete user {id}"), async move {
        api.users().delete(&id).await
    });
}

fn cleanup_group(h: &Harness, id: &GroupId) {
    let api = ScimApi::new(h.admin.clone());
    let id = id.clone();
    h.defer(format!("delete group {id}"), async move {
        api.groups().delete(&id).await
    });
}

fn cleanup_sp(h: &Harness, id: &ServicePrincipalId) {
    let api = ScimApi::new(h.admin.clone());
    let id = id.clone();
    h.defer(format!("delete service principal {id}"), async move {
        api.service_principals().delete(&id).await
    });
}

async fn new_user(h: &Harness, scim: &ScimApi, base: &str) -> (String, UserId) {
    let name = email(h, base);
    let user = scim
        .users()
        .create(&User::new(&name))
        .await
        .unwrap_or_else(|e| panic!("create user {name}: {e}"));
    let id = user.id.expect("a user id");
    cleanup_user(h, &id);
    (name, id)
}

async fn new_group(h: &Harness, scim: &ScimApi, group: Group) -> GroupId {
    let name = group.display_name.clone().unwrap_or_default();
    let created = scim
        .groups()
        .create(&group)
        .await
        .unwrap_or_else(|e| panic!("create group {name}: {e}"));
    let id = created.id.expect("a group id");
    cleanup_group(h, &id);
    id
}

fn values(list: &[dbx_scim::ComplexValue]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().filter_map(|c| c.value.clone()).collect();
    v.sort();
    v
}

portable!(
    users_lifecycle,
    user_errors,
    users_list_filters_and_paging,
    groups_lifecycle,
    group_errors,
    service_principals_lifecycle,
    me_and_projection,
    membership_by_names_and_effective_groups,
);

async fn users_lifecycle(h: &Harness) {
    let scim = ScimApi::new(h.admin.clone());
    let ann = email(h, "ann");
    let created = scim
        .users()
        .create(
            &User::new(&ann)
                .display_name("Ann Lee")
                .name("Ann", "Lee")
                .entitlement(Entitlement::AllowClusterCreate),
        )
        .await
        .expect("create");
    let id = created.id.clone().expect("id");
    cleanup_user(h, &id);
    assert_eq!(last_status(h), 201);
    assert_eq!(created.user_name.as_deref(), Some(ann.as_str()));
    assert!(created.schemas.iter().any(|s| s == USER_SCHEMA));
    assert!(created.has_entitlement(&Entitlement::AllowClusterCreate));
    snapshot!(h, "users_create");

    let got = scim.users().get(&id).await.expect("get");
    assert_eq!(got.id.as_ref(), Some(&id));
    assert_eq!(got.display_name.as_deref(), Some("Ann Lee"));
    assert_eq!(
        got.name.as_ref().and_then(|n| n.family_name.as_deref()),
        Some("Lee")
    );
    assert_eq!(got.active, Some(true), "a new user is active");
    snapshot!(h, "users_get");

    let only_name = scim
        .users()
        .get_with(&id, &Projection::attributes(["userName"]))
        .await
        .expect("attributes");
    assert_eq!(only_name.user_name.as_deref(), Some(ann.as_str()));
    assert_eq!(only_name.id.as_ref(), Some(&id), "id always comes back");
    assert!(only_name.display_name.is_none() && only_name.entitlements.is_empty());
    let without = scim
        .users()
        .get_with(
            &id,
            &Projection::default().excluding(["entitlements", "name"]),
        )
        .await
        .expect("excludedAttributes");
    assert!(without.entitlements.is_empty() && without.name.is_none());
    assert_eq!(without.display_name.as_deref(), Some("Ann Lee"));
    snapshot!(h, "users_get_projected");

    // PUT replaces the whole resource: the entitlement left out is gone.
    scim.users()
        .replace(&id, &User::new(&ann).display_name("Ann L."))
        .await
        .expect("replace");
    let replaced = scim.users().get(&id).await.expect("get");
    assert_eq!(replaced.display_name.as_deref(), Some("Ann L."));
    assert!(!replaced.has_entitlement(&Entitlement::AllowClusterCreate));
    snapshot!(h, "users_replace");

    // PATCH: add to a multi-valued attribute, replace a sub-attribute, remove by value filter.
    let patch = PatchRequest::new()
        .add_entitlements([
            &Entitlement::AllowClusterCreate,
            &Entitlement::AllowInstancePoolCreate,
        ])
        .replace("name.givenName", "Annie")
        .replace("displayName", "Annie Lee");
    scim.users().patch(&id, &patch).await.expect("patch");
    let patched = scim.users().get(&id).await.expect("get");
    assert!(patched.has_entitlement(&Entitlement::AllowClusterCreate));
    assert!(patched.has_entitlement(&Entitlement::AllowInstancePoolCreate));
    assert_eq!(
        patched.name.as_ref().and_then(|n| n.given_name.as_deref()),
        Some("Annie")
    );
    assert_eq!(patched.display_name.as_deref(), Some("Annie Lee"));
    scim.users()
        .patch(
            &id,
            &PatchRequest::new().remove_entitlement(&Entitlement::AllowInstancePoolCreate),
        )
        .await
        .expect("patch remove");
    let patched = scim.users().get(&id).await.expect("get");
    assert_eq!(values(&patched.entitlements), ["allow-cluster-create"]);
    snapshot!(h, "users_patch");

    scim.users().delete(&id).await.expect("delete");
    assert_eq!(last_status(h), 204);
    let gone = scim.users().get(&id).await.expect_err("deleted");
    assert!(gone.is_not_found(), "{gone:?}");
    snapshot!(h, "users_delete");
}

async fn user_errors(h: &Harness) {
    let scim = ScimApi::new(h.admin.clone());
    let (bob, id) = new_user(h, &scim, "bob").await;
    h.clear_exchanges();

    let dup = scim
        .users()
        .create(&User::new(&bob))
        .await
        .expect_err("taken");
    assert_eq!(status(&dup), 409);
    assert!(dup.is_already_exists());
    assert!(message(&dup).contains("already exists"), "{dup}");

    let no_name = scim
        .users()
        .create(&User {
            schemas: vec![USER_SCHEMA.to_owned()],
            display_name: Some("nameless".into()),
            ..User::default()
        })
        .await
        .expect_err("userName is required");
    assert_eq!(status(&no_name), 400);

    // userName is immutable.
    let rename = scim
        .users()
        .patch(
            &id,
            &PatchRequest::new().replace("userName", email(h, "robert")),
        )
        .await
        .expect_err("immutable");
    assert_eq!(status(&rename), 400);
    assert_eq!(
        scim.users()
            .get(&id)
            .await
            .expect("get")
            .user_name
            .as_deref(),
        Some(bob.as_str())
    );

    let unknown = UserId::from("1234");
    for e in [
        scim.users().get(&unknown).await.map(drop),
        scim.users()
            .patch(&unknown, &PatchRequest::new().replace("active", false))
            .await
            .map(drop),
        scim.users()
            .replace(&unknown, &User::new(email(h, "nobody")))
            .await
            .map(drop),
        scim.users().delete(&unknown).await,
    ] {
        let e = e.expect_err("no such user");
        assert_eq!(status(&e), 404, "{e:?}");
        assert!(e.is_not_found());
    }
    snapshot!(h, "user_errors");
}

async fn users_list_filters_and_paging(h: &Harness) {
    let scim = ScimApi::new(h.admin.clone());
    let prefix = h.name("lst");
    let mut names = Vec::new();
    for i in 0..3 {
        let name = format!("{prefix}-{i}@example.com");
        let u = scim
            .users()
            .create(&User::new(&name).display_name(format!("Lister {i}")))
            .await
            .expect("create");
        cleanup_user(h, &u.id.expect("id"));
        names.push(name);
    }
    h.clear_exchanges();
    let ours = || Filter::sw("userName", format!("{prefix}-"));

    // Two pages of two: startIndex 1 then 3, and the de-duplicated stream yields all three.
    let walked: Vec<User> = scim
        .users()
        .list()
        .filter(ours())
        .sort_by("userName")
        .count(2)
        .stream()
        .try_collect()
        .await
        .expect("stream");
    let got: Vec<String> = walked.iter().filter_map(|u| u.user_name.clone()).collect();
    assert_eq!(got, names);
    let starts: Vec<Value> = h
        .exchanges()
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["request"]["query"]["startIndex"].clone())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(starts[..2], [json!("1"), json!("3")]);
    snapshot!(h, "users_list_paged");

    let page = scim
        .users()
        .list()
        .filter(ours())
        .sort_by("userName")
        .sort_order(SortOrder::Descending)
        .attributes(["userName"])
        .page(1)
        .await
        .expect("page");
    assert_eq!(page.total_results, Some(3));
    assert_eq!(page.start_index, Some(1));
    let desc: Vec<String> = page
        .resources
        .iter()
        .filter_map(|u| u.user_name.clone())
        .collect();
    let mut want = names.clone();
    want.reverse();
    assert_eq!(desc, want);
    assert!(page.resources.iter().all(|u| u.display_name.is_none()));
    snapshot!(h, "users_list_sorted_projected");

    // The documented operators and combinations.
    let count = |f: Filter| {
        let scim = scim.clone();
        async move {
            scim.users()
                .list()
                .filter(f)
                .all()
                .await
                .expect("list")
                .len()
        }
    };
    assert_eq!(count(Filter::eq("userName", names[1].as_str())).await, 1);
    // Attribute names and string values compare case-insensitively (RFC 7644 §3.4.2.2).
    assert_eq!(
        count(Filter::eq("USERNAME", names[1].to_uppercase())).await,
        1
    );
    assert_eq!(
        count(ours().and(Filter::ne("userName", names[0].as_str()))).await,
        2
    );
    assert_eq!(count(ours().and(Filter::co("userName", "-2@"))).await, 1);
    assert_eq!(
        count(
            Filter::eq("userName", names[0].as_str()).or(Filter::eq("userName", names[2].as_str()))
        )
        .await,
        2
    );
    assert_eq!(
        count(ours().and(Filter::eq("displayName", "Lister 1"))).await,
        1
    );
    // An injection attempt is a literal value: it matches nobody, not everybody.
    let sneaky = format!(r#"{}" or userName pr or userName eq "x"#, names[0]);
    assert_eq!(count(Filter::eq("userName", sneaky)).await, 0);
    snapshot!(h, "users_list_filters");

    let bad = scim
        .users()
        .list()
        .filter_raw("userName eq")
        .page(1)
        .await
        .expect_err("malformed filter");
    assert_eq!(status(&bad), 400, "{bad:?}");
    snapshot!(h, "users_list_bad_filter");
}

async fn groups_lifecycle(h: &Harness) {
    let scim = ScimApi::new(h.admin.clone());
    let (_, uid) = new_user(h, &scim, "gina").await;
    let (eng, parent) = (h.name("eng"), h.name("eng-parent"));
    h.clear_exchanges();

    let created = scim
        .groups()
        .create(
            &Group::new(&eng)
                .member_id(uid.as_str())
                .entitlement(Entitlement::AllowClusterCreate),
        )
        .await
        .expect("create");
    let eng_id = created.id.clone().expect("id");
    cleanup_group(h, &eng_id);
    assert_eq!(last_status(h), 201);
    assert!(created.schemas.iter().any(|s| s == GROUP_SCHEMA));
    assert!(created.has_member(uid.as_str()));
    snapshot!(h, "groups_create");

    let got = scim.groups().get(&eng_id).await.expect("get");
    assert_eq!(got.display_name.as_deref(), Some(eng.as_str()));
    assert_eq!(values(&got.members), [uid.to_string()]);
    assert!(got.has_entitlement(&Entitlement::AllowClusterCreate));
    snapshot!(h, "groups_get");

    let parent_id = new_group(h, &scim, Group::new(&parent)).await;
    h.clear_exchanges();
    let listed = scim
        .groups()
        .list()
        .filter(Filter::eq("displayName", eng.as_str()))
        .all()
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id.as_ref(), Some(&eng_id));
    snapshot!(h, "groups_list");

    // PATCH with a path, then a value-only add, then a remove by value filter.
    scim.groups()
        .patch(
            &parent_id,
            &PatchRequest::new().add_members([eng_id.as_str()]),
        )
        .await
        .expect("add group member");
    scim.groups()
        .patch(
            &parent_id,
            &PatchRequest::new().add_value(json!({"members": [{"value": uid.as_str()}]})),
        )
        .await
        .expect("value-only add");
    let p = scim.groups().get(&parent_id).await.expect("get");
    let mut both = vec![eng_id.to_string(), uid.to_string()];
    both.sort();
    assert_eq!(values(&p.members), both);
    // The child names its parent.
    let child = scim.groups().get(&eng_id).await.expect("get");
    assert_eq!(values(&child.groups), [parent_id.to_string()]);
    scim.groups()
        .patch(&parent_id, &PatchRequest::new().remove_member(uid.as_str()))
        .await
        .expect("remove member");
    let p = scim.groups().get(&parent_id).await.expect("get");
    assert_eq!(values(&p.members), [eng_id.to_string()]);
    snapshot!(h, "groups_patch");

    // The user sees its direct group.
    let user = scim.users().get(&uid).await.expect("user");
    assert!(
        user.groups
            .iter()
            .any(|g| g.value.as_deref() == Some(eng_id.as_str())),
        "{:?}",
        user.groups
    );
    h.clear_exchanges();

    // PUT replaces: members and entitlements left out are gone.
    scim.groups()
        .replace(&eng_id, &Group::new(&eng))
        .await
        .expect("replace");
    let replaced = scim.groups().get(&eng_id).await.expect("get");
    assert!(replaced.members.is_empty());
    assert!(!replaced.has_entitlement(&Entitlement::AllowClusterCreate));
    snapshot!(h, "groups_replace");

    scim.groups().delete(&eng_id).await.expect("delete");
    assert_eq!(last_status(h), 204);
    assert!(scim
        .groups()
        .get(&eng_id)
        .await
        .expect_err("gone")
        .is_not_found());
    // Deleting a group drops it from its parent's members.
    let p = scim.groups().get(&parent_id).await.expect("get");
    assert!(p.members.is_empty(), "{:?}", p.members);
    snapshot!(h, "groups_delete");
}

async fn group_errors(h: &Harness) {
    let scim = ScimApi::new(h.admin.clone());
    let name = h.name("dup");
    new_group(h, &scim, Group::new(&name)).await;
    h.clear_exchanges();

    let dup = scim
        .groups()
        .create(&Group::new(&name))
        .await
        .expect_err("taken");
    assert_eq!(status(&dup), 409);
    assert!(dup.is_already_exists());
    assert!(message(&dup).contains("already exists"), "{dup}");

    let unknown = GroupId::from("1234");
    for e in [
        scim.groups().get(&unknown).await.map(drop),
        scim.groups()
            .patch(&unknown, &PatchRequest::new().add_members(["1"]))
            .await
            .map(drop),
        scim.groups().delete(&unknown).await,
    ] {
        let e = e.expect_err("no such group");
        assert_eq!(status(&e), 404, "{e:?}");
    }
    snapshot!(h, "group_errors");
}

async fn service_principals_lifecycle(h: &Harness) {
    let scim = ScimApi::new(h.admin.clone());
    let name = h.name("ci-bot");
    let created = scim
        .service_principals()
        .create(&ServicePrincipal::new(&name).entitlement(Entitlement::AllowClusterCreate))
        .await
        .expect("create");
    let id = created.id.clone().expect("id");
    cleanup_sp(h, &id);
    assert_eq!(last_status(h), 201);
    let app_id = created
        .application_id
        .clone()
        .expect("an application id is assigned");
    assert_eq!(created.display_name.as_deref(), Some(name.as_str()));
    assert_eq!(created.active, Some(true));
    snapshot!(settings = sp_settings(h), h, "service_principals_create");

    let got = scim.service_principals().get(&id).await.expect("get");
    assert_eq!(got.application_id.as_deref(), Some(app_id.as_str()));
    let found = scim
        .find_service_principal(&app_id)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.id.as_ref(), Some(&id));
    snapshot!(
        settings = sp_settings(h),
        h,
        "service_principals_get_and_list"
    );

    scim.service_principals()
        .patch(
            &id,
            &PatchRequest::new()
                .replace("active", false)
                .remove_entitlement(&Entitlement::AllowClusterCreate),
        )
        .await
        .expect("patch");
    let patched = scim.service_principals().get(&id).await.expect("get");
    assert_eq!(patched.active, Some(false));
    assert!(patched.entitlements.is_empty());
    scim.service_principals()
        .replace(
            &id,
            &ServicePrincipal::new(format!("{name}-renamed"))
                .application_id(&app_id)
                .active(true),
        )
        .await
        .expect("replace");
    let replaced = scim.service_principals().get(&id).await.expect("get");
    assert_eq!(
        replaced.display_name.as_deref(),
        Some(format!("{name}-renamed").as_str())
    );
    assert_eq!(replaced.application_id.as_deref(), Some(app_id.as_str()));
    snapshot!(
        settings = sp_settings(h),
        h,
        "service_principals_patch_replace"
    );

    let dup = scim
        .service_principals()
        .create(&ServicePrincipal::new(h.name("ci-bot-2")).application_id(&app_id))
        .await
        .expect_err("applicationId taken");
    assert_eq!(status(&dup), 409);

    scim.service_principals().delete(&id).await.expect("delete");
    assert_eq!(last_status(h), 204);
    assert!(scim
        .service_principals()
        .get(&id)
        .await
        .expect_err("gone")
        .is_not_found());
    snapshot!(
        settings = sp_settings(h),
        h,
        "service_principals_errors_and_delete"
    );
}

/// Application ids are random UUIDs: redact them wherever they show.
fn sp_settings(h: &Harness) -> insta::Settings {
    let mut s = h.settings();
    s.add_redaction(".**.applicationId", "[application_id]");
    s.add_redaction(".**.userName", "[application_id]");
    s.add_dynamic_redaction(".**.filter", |value, _| match value.as_str() {
        Some(f) if f.starts_with("applicationId eq") => {
            "applicationId eq \"[application_id]\"".into()
        }
        _ => value,
    });
    s.add_dynamic_redaction(".**.detail", |value, _| match value.as_str() {
        Some(d) => redact_uuids(d).into(),
        None => value,
    });
    s
}

/// Replace every UUID (8-4-4-4-12 hex) in `text` with `[application_id]`.
fn redact_uuids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for (i, _) in rest.char_indices() {
            let cand = rest.get(i..i + 36);
            if let Some(c) = cand {
                if is_uuid(c) {
                    out.push_str(&rest[..i]);
                    out.push_str("[application_id]");
                    rest = &rest[i + 36..];
                    continue 'outer;
                }
            }
        }
        out.push_str(rest);
        break;
    }
    out
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

async fn me_and_projection(h: &Harness) {
    let scim = ScimApi::new(h.admin.clone());
    let me = scim.me().await.expect("me");
    assert!(me.id.is_some() && me.user_name.is_some());
    assert!(me.schemas.iter().any(|s| s == USER_SCHEMA));
    let projected = scim
        .me_with(&Projection::attributes(["userName"]))
        .await
        .expect("me projected");
    assert_eq!(projected.user_name, me.user_name);
    assert!(projected.emails.is_empty() && projected.groups.is_empty());
    let excluded = scim
        .me_with(&Projection::default().excluding(["groups", "emails"]))
        .await
        .expect("me excluded");
    assert!(excluded.groups.is_empty() && excluded.emails.is_empty());
    assert_eq!(excluded.user_name, me.user_name);
    snapshot!(h, "me");
}

async fn membership_by_names_and_effective_groups(h: &Harness) {
    let scim = ScimApi::new(h.admin.clone());
    let (uname, _) = new_user(h, &scim, "nested").await;
    let (team, dept, org) = (h.name("team"), h.name("dept"), h.name("org"));
    for g in [&team, &dept, &org] {
        new_group(h, &scim, Group::new(g)).await;
    }
    h.clear_exchanges();

    scim.add_member(&team, &MemberName::user(&uname))
        .await
        .expect("user into team");
    scim.add_member(&dept, &MemberName::group(&team))
        .await
        .expect("team into dept");
    scim.add_member(&org, &MemberName::group(&dept))
        .await
        .expect("dept into org");
    snapshot!(h, "add_member_by_names");

    let groups = scim.effective_groups(&uname).await.expect("effective");
    let mut got: Vec<(String, bool)> = groups
        .iter()
        .map(|g| (g.display_name.clone().unwrap_or_default(), g.direct))
        .filter(|(n, _)| [&team, &dept, &org].contains(&n))
        .collect();
    got.sort();
    let mut want = vec![
        (dept.clone(), false),
        (org.clone(), false),
        (team.clone(), true),
    ];
    want.sort();
    assert_eq!(got, want);
    h.clear_exchanges();

    scim.remove_member(&team, &MemberName::user(&uname))
        .await
        .expect("remove");
    snapshot!(h, "remove_member_by_names");
    let after = scim.effective_groups(&uname).await.expect("effective");
    assert!(after
        .iter()
        .all(|g| ![&team, &dept, &org].contains(&&g.display_name.clone().unwrap_or_default())));

    let missing = scim
        .add_member(&team, &MemberName::user(email(h, "ghost")))
        .await
        .expect_err("no such user");
    assert!(missing.is_not_found());
}

// ---------------------------------------------------------------------------------------------
// Emulator-only scenarios.

/// Users for the grammar test: three with different names and one inactive.
async fn grammar_fixture(scim: &ScimApi) {
    for (name, display, active) in [
        ("alpha@example.com", "Alpha One", true),
        ("beta@example.org", "Beta Two", true),
        ("gamma@example.com", "Gamma Three", false),
    ] {
        scim.users()
            .create(&User::new(name).display_name(display).active(active))
            .await
            .expect("fixture user");
    }
}

#[tokio::test]
async fn filter_grammar() {
    let Some(h) = Harness::emulator_only(
        "the full RFC 7644 filter grammar (ew, pr, comparisons, not, parentheses) is the emulator's; Databricks documents eq/ne/co/sw with and/or",
    ) else {
        return;
    };
    let scim = ScimApi::new(h.admin.clone());
    grammar_fixture(&scim).await;
    h.clear_exchanges();

    // Each valid expression and the user names it matches (the admin is admin@example.com).
    let valid = [
        r#"userName eq "alpha@example.com""#,
        r#"username EQ "ALPHA@EXAMPLE.COM""#,
        r#"userName ne "alpha@example.com""#,
        r#"userName co "ta""#,
        r#"userName sw "b""#,
        r#"userName ew ".org""#,
        "displayName pr",
        "active eq false",
        r#"userName gt "beta@example.org""#,
        r#"userName ge "beta@example.org""#,
        r#"userName lt "beta""#,
        r#"userName le "alpha@example.com""#,
        r#"userName sw "a" and active eq true"#,
        r#"userName eq "alpha@example.com" or userName eq "beta@example.org""#,
        r#"not (userName ew ".com")"#,
        r#"(userName sw "a" or userName sw "g") and displayName co "o""#,
        r#"userName sw "a" and (displayName co "one" or displayName co "zzz")"#,
        r#"not (active eq true) or userName eq "beta@example.org""#,
        r#"emails.value ew ".org""#,
        r#"name.givenName pr"#,
    ];
    let mut results = Vec::new();
    for f in valid {
        let users = scim
            .users()
            .list()
            .filter_raw(f)
            .sort_by("userName")
            .all()
            .await
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        let names: Vec<String> = users.into_iter().filter_map(|u| u.user_name).collect();
        results.push(json!({"filter": f, "matches": names}));
    }
    h.clear_exchanges();
    snapshot!(h, "filter_grammar_valid", results);

    let invalid = [
        "userName eq",
        r#"userName zz "x""#,
        r#"(userName eq "a""#,
        r#"userName eq "a")"#,
        r#"userName eq "unterminated"#,
        r#"userName eq "a" and"#,
        r#"and userName eq "a""#,
        r#"userName eq "a" userName eq "b""#,
        "userName pr pr",
        r#"not userName eq "a""#,
        r#"userName eq unquoted"#,
        r#"9name eq "a""#,
    ];
    let mut errors = Vec::new();
    for f in invalid {
        let e = scim
            .users()
            .list()
            .filter_raw(f)
            .page(1)
            .await
            .expect_err(f);
        assert_eq!(status(&e), 400, "{f}: {e:?}");
        assert_eq!(e.error_code(), Some("SCIM_400"), "{f}");
        assert!(message(&e).starts_with("invalidFilter"), "{f}: {e}");
        errors.push(json!({"filter": f, "message": message(&e)}));
    }
    h.clear_exchanges();
    snapshot!(h, "filter_grammar_invalid", errors);

    // Groups filter on displayName the same way.
    scim.groups()
        .create(&Group::new("Data-Eng"))
        .await
        .expect("group");
    let g = scim
        .groups()
        .list()
        .filter(Filter::eq("displayname", "data-eng"))
        .all()
        .await
        .expect("groups");
    assert_eq!(g.len(), 1);
    let count_only = scim
        .users()
        .list()
        .count(1)
        .page(2)
        .await
        .expect("page 2 of 1");
    assert_eq!(count_only.resources.len(), 1);
    assert_eq!(count_only.start_index, Some(2));
    assert_eq!(count_only.items_per_page, Some(1));
    assert_eq!(count_only.total_results, Some(4));
}

#[tokio::test]
async fn builtin_groups_stay() {
    let Some(h) = Harness::emulator_only("never tries to delete a real workspace's admins group")
    else {
        return;
    };
    let scim = ScimApi::new(h.admin.clone());
    for name in ["admins", "users"] {
        let g = scim
            .find_group(name)
            .await
            .expect("find")
            .expect("built-in");
        let id = g.id.expect("id");
        let e = scim.groups().delete(&id).await.expect_err("built-in");
        assert!((400..500).contains(&status(&e)), "deleting {name}: {e:?}");
        assert!(
            scim.groups().get(&id).await.is_ok(),
            "{name} is still there"
        );
    }
    snapshot!(h, "builtin_groups_stay");
}

#[tokio::test]
async fn only_admins_change_identities() {
    let Some(h) = Harness::emulator_only("needs a non-admin user made by the emulator") else {
        return;
    };
    let bob = ScimApi::new(h.user("bob@example.com"));
    let admin = ScimApi::new(h.admin.clone());
    let gid = admin
        .groups()
        .create(&Group::new("eng"))
        .await
        .expect("group")
        .id
        .expect("id");
    h.clear_exchanges();

    let me = bob.me().await.expect("everyone may read themselves");
    assert_eq!(me.user_name.as_deref(), Some("bob@example.com"));
    let bob_id = me.id.clone().expect("id");
    for e in [
        bob.users()
            .create(&User::new("eve@example.com"))
            .await
            .map(drop),
        bob.groups()
            .patch(&gid, &PatchRequest::new().add_members([bob_id.as_str()]))
            .await
            .map(drop),
        bob.users()
            .patch(
                &bob_id,
                &PatchRequest::new().add_entitlements([&Entitlement::AllowClusterCreate]),
            )
            .await
            .map(drop),
        bob.groups().delete(&gid).await,
        bob.service_principals()
            .create(&ServicePrincipal::new("bot"))
            .await
            .map(drop),
    ] {
        let e = e.expect_err("not an admin");
        assert_eq!(status(&e), 403, "{e:?}");
        assert!(e.is_permission_denied());
    }
    snapshot!(h, "only_admins_change_identities");
}

#[tokio::test]
async fn deactivation_and_deletion_reach_tokens_groups_and_acls() {
    let Some(h) = Harness::emulator_only("needs a user with a token made by the emulator") else {
        return;
    };
    let admin = ScimApi::new(h.admin.clone());
    let bob_client: Client = h.user("bob@example.com");
    let bob = ScimApi::new(bob_client.clone());
    let bob_id = bob.me().await.expect("me").id.expect("id");
    let eng = admin
        .groups()
        .create(&Group::new("eng").member_id(bob_id.as_str()))
        .await
        .expect("group")
        .id
        .expect("id");

    // A secret ACL for bob's group lets bob read the scope.
    let secrets = SecretsApi::new(h.admin.clone());
    secrets.create_scope("app").send().await.expect("scope");
    secrets
        .put_acl("app", "eng", AclPermission::Read)
        .await
        .expect("group acl");
    secrets
        .put_acl("app", "bob@example.com", AclPermission::Write)
        .await
        .expect("user acl");
    let bob_secrets = SecretsApi::new(bob_client.clone());
    bob_secrets.list_secrets("app").await.expect("bob reads");
    h.clear_exchanges();

    // Inactive: bob's token stops working, and works again once reactivated.
    admin
        .users()
        .patch(&bob_id, &PatchRequest::new().replace("active", false))
        .await
        .expect("deactivate");
    let e = bob.me().await.expect_err("inactive");
    assert_eq!(status(&e), 403, "{e:?}");
    admin
        .users()
        .patch(&bob_id, &PatchRequest::new().replace("active", true))
        .await
        .expect("reactivate");
    bob.me().await.expect("active again");
    snapshot!(h, "deactivate_reactivate");

    // Deleted: gone from the group, the ACLs, and the token no longer authenticates.
    admin.users().delete(&bob_id).await.expect("delete");
    let g = admin.groups().get(&eng).await.expect("group");
    assert!(g.members.is_empty(), "{:?}", g.members);
    let acls: Vec<String> = secrets
        .list_acls("app")
        .await
        .expect("acls")
        .into_iter()
        .map(|a| a.principal)
        .collect();
    assert!(!acls.iter().any(|p| p == "bob@example.com"), "{acls:?}");
    assert!(acls.iter().any(|p| p == "eng"));
    let e = bob.me().await.expect_err("deleted user");
    assert!(matches!(status(&e), 401 | 403), "{e:?}");
    let raw = bob_client
        .call::<Value>(Request::get("/api/2.0/token/list"))
        .await
        .expect_err("token revoked");
    assert!(matches!(status(&raw), 401 | 403));
    snapshot!(h, "delete_user_effects");
}

#[tokio::test]
async fn nested_membership_shows_everywhere() {
    let Some(h) = Harness::emulator_only("needs a non-admin user made by the emulator") else {
        return;
    };
    let admin = ScimApi::new(h.admin.clone());
    let bob_client = h.user("bob@example.com");
    let bob_id = ScimApi::new(bob_client.clone())
        .me()
        .await
        .expect("me")
        .id
        .expect("id");
    let team = admin
        .groups()
        .create(&Group::new("team").member_id(bob_id.as_str()))
        .await
        .expect("team")
        .id
        .expect("id");
    admin
        .groups()
        .create(&Group::new("dept").member_id(team.as_str()))
        .await
        .expect("dept");
    h.clear_exchanges();

    // SCIM: bob's groups say direct and indirect.
    let bob = admin.users().get(&bob_id).await.expect("bob");
    let kinds: Vec<(String, String)> = bob
        .groups
        .iter()
        .map(|g| {
            (
                g.display.clone().unwrap_or_default(),
                g.kind.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("team".into(), "direct".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("dept".into(), "indirect".into())),
        "{kinds:?}"
    );
    snapshot!(h, "nested_user_groups");

    // A READ ACL for the outer group reaches bob through the inner one.
    let secrets = SecretsApi::new(h.admin.clone());
    secrets.create_scope("app").send().await.expect("scope");
    let bob_secrets = SecretsApi::new(bob_client);
    let denied = bob_secrets
        .list_secrets("app")
        .await
        .expect_err("no acl yet");
    assert!(denied.is_permission_denied());
    secrets
        .put_acl("app", "dept", AclPermission::Read)
        .await
        .expect("acl");
    bob_secrets
        .list_secrets("app")
        .await
        .expect("read through dept");
}
