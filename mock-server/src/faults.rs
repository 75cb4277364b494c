//! Fault injection: make matching `/api` and `/oidc` requests fail, slow down, or both.
//!
//! A [`Fault`] matches by optional method and a path glob (`*` matches any run of characters,
//! `/` included). When it fires it can delay the answer (`latency_ms`) and/or replace it with an
//! error (`status`, with an `error_code` defaulting by status and an optional `Retry-After`).
//! With `after_apply` the request is executed first (its state changes stick) and only then is
//! the answer delayed/replaced, to prove a client never repeats a non-idempotent call blindly.
//! Faults are checked in the order they were added; the first one that fires wins. Faults are
//! checked before authentication.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Method, StatusCode};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::error::{error_code_for_status, ApiError};

/// A fault to inject. Build one with [`Fault::on`] and the chained setters, or post it as JSON to
/// `/__mock/faults` (same field names; unknown fields are rejected).
///
/// ```
/// use std::time::Duration;
/// use dbx_mock_server::Fault;
///
/// let f = Fault::on("/api/2.0/token/*").method("POST").status(503).retry_after_secs(2).count(1);
/// let slow = Fault::on("*").latency(Duration::from_millis(50));
/// # let _ = (f, slow);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// HTTP method to match (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path glob, e.g. `/api/2.0/token/*` (default `*`: every path).
    #[serde(default = "any_path")]
    pub path: String,
    /// Status of the injected error response (none: the request is answered normally, after
    /// any latency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `error_code` of the injected error (default by status: 429 `REQUEST_LIMIT_EXCEEDED`,
    /// 500 `INTERNAL_ERROR`, 503 `TEMPORARILY_UNAVAILABLE`, 504 `DEADLINE_EXCEEDED`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `message` of the injected error (default names the fault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Adds a `Retry-After: <secs>` header to the injected error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// Delay before answering, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// How many matching requests the fault affects (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Chance in `0.0..=1.0` that a matching request is affected (always when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Execute the request first, then delay/replace its answer.
    #[serde(default)]
    pub after_apply: bool,
}

fn any_path() -> String {
    "*".to_owned()
}

impl Fault {
    /// A fault on every request whose path matches `path_glob`; by itself it does nothing
    /// until given a status and/or latency.
    pub fn on(path_glob: impl Into<String>) -> Self {
        Self {
            method: None,
            path: path_glob.into(),
            status: None,
            error_code: None,
            message: None,
            retry_after_secs: None,
            latency_ms: None,
            count: None,
            probability: None,
            after_apply: false,
        }
    }

    /// Only match `method` (case-insensitive).
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Answer with an error of this HTTP status.
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Use this `error_code` instead of the status default.
    pub fn error_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    /// Use this error message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Send `Retry-After: secs` with the error.
    pub fn retry_after_secs(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// Delay the answer.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency_ms = Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Affect only the next `count` matching requests.
    pub fn count(mut self, count: u64) -> Self {
        self.count = Some(count);
        self
    }

    /// Affect each matching request with probability `p` (clamped to `0.0..=1.0`).
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = Some(p);
        self
    }

    /// Execute the request before delaying/replacing its answer.
    pub fn after_apply(mut self, yes: bool) -> Self {
        self.after_apply = yes;
        self
    }

    /// Check a fault received as JSON: a status in 200..=599, a probability in 0..=1, a valid
    /// method, a non-empty path.
    pub(crate) fn validate(&self) -> Result<(), ApiError> {
        if let Some(s) = self.status.filter(|s| !(200..=599).contains(s)) {
            return Err(ApiError::invalid_parameter(format!(
                "status must be between 200 and 599, got {s}"
            )));
        }
        if let Some(p) = self.probability.filter(|p| !(0.0..=1.0).contains(p)) {
            return Err(ApiError::invalid_parameter(format!(
                "probability must be between 0 and 1, got {p}"
            )));
        }
        if let Some(m) = &self.method {
            if Method::from_bytes(m.as_bytes()).is_err() {
                return Err(ApiError::invalid_parameter(format!("invalid method {m:?}")));
            }
        }
        if self.path.is_empty() {
            return Err(ApiError::invalid_parameter("path must not be empty"));
        }
        Ok(())
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && glob_match(&self.path, path)
    }
}

/// A fault as stored: its id and how often it has fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultStatus {
    /// Id returned when the fault was added.
    pub id: u64,
    /// The fault itself.
    #[serde(flatten)]
    pub fault: Fault,
    /// How many requests it has affected so far.
    pub fired: u64,
}

/// A fault that fired on the current request.
#[derive(Debug, Clone)]
pub(crate) struct Fired {
    pub id: u64,
    pub fault: Fault,
}

impl Fired {
    /// Wait out the fault's latency (tokio time, so paused-clock tests do not really wait).
    pub(crate) async fn delay(&self) {
        if let Some(ms) = self.fault.latency_ms.filter(|ms| *ms > 0) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    /// The injected error response, if the fault has a status.
    pub(crate) fn response(&self) -> Option<Response> {
        let status = self.fault.status?;
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = self
            .fault
            .error_code
            .clone()
            .unwrap_or_else(|| error_code_for_status(status).as_str().to_owned());
        let message = self.fault.message.clone().unwrap_or_else(|| {
            format!(
                "Injected fault {} (HTTP {}) by dbx-mock-server.",
                self.id,
                status.as_u16()
            )
        });
        let mut err = ApiError::with_status(status, &code, message);
        if let Some(secs) = self.fault.retry_after_secs {
            err = err.with_header(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        Some(err.into_response())
    }
}

/// The list of active faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    inner: Mutex<FaultList>,
    /// How many faults the list holds, kept equal to it under its lock: [`Faults::fire`] reads
    /// it first, so a request on an emulator without faults (nearly every request) takes no
    /// lock here.
    len: AtomicUsize,
}

#[derive(Debug)]
struct FaultList {
    next_id: u64,
    entries: Vec<FaultStatus>,
}

impl Default for FaultList {
    fn default() -> Self {
        Self {
            next_id: 1,
            entries: Vec::new(),
        }
    }
}

impl Faults {
    /// Add a fault; returns its id.
    pub(crate) fn add(&self, mut fault: Fault) -> u64 {
        fault.method = fault.method.map(|m| m.to_ascii_uppercase());
        let mut list = self.inner.lock();
        let id = list.next_id;
        list.next_id += 1;
        list.entries.push(FaultStatus {
            id,
            fault,
            fired: 0,
        });
        self.len.store(list.entries.len(), Ordering::Release);
        id
    }

    /// Every fault, oldest first.
    pub(crate) fn list(&self) -> Vec<FaultStatus> {
        self.inner.lock().entries.clone()
    }

    /// Remove fault `id`; false if there is none.
    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut list = self.inner.lock();
        let before = list.entries.len();
        list.entries.retain(|f| f.id != id);
        self.len.store(list.entries.len(), Ordering::Release);
        list.entries.len() != before
    }

    /// Remove every fault (ids keep counting up).
    pub(crate) fn clear(&self) {
        let mut list = self.inner.lock();
        list.entries.clear();
        self.len.store(0, Ordering::Release);
    }

    /// Back to the initial state: no faults, ids from 1.
    pub(crate) fn reset(&self) {
        let mut list = self.inner.lock();
        *list = FaultList::default();
        self.len.store(0, Ordering::Release);
    }

    /// The first fault that matches and fires for this request (counting it).
    pub(crate) fn fire(&self, method: &str, path: &str) -> Option<Fired> {
        if self.len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut list = self.inner.lock();
        list.entries.iter_mut().find_map(|f| {
            let exhausted = f.fault.count.is_some_and(|c| f.fired >= c);
            if exhausted || !f.fault.matches(method, path) || !roll(f.fault.probability) {
                return None;
            }
            f.fired += 1;
            Some(Fired {
                id: f.id,
                fault: f.fault.clone(),
            })
        })
    }
}

/// True with probability `p` (clamped to 0..=1; NaN counts as 0; absent means always).
fn roll(p: Option<f64>) -> bool {
    match p {
        None => true,
        Some(p) if p >= 1.0 => true,
        Some(p) if p > 0.0 => rand::random::<f64>() < p,
        Some(_) => false,
    }
}

/// Match `text` against `pattern`, where `*` matches any run of characters (`/` included).
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // Position of the last `*` in the pattern, and where in the text it started matching.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "/api/2.0/token/list"));
        assert!(glob_match("/api/2.0/token/*", "/api/2.0/token/list"));
        assert!(glob_match("/api/*/token/*", "/api/2.0/token/list"));
        assert!(glob_match("/api/2.0/token/list", "/api/2.0/token/list"));
        assert!(!glob_match("/api/2.0/token/list", "/api/2.0/token/lis"));
        assert!(!glob_match("/api/2.0/token/*", "/api/2.0/secrets/list"));
        assert!(glob_match("*list", "/a/list"));
        assert!(!glob_match("*list", "/a/lists"));
        assert!(glob_match("a*b*c", "aXXbYYbc"));
        assert!(!glob_match("", "x"));
    }

    #[test]
    fn count_and_method_limit_firing() {
        let faults = Faults::default();
        let id = faults.add(Fault::on("/x*").method("post").status(500).count(2));
        assert!(faults.fire("GET", "/x").is_none());
        assert_eq!(faults.fire("POST", "/xy").map(|f| f.id), Some(id));
        assert!(faults.fire("POST", "/x").is_some());
        assert!(faults.fire("POST", "/x").is_none());
        assert_eq!(faults.list()[0].fired, 2);
        assert!(faults.remove(id));
        assert!(!faults.remove(id));
    }

    #[test]
    fn validation_and_json_shape() {
        assert!(Fault::on("*").status(99).validate().is_err());
        assert!(Fault::on("*").probability(1.5).validate().is_err());
        assert!(Fault::on("*").probability(f64::NAN).validate().is_err());
        assert!(Fault::on("*").method("GE T").validate().is_err());
        assert!(Fault::on("").validate().is_err());
        assert!(Fault::on("*").status(503).validate().is_ok());
        let f: Fault = serde_json::from_str(r#"{"status":429}"#).expect("parse");
        assert_eq!(f, Fault::on("*").status(429));
        assert!(serde_json::from_str::<Fault>(r#"{"latency":5}"#).is_err());
    }

    #[test]
    fn probability_extremes() {
        assert!(roll(None));
        assert!(roll(Some(1.0)));
        assert!(!roll(Some(0.0)));
        assert!(!roll(Some(f64::NAN)));
        assert!(!roll(Some(-1.0)));
    }
}
