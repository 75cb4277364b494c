//! Contract scenarios for the Token API: dbx-token against the emulator (or any workspace, see
//! `tests/README.md`).

use std::time::Duration;

use dbx_contract_tests::{portable, snapshot, Harness};
use dbx_core::{Error, ExposeSecret};
use dbx_mock_server::{Emulator, Fault};
use dbx_token::{TokenApi, TokenId};

fn status(e: &Error) -> u16 {
    e.status().map(|s| s.as_u16()).unwrap_or(0)
}

portable!(
    create_list_update_revoke_lifecycle,
    a_token_without_lifetime_never_expires,
    updating_an_unknown_token_is_not_found,
);

async fn create_list_update_revoke_lifecycle(h: &Harness) {
    let admin = TokenApi::new(h.admin.clone());

    let created = admin
        .create()
        .lifetime_seconds(3600)
        .comment("ci pipeline")
        .send()
        .await
        .expect("create");
    h.cleanup_token(created.token_info.token_id.as_str());
    assert!(created.token_value.expose_secret().starts_with("dapi"));
    assert_eq!(created.token_value.expose_secret().len(), 36);
    assert_eq!(created.token_info.token_id.as_str().len(), 64);
    assert_eq!(
        created.token_info.expiry_time - created.token_info.creation_time,
        3_600_000
    );
    snapshot!(h, "create");

    // The new token authenticates at once and sees itself in the list.
    let own = TokenApi::new(h.client_with_token(created.token_value.expose_secret()));
    let listed = own.list().await.expect("list");
    assert!(listed
        .iter()
        .any(|t| t.token_id == created.token_info.token_id));
    snapshot!(h, "list");

    admin
        .update(&created.token_info.token_id)
        .comment("renamed")
        .send()
        .await
        .expect("update");
    snapshot!(h, "update");
    let listed = own.list().await.expect("list");
    let info = listed
        .iter()
        .find(|t| t.token_id == created.token_info.token_id)
        .expect("still listed");
    assert_eq!(info.comment.as_deref(), Some("renamed"));
    h.clear_exchanges();

    admin
        .delete(&created.token_info.token_id)
        .await
        .expect("revoke");
    snapshot!(h, "delete");

    // A revoked token stops working at once.
    let err = own.list().await.expect_err("revoked");
    assert!(err.is_invalid_token(), "{err:?}");
    assert_eq!(status(&err), 403);
    assert!(!admin
        .list()
        .await
        .expect("list")
        .iter()
        .any(|t| t.token_id == created.token_info.token_id));
}

async fn a_token_without_lifetime_never_expires(h: &Harness) {
    let api = TokenApi::new(h.admin.clone());
    let created = api.create().send().await.expect("create");
    h.cleanup_token(created.token_info.token_id.as_str());
    assert!(created.token_info.never_expires());
    assert_eq!(created.token_info.comment, None);
    snapshot!(h, "create_minimal");
}

#[tokio::test]
async fn each_caller_lists_only_its_own_tokens() {
    let Some(h) = Harness::emulator_only("needs users made by the emulator") else {
        return;
    };
    let alice = TokenApi::new(h.user("alice@example.com"));
    let bob = TokenApi::new(h.user("bob@example.com"));
    let a = alice
        .create()
        .comment("alice's")
        .send()
        .await
        .expect("alice");
    let b = bob.create().comment("bob's").send().await.expect("bob");
    let alice_ids: Vec<TokenId> = alice
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.token_id)
        .collect();
    let bob_ids: Vec<TokenId> = bob
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.token_id)
        .collect();
    assert!(
        alice_ids.contains(&a.token_info.token_id) && !alice_ids.contains(&b.token_info.token_id)
    );
    assert!(bob_ids.contains(&b.token_info.token_id) && !bob_ids.contains(&a.token_info.token_id));
    // Each has the harness token plus the one just made.
    assert_eq!(alice_ids.len(), 2);
    assert_eq!(bob_ids.len(), 2);
}

#[tokio::test]
async fn revoking_an_unknown_or_foreign_token_is_not_found() {
    let Some(h) = Harness::emulator_only("needs users made by the emulator") else {
        return;
    };
    let alice = TokenApi::new(h.user("alice@example.com"));
    let admin = TokenApi::new(h.admin.clone());
    let theirs = admin.create().send().await.expect("admin token");
    h.clear_exchanges();

    let err = alice
        .delete(&theirs.token_info.token_id)
        .await
        .expect_err("foreign");
    assert_eq!(
        (status(&err), err.error_code()),
        (404, Some("RESOURCE_DOES_NOT_EXIST"))
    );
    assert!(err.is_not_found());
    let err = alice
        .delete(&TokenId::from("0".repeat(64)))
        .await
        .expect_err("unknown");
    assert_eq!(
        (status(&err), err.error_code()),
        (404, Some("RESOURCE_DOES_NOT_EXIST"))
    );
    snapshot!(h, "delete_not_found");
    // The admin's token still works.
    let still = TokenApi::new(h.client_with_token(theirs.token_value.expose_secret()));
    still.list().await.expect("untouched");
}

async fn updating_an_unknown_token_is_not_found(h: &Harness) {
    let api = TokenApi::new(h.admin.clone());
    let err = api
        .update(&TokenId::from("f".repeat(64)))
        .comment("x")
        .send()
        .await
        .expect_err("unknown");
    assert_eq!((status(&err), err.error_code()), (404, Some("NOT_FOUND")));
    snapshot!(h, "update_not_found");
}

#[tokio::test]
async fn the_quota_is_600_live_tokens_per_user() {
    let Some(h) = Harness::emulator_only("needs a user made by the emulator (and 600 tokens)")
    else {
        return;
    };
    let api = TokenApi::new(h.user("busy@example.com"));
    // The harness already made one token for this user.
    let mut last = None;
    for _ in 1..600 {
        last = Some(api.create().send().await.expect("under quota"));
    }
    let err = api.create().send().await.expect_err("over quota");
    assert_eq!(
        (status(&err), err.error_code()),
        (400, Some("QUOTA_EXCEEDED"))
    );
    assert_eq!(api.list().await.expect("list").len(), 600);
    // Revoking one frees a slot.
    let last = last.expect("created some");
    api.delete(&last.token_info.token_id).await.expect("revoke");
    api.create().send().await.expect("slot freed");
}

#[tokio::test]
async fn an_expired_token_is_refused_and_no_longer_listed() {
    let Some(h) = Harness::emulator_only("needs the emulator clock") else {
        return;
    };
    h.emu().clock().freeze();
    let api = TokenApi::new(h.admin.clone());
    let short = api
        .create()
        .lifetime(Duration::from_secs(60))
        .send()
        .await
        .expect("create");
    let own = TokenApi::new(h.client_with_token(short.token_value.expose_secret()));
    own.list().await.expect("valid for now");
    h.emu().clock().advance(Duration::from_secs(59));
    own.list().await.expect("still valid");
    h.emu().clock().advance(Duration::from_secs(2));
    let err = own.list().await.expect_err("expired");
    assert!(err.is_invalid_token(), "{err:?}");
    assert!(!api
        .list()
        .await
        .expect("list")
        .iter()
        .any(|t| t.token_id == short.token_info.token_id));
}

#[tokio::test]
async fn a_lifetime_above_the_workspace_maximum_is_refused() {
    let Some(h) = Harness::emulator_only_with("needs a configured emulator", || {
        Emulator::builder().max_token_lifetime_days(Some(1)).build()
    }) else {
        return;
    };
    let api = TokenApi::new(h.admin.clone());
    api.create()
        .lifetime_seconds(86_400)
        .send()
        .await
        .expect("exactly one day");
    let err = api
        .create()
        .lifetime_seconds(86_401)
        .send()
        .await
        .expect_err("too long");
    assert_eq!(
        (status(&err), err.error_code()),
        (400, Some("INVALID_PARAMETER_VALUE"))
    );
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_not_sent_twice() {
    let Some(h) = Harness::emulator_only("needs fault injection") else {
        return;
    };
    let api = TokenApi::new(h.admin.clone());
    let before = api.list().await.expect("list").len();
    // The server creates the token, then the gateway answers 504.
    h.emu().add_fault(
        Fault::on("/api/2.0/token/create")
            .status(504)
            .count(1)
            .after_apply(true),
    );
    let err = api.create().comment("once").send().await.expect_err("504");
    assert_eq!(status(&err), 504);
    let after = api.list().await.expect("list");
    assert_eq!(after.len(), before + 1, "exactly one token was created");

    // A throttled create did nothing on the server, so it is retried and creates one token.
    h.emu().add_fault(
        Fault::on("/api/2.0/token/create")
            .status(429)
            .retry_after_secs(0)
            .count(2),
    );
    api.create()
        .comment("throttled")
        .send()
        .await
        .expect("retried");
    assert_eq!(api.list().await.expect("list").len(), before + 2);
}
