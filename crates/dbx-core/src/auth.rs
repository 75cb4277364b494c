//! Authentication: the [`CredentialsProvider`] trait and its two built-in implementations,
//! [`PatCredentials`] (a personal access token) and [`OAuthM2MCredentials`] (OAuth
//! machine-to-machine).
//!
//! The client asks its provider for the headers of every request and tells it when the server
//! rejected the credential; a provider that can fetch a fresh one answers
//! [`OnRejected::Retry`] and the call is repeated once (safe for any method: the server refused
//! it before doing anything). Plug in your own provider (a token from a vault, a refreshing
//! custom source) with [`crate::ConfigBuilder::credentials_provider`].
//!
//! OAuth M2M follows <https://docs.databricks.com/en/dev-tools/auth/oauth-m2m.html>: the access
//! token is fetched from `{host}/oidc/v1/token` with the client credentials grant (HTTP Basic
//! client id/secret, `scope=all-apis`), cached, and refreshed shortly before it expires.
//! Concurrent callers share one refresh: the cache is behind an async mutex held while the token
//! endpoint is called, so a burst of requests triggers exactly one token request.
//!
//! ```
//! use std::sync::Arc;
//! use dbx_core::auth::{AuthContext, CredentialsProvider};
//! use dbx_core::{AuthType, Config, Result};
//! use http::{header, HeaderMap, HeaderValue};
//!
//! /// A token read from a vault on every request.
//! struct VaultToken;
//!
//! #[dbx_core::async_trait]
//! impl CredentialsProvider for VaultToken {
//!     fn auth_type(&self) -> &str {
//!         "vault"
//!     }
//!     async fn headers(&self, _ctx: &AuthContext<'_>) -> Result<HeaderMap> {
//!         let token = "dapi-from-the-vault"; // ask the vault here
//!         let mut value = HeaderValue::try_from(format!("Bearer {token}"))
//!             .map_err(|_| dbx_core::Error::Config("bad token".into()))?;
//!         value.set_sensitive(true);
//!         Ok(HeaderMap::from_iter([(header::AUTHORIZATION, value)]))
//!     }
//! }
//!
//! let config = Config::builder()
//!     .host("https://dbc-1234.cloud.databricks.com")
//!     .credentials_provider(Arc::new(VaultToken))
//!     .build()?;
//! assert_eq!(config.auth_type(), AuthType::Custom);
//! assert_eq!(config.credentials().provider().auth_type(), "vault");
//! # Ok::<(), dbx_core::Error>(())
//! ```

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine as _;
use http::{header, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::transport::HttpResponse;
use crate::{Error, Redacted, Request, Result};

/// Refresh a cached OAuth token when less than this much of its life is left.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Where a request's credentials come from.
///
/// Implementations must not put a secret in their `Debug` output or in error messages; the
/// client itself never prints a provider (only its [`auth_type`](Self::auth_type)).
#[async_trait]
pub trait CredentialsProvider: Send + Sync {
    /// A short name for the method, sent in the `User-Agent` as `auth/<name>` (`pat`,
    /// `oauth-m2m`, ...). Printable ASCII without spaces.
    fn auth_type(&self) -> &str;

    /// The headers that authenticate the next request, usually one `Authorization` header.
    /// Mark the values sensitive ([`HeaderValue::set_sensitive`]). `ctx` can send requests to
    /// the workspace that are not themselves authenticated by this provider (e.g. to a token
    /// endpoint).
    async fn headers(&self, ctx: &AuthContext<'_>) -> Result<HeaderMap>;

    /// The server rejected the credential of a request (401, or 403 "Invalid access token").
    /// Answer [`OnRejected::Retry`] when a fresh credential may succeed (drop any cached one):
    /// the call is then repeated once. The default gives up.
    async fn rejected(&self, _error: &Error) -> OnRejected {
        OnRejected::GiveUp
    }
}

/// What a [`CredentialsProvider`] wants after the server rejected its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRejected {
    /// A fresh credential may succeed: repeat the call once.
    Retry,
    /// Return the error to the caller.
    GiveUp,
}

/// What a [`CredentialsProvider`] may use while producing headers: the workspace host, and a way
/// to send requests through the client's transport and retry loop without this provider's
/// credentials.
pub struct AuthContext<'a> {
    pub(crate) host: &'a str,
    pub(crate) sender: &'a (dyn SendRaw + 'a),
}

impl fmt::Debug for AuthContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContext")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// Sends a request with the given headers instead of the provider's (implemented by the client).
#[async_trait]
pub(crate) trait SendRaw: Send + Sync {
    async fn send_raw(&self, request: Request, headers: HeaderMap) -> Result<HttpResponse>;
}

impl AuthContext<'_> {
    /// The workspace URL requests go to.
    pub fn host(&self) -> &str {
        self.host
    }

    /// Send `request` to the workspace with `headers` (and no credentials of the provider):
    /// through the client's transport, retry rules, timeouts and rate limit. Any status is
    /// returned as `Ok`.
    pub async fn send(&self, request: Request, headers: HeaderMap) -> Result<HttpResponse> {
        self.sender.send_raw(request, headers).await
    }
}

/// `Authorization: Bearer <token>`, marked sensitive.
pub fn bearer(token: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
        Error::Config("the token contains characters not allowed in an HTTP header".into())
    })?;
    v.set_sensitive(true);
    Ok(v)
}

fn authorization(value: HeaderValue) -> HeaderMap {
    HeaderMap::from_iter([(header::AUTHORIZATION, value)])
}

/// A personal access token, sent as `Authorization: Bearer <token>`
/// (<https://docs.databricks.com/en/dev-tools/auth/pat.html>). A rejected token is not retried.
#[derive(Clone)]
pub struct PatCredentials {
    token: SecretString,
}

impl PatCredentials {
    /// A provider for `token`.
    pub fn new(token: SecretString) -> Self {
        Self { token }
    }
}

impl fmt::Debug for PatCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatCredentials")
            .field("token", &Redacted)
            .finish()
    }
}

#[async_trait]
impl CredentialsProvider for PatCredentials {
    fn auth_type(&self) -> &str {
        "pat"
    }

    async fn headers(&self, _ctx: &AuthContext<'_>) -> Result<HeaderMap> {
        Ok(authorization(bearer(self.token.expose_secret())?))
    }
}

/// OAuth machine-to-machine: a service principal's client id and secret exchanged for
/// short-lived access tokens, cached and refreshed (see the [module docs](self)). A token the
/// server rejects is dropped and fetched again once.
pub struct OAuthM2MCredentials {
    client_id: String,
    client_secret: SecretString,
    cache: tokio::sync::Mutex<Option<CachedToken>>,
}

impl fmt::Debug for OAuthM2MCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthM2MCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &Redacted)
            .finish_non_exhaustive()
    }
}

struct CachedToken {
    header: HeaderValue,
    expires_at: Instant,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: Option<String>,
    error_description: Option<String>,
    #[serde(rename = "errorCode")]
    error_code: Option<String>,
    #[serde(rename = "errorSummary")]
    error_summary: Option<String>,
}

#[async_trait]
impl CredentialsProvider for OAuthM2MCredentials {
    fn auth_type(&self) -> &str {
        "oauth-m2m"
    }

    async fn headers(&self, ctx: &AuthContext<'_>) -> Result<HeaderMap> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref() {
            if c.expires_at > Instant::now() + REFRESH_MARGIN {
                return Ok(authorization(c.header.clone()));
            }
        }
        let fresh = self.fetch(ctx).await?;
        let header = fresh.header.clone();
        *cache = Some(fresh);
        Ok(authorization(header))
    }

    async fn rejected(&self, _error: &Error) -> OnRejected {
        // A token the server no longer accepts (revoked, or expired by the server's clock before
        // ours) is dropped; the next request fetches a new one.
        *self.cache.lock().await = None;
        OnRejected::Retry
    }
}

impl OAuthM2MCredentials {
    /// A provider for the service principal `client_id` with its OAuth secret.
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    async fn fetch(&self, ctx: &AuthContext<'_>) -> Result<CachedToken> {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.client_id,
            self.client_secret.expose_secret()
        ));
        let mut basic = HeaderValue::try_from(format!("Basic {basic}")).map_err(|_| {
            Error::Config("the client id contains characters not allowed in an HTTP header".into())
        })?;
        basic.set_sensitive(true);
        let form = "grant_type=client_credentials&scope=all-apis";
        // The token request is safe to repeat: it creates nothing the caller keeps.
        let req = Request::post("/oidc/v1/token")
            .body(form, "application/x-www-form-urlencoded")
            .default_idempotent(true);
        let started = Instant::now();
        let resp = ctx.send(req, authorization(basic)).await?;
        if !resp.status().is_success() {
            return Err(match parse_oauth_error(resp.body()) {
                Some((error, description)) => Error::OAuth {
                    status: resp.status().as_u16(),
                    error,
                    description,
                },
                None => crate::ApiError::from_response(resp.status(), resp.headers(), resp.body())
                    .into(),
            });
        }
        let parsed: TokenResponse = crate::client::decode(resp.body())?;
        if let Some(tt) = parsed.token_type.as_deref() {
            if !tt.eq_ignore_ascii_case("bearer") {
                return Err(Error::OAuth {
                    status: resp.status().as_u16(),
                    error: "unsupported_token_type".into(),
                    description: format!(
                        "the token endpoint issued a {tt:?} token; only Bearer is supported"
                    ),
                });
            }
        }
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        tracing::debug!(
            lifetime_s = lifetime.as_secs(),
            "obtained OAuth access token"
        );
        Ok(CachedToken {
            header: bearer(&parsed.access_token)?,
            expires_at: started + lifetime,
        })
    }
}

/// Parse an OAuth error body (`error`/`error_description` or `errorCode`/`errorSummary`).
fn parse_oauth_error(body: &[u8]) -> Option<(String, String)> {
    let b: OAuthErrorBody = serde_json::from_slice(body).ok()?;
    let error = b.error.or(b.error_code)?;
    let description = b.error_description.or(b.error_summary).unwrap_or_default();
    Some((error, description))
}
