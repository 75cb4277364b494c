//! SCIM Users, ServicePrincipals, Groups and Me over the one identity model.

use std::time::Instant;

use serde_json::{json, Value};

use crate::support::{Api, Resp, ADMIN};

const BASE: &str = "/api/2.0/preview/scim/v2";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn send(api: &Api, method: &str, path: &str, token: &str, body: Option<Value>) -> Resp {
    let (ct, body) = match body {
        Some(b) => (Some("application/scim+json"), b.to_string()),
        None => (None, String::new()),
    };
    api.send(method, &format!("{BASE}/{path}"), Some(token), ct, body)
        .await
}

async fn create(api: &Api, path: &str, body: Value) -> Value {
    let r = send(api, "POST", path, ADMIN, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json
}

async fn patch(api: &Api, path: &str, ops: Value) -> Resp {
    send(
        api,
        "PATCH",
        path,
        ADMIN,
        Some(json!({"schemas": [PATCH_OP], "Operations": ops})),
    )
    .await
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn scim_error(r: &Resp) -> (u16, Value, Value) {
    assert_eq!(
        r.json["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{}",
        r.json
    );
    assert_eq!(r.json["status"], r.status.to_string());
    (
        r.status,
        r.json["scimType"].clone(),
        r.json["detail"].clone(),
    )
}

#[tokio::test]
async fn users_create_get_list_replace_patch_delete() {
    let api = Api::new();
    let u = create(
        &api,
        "Users",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ann@example.com",
            "displayName": "Ann",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "entitlements": [{"value": "allow-cluster-create"}],
            "externalId": "ext-1",
        }),
    )
    .await;
    let uid = id(&u);
    assert_eq!(uid, "1000000000000004");
    assert_eq!(
        u,
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"
            ],
            "id": uid,
            "userName": "ann@example.com",
            "displayName": "Ann",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "active": true,
            "emails": [{"type": "work", "value": "ann@example.com", "primary": true}],
            "entitlements": [{"value": "allow-cluster-create"}],
            "externalId": "ext-1",
        })
    );
    let got = send(&api, "GET", &format!("Users/{uid}"), ADMIN, None).await;
    assert_eq!(got.json, u);

    let dup = send(
        &api,
        "POST",
        "Users",
        ADMIN,
        Some(json!({"userName": "ANN@example.com"})),
    )
    .await;
    assert_eq!(
        scim_error(&dup),
        (
            409,
            json!("uniqueness"),
            json!("User with username ANN@example.com already exists.")
        )
    );
    let missing = send(
        &api,
        "POST",
        "Users",
        ADMIN,
        Some(json!({"displayName": "x"})),
    )
    .await;
    assert_eq!(scim_error(&missing).0, 400);

    let list = send(&api, "GET", "Users", ADMIN, None).await;
    assert_eq!(
        list.json["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(list.json["totalResults"], 2);
    assert_eq!(list.json["startIndex"], 1);
    assert_eq!(list.json["itemsPerPage"], 2);
    let filtered = send(
        &api,
        "GET",
        "Users?filter=userName%20eq%20%22Ann%40Example.com%22&attributes=userName",
        ADMIN,
        None,
    )
    .await;
    assert_eq!(
        filtered.json["Resources"],
        json!([{"schemas": u["schemas"], "id": uid, "userName": "ann@example.com"}])
    );
    let none = send(
        &api,
        "GET",
        "Users?filter=userName%20eq%20%22nobody%22",
        ADMIN,
        None,
    )
    .await;
    assert_eq!(
        none.json["Resources"],
        json!([]),
        "Resources kept when empty"
    );
    assert_eq!(none.json["totalResults"], 0);

    // PUT replaces: omitted attributes are cleared; userName cannot change.
    let put = send(
        &api,
        "PUT",
        &format!("Users/{uid}"),
        ADMIN,
        Some(json!({"userName": "ann@example.com", "displayName": "Ann L", "roles": [{"value": "arn:aws:iam::1:instance-profile/p"}]})),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.json);
    assert_eq!(put.json["displayName"], "Ann L");
    assert!(put.json.get("entitlements").is_none() && put.json.get("name").is_none());
    assert_eq!(
        put.json["roles"],
        json!([{"value": "arn:aws:iam::1:instance-profile/p"}])
    );
    let renamed = send(
        &api,
        "PUT",
        &format!("Users/{uid}"),
        ADMIN,
        Some(json!({"userName": "other@example.com"})),
    )
    .await;
    assert_eq!(scim_error(&renamed).1, "mutability");

    let p = patch(
        &api,
        &format!("Users/{uid}"),
        json!([
            {"op": "add", "path": "entitlements", "value": [{"value": "databricks-sql-access"}]},
            {"op": "replace", "path": "name.givenName", "value": "Anne"},
            {"op": "remove", "path": "roles[value eq \"arn:aws:iam::1:instance-profile/p\"]"},
        ]),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.json);
    assert_eq!(
        p.json["entitlements"],
        json!([{"value": "databricks-sql-access"}])
    );
    assert_eq!(p.json["name"], json!({"givenName": "Anne"}));
    assert!(p.json.get("roles").is_none());
    let bad = patch(
        &api,
        &format!("Users/{uid}"),
        json!([{"op": "replace", "path": "userName", "value": "x@y"}]),
    )
    .await;
    assert_eq!(
        scim_error(&bad),
        (
            400,
            json!("mutability"),
            json!("Attribute 'userName' is immutable.")
        )
    );

    let del = send(&api, "DELETE", &format!("Users/{uid}"), ADMIN, None).await;
    assert_eq!(del.status, 204);
    assert!(del.body.is_empty());
    let gone = send(&api, "GET", &format!("Users/{uid}"), ADMIN, None).await;
    assert_eq!(scim_error(&gone).0, 404);
    assert_eq!(
        send(&api, "DELETE", &format!("Users/{uid}"), ADMIN, None)
            .await
            .status,
        404
    );
    assert_eq!(
        send(
            &api,
            "PATCH",
            "Users/1",
            ADMIN,
            Some(json!({"Operations": []}))
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn groups_members_nesting_and_user_groups() {
    let api = Api::new();
    let u = create(&api, "Users", json!({"userName": "bo@example.com"})).await;
    let inner = create(
        &api,
        "Groups",
        json!({"displayName": "inner", "members": [{"value": id(&u)}]}),
    )
    .await;
    let outer = create(&api, "Groups", json!({"displayName": "outer"})).await;
    assert_eq!(
        inner["members"],
        json!([{"display": "bo@example.com", "value": id(&u), "$ref": format!("Users/{}", id(&u))}])
    );
    assert_eq!(inner["meta"], json!({"resourceType": "WorkspaceGroup"}));
    let r = patch(
        &api,
        &format!("Groups/{}", id(&outer)),
        json!([{"op": "add", "value": {"members": [{"value": id(&inner)}]}}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json["members"][0]["$ref"],
        format!("Groups/{}", id(&inner))
    );

    let user = send(&api, "GET", &format!("Users/{}", id(&u)), ADMIN, None)
        .await
        .json;
    assert_eq!(
        user["groups"],
        json!([
            {"display": "inner", "value": id(&inner), "$ref": format!("Groups/{}", id(&inner)), "type": "direct"},
            {"display": "outer", "value": id(&outer), "$ref": format!("Groups/{}", id(&outer)), "type": "indirect"},
        ])
    );
    let byname = send(
        &api,
        "GET",
        "Groups?filter=displayName%20eq%20%22OUTER%22",
        ADMIN,
        None,
    )
    .await;
    assert_eq!(byname.json["totalResults"], 1);
    let members_of = send(
        &api,
        "GET",
        &format!("Users?filter=groups.value%20eq%20%22{}%22", id(&inner)),
        ADMIN,
        None,
    )
    .await;
    assert_eq!(members_of.json["totalResults"], 1);

    // Remove with a value filter path; a group cannot contain itself; a taken name is 409.
    let r = patch(
        &api,
        &format!("Groups/{}", id(&inner)),
        json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", id(&u))}]),
    )
    .await;
    assert!(r.json.get("members").is_none(), "{}", r.json);
    let own = patch(
        &api,
        &format!("Groups/{}", id(&inner)),
        json!([{"op": "add", "path": "members", "value": [{"value": id(&inner)}]}]),
    )
    .await;
    assert_eq!(scim_error(&own).1, "invalidValue");
    let taken = patch(
        &api,
        &format!("Groups/{}", id(&inner)),
        json!([{"op": "replace", "path": "displayName", "value": "Outer"}]),
    )
    .await;
    assert_eq!(
        scim_error(&taken),
        (
            409,
            json!("uniqueness"),
            json!("Group with name Outer already exists.")
        )
    );
    let dup = send(
        &api,
        "POST",
        "Groups",
        ADMIN,
        Some(json!({"displayName": "admins"})),
    )
    .await;
    assert_eq!(
        scim_error(&dup),
        (
            409,
            json!("uniqueness"),
            json!("Group with name admins already exists.")
        )
    );

    // Built-ins: `users` implicitly holds everyone and carries the default entitlements; neither
    // built-in can be deleted.
    let users = send(
        &api,
        "GET",
        "Groups?filter=displayName%20eq%20%22users%22",
        ADMIN,
        None,
    )
    .await
    .json;
    let users = &users["Resources"][0];
    assert_eq!(users["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        users["entitlements"],
        json!([{"value": "workspace-access"}, {"value": "databricks-sql-access"}])
    );
    for g in ["1000000000000001", "1000000000000002"] {
        let r = send(&api, "DELETE", &format!("Groups/{g}"), ADMIN, None).await;
        assert_eq!(scim_error(&r).0, 400);
    }
    assert_eq!(
        send(
            &api,
            "DELETE",
            &format!("Groups/{}", id(&outer)),
            ADMIN,
            None
        )
        .await
        .status,
        204
    );
    let inner_now = send(&api, "GET", &format!("Groups/{}", id(&inner)), ADMIN, None)
        .await
        .json;
    assert!(inner_now.get("groups").is_none(), "{inner_now}");
    // A user id is not a group.
    assert_eq!(
        send(&api, "GET", &format!("Groups/{}", id(&u)), ADMIN, None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn service_principals() {
    let api = Api::new();
    let sp = create(&api, "ServicePrincipals", json!({"displayName": "ci", "applicationId": "11111111-2222-3333-4444-555555555555", "entitlements": [{"value": "allow-cluster-create"}]})).await;
    assert_eq!(
        sp,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"],
            "id": id(&sp),
            "applicationId": "11111111-2222-3333-4444-555555555555",
            "displayName": "ci",
            "active": true,
            "entitlements": [{"value": "allow-cluster-create"}],
        })
    );
    let dup = send(
        &api,
        "POST",
        "ServicePrincipals",
        ADMIN,
        Some(json!({"applicationId": "11111111-2222-3333-4444-555555555555"})),
    )
    .await;
    assert_eq!(scim_error(&dup).1, "uniqueness");
    let generated = create(&api, "ServicePrincipals", json!({"displayName": "gen"})).await;
    assert_eq!(generated["applicationId"].as_str().map(str::len), Some(36));
    let list = send(
        &api,
        "GET",
        "ServicePrincipals?filter=displayName%20sw%20%22g%22",
        ADMIN,
        None,
    )
    .await;
    assert_eq!(list.json["totalResults"], 1);
    // Users and service principals are listed apart.
    let users = send(&api, "GET", "Users", ADMIN, None).await;
    assert_eq!(users.json["totalResults"], 1);
    let immut = patch(
        &api,
        &format!("ServicePrincipals/{}", id(&sp)),
        json!([{"op": "replace", "path": "applicationId", "value": "x"}]),
    )
    .await;
    assert_eq!(scim_error(&immut).1, "mutability");
    assert_eq!(
        send(
            &api,
            "DELETE",
            &format!("ServicePrincipals/{}", id(&sp)),
            ADMIN,
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        send(
            &api,
            "GET",
            &format!("Users/{}", id(&generated)),
            ADMIN,
            None
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn paging_sorting_and_invalid_filters() {
    let api = Api::new();
    for n in ["d", "a", "c", "b"] {
        create(
            &api,
            "Users",
            json!({"userName": format!("{n}@example.com")}),
        )
        .await;
    }
    let page = send(&api, "GET", "Users?startIndex=2&count=2", ADMIN, None)
        .await
        .json;
    assert_eq!(
        (
            page["totalResults"].clone(),
            page["startIndex"].clone(),
            page["itemsPerPage"].clone()
        ),
        (json!(5), json!(2), json!(2))
    );
    let names = |v: &Value| -> Vec<String> {
        v["Resources"]
            .as_array()
            .expect("resources")
            .iter()
            .map(|r| r["userName"].as_str().expect("name").to_owned())
            .collect()
    };
    assert_eq!(names(&page), ["d@example.com", "a@example.com"]);
    let past = send(&api, "GET", "Users?startIndex=99", ADMIN, None)
        .await
        .json;
    assert_eq!(
        (past["Resources"].clone(), past["itemsPerPage"].clone()),
        (json!([]), json!(0))
    );
    let sorted = send(&api, "GET", "Users?sortBy=userName&sortOrder=descending&count=2&filter=userName%20ew%20%22example.com%22", ADMIN, None).await.json;
    assert_eq!(names(&sorted), ["d@example.com", "c@example.com"]);
    assert_eq!(sorted["totalResults"], 5);
    let combo = send(&api, "GET", "Users?filter=(userName%20sw%20%22a%22%20or%20userName%20sw%20%22b%22)%20and%20not%20(active%20eq%20false)", ADMIN, None).await.json;
    assert_eq!(combo["totalResults"], 3, "a, admin and b");
    for bad in [
        "userName%20eq",
        "userName%20foo%20%22x%22",
        "((userName%20pr)",
        "%22x%22",
    ] {
        let r = send(&api, "GET", &format!("Users?filter={bad}"), ADMIN, None).await;
        assert_eq!(scim_error(&r).0, 400, "{bad}");
        assert_eq!(r.json["scimType"], "invalidFilter", "{bad}");
    }
}

#[tokio::test]
async fn only_admins_change_identities_and_everyone_reads_themselves() {
    let api = Api::new();
    let token = api.user("eve@example.com");
    let eve = api.emu.principal("eve@example.com").expect("eve").id;
    for (method, path, body) in [
        (
            "POST",
            "Users".to_owned(),
            Some(json!({"userName": "x@example.com"})),
        ),
        (
            "POST",
            "Groups".to_owned(),
            Some(json!({"displayName": "g"})),
        ),
        (
            "PATCH",
            format!("Users/{eve}"),
            Some(json!({"Operations": [{"op": "replace", "path": "active", "value": true}]})),
        ),
        ("DELETE", "Users/1000000000000003".to_owned(), None),
    ] {
        let r = send(&api, method, &path, &token, body).await;
        assert_eq!(scim_error(&r).0, 403, "{method} {path}");
    }
    let me = send(&api, "GET", "Me", &token, None).await;
    assert_eq!(me.json["id"], eve);
    let own = send(&api, "GET", &format!("Users/{eve}"), &token, None).await;
    assert_eq!(own.json["emails"][0]["value"], "eve@example.com");
    let admin = send(&api, "GET", "Users/1000000000000003", &token, None)
        .await
        .json;
    assert_eq!(
        admin,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"],
            "id": "1000000000000003",
            "userName": "admin@example.com",
            "displayName": "admin@example.com",
        })
    );
}

#[tokio::test]
async fn deactivation_blocks_tokens_until_reactivated_and_delete_revokes() {
    let api = Api::new();
    let token = api.user("dan@example.com");
    let dan = api.emu.principal("dan@example.com").expect("dan").id;
    assert_eq!(api.get("/api/2.0/token/list", &token).await.status, 200);
    let r = patch(
        &api,
        &format!("Users/{dan}"),
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .await;
    assert_eq!(r.json["active"], false);
    let refused = api.get("/api/2.0/token/list", &token).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json["message"], "Invalid access token.");
    patch(
        &api,
        &format!("Users/{dan}"),
        json!([{"op": "replace", "value": {"active": true}}]),
    )
    .await;
    assert_eq!(api.get("/api/2.0/token/list", &token).await.status, 200);

    // ACLs on secret scopes name users and groups; deleting either removes them.
    let r = api
        .post(
            "/api/2.0/secrets/scopes/create",
            ADMIN,
            json!({"scope": "s"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let g = create(
        &api,
        "Groups",
        json!({"displayName": "readers", "members": [{"value": dan}]}),
    )
    .await;
    for principal in ["dan@example.com", "readers"] {
        let r = api
            .post(
                "/api/2.0/secrets/acls/put",
                ADMIN,
                json!({"scope": "s", "principal": principal, "permission": "READ"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    assert_eq!(
        acls(&api).await,
        ["admin@example.com", "dan@example.com", "readers"]
    );
    assert_eq!(
        send(&api, "DELETE", &format!("Groups/{}", id(&g)), ADMIN, None)
            .await
            .status,
        204
    );
    assert_eq!(acls(&api).await, ["admin@example.com", "dan@example.com"]);
    assert_eq!(
        send(&api, "DELETE", &format!("Users/{dan}"), ADMIN, None)
            .await
            .status,
        204
    );
    assert_eq!(acls(&api).await, ["admin@example.com"]);
    assert_eq!(api.get("/api/2.0/token/list", &token).await.status, 403);
}

#[tokio::test]
async fn scim_and_groups_2_0_are_one_store() {
    let api = Api::new();
    create(&api, "Users", json!({"userName": "fay@example.com"})).await;
    let r = api
        .post(
            "/api/2.0/groups/create",
            ADMIN,
            json!({"group_name": "legacy"}),
        )
        .await;
    assert_eq!(r.json, json!({"group_name": "legacy"}));
    api.post(
        "/api/2.0/groups/add-member",
        ADMIN,
        json!({"parent_name": "legacy", "user_name": "fay@example.com"}),
    )
    .await;
    let scim = send(
        &api,
        "GET",
        "Groups?filter=displayName%20eq%20%22legacy%22",
        ADMIN,
        None,
    )
    .await
    .json;
    let g = &scim["Resources"][0];
    assert_eq!(g["members"][0]["display"], "fay@example.com");
    let gid = id(g);
    patch(
        &api,
        &format!("Groups/{gid}"),
        json!([{"op": "replace", "path": "members", "value": []}]),
    )
    .await;
    let members = api
        .get("/api/2.0/groups/list-members?group_name=legacy", ADMIN)
        .await;
    assert_eq!(members.json, json!({}));
    let fay = send(
        &api,
        "GET",
        "Users?filter=userName%20eq%20%22fay%40example.com%22",
        ADMIN,
        None,
    )
    .await
    .json;
    assert!(fay["Resources"][0].get("groups").is_none());
}

/// `cargo test -p dbx-mock-server --release --test emulator -- --ignored --nocapture scim_users_list_latency`
#[tokio::test]
#[ignore = "timing: prints SCIM Users list latencies with 10,000 users"]
async fn scim_users_list_latency_with_10000_users() {
    let api = Api::new();
    for i in 0..10_000 {
        api.emu
            .create_user(&format!("user{i:05}@example.com"), false)
            .expect("user");
    }
    let t = Instant::now();
    let r = send(
        &api,
        "GET",
        "Users?filter=userName%20eq%20%22user07777%40example.com%22",
        ADMIN,
        None,
    )
    .await;
    let filtered = t.elapsed();
    assert_eq!(r.json["totalResults"], 1);
    let t = Instant::now();
    let r = send(
        &api,
        "GET",
        "Users?filter=userName%20co%20%2207777%22",
        ADMIN,
        None,
    )
    .await;
    let scan = t.elapsed();
    assert_eq!(r.json["totalResults"], 1);
    let t = Instant::now();
    let (mut start, mut seen, mut pages) = (1, 0, 0);
    loop {
        let r = send(
            &api,
            "GET",
            &format!("Users?startIndex={start}&count=100"),
            ADMIN,
            None,
        )
        .await;
        let n = r.json["Resources"].as_array().map_or(0, Vec::len);
        if n == 0 {
            break;
        }
        seen += n;
        start += n;
        pages += 1;
    }
    let walk = t.elapsed();
    assert_eq!(seen, 10_001);
    println!(
        "10,001 users: `userName eq` filter {filtered:?}; `userName co` scan {scan:?}; \
         full walk {pages} pages of 100 in {walk:?} ({:?}/page)",
        walk / pages
    );
}

async fn acls(api: &Api) -> Vec<String> {
    let r = api.get("/api/2.0/secrets/acls/list?scope=s", ADMIN).await;
    let mut p: Vec<String> = r.json["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| a["principal"].as_str().unwrap_or("").to_owned())
        .collect();
    p.sort();
    p
}
