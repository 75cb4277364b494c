//! The emulated REST API families and the small framework their handlers use.
//!
//! Each family lives in `api/<family>.rs` and exposes `pub(crate) fn routes() -> Vec<Route>`;
//! its state lives in `state/<family>.rs`. [`all_routes`] lists every family, one line each, and
//! the OAuth (`auth.rs`) and admin (`admin.rs`) routes: one route table serves every path.
//!
//! A [`Route`] is a method, an [`Area`], a path pattern (`token/list`, `token/{token_id}`), the
//! API versions it answers on, a [`Handler`] and a [`ResponsePolicy`]. The dispatcher (see
//! `router.rs`) authenticates the caller, reads and parses the body, settles time-driven state
//! and hands an `/api` handler a [`Ctx`] over the locked state; `/oidc` and `/__mock` handlers get
//! an [`EmuCtx`]. Handlers read typed requests with [`Ctx::decode`] and fail with
//! [`ApiError`]s built from [`crate::error::ErrorCode`]s.

pub(crate) mod clusters;
pub(crate) mod dbfs;
pub(crate) mod groups;
pub(crate) mod instance_profiles;
pub(crate) mod jobs;
pub(crate) mod libraries;
pub(crate) mod scim;
pub(crate) mod secrets;
pub(crate) mod token;
pub(crate) mod workspace;

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use serde_json::Value;

use crate::clock::Clock;
use crate::emulator::Emulator;
use crate::error::{json_bytes_response, json_response, ApiError};
use crate::params::Params;
use crate::state::{Limits, Principal, State};

/// Every route: each API family's, then the OAuth/discovery and `/__mock` admin routes.
pub(crate) fn all_routes() -> Vec<Route> {
    let mut routes = Vec::new();
    routes.extend(token::routes());
    routes.extend(scim::routes());
    routes.extend(groups::routes());
    routes.extend(secrets::routes());
    routes.extend(dbfs::routes());
    routes.extend(workspace::routes());
    routes.extend(clusters::routes());
    routes.extend(instance_profiles::routes());
    routes.extend(libraries::routes());
    routes.extend(jobs::routes());
    routes.extend(crate::auth::routes());
    routes.extend(crate::admin::routes());
    #[cfg(test)]
    routes.extend(crate::router::test_routes());
    routes
}

/// Which part of the URL space a route lives in; each has its own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Area {
    /// `/api/{version}/...`: bearer authentication, faults, journal.
    Api,
    /// `/oidc/...` and `/.well-known/...`: OAuth and discovery; faults and journal, no bearer
    /// authentication.
    Oidc,
    /// `/__mock/...`: the emulator's own control API; no authentication, faults or journal.
    Admin,
}

/// An `/api` handler: synchronous, short, over the locked state.
pub(crate) type StateHandler = fn(&mut Ctx<'_>) -> Result<Reply, ApiError>;

/// An `/api` handler that only reads the state (gets and lists): it runs under the state's
/// shared lock, so reads on different worker threads do not wait for each other.
pub(crate) type ReadHandler = fn(&ReadCtx<'_>) -> Result<Reply, ApiError>;

/// An `/oidc` or `/__mock` handler: it sees the whole emulator (clock, faults, journal) and
/// locks the state itself if it needs it.
pub(crate) type EmulatorHandler = fn(&mut EmuCtx<'_>) -> Result<Reply, ApiError>;

/// What runs a route.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Handler {
    /// Runs with the state locked for writing and settled (see [`Ctx`]).
    State(StateHandler),
    /// Runs with the state settled and locked for reading (see [`ReadCtx`]).
    Read(ReadHandler),
    /// Runs with the emulator (see [`EmuCtx`]).
    Emulator(EmulatorHandler),
}

/// Work done before the state is locked (e.g. decoding a large base64 payload, reading an
/// archive), from the parsed parameters and multipart parts; its result reaches the handler as
/// [`Ctx::payload`]. Its errors are answered before the state is locked, so a prepare step
/// only checks what the handler would have checked before touching the state.
pub(crate) type Prepare = fn(&Params, &[MultipartField]) -> Result<Option<Payload>, ApiError>;

/// What a route's [`Prepare`] step hands its handler.
#[derive(Debug)]
pub(crate) enum Payload {
    /// Decoded bytes (DBFS blocks and uploads).
    Bytes(Bytes),
    /// A workspace import, decoded and parsed: only the insertion into the tree is left.
    WorkspaceImport(workspace::Import),
}

/// How a route's answers are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResponsePolicy {
    /// Drop object keys holding empty arrays (the Databricks REST APIs omit empty lists).
    pub strip_empty_lists: bool,
    /// Top-level keys kept even when their list is empty (SCIM's `Resources`).
    pub keep_empty: &'static [&'static str],
    /// The `Content-Type` of JSON answers.
    pub content_type: &'static str,
    /// The shape of error bodies.
    pub errors: ErrorShape,
}

/// The body shape of an error answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorShape {
    /// `{"error_code": .., "message": ..}` (and the other legacy shapes `ApiError` carries).
    Databricks,
    /// RFC 7644 §3.12: `{"schemas": [Error], "detail": .., "status": ".."}`.
    Scim,
}

impl ResponsePolicy {
    /// The Databricks REST APIs: empty lists dropped, `application/json`, error envelope.
    pub(crate) const DATABRICKS: Self = Self {
        strip_empty_lists: true,
        keep_empty: &[],
        content_type: "application/json",
        errors: ErrorShape::Databricks,
    };
    /// SCIM 2.0: a list answer keeps `Resources` even when empty (RFC 7644 §3.4.2); other empty
    /// lists are omitted as in the rest of the API (`/Me` of a user in no group has no `groups`);
    /// SCIM error bodies. Databricks answers SCIM with `application/json` (and accepts
    /// `application/scim+json` requests, as every content type is read as JSON).
    pub(crate) const SCIM: Self = Self {
        strip_empty_lists: true,
        keep_empty: &["Resources"],
        content_type: "application/json",
        errors: ErrorShape::Scim,
    };
    /// OAuth, discovery and the admin API: JSON as built, error envelope.
    pub(crate) const PLAIN: Self = Self {
        strip_empty_lists: false,
        keep_empty: &[],
        content_type: "application/json",
        errors: ErrorShape::Databricks,
    };

    /// The HTTP answer for `err` under this policy.
    pub(crate) fn error_response(&self, err: ApiError) -> Response {
        match self.errors {
            ErrorShape::Databricks => err.into_response(),
            ErrorShape::Scim => err.into_scim().into_response(),
        }
    }
}

/// Who may call a route: the authentication and authorization decision every route declares.
///
/// `/api` routes authenticate the bearer credential first, the same way for every route (see
/// `auth.rs`): no credential or an unreadable one → 401, an unknown, revoked or expired token
/// or a deactivated principal → 403 "Invalid access token.". This declaration says what an
/// authenticated caller who is *not* a workspace admin gets. The auth matrix
/// (`mock-server/tests/auth_matrix.rs`) checks every route against its declaration, and fails
/// for a route that has none.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No bearer authentication (`/oidc`, `/.well-known`, `/__mock`): any credential, or none,
    /// is ignored.
    Open,
    /// Any authenticated principal; a non-admin is answered as an admin would be (listings
    /// show only what the caller may see).
    AnyUser,
    /// Workspace admins only: anyone else gets 403 `PERMISSION_DENIED` (identity changes,
    /// instance profiles, workspace-wide settings).
    AdminOnly,
    /// Acts on a resource the caller needs a permission on: a non-admin with no grant on a
    /// resource an admin created gets this status and error code (what the family answers;
    /// `error_code` is empty for SCIM bodies, which have none).
    Resource {
        /// The HTTP status.
        status: u16,
        /// The `error_code` of the answer.
        error_code: &'static str,
    },
}

impl Access {
    /// A resource the non-admin may not see or use: 403 `PERMISSION_DENIED`.
    pub(crate) const DENIED: Self = Self::Resource {
        status: 403,
        error_code: "PERMISSION_DENIED",
    };
}

/// One route of the table as tests see it (see [`route_table`]).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct RouteInfo {
    /// The HTTP method.
    pub method: Method,
    /// `"api"`, `"oidc"` or `"admin"`.
    pub area: &'static str,
    /// The path pattern (for `/api`, after `/api/{version}/`).
    pub path: &'static str,
    /// The API versions the route answers on (empty outside `/api`).
    pub versions: &'static [&'static str],
    /// Whether errors are SCIM bodies (RFC 7644 §3.12) rather than the Databricks envelope.
    pub scim_errors: bool,
    /// The route's access declaration; `None` is a route nobody decided for (a test failure).
    pub access: Option<Access>,
}

/// Every route of the emulator's table, for the fuzzer and the auth matrix
/// (`mock-server/tests/fuzz.rs`, `mock-server/tests/auth_matrix.rs`). Not a stable API.
#[doc(hidden)]
pub fn route_table() -> Vec<RouteInfo> {
    all_routes()
        .into_iter()
        .map(|r| RouteInfo {
            method: r.method.clone(),
            area: match r.area {
                Area::Api => "api",
                Area::Oidc => "oidc",
                Area::Admin => "admin",
            },
            path: r.path,
            versions: r.versions,
            scim_errors: r.policy.errors == ErrorShape::Scim,
            access: r.access,
        })
        .collect()
}

/// One routed endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub method: Method,
    /// The URL area the route lives in.
    pub area: Area,
    /// For [`Area::Api`], the path after `/api/{version}/` (`token/list`); otherwise the path
    /// without its leading slash (`oidc/v1/token`, `__mock/faults/{id}`). `{name}` segments
    /// capture one path segment.
    pub path: &'static str,
    /// API versions the route answers on (`"2.0"`, `"2.1"`, `"2.2"`); empty outside `/api`.
    pub versions: &'static [&'static str],
    pub handler: Handler,
    /// Optional step run before the state is locked.
    pub prepare: Option<Prepare>,
    /// A larger request body limit for this route (the emulator's limit applies when it is
    /// larger): DBFS `put` takes multipart uploads of up to 2 GB.
    pub max_body: Option<usize>,
    /// How answers are shaped.
    pub policy: ResponsePolicy,
    /// Who may call it (see [`Access`]); every route declares it with [`Route::access`].
    pub access: Option<Access>,
}

impl Route {
    /// An `/api` route for `method` on `path` in `versions`.
    pub(crate) fn new(
        method: Method,
        path: &'static str,
        versions: &'static [&'static str],
        handler: StateHandler,
    ) -> Self {
        Self::api(method, path, versions, Handler::State(handler))
    }

    /// An `/api` route whose handler only reads the state (see [`ReadHandler`]).
    pub(crate) fn read(
        method: Method,
        path: &'static str,
        versions: &'static [&'static str],
        handler: ReadHandler,
    ) -> Self {
        Self::api(method, path, versions, Handler::Read(handler))
    }

    fn api(
        method: Method,
        path: &'static str,
        versions: &'static [&'static str],
        handler: Handler,
    ) -> Self {
        Self {
            method,
            area: Area::Api,
            path,
            versions,
            handler,
            prepare: None,
            max_body: None,
            policy: ResponsePolicy::DATABRICKS,
            access: None,
        }
    }

    /// A route outside `/api` (`area` is [`Area::Oidc`] or [`Area::Admin`]).
    pub(crate) fn outside_api(
        area: Area,
        method: Method,
        path: &'static str,
        handler: EmulatorHandler,
    ) -> Self {
        Self {
            method,
            area,
            path,
            versions: &[],
            handler: Handler::Emulator(handler),
            prepare: None,
            max_body: None,
            policy: ResponsePolicy::PLAIN,
            access: Some(Access::Open),
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

    /// The same route with its access declaration (see [`Access`]).
    pub(crate) fn access(mut self, access: Access) -> Self {
        self.access = Some(access);
        self
    }

    /// The same route with another response policy.
    pub(crate) fn with_policy(mut self, policy: ResponsePolicy) -> Self {
        self.policy = policy;
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
    /// The API version of the request path (`"2.0"`, `"2.1"` or `"2.2"`).
    pub version: &'a str,
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
    pub payload: Option<Payload>,
}

impl Ctx<'_> {
    /// The same request as a [`ReadCtx`], for the helpers read and write handlers share.
    pub(crate) fn view(&self) -> ReadCtx<'_> {
        ReadCtx {
            state: self.state,
            version: self.version,
            caller: self.caller,
            params: self.params,
            path_params: self.path_params,
            now_ms: self.now_ms,
        }
    }

    /// The `{name}` path segment.
    pub(crate) fn path_param(&self, name: &str) -> Result<&str, ApiError> {
        path_param(self.path_params, name)
    }

    /// The request parameters decoded into `T` (see `decode.rs` for leniencies and errors).
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        self.params.decode()
    }

    /// The bytes the route's [`Prepare`] step decoded, taken out of the context.
    pub(crate) fn take_bytes(&mut self) -> Option<Bytes> {
        match self.payload.take() {
            Some(Payload::Bytes(data)) => Some(data),
            other => {
                self.payload = other;
                None
            }
        }
    }
}

/// What a [`ReadHandler`] sees: the settled state, shared with other readers, the caller and
/// the parsed request. The fields mean what they mean in [`Ctx`].
pub(crate) struct ReadCtx<'a> {
    pub state: &'a State,
    pub version: &'a str,
    pub caller: &'a Principal,
    pub params: &'a Params,
    pub path_params: &'a [(&'static str, String)],
    pub now_ms: i64,
}

impl ReadCtx<'_> {
    /// The `{name}` path segment.
    pub(crate) fn path_param(&self, name: &str) -> Result<&str, ApiError> {
        path_param(self.path_params, name)
    }

    /// The request parameters decoded into `T` (see `decode.rs` for leniencies and errors).
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        self.params.decode()
    }
}

/// Run the read handler `handler` as the dispatcher does (state settled, the admin user
/// calling, `params` as the merged parameters, no body) and return its reply unresolved.
#[cfg(test)]
pub(crate) fn call_handler(
    emu: &Emulator,
    handler: ReadHandler,
    params: Value,
) -> Result<Reply, ApiError> {
    let Value::Object(map) = params else {
        return Err(ApiError::internal("params must be a JSON object"));
    };
    let params = Params::merge(map, Vec::new());
    let inner = &emu.inner;
    let now_ms = inner.clock.now_ms();
    let mut state = inner.state.write();
    state.settle(now_ms);
    let caller = state
        .identity
        .principal_by_name(&inner.config.admin_user_name)
        .cloned()
        .ok_or_else(|| ApiError::internal("no admin user"))?;
    let ctx = ReadCtx {
        state: &state,
        version: "2.0",
        caller: &caller,
        params: &params,
        path_params: &[],
        now_ms,
    };
    handler(&ctx)
}

fn path_param<'a>(params: &'a [(&'static str, String)], name: &str) -> Result<&'a str, ApiError> {
    params
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| ApiError::internal(format!("route has no path parameter {name}")))
}

/// What an `/oidc` or `/__mock` handler sees: the emulator and the parsed request.
pub(crate) struct EmuCtx<'a> {
    pub emu: &'a Emulator,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    /// JSON body object (or form fields) merged with the query string.
    pub params: &'a Params,
    /// Captures of `{name}` path segments, percent-decoded.
    pub path_params: &'a [(&'static str, String)],
    /// The raw request body.
    pub body: &'a Bytes,
    /// The principal to record in the journal, if the handler authenticated one.
    pub journal_caller: Option<String>,
}

impl EmuCtx<'_> {
    /// The `{name}` path segment.
    pub(crate) fn path_param(&self, name: &str) -> Result<&str, ApiError> {
        path_param(self.path_params, name)
    }
}

/// A successful answer, or work that will produce one (see [`Reply::deferred`]).
#[derive(Debug)]
pub(crate) struct Reply {
    status: StatusCode,
    body: ReplyBody,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// The work of a deferred reply: run once, with no lock held.
type DeferredWork = Box<dyn FnOnce() -> Result<Reply, ApiError> + Send>;

enum ReplyBody {
    /// JSON; keys holding empty arrays are dropped (the real server omits empty lists).
    Json(Value),
    /// JSON already written from a typed answer holding no empty array (see [`Reply::typed`]):
    /// no policy has anything to drop or keep in it, so it goes out as it is.
    Serialized(Bytes),
    /// Raw bytes with a content type (downloads).
    Bytes { content_type: String, data: Bytes },
    /// Work to finish after the state lock is released.
    Deferred(DeferredWork),
}

impl std::fmt::Debug for ReplyBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Json(value) => f.debug_tuple("Json").field(value).finish(),
            Self::Serialized(json) => f
                .debug_tuple("Serialized")
                .field(&String::from_utf8_lossy(json))
                .finish(),
            Self::Bytes { content_type, data } => f
                .debug_struct("Bytes")
                .field("content_type", content_type)
                .field("len", &data.len())
                .finish(),
            Self::Deferred(_) => f.write_str("Deferred"),
        }
    }
}

impl Reply {
    /// 200 with a JSON body.
    pub(crate) fn json(value: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::Json(value),
            headers: Vec::new(),
        }
    }

    /// 200 with `value` serialized to JSON (for typed response structs).
    ///
    /// The answer is written straight to JSON text. Only when that text holds `[]` (an empty
    /// array, or those two characters inside a string) may the route's [`ResponsePolicy`] have
    /// something to drop or keep; then `value` becomes a [`Value`] as for [`Reply::json`]. The
    /// compact writer writes every empty array as `[]`, so text without it has no empty list.
    /// Object keys of the text come in the struct's field order (as the real service sends
    /// them), those of a `Value` in sorted order; JSON readers see the same document.
    pub(crate) fn typed<T: serde::Serialize>(value: &T) -> Result<Self, ApiError> {
        if let Ok(json) = crate::json_text::to_json_bytes(value) {
            if !has_empty_list(&json) {
                return Ok(Self::serialized(json));
            }
        }
        // An empty list to strip, or a serialization error (reported as before).
        serde_json::to_value(value)
            .map(Self::json)
            .map_err(|e| ApiError::internal(format!("cannot serialize the answer: {e}")))
    }

    /// 200 with `json`, compact JSON text written by hand (see `json_text.rs`), answered as
    /// [`Reply::typed`] answers the same text: as it is, unless it holds `[]`, when it is
    /// parsed for the route's [`ResponsePolicy`].
    pub(crate) fn json_text(json: Bytes) -> Result<Self, ApiError> {
        if !has_empty_list(&json) {
            return Ok(Self::serialized(json));
        }
        serde_json::from_slice(&json)
            .map(Self::json)
            .map_err(|e| ApiError::internal(format!("cannot read the answer back: {e}")))
    }

    fn serialized(json: Bytes) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::Serialized(json),
            headers: Vec::new(),
        }
    }

    /// 200 `{}`.
    pub(crate) fn empty() -> Self {
        Self::json(Value::Object(serde_json::Map::new()))
    }

    /// 200 with raw bytes.
    pub(crate) fn bytes(content_type: &str, data: Bytes) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::Bytes {
                content_type: content_type.to_owned(),
                data,
            },
            headers: Vec::new(),
        }
    }

    /// A reply whose heavy part (encoding, archive writing) runs after the state lock is
    /// released: the handler gathers what it needs with the state locked (cheap clones of
    /// shared `Bytes`, `Arc`s) and moves it into `work`; the dispatcher (`router.rs`, `run()`)
    /// drops the lock, then runs `work` once. Its reply is the answer; its error is answered
    /// under the route's [`ResponsePolicy`] like a handler's. Headers added to the deferred
    /// reply are added to the one `work` returns.
    pub(crate) fn deferred(
        work: impl FnOnce() -> Result<Reply, ApiError> + Send + 'static,
    ) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::Deferred(Box::new(work)),
            headers: Vec::new(),
        }
    }

    /// Whether this reply still has deferred work to run.
    #[cfg(test)]
    pub(crate) fn is_deferred(&self) -> bool {
        matches!(self.body, ReplyBody::Deferred(_))
    }

    /// Run the deferred work, if any (the caller must hold no lock): the final reply.
    pub(crate) fn resolve(self) -> Result<Self, ApiError> {
        match self.body {
            ReplyBody::Deferred(work) => {
                let mut reply = work()?.resolve()?;
                reply.headers.extend(self.headers);
                Ok(reply)
            }
            _ => Ok(self),
        }
    }

    /// The same reply with another status (SCIM answers 201 on create).
    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The same reply with an extra response header.
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The HTTP response, shaped by `policy`. Deferred work, if still there, runs now (the
    /// dispatcher resolves replies itself, after releasing the state lock).
    pub(crate) fn into_response(self, policy: &ResponsePolicy) -> Response {
        let reply = match self.resolve() {
            Ok(reply) => reply,
            Err(e) => return policy.error_response(e),
        };
        let mut resp = match reply.body {
            ReplyBody::Json(mut value) => {
                if policy.strip_empty_lists {
                    let kept: Vec<(String, Value)> = policy
                        .keep_empty
                        .iter()
                        .filter_map(|k| Some(((*k).to_owned(), value.get(*k)?.clone())))
                        .filter(|(_, v)| v.as_array().is_some_and(Vec::is_empty))
                        .collect();
                    strip_empty_lists(&mut value);
                    if let Value::Object(map) = &mut value {
                        map.extend(kept);
                    }
                }
                let mut resp = json_response(reply.status, &value);
                if policy.content_type != "application/json" {
                    resp.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(policy.content_type),
                    );
                }
                resp
            }
            ReplyBody::Serialized(json) => {
                let mut resp = json_bytes_response(reply.status, json);
                if policy.content_type != "application/json" {
                    resp.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(policy.content_type),
                    );
                }
                resp
            }
            ReplyBody::Bytes { content_type, data } => {
                let mut resp = Response::new(axum::body::Body::from(data));
                *resp.status_mut() = reply.status;
                let ct = HeaderValue::from_str(&content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream"));
                resp.headers_mut().insert(header::CONTENT_TYPE, ct);
                resp
            }
            // `resolve` above ran the work: a deferred body cannot remain.
            ReplyBody::Deferred(_) => {
                policy.error_response(ApiError::internal("a deferred reply was not resolved"))
            }
        };
        for (name, value) in reply.headers {
            resp.headers_mut().insert(name, value);
        }
        resp
    }
}

/// True if the JSON text has `[]` anywhere: an empty array (the compact writer writes every
/// empty array so), or those two characters inside a string.
fn has_empty_list(json: &[u8]) -> bool {
    memchr::memchr_iter(b'[', json).any(|i| json.get(i + 1) == Some(&b']'))
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

    async fn body_of(reply: Reply, policy: &ResponsePolicy) -> String {
        use http_body_util::BodyExt;
        let resp = reply.into_response(policy);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    /// A typed answer with no empty list goes out as written (field order); one with an empty
    /// list, or `[]` in a string, is shaped by the policy as a `Value` answer is.
    #[tokio::test]
    async fn typed_replies_are_stripped_only_when_they_hold_an_empty_list() {
        #[derive(serde::Serialize)]
        struct Answer {
            b: u8,
            #[serde(rename = "Resources")]
            resources: Vec<u8>,
            s: &'static str,
        }
        let typed = |resources: Vec<u8>, s| {
            Reply::typed(&Answer { b: 1, resources, s }).expect("serializable")
        };
        let db = &ResponsePolicy::DATABRICKS;
        let scim = &ResponsePolicy::SCIM;
        let plain = &ResponsePolicy::PLAIN;
        assert_eq!(
            body_of(typed(vec![2], "x"), db).await,
            r#"{"b":1,"Resources":[2],"s":"x"}"#
        );
        assert_eq!(body_of(typed(vec![], "x"), db).await, r#"{"b":1,"s":"x"}"#);
        assert_eq!(
            body_of(typed(vec![], "x"), scim).await,
            r#"{"Resources":[],"b":1,"s":"x"}"#
        );
        assert_eq!(
            body_of(typed(vec![], "x"), plain).await,
            r#"{"Resources":[],"b":1,"s":"x"}"#
        );
        assert_eq!(
            body_of(typed(vec![3], "[]"), db).await,
            r#"{"Resources":[3],"b":1,"s":"[]"}"#
        );
    }

    #[test]
    fn empty_lists_are_dropped_recursively() {
        let mut v = json!({"a": [], "b": {"c": [], "d": [1]}, "e": [{"f": []}], "g": {}});
        strip_empty_lists(&mut v);
        assert_eq!(v, json!({"b": {"d": [1]}, "e": [{}], "g": {}}));
    }
}
