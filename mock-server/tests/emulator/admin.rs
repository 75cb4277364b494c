//! The `/__mock` control API.

use bytes::Bytes;
use serde_json::{json, Value};

use crate::support::{Api, Resp, ADMIN};

async fn admin(api: &Api, method: &str, path: &str, body: Value) -> Resp {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    api.send(method, path, None, Some("application/json"), body)
        .await
}

#[tokio::test]
async fn seeding_users_service_principals_tokens_and_groups() {
    let api = Api::new();
    let r = admin(&api, "GET", "/__mock/health", Value::Null).await;
    assert_eq!((r.status, &r.json), (200, &json!({"status": "ok"})));

    let r = admin(
        &api,
        "POST",
        "/__mock/users",
        json!({"user_name": "eve@example.com", "display_name": "Eve", "admin": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["id"], "1000000000000004");
    assert_eq!(r.json["display_name"], "Eve");
    let r = admin(
        &api,
        "POST",
        "/__mock/users",
        json!({"user_name": "EVE@example.com"}),
    )
    .await;
    assert_eq!(r.error().1, "RESOURCE_ALREADY_EXISTS");
    let r = admin(&api, "POST", "/__mock/users", json!({})).await;
    assert_eq!(
        r.error(),
        (
            400,
            json!("INVALID_PARAMETER_VALUE"),
            json!("Missing required field: user_name")
        )
    );

    let r = admin(
        &api,
        "POST",
        "/__mock/tokens",
        json!({"principal": "eve@example.com", "comment": "seed"}),
    )
    .await;
    let eve = r.json["token_value"].as_str().expect("token").to_owned();
    assert!(r.json["token_id"].is_string());
    let me = api.get("/api/2.0/preview/scim/v2/Me", &eve).await;
    assert_eq!(me.json["displayName"], "Eve");
    assert_eq!(me.json["groups"][0]["display"], "admins");

    let r = admin(
        &api,
        "POST",
        "/__mock/service-principals",
        json!({"display_name": "bot"}),
    )
    .await;
    let app_id = r.json["application_id"]
        .as_str()
        .expect("app id")
        .to_owned();
    assert!(uuid::Uuid::parse_str(&app_id).is_ok());
    assert!(r.json["client_secret"].is_string() && r.json["id"].is_string());

    let r = admin(&api, "POST", "/__mock/groups", json!({"name": "data"})).await;
    assert_eq!(r.json["display_name"], "data");
    let r = admin(
        &api,
        "POST",
        "/__mock/groups/members",
        json!({"group": "data", "member": app_id}),
    )
    .await;
    assert_eq!((r.status, &r.json), (200, &json!({})));
    let r = admin(
        &api,
        "POST",
        "/__mock/groups/members",
        json!({"group": "nope", "member": app_id}),
    )
    .await;
    assert_eq!(r.error().1, "RESOURCE_DOES_NOT_EXIST");
    let r = admin(
        &api,
        "POST",
        "/__mock/tokens",
        json!({"principal": "ghost"}),
    )
    .await;
    assert_eq!(r.error().0, 404);
}

#[tokio::test]
async fn clock_control() {
    let api = Api::new();
    let r = admin(
        &api,
        "POST",
        "/__mock/clock",
        json!({"set_ms": 1_000, "freeze": true}),
    )
    .await;
    assert_eq!(
        r.json,
        json!({"now_ms": 1_000, "frozen": true, "mode": "system"})
    );
    let r = admin(&api, "POST", "/__mock/clock", json!({"advance_ms": 500})).await;
    assert_eq!(
        r.json,
        json!({"now_ms": 1_500, "frozen": true, "mode": "system"})
    );
    let r = admin(&api, "GET", "/__mock/clock", Value::Null).await;
    assert_eq!(
        r.json,
        json!({"now_ms": 1_500, "frozen": true, "mode": "system"})
    );
    let r = admin(&api, "POST", "/__mock/clock", json!({"advance_ms": -1})).await;
    assert_eq!(r.error().1, "INVALID_PARAMETER_VALUE");
    let r = admin(&api, "POST", "/__mock/clock", json!({"freeze": false})).await;
    assert_eq!(r.json["frozen"], false);
    assert!(r.json["now_ms"].as_i64().expect("now") >= 1_500);
}

#[tokio::test]
async fn journal_and_reset_over_http() {
    let api = Api::new();
    api.emu
        .create_user("gone@example.com", false)
        .expect("user");
    api.get("/api/2.0/token/list", ADMIN).await;
    let r = admin(&api, "GET", "/__mock/journal", Value::Null).await;
    assert_eq!(r.json["entries"].as_array().map(Vec::len), Some(1));
    let r = admin(&api, "DELETE", "/__mock/journal", Value::Null).await;
    assert_eq!(r.status, 200);
    assert!(api.emu.journal().is_empty());

    admin(
        &api,
        "POST",
        "/__mock/clock",
        json!({"set_ms": 5, "freeze": true}),
    )
    .await;
    let r = admin(&api, "POST", "/__mock/reset", Value::Null).await;
    assert_eq!((r.status, &r.json), (200, &json!({})));
    assert!(api.emu.principal("gone@example.com").is_none());
    assert!(!api.emu.clock().is_frozen());
    assert!(api.emu.clock().now_ms() > 1_000_000_000_000);
    assert_eq!(api.get("/api/2.0/token/list", ADMIN).await.status, 200);
    // Ids start over.
    let p = api
        .emu
        .create_user("again@example.com", false)
        .expect("user");
    assert_eq!(p.id, "1000000000000004");
}

#[tokio::test]
async fn admin_errors_use_the_databricks_envelope() {
    let api = Api::new();
    let r = admin(&api, "PUT", "/__mock/users", json!({})).await;
    assert_eq!(
        r.json,
        json!({"error_code": "ENDPOINT_NOT_FOUND", "message": "No API found for 'PUT /__mock/users'"})
    );
    let r = api
        .send(
            "POST",
            "/__mock/users",
            None,
            None,
            Bytes::from_static(b"{"),
        )
        .await;
    assert_eq!(r.error().1, "MALFORMED_REQUEST");
    let r = admin(&api, "POST", "/__mock/users", json!({"user_name": 5})).await;
    assert_eq!(r.error().1, "MALFORMED_REQUEST");
    // Not journaled, no auth needed.
    assert!(api.emu.journal().is_empty());
}
