//! The request journal.

use bytes::Bytes;
use serde_json::json;

use crate::support::{Api, ADMIN};

#[tokio::test]
async fn journal_records_api_and_oidc_calls_only() {
    let api = Api::new();
    api.emu.clock().freeze();
    let now = api.emu.clock().now_ms();
    api.get("/api/2.0/token/list?x=1", ADMIN).await;
    api.send("GET", "/api/2.0/token/list", None, None, Bytes::new())
        .await;
    api.send(
        "GET",
        "/oidc/.well-known/oauth-authorization-server",
        None,
        None,
        Bytes::new(),
    )
    .await;
    api.send("GET", "/__mock/health", None, None, Bytes::new())
        .await;
    api.send("GET", "/other", None, None, Bytes::new()).await;
    let j = api.emu.journal();
    assert_eq!(j.len(), 3, "{j:?}");
    assert_eq!(
        (
            j[0].seq,
            j[0].time_ms,
            j[0].method.as_str(),
            j[0].path.as_str()
        ),
        (1, now, "GET", "/api/2.0/token/list")
    );
    assert_eq!(j[0].query.as_deref(), Some("x=1"));
    assert_eq!(j[0].status, 200);
    assert_eq!(j[0].caller.as_deref(), Some("admin@example.com"));
    assert_eq!((j[1].status, j[1].caller.as_deref()), (401, None));
    assert_eq!(j[2].path, "/oidc/.well-known/oauth-authorization-server");
    api.emu.clear_journal();
    assert!(api.emu.journal().is_empty());
    api.get("/api/2.0/token/list", ADMIN).await;
    assert_eq!(
        api.emu.journal()[0].seq,
        4,
        "sequence numbers keep counting"
    );
}

#[tokio::test]
async fn journal_never_contains_token_values_or_secrets() {
    let api = Api::new();
    let sp = api.emu.create_service_principal("bot", false).expect("sp");
    let r = api
        .post("/api/2.0/token/create", ADMIN, json!({"comment": "c"}))
        .await;
    let pat = r.json["token_value"].as_str().expect("value").to_owned();
    api.get("/api/2.0/token/list", &pat).await;
    api.get(&format!("/api/2.0/token/list?token={pat}"), &pat)
        .await;
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        sp.application_id, sp.client_secret
    );
    let r = api
        .send(
            "POST",
            &format!("/oidc/v1/token?client_secret={}", sp.client_secret),
            None,
            Some("application/x-www-form-urlencoded"),
            form,
        )
        .await;
    let access = r.json["access_token"].as_str().expect("token").to_owned();
    api.get("/api/2.0/token/list", &access).await;

    let entries = api.emu.journal();
    assert_eq!(entries.len(), 5);
    assert_eq!(
        entries[3].caller.as_deref(),
        Some(sp.application_id.as_str())
    );
    let debug = format!("{entries:?}");
    let http_json = api
        .send("GET", "/__mock/journal", None, None, Bytes::new())
        .await
        .body;
    let http_json = String::from_utf8_lossy(&http_json).into_owned();
    for secret in [pat.as_str(), ADMIN, &access, &sp.client_secret] {
        assert!(!debug.contains(secret), "Debug leaks a secret: {debug}");
        assert!(
            !http_json.contains(secret),
            "JSON leaks a secret: {http_json}"
        );
    }
    assert!(http_json.contains("token=REDACTED"), "{http_json}");
}
