//! Garbage in: no panic, no 5xx, state still usable.

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::support::{Api, ADMIN};

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const SEGMENTS: [&str; 20] = [
    "api", "2.0", "2.1", "2.2", "2.9", "token", "list", "create", "delete", "preview", "scim",
    "v2", "Me", "oidc", "v1", "__mock", "%2F", "%zz", "..", "",
];
const CONTENT_TYPES: [Option<&str>; 7] = [
    None,
    Some("application/json"),
    Some("text/json"),
    Some("multipart/form-data"),
    Some("multipart/form-data; boundary=b"),
    Some("application/x-www-form-urlencoded"),
    Some("\u{7f}"),
];

fn random_path(rng: &mut StdRng) -> String {
    let n = rng.random_range(0..6);
    let mut path = String::new();
    for _ in 0..n {
        path.push('/');
        path.push_str(SEGMENTS[rng.random_range(0..SEGMENTS.len())]);
    }
    if rng.random_bool(0.3) {
        path = format!("/api/2.0/token{path}");
    }
    if rng.random_bool(0.2) {
        path.push_str("?a=1&a=2&lifetime_seconds=x&token_id=%ff");
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

fn random_body(rng: &mut StdRng) -> Bytes {
    let choice = rng.random_range(0..6);
    let body: Vec<u8> = match choice {
        0 => Vec::new(),
        1 => (0..rng.random_range(1..200))
            .map(|_| rng.random())
            .collect(),
        2 => br#"{"token_id": [1, {"a": null}], "lifetime_seconds": 1e400}"#.to_vec(),
        3 => "[".repeat(rng.random_range(1..2000)).into_bytes(),
        4 => json!({
            "lifetime_seconds": rng.random::<i64>(),
            "comment": "\u{0}\u{ffff}",
            "scopes": [rng.random::<u32>().to_string()],
            "token": {"comment": null, "scopes": "x"},
            "update_mask": "comment,,*, ",
        })
        .to_string()
        .into_bytes(),
        _ => b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n--b".to_vec(),
    };
    Bytes::from(body)
}

#[tokio::test]
async fn random_requests_never_panic_or_corrupt_state() {
    let api = Api::new();
    let mut rng = StdRng::seed_from_u64(0x5eed);
    for i in 0..400 {
        let method = METHODS[rng.random_range(0..METHODS.len())];
        let path = random_path(&mut rng);
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", api.emu.base_url()));
        match rng.random_range(0..4) {
            0 => {}
            1 => req = req.header("authorization", format!("Bearer {ADMIN}")),
            2 => req = req.header("authorization", "Bearer \u{1}"),
            _ => req = req.header("authorization", "Basic ::::"),
        }
        if let Some(ct) = CONTENT_TYPES[rng.random_range(0..CONTENT_TYPES.len())] {
            req = req.header("content-type", ct);
        }
        let Ok(req) = req.body(random_body(&mut rng)) else {
            continue;
        };
        let r = api.raw(req).await;
        assert!(
            r.status < 500,
            "#{i} {method} {path} → {} {:?}",
            r.status,
            r.json
        );
        assert!(r.header("x-request-id").is_some());
    }
    // Still usable.
    let r = api
        .post("/api/2.0/token/create", ADMIN, json!({"comment": "after"}))
        .await;
    assert_eq!(r.status, 200);
    let token = r.json["token_value"].as_str().expect("value").to_owned();
    assert_eq!(api.get("/api/2.0/token/list", &token).await.status, 200);
    assert_eq!(
        api.get("/api/2.0/preview/scim/v2/Me", ADMIN).await.status,
        200
    );
}

#[tokio::test]
async fn hostile_admin_inputs_are_rejected_cleanly() {
    let api = Api::new();
    for (path, body) in [
        (
            "/__mock/clock",
            r#"{"set_ms": 9223372036854775807, "advance_ms": 9223372036854775807}"#,
        ),
        (
            "/__mock/tokens",
            r#"{"principal": "admin@example.com", "lifetime_seconds": 9223372036854775807}"#,
        ),
        ("/__mock/users", r#"{"user_name": "   "}"#),
        ("/__mock/groups", r#"{"name": ""}"#),
        (
            "/__mock/groups/members",
            r#"{"group": "admins", "member": "admins"}"#,
        ),
        ("/__mock/service-principals", r#"{"display_name": ""}"#),
        ("/__mock/faults", r#"[]"#),
    ] {
        let r = api.send("POST", path, None, None, body).await;
        assert!(r.status < 500, "{path}: {:?}", r.json);
    }
    api.emu.reset();
    assert_eq!(api.get("/api/2.0/token/list", ADMIN).await.status, 200);
}
