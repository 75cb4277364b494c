//! Token API (<https://docs.databricks.com/api/workspace/tokens>).

use std::time::Duration;

use dbx_mock_server::Emulator;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::support::{Api, ADMIN};

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[tokio::test]
async fn create_returns_value_and_public_info() {
    let api = Api::new();
    api.emu.clock().freeze();
    let now = api.emu.clock().now_ms();
    let r = api
        .post(
            "/api/2.0/token/create",
            ADMIN,
            json!({"lifetime_seconds": 3600, "comment": "ci", "scopes": ["clusters", "jobs"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let value = r.json["token_value"].as_str().expect("value").to_owned();
    assert!(value.starts_with("dapi") && value.len() == 36);
    assert!(value[4..]
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(
        r.json["token_info"],
        json!({
            "token_id": sha256_hex(&value),
            "creation_time": now,
            "expiry_time": now + 3_600_000,
            "comment": "ci",
            "scopes": ["clusters", "jobs"],
        })
    );
}

#[tokio::test]
async fn no_positive_lifetime_means_no_expiry_and_empty_fields_are_omitted() {
    let api = Api::new();
    for body in [
        json!({}),
        json!({"lifetime_seconds": 0}),
        json!({"lifetime_seconds": -5}),
        json!({"lifetime_seconds": null, "scopes": []}),
    ] {
        let r = api.post("/api/2.0/token/create", ADMIN, body.clone()).await;
        assert_eq!(r.status, 200);
        let info = r.json["token_info"].as_object().expect("info");
        assert_eq!(info["expiry_time"], -1, "{body}");
        assert!(
            !info.contains_key("comment") && !info.contains_key("scopes"),
            "{info:?}"
        );
    }
}

#[tokio::test]
async fn lifecycle_create_use_list_delete() {
    let api = Api::new();
    let alice = api.user("alice@example.com");
    let r = api
        .post("/api/2.0/token/create", &alice, json!({"comment": "new"}))
        .await;
    let new_value = r.json["token_value"].as_str().expect("value").to_owned();
    let new_id = r.json["token_info"]["token_id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Usable at once, and listed (after the seeding token, by creation order).
    let ids = api.token_ids(&new_value).await;
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[1], new_id);
    // Revoked: 403 at once, gone from the list, second delete is 404.
    let r = api
        .post("/api/2.0/token/delete", &alice, json!({"token_id": new_id}))
        .await;
    assert_eq!((r.status, &r.json), (200, &json!({})));
    let r = api.get("/api/2.0/token/list", &new_value).await;
    assert_eq!(r.status, 403);
    assert_eq!(api.token_ids(&alice).await.len(), 1);
    let r = api
        .post("/api/2.0/token/delete", &alice, json!({"token_id": new_id}))
        .await;
    assert_eq!(r.error().0, 404);
    assert_eq!(r.error().1, "RESOURCE_DOES_NOT_EXIST");
}

#[tokio::test]
async fn tokens_expire_on_the_emulator_clock() {
    let api = Api::new();
    api.emu.clock().freeze();
    let r = api
        .post(
            "/api/2.0/token/create",
            ADMIN,
            json!({"lifetime_seconds": 60}),
        )
        .await;
    let value = r.json["token_value"].as_str().expect("value").to_owned();
    api.emu.clock().advance(Duration::from_millis(59_999));
    assert_eq!(api.get("/api/2.0/token/list", &value).await.status, 200);
    assert_eq!(api.token_ids(ADMIN).await.len(), 2);
    api.emu.clock().advance(Duration::from_millis(1));
    let r = api.get("/api/2.0/token/list", &value).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json["message"], "Invalid access token.");
    assert_eq!(
        api.token_ids(ADMIN).await.len(),
        1,
        "expired tokens are not listed"
    );
}

#[tokio::test]
async fn a_user_lists_only_its_own_tokens_oldest_first() {
    let api = Api::new();
    api.emu.clock().freeze();
    let alice = api.user("alice@example.com");
    let bob = api.user("bob@example.com");
    let mut created = vec![sha256_hex(&alice)];
    for i in 0..3 {
        api.emu.clock().advance(Duration::from_secs(1));
        let r = api
            .post(
                "/api/2.0/token/create",
                &alice,
                json!({"comment": i.to_string()}),
            )
            .await;
        created.push(
            r.json["token_info"]["token_id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
        api.post("/api/2.0/token/create", &bob, json!({})).await;
    }
    assert_eq!(api.token_ids(&alice).await, created);
    let bobs = api.token_ids(&bob).await;
    assert_eq!(bobs.len(), 4);
    assert!(bobs.iter().all(|id| !created.contains(id)));
}

#[tokio::test]
async fn deleting_someone_elses_token_is_404_and_changes_nothing() {
    let api = Api::new();
    let alice = api.user("alice@example.com");
    let bob = api.user("bob@example.com");
    let bobs_id = sha256_hex(&bob);
    let r = api
        .post(
            "/api/2.0/token/delete",
            &alice,
            json!({"token_id": bobs_id}),
        )
        .await;
    assert_eq!(r.error().0, 404);
    assert_eq!(r.error().1, "RESOURCE_DOES_NOT_EXIST");
    assert_eq!(api.get("/api/2.0/token/list", &bob).await.status, 200);
    let r = api
        .post("/api/2.0/token/delete", &alice, json!({"token_id": "nope"}))
        .await;
    assert_eq!(r.error().1, "RESOURCE_DOES_NOT_EXIST");
}

/// The admin's listed info for token `id`.
async fn listed(api: &Api, id: &str) -> serde_json::Value {
    let r = api.get("/api/2.0/token/list", ADMIN).await;
    r.json["token_infos"]
        .as_array()
        .expect("infos")
        .iter()
        .find(|t| t["token_id"] == id)
        .cloned()
        .expect("listed")
}

#[tokio::test]
async fn patch_follows_the_update_mask() {
    let api = Api::new();
    let r = api
        .post(
            "/api/2.0/token/create",
            ADMIN,
            json!({"comment": "old", "scopes": ["a"]}),
        )
        .await;
    let id = r.json["token_info"]["token_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/2.0/token/{id}");
    // Only masked fields change.
    let r = api
        .patch(
            &path,
            ADMIN,
            json!({"token": {"comment": "new", "scopes": ["b"]}, "update_mask": "comment"}),
        )
        .await;
    assert_eq!((r.status, &r.json), (200, &json!({})));
    let t = listed(&api, &id).await;
    assert_eq!(
        (&t["comment"], &t["scopes"]),
        (&json!("new"), &json!(["a"]))
    );

    // Both fields.
    api.patch(
        &path,
        ADMIN,
        json!({"token": {"comment": "both", "scopes": ["c", "d"]}, "update_mask": "comment,scopes"}),
    )
    .await;
    let t = listed(&api, &id).await;
    assert_eq!(
        (&t["comment"], &t["scopes"]),
        (&json!("both"), &json!(["c", "d"]))
    );

    // No mask: every provided field.
    api.patch(&path, ADMIN, json!({"token": {"scopes": ["e"]}}))
        .await;
    let t = listed(&api, &id).await;
    assert_eq!(
        (&t["comment"], &t["scopes"]),
        (&json!("both"), &json!(["e"]))
    );

    // A masked field absent from `token` is cleared.
    api.patch(&path, ADMIN, json!({"token": {}, "update_mask": "comment"}))
        .await;
    let t = listed(&api, &id).await;
    assert!(t.get("comment").is_none(), "{t}");

    // Unknown mask field: 400, nothing changes.
    let r = api
        .patch(
            &path,
            ADMIN,
            json!({"token": {"scopes": ["z"]}, "update_mask": "scopes,expiry_time"}),
        )
        .await;
    assert_eq!(r.error().0, 400);
    assert_eq!(r.error().1, "INVALID_PARAMETER_VALUE");
    assert_eq!(listed(&api, &id).await["scopes"], json!(["e"]));

    // Wrong types are malformed.
    let r = api
        .patch(&path, ADMIN, json!({"token": {"comment": 1}}))
        .await;
    assert_eq!(
        r.error(),
        (
            400,
            json!("MALFORMED_REQUEST"),
            json!("Could not parse request object: Expected string for field 'token.comment'")
        )
    );
}

#[tokio::test]
async fn patch_of_unknown_or_foreign_token_is_not_found() {
    let api = Api::new();
    let alice = api.user("alice@example.com");
    let admin_id = sha256_hex(ADMIN);
    for id in [admin_id.as_str(), "0000"] {
        let r = api
            .patch(
                &format!("/api/2.0/token/{id}"),
                &alice,
                json!({"token": {"comment": "x"}}),
            )
            .await;
        assert_eq!(r.error().0, 404);
        assert_eq!(r.error().1, "NOT_FOUND");
    }
}

#[tokio::test]
async fn quota_is_enforced_per_principal() {
    let api = Api::with(Emulator::builder().token_quota(3).build());
    let alice = api.user("alice@example.com"); // 1 of 3
    for _ in 0..2 {
        let r = api.post("/api/2.0/token/create", &alice, json!({})).await;
        assert_eq!(r.status, 200);
    }
    let r = api.post("/api/2.0/token/create", &alice, json!({})).await;
    assert_eq!(r.error().0, 400);
    assert_eq!(r.error().1, "QUOTA_EXCEEDED");
    // Another principal is unaffected; freeing one slot allows one more.
    assert_eq!(
        api.post("/api/2.0/token/create", ADMIN, json!({}))
            .await
            .status,
        200
    );
    let last = api.token_ids(&alice).await.pop().expect("a token");
    api.post("/api/2.0/token/delete", &alice, json!({"token_id": last}))
        .await;
    assert_eq!(
        api.post("/api/2.0/token/create", &alice, json!({}))
            .await
            .status,
        200
    );
    // The Rust seeding API follows the same rule.
    let err = api
        .emu
        .create_token("alice@example.com", None, None)
        .expect_err("quota");
    assert_eq!(err.error_code(), Some("QUOTA_EXCEEDED"));
}

#[tokio::test]
async fn quota_default_is_600_live_tokens() {
    let api = Api::new();
    let alice = api.user("alice@example.com");
    for i in 1..600 {
        let r = api.post("/api/2.0/token/create", &alice, json!({})).await;
        assert_eq!(r.status, 200, "token {i}");
    }
    assert_eq!(api.token_ids(&alice).await.len(), 600);
    let r = api.post("/api/2.0/token/create", &alice, json!({})).await;
    assert_eq!(r.error().1, "QUOTA_EXCEEDED");
}

#[tokio::test]
async fn max_token_lifetime_caps_new_tokens() {
    let api = Api::with(Emulator::builder().max_token_lifetime_days(Some(1)).build());
    api.emu.clock().freeze();
    let now = api.emu.clock().now_ms();
    let r = api
        .post(
            "/api/2.0/token/create",
            ADMIN,
            json!({"lifetime_seconds": 86_401}),
        )
        .await;
    assert_eq!(r.error().0, 400);
    assert_eq!(r.error().1, "INVALID_PARAMETER_VALUE");
    let r = api
        .post(
            "/api/2.0/token/create",
            ADMIN,
            json!({"lifetime_seconds": 86_400}),
        )
        .await;
    assert_eq!(r.json["token_info"]["expiry_time"], now + 86_400_000);
    let r = api.post("/api/2.0/token/create", ADMIN, json!({})).await;
    assert_eq!(r.json["token_info"]["expiry_time"], now + 86_400_000);
}

#[tokio::test]
async fn seeded_tokens_follow_the_same_rules() {
    let api = Api::new();
    api.emu.clock().freeze();
    api.emu
        .create_user("dave@example.com", false)
        .expect("user");
    let t = api
        .emu
        .create_token(
            "DAVE@example.com",
            Some(Duration::from_secs(10)),
            Some("seed"),
        )
        .expect("token");
    assert_eq!(t.token_id, sha256_hex(&t.token_value));
    assert!(
        !format!("{t:?}").contains(&t.token_value),
        "Debug redacts the value"
    );
    let r = api.get("/api/2.0/token/list", &t.token_value).await;
    assert_eq!(r.json["token_infos"][0]["comment"], "seed");
    api.emu.clock().advance(Duration::from_secs(10));
    assert_eq!(
        api.get("/api/2.0/token/list", &t.token_value).await.status,
        403
    );
    let err = api
        .emu
        .create_token("nobody", None, None)
        .expect_err("unknown");
    assert_eq!(err.status(), 404);
}
