//! # dbx-token
//!
//! The Databricks [Token API](https://docs.databricks.com/api/workspace/tokens): create, list,
//! update and revoke the caller's personal access tokens.
//!
//! ```no_run
//! # async fn demo() -> dbx_core::Result<()> {
//! use dbx_core::{Client, ExposeSecret};
//! use dbx_token::TokenApi;
//!
//! let tokens = TokenApi::new(Client::from_env()?);
//! let created = tokens.create().lifetime_seconds(3600).comment("ci").send().await?;
//! println!("new token id {}", created.token_info.token_id);
//! let _value: &str = created.token_value.expose_secret(); // never printed by Debug
//! for info in tokens.list().await? {
//!     println!("{} expires {}", info.token_id, info.expiry_time);
//! }
//! tokens.delete(&created.token_info.token_id).await?;
//! # Ok(()) }
//! ```
//!
//! | `databricksapi` 1.1.8 | dbx-token |
//! |---|---|
//! | `Token.createToken(lifetime_seconds, comment)` | [`TokenApi::create`]`().lifetime_seconds(..).comment(..).send()` |
//! | `Token.listTokens()` | [`TokenApi::list`] |
//! | `Token.revokeToken(token_id)` | [`TokenApi::delete`] (alias [`TokenApi::revoke`]) |
//! | – (newer API) | [`TokenApi::update`] |

use std::time::Duration;

use dbx_core::{encode_path_segment, CallOptions, Client, Request, Result, SecretString};
use serde::{Deserialize, Serialize};

dbx_core::string_id!(
    /// A token id: the SHA-256 hex digest of the token value.
    TokenId
);

/// What the API tells about a token (`PublicTokenInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// The token's id.
    pub token_id: TokenId,
    /// Creation time, epoch milliseconds.
    #[serde(default)]
    pub creation_time: i64,
    /// Expiry time, epoch milliseconds; -1 when the token never expires.
    #[serde(default = "never")]
    pub expiry_time: i64,
    /// The comment given at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// API scopes the token is limited to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

fn never() -> i64 {
    -1
}

impl TokenInfo {
    /// Whether the token has no expiry.
    pub fn never_expires(&self) -> bool {
        self.expiry_time < 0
    }
}

/// A newly created token. The value is shown once; keep it safe.
#[derive(Debug, Clone, Deserialize)]
pub struct CreatedToken {
    /// The token itself (`dapi…`). `Debug` prints `[REDACTED]`.
    pub token_value: SecretString,
    /// Its metadata.
    pub token_info: TokenInfo,
}

/// The Token API. `Debug` shows the host, never a credential.
///
/// Every call takes per-call options: for all calls made through a handle with
/// [`TokenApi::with_options`], for one call with a builder's `with_options`. The caller's choice
/// wins over the method's default (e.g. [`TokenApi::delete`] is retried after a timeout unless
/// the caller says it is not idempotent).
///
/// ```no_run
/// # async fn demo(client: dbx_core::Client) -> dbx_core::Result<()> {
/// use std::time::Duration;
/// use dbx_core::CallOptions;
/// let tokens = dbx_token::TokenApi::new(client);
/// let quick = tokens.with_options(CallOptions::default().with_timeout(Duration::from_secs(5)));
/// let infos = quick.list().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TokenApi {
    client: Client,
}

#[derive(Deserialize)]
struct ListResponse {
    #[serde(default)]
    token_infos: Vec<TokenInfo>,
}

impl TokenApi {
    /// The Token API over `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// This API with `options` applied to every call made through the returned handle (see
    /// [`dbx_core::Client::with_options`]).
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            client: self.client.with_options(options),
        }
    }

    /// Start creating a token (`POST /api/2.0/token/create`). Fails with `QUOTA_EXCEEDED` when
    /// the caller already has 600 tokens.
    pub fn create(&self) -> CreateToken<'_> {
        CreateToken {
            api: self,
            body: CreateTokenBody::default(),
            options: CallOptions::default(),
        }
    }

    /// The caller's valid tokens (`GET /api/2.0/token/list`).
    pub async fn list(&self) -> Result<Vec<TokenInfo>> {
        let resp: ListResponse = self
            .client
            .call(Request::get("/api/2.0/token/list"))
            .await?;
        Ok(resp.token_infos)
    }

    /// Revoke a token (`POST /api/2.0/token/delete`). An unknown id answers
    /// `RESOURCE_DOES_NOT_EXIST` ([`dbx_core::Error::is_not_found`]).
    pub async fn delete(&self, token_id: &TokenId) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            token_id: &'a str,
        }
        let req = Request::post("/api/2.0/token/delete")
            .json(&Body {
                token_id: token_id.as_str(),
            })?
            // Revoking twice leaves the same state; the second answer would be a 404.
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Revoke a token; the name the original package used. Same as [`TokenApi::delete`].
    pub async fn revoke(&self, token_id: &TokenId) -> Result<()> {
        self.delete(token_id).await
    }

    /// Start updating a token's comment or scopes (`PATCH /api/2.0/token/{token_id}`). Only the
    /// fields you set are sent, and named in `update_mask`.
    pub fn update(&self, token_id: &TokenId) -> UpdateToken<'_> {
        UpdateToken {
            api: self,
            token_id: token_id.clone(),
            comment: None,
            scopes: None,
            options: CallOptions::default(),
        }
    }
}

#[derive(Debug, Default, Clone, Serialize)]
struct CreateTokenBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    lifetime_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
}

/// Builder for [`TokenApi::create`].
#[derive(Debug)]
#[must_use = "call .send().await"]
pub struct CreateToken<'a> {
    api: &'a TokenApi,
    body: CreateTokenBody,
    options: CallOptions,
}

impl CreateToken<'_> {
    /// Lifetime in seconds; without one the token never expires (unless the workspace caps
    /// lifetimes).
    pub fn lifetime_seconds(mut self, seconds: i64) -> Self {
        self.body.lifetime_seconds = Some(seconds);
        self
    }

    /// Lifetime as a duration (whole seconds).
    pub fn lifetime(self, lifetime: Duration) -> Self {
        let secs = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        self.lifetime_seconds(secs)
    }

    /// A comment shown in the user's settings.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.body.comment = Some(comment.into());
        self
    }

    /// Limit the token to these API scopes.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.body.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Per-call options (timeout, retry policy, idempotency); they win over the handle's.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Send the request. Not retried after a timeout: a second token could be created.
    pub async fn send(self) -> Result<CreatedToken> {
        let req = Request::post("/api/2.0/token/create")
            .json(&self.body)?
            .options(self.options);
        self.api.client.call(req).await
    }
}

/// Builder for [`TokenApi::update`].
#[derive(Debug)]
#[must_use = "call .send().await"]
pub struct UpdateToken<'a> {
    api: &'a TokenApi,
    token_id: TokenId,
    comment: Option<String>,
    scopes: Option<Vec<String>>,
    options: CallOptions,
}

impl UpdateToken<'_> {
    /// Set a new comment.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Set new scopes.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Per-call options (timeout, retry policy, idempotency); they win over the handle's and
    /// over this call's default (idempotent).
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Send the update. With nothing set this is an error, not a request.
    pub async fn send(self) -> Result<()> {
        #[derive(Serialize)]
        struct Patch {
            #[serde(skip_serializing_if = "Option::is_none")]
            comment: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            scopes: Option<Vec<String>>,
        }
        #[derive(Serialize)]
        struct Body {
            token: Patch,
            update_mask: String,
        }
        let mut mask = Vec::new();
        if self.comment.is_some() {
            mask.push("comment");
        }
        if self.scopes.is_some() {
            mask.push("scopes");
        }
        if mask.is_empty() {
            return Err(dbx_core::Error::InvalidRequest(
                "token update with nothing to change: set a comment or scopes".into(),
            ));
        }
        let body = Body {
            update_mask: mask.join(","),
            token: Patch {
                comment: self.comment,
                scopes: self.scopes,
            },
        };
        let path = format!(
            "/api/2.0/token/{}",
            encode_path_segment(self.token_id.as_str())
        );
        // Setting the same fields twice gives the same result.
        let req = Request::patch(path)
            .json(&body)?
            .options(self.options)
            .default_idempotent(true);
        self.api.client.call_empty(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbx_core::testing::ReplayTransport;
    use dbx_core::{Config, ExposeSecret};
    use serde_json::json;

    fn api(t: &ReplayTransport) -> TokenApi {
        let cfg = Config::builder()
            .host("https://x.invalid")
            .token("t")
            .build()
            .expect("config");
        TokenApi::new(Client::with_transport(cfg, t.clone()))
    }

    #[tokio::test]
    async fn create_sends_only_set_fields_and_redacts_the_value() {
        let t = ReplayTransport::new().respond_json(
            200,
            json!({"token_value": "dapiabc", "token_info": {"token_id": "id1", "creation_time": 1, "expiry_time": -1}}),
        );
        let created = api(&t).create().comment("c").send().await.expect("created");
        assert_eq!(t.requests()[0].json(), json!({"comment": "c"}));
        assert_eq!(created.token_value.expose_secret(), "dapiabc");
        assert!(created.token_info.never_expires());
        assert!(!format!("{created:?}").contains("dapiabc"));
    }

    #[tokio::test]
    async fn list_tolerates_a_missing_key_and_update_builds_the_mask() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({}))
            .respond_json(200, json!({}));
        let a = api(&t);
        assert!(a.list().await.expect("list").is_empty());
        a.update(&TokenId::from("a/b"))
            .scopes(["clusters"])
            .send()
            .await
            .expect("update");
        let r = &t.requests()[1];
        assert_eq!(r.path, "/api/2.0/token/a%2Fb");
        assert_eq!(
            r.json(),
            json!({"token": {"scopes": ["clusters"]}, "update_mask": "scopes"})
        );
        let err = a
            .update(&TokenId::from("x"))
            .send()
            .await
            .expect_err("empty update");
        assert!(matches!(err, dbx_core::Error::InvalidRequest(_)));
    }

    fn no_backoff() -> dbx_core::RetryPolicy {
        dbx_core::RetryPolicy {
            initial_backoff: std::time::Duration::ZERO,
            jitter: false,
            ..dbx_core::RetryPolicy::default()
        }
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
    async fn the_callers_idempotency_wins_over_the_methods_default() {
        let retry = CallOptions::default().with_retry(no_backoff());
        // update and delete are idempotent by default: retried after a 504...
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry.clone())
            .update(&TokenId::from("x"))
            .comment("c")
            .send()
            .await
            .expect("retried");
        assert_eq!(t.requests().len(), 2);
        // ... unless the caller says otherwise, per call or per handle.
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry.clone())
            .update(&TokenId::from("x"))
            .comment("c")
            .with_options(CallOptions::default().with_idempotent(false))
            .send()
            .await
            .expect_err("not retried");
        assert_eq!(t.requests().len(), 1);
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry.clone().with_idempotent(false))
            .delete(&TokenId::from("x"))
            .await
            .expect_err("not retried");
        assert_eq!(t.requests().len(), 1);
        // create is not idempotent by default, but the caller may declare it so.
        let t = ReplayTransport::new()
            .respond_json(
                504,
                json!({"error_code": "DEADLINE_EXCEEDED", "message": "slow"}),
            )
            .respond_json(
                200,
                json!({"token_value": "dapiabc", "token_info": {"token_id": "id1"}}),
            );
        api(&t)
            .with_options(retry)
            .create()
            .with_options(CallOptions::default().with_idempotent(true))
            .send()
            .await
            .expect("retried");
        assert_eq!(t.requests().len(), 2);
    }

    #[test]
    fn debug_shows_the_host_not_the_token() {
        let shown = format!("{:?}", api(&ReplayTransport::new()));
        assert!(shown.contains("https://x.invalid"), "{shown}");
        assert!(!shown.contains("\"t\""), "{shown}");
    }
}
