//! The client: authentication, retries, timeouts, rate limiting and tracing around a
//! [`Transport`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{header, HeaderValue, StatusCode};
use serde::de::DeserializeOwned;
use tracing::Instrument as _;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::transport::{HttpResponse, Transport, TransportErrorKind};
use crate::{Config, Error, Request, Result};

/// The `User-Agent` this SDK sends (plus the config's `user_agent_extra`).
pub const USER_AGENT: &str = concat!(
    "dbx-rs/",
    env!("CARGO_PKG_VERSION"),
    " dbx-core/",
    env!("CARGO_PKG_VERSION")
);

/// A Databricks workspace client. Cheap to clone; clones share connections, the OAuth token
/// cache and the rate limiter.
///
/// ```no_run
/// # async fn demo() -> dbx_core::Result<()> {
/// use dbx_core::{Client, Config, Request};
/// let client = Client::new(Config::builder().host("https://dbc-1.cloud.databricks.com").token("dapi...").build()?)?;
/// let me: serde_json::Value = client.call(Request::get("/api/2.0/preview/scim/v2/Me")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    config: Config,
    transport: Arc<dyn Transport>,
    auth: Auth,
    limiter: Option<RateLimiter>,
    user_agent: HeaderValue,
}

impl Client {
    /// A client over the default transport (reqwest + rustls).
    #[cfg(feature = "reqwest-transport")]
    pub fn new(config: Config) -> Result<Self> {
        let transport = crate::transport::ReqwestTransport::new(config.connect_timeout, None)?;
        Ok(Self::with_transport(config, transport))
    }

    /// A client configured from `DATABRICKS_*` variables and `~/.databrickscfg`.
    #[cfg(feature = "reqwest-transport")]
    pub fn from_env() -> Result<Self> {
        Self::new(Config::from_env()?)
    }

    /// A client over any transport (the emulator's in-process transport, a replay transport...).
    pub fn with_transport(config: Config, transport: impl Transport + 'static) -> Self {
        let ua = match &config.user_agent_extra {
            Some(extra) => format!("{USER_AGENT} auth/{} {extra}", config.auth_type().as_str()),
            None => format!("{USER_AGENT} auth/{}", config.auth_type().as_str()),
        };
        let user_agent =
            HeaderValue::try_from(ua).unwrap_or_else(|_| HeaderValue::from_static(USER_AGENT));
        Self {
            inner: Arc::new(Inner {
                auth: Auth::from_credentials(config.credentials()),
                limiter: config.rate_limit.map(RateLimiter::new),
                transport: Arc::new(transport),
                user_agent,
                config,
            }),
        }
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Send a request; an error status becomes [`Error::Api`]. Returns the raw response (for
    /// downloads and other non-JSON answers).
    pub async fn execute(&self, request: Request) -> Result<HttpResponse> {
        let mut refreshed = false;
        loop {
            let auth = self.inner.auth.header(&self.inner).await?;
            let resp = self.inner.dispatch(request.clone(), Some(auth)).await?;
            if resp.status().is_success() {
                return Ok(resp);
            }
            let err: Error =
                ApiError::from_response(resp.status(), resp.headers(), resp.body()).into();
            // An OAuth token the server no longer accepts (revoked, or expired by the server's
            // clock before ours) is dropped and fetched again, and the call is repeated once:
            // the server refused it before doing anything, so this is safe for any method.
            if !refreshed
                && self.inner.auth.is_refreshable()
                && (err.is_invalid_token() || err.is_unauthenticated())
            {
                self.inner.auth.invalidate().await;
                refreshed = true;
                tracing::debug!("access token rejected; refreshing it and retrying once");
                continue;
            }
            return Err(err);
        }
    }

    /// Send a request and decode the JSON answer (an empty body decodes as `{}`).
    pub async fn call<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        let resp = self.execute(request).await?;
        decode(resp.body())
    }
}

/// Decode a JSON body, naming the JSON path that failed. An empty body decodes as `{}`.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        Error::Decode {
            path,
            message: e.into_inner().to_string(),
        }
    })
}

/// Why an attempt failed, and whether another may follow.
enum Outcome {
    /// Final: a response (of any status) or a failure that must not be retried.
    Done(Result<HttpResponse>),
    Retry {
        reason: String,
        retry_after: Option<Duration>,
        last: Result<HttpResponse>,
    },
}

impl Inner {
    /// Send `request` with retries. Answers with any status are returned as `Ok`; only the
    /// decision to retry looks at the status.
    pub(crate) async fn dispatch(
        &self,
        request: Request,
        authorization: Option<HeaderValue>,
    ) -> Result<HttpResponse> {
        let policy = request
            .options
            .retry
            .clone()
            .unwrap_or_else(|| self.config.retry.clone());
        let timeout = request
            .options
            .timeout
            .unwrap_or(self.config.request_timeout);
        let idempotent = request.is_idempotent();
        let url = format!("{}{}", self.config.host(), request.path_and_query());
        let span = tracing::debug_span!(
            "dbx.request",
            method = %request.method,
            path = %request.path,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            request_id = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        async move {
            let started = Instant::now();
            let mut attempt = 0u32;
            loop {
                attempt += 1;
                tracing::Span::current().record("attempt", attempt);
                if let Some(l) = &self.limiter {
                    l.acquire().await;
                }
                let http_req = self.build(&request, &url, authorization.clone())?;
                let sent = tokio::time::timeout(timeout, self.transport.send(http_req)).await;
                let outcome = classify(sent, timeout, idempotent);
                let (reason, retry_after, last) = match outcome {
                    Outcome::Done(result) => {
                        if let Ok(resp) = &result {
                            record_done(resp, started);
                        }
                        return result;
                    }
                    Outcome::Retry {
                        reason,
                        retry_after,
                        last,
                    } => (reason, retry_after, last),
                };
                let wait = policy.backoff(attempt, retry_after);
                let elapsed = started.elapsed();
                if attempt >= policy.max_attempts || elapsed.saturating_add(wait) > policy.deadline
                {
                    tracing::debug!(attempt, %reason, "giving up");
                    if let Ok(resp) = &last {
                        record_done(resp, started);
                    }
                    return last;
                }
                tracing::debug!(attempt, %reason, wait_ms = wait.as_millis() as u64, "retrying");
                tokio::time::sleep(wait).await;
            }
        }
        .instrument(span)
        .await
    }

    fn build(
        &self,
        request: &Request,
        url: &str,
        authorization: Option<HeaderValue>,
    ) -> Result<crate::HttpRequest> {
        let mut builder = http::Request::builder()
            .method(request.method.clone())
            .uri(url)
            .header(header::USER_AGENT, self.user_agent.clone())
            .header(header::ACCEPT, "application/json");
        if let Some(a) = authorization {
            builder = builder.header(header::AUTHORIZATION, a);
        }
        let body = match &request.body {
            Some(b) => {
                builder = builder.header(header::CONTENT_TYPE, b.content_type.as_str());
                b.bytes.clone()
            }
            None => bytes::Bytes::new(),
        };
        builder.body(body).map_err(|e| {
            Error::InvalidRequest(format!("cannot build request for {}: {e}", request.path))
        })
    }
}

fn record_done(resp: &HttpResponse, started: Instant) {
    let span = tracing::Span::current();
    span.record("status", resp.status().as_u16());
    span.record("duration_ms", started.elapsed().as_millis() as u64);
    if let Some(id) = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
    {
        span.record("request_id", id);
    }
    tracing::debug!(status = resp.status().as_u16(), "response");
}

fn classify(
    sent: std::result::Result<
        std::result::Result<HttpResponse, crate::TransportError>,
        tokio::time::error::Elapsed,
    >,
    timeout: Duration,
    idempotent: bool,
) -> Outcome {
    match sent {
        Err(_) => {
            let err = Err(Error::Timeout(timeout));
            if idempotent {
                Outcome::Retry {
                    reason: "timeout".into(),
                    retry_after: None,
                    last: err,
                }
            } else {
                Outcome::Done(err)
            }
        }
        Ok(Err(te)) => {
            let may_retry = match te.kind {
                TransportErrorKind::Connect => true,
                TransportErrorKind::Timeout | TransportErrorKind::Io => idempotent,
                _ => false,
            };
            let reason = te.to_string();
            let err = Err(Error::Transport(te));
            if may_retry {
                Outcome::Retry {
                    reason,
                    retry_after: None,
                    last: err,
                }
            } else {
                Outcome::Done(err)
            }
        }
        Ok(Ok(resp)) => {
            let status = resp.status();
            if status.is_success() {
                return Outcome::Done(Ok(resp));
            }
            let any_method = status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE;
            let safe_only = status == StatusCode::GATEWAY_TIMEOUT;
            let retryable = if any_method {
                // 503 PARTIAL_DELETE means "call again to continue"; that is the caller's loop.
                !body_has_code(resp.body(), "PARTIAL_DELETE")
            } else {
                (safe_only && idempotent)
                    || body_has_code(resp.body(), "REQUEST_LIMIT_EXCEEDED")
                    || body_has_code(resp.body(), "TEMPORARILY_UNAVAILABLE")
            };
            if retryable {
                Outcome::Retry {
                    reason: format!("HTTP {}", status.as_u16()),
                    retry_after: crate::retry::parse_retry_after(resp.headers()),
                    last: Ok(resp),
                }
            } else {
                Outcome::Done(Ok(resp))
            }
        }
    }
}

fn body_has_code(body: &[u8], code: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        error_code: Option<&'a str>,
    }
    serde_json::from_slice::<Envelope<'_>>(body)
        .ok()
        .and_then(|e| e.error_code)
        .is_some_and(|c| c == code)
}

/// A client-side rate limit: requests are spaced at least `1/rps` apart.
#[derive(Debug)]
struct RateLimiter {
    interval: Duration,
    next: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl RateLimiter {
    fn new(rps: f64) -> Self {
        let interval = if rps.is_finite() && rps > 0.0 {
            Duration::from_secs_f64(1.0 / rps)
        } else {
            Duration::ZERO
        };
        Self {
            interval,
            next: tokio::sync::Mutex::new(None),
        }
    }

    async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let slot = match *next {
                Some(n) if n > now => n,
                _ => now,
            };
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}
