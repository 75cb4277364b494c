//! A caller-supplied `CredentialsProvider`: its headers reach the server, its `rejected` hook
//! decides whether a rejected call is repeated, and nothing secret is printed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use dbx_core::auth::{AuthContext, CredentialsProvider, OnRejected};
use dbx_core::{AuthType, Client, Config, Error, Request, Result};
use http::{header, HeaderMap, HeaderValue};
use serde_json::{json, Value};
use wiremock::matchers::{header as has_header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A "vault" that hands out a new token each time the previous one is rejected.
#[derive(Default)]
struct Vault {
    generation: AtomicUsize,
    headers_asked: AtomicUsize,
}

#[dbx_core::async_trait]
impl CredentialsProvider for Vault {
    fn auth_type(&self) -> &str {
        "vault"
    }

    async fn headers(&self, ctx: &AuthContext<'_>) -> Result<HeaderMap> {
        assert!(ctx.host().starts_with("http://"), "{}", ctx.host());
        self.headers_asked.fetch_add(1, Ordering::SeqCst);
        let generation = self.generation.load(Ordering::SeqCst);
        let mut auth = HeaderValue::try_from(format!("Bearer vault-secret-{generation}"))
            .map_err(|_| Error::Config("bad header".into()))?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, auth);
        headers.insert("x-vault-lease", HeaderValue::from_static("lease-7"));
        Ok(headers)
    }

    async fn rejected(&self, error: &Error) -> OnRejected {
        assert!(error.is_invalid_token(), "{error}");
        self.generation.fetch_add(1, Ordering::SeqCst);
        OnRejected::Retry
    }
}

fn client(server: &MockServer, vault: Arc<Vault>) -> Client {
    let config = Config::builder()
        .host(server.uri())
        // An explicit token is ignored: the provider wins over every other credential.
        .token("dapi-ignored")
        .credentials_provider(vault)
        .build()
        .expect("config");
    assert_eq!(config.auth_type(), AuthType::Custom);
    Client::new(config).expect("client")
}

#[tokio::test]
async fn a_custom_providers_headers_reach_the_server() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/token/list"))
        .and(has_header("authorization", "Bearer vault-secret-0"))
        .and(has_header("x-vault-lease", "lease-7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token_infos": []})))
        .mount(&server)
        .await;
    let vault = Arc::new(Vault::default());
    let client = client(&server, Arc::clone(&vault));
    let v: Value = client
        .call(Request::get("/api/2.0/token/list"))
        .await
        .expect("authorized by the vault's token");
    assert_eq!(v, json!({"token_infos": []}));
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1);
    let ua = requests[0]
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(ua.contains(" auth/vault"), "{ua}");

    let shown = format!("{client:?} {:?}", client.config());
    assert!(
        !shown.contains("vault-secret") && !shown.contains("dapi-ignored"),
        "{shown}"
    );
    assert!(shown.contains("vault"), "{shown}");
}

#[tokio::test]
async fn a_rejected_custom_credential_is_renewed_and_the_call_repeated_once() {
    let server = MockServer::start().await;
    let invalid = || {
        ResponseTemplate::new(403)
            .set_body_json(json!({"error_code": 403, "message": "Invalid access token."}))
    };
    Mock::given(method("POST"))
        .and(path("/api/2.0/token/create"))
        .and(has_header("authorization", "Bearer vault-secret-0"))
        .respond_with(invalid())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/token/create"))
        .and(has_header("authorization", "Bearer vault-secret-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": 1})))
        .mount(&server)
        .await;
    let vault = Arc::new(Vault::default());
    let client = client(&server, Arc::clone(&vault));
    let v: Value = client
        .call(Request::post("/api/2.0/token/create"))
        .await
        .expect("renewed");
    assert_eq!(v, json!({"ok": 1}));
    assert_eq!(vault.headers_asked.load(Ordering::SeqCst), 2);

    // Only once per call: a second rejection is the caller's error.
    server.reset().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(invalid())
        .mount(&server)
        .await;
    let err = client
        .call_empty(Request::post("/api/2.0/token/create"))
        .await
        .expect_err("rejected twice");
    assert!(err.is_invalid_token());
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        2
    );
}

/// A provider that answers with the default hook: a rejection is final.
struct Fixed;

#[dbx_core::async_trait]
impl CredentialsProvider for Fixed {
    fn auth_type(&self) -> &str {
        "fixed"
    }

    async fn headers(&self, _ctx: &AuthContext<'_>) -> Result<HeaderMap> {
        Ok(HeaderMap::from_iter([(
            header::AUTHORIZATION,
            dbx_core::auth::bearer("fixed-token")?,
        )]))
    }
}

#[tokio::test]
async fn by_default_a_rejected_credential_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error_code": 401, "message": "Credential was not sent or was of an unsupported type for this API."}),
        ))
        .mount(&server)
        .await;
    let config = Config::builder()
        .host(server.uri())
        .credentials_provider(Arc::new(Fixed))
        .build()
        .expect("config");
    let client = Client::new(config).expect("client");
    let err = client
        .call_empty(Request::get("/api/2.0/token/list"))
        .await
        .expect_err("401");
    assert!(err.is_unauthenticated());
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        1
    );
}
