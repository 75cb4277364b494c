//! Groups API 2.0 over the shared identity model.

use serde_json::{json, Value};

use crate::support::{Api, ADMIN};

async fn post(api: &Api, path: &str, token: &str, body: Value) -> (u16, Value) {
    let r = api
        .post(&format!("/api/2.0/groups/{path}"), token, body)
        .await;
    (r.status, r.json)
}

async fn get(api: &Api, path: &str) -> (u16, Value) {
    let r = api.get(&format!("/api/2.0/groups/{path}"), ADMIN).await;
    (r.status, r.json)
}

#[tokio::test]
async fn every_endpoint() {
    let api = Api::new();
    api.user("gil@example.com");
    assert_eq!(
        post(&api, "create", ADMIN, json!({"group_name": "eng"})).await,
        (200, json!({"group_name": "eng"}))
    );
    assert_eq!(
        post(&api, "create", ADMIN, json!({"group_name": "ml"}))
            .await
            .0,
        200
    );
    assert_eq!(
        post(&api, "create", ADMIN, json!({"group_name": "ENG"})).await,
        (
            400,
            json!({"error_code": "RESOURCE_ALREADY_EXISTS", "message": "Group with name ENG already exists."})
        )
    );
    assert_eq!(
        get(&api, "list").await.1,
        json!({"group_names": ["admins", "users", "eng", "ml"]})
    );
    assert_eq!(
        post(
            &api,
            "add-member",
            ADMIN,
            json!({"parent_name": "eng", "user_name": "gil@example.com"})
        )
        .await,
        (200, json!({}))
    );
    assert_eq!(
        post(
            &api,
            "add-member",
            ADMIN,
            json!({"parent_name": "ml", "group_name": "eng"})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        get(&api, "list-members?group_name=eng").await.1,
        json!({"members": [{"user_name": "gil@example.com"}]})
    );
    assert_eq!(
        get(&api, "list-members?group_name=ml").await.1,
        json!({"members": [{"group_name": "eng"}]})
    );
    // Direct parents only.
    assert_eq!(
        get(&api, "list-parents?user_name=gil@example.com").await.1,
        json!({"group_names": ["eng"]})
    );
    assert_eq!(
        get(&api, "list-parents?group_name=eng").await.1,
        json!({"group_names": ["ml"]})
    );
    // Everyone is in `users`.
    let users = get(&api, "list-members?group_name=users").await.1;
    assert_eq!(
        users,
        json!({"members": [{"user_name": "admin@example.com"}, {"user_name": "gil@example.com"}]})
    );

    assert_eq!(
        post(
            &api,
            "remove-member",
            ADMIN,
            json!({"parent_name": "ml", "group_name": "eng"})
        )
        .await,
        (200, json!({}))
    );
    assert_eq!(
        post(
            &api,
            "remove-member",
            ADMIN,
            json!({"parent_name": "ml", "group_name": "eng"})
        )
        .await
        .1["error_code"],
        "RESOURCE_DOES_NOT_EXIST"
    );
    assert_eq!(
        post(&api, "delete", ADMIN, json!({"group_name": "eng"})).await,
        (200, json!({}))
    );
    assert_eq!(
        get(&api, "list-parents?user_name=gil@example.com").await.1,
        json!({})
    );
    assert_eq!(
        post(&api, "delete", ADMIN, json!({"group_name": "eng"})).await,
        (
            404,
            json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Group eng does not exist."})
        )
    );
}

#[tokio::test]
async fn errors() {
    let api = Api::new();
    let token = api.user("hal@example.com");
    let (s, j) = post(&api, "create", &token, json!({"group_name": "x"})).await;
    assert_eq!(
        (s, j["error_code"].clone()),
        (403, json!("PERMISSION_DENIED"))
    );
    // Reads are open to everyone.
    assert_eq!(api.get("/api/2.0/groups/list", &token).await.status, 200);
    for body in [
        json!({"parent_name": "admins"}),
        json!({"parent_name": "admins", "user_name": "hal@example.com", "group_name": "users"}),
    ] {
        let (s, j) = post(&api, "add-member", ADMIN, body).await;
        assert_eq!(
            (s, j["error_code"].clone()),
            (400, json!("INVALID_PARAMETER_VALUE"))
        );
    }
    let (s, j) = post(
        &api,
        "add-member",
        ADMIN,
        json!({"parent_name": "nope", "user_name": "hal@example.com"}),
    )
    .await;
    assert_eq!(
        (s, j["error_code"].clone()),
        (404, json!("RESOURCE_DOES_NOT_EXIST"))
    );
    let (s, j) = post(
        &api,
        "add-member",
        ADMIN,
        json!({"parent_name": "admins", "user_name": "nobody@example.com"}),
    )
    .await;
    assert_eq!(
        (s, j),
        (
            404,
            json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "User nobody@example.com does not exist."})
        )
    );
    assert_eq!(get(&api, "list-members?group_name=nope").await.0, 404);
    assert_eq!(
        get(&api, "list-members").await.1["error_code"],
        "INVALID_PARAMETER_VALUE"
    );
    for g in ["admins", "users"] {
        let (s, j) = post(&api, "delete", ADMIN, json!({"group_name": g})).await;
        assert_eq!(
            (s, j["error_code"].clone()),
            (400, json!("INVALID_PARAMETER_VALUE")),
            "{g}"
        );
    }
    // The original package's createGroup URL.
    let (s, j) = post(&api, "group", ADMIN, json!({"group_name": "x"})).await;
    assert_eq!(
        (s, j),
        (
            404,
            json!({"error_code": "ENDPOINT_NOT_FOUND", "message": "No API found for 'POST /groups/group'"})
        )
    );
    // Adding a user to `admins` makes it an admin.
    post(
        &api,
        "add-member",
        ADMIN,
        json!({"parent_name": "admins", "user_name": "hal@example.com"}),
    )
    .await;
    assert_eq!(
        post(&api, "create", &token, json!({"group_name": "x"}))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn get_parameters_in_a_json_body_as_the_original_package_sends_them() {
    let api = Api::new();
    let r = api
        .send(
            "GET",
            "/api/2.0/groups/list-members",
            Some(ADMIN),
            None,
            json!({"group_name": "admins"}).to_string(),
        )
        .await;
    assert_eq!(
        r.json,
        json!({"members": [{"user_name": "admin@example.com"}]})
    );
}
