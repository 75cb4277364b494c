//! The client: authentication, retries, timeouts, rate limiting and tracing around a
//! [`Transport`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use http::{header, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use tracing::Instrument as _;

use crate::auth::{AuthContext, CredentialsProvider, OnRejected, SendRaw};
use crate::error::ApiError;
use crate::retry::{classify, Attempt, RetryDecision};
use crate::transport::{HttpResponse, Transport};
use crate::{CallOptions, Config, Error, Request, Result};

/// The `User-Agent` this SDK sends (plus the config's `user_agent_extra`).
pub const USER_AGENT: &str = concat!(
    "dbx-rs/",
    env!("CARGO_PKG_VERSION"),
    " dbx-core/",
    env!("CARGO_PKG_VERSION")
);

/// A Databricks workspace client. Cheap to clone; clones share connections, the credentials
/// provider (and its OAuth token cache) and the rate limiter.
///
/// A client can carry default [`CallOptions`] ([`Client::with_options`]) applied to every call
/// made through it; every API crate's handle offers the same `with_options`.
///
/// `Debug` shows the host, the authentication type and the options; never a credential, and
/// not the transport.
///
/// ```no_run
/// # async fn demo() -> dbx_core::Result<()> {
/// use dbx_core::{Client, Config, Request};
/// let client = Client::new(Config::builder().host("https://dbc-1.cloud.databricks.com").token("dapi...").build()?)?;
/// let me: serde_json::Value = client.call(Request::get("/api/2.0/preview/scim/v2/Me")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    options: CallOptions,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.inner.config.host())
            .field("auth_type", &self.inner.credentials.auth_type())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: Config,
    transport: Arc<dyn Transport>,
    credentials: Arc<dyn CredentialsProvider>,
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
        // One provider per client, as before providers existed: clients never share an OAuth
        // token cache unless the caller shares a provider of their own.
        let credentials = config.credentials().provider();
        let auth = credentials.auth_type();
        let ua = match &config.user_agent_extra {
            Some(extra) => format!("{USER_AGENT} auth/{auth} {extra}"),
            None => format!("{USER_AGENT} auth/{auth}"),
        };
        let user_agent =
            HeaderValue::try_from(ua).unwrap_or_else(|_| HeaderValue::from_static(USER_AGENT));
        Self {
            inner: Arc::new(Inner {
                credentials,
                limiter: config.rate_limit.map(RateLimiter::new),
                transport: Arc::new(transport),
                user_agent,
                config,
            }),
            options: CallOptions::default(),
        }
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The default options of calls made through this client.
    pub fn options(&self) -> &CallOptions {
        &self.options
    }

    /// A client sharing this one's connections and credentials whose calls use `options` by
    /// default: fields set in `options` replace this client's, and a call's own options still
    /// win over them (see [`CallOptions`] for the layers).
    ///
    /// ```
    /// # fn demo(client: dbx_core::Client) {
    /// use std::time::Duration;
    /// use dbx_core::CallOptions;
    /// let patient = client.with_options(CallOptions::default().with_timeout(Duration::from_secs(300)));
    /// assert_eq!(patient.options().timeout, Some(Duration::from_secs(300)));
    /// # }
    /// ```
    pub fn with_options(&self, options: CallOptions) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            options: options.or(&self.options),
        }
    }

    /// Send a request; an error status becomes [`Error::Api`]. Returns the raw response (for
    /// downloads and other non-JSON answers).
    pub async fn execute(&self, request: Request) -> Result<HttpResponse> {
        let mut request = request;
        request.options = request.options.or(&self.options);
        let ctx = AuthContext {
            host: self.inner.config.host(),
            sender: &*self.inner,
        };
        let mut retried_credentials = false;
        // Whether an attempt so far may have been applied without the client knowing
        // (`Error::is_outcome_unknown`); only calls that can change something are reported so.
        let mutating = !matches!(
            request.method,
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
        );
        let idempotent = request.is_idempotent();
        let mut ambiguous = false;
        let unknown = |ambiguous: bool, err: Error| {
            if ambiguous && mutating {
                Error::OutcomeUnknown {
                    idempotent,
                    source: Box::new(err),
                }
            } else {
                err
            }
        };
        loop {
            let headers = self.inner.credentials.headers(&ctx).await?;
            let (resp, maybe_applied) = self.inner.dispatch_tracked(request.clone(), headers).await;
            ambiguous |= maybe_applied;
            let resp = resp.map_err(|e| unknown(ambiguous, e))?;
            if resp.status().is_success() {
                return Ok(resp);
            }
            let err: Error =
                ApiError::from_response(resp.status(), resp.headers(), resp.body()).into();
            // A credential the server no longer accepts may be replaced by the provider (an
            // OAuth token is fetched again), and the call is repeated once: the server refused
            // it before doing anything, so this is safe for any method.
            if !retried_credentials
                && (err.is_invalid_token() || err.is_unauthenticated())
                && self.inner.credentials.rejected(&err).await == OnRejected::Retry
            {
                retried_credentials = true;
                tracing::debug!("credential rejected; the provider renewed it, retrying once");
                continue;
            }
            if err.is_invalid_token() || err.is_unauthenticated() {
                if let Error::Api(answer) = err {
                    // Say which credential was refused and where it came from; never its value.
                    return Err(Error::CredentialRejected {
                        host: self.inner.config.host().to_string(),
                        credential: self.inner.config.credentials_origin().to_string(),
                        source: answer,
                    });
                }
            }
            return Err(unknown(ambiguous, err));
        }
    }

    /// Send a request and decode the JSON answer (an empty body decodes as `{}`).
    pub async fn call<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        let resp = self.execute(request).await?;
        decode(resp.body())
    }

    /// Send a request whose answer carries nothing (`{}` or an empty body); the body is not
    /// decoded, so an unexpected field never fails the call.
    pub async fn call_empty(&self, request: Request) -> Result<()> {
        self.execute(request).await.map(drop)
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

#[async_trait]
impl SendRaw for Inner {
    async fn send_raw(&self, request: Request, headers: HeaderMap) -> Result<HttpResponse> {
        self.dispatch(request, headers).await
    }
}

impl Inner {
    /// Send `request` with retries, adding `headers` (the credentials). Answers with any status
    /// are returned as `Ok`; only the decision to retry looks at the status.
    async fn dispatch(&self, request: Request, headers: HeaderMap) -> Result<HttpResponse> {
        self.dispatch_tracked(request, headers).await.0
    }

    /// [`Inner::dispatch`], also saying whether any attempt ended in a way that leaves open
    /// whether the server applied the request (see [`may_have_applied`]).
    async fn dispatch_tracked(
        &self,
        request: Request,
        headers: HeaderMap,
    ) -> (Result<HttpResponse>, bool) {
        let options = request.effective_options();
        let policy = options.retry.unwrap_or_else(|| self.config.retry.clone());
        let timeout = options.timeout.unwrap_or(self.config.request_timeout);
        let idempotency = request.idempotency();
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
            // A transport failure is returned naming the host, the attempts and the time spent.
            let in_context = |result: Result<HttpResponse>, attempts: u32| match result {
                Err(Error::Transport(te)) => Err(Error::Transport(te.in_context(
                    self.config.host(),
                    self.config.scheme_assumed(),
                    attempts,
                    started.elapsed(),
                ))),
                other => other,
            };
            let mut ambiguous = false;
            loop {
                attempt += 1;
                tracing::Span::current().record("attempt", attempt);
                if let Some(l) = &self.limiter {
                    l.acquire().await;
                }
                let http_req = match self.build(&request, &url, &headers) {
                    Ok(r) => r,
                    Err(e) => return (Err(e), ambiguous),
                };
                let sent = tokio::time::timeout(timeout, self.transport.send(http_req)).await;
                let (outcome, maybe_applied) = outcome(sent, timeout, idempotency);
                ambiguous |= maybe_applied;
                let (reason, retry_after, last) = match outcome {
                    Outcome::Done(result) => {
                        if let Ok(resp) = &result {
                            record_done(resp, started);
                        }
                        return (in_context(result, attempt), ambiguous);
                    }
                    Outcome::Retry {
                        reason,
                        retry_after,
                        last,
                    } => (reason, retry_after, last),
                };
                let wait = policy.backoff(attempt, retry_after);
                let elapsed = started.elapsed();
                let max = policy.max_attempts;
                if attempt >= max || elapsed.saturating_add(wait) > policy.deadline {
                    tracing::debug!(
                        attempt,
                        max_attempts = max,
                        %reason,
                        "giving up after {attempt} attempts over {elapsed:.1?}: {reason}"
                    );
                    if let Ok(resp) = &last {
                        record_done(resp, started);
                    }
                    return (in_context(last, attempt), ambiguous);
                }
                // One event per retry, so a caller sees progress: the first at debug (a single
                // hiccup is routine), the following ones at warn. The reason names the host's
                // answer or the transport's cause; never a credential.
                let wait_ms = wait.as_millis() as u64;
                if attempt == 1 {
                    tracing::debug!(
                        attempt,
                        max_attempts = max,
                        wait_ms,
                        %reason,
                        "attempt {attempt}/{max} of {} {} failed ({reason}); retrying in {wait:.1?}",
                        request.method,
                        request.path,
                    );
                } else {
                    tracing::warn!(
                        attempt,
                        max_attempts = max,
                        wait_ms,
                        %reason,
                        "attempt {attempt}/{max} of {} {} failed ({reason}); retrying in {wait:.1?}",
                        request.method,
                        request.path,
                    );
                }
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
        headers: &HeaderMap,
    ) -> Result<crate::HttpRequest> {
        let mut builder = http::Request::builder()
            .method(request.method.clone())
            .uri(url)
            .header(header::USER_AGENT, self.user_agent.clone())
            .header(header::ACCEPT, "application/json");
        for (name, value) in headers {
            let mut value = value.clone();
            if name == header::AUTHORIZATION {
                value.set_sensitive(true);
            }
            builder = builder.header(name, value);
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

/// Whether an attempt ended in a way that leaves open whether the server applied the request:
/// the client's timeout, a transport timeout or a connection that broke after sending, a 504.
/// These are exactly the failures [`classify`] retries only for idempotent calls.
fn may_have_applied(attempt: &Attempt<'_>) -> bool {
    use crate::retry::Idempotency::{Idempotent, NotIdempotent};
    classify(Idempotent, attempt) == RetryDecision::Retry
        && classify(NotIdempotent, attempt) == RetryDecision::Stop
}

/// Turn one attempt's result into an [`Outcome`], asking [`crate::retry::classify`]; also
/// whether the attempt may have been applied ([`may_have_applied`]).
fn outcome(
    sent: std::result::Result<
        std::result::Result<HttpResponse, crate::TransportError>,
        tokio::time::error::Elapsed,
    >,
    timeout: Duration,
    idempotency: crate::retry::Idempotency,
) -> (Outcome, bool) {
    let (decision, maybe_applied, reason, retry_after, last) = match sent {
        Err(_) => (
            classify(idempotency, &Attempt::TimedOut),
            may_have_applied(&Attempt::TimedOut),
            format!("no answer within {timeout:?}"),
            None,
            Err(Error::Timeout(timeout)),
        ),
        Ok(Err(te)) => {
            let attempt = Attempt::Transport(te.kind);
            (
                classify(idempotency, &attempt),
                may_have_applied(&attempt),
                te.to_string(),
                None,
                Err(Error::Transport(te)),
            )
        }
        Ok(Ok(resp)) => {
            if resp.status().is_success() {
                return (Outcome::Done(Ok(resp)), false);
            }
            // The same parse that makes the caller's `Error::Api`, so the loop and
            // `Error::is_retryable` see the same `error_code`.
            let api = ApiError::from_response(resp.status(), resp.headers(), resp.body());
            let attempt = Attempt::Answer {
                status: api.status,
                error_code: Some(api.error_code.as_str()),
            };
            (
                classify(idempotency, &attempt),
                may_have_applied(&attempt),
                format!("HTTP {} {}", resp.status().as_u16(), api.error_code),
                api.retry_after,
                Ok(resp),
            )
        }
    };
    let outcome = match decision {
        RetryDecision::Retry => Outcome::Retry {
            reason,
            retry_after,
            last,
        },
        RetryDecision::Stop => Outcome::Done(last),
    };
    (outcome, maybe_applied)
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
