//! The route-table fuzzer and the auth matrix's shared parts: in-process requests, a valid
//! sample request for every route of `dbx_mock_server::route_table()` (with the resources it
//! needs created first), a seeded PRNG, request mutations and the invariants every answer must
//! keep. Used by `tests/fuzz.rs`, `tests/auth_matrix.rs` and `examples/fuzz_million.rs`.

#![allow(dead_code)] // each user of the kit uses a part of it

pub mod mutate;
pub mod run;
pub mod samples;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use dbx_core::Transport;
use dbx_mock_server::{Emulator, InProcessTransport, RouteInfo};
use http::{HeaderMap, Method};
use serde_json::{Map, Value};

/// SplitMix64: a tiny deterministic PRNG (the same seed gives the same run on every machine).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// An answer, with its body decoded as JSON when it is JSON.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub json: Value,
    pub elapsed: Duration,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// How a sample's parameters travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    /// In the query string (GET, DELETE).
    Query,
    /// A JSON object body.
    Json,
    /// An `application/x-www-form-urlencoded` body (the OAuth token endpoint).
    Form,
}

/// A valid request for one route.
#[derive(Debug, Clone)]
pub struct Sample {
    pub method: Method,
    /// The whole path (`/api/2.0/token/list`, `/__mock/health`).
    pub path: String,
    pub params: Map<String, Value>,
    pub enc: Enc,
}

/// The credential a request carries.
#[derive(Debug, Clone)]
pub enum Cred {
    None,
    Bearer(String),
    /// The whole `Authorization` header value.
    Raw(String),
}

/// A request as the fuzzer builds it: everything can be odd.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: Method,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Bytes,
}

/// An emulator and the in-process transport to it.
pub struct Env {
    pub emu: Emulator,
    transport: InProcessTransport,
    counter: AtomicU64,
    pub sent: AtomicU64,
}

impl Env {
    pub fn new(emu: Emulator) -> Self {
        let transport = emu.transport();
        Self {
            emu,
            transport,
            counter: AtomicU64::new(0),
            sent: AtomicU64::new(0),
        }
    }

    /// A name no other call of this environment returned.
    pub fn uniq(&self, prefix: &str) -> String {
        format!(
            "{prefix}{}",
            self.counter.fetch_add(1, Ordering::Relaxed) + 1
        )
    }

    /// Send a raw request; `None` if the request cannot even be built (an invalid URI or
    /// header: no client could send it either).
    pub async fn send_raw(&self, req: &RawRequest) -> Option<Resp> {
        let mut b = http::Request::builder()
            .method(req.method.clone())
            .uri(format!("{}{}", self.emu.base_url(), req.target));
        for (name, value) in &req.headers {
            let value = http::HeaderValue::from_bytes(value).ok()?;
            b = b.header(name.as_str(), value);
        }
        let request = b.body(req.body.clone()).ok()?;
        self.sent.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let resp = self.transport.send(request).await.ok()?;
        let elapsed = started.elapsed();
        let (parts, body) = resp.into_parts();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Some(Resp {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            json,
            elapsed,
        })
    }

    /// The request `sample` stands for, with `cred`.
    pub fn build(sample: &Sample, cred: &Cred) -> RawRequest {
        let mut headers = Vec::new();
        match cred {
            Cred::None => {}
            Cred::Bearer(t) => headers.push(("authorization".into(), format!("Bearer {t}").into())),
            Cred::Raw(v) => headers.push(("authorization".into(), v.clone().into_bytes())),
        }
        let (target, body) = match sample.enc {
            Enc::Query => {
                let q = query_string(&sample.params);
                let target = if q.is_empty() {
                    sample.path.clone()
                } else {
                    format!("{}?{q}", sample.path)
                };
                (target, Bytes::new())
            }
            Enc::Json => {
                headers.push(("content-type".into(), b"application/json".to_vec()));
                (
                    sample.path.clone(),
                    Bytes::from(Value::Object(sample.params.clone()).to_string()),
                )
            }
            Enc::Form => {
                headers.push((
                    "content-type".into(),
                    b"application/x-www-form-urlencoded".to_vec(),
                ));
                (
                    sample.path.clone(),
                    Bytes::from(query_string(&sample.params)),
                )
            }
        };
        RawRequest {
            method: sample.method.clone(),
            target,
            headers,
            body,
        }
    }

    /// Send `sample` with `cred`.
    pub async fn send(&self, sample: &Sample, cred: &Cred) -> Resp {
        self.send_raw(&Self::build(sample, cred))
            .await
            .expect("a sample request is always well-formed")
    }

    /// An admin call used to set a sample up: its answer's JSON, or why it failed.
    pub async fn admin(&self, method: Method, path: &str, params: Value) -> Result<Value, String> {
        let Value::Object(params) = params else {
            return Err("params must be an object".into());
        };
        let enc = if method == Method::GET || method == Method::DELETE {
            Enc::Query
        } else {
            Enc::Json
        };
        let sample = Sample {
            method: method.clone(),
            path: path.to_owned(),
            params,
            enc,
        };
        let resp = self
            .send(&sample, &Cred::Bearer(self.emu.admin_token()))
            .await;
        if (200..300).contains(&resp.status) {
            Ok(resp.json)
        } else {
            Err(format!(
                "setup {method} {path} answered {}: {}",
                resp.status,
                String::from_utf8_lossy(&resp.body)
            ))
        }
    }
}

/// `a=1&b=x` from the parameters (strings raw, everything else as JSON text).
pub fn query_string(params: &Map<String, Value>) -> String {
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// `"POST api token/create"`: how tests name a route.
pub fn route_key(r: &RouteInfo) -> String {
    format!("{} {} {}", r.method, r.area, r.path)
}

/// What an answer broke, if anything: no 5xx, a request id, and every 4xx in an error shape
/// with a message. `scim`: the route answers SCIM bodies; `routed`: the request reached the
/// route (its own method and path, a valid credential), so a SCIM route's errors must be SCIM
/// bodies and any other route's the Databricks envelope; otherwise either is accepted.
pub fn check_answer(resp: &Resp, area: &str, scim: bool, routed: bool) -> Result<(), String> {
    if resp.status >= 500 {
        return Err(format!("status {}", resp.status));
    }
    if resp.header("x-request-id").is_none_or(str::is_empty) {
        return Err("no x-request-id".into());
    }
    if !(400..500).contains(&resp.status) {
        return Ok(());
    }
    let ct = resp.header("content-type").unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(format!("error with content type {ct:?}"));
    }
    let j = &resp.json;
    let databricks = j["error_code"]
        .as_str()
        .is_some_and(|c| !c.is_empty() && c.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        || j["error_code"].as_u64() == Some(u64::from(resp.status));
    let message = j["message"].as_str().is_some_and(|m| !m.trim().is_empty());
    let scim_shape = j["schemas"].as_array().is_some_and(|s| {
        s.iter()
            .any(|s| s == "urn:ietf:params:scim:api:messages:2.0:Error")
    }) && j["detail"].as_str().is_some_and(|d| !d.trim().is_empty())
        && j["status"].as_str() == Some(resp.status.to_string().as_str());
    let oauth = area == "oidc"
        && j["error"].as_str().is_some_and(|e| !e.is_empty())
        && j["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty());
    // An unknown API version: `404 {"error":"Bad Target: …"}` (docs/emulator.md, the
    // catalogue's wire conventions).
    let bad_target = resp.status == 404
        && j["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("Bad Target: /"));
    let ok = bad_target
        || match (scim, routed) {
            (true, true) => scim_shape,
            (false, true) => (databricks && message) || oauth,
            (_, false) => (databricks && message) || scim_shape || oauth,
        };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad error shape: {}",
            String::from_utf8_lossy(&resp.body)
        ))
    }
}
