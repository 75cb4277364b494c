//! Typed requests built by API crates and sent by [`crate::Client`].

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use serde::Serialize;

use crate::{Error, Result, RetryPolicy};

/// Per-call options, kept apart from body fields so the two never collide: `with_*` methods on
/// the API builders set these, `set_*`-style methods set body fields.
///
/// Options come in layers; for each field the first layer that sets it wins:
///
/// 1. the options given for one call (an API builder's `with_options`, or
///    [`Request::options`] / [`Request::idempotent`]);
/// 2. the options of the client or API handle the call goes through ([`crate::Client::with_options`],
///    and every API crate's `with_options` on its handle);
/// 3. the API method's own default ([`Request::default_idempotent`]: e.g. a DBFS delete is
///    idempotent, a token create is not);
/// 4. the client's configuration (`request_timeout`, `retry`) and, for idempotency, the HTTP
///    method (see [`crate::retry`]).
///
/// So a caller's explicit choice always wins over what the method would pick.
///
/// ```
/// use std::time::Duration;
/// use dbx_core::CallOptions;
/// let handle = CallOptions::default().with_timeout(Duration::from_secs(5));
/// let call = CallOptions::default().with_idempotent(false);
/// let effective = call.or(&handle);
/// assert_eq!(effective.timeout, Some(Duration::from_secs(5)));
/// assert_eq!(effective.idempotent, Some(false));
/// ```
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

    /// These options, with every field left unset taken from `fallback`.
    pub fn or(&self, fallback: &CallOptions) -> CallOptions {
        CallOptions {
            timeout: self.timeout.or(fallback.timeout),
            retry: self.retry.clone().or_else(|| fallback.retry.clone()),
            idempotent: self.idempotent.or(fallback.idempotent),
        }
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.timeout.is_none() && self.retry.is_none() && self.idempotent.is_none()
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
    /// The caller's options for this call (layers 1 and 2 of [`CallOptions`]).
    pub(crate) options: CallOptions,
    /// The API method's defaults (layer 3).
    pub(crate) defaults: CallOptions,
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
            defaults: CallOptions::default(),
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

    /// Set the caller's per-call options. Fields set in `options` replace those set before;
    /// unset fields keep their value. They win over the method's defaults
    /// ([`Request::default_idempotent`]) whatever the order of the calls.
    pub fn options(mut self, options: CallOptions) -> Self {
        self.options = options.or(&self.options);
        self
    }

    /// The caller's choice: the call is safe (or not) to repeat after a timeout or a broken
    /// connection. Wins over [`Request::default_idempotent`].
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.options.idempotent = Some(idempotent);
        self
    }

    /// The API method's default idempotency, used only when the caller chose none (API crates
    /// call this; a caller's [`CallOptions::with_idempotent`] always wins).
    ///
    /// ```
    /// use dbx_core::{CallOptions, Request};
    /// let req = Request::post("/api/2.0/dbfs/delete")
    ///     .options(CallOptions::default().with_idempotent(false))
    ///     .default_idempotent(true);
    /// assert!(!req.is_idempotent());
    /// ```
    pub fn default_idempotent(mut self, idempotent: bool) -> Self {
        self.defaults.idempotent = Some(idempotent);
        self
    }

    /// The options this call runs with, before the client's configuration fills the rest: the
    /// caller's, then the method's defaults.
    pub fn effective_options(&self) -> CallOptions {
        self.options.or(&self.defaults)
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

    /// Whether a retry after the request may have been processed is allowed: the caller's
    /// choice, else the method's default, else the HTTP method's
    /// ([`crate::retry::Idempotency::of_method`]).
    pub fn is_idempotent(&self) -> bool {
        self.idempotency() == crate::retry::Idempotency::Idempotent
    }

    /// [`Request::is_idempotent`] as an [`Idempotency`](crate::retry::Idempotency).
    pub fn idempotency(&self) -> crate::retry::Idempotency {
        match self.effective_options().idempotent {
            Some(true) => crate::retry::Idempotency::Idempotent,
            Some(false) => crate::retry::Idempotency::NotIdempotent,
            None => crate::retry::Idempotency::of_method(&self.method),
        }
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
