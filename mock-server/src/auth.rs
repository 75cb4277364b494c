//! Authentication: bearer tokens on `/api` (<https://docs.databricks.com/en/dev-tools/auth/pat.html>) and the OAuth M2M endpoints under
//! `/oidc` (<https://docs.databricks.com/en/dev-tools/auth/oauth-m2m.html>).

use std::cell::RefCell;
use std::sync::Arc;

use base64::Engine;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::json;

use crate::api::{Area, EmuCtx, Reply, Route};
use crate::emulator::Emulator;
use crate::error::ApiError;
use crate::state::{hash_secret, Principal, State};

/// Lifetime of an OAuth access token (one hour: <https://docs.databricks.com/en/dev-tools/auth/oauth-m2m.html>).
const OAUTH_TOKEN_SECS: i64 = 3600;
/// The scope granted when the client asks for none.
const DEFAULT_SCOPE: &str = "all-apis";

/// The principal behind `Authorization: Bearer <token>`.
///
/// No header, an unreadable one, another scheme or an empty token → 401 with the integer
/// `error_code`; a token that is unknown, revoked or expired (on the emulator clock) → 403
/// "Invalid access token.". The scheme name is matched case-insensitively (our inference).
pub(crate) fn authenticate(
    emu: &Emulator,
    headers: &HeaderMap,
    request_id: &str,
    now: i64,
) -> Result<Arc<Principal>, ApiError> {
    let token = bearer_token(headers, request_id)?;
    authenticate_in(&emu.inner.state.read(), token, now)
}

/// The bearer token of a request, or the 401 of [`authenticate`]. It is visible ASCII (see
/// [`credential`]); it stays bytes, as it is only compared and hashed.
pub(crate) fn bearer_token<'h>(
    headers: &'h HeaderMap,
    request_id: &str,
) -> Result<&'h [u8], ApiError> {
    credential(headers, "bearer")
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::unauthenticated(request_id))
}

/// [`authenticate`] with the state already locked by the caller (the dispatcher authenticates
/// and runs the handler under one lock).
pub(crate) fn authenticate_in(
    state: &State,
    token: &[u8],
    now: i64,
) -> Result<Arc<Principal>, ApiError> {
    LAST_TOKEN
        .with_borrow_mut(|last| {
            let last = match last {
                Some(last) if last.token == token => last,
                _ => last.insert(LastToken {
                    token: token.to_vec(),
                    hash: hash_secret(token),
                    principal: None,
                }),
            };
            let principal = state.authenticate_hash(&last.hash, now)?;
            // The principal as it is now in the state: the cached copy only while it is equal.
            match &last.principal {
                Some(cached) if **cached == *principal => Some(Arc::clone(cached)),
                _ => Some(Arc::clone(
                    last.principal.insert(Arc::new(principal.clone())),
                )),
            }
        })
        .ok_or_else(ApiError::invalid_token)
}

/// What [`authenticate`] remembers, per thread, of the bearer token it saw last.
struct LastToken {
    /// The token (only compared and replaced; never logged or formatted).
    token: Vec<u8>,
    /// Its [`hash_secret`].
    hash: String,
    /// The principal it authenticated last time, shared with the requests that used it.
    principal: Option<Arc<Principal>>,
}

thread_local! {
    /// The bearer token this thread authenticated last, its hash and its principal. Tokens are
    /// stored by their SHA-256 (the token id), and hashing cost more than all the rest of
    /// authentication; a client sends the same token on every request, so one entry per thread
    /// nearly always hits. The principal is still looked up in the state on every request (a
    /// revoked token or a deactivated user is refused at once); the cached copy only saves
    /// cloning it when it has not changed.
    static LAST_TOKEN: RefCell<Option<LastToken>> = const { RefCell::new(None) };
}

/// The credential of the `Authorization` header if its scheme is `scheme` (case-insensitive):
/// the header trimmed, split at its first space, the scheme compared and the rest trimmed.
/// A header with a byte that is not visible ASCII (or a space or tab) has no credential (as
/// [`HeaderValue::to_str`] would refuse it), so the credential is ASCII text.
///
/// This runs on every `/api` request: it works on the bytes, with no second pass to make a
/// `str` of them, and checks them without an early exit (which the compiler vectorizes).
fn credential<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a [u8]> {
    let bytes = headers.get(header::AUTHORIZATION)?.as_bytes();
    let invisible = bytes.iter().fold(0u8, |acc, &b| {
        acc | u8::from(b < b' ' && b != b'\t') | u8::from(b > b'~')
    });
    if invisible != 0 {
        return None;
    }
    let value = bytes.trim_ascii();
    let space = value.iter().position(|&b| b == b' ')?;
    let (s, credential) = value.split_at(space);
    s.eq_ignore_ascii_case(scheme.as_bytes())
        .then(|| credential.trim_ascii())
}

/// The OAuth and discovery routes (`/oidc/...`, `/.well-known/...`): no bearer authentication.
pub(crate) fn routes() -> Vec<Route> {
    let route = |method, path, handler| Route::outside_api(Area::Oidc, method, path, handler);
    vec![
        route(
            Method::GET,
            "oidc/.well-known/oauth-authorization-server",
            |ctx| Ok(Reply::json(discovery(&base_url(ctx.uri, ctx.headers)))),
        ),
        route(Method::GET, ".well-known/databricks-config", |ctx| {
            Ok(Reply::json(host_metadata(&base_url(ctx.uri, ctx.headers))))
        }),
        route(Method::POST, "oidc/v1/token", token),
    ]
}

/// `POST /oidc/v1/token`.
fn token(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    let base = base_url(ctx.uri, ctx.headers);
    let (value, caller) = issue_token(ctx.emu, ctx.headers, ctx.body, &base)?;
    ctx.journal_caller = Some(caller);
    Ok(Reply::json(value).with_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

/// `http://<host>` of a request: the Host header, else the URI authority (in-process requests).
fn base_url(uri: &http::Uri, headers: &HeaderMap) -> String {
    let scheme = uri.scheme_str().unwrap_or("http");
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.as_str().to_owned()))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{scheme}://{host}")
}

/// The emulated workspace's id, as host metadata reports it.
pub const WORKSPACE_ID: &str = "1000000000000000";
/// The emulated workspace's account id, as host metadata reports it.
pub const ACCOUNT_ID: &str = "00000000-0000-4000-8000-00000000d6b0";

/// `GET /.well-known/databricks-config`: the host metadata current SDKs fetch before anything
/// else (databricks-sdk-py ≥ 0.7x reads `oidc_endpoint` from it to find the OAuth endpoints, and
/// `workspace_id` to tell a workspace host from an account host). The field set follows what the
/// SDKs parse [inf: the service's exact document was not available to us].
fn host_metadata(base: &str) -> serde_json::Value {
    json!({
        "oidc_endpoint": format!("{base}/oidc"),
        "workspace_id": WORKSPACE_ID,
        "account_id": ACCOUNT_ID,
        "cloud": "AWS",
    })
}

/// The OAuth authorization server metadata (RFC 8414) for the workspace at `base`.
fn discovery(base: &str) -> serde_json::Value {
    json!({
        "issuer": format!("{base}/oidc"),
        "authorization_endpoint": format!("{base}/oidc/v1/authorize"),
        "token_endpoint": format!("{base}/oidc/v1/token"),
        "jwks_uri": format!("{base}/oidc/jwks.json"),
        "response_types_supported": ["code", "id_token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
        "scopes_supported": ["all-apis", "offline_access", "openid", "profile", "email"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })
}

/// The client id and secret: HTTP Basic first, else the `client_id`/`client_secret` form fields.
fn client_credentials(headers: &HeaderMap, form: &[(String, String)]) -> Option<(String, String)> {
    let basic = credential(headers, "basic")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(id, secret)| (id.to_owned(), secret.to_owned()))
        });
    basic.or_else(|| {
        Some((
            field(form, "client_id")?.to_owned(),
            field(form, "client_secret")?.to_owned(),
        ))
    })
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `POST /oidc/v1/token` (client credentials grant): returns the JSON answer and the service
/// principal's application id.
///
/// The grant type is checked before the client (our inference for the order).
fn issue_token(
    emu: &Emulator,
    headers: &HeaderMap,
    body: &[u8],
    base: &str,
) -> Result<(serde_json::Value, String), ApiError> {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
        ApiError::oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Malformed form body",
        )
    })?;
    match field(&form, "grant_type") {
        None => {
            return Err(ApiError::oauth(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing required parameter: grant_type",
            ))
        }
        Some("client_credentials") => {}
        Some(other) => {
            return Err(ApiError::oauth(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("Unsupported grant_type: {other}"),
            ))
        }
    }
    let bad_client = || {
        ApiError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        )
    };
    let (client_id, secret) = client_credentials(headers, &form).ok_or_else(bad_client)?;
    let scope = field(&form, "scope")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(DEFAULT_SCOPE)
        .to_owned();
    let now = emu.inner.clock.now_ms();
    let mut state = emu.inner.state.write();
    let sp = state
        .identity
        .check_client_secret(&client_id, &secret)
        .cloned()
        .ok_or_else(bad_client)?;
    let app_id = sp
        .application_id
        .clone()
        .unwrap_or_else(|| sp.user_name.clone());
    let token = jwt_like(base, &app_id, &scope, now);
    state.tokens.insert_oauth(
        &token,
        &sp.id,
        now,
        OAUTH_TOKEN_SECS * 1000,
        &emu.inner.config.limits.state,
    )?;
    let answer = json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": OAUTH_TOKEN_SECS,
        "scope": scope,
    });
    Ok((answer, app_id))
}

/// An opaque access token shaped like a JWT (header.claims.signature, base64url). The signature
/// is random bytes: clients must treat the token as opaque.
fn jwt_like(base: &str, subject: &str, scope: &str, now_ms: i64) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = json!({"alg": "RS256", "kid": "dbx-mock-server", "typ": "at+jwt"});
    let iat = now_ms.div_euclid(1000);
    let claims = json!({
        "iss": format!("{base}/oidc"),
        "aud": subject,
        "sub": subject,
        "client_id": subject,
        "scope": scope,
        "iat": iat,
        "exp": iat.saturating_add(OAUTH_TOKEN_SECS),
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(&rand::random::<[u8; 32]>()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-level [`credential`] answers as the `to_str`, `trim`, `split_once` version it
    /// replaced, for every shape of header a client (or an attacker) may send.
    #[test]
    fn credential_matches_the_string_version() {
        fn reference<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a [u8]> {
            headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().split_once(' '))
                .filter(|(s, _)| s.eq_ignore_ascii_case(scheme))
                .map(|(_, credential)| credential.trim().as_bytes())
        }
        let mut values: Vec<Vec<u8>> = [
            "Bearer dapi123",
            "bearer dapi123",
            "BEARER   dapi123  ",
            "  Bearer dapi123",
            "\tBearer\tdapi123",
            "Bearer\t dapi123",
            "Bearer",
            "Bearer ",
            "Bearer  ",
            "Basic dXNlcjpwYXNz",
            "Bearerx dapi",
            "Bearer a b c",
            "Bearer dapi~!#$%&'*+-.^_`|",
            "",
            " ",
        ]
        .iter()
        .map(|v| v.as_bytes().to_vec())
        .collect();
        values.push(b"Bearer dapi\x7f".to_vec());
        values.push(b"Bearer caf\xc3\xa9".to_vec());
        values.push(b"Bearer \x80\x81".to_vec());
        values.push(b"Bearer a\x01b".to_vec());
        values.push(b"Bearer a\x0bb".to_vec());
        for (i, value) in values.iter().enumerate() {
            let Ok(value) = HeaderValue::from_bytes(value) else {
                continue; // http refuses it before the emulator sees it
            };
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value);
            for scheme in ["bearer", "basic"] {
                assert_eq!(
                    credential(&headers, scheme),
                    reference(&headers, scheme),
                    "value {i}, scheme {scheme}"
                );
            }
        }
        assert_eq!(credential(&HeaderMap::new(), "bearer"), None);
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("header value");
        headers.insert(header::AUTHORIZATION, value);
        headers
    }

    /// The per-thread cache follows the token asked and the principal's current state: the
    /// same token again shares the cached principal, a deactivated owner is refused at once, a
    /// changed principal is copied afresh, and another token is looked up on its own.
    #[test]
    fn token_cache_follows_the_token_and_the_state() {
        let emu = Emulator::new();
        let admin = bearer(crate::emulator::DEFAULT_ADMIN_TOKEN);
        let first = authenticate(&emu, &admin, "r", emu.inner.clock.now_ms()).expect("admin");
        let again = authenticate(&emu, &admin, "r", emu.inner.clock.now_ms()).expect("admin");
        assert!(
            Arc::ptr_eq(&first, &again),
            "unchanged principal: the cached copy"
        );
        let id = first.id.clone();
        emu.inner.state.write().identity.set_active(&id, false);
        let err =
            authenticate(&emu, &admin, "r", emu.inner.clock.now_ms()).expect_err("deactivated");
        assert_eq!(err.status(), StatusCode::FORBIDDEN);
        emu.inner.state.write().identity.set_active(&id, true);
        let back = authenticate(&emu, &admin, "r", emu.inner.clock.now_ms()).expect("reactivated");
        assert_eq!(*back, *first);
        emu.inner
            .state
            .write()
            .identity
            .set_principal_display_name(&id, "Renamed Admin");
        let renamed = authenticate(&emu, &admin, "r", emu.inner.clock.now_ms()).expect("renamed");
        assert_eq!(renamed.display_name, "Renamed Admin");
        assert!(!Arc::ptr_eq(&renamed, &first));
        let other = authenticate(&emu, &bearer("dapi-unknown"), "r", emu.inner.clock.now_ms())
            .expect_err("unknown");
        assert_eq!(other.status(), StatusCode::FORBIDDEN);
        let none = authenticate(&emu, &HeaderMap::new(), "r", emu.inner.clock.now_ms())
            .expect_err("no header");
        assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
        assert!(authenticate(&emu, &admin, "r", emu.inner.clock.now_ms()).is_ok());
    }
}
