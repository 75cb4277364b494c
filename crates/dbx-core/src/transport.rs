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
}

/// A failure to obtain any HTTP response.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind:?}: {message}")]
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
        if e.is_connect() {
            TransportErrorKind::Connect
        } else if e.is_timeout() {
            TransportErrorKind::Timeout
        } else if e.is_builder() {
            TransportErrorKind::Request
        } else {
            TransportErrorKind::Io
        }
    }

    fn describe(e: &reqwest::Error) -> String {
        // reqwest's Display includes the URL (which never contains credentials in this SDK) and
        // the source chain gives the useful cause.
        let mut msg = e.without_url_ref().to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        msg
    }

    trait WithoutUrl {
        fn without_url_ref(&self) -> String;
    }
    impl WithoutUrl for reqwest::Error {
        fn without_url_ref(&self) -> String {
            match self.url() {
                Some(u) => self.to_string().replace(&format!(" ({u})"), ""),
                None => self.to_string(),
            }
        }
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
