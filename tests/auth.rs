//! Contract scenarios for authentication and the error model, shared by every API (against the
//! emulator, or any workspace: see `tests/README.md`).

use std::time::Duration;

use bytes::Bytes;
use dbx_contract_tests::{portable, snapshot, Harness};
use dbx_core::{ApiError, Client, Config, Request};
use dbx_mock_server::MockServer;
use dbx_token::TokenApi;
use serde_json::{json, Value};

async fn raw(
    h: &Harness,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
    content_type: Option<&str>,
) -> (u16, http::HeaderMap, Value) {
    let mut b = http::Request::builder()
        .method(method)
        .uri(format!("{}{}", h.base_url(), path));
    if let Some(a) = auth {
        b = b.header("authorization", a);
    }
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    let req = b.body(Bytes::from(body.to_string())).expect("request");
    let resp = h.send_raw(req).await.expect("an answer");
    let v = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
    (resp.status().as_u16(), resp.headers().clone(), v)
}

portable!(
    a_missing_or_unsupported_credential_is_401_with_an_integer_code,
    an_invalid_token_is_403_invalid_access_token,
    unknown_endpoints_and_wrong_methods_are_404_endpoint_not_found,
    malformed_json_is_400_malformed_request_and_changes_nothing,
    legacy_clients_are_understood,
);

async fn a_missing_or_unsupported_credential_is_401_with_an_integer_code(h: &Harness) {
    for auth in [
        None,
        Some("Basic YWRtaW46cGFzcw=="),
        Some("Bearer"),
        Some("dapi-no-scheme"),
    ] {
        let (status, headers, body) = raw(h, "GET", "/api/2.0/token/list", auth, "", None).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(body["error_code"], json!(401), "{auth:?}: {body}");
        let msg = body["message"].as_str().unwrap_or_default();
        assert!(
            msg.starts_with(
                "Credential was not sent or was of an unsupported type for this API. [ReqId: "
            ) && msg.ends_with(']'),
            "{msg}"
        );
        // The client-side parser types it and finds the request id in the message.
        let api = ApiError::from_response(
            http::StatusCode::UNAUTHORIZED,
            &headers,
            body.to_string().as_bytes(),
        );
        assert_eq!(api.error_code, "401");
        assert!(api.request_id.is_some());
        assert!(dbx_core::Error::from(api).is_unauthenticated());
    }
}

async fn an_invalid_token_is_403_invalid_access_token(h: &Harness) {
    let (status, headers, body) = raw(
        h,
        "GET",
        "/api/2.0/token/list",
        Some("Bearer dapi00000000000000000000000000000000"),
        "",
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"error_code": 403, "message": "Invalid access token."})
    );
    assert_eq!(
        headers
            .get("x-databricks-reason-phrase")
            .and_then(|v| v.to_str().ok()),
        Some("Invalid access token.")
    );
    let err = TokenApi::new(h.client_with_token("dapi-bogus"))
        .list()
        .await
        .expect_err("bogus");
    assert!(err.is_invalid_token());
    assert_eq!(err.error_code(), Some("403"));
    assert!(!err.is_permission_denied());
}

async fn unknown_endpoints_and_wrong_methods_are_404_endpoint_not_found(h: &Harness) {
    let cases = [
        (
            "GET",
            "/api/2.0/token/lis",
            "No API found for 'GET /token/lis'",
        ),
        (
            "DELETE",
            "/api/2.0/token/list",
            "No API found for 'DELETE /token/list'",
        ),
        (
            "GET",
            "/api/2.0/token/create",
            "No API found for 'GET /token/create'",
        ),
        (
            "POST",
            "/api/2.0/no/such/api",
            "No API found for 'POST /no/such/api'",
        ),
    ];
    for (method, path, message) in cases {
        let err = h
            .admin
            .execute(Request::new(method.parse().expect("method"), path))
            .await
            .expect_err("404");
        let api = err.api().expect("api error");
        assert_eq!(api.status.as_u16(), 404, "{method} {path}");
        assert_eq!(api.error_code, "ENDPOINT_NOT_FOUND");
        assert_eq!(api.message, message);
        assert!(
            !err.is_not_found(),
            "an unknown endpoint is not a missing resource"
        );
    }
    let err = h
        .admin
        .execute(Request::get("/api/2.9/token/list"))
        .await
        .expect_err("bad version");
    let api = err.api().expect("api error");
    assert_eq!(api.status.as_u16(), 404);
    assert_eq!(api.message, "Bad Target: /api/2.9/token/list");
}

async fn malformed_json_is_400_malformed_request_and_changes_nothing(h: &Harness) {
    let api = TokenApi::new(h.admin.clone());
    let before = api.list().await.expect("list");
    for body in ["{not json", "[1, 2]", "\"text\""] {
        let err = h
            .admin
            .execute(
                Request::post("/api/2.0/token/create").body(body.to_string(), "application/json"),
            )
            .await
            .expect_err("malformed");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{body}");
        assert_eq!(err.error_code(), Some("MALFORMED_REQUEST"), "{body}");
    }
    let err = h
        .admin
        .execute(
            Request::post("/api/2.0/token/create")
                .body(r#"{"lifetime_seconds": "soon"}"#, "application/json"),
        )
        .await
        .expect_err("wrong type");
    assert_eq!(err.error_code(), Some("MALFORMED_REQUEST"));
    let err = h
        .admin
        .execute(Request::post("/api/2.0/token/delete").body("{}", "application/json"))
        .await
        .expect_err("missing field");
    assert_eq!(err.error_code(), Some("INVALID_PARAMETER_VALUE"));
    let after = api.list().await.expect("list");
    if h.emulator().is_some() {
        assert_eq!(after.len(), before.len());
    } else {
        // A shared workspace: other scenarios' tokens come and go, but they all have comments.
        let new: Vec<_> = after
            .iter()
            .filter(|t| !before.iter().any(|b| b.token_id == t.token_id))
            .filter(|t| t.comment.is_none())
            .collect();
        assert!(new.is_empty(), "a malformed create made a token: {new:?}");
    }
}

async fn legacy_clients_are_understood(h: &Harness) {
    let admin = format!("Bearer {}", h.admin_token());
    // databricksapi 1.1.8: JSON bodies without a JSON content type, GET parameters in a body.
    let (status, _, body) = raw(
        h,
        "POST",
        "/api/2.0/token/create",
        Some(&admin),
        r#"{"lifetime_seconds": 600, "comment": "legacy"}"#,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body["token_info"]["token_id"]
        .as_str()
        .expect("id")
        .to_string();
    h.cleanup_token(&id);
    let (status, _, body) = raw(
        h,
        "POST",
        "/api/2.0/token/create",
        Some(&admin),
        r#"{"comment": "text/json"}"#,
        Some("text/json"),
    )
    .await;
    assert_eq!(status, 200);
    h.cleanup_token(body["token_info"]["token_id"].as_str().expect("id"));
    let (status, _, body) = raw(
        h,
        "GET",
        "/api/2.0/token/list",
        Some(&admin),
        "{}",
        Some("application/json"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["token_infos"]
        .as_array()
        .expect("list")
        .iter()
        .any(|t| t["token_id"] == json!(id)));
    let (status, _, _) = raw(
        h,
        "POST",
        "/api/2.0/token/delete",
        Some(&admin),
        &format!(r#"{{"token_id": "{id}"}}"#),
        Some("text/json"),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn me_answers_the_callers_identity() {
    let Some(h) = Harness::emulator_only("needs the emulator's known admin and users") else {
        return;
    };
    let me: Value = h
        .admin
        .call(Request::get("/api/2.0/preview/scim/v2/Me"))
        .await
        .expect("me");
    assert_eq!(me["userName"], json!("admin@example.com"));
    assert!(me["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .any(|g| g["display"] == json!("admins")));
    snapshot!(h, "me_admin");
    let alice = h.user("alice@example.com");
    let me: Value = alice
        .call(Request::get("/api/2.0/preview/scim/v2/Me"))
        .await
        .expect("me");
    assert_eq!(me["userName"], json!("alice@example.com"));
    assert!(!me["groups"]
        .as_array()
        .map(|g| g.iter().any(|g| g["display"] == json!("admins")))
        .unwrap_or(false));
}

#[tokio::test]
async fn oauth_m2m_end_to_end_with_expiry_and_refresh() {
    let Some(h) = Harness::emulator_only("needs a service principal, the clock and the journal")
    else {
        return;
    };
    h.emu().clock().freeze();
    let sp = h
        .emu()
        .create_service_principal("ci-bot", false)
        .expect("sp");
    let config = Config::builder()
        .host(h.emu().base_url())
        .client_id(sp.application_id.clone())
        .client_secret(sp.client_secret.clone())
        .build()
        .expect("config");
    let client = Client::with_transport(config, h.emu().transport());
    let me: Value = client
        .call(Request::get("/api/2.0/preview/scim/v2/Me"))
        .await
        .expect("me");
    assert_eq!(me["userName"], json!(sp.application_id));
    // The service principal can make its own PATs.
    TokenApi::new(client.clone())
        .create()
        .comment("sp pat")
        .send()
        .await
        .expect("sp token");
    // The access token expires after an hour of emulator time; the client notices the 403,
    // fetches a new token and repeats the call once.
    h.emu().clock().advance(Duration::from_secs(3601));
    TokenApi::new(client.clone())
        .list()
        .await
        .expect("refreshed");
    let token_calls = h
        .emu()
        .journal()
        .iter()
        .filter(|e| e.path == "/oidc/v1/token")
        .count();
    assert_eq!(token_calls, 2);

    let bad = Config::builder()
        .host(h.emu().base_url())
        .client_id(sp.application_id.clone())
        .client_secret("wrong")
        .build()
        .expect("config");
    let err = Client::with_transport(bad, h.emu().transport())
        .call::<Value>(Request::get("/api/2.0/token/list"))
        .await
        .expect_err("bad secret");
    assert!(
        matches!(err, dbx_core::Error::OAuth { ref error, status: 401, .. } if error == "invalid_client"),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_journal_records_calls_without_secrets() {
    let Some(h) = Harness::emulator_only("needs the journal") else {
        return;
    };
    let api = TokenApi::new(h.admin.clone());
    let created = api.create().send().await.expect("create");
    use dbx_core::ExposeSecret;
    let value = created.token_value.expose_secret().to_string();
    TokenApi::new(h.client_with_token(&value))
        .list()
        .await
        .expect("list");
    let journal = h.emu().journal();
    let paths: Vec<_> = journal
        .iter()
        .map(|e| (e.method.as_str(), e.path.as_str(), e.status))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("POST", "/api/2.0/token/create", 200),
            ("GET", "/api/2.0/token/list", 200)
        ]
    );
    let dump = format!("{journal:?}");
    assert!(
        !dump.contains(&value) && !dump.contains(&h.emu().admin_token()),
        "{dump}"
    );
}

#[tokio::test]
async fn trace_logs_of_a_full_session_never_contain_credentials() {
    let Some(_) = Harness::emulator_only("needs the emulator's own logs") else {
        return;
    };
    // Start capturing before the session.
    dbx_contract_tests::captured_logs();

    // Over a real socket, with reqwest, hyper and the emulator all logging at TRACE.
    let server = MockServer::start().await.expect("server");
    let admin_token = server.admin_token().to_string();
    let config = Config::builder()
        .host(server.url())
        .token(admin_token.clone())
        .build()
        .expect("config");
    let admin = TokenApi::new(Client::new(config).expect("client"));
    let created = admin
        .create()
        .comment("traced")
        .send()
        .await
        .expect("create");
    use dbx_core::ExposeSecret;
    let pat = created.token_value.expose_secret().to_string();
    let own = Client::new(
        Config::builder()
            .host(server.url())
            .token(pat.clone())
            .build()
            .expect("config"),
    )
    .expect("client");
    TokenApi::new(own.clone()).list().await.expect("list");
    admin
        .delete(&created.token_info.token_id)
        .await
        .expect("revoke");
    let err = TokenApi::new(own).list().await.expect_err("revoked");
    assert!(format!("{err} {err:?}").find(&pat).is_none());

    // OAuth M2M too.
    let sp = server
        .emulator()
        .create_service_principal("traced-sp", false)
        .expect("sp");
    let m2m = Client::new(
        Config::builder()
            .host(server.url())
            .client_id(sp.application_id.clone())
            .client_secret(sp.client_secret.clone())
            .build()
            .expect("config"),
    )
    .expect("client");
    let _: Value = m2m
        .call(Request::get("/api/2.0/preview/scim/v2/Me"))
        .await
        .expect("me");
    drop(server);

    let text = dbx_contract_tests::captured_logs();
    assert!(text.contains("dbx.request"), "spans are recorded");
    assert!(text.contains("path=/api/2.0/token/list"), "{text}");
    assert!(text.contains("status=200"), "{text}");
    for secret in [
        admin_token.as_str(),
        pat.as_str(),
        sp.client_secret.as_str(),
    ] {
        assert!(!text.contains(secret), "a credential leaked into the logs");
    }
    assert!(
        !text.to_ascii_lowercase().contains("authorization: bearer"),
        "an Authorization header was logged"
    );
}
