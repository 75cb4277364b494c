//! The emulated REST API families and the small framework their handlers use.
//!
//! Each family lives in `api/<family>.rs` and exposes `pub(crate) fn routes() -> Vec<Route>`;
//! [`all_routes`] lists every family, one line each. A [`Route`] is a method, a path pattern after
//! `/api/{version}/` (`token/list`, `token/{token_id}`), the versions it answers on, and a
//! synchronous [`Handler`] that runs with the state locked. The dispatcher (see `router.rs`)
//! authenticates the caller, reads and parses the body, and hands the handler a [`Ctx`].

pub(crate) mod dbfs;
pub(crate) mod scim;
pub(crate) mod secrets;
pub(crate) mod token;
pub(crate) mod workspace;

use axum::response::Response;
use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};
use serde_json::Value;

use crate::clock::Clock;
use crate::error::{json_response, ApiError};
use crate::params::Params;
use crate::state::{Limits, Principal, State};

/// Every route of every family.
pub(crate) fn all_routes() -> Vec<Route> {
    let mut routes = Vec::new();
    routes.extend(token::routes());
    routes.extend(scim::routes());
    routes.extend(secrets::routes());
    routes.extend(dbfs::routes());
    routes.extend(workspace::routes());
    #[cfg(test)]
    routes.extend(crate::router::test_routes());
    routes
}

/// A handler: synchronous, short, over the locked state.
pub(crate) type Handler = fn(&mut Ctx<'_>) -> Result<Reply, ApiError>;

/// Work done before the state is locked (e.g. decoding a large base64 payload), from the parsed
/// parameters and multipart parts; its result reaches the handler as [`Ctx::payload`].
pub(crate) type Prepare = fn(&Params, &[MultipartField]) -> Result<Option<Bytes>, ApiError>;

/// One routed endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub method: Method,
    /// Path after `/api/{version}/`; `{name}` segments capture one path segment.
    pub path: &'static str,
    /// API versions the route answers on (`"2.0"`, `"2.1"`, `"2.2"`).
    pub versions: &'static [&'static str],
    pub handler: Handler,
    /// Optional step run before the state is locked.
    pub prepare: Option<Prepare>,
    /// A larger request body limit for this route (the emulator's limit applies when it is
    /// larger): DBFS `put` takes multipart uploads of up to 2 GB.
    pub max_body: Option<usize>,
}

impl Route {
    /// A route for `method` on `path` in `versions`.
    pub(crate) fn new(
        method: Method,
        path: &'static str,
        versions: &'static [&'static str],
        handler: Handler,
    ) -> Self {
        Self {
            method,
            path,
            versions,
            handler,
            prepare: None,
            max_body: None,
        }
    }

    /// The same route accepting request bodies of up to `bytes`.
    pub(crate) fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = Some(bytes);
        self
    }

    /// The same route with a [`Prepare`] step.
    pub(crate) fn with_prepare(mut self, prepare: Prepare) -> Self {
        self.prepare = Some(prepare);
        self
    }
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MultipartField {
    pub name: String,
    pub filename: Option<String>,
    pub data: Bytes,
}

/// What a handler sees: the locked state, the caller and the parsed request.
#[allow(dead_code)] // body, content_type and multipart are read by upload endpoints (DBFS, Workspace)
pub(crate) struct Ctx<'a> {
    pub state: &'a mut State,
    /// The authenticated principal.
    pub caller: &'a Principal,
    /// JSON body object (or multipart text fields) merged with the query string.
    pub params: &'a Params,
    /// Captures of `{name}` path segments, percent-decoded.
    pub path_params: &'a [(&'static str, String)],
    /// The raw request body.
    pub body: &'a Bytes,
    /// The request's `Content-Type`, if any.
    pub content_type: Option<&'a str>,
    /// The parts of a `multipart/form-data` body (empty otherwise).
    pub multipart: &'a [MultipartField],
    pub clock: &'a Clock,
    /// The emulator clock when the request arrived.
    pub now_ms: i64,
    pub limits: Limits,
    /// What the route's [`Prepare`] step produced, if it has one.
    pub payload: Option<Bytes>,
}

impl Ctx<'_> {
    /// The `{name}` path segment.
    pub(crate) fn path_param(&self, name: &str) -> Result<&str, ApiError> {
        self.path_params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ApiError::internal(format!("route has no path parameter {name}")))
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    status: StatusCode,
    body: ReplyBody,
}

#[derive(Debug, Clone, PartialEq)]
enum ReplyBody {
    /// JSON; keys holding empty arrays are dropped (the real server omits empty lists).
    Json(Value),
    /// Raw bytes with a content type (downloads).
    #[allow(dead_code)] // used by download endpoints (DBFS read, Workspace export)
    Bytes { content_type: String, data: Bytes },
}

impl Reply {
    /// 200 with a JSON body.
    pub(crate) fn json(value: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::Json(value),
        }
    }

    /// 200 `{}`.
    pub(crate) fn empty() -> Self {
        Self::json(Value::Object(serde_json::Map::new()))
    }

    /// 200 with raw bytes.
    #[allow(dead_code)] // used by download endpoints (DBFS read, Workspace export)
    pub(crate) fn bytes(content_type: &str, data: Bytes) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::Bytes {
                content_type: content_type.to_owned(),
                data,
            },
        }
    }

    /// The same reply with another status (SCIM answers 201 on create).
    #[allow(dead_code)] // used by SCIM create
    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The HTTP response.
    pub(crate) fn into_response(self) -> Response {
        match self.body {
            ReplyBody::Json(mut value) => {
                strip_empty_lists(&mut value);
                json_response(self.status, &value)
            }
            ReplyBody::Bytes { content_type, data } => {
                let mut resp = Response::new(axum::body::Body::from(data));
                *resp.status_mut() = self.status;
                let ct = HeaderValue::from_str(&content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream"));
                resp.headers_mut().insert(header::CONTENT_TYPE, ct);
                resp
            }
        }
    }
}

/// Drop every object key whose value is an empty array, at any depth.
pub(crate) fn strip_empty_lists(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !matches!(v, Value::Array(a) if a.is_empty()));
            map.values_mut().for_each(strip_empty_lists);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_empty_lists),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn empty_lists_are_dropped_recursively() {
        let mut v = json!({"a": [], "b": {"c": [], "d": [1]}, "e": [{"f": []}], "g": {}});
        strip_empty_lists(&mut v);
        assert_eq!(v, json!({"b": {"d": [1]}, "e": [{}], "g": {}}));
    }
}
