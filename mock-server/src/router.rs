//! Request dispatch: one axum fallback handler serves every path from one route table, so axum
//! never answers on its own (no 405s); everything below follows Databricks' wire behaviour.
//!
//! The URL space has three areas (see [`Area`]); anything else is `ENDPOINT_NOT_FOUND`.
//! Order of the answers for `/api/{version}/...`: faults → version check (`Bad Target`) →
//! authentication → route lookup (`ENDPOINT_NOT_FOUND`) → body read (size limit) and parse →
//! settle time-driven state → handler. (A route whose handler works on the state reads and
//! parses its body before it checks the token, so that it takes the state lock once for both;
//! an authentication error still wins over a body error. Routes with heavy body work, uploads
//! and decoding, check the token first as well.) `/oidc/...` and `/.well-known/...` have faults but no bearer authentication;
//! `/__mock/...` has neither (only `admin_guard` when the admin routes are protected) and is not
//! journaled. Whatever the answer, the request body is drained afterwards so the keep-alive
//! connection stays usable (see `incoming.rs`).

use std::borrow::Borrow;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use http::{header, request::Parts, HeaderName, HeaderValue, Method};
use parking_lot::RwLockWriteGuard;

use crate::api::{Area, Ctx, EmuCtx, Handler, MultipartField, Payload, ReadCtx, Reply, Route};
use crate::emulator::Emulator;
use crate::error::{ApiError, ErrorCode};
use crate::incoming::{is_multipart, parse_multipart, percent_decode, Incoming, RequestBody};
use crate::journal::Record;
use crate::params::{parse_json_object, Params};
use crate::state::Principal;

/// API versions the emulator serves.
const VERSIONS: [&str; 3] = ["2.0", "2.1", "2.2"];
/// The response header carrying the request id (a `HeaderName` constant: a `&str` name would
/// be parsed again on every insert).
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The router for `emu` (what [`Emulator::router`] returns): a single fallback handler, which is
/// [`handle`].
pub(crate) fn build(emu: Emulator) -> axum::Router {
    axum::Router::new()
        .fallback(|State(emu): State<Emulator>, req: Request| {
            handle(emu, req.map(RequestBody::Other))
        })
        .with_state(emu)
}

/// Answer one request: the dispatcher behind a panic catcher. The HTTP server (`server.rs`) and
/// the in-process transport call this directly, with no axum `Router` in between; the router
/// from [`build`] calls it too, so every way in behaves the same.
///
/// `emu` is anything that gives the emulator: the HTTP server passes a per-connection `Arc` of
/// it, so the requests of one connection do not all count references on the one `Arc` every
/// connection shares (an atomic write to a cache line both cores would pass back and forth).
pub(crate) async fn handle<E: Borrow<Emulator>>(
    emu: E,
    req: http::Request<RequestBody>,
) -> Response {
    match AssertUnwindSafe(dispatch(emu.borrow(), req))
        .catch_unwind()
        .await
    {
        Ok(resp) => resp,
        Err(_) => panic_response(),
    }
}

/// Last resort: a handler panicked. Answer 500 `INTERNAL_ERROR` in the usual envelope; the
/// connection is closed (the request body may not have been read).
fn panic_response() -> Response {
    tracing::error!("request handler panicked");
    let mut resp = ApiError::internal("Internal error in dbx-mock-server").into_response();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    if let Ok(v) = HeaderValue::from_str(new_request_id(&mut buf)) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// A fresh request id (a random, version 4 UUID, hyphenated), written into `buf`.
///
/// The random bits come from `fastrand`'s thread-local generator (wyrand, seeded per thread)
/// rather than `Uuid::new_v4`, which asks the OS (a `getrandom` system call) for every id: a
/// request id must be unique, not unpredictable, and this runs on every request.
fn new_request_id(buf: &mut [u8; uuid::fmt::Hyphenated::LENGTH]) -> &str {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes())
        .into_uuid()
        .hyphenated()
        .encode_lower(buf)
}

fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The area of `path`, if it is in one.
fn area_of(path: &str) -> Option<Area> {
    if under(path, "/api") {
        Some(Area::Api)
    } else if under(path, "/oidc") || under(path, "/.well-known") {
        // Unauthenticated discovery: OAuth endpoints and the host metadata document.
        Some(Area::Oidc)
    } else if under(path, "/__mock") {
        Some(Area::Admin)
    } else {
        None
    }
}

async fn dispatch(emu: &Emulator, req: http::Request<RequestBody>) -> Response {
    // The request's duration is only for the debug event below: no clock read when it is off.
    let started = tracing::enabled!(tracing::Level::DEBUG).then(Instant::now);
    let mut id_buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let request_id: &str = new_request_id(&mut id_buf);
    let (parts, body) = req.into_parts();
    let mut incoming = Incoming::new(body);
    let path = parts.uri.path();
    let mut resp = match area_of(path) {
        Some(Area::Admin) => match admin_guard(emu, &parts) {
            Ok(()) => {
                serve(emu, &parts, &mut incoming, Area::Admin, request_id, 0)
                    .await
                    .0
            }
            Err(e) => e.into_response(),
        },
        Some(area) => public(emu, &parts, &mut incoming, area, request_id).await,
        None => ApiError::endpoint_not_found(parts.method.as_str(), path).into_response(),
    };
    // Keep the connection usable: discard what the handler did not read (see incoming.rs).
    incoming.finish(emu.inner.config.max_body_bytes).await;
    if incoming.must_close() {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    tracing::debug!(
        method = %parts.method,
        path = %path,
        status = resp.status().as_u16(),
        duration_us = started
            .map_or(0, |s| u64::try_from(s.elapsed().as_micros()).unwrap_or(u64::MAX)),
        request_id = %request_id,
        close = incoming.must_close(),
        "request"
    );
    resp
}

/// The admin-area check: when the emulator protects its admin routes
/// ([`crate::EmulatorBuilder::protect_admin_routes`]), every `/__mock` request but
/// `GET /__mock/health` must carry `Authorization: Bearer <admin token>`. No bearer credential
/// is `401 UNAUTHENTICATED`, another one `403 PERMISSION_DENIED` (Databricks envelope). The
/// token is compared with the configured admin token in constant time, not looked up in the
/// state, so revoking the admin PAT through the API does not lock the admin routes.
fn admin_guard(emu: &Emulator, parts: &Parts) -> Result<(), ApiError> {
    let config = &emu.inner.config;
    if !config.protect_admin_routes
        || (parts.method == Method::GET && parts.uri.path() == "/__mock/health")
    {
        return Ok(());
    }
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    let Some(token) = bearer else {
        return Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "The /__mock admin routes of this emulator need its admin token: send \
             Authorization: Bearer <admin token>.",
        ));
    };
    let expected = config.admin_token.as_bytes();
    let given = token.as_bytes();
    // Constant time in the token's content (the length may show).
    let same = given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    match same {
        true => Ok(()),
        false => Err(ApiError::new(
            ErrorCode::PermissionDenied,
            "Invalid admin token for the /__mock admin routes.",
        )),
    }
}

/// An `/api` or `/oidc` request: faults, execution, journal.
///
/// The emulator clock is read once, when the request arrives: the journal's time, the token
/// expiry check and the handler's `now_ms` all use it (again after a fault's latency, which
/// may have let time pass before the request is served).
async fn public(
    emu: &Emulator,
    parts: &Parts,
    incoming: &mut Incoming,
    area: Area,
    request_id: &str,
) -> Response {
    let inner = &emu.inner;
    let time_ms = inner.clock.now_ms();
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let fault = inner.faults.fire(method, path);

    let (resp, caller) = match &fault {
        Some(f) if !f.fault.after_apply => {
            Box::pin(f.delay()).await;
            match f.response() {
                Some(r) => (r, Caller::Nobody),
                None => {
                    let now_ms = inner.clock.now_ms();
                    serve(emu, parts, incoming, area, request_id, now_ms).await
                }
            }
        }
        Some(f) => {
            let (r, caller) = serve(emu, parts, incoming, area, request_id, time_ms).await;
            Box::pin(f.delay()).await;
            (f.response().unwrap_or(r), caller)
        }
        None => serve(emu, parts, incoming, area, request_id, time_ms).await,
    };
    inner.journal.record(Record {
        time_ms,
        method: &parts.method,
        path,
        query: parts.uri.query(),
        status: resp.status().as_u16(),
        caller: caller.name(),
        fault_id: fault.map(|f| f.id),
    });
    resp
}

/// Who made a request, as the journal names them.
enum Caller {
    /// Not authenticated (or not known).
    Nobody,
    /// The principal the bearer token authenticated.
    Principal(Arc<Principal>),
    /// A name the handler gave (the OAuth token endpoint names the service principal).
    Named(String),
}

impl Caller {
    fn name(&self) -> Option<&str> {
        match self {
            Self::Nobody => None,
            Self::Principal(p) => Some(&p.user_name),
            Self::Named(name) => Some(name),
        }
    }
}

/// Find and run the route for a request in `area` at `now_ms` on the emulator clock; also
/// returns the caller (for the journal).
async fn serve(
    emu: &Emulator,
    parts: &Parts,
    incoming: &mut Incoming,
    area: Area,
    request_id: &str,
    now_ms: i64,
) -> (Response, Caller) {
    let path = parts.uri.path();
    let method = &parts.method;
    let (version, rest, display) = match area {
        Area::Api => {
            // "/api/2.0/token/list" → version "2.0", display "/token/list", rest "token/list".
            let after_api = path.get("/api/".len()..).unwrap_or("");
            let (version, display) = match after_api.find('/') {
                Some(i) => after_api.split_at(i),
                None => (after_api, ""),
            };
            if !VERSIONS.contains(&version) {
                return (ApiError::bad_target(path).into_response(), Caller::Nobody);
            }
            let display = if display.is_empty() { "/" } else { display };
            (version, display.trim_matches('/'), display)
        }
        Area::Oidc | Area::Admin => ("", path.trim_matches('/'), path),
    };
    let found = emu.inner.routes.find(method, area, version, rest);
    // An `/api` route whose handler works on the state authenticates under the same state lock
    // as it runs (one lock per request, not two: the two worker threads otherwise queue on it
    // twice per request). Its body is therefore read and parsed first; the answer is the same
    // as authenticating first, because an authentication error still wins over a body error.
    if let (Area::Api, Some((route, path_params))) = (area, &found) {
        if let Handler::State(_) | Handler::Read(_) = route.handler {
            let token = match crate::auth::bearer_token(&parts.headers, request_id) {
                Ok(token) => token,
                Err(e) => return (e.into_response(), Caller::Nobody),
            };
            // A route that works hard on its body before the handler (a large upload, decoding)
            // checks the token before reading it too, so that an unauthenticated upload costs no
            // decoding; the check under the handler's lock below still applies.
            if route.prepare.is_some() || route.max_body.is_some() {
                let checked = crate::auth::authenticate_in(&emu.inner.state.read(), token, now_ms);
                if let Err(e) = checked {
                    return (e.into_response(), Caller::Nobody);
                }
            }
            let request = Parsed::read(emu, parts, incoming, route).await;
            let call = StateCall {
                emu,
                route,
                version,
                path_params,
                token,
                now_ms,
            };
            return match call.run(route.handler, request) {
                Ok((resp, caller)) => (resp, Caller::Principal(caller)),
                Err((e, Some(caller))) => {
                    (route.policy.error_response(e), Caller::Principal(caller))
                }
                Err((e, None)) => (e.into_response(), Caller::Nobody),
            };
        }
    }
    let caller = match area {
        Area::Api => match crate::auth::authenticate(emu, &parts.headers, request_id, now_ms) {
            Ok(p) => Some(p),
            Err(e) => return (e.into_response(), Caller::Nobody),
        },
        Area::Oidc | Area::Admin => None,
    };
    let principal = || caller.clone().map_or(Caller::Nobody, Caller::Principal);
    let Some((route, path_params)) = found else {
        let err = ApiError::endpoint_not_found(method.as_str(), display);
        return (err.into_response(), principal());
    };
    let request = Parsed::read(emu, parts, incoming, route).await;
    let outcome = match request {
        Ok(request) => run_emulator(emu, parts, route, path_params, request),
        Err(e) => Err(e),
    };
    match outcome {
        Ok((resp, Some(named))) => (resp, Caller::Named(named)),
        Ok((resp, None)) => (resp, principal()),
        Err(e) => (route.policy.error_response(e), principal()),
    }
}

/// A request's body, read and parsed for its route.
struct Parsed {
    body: bytes::Bytes,
    content_type: Option<String>,
    params: Params,
    multipart: Vec<MultipartField>,
    payload: Option<Payload>,
}

impl Parsed {
    /// Read the body (within the route's limit) and parse it as JSON (any content type, as the
    /// service does: `text/json`, none, `application/scim+json`) or multipart, merged with the
    /// query string; then run the route's prepare step.
    async fn read(
        emu: &Emulator,
        parts: &Parts,
        incoming: &mut Incoming,
        route: &Route,
    ) -> Result<Self, ApiError> {
        let base = emu.inner.config.max_body_bytes;
        let limit = route.max_body.map_or(base, |m| m.max(base));
        let body = incoming.read(limit).await?;
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let query = Params::query_pairs(parts.uri.query());
        let (params, multipart) = match content_type.as_deref().filter(|ct| is_multipart(ct)) {
            Some(ct) => {
                let fields = Box::pin(parse_multipart(ct, body.clone())).await?;
                let mut text: Vec<(String, String)> = fields
                    .iter()
                    .filter(|f| f.filename.is_none())
                    .map(|f| {
                        (
                            f.name.clone(),
                            String::from_utf8_lossy(&f.data).into_owned(),
                        )
                    })
                    .collect();
                text.extend(query);
                (Params::merge(serde_json::Map::new(), text), fields)
            }
            None if route.area == Area::Oidc => {
                // The OAuth token endpoint takes a form body; its handler reads `body` itself.
                (Params::merge(serde_json::Map::new(), query), Vec::new())
            }
            None => (Params::merge(parse_json_object(&body)?, query), Vec::new()),
        };
        let payload = match route.prepare {
            Some(prepare) => prepare(&params, &multipart)?,
            None => None,
        };
        Ok(Self {
            body,
            content_type,
            params,
            multipart,
            payload,
        })
    }
}

/// Why a [`StateCall`] did not answer: the error, and the caller when the token was good.
type StateCallError = (ApiError, Option<Arc<Principal>>);

/// An `/api` request for a route whose handler works on the state.
struct StateCall<'a> {
    emu: &'a Emulator,
    route: &'a Route,
    version: &'a str,
    path_params: &'a [(&'static str, String)],
    /// The bearer token (not yet checked).
    token: &'a [u8],
    now_ms: i64,
}

impl StateCall<'_> {
    /// With the state locked: authenticate the token, then (if the body was read and parsed)
    /// call `handler` on the state settled at `now_ms`. The error carries the caller when the
    /// token was good (an authentication error has none, and is answered in the Databricks
    /// envelope whatever the route's policy).
    ///
    /// A [`Handler::State`] runs under the exclusive lock. A [`Handler::Read`] runs under the
    /// shared one, so that reads on the two worker threads do not queue behind each other; if
    /// the state has something due by `now_ms`, it is settled under the exclusive lock first,
    /// which is then downgraded without letting a writer in between.
    fn run(
        self,
        handler: Handler,
        request: Result<Parsed, ApiError>,
    ) -> Result<(Response, Arc<Principal>), StateCallError> {
        let inner = &self.emu.inner;
        let reply = match handler {
            Handler::State(handler) => {
                let mut state = inner.state.write();
                let (caller, request) = self.admit(&state, request)?;
                state.settle(self.now_ms);
                let mut ctx = Ctx {
                    state: &mut state,
                    version: self.version,
                    caller: &caller,
                    params: &request.params,
                    path_params: self.path_params,
                    body: &request.body,
                    content_type: request.content_type.as_deref(),
                    multipart: &request.multipart,
                    clock: &inner.clock,
                    now_ms: self.now_ms,
                    limits: inner.config.limits,
                    payload: request.payload,
                };
                (handler(&mut ctx), caller)
            }
            Handler::Read(handler) => {
                let state = {
                    let state = inner.state.read();
                    if state.is_settled(self.now_ms) {
                        state
                    } else {
                        drop(state);
                        let mut state = inner.state.write();
                        state.settle(self.now_ms);
                        RwLockWriteGuard::downgrade(state)
                    }
                };
                let (caller, request) = self.admit(&state, request)?;
                let ctx = ReadCtx {
                    state: &state,
                    version: self.version,
                    caller: &caller,
                    params: &request.params,
                    path_params: self.path_params,
                    now_ms: self.now_ms,
                };
                (handler(&ctx), caller)
            }
            Handler::Emulator(_) => {
                return Err((ApiError::internal("not a state route"), None));
            }
        };
        // The state is unlocked here: deferred work (encoding, archives) runs now.
        let (reply, caller) = reply;
        match reply.and_then(Reply::resolve) {
            Ok(reply) => Ok((reply.into_response(&self.route.policy), caller)),
            Err(e) => Err((e, Some(caller))),
        }
    }

    /// Authenticate the token against `state`, then hand over the parsed request (or its error,
    /// now that the caller is known).
    fn admit(
        &self,
        state: &crate::state::State,
        request: Result<Parsed, ApiError>,
    ) -> Result<(Arc<Principal>, Parsed), StateCallError> {
        let caller =
            crate::auth::authenticate_in(state, self.token, self.now_ms).map_err(|e| (e, None))?;
        match request {
            Ok(request) => Ok((caller, request)),
            Err(e) => Err((e, Some(caller))),
        }
    }
}

/// Call a route's handler that works on the emulator (`/oidc`, `/__mock`, and `/api` routes
/// that lock what they need themselves).
fn run_emulator(
    emu: &Emulator,
    parts: &Parts,
    route: &Route,
    path_params: Vec<(&'static str, String)>,
    request: Parsed,
) -> Result<(Response, Option<String>), ApiError> {
    match route.handler {
        Handler::State(_) | Handler::Read(_) => {
            Err(ApiError::internal("no caller for an API route"))
        }
        Handler::Emulator(handler) => {
            let mut ctx = EmuCtx {
                emu,
                uri: &parts.uri,
                headers: &parts.headers,
                params: &request.params,
                path_params: &path_params,
                body: &request.body,
                journal_caller: None,
            };
            let reply = handler(&mut ctx)?.resolve()?;
            Ok((reply.into_response(&route.policy), ctx.journal_caller))
        }
    }
}

/// One segment of a route pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Literal(&'static str),
    Param(&'static str),
}

#[derive(Debug)]
struct CompiledRoute {
    route: Route,
    segments: Vec<Segment>,
    literals: usize,
}

/// Every route of every area, pre-split into segments, indexed by area, method, number of
/// segments and first segment so a lookup only tries the few routes that can match.
#[derive(Debug)]
pub(crate) struct RouteTable {
    routes: Vec<CompiledRoute>,
    index: FxMap<(Area, Method, usize), Bucket>,
    /// The routes without path parameters (nearly all of them), by area and method (see
    /// [`exact_slot`]) and whole path: most requests are found with one lookup.
    exact: Vec<FxMap<&'static str, Vec<usize>>>,
}

/// The methods [`RouteTable::exact`] indexes (any other method takes the general lookup).
const EXACT_METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];
/// The areas [`RouteTable::exact`] indexes.
const EXACT_AREAS: [Area; 3] = [Area::Api, Area::Oidc, Area::Admin];

/// The slot of [`RouteTable::exact`] for `area` and `method`, if it has one.
fn exact_slot(area: Area, method: &Method) -> Option<usize> {
    let a = EXACT_AREAS.iter().position(|x| *x == area)?;
    let m = EXACT_METHODS.iter().position(|x| x == method)?;
    Some(a * EXACT_METHODS.len() + m)
}

/// A hash map with FxHash (`rustc-hash`): the route index is built once from the route table
/// and only looked up afterwards, so a request cannot add colliding keys, and SipHash's defence
/// against that is not worth its cost on every lookup.
type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// The routes of one area, method and segment count (indexes into `RouteTable::routes`).
#[derive(Debug, Default)]
struct Bucket {
    /// Routes whose first segment is this literal (`token` for `token/list`).
    by_first: FxMap<&'static str, Vec<usize>>,
    /// Routes whose first segment is a parameter.
    any_first: Vec<usize>,
}

impl RouteTable {
    pub(crate) fn new(routes: Vec<Route>) -> Self {
        let routes = routes
            .into_iter()
            .map(|route| {
                let segments: Vec<Segment> = route
                    .path
                    .split('/')
                    .map(
                        |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(name) => Segment::Param(name),
                            None => Segment::Literal(s),
                        },
                    )
                    .collect();
                let literals = segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count();
                CompiledRoute {
                    route,
                    segments,
                    literals,
                }
            })
            .collect::<Vec<CompiledRoute>>();
        let mut index: FxMap<(Area, Method, usize), Bucket> = FxMap::default();
        for (i, r) in routes.iter().enumerate() {
            let bucket = index
                .entry((r.route.area, r.route.method.clone(), r.segments.len()))
                .or_default();
            match r.segments.first() {
                Some(Segment::Literal(first)) => {
                    bucket.by_first.entry(first).or_default().push(i);
                }
                _ => bucket.any_first.push(i),
            }
        }
        let mut exact: Vec<FxMap<&'static str, Vec<usize>>> =
            std::iter::repeat_with(FxMap::default)
                .take(EXACT_AREAS.len() * EXACT_METHODS.len())
                .collect();
        for (i, r) in routes.iter().enumerate() {
            let literal = r.literals == r.segments.len();
            if let (true, Some(slot)) = (literal, exact_slot(r.route.area, &r.route.method)) {
                if let Some(paths) = exact.get_mut(slot) {
                    paths.entry(r.route.path).or_default().push(i);
                }
            }
        }
        Self {
            routes,
            index,
            exact,
        }
    }

    /// The route for `method` on `rest` in `area` (for `/api`: the path after `/api/{version}/`
    /// in `version`; elsewhere the whole path), without surrounding slashes, with its path
    /// parameters. Literal segments beat parameters.
    pub(crate) fn find(
        &self,
        method: &Method,
        area: Area,
        version: &str,
        rest: &str,
    ) -> Option<(&Route, Vec<(&'static str, String)>)> {
        // A route without parameters on exactly this path beats any route with one (it has
        // the most literal segments); among several, the one declared last.
        let serves = |r: &CompiledRoute| area != Area::Api || r.route.versions.contains(&version);
        let exact = exact_slot(area, method)
            .and_then(|slot| self.exact.get(slot))
            .and_then(|paths| paths.get(rest))
            .and_then(|ids| {
                ids.iter()
                    .rev()
                    .filter_map(|&i| self.routes.get(i))
                    .find(|r| serves(r))
            });
        if let Some(r) = exact {
            return Some((&r.route, Vec::new()));
        }
        // No vector of segments: count them, then walk them again per candidate route.
        let count = rest.bytes().filter(|&b| b == b'/').count() + 1;
        let bucket = self.index.get(&(area, method.clone(), count))?;
        let first = rest.split('/').next().unwrap_or_default();
        let literal_first = bucket.by_first.get(first).map_or(&[][..], Vec::as_slice);
        literal_first
            .iter()
            .chain(&bucket.any_first)
            .filter_map(|&i| self.routes.get(i).map(|r| (i, r)))
            .filter(|(_, r)| serves(r))
            .filter_map(|(i, r)| match_segments(&r.segments, rest).map(|p| (i, r, p)))
            // Most literal segments wins; among equals, the route declared last (as before
            // the first-segment index).
            .max_by_key(|(i, r, _)| (r.literals, *i))
            .map(|(_, r, p)| (&r.route, p))
    }

    /// Every route (for route-table-driven tests and docs).
    #[allow(dead_code)] // read by tests
    pub(crate) fn routes(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter().map(|r| &r.route)
    }
}

/// The path parameters of `rest` if it matches `segments` (as many segments as `rest` has, as
/// the index guarantees).
fn match_segments(segments: &[Segment], rest: &str) -> Option<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    let mut parts = rest.split('/');
    for seg in segments {
        let part = parts.next()?;
        match seg {
            Segment::Literal(l) if *l == part => {}
            Segment::Param(name) if !part.is_empty() => params.push((*name, percent_decode(part))),
            _ => return None,
        }
    }
    match parts.next() {
        Some(_) => None,
        None => Some(params),
    }
}

/// Routes that exist only in unit tests, to exercise the handler plumbing end to end.
#[cfg(test)]
pub(crate) fn test_routes() -> Vec<Route> {
    use crate::api::ResponsePolicy;
    use bytes::Bytes;
    use http::StatusCode;
    use serde_json::json;

    fn echo(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        let fields: Vec<_> = ctx
            .multipart
            .iter()
            .map(|f| json!([f.name, f.filename, String::from_utf8_lossy(&f.data)]))
            .collect();
        Ok(Reply::json(json!({
            "id": ctx.path_param("id")?,
            "s": ctx.params.opt_str("s")?,
            "n": ctx.params.opt_i64("n")?,
            "b": ctx.params.opt_bool("b")?,
            "len": ctx.body.len(),
            "content_type": ctx.content_type,
            "fields": fields,
            "empty": [],
        }))
        .with_status(StatusCode::CREATED))
    }
    fn download(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        Ok(Reply::bytes(
            "text/plain",
            Bytes::from(ctx.caller.user_name.clone()),
        ))
    }
    fn boom(_: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        panic!("boom")
    }
    /// `POST test/probe {first_ms, second_ms}`: a time-driven probe (`A` → `B` → `C`).
    fn probe_start(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        #[derive(serde::Deserialize)]
        struct Body {
            first_ms: i64,
            second_ms: i64,
        }
        let b: Body = ctx.decode()?;
        let id = ctx.state.probes.start(ctx.now_ms, b.first_ms, b.second_ms);
        Ok(Reply::json(json!({ "id": id })))
    }
    /// A read route: a probe that is due moves before it is read (the state is settled under
    /// the exclusive lock first).
    fn probe_get(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
        let id: u64 = ctx
            .path_param("id")?
            .parse()
            .map_err(|_| ApiError::invalid_parameter("bad id"))?;
        let t = ctx
            .state
            .probes
            .items
            .get(&id)
            .ok_or_else(|| ApiError::does_not_exist("no probe"))?;
        Ok(Reply::json(
            json!({ "state": t.current(), "since_ms": t.since_ms(), "version": ctx.version }),
        ))
    }
    fn scim_fail(_: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        Err(ApiError::does_not_exist("User 42 does not exist."))
    }
    fn scim_list(_: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        Ok(Reply::json(json!({"totalResults": 0, "Resources": []})))
    }
    /// `GET test/deferred?fail=`: whether the state lock was free in the handler and in its
    /// deferred work (see `tests::deferred_work_runs_with_the_state_unlocked`).
    fn deferred(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        deferred_read(&ctx.view())
    }
    fn deferred_read(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
        let in_handler = tests::state_lock_is_free();
        let fail = ctx.params.opt_bool("fail")?.unwrap_or(false);
        Ok(Reply::deferred(move || {
            let in_work = tests::state_lock_is_free();
            if fail {
                return Err(ApiError::does_not_exist(format!("lock free: {in_work:?}")));
            }
            Ok(Reply::json(
                json!({"in_handler": in_handler, "in_work": in_work}),
            ))
        })
        .with_header(
            http::HeaderName::from_static("x-deferred"),
            HeaderValue::from_static("1"),
        ))
    }
    vec![
        Route::new(Method::POST, "test/echo/{id}", &["2.1"], echo),
        Route::new(Method::GET, "test/download", &["2.1"], download),
        Route::new(Method::GET, "test/panic", &["2.1"], boom),
        Route::new(Method::POST, "test/probe", &["2.0", "2.2"], probe_start),
        Route::read(Method::GET, "test/probe/{id}", &["2.0", "2.2"], probe_get),
        Route::new(Method::GET, "test/scim/fail", &["2.0"], scim_fail)
            .with_policy(ResponsePolicy::SCIM),
        Route::new(Method::GET, "test/scim/list", &["2.0"], scim_list)
            .with_policy(ResponsePolicy::SCIM),
        Route::new(Method::GET, "test/deferred", &["2.0"], deferred),
        Route::read(Method::GET, "test/deferred-read", &["2.0"], deferred_read),
        Route::new(Method::GET, "test/scim/deferred", &["2.0"], deferred)
            .with_policy(ResponsePolicy::SCIM),
    ]
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use bytes::Bytes;
    use http::{HeaderMap, StatusCode};
    use http_body_util::BodyExt;
    use serde_json::{json, Value};
    use tower::ServiceExt;

    use super::*;
    use crate::emulator::DEFAULT_ADMIN_TOKEN;

    thread_local! {
        /// The emulator whose state lock `state_lock_is_free` probes, on this test's thread.
        static PROBED: std::cell::RefCell<Option<Emulator>> = const { std::cell::RefCell::new(None) };
    }

    /// Whether the probed emulator's state lock can be taken now (`None`: nothing probed).
    pub(super) fn state_lock_is_free() -> Option<bool> {
        PROBED.with(|p| {
            p.borrow()
                .as_ref()
                .map(|emu| emu.inner.state.try_write().is_some())
        })
    }

    /// The dispatcher runs a deferred reply's work after releasing the state lock (the handler
    /// itself runs with it held), and the work's error is answered under the route's policy.
    #[tokio::test]
    async fn deferred_work_runs_with_the_state_unlocked() {
        let emu = Emulator::new();
        PROBED.with(|p| *p.borrow_mut() = Some(emu.clone()));
        let req = http::Request::get("/api/2.0/test/deferred")
            .header("authorization", format!("Bearer {DEFAULT_ADMIN_TOKEN}"))
            .body(Body::empty())
            .expect("request");
        let resp = emu.router().oneshot(req).await.expect("infallible");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["x-deferred"], "1");
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let v: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(v, json!({"in_handler": false, "in_work": true}));
        // A read route holds the shared lock in its handler (no writer can take the state) and
        // none in its deferred work.
        let (status, v) = call(
            &emu,
            Method::GET,
            "/api/2.0/test/deferred-read",
            Value::Null,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v, json!({"in_handler": false, "in_work": true}));
        let (status, v) = call(
            &emu,
            Method::GET,
            "/api/2.0/test/deferred?fail=true",
            Value::Null,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            v,
            json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "lock free: Some(true)"})
        );
        let (status, v) = call(
            &emu,
            Method::GET,
            "/api/2.0/test/scim/deferred?fail=true",
            Value::Null,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(v["detail"], "lock free: Some(true)");
        assert_eq!(v["status"], "404");
        PROBED.with(|p| *p.borrow_mut() = None);
    }

    async fn send(req: http::Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
        let resp = Emulator::new()
            .router()
            .oneshot(req)
            .await
            .expect("infallible");
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        (parts.status, parts.headers, bytes)
    }

    fn post(uri: &str, ct: &str, body: &'static str) -> http::Request<Body> {
        http::Request::post(uri)
            .header("authorization", format!("Bearer {DEFAULT_ADMIN_TOKEN}"))
            .header("content-type", ct)
            .body(Body::from(body))
            .expect("request")
    }

    #[tokio::test]
    async fn multipart_fields_and_params_reach_the_handler() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"s\"\r\n\r\nform\r\n\
                    --XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
                    Content-Type: text/plain\r\n\r\nhello\r\n--XX--\r\n";
        let req = post(
            "/api/2.1/test/echo/a%2Fb?n=7&b=true",
            "multipart/form-data; boundary=XX",
            body,
        );
        let (status, _, bytes) = send(req).await;
        assert_eq!(status, StatusCode::CREATED);
        let v: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(v["id"], "a/b");
        assert_eq!(v["s"], "form");
        assert_eq!(v["n"], 7);
        assert_eq!(v["b"], true);
        assert_eq!(
            v["fields"],
            json!([["s", null, "form"], ["file", "a.txt", "hello"]])
        );
        assert!(v.get("empty").is_none(), "empty lists are omitted: {v}");
    }

    #[tokio::test]
    async fn bad_multipart_is_malformed() {
        let req = post("/api/2.1/test/echo/x", "multipart/form-data", "--XX\r\n");
        let (status, _, bytes) = send(req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let v: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(v["error_code"], "MALFORMED_REQUEST");
        let req = post(
            "/api/2.1/test/echo/x",
            "multipart/form-data; boundary=XX",
            "junk",
        );
        let (status, _, _) = send(req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn bytes_replies_keep_their_content_type() {
        let req = http::Request::get("/api/2.1/test/download")
            .header("authorization", format!("Bearer {DEFAULT_ADMIN_TOKEN}"))
            .body(Body::empty())
            .expect("request");
        let (status, headers, bytes) = send(req).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/plain");
        assert_eq!(&bytes[..], b"admin@example.com");
    }

    #[tokio::test]
    async fn a_panicking_handler_becomes_internal_error() {
        let emu = Emulator::new();
        let req = http::Request::get("/api/2.1/test/panic")
            .header("authorization", format!("Bearer {DEFAULT_ADMIN_TOKEN}"))
            .body(Body::empty())
            .expect("request");
        let resp = emu.router().oneshot(req).await.expect("infallible");
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(resp.headers().contains_key(REQUEST_ID));
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let v: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(v["error_code"], "INTERNAL_ERROR");
        // The state lock was released by the unwind: the emulator still answers.
        let req = http::Request::get("/api/2.0/token/list")
            .header("authorization", format!("Bearer {DEFAULT_ADMIN_TOKEN}"))
            .body(Body::empty())
            .expect("request");
        let resp = emu.router().oneshot(req).await.expect("infallible");
        assert_eq!(resp.status(), StatusCode::OK);
    }

    async fn call(emu: &Emulator, method: Method, uri: &str, body: Value) -> (StatusCode, Value) {
        let req = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {DEFAULT_ADMIN_TOKEN}"))
            .body(match body {
                Value::Null => Body::empty(),
                body => Body::from(body.to_string()),
            })
            .expect("request");
        let resp = emu.router().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// `State::is_settled` is what lets a read route skip the exclusive lock, so it must never
    /// say "settled" while `settle` would still change something. Every family with
    /// time-driven state is busy here (a cluster starting, a library installing on it, a
    /// scheduled job firing, a run moving); at each second of the first ten minutes: when the
    /// state says it is settled, settling it changes nothing, and once settled it says so.
    #[tokio::test]
    async fn is_settled_never_hides_a_due_change() {
        let emu = Emulator::new();
        emu.clock().freeze();
        let cluster = json!({"cluster_name": "c", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge", "num_workers": 1});
        let (status, v) = call(&emu, Method::POST, "/api/2.0/clusters/create", cluster).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let cluster_id = v["cluster_id"].clone();
        let install = json!({"cluster_id": cluster_id, "libraries": [{"pypi": {"package": "x"}}]});
        let (status, v) = call(&emu, Method::POST, "/api/2.0/libraries/install", install).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let job = json!({"name": "j", "tasks": [{"task_key": "t", "existing_cluster_id": cluster_id,
                "spark_python_task": {"python_file": "dbfs:/x.py"}}],
            "schedule": {"quartz_cron_expression": "0 * * * * ?", "timezone_id": "UTC"}});
        let (status, v) = call(&emu, Method::POST, "/api/2.1/jobs/create", job).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let run_now = json!({"job_id": v["job_id"]});
        let (status, v) = call(&emu, Method::POST, "/api/2.1/jobs/run-now", run_now).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let start = emu.clock().now_ms();
        let (mut settled_seen, mut due_seen) = (0, 0);
        for second in 0..600 {
            let now = start + second * 1_000;
            let mut state = emu.inner.state.write();
            if state.is_settled(now) {
                settled_seen += 1;
                let before = serde_json::to_value(&*state).expect("state");
                state.settle_families(now);
                let after = serde_json::to_value(&*state).expect("state");
                assert!(
                    before == after,
                    "settled at +{second}s, yet settling changed it"
                );
            } else {
                due_seen += 1;
                state.settle(now);
                assert!(
                    state.is_settled(now),
                    "not settled after settling at +{second}s"
                );
            }
        }
        // Both branches ran: things were due (the cluster, the library, the run, ten firings)
        // and most seconds had nothing due.
        assert!(
            due_seen >= 10 && settled_seen > 500,
            "{due_seen} due, {settled_seen} settled"
        );
    }

    #[tokio::test]
    async fn handlers_see_the_matched_version() {
        let emu = Emulator::new();
        let (_, v) = call(
            &emu,
            Method::POST,
            "/api/2.2/test/probe",
            json!({"first_ms": 1, "second_ms": 1}),
        )
        .await;
        let (_, got) = call(
            &emu,
            Method::GET,
            &format!("/api/2.2/test/probe/{}", v["id"]),
            json!({}),
        )
        .await;
        assert_eq!(got["version"], "2.2");
        let (_, got) = call(
            &emu,
            Method::GET,
            &format!("/api/2.0/test/probe/{}", v["id"]),
            json!({}),
        )
        .await;
        assert_eq!(got["version"], "2.0");
        let (status, _) = call(&emu, Method::GET, "/api/2.1/test/probe/1", json!({})).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "2.1 is not a version of this route"
        );
    }

    #[tokio::test]
    async fn decode_errors_name_the_field() {
        let emu = Emulator::new();
        let (status, v) = call(
            &emu,
            Method::POST,
            "/api/2.0/test/probe",
            json!({"first_ms": 1}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            v,
            json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "Missing required field: second_ms"})
        );
        let (status, v) = call(
            &emu,
            Method::POST,
            "/api/2.0/test/probe?second_ms=2",
            json!({"first_ms": [1]}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(v["error_code"], "MALFORMED_REQUEST");
        assert_eq!(
            v["message"],
            "Could not parse request object: Expected int64 for field 'first_ms'"
        );
    }

    #[tokio::test]
    async fn scim_routes_keep_empty_lists_and_answer_scim_errors() {
        let emu = Emulator::new();
        let (status, v) = call(&emu, Method::GET, "/api/2.0/test/scim/fail", Value::Null).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            v,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "detail": "User 42 does not exist.",
                "status": "404",
            })
        );
        let (_, v) = call(&emu, Method::GET, "/api/2.0/test/scim/list", Value::Null).await;
        assert_eq!(v, json!({"totalResults": 0, "Resources": []}));
    }

    /// A time-driven resource moves on the virtual clock with no timer: twenty virtual minutes
    /// of polling, as a client's waiter does, take milliseconds under tokio's paused time, and
    /// each transition carries its own time, not the time it was observed.
    #[tokio::test(start_paused = true)]
    async fn time_driven_state_follows_paused_tokio_time() {
        let emu = Emulator::builder()
            .clock_mode(crate::ClockMode::Tokio)
            .build();
        let t0 = emu.clock().now_ms();
        let started = std::time::Instant::now();
        let (_, v) = call(
            &emu,
            Method::POST,
            "/api/2.0/test/probe",
            json!({"first_ms": 5 * 60_000, "second_ms": 15 * 60_000}),
        )
        .await;
        let uri = format!("/api/2.0/test/probe/{}", v["id"]);
        let mut polls = 0;
        loop {
            let (_, got) = call(&emu, Method::GET, &uri, Value::Null).await;
            if got["state"] == "C" {
                assert_eq!(got["since_ms"], t0 + 20 * 60_000);
                break;
            }
            polls += 1;
            assert!(polls < 1_000, "never reached C: {got}");
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        }
        assert_eq!(
            polls, 120,
            "one poll every 10 virtual seconds for 20 minutes"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let log = emu.inner.state.write().probes.log.clone();
        assert_eq!(
            log,
            vec![
                (1, t0 + 5 * 60_000, "A", "B"),
                (1, t0 + 20 * 60_000, "B", "C")
            ]
        );
    }

    #[tokio::test]
    async fn settle_route_and_frozen_clock_jumps() {
        let emu = Emulator::new();
        emu.clock().freeze();
        let t0 = emu.clock().now_ms();
        let (_, v) = call(
            &emu,
            Method::POST,
            "/api/2.0/test/probe",
            json!({"first_ms": 1000, "second_ms": 1000}),
        )
        .await;
        assert_eq!(v["id"], 1);
        emu.clock().advance(std::time::Duration::from_secs(3600));
        // Nothing moves until something reads: the settle route settles everything now.
        assert_eq!(*emu.inner.state.write().probes.items[&1].current(), "A");
        let req = http::Request::post("/__mock/settle")
            .body(Body::empty())
            .expect("request");
        let resp = emu.router().oneshot(req).await.expect("infallible");
        assert_eq!(resp.status(), StatusCode::OK);
        let probe = emu.inner.state.write().probes.items[&1].clone();
        assert_eq!((*probe.current(), probe.since_ms()), ("C", t0 + 2000));
    }

    #[test]
    fn literal_segments_beat_parameters() {
        fn a(_: &mut Ctx<'_>) -> Result<crate::api::Reply, ApiError> {
            Ok(crate::api::Reply::empty())
        }
        let t = RouteTable::new(vec![
            Route::new(Method::GET, "x/{id}", &["2.0"], a),
            Route::new(Method::GET, "x/list", &["2.0"], a),
        ]);
        let find = |m: &Method, v: &str, rest: &str| t.find(m, Area::Api, v, rest);
        let (r, p) = find(&Method::GET, "2.0", "x/list").expect("found");
        assert_eq!((r.path, p.len()), ("x/list", 0));
        let (r, p) = find(&Method::GET, "2.0", "x/7").expect("found");
        assert_eq!((r.path, p), ("x/{id}", vec![("id", "7".to_owned())]));
        assert!(find(&Method::GET, "2.1", "x/7").is_none());
        assert!(find(&Method::POST, "2.0", "x/7").is_none());
        assert!(find(&Method::GET, "2.0", "x/").is_none());
        assert!(t.find(&Method::GET, Area::Admin, "", "x/7").is_none());
    }

    /// The indexed lookup (exact paths, then buckets by first segment) finds, for every route of
    /// the emulator and a concrete path of it, what a scan of the whole table finds: the
    /// matching route with the most literal segments, the last declared among equals.
    #[test]
    fn indexed_lookup_agrees_with_a_full_scan() {
        let emu = Emulator::new();
        let table = &emu.inner.routes;
        let all: Vec<&CompiledRoute> = table.routes.iter().collect();
        let mut checked = 0;
        for r in &all {
            let concrete: Vec<String> = r
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(l) => (*l).to_owned(),
                    Segment::Param(_) => "p1".to_owned(),
                })
                .collect();
            let rest = concrete.join("/");
            let versions: Vec<&str> = match r.route.area {
                Area::Api => r.route.versions.to_vec(),
                _ => vec![""],
            };
            for version in versions {
                let scan = all
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| {
                        c.route.area == r.route.area && c.route.method == r.route.method
                    })
                    .filter(|(_, c)| {
                        c.route.area != Area::Api || c.route.versions.contains(&version)
                    })
                    .filter_map(|(i, c)| match_segments(&c.segments, &rest).map(|_| (i, c)))
                    .max_by_key(|(i, c)| (c.literals, *i))
                    .map(|(_, c)| c.route.path);
                let found = table
                    .find(&r.route.method, r.route.area, version, &rest)
                    .map(|(route, _)| route.path);
                assert_eq!(found, scan, "{} {rest} ({version})", r.route.method);
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }
}
