//! Test transports (feature `test-util`): a replay transport that answers from a script, and a
//! capturing transport that records every exchange of another transport.

use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use parking_lot::Mutex;

use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};

/// A request as a test transport saw it. The `Authorization` header is never kept, and `Debug`
/// prints the body's size, not its bytes (bodies can carry secret values).
#[derive(Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: Method,
    /// Path, without query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers, less `Authorization`.
    pub headers: HeaderMap,
    /// Whether an `Authorization` header was present.
    pub authorized: bool,
    /// The body.
    pub body: Bytes,
}

impl std::fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("authorized", &self.authorized)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

impl RecordedRequest {
    fn of(req: &HttpRequest) -> Self {
        let mut headers = req.headers().clone();
        let authorized = headers.remove(http::header::AUTHORIZATION).is_some();
        Self {
            method: req.method().clone(),
            path: req.uri().path().to_string(),
            query: req.uri().query().map(str::to_string),
            headers,
            authorized,
            body: req.body().clone(),
        }
    }

    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Debug)]
enum Scripted {
    Response(HttpResponse),
    Error(TransportError),
}

/// Answers requests from a script, in order, and records them.
///
/// ```
/// # async fn demo() {
/// use dbx_core::testing::ReplayTransport;
/// let t = ReplayTransport::new()
///     .respond_json(429, serde_json::json!({"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow"}))
///     .respond_json(200, serde_json::json!({}));
/// # }
/// ```
#[derive(Clone, Default)]
pub struct ReplayTransport {
    script: Arc<Mutex<VecDeque<Scripted>>>,
    seen: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl std::fmt::Debug for ReplayTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayTransport")
            .field("remaining", &self.script.lock().len())
            .field("received", &self.seen.lock().len())
            .finish()
    }
}

impl ReplayTransport {
    /// An empty script: every request fails until answers are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queue a full response.
    pub fn respond(self, response: HttpResponse) -> Self {
        self.script.lock().push_back(Scripted::Response(response));
        self
    }

    /// Queue a JSON response with `status`.
    pub fn respond_json(self, status: u16, body: serde_json::Value) -> Self {
        let mut resp = http::Response::new(Bytes::from(body.to_string()));
        *resp.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        resp.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        self.respond(resp)
    }

    /// Queue a transport failure.
    pub fn fail(self, kind: TransportErrorKind, message: &str) -> Self {
        self.script
            .lock()
            .push_back(Scripted::Error(TransportError::new(kind, message)));
        self
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.seen.lock().clone()
    }

    /// How many scripted answers are still unused.
    pub fn remaining(&self) -> usize {
        self.script.lock().len()
    }
}

#[async_trait]
impl Transport for ReplayTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.seen.lock().push(RecordedRequest::of(&request));
        match self.script.lock().pop_front() {
            Some(Scripted::Response(r)) => Ok(r),
            Some(Scripted::Error(e)) => Err(e),
            None => Err(TransportError::new(
                TransportErrorKind::Request,
                format!(
                    "replay script exhausted at {} {}",
                    request.method(),
                    request.uri().path()
                ),
            )),
        }
    }
}

/// One request and the answer it got. `Debug` prints sizes, not bodies.
#[derive(Clone)]
pub struct Exchange {
    /// The request (without credentials).
    pub request: RecordedRequest,
    /// The response status, or the transport error.
    pub response: Result<(StatusCode, Bytes), TransportError>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let response = match &self.response {
            Ok((status, body)) => format!("{status} <{} bytes>", body.len()),
            Err(e) => format!("error: {e}"),
        };
        f.debug_struct("Exchange")
            .field("request", &self.request)
            .field("response", &response)
            .finish()
    }
}

/// Wraps a transport and records every exchange through it.
#[derive(Clone)]
pub struct CaptureTransport<T> {
    inner: T,
    log: Arc<Mutex<Vec<Exchange>>>,
}

impl<T: std::fmt::Debug> std::fmt::Debug for CaptureTransport<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureTransport")
            .field("inner", &self.inner)
            .field("exchanges", &self.log.lock().len())
            .finish()
    }
}

impl<T: Transport> CaptureTransport<T> {
    /// Record exchanges through `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            log: Arc::default(),
        }
    }

    /// Every exchange so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log.lock().clone()
    }

    /// Forget recorded exchanges.
    pub fn clear(&self) {
        self.log.lock().clear();
    }
}

#[async_trait]
impl<T: Transport> Transport for CaptureTransport<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let recorded = RecordedRequest::of(&request);
        let result = self.inner.send(request).await;
        let response = match &result {
            Ok(r) => Ok((r.status(), r.body().clone())),
            Err(e) => Err(e.clone()),
        };
        self.log.lock().push(Exchange {
            request: recorded,
            response,
        });
        result
    }
}
