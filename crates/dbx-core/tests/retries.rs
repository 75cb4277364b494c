//! The retry rules, proven against a real HTTP server (wiremock) and a replay transport.

use std::time::{Duration, Instant};

use dbx_core::testing::ReplayTransport;
use dbx_core::{CallOptions, Client, Config, Error, Request, RetryPolicy, TransportErrorKind};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        deadline: Duration::from_secs(30),
        jitter: false,
    }
}

fn client_for(url: &str) -> Client {
    let config = Config::builder()
        .host(url)
        .token("dapi-test-token")
        .retry(fast_policy())
        .request_timeout(Duration::from_secs(5))
        .build()
        .expect("config");
    Client::new(config).expect("client")
}

fn replay_client(t: ReplayTransport) -> Client {
    let config = Config::builder()
        .host("https://replay.invalid")
        .token("dapi-test-token")
        .retry(fast_policy())
        .build()
        .expect("config");
    Client::with_transport(config, t)
}

async fn hits(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map(|r| r.len())
        .unwrap_or(0)
}

fn err_body(code: &str) -> Value {
    json!({"error_code": code, "message": format!("{code} injected")})
}

#[tokio::test]
async fn throttled_post_is_retried_honouring_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/token/create"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(err_body("REQUEST_LIMIT_EXCEEDED")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/token/create"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    let started = Instant::now();
    let v: Value = client
        .call(
            Request::post("/api/2.0/token/create")
                .json(&json!({"comment": "x"}))
                .expect("body"),
        )
        .await
        .expect("retried to success");
    assert_eq!(v, json!({"ok": true}));
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After not honoured: {:?}",
        started.elapsed()
    );
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn unavailable_is_retried_for_every_method() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_json(err_body("TEMPORARILY_UNAVAILABLE")))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    client
        .execute(Request::post("/api/2.0/secrets/put"))
        .await
        .expect("retried");
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test]
async fn gateway_timeout_is_not_retried_for_a_post() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(504).set_body_json(err_body("DEADLINE_EXCEEDED")))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    let err = client
        .execute(Request::post("/api/2.0/jobs/run-now"))
        .await
        .expect_err("504");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(504));
    assert!(err.is_timeout());
    assert_eq!(
        hits(&server).await,
        1,
        "a non-idempotent POST must not be sent twice"
    );
}

#[tokio::test]
async fn gateway_timeout_is_retried_for_a_get_and_an_idempotent_post() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    client
        .execute(Request::get("/api/2.0/token/list"))
        .await
        .expect("GET retried");
    client
        .execute(Request::post("/api/2.0/jobs/run-now").idempotent(true))
        .await
        .expect("idempotent POST retried");
    assert_eq!(hits(&server).await, 4);
}

#[tokio::test]
async fn client_timeouts_are_retried_only_when_safe() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({}))
                .set_delay(Duration::from_millis(400)),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"fast": true})))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    let opts = CallOptions::default().with_timeout(Duration::from_millis(100));
    let err = client
        .execute(Request::post("/api/2.0/dbfs/add-block").options(opts.clone()))
        .await
        .expect_err("POST times out");
    // The POST may have arrived: the error says so, around the timeout.
    assert!(
        matches!(&err, Error::OutcomeUnknown { idempotent: false, source }
            if matches!(**source, Error::Timeout(d) if d == Duration::from_millis(100))),
        "{err:?}"
    );
    assert!(err.is_outcome_unknown() && err.is_timeout());
    // The cause is the error's `source()`, shown once by a chain printer.
    assert_eq!(
        err.to_string(),
        "the request may have been applied; it was not retried because it is not idempotent"
    );
    assert!(
        dbx_core::error::Report(&err).to_string().starts_with(
            "the request may have been applied; it was not retried because it is not idempotent\n  caused by: timed out"
        ),
        "{}",
        dbx_core::error::Report(&err)
    );
    assert_eq!(hits(&server).await, 1, "timed-out POST must not be resent");
    let v: Value = client
        .call(Request::get("/api/2.0/dbfs/read").options(opts))
        .await
        .expect("GET retried after timeout");
    assert_eq!(v, json!({"fast": true}));
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test]
async fn server_errors_other_than_429_503_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500).set_body_json(err_body("INTERNAL_ERROR")))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    let err = client
        .execute(Request::get("/api/2.0/token/list"))
        .await
        .expect_err("500");
    assert_eq!(err.error_code(), Some("INTERNAL_ERROR"));
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test]
async fn attempts_are_capped_and_the_last_answer_is_returned() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-request-id", "req-42")
                .set_body_json(err_body("REQUEST_LIMIT_EXCEEDED")),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    let err = client
        .execute(Request::get("/api/2.0/token/list"))
        .await
        .expect_err("429");
    assert!(err.is_rate_limited());
    assert_eq!(
        err.api().and_then(|a| a.request_id.as_deref()),
        Some("req-42")
    );
    assert_eq!(hits(&server).await, 4);
}

#[tokio::test]
async fn the_overall_deadline_stops_retrying() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "2"))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    let policy = RetryPolicy {
        deadline: Duration::from_secs(1),
        ..fast_policy()
    };
    let started = Instant::now();
    let err = client
        .execute(Request::get("/x").options(CallOptions::default().with_retry(policy)))
        .await
        .expect_err("503");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "waited past the deadline"
    );
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test]
async fn partial_delete_is_left_to_the_caller() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(503).set_body_json(err_body("PARTIAL_DELETE")))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    let err = client
        .execute(Request::post("/api/2.0/dbfs/delete"))
        .await
        .expect_err("503");
    assert_eq!(err.error_code(), Some("PARTIAL_DELETE"));
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test]
async fn connection_failures_before_sending_are_retried_for_any_method() {
    let t = ReplayTransport::new()
        .fail(TransportErrorKind::Connect, "connection refused")
        .fail(TransportErrorKind::Connect, "connection refused")
        .respond_json(200, json!({}));
    let client = replay_client(t.clone());
    client
        .execute(Request::post("/api/2.0/token/create"))
        .await
        .expect("retried");
    assert_eq!(t.requests().len(), 3);
}

#[tokio::test]
async fn broken_connections_after_sending_are_retried_only_when_safe() {
    let t = ReplayTransport::new()
        .fail(TransportErrorKind::Io, "connection reset")
        .respond_json(200, json!({}));
    let client = replay_client(t.clone());
    let err = client
        .execute(Request::post("/api/2.0/token/create"))
        .await
        .expect_err("reset");
    assert!(
        matches!(&err, Error::OutcomeUnknown { idempotent: false, source }
            if matches!(**source, Error::Transport(ref e) if e.kind == TransportErrorKind::Io)),
        "{err:?}"
    );
    assert_eq!(t.requests().len(), 1);
    client
        .execute(Request::get("/api/2.0/token/list"))
        .await
        .expect("the scripted 200");

    let t = ReplayTransport::new()
        .fail(TransportErrorKind::Io, "connection reset")
        .respond_json(200, json!({}));
    let client = replay_client(t.clone());
    client
        .execute(Request::get("/api/2.0/token/list"))
        .await
        .expect("GET retried");
    assert_eq!(t.requests().len(), 2);
}

#[tokio::test]
async fn a_connection_refused_by_a_real_socket_is_retried() {
    // Bind then drop a listener so the port is (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let client = client_for(&format!("http://127.0.0.1:{port}"));
    let err = client
        .execute(Request::post("/api/2.0/token/create"))
        .await
        .expect_err("refused");
    assert!(
        matches!(err, Error::Transport(ref e) if e.kind == TransportErrorKind::Connect),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn rate_limit_spaces_requests() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let config = Config::builder()
        .host(server.uri())
        .token("t")
        .rate_limit(20.0)
        .build()
        .expect("config");
    let client = Client::new(config).expect("client");
    let started = Instant::now();
    let calls = (0..6).map(|_| client.execute(Request::get("/x")));
    for r in futures::future::join_all(calls).await {
        r.expect("ok");
    }
    // Six requests at 20/s: the last starts 250 ms after the first.
    assert!(
        started.elapsed() >= Duration::from_millis(240),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn requests_carry_headers_and_decode_errors_name_the_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/token/list"))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer dapi-test-token",
        ))
        .and(wiremock::matchers::query_param("flag", "true"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token_infos": [{"creation_time": "soon"}]})),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Info {
        creation_time: i64,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct List {
        token_infos: Vec<Info>,
    }
    let err = client
        .call::<List>(Request::get("/api/2.0/token/list").query("flag", true))
        .await
        .expect_err("decode");
    match err {
        Error::Decode { path, .. } => assert_eq!(path, "token_infos[0].creation_time"),
        other => panic!("{other:?}"),
    }
    let reqs = server.received_requests().await.unwrap_or_default();
    let ua = reqs[0]
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(ua.starts_with("dbx-rs/"), "{ua}");
}

#[tokio::test]
async fn an_idempotent_call_that_fails_after_an_ambiguous_attempt_is_outcome_unknown() {
    // A delete whose first attempt timed out at the gateway (and did delete), then answered
    // "does not exist": not a plain not-found, since this call may have deleted it.
    let t = ReplayTransport::new()
        .respond_json(
            504,
            json!({"error_code": "DEADLINE_EXCEEDED", "message": "slow"}),
        )
        .respond_json(
            404,
            json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such secret"}),
        );
    let client = replay_client(t.clone());
    let err = client
        .execute(Request::post("/api/2.0/secrets/delete").default_idempotent(true))
        .await
        .expect_err("not found after a 504");
    assert_eq!(t.requests().len(), 2);
    assert!(err.is_outcome_unknown() && err.is_not_found(), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("the request may have been applied; it is idempotent"),
        "{err}"
    );

    // Failures before anything could be applied (429, 503, refused connections) and reads are
    // never outcome-unknown; neither is a plain 504 on a GET.
    let t = ReplayTransport::new()
        .respond_json(
            429,
            json!({"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow"}),
        )
        .respond_json(
            400,
            json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "bad"}),
        );
    let err = replay_client(t)
        .execute(Request::post("/api/2.0/jobs/create"))
        .await
        .expect_err("400");
    assert!(
        !err.is_outcome_unknown() && err.is_invalid_parameter(),
        "{err:?}"
    );
    let t = ReplayTransport::new()
        .respond_json(504, json!({}))
        .respond_json(
            404,
            json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "x"}),
        );
    let err = replay_client(t)
        .execute(Request::get("/api/2.0/jobs/get"))
        .await
        .expect_err("404");
    assert!(!err.is_outcome_unknown() && err.is_not_found(), "{err:?}");

    // A non-idempotent POST answered 504 stops there, and says why.
    let t = ReplayTransport::new().respond_json(
        504,
        json!({"error_code": "DEADLINE_EXCEEDED", "message": "slow"}),
    );
    let err = replay_client(t.clone())
        .execute(Request::post("/api/2.1/jobs/create"))
        .await
        .expect_err("504");
    assert_eq!(t.requests().len(), 1);
    assert!(err.is_outcome_unknown() && err.is_timeout() && !err.is_retryable());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(504));
}
