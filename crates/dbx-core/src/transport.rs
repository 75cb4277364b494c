//! The one trait that does I/O.
//!
//! API crates build an [`http::Request`] and never touch a socket; a [`Transport`] sends it.
//! Retries, authentication, timeouts and tracing live once, in [`crate::Client`], around the
//! transport. The default implementation is [`ReqwestTransport`] (reqwest + rustls, pooled
//! connections); the emulator provides an in-process transport; `test-util` provides replay and
//! capturing transports.

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;

/// A request as handed to a [`Transport`]: method, absolute URL, headers and a complete body.
pub type HttpRequest = http::Request<Bytes>;
/// A response as returned by a [`Transport`]: status, headers and the complete body.
pub type HttpResponse = http::Response<Bytes>;

/// Sends one HTTP request and returns its response.
///
/// Implementations must not retry, authenticate or interpret status codes: a 4xx/5xx response is
/// an `Ok` response. Only failures to obtain a response at all are errors.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Send `request` and return the complete response.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
}

/// How far a failed request got; this decides whether it is safe to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established: the request was certainly not sent.
    Connect,
    /// The transport's own timeout fired: the request may have been processed.
    Timeout,
    /// The connection failed after the request may have been sent (reset, broken pipe, bad
    /// response framing).
    Io,
    /// The request could not be built (bad URL, bad header); retrying cannot help.
    Request,
    /// The TLS handshake failed: the server does not speak TLS (an `https://` URL pointing at a
    /// plain-HTTP server) or its certificate was not accepted. Nothing was sent, but retrying
    /// cannot help, so it is never retried.
    Tls,
}

/// A failure to obtain any HTTP response.
///
/// The message is one sentence that stands alone: a transport writes the cause, and
/// [`crate::Client`] rewrites it, before returning it from a call, to name the host, what
/// failed, how many attempts were made over how long, and what to try (see
/// [`TransportError::in_context`]). There is no separate `source()`: the cause is in the
/// message, once.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    /// How far the request got.
    pub kind: TransportErrorKind,
    /// What went wrong (never contains credentials).
    pub message: String,
}

impl TransportError {
    /// A new error of `kind`.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// True when the request was certainly not sent, so any method may be retried.
    pub fn is_not_sent(&self) -> bool {
        matches!(self.kind, TransportErrorKind::Connect)
    }

    /// This error as a caller should see it: the transport's cause prefixed with what failed
    /// against `host`, followed by `attempts` and `elapsed` when the call was tried more than
    /// once, and a hint when the failure suggests a wrong scheme (`scheme_assumed`: the host was
    /// configured without one, so `https://` was added). For example:
    ///
    /// ```
    /// use std::time::Duration;
    /// use dbx_core::{TransportError, TransportErrorKind};
    /// let cause = TransportError::new(TransportErrorKind::Connect, "tcp connect error: Connection refused (os error 111)");
    /// let e = cause.in_context("http://localhost:1", false, 3, Duration::from_millis(1500));
    /// assert_eq!(
    ///     e.to_string(),
    ///     "cannot connect to http://localhost:1: tcp connect error: Connection refused (os error 111); \
    ///      gave up after 3 attempts over 1.5s"
    /// );
    /// ```
    pub fn in_context(
        &self,
        host: &str,
        scheme_assumed: bool,
        attempts: u32,
        elapsed: std::time::Duration,
    ) -> TransportError {
        let what = match self.kind {
            TransportErrorKind::Connect => format!("cannot connect to {host}"),
            TransportErrorKind::Tls => format!("TLS handshake with {host} failed"),
            TransportErrorKind::Timeout => format!("no answer from {host} in time"),
            TransportErrorKind::Io => format!("the connection to {host} failed"),
            TransportErrorKind::Request => format!("cannot send a request to {host}"),
        };
        let mut message = format!("{what}: {}", self.message);
        if attempts > 1 {
            message.push_str(&format!(
                "; gave up after {attempts} attempts over {elapsed:.1?}"
            ));
        }
        let plain_http = host
            .strip_prefix("https://")
            .map(|rest| format!("http://{rest}"));
        match (self.kind, plain_http) {
            (TransportErrorKind::Tls, Some(http)) if !self.message.contains("certificate") => {
                message.push_str(&format!(
                    " (not retried); the server does not seem to speak TLS: if it serves plain \
                     HTTP (as a local emulator does), set the host to {http}"
                ));
            }
            (TransportErrorKind::Tls, _) => message.push_str(" (not retried)"),
            _ => {}
        }
        if scheme_assumed
            && matches!(
                self.kind,
                TransportErrorKind::Connect | TransportErrorKind::Tls
            )
        {
            message.push_str(
                "; note: the host was configured without a scheme, so https:// was assumed",
            );
        }
        TransportError {
            kind: self.kind,
            message,
        }
    }
}

#[cfg(feature = "reqwest-transport")]
pub use self::reqwest_impl::ReqwestTransport;

#[cfg(feature = "reqwest-transport")]
mod reqwest_impl {
    use std::time::Duration;

    use super::*;

    /// The default transport: reqwest with rustls and a pooled, keep-alive connection.
    #[derive(Debug, Clone)]
    pub struct ReqwestTransport {
        client: reqwest::Client,
    }

    impl ReqwestTransport {
        /// A transport with the given connect timeout and per-request timeout (`None`: no
        /// transport-level request timeout; the [`crate::Client`] applies its own).
        pub fn new(
            connect_timeout: Duration,
            request_timeout: Option<Duration>,
        ) -> Result<Self, TransportError> {
            let mut builder = reqwest::Client::builder()
                .connect_timeout(connect_timeout)
                .pool_idle_timeout(Duration::from_secs(90))
                .tcp_nodelay(true)
                .redirect(reqwest::redirect::Policy::none());
            if let Some(t) = request_timeout {
                builder = builder.timeout(t);
            }
            let client = builder
                .build()
                .map_err(|e| TransportError::new(TransportErrorKind::Request, e.to_string()))?;
            Ok(Self { client })
        }

        /// Wrap an existing reqwest client (for custom TLS roots, proxies, ...).
        pub fn from_client(client: reqwest::Client) -> Self {
            Self { client }
        }
    }

    fn classify(e: &reqwest::Error) -> TransportErrorKind {
        if e.is_connect() && is_tls(e) {
            TransportErrorKind::Tls
        } else if e.is_connect() {
            TransportErrorKind::Connect
        } else if e.is_timeout() {
            TransportErrorKind::Timeout
        } else if e.is_builder() {
            TransportErrorKind::Request
        } else {
            TransportErrorKind::Io
        }
    }

    /// A failure during connection set-up that is not the TCP connect or the DNS lookup is the
    /// TLS handshake: rustls reports it as an `InvalidData` I/O error (a plain-HTTP answer to a
    /// ClientHello: "received corrupt message of type InvalidContentType"; a certificate that is
    /// not trusted: "invalid peer certificate: ...").
    fn is_tls(e: &reqwest::Error) -> bool {
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::InvalidData {
                    return true;
                }
                if let Some(inner) = io.get_ref() {
                    if inner
                        .downcast_ref::<std::io::Error>()
                        .is_some_and(|i| i.kind() == std::io::ErrorKind::InvalidData)
                    {
                        return true;
                    }
                }
            }
            source = s.source();
        }
        false
    }

    /// The cause of a reqwest failure, once: the source chain without reqwest's and hyper's
    /// generic wrappers ("error sending request for url (...)", "client error (Connect)"), whose
    /// URL and kind the [`crate::Client`] states itself. URLs never contain credentials in this
    /// SDK.
    fn describe(e: &reqwest::Error) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            let text = s.to_string();
            let generic = text.starts_with("error sending request")
                || text.starts_with("client error (")
                || text.starts_with("error decoding response body")
                || text.starts_with("request or response body error");
            if !generic && !parts.iter().any(|p| p.contains(&text)) {
                parts.push(text);
            }
            source = s.source();
        }
        if parts.is_empty() {
            // Every layer was generic: keep the outermost, without its URL.
            return match e.url() {
                Some(u) => e.to_string().replace(&format!(" ({u})"), ""),
                None => e.to_string(),
            };
        }
        parts.join(": ")
    }

    #[async_trait]
    impl Transport for ReqwestTransport {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
            let req = reqwest::Request::try_from(request)
                .map_err(|e| TransportError::new(TransportErrorKind::Request, describe(&e)))?;
            let resp = self
                .client
                .execute(req)
                .await
                .map_err(|e| TransportError::new(classify(&e), describe(&e)))?;
            let status = resp.status();
            let version = resp.version();
            let headers = resp.headers().clone();
            let body = resp
                .bytes()
                .await
                .map_err(|e| TransportError::new(classify(&e), describe(&e)))?;
            let mut out = http::Response::new(body);
            *out.status_mut() = status;
            *out.version_mut() = version;
            *out.headers_mut() = headers;
            Ok(out)
        }
    }
}
