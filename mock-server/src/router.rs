//! Request dispatch: one axum fallback handler serves every path, so axum never answers on its
//! own (no 405s); everything below follows Databricks' wire behaviour.
//!
//! Order for `/api/{version}/...`: faults → version check (`Bad Target`) → authentication →
//! route lookup (`ENDPOINT_NOT_FOUND`) → body read (size limit) and parse → handler.
//! `/oidc/...` has faults but no bearer authentication; `/__mock/...` has neither and is not
//! journaled. Any other path is `ENDPOINT_NOT_FOUND`.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use tower_http::catch_panic::CatchPanicLayer;

use crate::api::{Ctx, MultipartField, Route};
use crate::emulator::Emulator;
use crate::error::{json_response, ApiError, ErrorCode};
use crate::journal::JournalEntry;
use crate::params::{parse_json_object, Params};
use crate::state::Principal;

/// API versions the emulator serves.
const VERSIONS: [&str; 3] = ["2.0", "2.1", "2.2"];
/// The response header carrying the request id.
const REQUEST_ID: &str = "x-request-id";

/// The router for `emu`: a single fallback dispatcher behind a panic catcher.
pub(crate) fn build(emu: Emulator) -> axum::Router {
    axum::Router::new()
        .fallback(dispatch)
        .with_state(emu)
        .layer(CatchPanicLayer::custom(panic_response))
}

/// Last resort: a handler panicked. Answer 500 `INTERNAL_ERROR` in the usual envelope.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    let mut resp = ApiError::internal("Internal error in dbx-mock-server").into_response();
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

/// Which part of the URL space a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Api,
    Oidc,
    Admin,
    Other,
}

fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl Area {
    fn of(path: &str) -> Self {
        if under(path, "/api") {
            Self::Api
        } else if under(path, "/oidc") || under(path, "/.well-known") {
            // Unauthenticated discovery: OAuth endpoints and the host metadata document.
            Self::Oidc
        } else if under(path, "/__mock") {
            Self::Admin
        } else {
            Self::Other
        }
    }
}

async fn dispatch(State(emu): State<Emulator>, req: Request) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut resp = match Area::of(&path) {
        Area::Admin => crate::admin::handle(&emu, req).await,
        Area::Api | Area::Oidc => public(&emu, req, &request_id).await,
        Area::Other => ApiError::endpoint_not_found(method.as_str(), &path).into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    tracing::debug!(
        method = %method,
        path = %path,
        status = resp.status().as_u16(),
        duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        request_id = %request_id,
        "request"
    );
    resp
}

/// An `/api` or `/oidc` request: faults, execution, journal.
async fn public(emu: &Emulator, req: Request, request_id: &str) -> Response {
    let inner = &emu.inner;
    let time_ms = inner.clock.now_ms();
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let fault = inner.faults.fire(&method, &path);

    let (resp, caller) = match &fault {
        Some(f) if !f.fault.after_apply => {
            f.delay().await;
            match f.response() {
                Some(r) => (r, None),
                None => execute(emu, req, request_id).await,
            }
        }
        Some(f) => {
            let (r, caller) = execute(emu, req, request_id).await;
            f.delay().await;
            (f.response().unwrap_or(r), caller)
        }
        None => execute(emu, req, request_id).await,
    };
    inner.journal.record(JournalEntry {
        seq: 0,
        time_ms,
        method,
        path,
        query,
        status: resp.status().as_u16(),
        caller,
        fault_id: fault.map(|f| f.id),
    });
    resp
}

/// Run an `/api` or `/oidc` request; also returns the authenticated caller's name.
async fn execute(emu: &Emulator, req: Request, request_id: &str) -> (Response, Option<String>) {
    let result = if Area::of(req.uri().path()) == Area::Oidc {
        crate::auth::oidc(emu, req).await
    } else {
        api(emu, req, request_id).await
    };
    result.unwrap_or_else(|(err, caller)| (err.into_response(), caller))
}

/// A response or an error, each with the authenticated caller's name (for the journal).
pub(crate) type Outcome = Result<(Response, Option<String>), (ApiError, Option<String>)>;

/// `/api/{version}/{rest}`.
async fn api(emu: &Emulator, req: Request, request_id: &str) -> Outcome {
    let path = req.uri().path().to_owned();
    // "/api/2.0/token/list" → version "2.0", display "/token/list", rest "token/list".
    let after_api = path.get("/api/".len()..).unwrap_or("");
    let (version, display) = match after_api.find('/') {
        Some(i) => after_api.split_at(i),
        None => (after_api, ""),
    };
    if !VERSIONS.contains(&version) {
        return Err((ApiError::bad_target(&path), None));
    }
    let caller =
        crate::auth::authenticate(emu, req.headers(), request_id).map_err(|e| (e, None))?;
    let name = Some(caller.user_name.clone());
    let method = req.method().clone();
    let rest = display.trim_matches('/');
    let display = if display.is_empty() { "/" } else { display };
    let Some((route, path_params)) = emu.inner.routes.find(&method, version, rest) else {
        return Err((ApiError::endpoint_not_found(method.as_str(), display), name));
    };
    match run_handler(emu, req, route, path_params, &caller).await {
        Ok(resp) => Ok((resp, name)),
        Err(e) => Err((e, name)),
    }
}

/// Read and parse the request, then call the route's handler with the state locked.
async fn run_handler(
    emu: &Emulator,
    req: Request,
    route: &Route,
    path_params: Vec<(&'static str, String)>,
    caller: &Principal,
) -> Result<Response, ApiError> {
    let inner = &emu.inner;
    let (parts, body) = req.into_parts();
    let limit = route.max_body.map_or(inner.config.max_body_bytes, |m| {
        m.max(inner.config.max_body_bytes)
    });
    let body = read_body(body, &parts.headers, limit).await?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query = Params::query_pairs(parts.uri.query());
    let (params, multipart) = match content_type.as_deref().filter(|ct| is_multipart(ct)) {
        Some(ct) => {
            let fields = parse_multipart(ct, body.clone()).await?;
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
        None => (Params::merge(parse_json_object(&body)?, query), Vec::new()),
    };
    let payload = match route.prepare {
        Some(prepare) => prepare(&params, &multipart)?,
        None => None,
    };
    let now_ms = inner.clock.now_ms();
    let mut state = inner.state.lock();
    let mut ctx = Ctx {
        state: &mut state,
        caller,
        params: &params,
        path_params: &path_params,
        body: &body,
        content_type: content_type.as_deref(),
        multipart: &multipart,
        clock: &inner.clock,
        now_ms,
        limits: inner.config.limits,
        payload,
    };
    (route.handler)(&mut ctx).map(crate::api::Reply::into_response)
}

fn is_multipart(content_type: &str) -> bool {
    content_type
        .trim_start()
        .get(..19)
        .is_some_and(|p| p.eq_ignore_ascii_case("multipart/form-data"))
}

/// Parse a `multipart/form-data` body into its parts.
async fn parse_multipart(content_type: &str, body: Bytes) -> Result<Vec<MultipartField>, ApiError> {
    let bad =
        |e: multer::Error| ApiError::malformed(format!("Invalid multipart/form-data body: {e}"));
    let boundary = multer::parse_boundary(content_type).map_err(bad)?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut mp = multer::Multipart::new(stream, boundary);
    let mut fields = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let data = field.bytes().await.map_err(bad)?;
        fields.push(MultipartField {
            name,
            filename,
            data,
        });
    }
    Ok(fields)
}

/// Read a whole body, refusing (with 413) anything over `limit` bytes without buffering more
/// than `limit` bytes: a declared `Content-Length` over the limit is refused before reading.
pub(crate) async fn read_body(
    mut body: Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::body_too_large(limit));
    }
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|_| ApiError::new(ErrorCode::BadRequest, "Failed to read request body"))?;
        if let Ok(data) = frame.into_data() {
            total = total.saturating_add(data.len());
            if total > limit {
                return Err(ApiError::body_too_large(limit));
            }
            chunks.push(data);
        }
    }
    Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => {
            let mut buf = BytesMut::with_capacity(total);
            chunks.iter().for_each(|c| buf.extend_from_slice(c));
            buf.freeze()
        }
    })
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

/// Every route, pre-split into segments.
#[derive(Debug)]
pub(crate) struct RouteTable {
    routes: Vec<CompiledRoute>,
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
            .collect();
        Self { routes }
    }

    /// The route for `method` on `rest` (path after `/api/{version}/`, no surrounding slashes)
    /// in `version`, with its path parameters. Literal segments beat parameters.
    pub(crate) fn find(
        &self,
        method: &Method,
        version: &str,
        rest: &str,
    ) -> Option<(&Route, Vec<(&'static str, String)>)> {
        let parts: Vec<&str> = rest.split('/').collect();
        self.routes
            .iter()
            .filter(|r| r.route.method == *method && r.route.versions.contains(&version))
            .filter_map(|r| match_segments(&r.segments, &parts).map(|p| (r, p)))
            .max_by_key(|(r, _)| r.literals)
            .map(|(r, p)| (&r.route, p))
    }
}

fn match_segments(segments: &[Segment], parts: &[&str]) -> Option<Vec<(&'static str, String)>> {
    if segments.len() != parts.len() {
        return None;
    }
    let mut params = Vec::new();
    for (seg, part) in segments.iter().zip(parts) {
        match seg {
            Segment::Literal(l) if l == part => {}
            Segment::Param(name) if !part.is_empty() => params.push((*name, percent_decode(part))),
            _ => return None,
        }
    }
    Some(params)
}

/// Decode `%XX` escapes (invalid escapes and invalid UTF-8 are kept/replaced, never an error).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON response for admin and OIDC handlers.
pub(crate) fn ok_json(value: &serde_json::Value) -> Response {
    json_response(StatusCode::OK, value)
}

/// Routes that exist only in unit tests, to exercise the handler plumbing end to end.
#[cfg(test)]
pub(crate) fn test_routes() -> Vec<Route> {
    use crate::api::Reply;
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
    vec![
        Route::new(Method::POST, "test/echo/{id}", &["2.1"], echo),
        Route::new(Method::GET, "test/download", &["2.1"], download),
        Route::new(Method::GET, "test/panic", &["2.1"], boom),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use tower::ServiceExt;

    use super::*;
    use crate::emulator::DEFAULT_ADMIN_TOKEN;

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

    #[test]
    fn literal_segments_beat_parameters() {
        fn a(_: &mut Ctx<'_>) -> Result<crate::api::Reply, ApiError> {
            Ok(crate::api::Reply::empty())
        }
        let t = RouteTable::new(vec![
            Route::new(Method::GET, "x/{id}", &["2.0"], a),
            Route::new(Method::GET, "x/list", &["2.0"], a),
        ]);
        let (r, p) = t.find(&Method::GET, "2.0", "x/list").expect("found");
        assert_eq!((r.path, p.len()), ("x/list", 0));
        let (r, p) = t.find(&Method::GET, "2.0", "x/7").expect("found");
        assert_eq!((r.path, p), ("x/{id}", vec![("id", "7".to_owned())]));
        assert!(t.find(&Method::GET, "2.1", "x/7").is_none());
        assert!(t.find(&Method::POST, "2.0", "x/7").is_none());
        assert!(t.find(&Method::GET, "2.0", "x/").is_none());
    }

    #[test]
    fn percent_decoding_is_lenient() {
        assert_eq!(percent_decode("a%20b%2F"), "a b/");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }
}
