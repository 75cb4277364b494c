//! Routing, versions, parameters and bodies (docs/emulator.md, "What every request goes through").

use bytes::Bytes;
use dbx_mock_server::Emulator;
use serde_json::json;

use crate::support::{Api, ADMIN};

fn not_found(method: &str, path: &str) -> serde_json::Value {
    json!({
        "error_code": "ENDPOINT_NOT_FOUND",
        "message": format!("No API found for '{method} {path}'"),
    })
}

#[tokio::test]
async fn unknown_route_is_endpoint_not_found() {
    let api = Api::new();
    let r = api.get("/api/2.0/token/lis", ADMIN).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json, not_found("GET", "/token/lis"));
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn wrong_method_is_endpoint_not_found_never_405() {
    let api = Api::new();
    // (PATCH token/list is routed: it is `PATCH token/{token_id}` for the id "list".)
    for method in ["DELETE", "PUT", "POST", "HEAD", "OPTIONS"] {
        let r = api
            .send(
                method,
                "/api/2.0/token/list",
                Some(ADMIN),
                None,
                Bytes::new(),
            )
            .await;
        assert_eq!(r.status, 404, "{method}");
        if method != "HEAD" {
            assert_eq!(r.json, not_found(method, "/token/list"));
        }
    }
    let r = api
        .post("/api/2.0/token/create/extra", ADMIN, json!({}))
        .await;
    assert_eq!(r.json, not_found("POST", "/token/create/extra"));
}

#[tokio::test]
async fn token_routes_exist_on_2_0_only() {
    let api = Api::new();
    for v in ["2.1", "2.2"] {
        let r = api.get(&format!("/api/{v}/token/list"), ADMIN).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.json, not_found("GET", "/token/list"));
    }
}

#[tokio::test]
async fn unknown_version_is_bad_target() {
    let api = Api::new();
    let r = api.get("/api/2.9/token/list", ADMIN).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json, json!({"error": "Bad Target: /api/2.9/token/list"}));
    for path in ["/api", "/api/", "/api/1.2/clusters/list", "/api/token/list"] {
        let r = api.get(path, ADMIN).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json, json!({"error": format!("Bad Target: {path}")}));
    }
}

#[tokio::test]
async fn paths_outside_the_api_are_endpoint_not_found() {
    let api = Api::new();
    for path in [
        "/",
        "/foo",
        "/apix/2.0/token/list",
        "/oidc/v1/nope",
        "/__mock/nope",
    ] {
        let r = api.send("GET", path, None, None, Bytes::new()).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json, not_found("GET", path), "{path}");
        assert!(r.header("x-request-id").is_some());
    }
    let r = api.get("/api/2.0", ADMIN).await;
    assert_eq!(r.json, not_found("GET", "/"));
}

#[tokio::test]
async fn trailing_slash_is_tolerated() {
    let api = Api::new();
    assert_eq!(api.get("/api/2.0/token/list/", ADMIN).await.status, 200);
    assert_eq!(
        api.get("/api/2.0/preview/scim/v2/Me/", ADMIN).await.status,
        200
    );
}

#[tokio::test]
async fn malformed_json_is_rejected_exactly() {
    let api = Api::new();
    for body in ["{", "{\"comment\":}", "nul", "\u{0}"] {
        let r = api
            .send(
                "POST",
                "/api/2.0/token/create",
                Some(ADMIN),
                Some("application/json"),
                body,
            )
            .await;
        assert_eq!(r.status, 400, "{body:?}");
        assert_eq!(
            r.json,
            json!({
                "error_code": "MALFORMED_REQUEST",
                "message": "Invalid JSON given in the body of the request - failed to parse given JSON"
            })
        );
    }
    for body in ["[]", "1", "\"s\"", "null", "true"] {
        let r = api
            .send(
                "POST",
                "/api/2.0/token/create",
                Some(ADMIN),
                Some("application/json"),
                body,
            )
            .await;
        assert_eq!(r.status, 400, "{body:?}");
        assert_eq!(
            r.json,
            json!({
                "error_code": "MALFORMED_REQUEST",
                "message": "Invalid JSON given in the body of the request - expected a map"
            })
        );
    }
}

#[tokio::test]
async fn get_params_come_from_the_body_and_the_query_which_wins() {
    let api = Api::new();
    // GET with a JSON body (legacy clients).
    let r = api
        .send(
            "GET",
            "/api/2.0/preview/scim/v2/Me",
            Some(ADMIN),
            Some("application/json"),
            r#"{"attributes":"userName"}"#,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["userName"], "admin@example.com");
    assert!(r.json.get("emails").is_none(), "{}", r.json);
    // Query only.
    let r = api
        .get("/api/2.0/preview/scim/v2/Me?attributes=emails", ADMIN)
        .await;
    assert!(r.json.get("emails").is_some() && r.json.get("userName").is_none());
    // Both: the query wins.
    let r = api
        .send(
            "GET",
            "/api/2.0/preview/scim/v2/Me?attributes=displayName",
            Some(ADMIN),
            None,
            r#"{"attributes":"userName"}"#,
        )
        .await;
    assert!(r.json.get("displayName").is_some(), "{}", r.json);
    assert!(r.json.get("userName").is_none(), "{}", r.json);
}

#[tokio::test]
async fn bodies_are_json_whatever_the_content_type() {
    let api = Api::new();
    for ct in [
        Some("application/json"),
        Some("text/json"),
        Some("application/json; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        None,
    ] {
        let r = api
            .send(
                "POST",
                "/api/2.0/token/create",
                Some(ADMIN),
                ct,
                r#"{"comment":"ct"}"#,
            )
            .await;
        assert_eq!(r.status, 200, "{ct:?}: {:?}", r.json);
        assert_eq!(r.json["token_info"]["comment"], "ct");
    }
    // An empty body is {}.
    let r = api
        .send(
            "POST",
            "/api/2.0/token/create",
            Some(ADMIN),
            None,
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, 200);
    // A real form body is not JSON.
    let r = api
        .send(
            "POST",
            "/api/2.0/token/create",
            Some(ADMIN),
            Some("application/x-www-form-urlencoded"),
            "comment=x",
        )
        .await;
    assert_eq!(r.error().1, "MALFORMED_REQUEST");
}

#[tokio::test]
async fn typed_parameters_report_missing_and_wrong_types() {
    let api = Api::new();
    let r = api.post("/api/2.0/token/delete", ADMIN, json!({})).await;
    assert_eq!(
        r.error(),
        (
            400,
            json!("INVALID_PARAMETER_VALUE"),
            json!("Missing required field: token_id")
        )
    );
    let r = api
        .post("/api/2.0/token/delete", ADMIN, json!({"token_id": 7}))
        .await;
    assert_eq!(
        r.error(),
        (
            400,
            json!("MALFORMED_REQUEST"),
            json!("Could not parse request object: Expected string for field 'token_id'")
        )
    );
    let r = api
        .post(
            "/api/2.0/token/create",
            ADMIN,
            json!({"lifetime_seconds": "soon"}),
        )
        .await;
    assert_eq!(
        r.error(),
        (
            400,
            json!("MALFORMED_REQUEST"),
            json!("Could not parse request object: Expected int64 for field 'lifetime_seconds'")
        )
    );
    let r = api
        .post("/api/2.0/token/create", ADMIN, json!({"scopes": "all"}))
        .await;
    assert_eq!(r.error().1, "MALFORMED_REQUEST");
    // Numbers in strings (as a query string would carry them) are fine.
    let r = api
        .post(
            "/api/2.0/token/create?lifetime_seconds=60",
            ADMIN,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    let info = &r.json["token_info"];
    assert_eq!(
        info["expiry_time"].as_i64().expect("expiry") - info["creation_time"].as_i64().expect("c"),
        60_000
    );
}

#[tokio::test]
async fn body_size_limit_is_413() {
    let api = Api::with(Emulator::builder().max_body_bytes(64).build());
    let big = format!(r#"{{"comment":"{}"}}"#, "x".repeat(100));
    let expected = json!({
        "error_code": "BAD_REQUEST",
        "message": "Request body is too large (limit 64 bytes)"
    });
    // With a Content-Length header...
    let req = http::Request::post(format!("{}/api/2.0/token/create", api.emu.base_url()))
        .header("authorization", format!("Bearer {ADMIN}"))
        .header("content-length", big.len().to_string())
        .body(Bytes::from(big.clone()))
        .expect("request");
    let r = api.raw(req).await;
    assert_eq!((r.status, &r.json), (413, &expected));
    // ... and without one (counted while reading).
    let r = api
        .send("POST", "/api/2.0/token/create", Some(ADMIN), None, big)
        .await;
    assert_eq!((r.status, &r.json), (413, &expected));
    // Exactly at the limit is fine.
    let ok = format!(r#"{{"comment":"{}"}}"#, "y".repeat(64 - 14));
    assert_eq!(ok.len(), 64);
    let r = api
        .send("POST", "/api/2.0/token/create", Some(ADMIN), None, ok)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    // The admin routes have the same limit.
    let r = api
        .send("POST", "/__mock/users", None, None, "x".repeat(65))
        .await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn dbfs_put_takes_uploads_larger_than_the_general_limit() {
    // DBFS `put` accepts multipart files of up to 2 GB, whatever the emulator's general limit.
    let api = Api::with(Emulator::builder().max_body_bytes(64).build());
    let data = "z".repeat(4096);
    let body = format!(
        "--b\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/big.txt\r\n\
         --b\r\nContent-Disposition: form-data; name=\"contents\"; filename=\"big.txt\"\r\n\r\n{data}\r\n--b--\r\n"
    );
    let r = api
        .send(
            "POST",
            "/api/2.0/dbfs/put",
            Some(ADMIN),
            Some("multipart/form-data; boundary=b"),
            body,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let r = api
        .get("/api/2.0/dbfs/get-status?path=/big.txt", ADMIN)
        .await;
    assert_eq!(r.json["file_size"], 4096);
    // Other routes keep the general limit.
    let r = api
        .send(
            "POST",
            "/api/2.0/dbfs/mkdirs",
            Some(ADMIN),
            None,
            format!(r#"{{"path":"/{}"}}"#, "d".repeat(100)),
        )
        .await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn every_response_has_a_fresh_request_id() {
    let api = Api::new();
    let a = api.get("/api/2.0/token/list", ADMIN).await;
    let b = api.get("/api/2.0/token/list", ADMIN).await;
    let c = api
        .send("GET", "/__mock/health", None, None, Bytes::new())
        .await;
    let ids: Vec<_> = [&a, &b, &c]
        .iter()
        .map(|r| r.header("x-request-id").expect("id").to_owned())
        .collect();
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
}
