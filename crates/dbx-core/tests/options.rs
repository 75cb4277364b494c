//! Per-call options in layers: the caller's choice wins over the handle's, which wins over the
//! API method's default, whatever order they were set in.

use std::time::Duration;

use dbx_core::testing::ReplayTransport;
use dbx_core::{CallOptions, Client, Config, Request, RetryPolicy};
use serde_json::json;

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
        deadline: Duration::from_secs(10),
        jitter: false,
    }
}

fn client(t: &ReplayTransport) -> Client {
    let config = Config::builder()
        .host("https://replay.invalid")
        .token("dapi-test")
        .retry(fast())
        .build()
        .expect("config");
    Client::with_transport(config, t.clone())
}

fn gateway_timeout_then_ok() -> ReplayTransport {
    ReplayTransport::new()
        .respond_json(
            504,
            json!({"error_code": "DEADLINE_EXCEEDED", "message": "slow"}),
        )
        .respond_json(200, json!({}))
}

#[tokio::test]
async fn the_methods_default_applies_when_the_caller_chose_nothing() {
    let t = gateway_timeout_then_ok();
    client(&t)
        .call_empty(Request::post("/api/2.0/dbfs/delete").default_idempotent(true))
        .await
        .expect("an idempotent POST is retried after a 504");
    assert_eq!(t.requests().len(), 2);
}

#[tokio::test]
async fn the_callers_idempotency_wins_over_the_methods_default_in_any_order() {
    let not_idempotent = CallOptions::default().with_idempotent(false);
    // Caller first, then the method's default (the order the API crates used to get wrong).
    let t = gateway_timeout_then_ok();
    let err = client(&t)
        .call_empty(
            Request::post("/api/2.0/dbfs/delete")
                .options(not_idempotent.clone())
                .default_idempotent(true),
        )
        .await
        .expect_err("not retried");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(504));
    assert_eq!(t.requests().len(), 1);

    // The method's default first, then the caller.
    let t = gateway_timeout_then_ok();
    client(&t)
        .call_empty(
            Request::post("/api/2.0/token/create")
                .default_idempotent(false)
                .idempotent(true),
        )
        .await
        .expect("the caller declared it idempotent");
    assert_eq!(t.requests().len(), 2);
}

#[tokio::test]
async fn client_options_apply_to_every_call_and_the_calls_own_options_win() {
    let t = gateway_timeout_then_ok();
    let base = client(&t);
    let cautious = base.with_options(CallOptions::default().with_idempotent(false));
    assert_eq!(cautious.options().idempotent, Some(false));
    assert_eq!(
        base.options(),
        &CallOptions::default(),
        "the original is untouched"
    );
    cautious
        .call_empty(Request::get("/api/2.0/token/list"))
        .await
        .expect_err("the handle's choice wins over the GET default");
    assert_eq!(t.requests().len(), 1);

    let t = gateway_timeout_then_ok();
    let cautious = client(&t).with_options(CallOptions::default().with_idempotent(false));
    cautious
        .call_empty(
            Request::get("/api/2.0/token/list")
                .options(CallOptions::default().with_idempotent(true)),
        )
        .await
        .expect("the call's own choice wins over the handle's");
    assert_eq!(t.requests().len(), 2);

    // Handle options layer field by field: a later with_options keeps the earlier fields.
    let layered = cautious
        .with_options(CallOptions::default().with_retry(RetryPolicy::none()))
        .with_options(CallOptions::default().with_timeout(Duration::from_secs(3)));
    assert_eq!(
        layered.options(),
        &CallOptions::default()
            .with_idempotent(false)
            .with_retry(RetryPolicy::none())
            .with_timeout(Duration::from_secs(3))
    );
}

#[tokio::test]
async fn a_handle_retry_policy_is_used() {
    let t = ReplayTransport::new()
        .respond_json(
            503,
            json!({"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}),
        )
        .respond_json(200, json!({}));
    let err = client(&t)
        .with_options(CallOptions::default().with_retry(RetryPolicy::none()))
        .call_empty(Request::get("/api/2.0/token/list"))
        .await
        .expect_err("no retries");
    assert!(err.is_retryable());
    assert_eq!(t.requests().len(), 1);
}

#[tokio::test]
async fn call_empty_ignores_the_body_of_a_success() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({}))
        .respond_json(200, json!({"unexpected": [1, 2]}));
    let c = client(&t);
    c.call_empty(Request::post("/api/2.0/x")).await.expect("{}");
    c.call_empty(Request::post("/api/2.0/x"))
        .await
        .expect("any body");
}
