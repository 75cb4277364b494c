//! Shared harness of the contract suite.
//!
//! Every scenario runs the real client crates against the emulator through the in-process
//! transport (no socket), with a capturing transport in between so the exact request and response
//! JSON of each call can be pinned with insta snapshots.
//!
//! ```no_run
//! use dbx_contract_tests::Harness;
//! # async fn demo() {
//! let h = Harness::new();
//! let alice = h.user("alice@example.com"); // a non-admin caller
//! // ... drive the client ...
//! h.settings().bind(|| insta::assert_json_snapshot!("name", h.take_exchanges()));
//! # }
//! ```

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use dbx_core::testing::{CaptureTransport, Exchange};
use dbx_core::{Client, Config, RetryPolicy};
use dbx_mock_server::{Emulator, InProcessTransport};
use serde_json::{json, Map, Value};

/// An emulator, a capturing transport in front of it, and an admin client.
pub struct Harness {
    /// The emulator (clock, faults, journal, identity helpers).
    pub emulator: Emulator,
    capture: CaptureTransport<InProcessTransport>,
    /// A client authenticated as the workspace admin.
    pub admin: Client,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// A fresh emulator with default settings.
    pub fn new() -> Self {
        Self::with_emulator(Emulator::new())
    }

    /// Use a specially configured emulator.
    pub fn with_emulator(emulator: Emulator) -> Self {
        let capture = CaptureTransport::new(emulator.transport());
        let admin = client_for(&emulator, &capture, &emulator.admin_token());
        Self {
            emulator,
            capture,
            admin,
        }
    }

    /// A client that sends `token` (valid or not) through the same capturing transport.
    pub fn client_with_token(&self, token: &str) -> Client {
        client_for(&self.emulator, &self.capture, token)
    }

    /// A client acting as the non-admin user `user_name` (created on first use) with a fresh PAT.
    pub fn user(&self, user_name: &str) -> Client {
        if self.emulator.principal(user_name).is_none() {
            if let Err(e) = self.emulator.create_user(user_name, false) {
                panic!("cannot create user {user_name}: {e:?}");
            }
        }
        let token = match self
            .emulator
            .create_token(user_name, None, Some("contract test"))
        {
            Ok(t) => t.token_value,
            Err(e) => panic!("cannot create a token for {user_name}: {e:?}"),
        };
        self.client_with_token(&token)
    }

    /// Every exchange captured so far, as JSON (see [`exchange_json`]).
    pub fn exchanges(&self) -> Value {
        Value::Array(self.capture.exchanges().iter().map(exchange_json).collect())
    }

    /// Every exchange captured so far, then forget them.
    pub fn take_exchanges(&self) -> Value {
        let v = self.exchanges();
        self.capture.clear();
        v
    }

    /// Forget the exchanges captured so far (e.g. set-up calls).
    pub fn clear_exchanges(&self) {
        self.capture.clear();
    }

    /// insta settings with the suite's standard redactions (ids and times that change per run).
    /// Add family-specific ones with `settings.add_redaction(...)`.
    pub fn settings(&self) -> insta::Settings {
        settings()
    }
}

fn client_for(
    emulator: &Emulator,
    capture: &CaptureTransport<InProcessTransport>,
    token: &str,
) -> Client {
    let config = Config::builder()
        .host(emulator.base_url())
        .token(token)
        // The emulator answers instantly; keep injected-fault retries fast.
        .retry(RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap_or_else(|e| panic!("harness config: {e}"));
    Client::with_transport(config, capture.clone())
}

/// One exchange as `{"request": {method, path, query?, body?}, "response": {status, body?}}`.
/// Bodies that are JSON are embedded as JSON; other bodies as `"<N bytes: content-type>"`.
pub fn exchange_json(e: &Exchange) -> Value {
    let r = &e.request;
    let mut request = Map::new();
    request.insert("method".into(), json!(r.method.as_str()));
    request.insert("path".into(), json!(r.path));
    if let Some(q) = &r.query {
        let pairs: Map<String, Value> = url_pairs(q);
        request.insert("query".into(), Value::Object(pairs));
    }
    if !r.body.is_empty() {
        let ct = r
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        request.insert("body".into(), body_json(&r.body, ct));
    }
    let response = match &e.response {
        Ok((status, body)) => {
            let mut m = Map::new();
            m.insert("status".into(), json!(status.as_u16()));
            if !body.is_empty() {
                m.insert("body".into(), body_json(body, "application/json"));
            }
            Value::Object(m)
        }
        Err(te) => json!({"transport_error": te.to_string()}),
    };
    json!({"request": Value::Object(request), "response": response})
}

fn body_json(body: &Bytes, content_type: &str) -> Value {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if !content_type.starts_with("multipart/") => v,
        _ => {
            let ct = content_type.split(';').next().unwrap_or("");
            json!(format!("<{} bytes: {}>", body.len(), ct))
        }
    }
}

fn url_pairs(q: &str) -> Map<String, Value> {
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), json!(v)))
        .collect()
}

/// insta settings with the suite's standard redactions: ids and times that change per run.
/// `expiry_time: -1` (never) is kept, as it is meaningful.
pub fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_sort_maps(true);
    s.set_prepend_module_to_snapshot(true);
    for key in ["token_id", "token_value", "access_token"] {
        s.add_redaction(&format!(".**.{key}"), format!("[{key}]"));
    }
    for key in [
        "creation_time",
        "last_updated_timestamp",
        "modification_time",
        "created_at",
        "modified_at",
    ] {
        s.add_redaction(&format!(".**.{key}"), "[time]");
    }
    // Token ids (64 hex digits) inside paths and messages.
    for key in ["path", "message"] {
        s.add_dynamic_redaction(&format!(".**.{key}"), |value, _path| match value.as_str() {
            Some(text) => redact_hex64(text).into(),
            None => value,
        });
    }
    s.add_dynamic_redaction(".**.expiry_time", |value, _path| match value.as_i64() {
        Some(-1) => value,
        _ => "[time]".into(),
    });
    s
}

/// Replace every run of exactly 64 hex digits (a token id) with `[token_id]`.
pub fn redact_hex64(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 64 {
            out.push_str("[token_id]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Deterministic pseudo-random bytes (xorshift64), different per seed: test payloads that
/// compress badly and catch misplaced or repeated blocks.
pub fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A `tracing` writer appending to a shared buffer.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything this test process has logged so far, at TRACE (client, emulator, hyper, reqwest).
///
/// The first call installs a process-global subscriber: a thread-local `set_default` misses
/// events whose callsites a parallel test registered first (their cached interest says
/// "never"), which made such tests flaky. Other tests' lines land here too, which only widens
/// a "never logged" check. If another global subscriber already exists the capture stays empty,
/// and a test's "this was logged" assertion says so.
pub fn captured_logs() -> String {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    let logs = LOGS.get_or_init(|| {
        let logs = LogBuffer::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    });
    let bytes = logs.0.lock().map(|v| v.clone()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}
