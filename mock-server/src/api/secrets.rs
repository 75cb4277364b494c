//! Secrets API — `/api/2.0/secrets` (<https://docs.databricks.com/api/workspace/secrets>): scopes, secrets and scope ACLs, with the
//! ACLs enforced for every caller.
//!
//! Rules, from the API reference unless marked *our inference*:
//!
//! * Scope names: 1–128 characters of `[A-Za-z0-9_.-]` and `@` (the current docs allow `@` in
//!   scope names); unique ignoring case, so lookups ignore case too (*our inference*). At most
//!   [`Limits::secret_scopes`](crate::state::Limits) scopes (default
//!   [`DEFAULT_SCOPE_LIMIT`], the legacy documented 100) → `RESOURCE_LIMIT_EXCEEDED`.
//! * Secret keys: 1–128 characters of `[A-Za-z0-9_.-]` (no `@`: the key rule in the docs never
//!   had it); case-insensitive (current docs: "Secret names are case insensitive"), so a put
//!   that differs only in case overwrites and keeps the first spelling (*our inference*). At most
//!   [`MAX_SECRETS_PER_SCOPE`] per scope; values at most [`MAX_VALUE_BYTES`] decoded bytes.
//! * `secrets/put`: exactly one of `string_value` / `bytes_value`. Neither →
//!   `INVALID_PARAMETER_VALUE`; both ("conflicting") and non-base64 `bytes_value` ("incorrectly
//!   formatted") → `MALFORMED_REQUEST` (*our reading of the documented codes*). Base64 is read
//!   as protobuf JSON reads `bytes`: standard or URL-safe alphabet, padding optional.
//! * Permissions: `MANAGE` > `WRITE` > `READ`. A caller's level on a scope is the highest of
//!   the ACLs naming it or any group it belongs to (`users` holds everyone); members of
//!   `admins` have `MANAGE` on every scope. Listing secrets and `secrets/get` need `READ`;
//!   put/delete need `WRITE`; deleting the scope and every ACL call need `MANAGE`. Listing
//!   scopes and creating one need nothing: scope names are readable by all users.
//! * The creator gets `MANAGE`, unless `initial_manage_principal` is `users` (the only accepted
//!   value): then `users` gets it instead.
//! * ACL principals must be existing users (by user name), service principals (by application
//!   id) or groups; ACLs are stored under the principal's canonical spelling. `acls/put`
//!   overwrites an existing ACL (our inference, see docs/emulator.md, against the docs'
//!   mention of `RESOURCE_ALREADY_EXISTS`).
//! * Azure Key Vault scopes are accepted with their metadata (the real service additionally
//!   needs an AAD token, which the emulator does not model); they are read-only: put/delete
//!   answer `BAD_REQUEST`; they list no secrets.
//! * `secrets/get` is documented as DBUtils-only (a workspace answers `BAD_REQUEST` outside a
//!   notebook); the emulator answers it, with the `READ` check, for tests.
//! * Check order: parameters → scope exists (`RESOURCE_DOES_NOT_EXIST`, scope names are public)
//!   → permission (`PERMISSION_DENIED`) → operation. Denials name the caller and the scope.
//!
//! Secret values are kept only in this store; its `Debug` redacts them, and handlers never log.

use std::collections::BTreeMap;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use http::Method;
use serde_json::{json, Map, Value};

use super::{Access, Ctx, ReadCtx, Reply, Route};
use crate::error::{ApiError, ErrorCode};
use crate::state::permissions::{Grant, Grants};
use crate::state::secrets::{KeyVault, Permission, Scope, SecretBytes, StoredSecret};
use crate::state::{Principal, State, USERS_GROUP};

/// Default most scopes per workspace (the legacy documented limit; current docs say 1000).
pub(crate) const DEFAULT_SCOPE_LIMIT: usize = 100;
/// Most secrets in one scope.
pub(crate) const MAX_SECRETS_PER_SCOPE: usize = 1000;
/// Largest secret value, in decoded bytes (128 KiB).
pub(crate) const MAX_VALUE_BYTES: usize = 128 * 1024;
/// Longest scope name or key.
const MAX_NAME_CHARS: usize = 128;

/// The Secrets API routes (2.0 only).
pub(crate) fn routes() -> Vec<Route> {
    const V: &[&str] = &["2.0"];
    vec![
        Route::new(Method::POST, "secrets/scopes/create", V, create_scope).access(Access::AnyUser),
        Route::new(Method::POST, "secrets/scopes/delete", V, delete_scope).access(Access::DENIED),
        Route::read(Method::GET, "secrets/scopes/list", V, list_scopes).access(Access::AnyUser),
        Route::new(Method::POST, "secrets/put", V, put_secret).access(Access::DENIED),
        Route::new(Method::POST, "secrets/delete", V, delete_secret).access(Access::DENIED),
        Route::read(Method::GET, "secrets/list", V, list_secrets).access(Access::DENIED),
        Route::read(Method::GET, "secrets/get", V, get_secret).access(Access::DENIED),
        Route::new(Method::POST, "secrets/acls/put", V, put_acl).access(Access::DENIED),
        Route::new(Method::POST, "secrets/acls/delete", V, delete_acl).access(Access::DENIED),
        Route::read(Method::GET, "secrets/acls/get", V, get_acl).access(Access::DENIED),
        Route::read(Method::GET, "secrets/acls/list", V, list_acls).access(Access::DENIED),
    ]
}

/// Whether `name` is 1–128 characters of letters, digits, `-`, `_`, `.` (and `@` if allowed).
fn valid_name(name: &str, allow_at: bool) -> bool {
    (1..=MAX_NAME_CHARS).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c) || (allow_at && c == '@'))
}

fn scope_not_found(scope: &str) -> ApiError {
    ApiError::does_not_exist(format!("Scope {scope} does not exist!"))
}

fn scope_of<'a>(state: &'a State, name: &str) -> Result<&'a Scope, ApiError> {
    state
        .secrets
        .scopes
        .get(&name.to_lowercase())
        .ok_or_else(|| scope_not_found(name))
}

fn scope_mut<'a>(state: &'a mut State, name: &str) -> Result<&'a mut Scope, ApiError> {
    state
        .secrets
        .scopes
        .get_mut(&name.to_lowercase())
        .ok_or_else(|| scope_not_found(name))
}

/// The named scope, if the caller holds at least `needed` on it.
fn authorized<'a>(
    state: &'a State,
    caller: &Principal,
    scope: &str,
    needed: Permission,
) -> Result<&'a Scope, ApiError> {
    let s = scope_of(state, scope)?;
    match s.acls.effective(&state.identity, caller) {
        Some(have) if have >= needed => Ok(s),
        _ => Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!(
                "User {} does not have {} permission on scope {} to perform this action.",
                caller.user_name,
                needed.as_str(),
                s.name
            ),
        )),
    }
}

/// The canonical name of an existing user (user name), service principal (application id) or
/// group (display name).
fn canonical_principal(state: &State, name: &str) -> Option<String> {
    state
        .identity
        .principal_by_name(name)
        .map(|p| p.user_name.clone())
        .or_else(|| {
            state
                .identity
                .group_by_name(name)
                .map(|g| g.display_name.clone())
        })
}

/// `POST secrets/scopes/create`.
fn create_scope(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let name = ctx.params.str("scope")?;
    let initial = ctx.params.opt_str("initial_manage_principal")?;
    let backend = ctx.params.opt_str("scope_backend_type")?;
    let vault = ctx.params.opt_object("backend_azure_keyvault")?;
    if !valid_name(name, true) {
        return Err(ApiError::invalid_parameter(format!(
            "Scope name '{name}' is invalid. It must consist of alphanumeric characters, \
             dashes, underscores, '@' and periods, and may not exceed 128 characters."
        )));
    }
    let grantee = match initial {
        None => ctx.caller.user_name.clone(),
        Some(p) if p.trim().eq_ignore_ascii_case(USERS_GROUP) => USERS_GROUP.to_owned(),
        Some(p) => {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid initial_manage_principal '{p}': the only supported principal is \
                 'users'."
            )))
        }
    };
    // The metadata object is validated whenever it is sent (the real service rejects
    // `{"resource_id": null, "dns_name": null}` even for DATABRICKS scopes).
    let vault = match vault {
        None => None,
        Some(v) => {
            let resource_id = v.opt_str("resource_id")?.filter(|s| !s.is_empty());
            let dns_name = v.opt_str("dns_name")?.filter(|s| !s.is_empty());
            match (resource_id, dns_name) {
                (Some(r), Some(d)) => Some(KeyVault {
                    resource_id: r.to_owned(),
                    dns_name: d.to_owned(),
                }),
                (r, d) => {
                    let missing: Vec<&str> = [
                        r.is_none().then_some("backend_azure_keyvault.resource_id"),
                        d.is_none().then_some("backend_azure_keyvault.dns_name"),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    return Err(ApiError::invalid_parameter(format!(
                        "Missing required fields: {}",
                        missing.join(", ")
                    )));
                }
            }
        }
    };
    let keyvault = match backend.map(str::to_ascii_uppercase).as_deref() {
        None | Some("DATABRICKS") => None,
        Some("AZURE_KEYVAULT") => Some(vault.ok_or_else(|| {
            ApiError::invalid_parameter(
                "Missing required fields: backend_azure_keyvault.resource_id, \
                 backend_azure_keyvault.dns_name",
            )
        })?),
        Some(_) => {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid scope_backend_type '{}': expected DATABRICKS or AZURE_KEYVAULT",
                backend.unwrap_or_default()
            )))
        }
    };
    let store = &mut ctx.state.secrets;
    let key = name.to_lowercase();
    if store.scopes.contains_key(&key) {
        return Err(ApiError::already_exists(format!(
            "Scope {name} already exists!"
        )));
    }
    let limit = ctx.limits.secret_scopes;
    if store.scopes.len() >= limit {
        return Err(ApiError::new(
            ErrorCode::ResourceLimitExceeded,
            format!(
                "Cannot create scope {name}: the workspace has reached its limit of {limit} \
                 secret scopes."
            ),
        ));
    }
    let mut acls = Grants::default();
    acls.set(&grantee, Permission::Manage);
    store.scopes.insert(
        key,
        Scope {
            name: name.to_owned(),
            keyvault,
            secrets: BTreeMap::new(),
            acls,
        },
    );
    Ok(Reply::empty())
}

/// `POST secrets/scopes/delete`: needs MANAGE; drops the scope's secrets and ACLs.
fn delete_scope(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let name = ctx.params.str("scope")?;
    authorized(ctx.state, ctx.caller, name, Permission::Manage)?;
    ctx.state.secrets.scopes.remove(&name.to_lowercase());
    Ok(Reply::empty())
}

/// `GET secrets/scopes/list`: every scope, by name.
fn list_scopes(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let scopes: Vec<Value> = ctx
        .state
        .secrets
        .scopes
        .values()
        .map(|s| {
            let mut m = Map::new();
            m.insert("name".into(), json!(s.name));
            m.insert("backend_type".into(), json!(s.backend_type()));
            if let Some(kv) = &s.keyvault {
                m.insert(
                    "keyvault_metadata".into(),
                    json!({"resource_id": kv.resource_id, "dns_name": kv.dns_name}),
                );
            }
            Value::Object(m)
        })
        .collect();
    Ok(Reply::json(json!({ "scopes": scopes })))
}

fn read_only_scope(scope: &str) -> ApiError {
    ApiError::new(
        ErrorCode::BadRequest,
        format!(
            "Scope {scope} is backed by Azure Key Vault and is read-only through this API; \
             manage its secrets in Azure Key Vault."
        ),
    )
}

/// Decode base64 as protobuf JSON does: standard or URL-safe alphabet, padding optional.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let standard = GeneralPurpose::new(&alphabet::STANDARD, config);
    let url_safe = GeneralPurpose::new(&alphabet::URL_SAFE, config);
    standard
        .decode(text)
        .or_else(|_| url_safe.decode(text))
        .ok()
}

/// `POST secrets/put`: needs WRITE; creates or overwrites.
fn put_secret(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let scope = ctx.params.str("scope")?;
    let key = ctx.params.str("key")?;
    let string_value = ctx.params.opt_str("string_value")?;
    let bytes_value = ctx.params.opt_str("bytes_value")?;
    if !valid_name(key, false) {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid secret key '{key}': it must consist of alphanumeric characters, dashes, \
             underscores, and periods, and may not exceed 128 characters."
        )));
    }
    // Never echo a value (or part of one) in an error.
    let value = match (string_value, bytes_value) {
        (Some(_), Some(_)) => {
            return Err(ApiError::malformed(
                "Conflicting fields: exactly one of string_value and bytes_value must be set.",
            ))
        }
        (None, None) => {
            return Err(ApiError::invalid_parameter(
                "Exactly one of string_value and bytes_value must be specified.",
            ))
        }
        (Some(s), None) => s.as_bytes().to_vec(),
        (None, Some(b)) => decode_base64(b).ok_or_else(|| {
            ApiError::malformed("bytes_value is not a valid base64-encoded string.")
        })?,
    };
    if value.len() > MAX_VALUE_BYTES {
        return Err(ApiError::invalid_parameter(format!(
            "The secret value is {} bytes; the maximum allowed size is {MAX_VALUE_BYTES} bytes \
             (128 KB).",
            value.len()
        )));
    }
    let s = authorized(ctx.state, ctx.caller, scope, Permission::Write)?;
    if s.keyvault.is_some() {
        return Err(read_only_scope(&s.name));
    }
    let now = ctx.now_ms;
    let s = scope_mut(ctx.state, scope)?;
    let lower = key.to_lowercase();
    if let Some(existing) = s.secrets.get_mut(&lower) {
        existing.value = SecretBytes(value);
        existing.last_updated_timestamp = now;
        return Ok(Reply::empty());
    }
    if s.secrets.len() >= MAX_SECRETS_PER_SCOPE {
        return Err(ApiError::new(
            ErrorCode::ResourceLimitExceeded,
            format!(
                "Scope {} already holds the maximum of {MAX_SECRETS_PER_SCOPE} secrets.",
                s.name
            ),
        ));
    }
    s.secrets.insert(
        lower,
        StoredSecret {
            key: key.to_owned(),
            value: SecretBytes(value),
            last_updated_timestamp: now,
        },
    );
    Ok(Reply::empty())
}

fn secret_not_found(scope: &str, key: &str) -> ApiError {
    ApiError::does_not_exist(format!(
        "Secret does not exist with scope: {scope} and key: {key}"
    ))
}

/// `POST secrets/delete`: needs WRITE.
fn delete_secret(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let scope = ctx.params.str("scope")?;
    let key = ctx.params.str("key")?;
    let s = authorized(ctx.state, ctx.caller, scope, Permission::Write)?;
    if s.keyvault.is_some() {
        return Err(read_only_scope(&s.name));
    }
    let s = scope_mut(ctx.state, scope)?;
    match s.secrets.remove(&key.to_lowercase()) {
        Some(_) => Ok(Reply::empty()),
        None => Err(secret_not_found(&s.name, key)),
    }
}

/// `GET secrets/list`: needs READ; metadata only, by key.
fn list_secrets(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let scope = ctx.params.str("scope")?;
    let s = authorized(ctx.state, ctx.caller, scope, Permission::Read)?;
    let secrets: Vec<Value> = s
        .secrets
        .values()
        .map(|m| json!({"key": m.key, "last_updated_timestamp": m.last_updated_timestamp}))
        .collect();
    Ok(Reply::json(json!({ "secrets": secrets })))
}

/// `GET secrets/get`: needs READ; the value as standard base64.
fn get_secret(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let scope = ctx.params.str("scope")?;
    let key = ctx.params.str("key")?;
    let s = authorized(ctx.state, ctx.caller, scope, Permission::Read)?;
    let secret = s
        .secrets
        .get(&key.to_lowercase())
        .ok_or_else(|| secret_not_found(&s.name, key))?;
    Ok(Reply::json(json!({
        "key": secret.key,
        "value": STANDARD.encode(&secret.value.0),
    })))
}

fn acl_json(acl: &Grant<Permission>) -> Value {
    json!({"principal": acl.principal, "permission": acl.level.as_str()})
}

/// `POST secrets/acls/put`: needs MANAGE; creates or overwrites the principal's ACL.
fn put_acl(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let scope = ctx.params.str("scope")?;
    let principal = ctx.params.str("principal")?;
    let permission_text = ctx.params.str("permission")?;
    let permission = Permission::parse(permission_text).ok_or_else(|| {
        ApiError::invalid_parameter(format!(
            "Invalid permission '{permission_text}': expected one of READ, WRITE, MANAGE."
        ))
    })?;
    authorized(ctx.state, ctx.caller, scope, Permission::Manage)?;
    let canonical = canonical_principal(ctx.state, principal).ok_or_else(|| {
        ApiError::invalid_parameter(format!("Principal {principal} does not exist."))
    })?;
    let s = scope_mut(ctx.state, scope)?;
    s.acls.set(&canonical, permission);
    Ok(Reply::empty())
}

/// `POST secrets/acls/delete`: needs MANAGE.
fn delete_acl(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let scope = ctx.params.str("scope")?;
    let principal = ctx.params.str("principal")?;
    authorized(ctx.state, ctx.caller, scope, Permission::Manage)?;
    let canonical = canonical_principal(ctx.state, principal).ok_or_else(|| {
        ApiError::does_not_exist(format!("Principal {principal} does not exist."))
    })?;
    let s = scope_mut(ctx.state, scope)?;
    match s.acls.remove(&canonical) {
        Some(_) => Ok(Reply::empty()),
        None => Err(acl_not_found(&s.name, &canonical)),
    }
}

fn acl_not_found(scope: &str, principal: &str) -> ApiError {
    ApiError::does_not_exist(format!(
        "ACL for principal {principal} does not exist in scope {scope}!"
    ))
}

/// `GET secrets/acls/get`: needs MANAGE.
fn get_acl(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let scope = ctx.params.str("scope")?;
    let principal = ctx.params.str("principal")?;
    let s = authorized(ctx.state, ctx.caller, scope, Permission::Manage)?;
    let canonical = canonical_principal(ctx.state, principal).ok_or_else(|| {
        ApiError::invalid_parameter(format!("Principal {principal} does not exist."))
    })?;
    s.acls
        .get(&canonical)
        .map(|acl| Reply::json(acl_json(acl)))
        .ok_or_else(|| acl_not_found(&s.name, &canonical))
}

/// `GET secrets/acls/list`: needs MANAGE; the scope's ACLs by principal.
fn list_acls(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let scope = ctx.params.str("scope")?;
    let s = authorized(ctx.state, ctx.caller, scope, Permission::Manage)?;
    let items: Vec<Value> = s.acls.iter().map(acl_json).collect();
    Ok(Reply::json(json!({ "items": items })))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;
    use crate::emulator::{Emulator, DEFAULT_ADMIN_TOKEN};

    struct World {
        emu: Emulator,
    }

    impl World {
        fn new() -> Self {
            Self::with(Emulator::new())
        }

        fn with(emu: Emulator) -> Self {
            Self { emu }
        }

        /// A non-admin user and its token.
        fn user(&self, name: &str) -> String {
            if self.emu.principal(name).is_none() {
                self.emu.create_user(name, false).expect("user");
            }
            self.emu
                .create_token(name, None, None)
                .expect("token")
                .token_value
        }

        async fn call(&self, token: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
            let mut req = http::Request::builder()
                .method(method)
                .uri(format!("/api/2.0/secrets/{path}"))
                .header("authorization", format!("Bearer {token}"));
            let body = if method == "GET" {
                Body::empty()
            } else {
                req = req.header("content-type", "application/json");
                Body::from(body.to_string())
            };
            let resp = self
                .emu
                .router()
                .oneshot(req.body(body).expect("request"))
                .await
                .expect("infallible");
            let status = resp.status().as_u16();
            let bytes = resp.into_body().collect().await.expect("body").to_bytes();
            let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            (status, v)
        }

        async fn admin(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
            self.call(DEFAULT_ADMIN_TOKEN, method, path, body).await
        }
    }

    fn code(v: &Value) -> &str {
        v["error_code"].as_str().unwrap_or("")
    }

    #[test]
    fn names_follow_the_documented_charset() {
        assert!(valid_name("a-b_c.d", false));
        assert!(valid_name(&"x".repeat(128), false));
        assert!(!valid_name(&"x".repeat(129), false));
        assert!(!valid_name("", true));
        assert!(!valid_name("a b", true));
        assert!(!valid_name("a/b", true));
        assert!(!valid_name("é", true));
        assert!(valid_name("me@example.com", true));
        assert!(!valid_name("me@example.com", false));
        assert!(Permission::Manage > Permission::Write && Permission::Write > Permission::Read);
    }

    #[test]
    fn base64_is_read_like_protobuf_json() {
        assert_eq!(decode_base64("aGk=").as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode_base64("aGk").as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode_base64("_-8").as_deref(), Some(&[0xff, 0xef][..]));
        assert_eq!(decode_base64("/+8=").as_deref(), Some(&[0xff, 0xef][..]));
        assert_eq!(decode_base64("").as_deref(), Some(&b""[..]));
        assert!(decode_base64("a*b").is_none());
    }

    #[test]
    fn the_store_never_prints_a_value() {
        let v = SecretBytes(b"hunter2".to_vec());
        assert_eq!(format!("{v:?}"), "<redacted 7 bytes>");
    }

    #[tokio::test]
    async fn lifecycle_and_shapes() {
        let w = World::new();
        assert_eq!(
            w.admin("GET", "scopes/list", json!({})).await,
            (200, json!({}))
        );
        assert_eq!(
            w.admin("POST", "scopes/create", json!({"scope": "app"}))
                .await,
            (200, json!({}))
        );
        let (s, v) = w.admin("GET", "scopes/list", json!({})).await;
        assert_eq!(
            (s, v),
            (
                200,
                json!({"scopes": [{"name": "app", "backend_type": "DATABRICKS"}]})
            )
        );
        // An empty scope lists no secrets: the key is omitted.
        assert_eq!(
            w.admin("GET", "list?scope=app", json!({})).await,
            (200, json!({}))
        );
        w.emu.clock().freeze();
        w.emu.clock().set_ms(1_000);
        let put = json!({"scope": "app", "key": "k", "string_value": "hunter2"});
        assert_eq!(w.admin("POST", "put", put).await.0, 200);
        let put = json!({"scope": "app", "key": "b", "bytes_value": "AP8B"});
        assert_eq!(w.admin("POST", "put", put).await.0, 200);
        let (s, v) = w.admin("GET", "list?scope=APP", json!({})).await;
        assert_eq!(s, 200);
        assert_eq!(
            v,
            json!({"secrets": [{"key": "b", "last_updated_timestamp": 1000},
                               {"key": "k", "last_updated_timestamp": 1000}]})
        );
        let (s, v) = w.admin("GET", "get?scope=app&key=k", json!({})).await;
        assert_eq!((s, v), (200, json!({"key": "k", "value": "aHVudGVyMg=="})));
        let (_, v) = w.admin("GET", "get?scope=app&key=B", json!({})).await;
        assert_eq!(v, json!({"key": "b", "value": "AP8B"}));
        // Overwrite, with a key that differs only in case: one secret, first spelling kept.
        w.emu.clock().set_ms(2_000);
        let put = json!({"scope": "app", "key": "K", "string_value": "new"});
        assert_eq!(w.admin("POST", "put", put).await.0, 200);
        let (_, v) = w.admin("GET", "list?scope=app", json!({})).await;
        assert_eq!(
            v["secrets"][1],
            json!({"key": "k", "last_updated_timestamp": 2000})
        );
        let (_, v) = w.admin("GET", "acls/list?scope=app", json!({})).await;
        assert_eq!(
            v,
            json!({"items": [{"principal": "admin@example.com", "permission": "MANAGE"}]})
        );
        assert_eq!(
            w.admin("POST", "delete", json!({"scope": "app", "key": "k"}))
                .await
                .0,
            200
        );
        let (s, v) = w
            .admin("POST", "delete", json!({"scope": "app", "key": "k"}))
            .await;
        assert_eq!((s, code(&v)), (404, "RESOURCE_DOES_NOT_EXIST"));
        assert_eq!(
            v["message"],
            "Secret does not exist with scope: app and key: k"
        );
        assert_eq!(
            w.admin("POST", "scopes/delete", json!({"scope": "app"}))
                .await
                .0,
            200
        );
        let (s, v) = w
            .admin("POST", "scopes/delete", json!({"scope": "app"}))
            .await;
        assert_eq!(
            (s, v),
            (
                404,
                json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Scope app does not exist!"})
            )
        );
    }

    #[tokio::test]
    async fn scope_validation_and_limits() {
        let w = World::with(Emulator::builder().secret_scope_limit(2).build());
        let (s, v) = w
            .admin("POST", "scopes/create", json!({"scope": "bad name"}))
            .await;
        assert_eq!((s, code(&v)), (400, "INVALID_PARAMETER_VALUE"));
        let (s, v) = w.admin("POST", "scopes/create", json!({})).await;
        assert_eq!((s, code(&v)), (400, "INVALID_PARAMETER_VALUE"));
        assert_eq!(
            w.admin("POST", "scopes/create", json!({"scope": "a@b.c"}))
                .await
                .0,
            200
        );
        let (s, v) = w
            .admin("POST", "scopes/create", json!({"scope": "A@B.C"}))
            .await;
        assert_eq!((s, code(&v)), (400, "RESOURCE_ALREADY_EXISTS"));
        assert_eq!(v["message"], "Scope A@B.C already exists!");
        let (s, v) = w
            .admin(
                "POST",
                "scopes/create",
                json!({"scope": "x", "initial_manage_principal": "admins"}),
            )
            .await;
        assert_eq!((s, code(&v)), (400, "INVALID_PARAMETER_VALUE"));
        let (s, v) = w
            .admin(
                "POST",
                "scopes/create",
                json!({"scope": "x", "scope_backend_type": "AZURE_KEYVAULT"}),
            )
            .await;
        assert_eq!((s, code(&v)), (400, "INVALID_PARAMETER_VALUE"));
        let (s, v) = w
            .admin(
                "POST",
                "scopes/create",
                json!({"scope": "x", "scope_backend_type": "DATABRICKS",
                       "backend_azure_keyvault": {"resource_id": null, "dns_name": null}}),
            )
            .await;
        assert_eq!(
            (s, v["message"].as_str()),
            (400, Some("Missing required fields: backend_azure_keyvault.resource_id, backend_azure_keyvault.dns_name"))
        );
        let kv = json!({"scope": "kv", "scope_backend_type": "azure_keyvault",
                        "backend_azure_keyvault": {"resource_id": "/r", "dns_name": "https://d/"}});
        assert_eq!(w.admin("POST", "scopes/create", kv).await.0, 200);
        let (s, v) = w
            .admin("POST", "scopes/create", json!({"scope": "third"}))
            .await;
        assert_eq!((s, code(&v)), (400, "RESOURCE_LIMIT_EXCEEDED"));
        let (_, v) = w.admin("GET", "scopes/list", json!({})).await;
        assert_eq!(
            v["scopes"][1],
            json!({"name": "kv", "backend_type": "AZURE_KEYVAULT",
                   "keyvault_metadata": {"resource_id": "/r", "dns_name": "https://d/"}})
        );
        // Key Vault scopes are read-only.
        let put = json!({"scope": "kv", "key": "k", "string_value": "v"});
        let (s, v) = w.admin("POST", "put", put).await;
        assert_eq!((s, code(&v)), (400, "BAD_REQUEST"));
        let (s, v) = w
            .admin("POST", "delete", json!({"scope": "kv", "key": "k"}))
            .await;
        assert_eq!((s, code(&v)), (400, "BAD_REQUEST"));
    }

    #[tokio::test]
    async fn put_validation() {
        let w = World::new();
        assert_eq!(
            w.admin("POST", "scopes/create", json!({"scope": "s"}))
                .await
                .0,
            200
        );
        let cases = [
            (
                json!({"scope": "s", "key": "k"}),
                400,
                "INVALID_PARAMETER_VALUE",
            ),
            (
                json!({"scope": "s", "key": "k", "string_value": "a", "bytes_value": "YQ=="}),
                400,
                "MALFORMED_REQUEST",
            ),
            (
                json!({"scope": "s", "key": "k", "bytes_value": "not base64!"}),
                400,
                "MALFORMED_REQUEST",
            ),
            (
                json!({"scope": "s", "key": "bad/key", "string_value": "a"}),
                400,
                "INVALID_PARAMETER_VALUE",
            ),
            (
                json!({"scope": "s", "key": "a@b", "string_value": "a"}),
                400,
                "INVALID_PARAMETER_VALUE",
            ),
            (
                json!({"scope": "s", "key": "k".repeat(129), "string_value": "a"}),
                400,
                "INVALID_PARAMETER_VALUE",
            ),
            (
                json!({"scope": "s", "key": "k", "string_value": "x".repeat(MAX_VALUE_BYTES + 1)}),
                400,
                "INVALID_PARAMETER_VALUE",
            ),
            (
                json!({"scope": "s", "key": "k", "string_value": 5}),
                400,
                "MALFORMED_REQUEST",
            ),
            (
                json!({"scope": "nope", "key": "k", "string_value": "a"}),
                404,
                "RESOURCE_DOES_NOT_EXIST",
            ),
        ];
        for (body, status, error_code) in cases {
            let (s, v) = w.admin("POST", "put", body.clone()).await;
            assert_eq!((s, code(&v)), (status, error_code), "{body}");
            // No part of a value ever appears in an error.
            assert!(
                !v.to_string().contains("xxxx") && !v.to_string().contains("base64!"),
                "{v}"
            );
        }
        let exact = json!({"scope": "s", "key": "k", "bytes_value": STANDARD.encode(vec![7u8; MAX_VALUE_BYTES])});
        assert_eq!(w.admin("POST", "put", exact).await.0, 200);
        let (_, v) = w.admin("GET", "get?scope=s&key=k", json!({})).await;
        assert_eq!(
            decode_base64(v["value"].as_str().unwrap_or("")).map(|b| b.len()),
            Some(MAX_VALUE_BYTES)
        );
    }

    #[tokio::test]
    async fn a_scope_holds_at_most_1000_secrets() {
        let w = World::new();
        assert_eq!(
            w.admin("POST", "scopes/create", json!({"scope": "s"}))
                .await
                .0,
            200
        );
        {
            let mut state = w.emu.inner.state.write();
            let scope = state.secrets.scopes.get_mut("s").expect("scope");
            for i in 0..MAX_SECRETS_PER_SCOPE {
                scope.secrets.insert(
                    format!("k{i}"),
                    StoredSecret {
                        key: format!("k{i}"),
                        value: SecretBytes(vec![1]),
                        last_updated_timestamp: 0,
                    },
                );
            }
        }
        let (s, v) = w
            .admin(
                "POST",
                "put",
                json!({"scope": "s", "key": "one-more", "string_value": "v"}),
            )
            .await;
        assert_eq!((s, code(&v)), (400, "RESOURCE_LIMIT_EXCEEDED"));
        // Overwriting an existing key is still allowed.
        let (s, _) = w
            .admin(
                "POST",
                "put",
                json!({"scope": "s", "key": "K5", "string_value": "v"}),
            )
            .await;
        assert_eq!(s, 200);
    }

    #[tokio::test]
    async fn acls_are_enforced_directly_and_through_groups() {
        let w = World::new();
        let alice = w.user("alice@example.com");
        let bob = w.user("bob@example.com");
        w.emu.create_group("team").expect("group");
        w.emu.create_group("outer").expect("group");
        w.emu
            .add_group_member("team", "bob@example.com")
            .expect("member");
        w.emu.add_group_member("outer", "team").expect("member");

        // Alice creates a scope: she alone (and admins) may manage it.
        assert_eq!(
            w.call(&alice, "POST", "scopes/create", json!({"scope": "a"}))
                .await
                .0,
            200
        );
        let (s, v) = w.call(&bob, "GET", "list?scope=a", json!({})).await;
        assert_eq!((s, code(&v)), (403, "PERMISSION_DENIED"));
        assert_eq!(
            v["message"],
            "User bob@example.com does not have READ permission on scope a to perform this action."
        );
        // READ through a nested group.
        let grant = json!({"scope": "a", "principal": "outer", "permission": "READ"});
        assert_eq!(w.call(&alice, "POST", "acls/put", grant).await.0, 200);
        assert_eq!(w.call(&bob, "GET", "list?scope=a", json!({})).await.0, 200);
        let put = json!({"scope": "a", "key": "k", "string_value": "v"});
        let (s, v) = w.call(&bob, "POST", "put", put.clone()).await;
        assert_eq!((s, code(&v)), (403, "PERMISSION_DENIED"));
        // WRITE directly; the highest grant wins.
        let grant = json!({"scope": "a", "principal": "BOB@example.com", "permission": "WRITE"});
        assert_eq!(w.call(&alice, "POST", "acls/put", grant).await.0, 200);
        assert_eq!(w.call(&bob, "POST", "put", put).await.0, 200);
        let (s, v) = w.call(&bob, "GET", "acls/list?scope=a", json!({})).await;
        assert_eq!((s, code(&v)), (403, "PERMISSION_DENIED"));
        // The ACL is stored under the canonical spelling.
        let (_, v) = w
            .call(
                &alice,
                "GET",
                "acls/get?scope=a&principal=bob@EXAMPLE.com",
                json!({}),
            )
            .await;
        assert_eq!(
            v,
            json!({"principal": "bob@example.com", "permission": "WRITE"})
        );
        // Admins manage every scope.
        assert_eq!(w.admin("GET", "acls/list?scope=a", json!({})).await.0, 200);
        // Alice may be locked out of her own scope.
        let del = json!({"scope": "a", "principal": "alice@example.com"});
        assert_eq!(w.call(&alice, "POST", "acls/delete", del).await.0, 200);
        let (s, _) = w.call(&alice, "GET", "list?scope=a", json!({})).await;
        assert_eq!(s, 403);
    }

    #[tokio::test]
    async fn initial_manage_principal_users_gives_everyone_manage() {
        let w = World::new();
        let alice = w.user("alice@example.com");
        let bob = w.user("bob@example.com");
        let body = json!({"scope": "shared", "initial_manage_principal": "users"});
        assert_eq!(w.call(&alice, "POST", "scopes/create", body).await.0, 200);
        let (s, v) = w
            .call(&bob, "GET", "acls/list?scope=shared", json!({}))
            .await;
        assert_eq!(
            (s, v),
            (
                200,
                json!({"items": [{"principal": "users", "permission": "MANAGE"}]})
            )
        );
        let sp = w.emu.create_service_principal("ci", false).expect("sp");
        let token = w
            .emu
            .create_token(&sp.application_id, None, None)
            .expect("token")
            .token_value;
        assert_eq!(
            w.call(&token, "POST", "scopes/delete", json!({"scope": "shared"}))
                .await
                .0,
            200
        );
    }

    #[tokio::test]
    async fn acl_principals_must_exist() {
        let w = World::new();
        assert_eq!(
            w.admin("POST", "scopes/create", json!({"scope": "s"}))
                .await
                .0,
            200
        );
        let sp = w.emu.create_service_principal("ci", false).expect("sp");
        let grant = json!({"scope": "s", "principal": sp.application_id, "permission": "READ"});
        assert_eq!(w.admin("POST", "acls/put", grant).await.0, 200);
        let cases = [
            (
                "POST",
                "acls/put",
                json!({"scope": "s", "principal": "ghost", "permission": "READ"}),
                400,
                "INVALID_PARAMETER_VALUE",
            ),
            (
                "POST",
                "acls/put",
                json!({"scope": "s", "principal": "users", "permission": "OWN"}),
                400,
                "INVALID_PARAMETER_VALUE",
            ),
            (
                "POST",
                "acls/put",
                json!({"scope": "s", "principal": "users"}),
                400,
                "INVALID_PARAMETER_VALUE",
            ),
            (
                "POST",
                "acls/put",
                json!({"scope": "x", "principal": "users", "permission": "READ"}),
                404,
                "RESOURCE_DOES_NOT_EXIST",
            ),
            (
                "POST",
                "acls/delete",
                json!({"scope": "s", "principal": "ghost"}),
                404,
                "RESOURCE_DOES_NOT_EXIST",
            ),
            (
                "POST",
                "acls/delete",
                json!({"scope": "s", "principal": "users"}),
                404,
                "RESOURCE_DOES_NOT_EXIST",
            ),
            (
                "GET",
                "acls/get?scope=s&principal=ghost",
                json!({}),
                400,
                "INVALID_PARAMETER_VALUE",
            ),
            (
                "GET",
                "acls/get?scope=s&principal=users",
                json!({}),
                404,
                "RESOURCE_DOES_NOT_EXIST",
            ),
            (
                "GET",
                "acls/list?scope=x",
                json!({}),
                404,
                "RESOURCE_DOES_NOT_EXIST",
            ),
        ];
        for (method, path, body, status, error_code) in cases {
            let (s, v) = w.admin(method, path, body).await;
            assert_eq!((s, code(&v)), (status, error_code), "{method} {path}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn values_never_reach_the_journal_or_the_state_debug() {
        // The logs are checked end to end in tests/secrets.rs.
        let w = World::new();
        const VALUE: &str = "hunter2-very-secret";
        let encoded = STANDARD.encode(VALUE);
        assert_eq!(
            w.admin("POST", "scopes/create", json!({"scope": "s"}))
                .await
                .0,
            200
        );
        let put = json!({"scope": "s", "key": "k", "string_value": VALUE});
        assert_eq!(w.admin("POST", "put", put).await.0, 200);
        let put = json!({"scope": "s", "key": "b", "bytes_value": encoded});
        assert_eq!(w.admin("POST", "put", put).await.0, 200);
        assert_eq!(w.admin("GET", "get?scope=s&key=k", json!({})).await.0, 200);
        let journal = serde_json::to_string(&w.emu.journal()).expect("journal");
        assert!(journal.contains("/api/2.0/secrets/put"), "{journal}");
        let state = format!("{:?}", w.emu.inner.state.read().secrets);
        for text in [&journal, &state] {
            assert!(!text.contains(VALUE) && !text.contains(&encoded), "{text}");
        }
    }
}
