//! Typed requests built by API crates and sent by [`crate::Client`].

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use serde::Serialize;

use crate::{Error, Result, RetryPolicy};

/// Per-call options, kept apart from body fields so the two never collide: `with_*` methods on
/// the API builders set these, `set_*`-style methods set body fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    /// Timeout of each attempt (default: the client's `request_timeout`).
    pub timeout: Option<Duration>,
    /// Retry policy for this call (default: the client's).
    pub retry: Option<RetryPolicy>,
    /// Whether this call is safe to repeat even after the server may have processed it
    /// (default: true for GET, HEAD, PUT and DELETE, false for POST and PATCH).
    pub idempotent: Option<bool>,
}

impl CallOptions {
    /// Set the per-attempt timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Set the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Declare the call safe (or not) to repeat after a timeout or a broken connection.
    pub fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Body {
    pub(crate) bytes: Bytes,
    pub(crate) content_type: String,
}

/// One API call: method, path under the workspace host, query, body and options.
///
/// ```
/// use dbx_core::Request;
/// let req = Request::get("/api/2.0/secrets/list").query("scope", "my-scope");
/// assert_eq!(req.path_and_query(), "/api/2.0/secrets/list?scope=my-scope");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Body>,
    pub(crate) options: CallOptions,
}

impl Request {
    /// A request with any method. `path` starts with `/` (e.g. `/api/2.0/token/list`).
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            options: CallOptions::default(),
        }
    }

    /// A GET request.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    /// A POST request.
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }

    /// A PATCH request.
    pub fn patch(path: impl Into<String>) -> Self {
        Self::new(Method::PATCH, path)
    }

    /// A PUT request.
    pub fn put(path: impl Into<String>) -> Self {
        Self::new(Method::PUT, path)
    }

    /// A DELETE request.
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Add a query parameter. Booleans render as `true`/`false`, as the API expects.
    pub fn query(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }

    /// Add a query parameter when `value` is `Some`.
    pub fn query_opt<V: ToString>(self, key: impl Into<String>, value: Option<V>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Set a JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidRequest(format!("request body does not serialize: {e}")))?;
        self.body = Some(Body {
            bytes: bytes.into(),
            content_type: "application/json".into(),
        });
        Ok(self)
    }

    /// Set a raw body with its content type (e.g. `multipart/form-data; boundary=...`).
    pub fn body(mut self, bytes: impl Into<Bytes>, content_type: impl Into<String>) -> Self {
        self.body = Some(Body {
            bytes: bytes.into(),
            content_type: content_type.into(),
        });
        self
    }

    /// Replace the per-call options.
    pub fn options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Mark the call safe (or not) to repeat after a timeout or a broken connection.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.options.idempotent = Some(idempotent);
        self
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path, without query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The body bytes, if any.
    pub fn body_bytes(&self) -> Option<&Bytes> {
        self.body.as_ref().map(|b| &b.bytes)
    }

    /// Whether a retry after the request may have been processed is allowed.
    pub fn is_idempotent(&self) -> bool {
        self.options.idempotent.unwrap_or(matches!(
            self.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        ))
    }

    /// Path plus encoded query string.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            ser.append_pair(k, v);
        }
        format!("{}?{}", self.path, ser.finish())
    }
}

/// Percent-encode one path segment (for ids placed in a URL path).
///
/// ```
/// assert_eq!(dbx_core::encode_path_segment("a b/c"), "a%20b%2Fc");
/// ```
pub fn encode_path_segment(segment: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(segment, SET).to_string()
}
