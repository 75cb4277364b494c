//! Bearer authentication (<https://docs.databricks.com/en/dev-tools/auth/pat.html>).

use bytes::Bytes;
use serde_json::json;

use crate::support::{Api, ADMIN};

#[tokio::test]
async fn missing_credentials_are_401_with_integer_code_and_request_id() {
    let api = Api::new();
    let r = api
        .send("GET", "/api/2.0/token/list", None, None, Bytes::new())
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let rid = r.header("x-request-id").expect("request id").to_owned();
    assert_eq!(
        uuid::Uuid::parse_str(&rid)
            .map(|u| u.get_version_num())
            .ok(),
        Some(4)
    );
    assert_eq!(
        r.json,
        json!({
            "error_code": 401,
            "message": format!(
                "Credential was not sent or was of an unsupported type for this API. [ReqId: {rid}]"
            ),
        })
    );
}

#[tokio::test]
async fn unsupported_schemes_are_401() {
    let api = Api::new();
    for value in [
        "Basic YWRtaW46cGFzcw==",
        ADMIN,
        "Bearer",
        "Bearer   ",
        "Token abc",
    ] {
        let req = http::Request::get(format!("{}/api/2.0/token/list", api.emu.base_url()))
            .header("authorization", value)
            .body(Bytes::new())
            .expect("request");
        let r = api.raw(req).await;
        assert_eq!(r.status, 401, "{value}");
        assert_eq!(r.json["error_code"], 401);
    }
}

#[tokio::test]
async fn unknown_token_is_403_with_reason_phrase() {
    let api = Api::new();
    let r = api
        .get(
            "/api/2.0/token/list",
            "dapi00000000000000000000000000000000",
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json,
        json!({"error_code": 403, "message": "Invalid access token."})
    );
    assert_eq!(
        r.header("x-databricks-reason-phrase"),
        Some("Invalid access token.")
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let api = Api::new();
    let req = http::Request::get(format!("{}/api/2.0/token/list", api.emu.base_url()))
        .header("authorization", format!("bearer {ADMIN}"))
        .body(Bytes::new())
        .expect("request");
    assert_eq!(api.raw(req).await.status, 200);
}

#[tokio::test]
async fn authentication_happens_before_route_lookup() {
    let api = Api::new();
    let r = api
        .send("GET", "/api/2.0/no/such/route", None, None, Bytes::new())
        .await;
    assert_eq!(r.status, 401);
    let r = api.get("/api/2.0/no/such/route", "bogus").await;
    assert_eq!(r.status, 403);
    let r = api.get("/api/2.0/no/such/route", ADMIN).await;
    assert_eq!(r.status, 404);
}

/// A state route reads and parses its body before it authenticates (both under one state lock),
/// but an authentication error still wins over anything wrong with the body: broken JSON, a
/// wrong field type, a body over the limit, a broken multipart body.
#[tokio::test]
async fn authentication_errors_win_over_body_errors() {
    let api = Api::new();
    let big = vec![b'x'; 11 * 1024 * 1024];
    let cases: [(&str, Option<&str>, Bytes); 4] = [
        (
            "/api/2.0/secrets/scopes/create",
            None,
            Bytes::from_static(b"{not json"),
        ),
        (
            "/api/2.0/secrets/scopes/create",
            None,
            Bytes::from_static(br#"{"scope": 7}"#),
        ),
        ("/api/2.0/dbfs/put", None, Bytes::from(big)),
        (
            "/api/2.0/dbfs/put",
            Some("multipart/form-data; boundary=b"),
            Bytes::from_static(b"--b\r\nbroken"),
        ),
    ];
    for (path, content_type, body) in cases {
        let none = api
            .send("POST", path, None, content_type, body.clone())
            .await;
        assert_eq!(
            (none.status, &none.json["error_code"]),
            (401, &json!(401)),
            "{path}"
        );
        let bogus = api
            .send("POST", path, Some("bogus"), content_type, body.clone())
            .await;
        assert_eq!(bogus.status, 403, "{path}");
        assert_eq!(bogus.json["message"], "Invalid access token.", "{path}");
        let admin = api
            .send("POST", path, Some(ADMIN), content_type, body)
            .await;
        assert!(
            [400, 413].contains(&admin.status),
            "{path}: {} {}",
            admin.status,
            admin.json
        );
    }
    // Nothing was created by the refused requests.
    let scopes = api.get("/api/2.0/secrets/scopes/list", ADMIN).await;
    assert_eq!(scopes.json, json!({}));
}

#[tokio::test]
async fn scim_me_describes_the_caller() {
    let api = Api::new();
    let r = api.get("/api/2.0/preview/scim/v2/Me", ADMIN).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let probe = api.emu.create_group("probe").expect("group").id;
    // ids: admins, users, admin user, then the probe group.
    assert_eq!(probe, "1000000000000004");
    assert_eq!(
        r.json,
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"
            ],
            "id": "1000000000000003",
            "userName": "admin@example.com",
            "displayName": "admin@example.com",
            "active": true,
            "emails": [{"type": "work", "value": "admin@example.com", "primary": true}],
            "groups": [{
                "display": "admins",
                "value": "1000000000000001",
                "$ref": "Groups/1000000000000001",
                "type": "direct"
            }],
        })
    );
}

#[tokio::test]
async fn scim_me_lists_direct_and_indirect_groups_and_omits_empty_groups() {
    let api = Api::new();
    let token = api.user("bob@example.com");
    let r = api.get("/api/2.0/preview/scim/v2/Me", &token).await;
    assert_eq!(r.json["userName"], "bob@example.com");
    assert!(
        r.json.get("groups").is_none(),
        "no explicit groups: {}",
        r.json
    );
    api.emu.create_group("team").expect("group");
    api.emu.create_group("dept").expect("group");
    api.emu
        .add_group_member("team", "bob@example.com")
        .expect("member");
    api.emu.add_group_member("dept", "team").expect("member");
    let r = api.get("/api/2.0/preview/scim/v2/Me", &token).await;
    let groups: Vec<(&str, &str)> = r.json["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["display"].as_str().expect("display"),
                g["type"].as_str().expect("type"),
            )
        })
        .collect();
    assert_eq!(groups, [("team", "direct"), ("dept", "indirect")]);
}

#[tokio::test]
async fn inactive_or_unknown_token_owner_cannot_authenticate_after_reset() {
    let api = Api::new();
    let token = api.user("carol@example.com");
    assert_eq!(api.get("/api/2.0/token/list", &token).await.status, 200);
    api.emu.reset();
    assert_eq!(api.get("/api/2.0/token/list", &token).await.status, 403);
    assert_eq!(api.get("/api/2.0/token/list", ADMIN).await.status, 200);
}
