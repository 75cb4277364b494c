//! Fault injection.

use std::time::{Duration, Instant};

use bytes::Bytes;
use dbx_mock_server::Fault;
use serde_json::json;

use crate::support::{Api, ADMIN};

#[tokio::test]
async fn status_fault_with_count_and_retry_after() {
    let api = Api::new();
    let id = api.emu.add_fault(
        Fault::on("/api/2.0/token/*")
            .status(503)
            .retry_after_secs(7)
            .count(1),
    );
    let r = api.get("/api/2.0/token/list", ADMIN).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json["error_code"], "TEMPORARILY_UNAVAILABLE");
    assert!(r.json["message"].is_string());
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("x-request-id").is_some());
    // count = 1: the next request is answered normally.
    assert_eq!(api.get("/api/2.0/token/list", ADMIN).await.status, 200);
    assert_eq!(api.emu.faults()[0].fired, 1);
    let journal = api.emu.journal();
    assert_eq!(journal[0].fault_id, Some(id));
    assert_eq!(journal[0].status, 503);
    assert_eq!(journal[1].fault_id, None);
}

#[tokio::test]
async fn error_codes_default_by_status_and_can_be_overridden() {
    let api = Api::new();
    for (status, code) in [
        (429, "REQUEST_LIMIT_EXCEEDED"),
        (500, "INTERNAL_ERROR"),
        (503, "TEMPORARILY_UNAVAILABLE"),
        (504, "DEADLINE_EXCEEDED"),
        (400, "BAD_REQUEST"),
        (502, "INTERNAL_ERROR"),
    ] {
        api.emu.add_fault(Fault::on("*").status(status).count(1));
        let r = api.get("/api/2.0/token/list", ADMIN).await;
        assert_eq!(
            (r.status, r.json["error_code"].as_str()),
            (status, Some(code))
        );
    }
    api.emu.add_fault(
        Fault::on("*")
            .status(429)
            .error_code("RESOURCE_EXHAUSTED")
            .message("slow down")
            .count(1),
    );
    let r = api.get("/api/2.0/token/list", ADMIN).await;
    assert_eq!(
        r.json,
        json!({"error_code": "RESOURCE_EXHAUSTED", "message": "slow down"})
    );
    assert_eq!(r.header("retry-after"), None);
}

#[tokio::test]
async fn method_and_glob_select_requests() {
    let api = Api::new();
    api.emu
        .add_fault(Fault::on("/api/*/token/create").method("post").status(500));
    assert_eq!(api.get("/api/2.0/token/list", ADMIN).await.status, 200);
    assert_eq!(
        api.post("/api/2.0/token/create", ADMIN, json!({}))
            .await
            .status,
        500
    );
    assert_eq!(
        api.post("/api/2.0/token/delete", ADMIN, json!({"token_id": "x"}))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn probability_zero_never_fires_and_one_always_does() {
    let api = Api::new();
    api.emu
        .add_fault(Fault::on("*").status(500).probability(0.0));
    for _ in 0..50 {
        assert_eq!(api.get("/api/2.0/token/list", ADMIN).await.status, 200);
    }
    assert_eq!(api.emu.faults()[0].fired, 0);
    api.emu.clear_faults();
    api.emu
        .add_fault(Fault::on("*").status(500).probability(1.0));
    for _ in 0..50 {
        assert_eq!(api.get("/api/2.0/token/list", ADMIN).await.status, 500);
    }
    assert_eq!(api.emu.faults()[0].fired, 50);
}

#[tokio::test]
async fn latency_alone_slows_a_correct_answer() {
    let api = Api::new();
    api.emu
        .add_fault(Fault::on("*").latency(Duration::from_millis(30)).count(1));
    let started = Instant::now();
    let r = api.get("/api/2.0/token/list", ADMIN).await;
    assert!(started.elapsed() >= Duration::from_millis(30));
    assert_eq!(r.status, 200);
    assert!(r.json["token_infos"].is_array());
    assert!(api.emu.journal()[0].fault_id.is_some());
}

#[tokio::test]
async fn after_apply_executes_the_request_then_fails_it() {
    let api = Api::new();
    api.emu.add_fault(
        Fault::on("/api/2.0/token/create")
            .status(504)
            .after_apply(true)
            .count(1),
    );
    let r = api
        .post(
            "/api/2.0/token/create",
            ADMIN,
            json!({"comment": "did it happen?"}),
        )
        .await;
    assert_eq!(r.status, 504);
    assert_eq!(r.json["error_code"], "DEADLINE_EXCEEDED");
    let list = api.get("/api/2.0/token/list", ADMIN).await;
    let comments: Vec<_> = list.json["token_infos"]
        .as_array()
        .expect("infos")
        .iter()
        .map(|t| t["comment"].clone())
        .collect();
    assert!(comments.contains(&json!("did it happen?")), "{comments:?}");
    // The journal shows the caller (the request ran) and the fault.
    let entry = &api.emu.journal()[0];
    assert_eq!(entry.caller.as_deref(), Some("admin@example.com"));
    assert_eq!(entry.status, 504);
    assert!(entry.fault_id.is_some());
}

#[tokio::test]
async fn faults_apply_before_authentication_and_to_oidc_but_not_admin_routes() {
    let api = Api::new();
    api.emu.add_fault(Fault::on("*").status(503));
    let r = api
        .send("GET", "/api/2.0/token/list", None, None, Bytes::new())
        .await;
    assert_eq!(r.status, 503);
    let r = api
        .send("POST", "/oidc/v1/token", None, None, Bytes::new())
        .await;
    assert_eq!(r.status, 503);
    let r = api
        .send("GET", "/__mock/health", None, None, Bytes::new())
        .await;
    assert_eq!(r.status, 200);
    let r = api
        .send("GET", "/elsewhere", None, None, Bytes::new())
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn faults_over_the_admin_api() {
    let api = Api::new();
    let r = api
        .send(
            "POST",
            "/__mock/faults",
            None,
            None,
            r#"{"path":"/api/2.0/token/list","status":429,"retry_after_secs":1,"count":2}"#,
        )
        .await;
    assert_eq!(r.status, 200);
    let id = r.json["id"].as_u64().expect("id");
    assert_eq!(api.get("/api/2.0/token/list", ADMIN).await.status, 429);
    let r = api
        .send("GET", "/__mock/faults", None, None, Bytes::new())
        .await;
    assert_eq!(
        r.json,
        json!({"faults": [{
            "id": id, "path": "/api/2.0/token/list", "status": 429, "retry_after_secs": 1,
            "count": 2, "after_apply": false, "fired": 1
        }]})
    );
    for bad in [
        r#"{"status":42}"#,
        r#"{"probability":2}"#,
        r#"{"latency":5}"#,
        r#"{"method":"G T"}"#,
        r#"{"status":"x"}"#,
    ] {
        let r = api.send("POST", "/__mock/faults", None, None, bad).await;
        assert_eq!(r.error().0, 400, "{bad}");
        assert_eq!(r.error().1, "INVALID_PARAMETER_VALUE", "{bad}");
    }
    let r = api
        .send(
            "DELETE",
            &format!("/__mock/faults/{id}"),
            None,
            None,
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = api
        .send(
            "DELETE",
            &format!("/__mock/faults/{id}"),
            None,
            None,
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, 404);
    api.emu.add_fault(Fault::on("*").status(500));
    let r = api
        .send("DELETE", "/__mock/faults", None, None, Bytes::new())
        .await;
    assert_eq!(r.status, 200);
    assert!(api.emu.faults().is_empty());
    assert_eq!(api.get("/api/2.0/token/list", ADMIN).await.status, 200);
}
