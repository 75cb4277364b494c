//! Authentication: personal access tokens and OAuth machine-to-machine.
//!
//! The OAuth access token is fetched from `{host}/oidc/v1/token` with the client credentials
//! grant (HTTP Basic client id/secret, `scope=all-apis`), cached, and refreshed shortly before it
//! expires. Concurrent callers share one refresh: the cache is behind an async mutex that is held
//! while the token endpoint is called, so a burst of requests triggers exactly one token request.

use std::time::{Duration, Instant};

use base64::Engine as _;
use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::client::Inner;
use crate::config::Credentials;
use crate::{Error, Request, Result};

/// Refresh a cached OAuth token when less than this much of its life is left.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

pub(crate) enum Auth {
    Pat(SecretString),
    OAuth(OAuthM2M),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Pat(_) => f.write_str("Pat(<redacted>)"),
            Auth::OAuth(o) => f
                .debug_struct("OAuthM2M")
                .field("client_id", &o.client_id)
                .finish_non_exhaustive(),
        }
    }
}

pub(crate) struct OAuthM2M {
    client_id: String,
    client_secret: SecretString,
    cache: tokio::sync::Mutex<Option<CachedToken>>,
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

impl Auth {
    pub(crate) fn from_credentials(creds: &Credentials) -> Self {
        match creds {
            Credentials::Pat { token } => Auth::Pat(token.clone()),
            Credentials::OAuthM2M {
                client_id,
                client_secret,
            } => Auth::OAuth(OAuthM2M {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                cache: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// The `Authorization` header value for the next request (marked sensitive).
    pub(crate) async fn header(&self, inner: &Inner) -> Result<HeaderValue> {
        match self {
            Auth::Pat(token) => bearer(token.expose_secret()),
            Auth::OAuth(o) => o.header(inner).await,
        }
    }

    /// Whether a rejected credential can be replaced by fetching a new one.
    pub(crate) fn is_refreshable(&self) -> bool {
        matches!(self, Auth::OAuth(_))
    }

    /// Forget a cached OAuth token (after the server rejected it).
    pub(crate) async fn invalidate(&self) {
        if let Auth::OAuth(o) = self {
            *o.cache.lock().await = None;
        }
    }
}

fn bearer(token: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
        Error::Config("the token contains characters not allowed in an HTTP header".into())
    })?;
    v.set_sensitive(true);
    Ok(v)
}

impl OAuthM2M {
    async fn header(&self, inner: &Inner) -> Result<HeaderValue> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref() {
            if c.expires_at > Instant::now() + REFRESH_MARGIN {
                return Ok(c.header.clone());
            }
        }
        let fresh = self.fetch(inner).await?;
        let header = fresh.header.clone();
        *cache = Some(fresh);
        Ok(header)
    }

    async fn fetch(&self, inner: &Inner) -> Result<CachedToken> {
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
            .idempotent(true);
        let started = Instant::now();
        let resp = inner.dispatch(req, Some(basic)).await?;
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
pub(crate) fn parse_oauth_error(body: &[u8]) -> Option<(String, String)> {
    let b: OAuthErrorBody = serde_json::from_slice(body).ok()?;
    let error = b.error.or(b.error_code)?;
    let description = b.error_description.or(b.error_summary).unwrap_or_default();
    Some((error, description))
}
