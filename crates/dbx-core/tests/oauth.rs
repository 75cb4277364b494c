//! OAuth machine-to-machine: client credentials, caching, one shared refresh, errors.

use std::time::Duration;

use dbx_core::{Client, Config, Error, Request};
use serde_json::{json, Value};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn oauth_client(url: &str, secret: &str) -> Client {
    let config = Config::builder()
        .host(url)
        .client_id("sp-client")
        .client_secret(secret)
        .build()
        .expect("config");
    Client::new(config).expect("client")
}

async fn token_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/oidc/v1/token")
        .count()
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let server = MockServer::start().await;
    // Basic base64("sp-client:s3cret")
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .and(header("authorization", "Basic c3AtY2xpZW50OnMzY3JldA=="))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("scope=all-apis"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600, "scope": "all-apis"}))
                .set_delay(Duration::from_millis(100)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/token/list"))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let client = oauth_client(&server.uri(), "s3cret");
    let calls = (0..20).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.call::<Value>(Request::get("/api/2.0/token/list")).await })
    });
    for r in futures::future::join_all(calls).await {
        r.expect("join").expect("authorized call");
    }
    assert_eq!(token_requests(&server).await, 1);
    client
        .call::<Value>(Request::get("/api/2.0/token/list"))
        .await
        .expect("cached");
    assert_eq!(token_requests(&server).await, 1);
}

#[tokio::test]
async fn tokens_close_to_expiry_are_refreshed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "short", "token_type": "Bearer", "expires_in": 30}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let client = oauth_client(&server.uri(), "s");
    client.call::<Value>(Request::get("/a")).await.expect("1");
    client.call::<Value>(Request::get("/a")).await.expect("2");
    // A 30 s token is inside the refresh margin, so each call fetched a fresh one.
    assert_eq!(token_requests(&server).await, 2);
}

#[tokio::test]
async fn a_rejected_client_is_an_oauth_error_without_the_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_client", "error_description": "Client authentication failed"}),
        ))
        .mount(&server)
        .await;
    let client = oauth_client(&server.uri(), "very-secret-value");
    let err = client
        .call::<Value>(Request::get("/api/2.0/token/list"))
        .await
        .expect_err("oauth");
    match &err {
        Error::OAuth {
            status,
            error,
            description,
        } => {
            assert_eq!(*status, 401);
            assert_eq!(error, "invalid_client");
            assert_eq!(description, "Client authentication failed");
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{err} {err:?} {client:?}").contains("very-secret-value"));
    // The API endpoint was never called.
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        1
    );
}

#[tokio::test]
async fn a_token_rejected_by_the_server_is_refreshed_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "old", "token_type": "Bearer", "expires_in": 3600}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "new", "token_type": "Bearer", "expires_in": 3600}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/token/create"))
        .and(header("authorization", "Bearer old"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("X-Databricks-Reason-Phrase", "Invalid access token.")
                .set_body_json(json!({"error_code": 403, "message": "Invalid access token."})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/token/create"))
        .and(header("authorization", "Bearer new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": 1})))
        .mount(&server)
        .await;
    let client = oauth_client(&server.uri(), "s");
    let v: Value = client
        .call(Request::post("/api/2.0/token/create"))
        .await
        .expect("refreshed");
    assert_eq!(v, json!({"ok": 1}));
    assert_eq!(token_requests(&server).await, 2);
}

#[tokio::test]
async fn a_pat_rejected_by_the_server_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"error_code": 403, "message": "Invalid access token."})),
        )
        .mount(&server)
        .await;
    let config = Config::builder()
        .host(server.uri())
        .token("dapi-bad")
        .build()
        .expect("config");
    let client = Client::new(config).expect("client");
    let err = client
        .call::<Value>(Request::get("/api/2.0/token/list"))
        .await
        .expect_err("403");
    assert!(err.is_invalid_token());
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        1
    );
}
