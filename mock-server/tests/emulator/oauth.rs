//! OAuth M2M (<https://docs.databricks.com/en/dev-tools/auth/oauth-m2m.html>).

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use dbx_mock_server::ServicePrincipal;
use serde_json::json;

use crate::support::{Api, Resp, ADMIN};

const FORM: &str = "application/x-www-form-urlencoded";

fn basic(id: &str, secret: &str) -> String {
    let raw = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

async fn token_request(api: &Api, authorization: Option<&str>, form: &str) -> Resp {
    let mut req = http::Request::post(format!("{}/oidc/v1/token", api.emu.base_url()))
        .header("content-type", FORM);
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    api.raw(req.body(Bytes::from(form.to_owned())).expect("request"))
        .await
}

fn sp(api: &Api) -> ServicePrincipal {
    api.emu
        .create_service_principal("ci-bot", false)
        .expect("service principal")
}

#[tokio::test]
async fn client_credentials_with_basic_auth() {
    let api = Api::new();
    let sp = sp(&api);
    let r = token_request(
        &api,
        Some(&basic(&sp.application_id, &sp.client_secret)),
        "grant_type=client_credentials&scope=all-apis",
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let token = r.json["access_token"].as_str().expect("token").to_owned();
    assert_eq!(token.split('.').count(), 3, "JWT-looking: {token}");
    assert_eq!(
        r.json,
        json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "all-apis"})
    );
    // The token authenticates as the service principal.
    let me = api.get("/api/2.0/preview/scim/v2/Me", &token).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json["userName"], sp.application_id.as_str());
    assert_eq!(me.json["displayName"], "ci-bot");
    assert_eq!(me.json["id"], sp.id.as_str());
    // OAuth tokens are not PATs: not listed.
    let list = api.get("/api/2.0/token/list", &token).await;
    assert_eq!((list.status, &list.json), (200, &json!({})));
    // Debug of the returned service principal hides the secret.
    assert!(!format!("{sp:?}").contains(&sp.client_secret));
}

#[tokio::test]
async fn client_credentials_in_form_fields_and_scope_echo() {
    let api = Api::new();
    let sp = sp(&api);
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=sql%20offline_access",
        sp.application_id, sp.client_secret
    );
    let r = token_request(&api, None, &form).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["scope"], "sql offline_access");
    // Without a scope the default is all-apis.
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        sp.application_id, sp.client_secret
    );
    assert_eq!(
        token_request(&api, None, &form).await.json["scope"],
        "all-apis"
    );
}

#[tokio::test]
async fn bad_clients_are_invalid_client_401() {
    let api = Api::new();
    let sp = sp(&api);
    let expected =
        json!({"error": "invalid_client", "error_description": "Client authentication failed"});
    for auth in [
        Some(basic(&sp.application_id, "wrong")),
        Some(basic("no-such-client", &sp.client_secret)),
        Some(basic("admin@example.com", "x")),
        Some("Basic !!!".to_owned()),
        Some(format!("Bearer {ADMIN}")),
        None,
    ] {
        let r = token_request(&api, auth.as_deref(), "grant_type=client_credentials").await;
        assert_eq!((r.status, &r.json), (401, &expected), "{auth:?}");
    }
}

#[tokio::test]
async fn grant_type_is_required_and_must_be_client_credentials() {
    let api = Api::new();
    let sp = sp(&api);
    let auth = basic(&sp.application_id, &sp.client_secret);
    let r = token_request(&api, Some(&auth), "scope=all-apis").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["error"], "invalid_request");
    assert!(r.json["error_description"].is_string());
    let r = token_request(&api, Some(&auth), "grant_type=password").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn oauth_tokens_expire_after_an_hour_on_the_emulator_clock() {
    let api = Api::new();
    api.emu.clock().freeze();
    let sp = sp(&api);
    let r = token_request(
        &api,
        Some(&basic(&sp.application_id, &sp.client_secret)),
        "grant_type=client_credentials",
    )
    .await;
    let token = r.json["access_token"].as_str().expect("token").to_owned();
    api.emu.clock().advance(Duration::from_secs(3599));
    assert_eq!(api.get("/api/2.0/token/list", &token).await.status, 200);
    api.emu.clock().advance(Duration::from_secs(1));
    let r = api.get("/api/2.0/token/list", &token).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json["message"], "Invalid access token.");
}

#[tokio::test]
async fn service_principals_can_hold_pats_too() {
    let api = Api::new();
    let sp = sp(&api);
    let pat = api
        .emu
        .create_token(&sp.application_id, None, None)
        .expect("pat");
    let me = api
        .get("/api/2.0/preview/scim/v2/Me", &pat.token_value)
        .await;
    assert_eq!(me.json["emails"][0]["value"], sp.application_id.as_str());
}

#[tokio::test]
async fn discovery_document_uses_the_request_host() {
    let api = Api::new();
    // In-process: the URI authority.
    let r = api
        .send(
            "GET",
            "/oidc/.well-known/oauth-authorization-server",
            None,
            None,
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, 200);
    let base = api.emu.base_url();
    assert_eq!(r.json["issuer"], format!("{base}/oidc"));
    assert_eq!(r.json["token_endpoint"], format!("{base}/oidc/v1/token"));
    assert_eq!(
        r.json["authorization_endpoint"],
        format!("{base}/oidc/v1/authorize")
    );
    assert_eq!(r.json["jwks_uri"], format!("{base}/oidc/jwks.json"));
    // With a Host header.
    let req = http::Request::get("/oidc/.well-known/oauth-authorization-server")
        .header("host", "example.test:8443")
        .body(Bytes::new())
        .expect("request");
    let r = api.raw(req).await;
    assert_eq!(
        r.json["token_endpoint"],
        "http://example.test:8443/oidc/v1/token"
    );
}

#[tokio::test]
async fn oidc_wrong_method_is_endpoint_not_found() {
    let api = Api::new();
    let r = api
        .send("GET", "/oidc/v1/token", None, None, Bytes::new())
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json,
        json!({"error_code": "ENDPOINT_NOT_FOUND", "message": "No API found for 'GET /oidc/v1/token'"})
    );
}

#[tokio::test]
async fn host_metadata_points_sdks_at_the_oidc_endpoints() {
    let api = Api::new();
    // No credentials: SDKs fetch this before they authenticate.
    let r = api
        .send(
            "GET",
            "/.well-known/databricks-config",
            None,
            None,
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, 200);
    let base = api.emu.base_url();
    assert_eq!(r.json["oidc_endpoint"], format!("{base}/oidc"));
    assert_eq!(r.json["workspace_id"], dbx_mock_server::WORKSPACE_ID);
    assert_eq!(r.json["account_id"], dbx_mock_server::ACCOUNT_ID);
    assert_eq!(r.json["cloud"], "AWS");
    // The discovery document the SDK derives from it exists.
    let oidc = r.json["oidc_endpoint"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let path = format!(
        "{}/.well-known/oauth-authorization-server",
        oidc.trim_start_matches(base)
    );
    let r = api.send("GET", &path, None, None, Bytes::new()).await;
    assert_eq!(r.status, 200);
    let r = api
        .send(
            "POST",
            "/.well-known/databricks-config",
            None,
            None,
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["error_code"], "ENDPOINT_NOT_FOUND");
}
