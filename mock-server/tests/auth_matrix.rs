//! The auth matrix, generated from the emulator's route table: every route × {no credential,
//! malformed header, unknown token, revoked token, expired token, deactivated user, non-admin
//! user, admin, OAuth M2M service principal} answers as documented.
//!
//! Authentication (`mock-server/src/auth.rs`, docs/emulator.md "Authentication", the
//! catalogue's §1.1): on `/api`, no credential or one that is not `Bearer <token>` → 401 with
//! the integer `error_code` 401; an unknown, revoked or expired token, or one of a deactivated
//! principal → 403 `{"error_code":403,"message":"Invalid access token."}`. What an authenticated
//! caller gets is each route's `Access` declaration (`mock-server/src/api/mod.rs`): the admin
//! is answered 2xx with the route's valid sample; a non-admin user, and a non-admin service
//! principal calling with an OAuth M2M access token, get what the declaration says. `/oidc`
//! and `/__mock` routes are `Open`: every column answers the valid sample with 2xx. A route
//! without a declaration or without a sample fails the test.

mod fuzzkit;

use std::time::Duration;

use dbx_mock_server::{route_table, Access, Emulator};
use fuzzkit::samples::sample;
use fuzzkit::{check_answer, route_key, Cred, Enc, Env, Resp, Sample};
use http::Method;
use serde_json::{json, Map};

/// The columns of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    NoCredential,
    Malformed,
    Unknown,
    Revoked,
    Expired,
    Deactivated,
    NonAdmin,
    Admin,
    ServicePrincipal,
}

const COLUMNS: [Column; 9] = [
    Column::NoCredential,
    Column::Malformed,
    Column::Unknown,
    Column::Revoked,
    Column::Expired,
    Column::Deactivated,
    Column::NonAdmin,
    Column::Admin,
    Column::ServicePrincipal,
];

/// `Authorization` values that carry no usable bearer credential.
const MALFORMED: [&str; 5] = [
    "Bearer",
    "Bearer ",
    "Token dapi0123",
    "NotAScheme",
    "Bearer\t",
];

/// What a cell must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 2xx.
    Ok,
    /// 401, integer `error_code` 401.
    Unauthenticated,
    /// 403 "Invalid access token.", integer `error_code` 403.
    InvalidToken,
    /// This status and `error_code` (SCIM bodies: the status only).
    Error(u16, &'static str),
}

fn expect(access: Access, col: Column) -> Expect {
    if access == Access::Open {
        return Expect::Ok;
    }
    let non_admin = match access {
        Access::Open | Access::AnyUser => Expect::Ok,
        Access::AdminOnly => Expect::Error(403, "PERMISSION_DENIED"),
        Access::Resource { status, error_code } => Expect::Error(status, error_code),
    };
    match col {
        Column::NoCredential | Column::Malformed => Expect::Unauthenticated,
        Column::Unknown | Column::Revoked | Column::Expired | Column::Deactivated => {
            Expect::InvalidToken
        }
        Column::NonAdmin | Column::ServicePrincipal => non_admin,
        Column::Admin => Expect::Ok,
    }
}

fn matches(resp: &Resp, want: Expect, scim: bool) -> bool {
    let j = &resp.json;
    match want {
        Expect::Ok => (200..300).contains(&resp.status),
        Expect::Unauthenticated => {
            resp.status == 401
                && j["error_code"] == json!(401)
                && j["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("Credential was not sent"))
        }
        Expect::InvalidToken => {
            resp.status == 403
                && j["error_code"] == json!(403)
                && j["message"] == json!("Invalid access token.")
                && resp.header("x-databricks-reason-phrase") == Some("Invalid access token.")
        }
        Expect::Error(status, code) => {
            resp.status == status
                && if scim {
                    j["status"] == json!(status.to_string())
                } else {
                    j["error_code"] == json!(code)
                }
        }
    }
}

/// The principals and credentials of one route's row.
struct Principals {
    non_admin: String,
    revoked: String,
    expired: String,
    deactivated: String,
    /// The OAuth M2M access token of a non-admin service principal.
    sp: String,
}

async fn principals(env: &Env) -> Principals {
    let emu = &env.emu;
    let admin = emu.admin_user_name();
    emu.create_user("plain@example.com", false)
        .expect("plain user");
    let non_admin = emu
        .create_token("plain@example.com", None, None)
        .expect("plain token")
        .token_value;
    let revoked = emu.create_token(&admin, None, None).expect("token");
    env.admin(
        Method::POST,
        "/api/2.0/token/delete",
        json!({ "token_id": revoked.token_id }),
    )
    .await
    .expect("revoke");
    let gone = emu
        .create_user("gone@example.com", false)
        .expect("gone user");
    let deactivated = emu
        .create_token("gone@example.com", None, None)
        .expect("gone token")
        .token_value;
    env.admin(
        Method::PATCH,
        &format!("/api/2.0/preview/scim/v2/Users/{}", gone.id),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
               "Operations": [{"op": "replace", "path": "active", "value": false}]}),
    )
    .await
    .expect("deactivate");
    let expired = emu
        .create_token(&admin, Some(Duration::from_secs(1)), None)
        .expect("short token")
        .token_value;
    emu.clock().advance(Duration::from_secs(2));
    let sp = emu
        .create_service_principal("robot", false)
        .expect("service principal");
    let sp = oauth_token(env, &(sp.application_id, sp.client_secret)).await;
    Principals {
        non_admin,
        revoked: revoked.token_value,
        expired,
        deactivated,
        sp,
    }
}

/// A fresh OAuth M2M access token of the service principal.
async fn oauth_token(env: &Env, (id, secret): &(String, String)) -> String {
    let mut params = Map::new();
    params.insert("grant_type".into(), json!("client_credentials"));
    params.insert("client_id".into(), json!(id));
    params.insert("client_secret".into(), json!(secret));
    let token = Sample {
        method: Method::POST,
        path: "/oidc/v1/token".into(),
        params,
        enc: Enc::Form,
    };
    let resp = env.send(&token, &Cred::None).await;
    assert_eq!(resp.status, 200, "OAuth token: {:?}", resp.body);
    resp.json["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

#[tokio::test(flavor = "current_thread")]
async fn every_route_answers_every_credential_as_declared() {
    let started = std::time::Instant::now();
    let routes = route_table();
    let mut failures: Vec<String> = Vec::new();
    let mut cells = 0usize;
    let mut observed: Vec<String> = Vec::new();
    for (n, r) in routes.iter().enumerate() {
        let key = route_key(r);
        let Some(access) = r.access else {
            failures.push(format!("{key}: no access declaration (Route::access)"));
            continue;
        };
        // A state directory of its own per route, so `POST /__mock/snapshot` has somewhere to
        // write (without one it is refused with 400, as documented).
        let state_dir =
            std::env::temp_dir().join(format!("dbx-auth-matrix-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state_dir);
        let emu = Emulator::builder()
            .state_dir(&state_dir)
            .try_build()
            .expect("emulator with a state directory");
        let _cleanup = RemoveOnDrop(state_dir.clone());
        let env = Env::new(emu);
        let who = principals(&env).await;
        for col in COLUMNS {
            let fresh = match sample(&env, r).await {
                Ok(Some(s)) => s,
                Ok(None) => {
                    failures.push(format!("{key}: no sample (tests/fuzzkit/samples.rs)"));
                    break;
                }
                Err(e) => {
                    failures.push(format!("{key} [{col:?}]: {e}"));
                    continue;
                }
            };
            let cred = match col {
                Column::NoCredential => Cred::None,
                Column::Malformed => Cred::Raw(MALFORMED[n % MALFORMED.len()].into()),
                Column::Unknown => Cred::Bearer("dapi00000000000000000000000000000000".into()),
                Column::Revoked => Cred::Bearer(who.revoked.clone()),
                Column::Expired => Cred::Bearer(who.expired.clone()),
                Column::Deactivated => Cred::Bearer(who.deactivated.clone()),
                Column::NonAdmin => Cred::Bearer(who.non_admin.clone()),
                Column::Admin => Cred::Bearer(env.emu.admin_token()),
                Column::ServicePrincipal => Cred::Bearer(who.sp.clone()),
            };
            let resp = env.send(&fresh, &cred).await;
            cells += 1;
            let want = expect(access, col);
            let scim =
                r.scim_errors && !matches!(want, Expect::Unauthenticated | Expect::InvalidToken);
            if col == Column::NonAdmin {
                observed.push(format!(
                    "{key}: non-admin {} {}",
                    resp.status,
                    String::from_utf8_lossy(&resp.body)
                        .chars()
                        .take(160)
                        .collect::<String>()
                ));
            }
            if let Err(e) = check_answer(&resp, r.area, r.scim_errors, scim) {
                failures.push(format!("{key} [{col:?}]: {e}"));
            }
            if !matches(&resp, want, scim) {
                failures.push(format!(
                    "{key} [{col:?}]: expected {want:?}, got {} {}",
                    resp.status,
                    String::from_utf8_lossy(&resp.body)
                ));
            }
        }
    }
    if std::env::var_os("AUTH_MATRIX_OBSERVED").is_some() {
        for o in &observed {
            println!("{o}");
        }
    }
    println!(
        "auth matrix: {} routes, {cells} cells, {:?}",
        routes.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The completeness rule itself: the table has routes of every area, and each has a
/// declaration (the matrix above fails for one without).
#[test]
fn every_route_declares_its_access() {
    let routes = route_table();
    for area in ["api", "oidc", "admin"] {
        assert!(routes.iter().any(|r| r.area == area), "no {area} route");
    }
    let undeclared: Vec<String> = routes
        .iter()
        .filter(|r| r.access.is_none())
        .map(route_key)
        .collect();
    assert!(
        undeclared.is_empty(),
        "routes with no access declaration: {undeclared:?}"
    );
    for r in routes.iter().filter(|r| r.area != "api") {
        assert_eq!(r.access, Some(Access::Open), "{}", route_key(r));
    }
}

/// Removes a directory when dropped.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
