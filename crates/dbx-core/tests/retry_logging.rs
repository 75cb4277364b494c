//! One event per retry, with attempt n/N, the wait and the reason, and never a credential. In
//! its own test binary: tracing's per-callsite interest cache is shared by the threads of one
//! binary, and a test without a subscriber hitting the same callsites first could hide events.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dbx_core::{Client, Config, Error, Request, RetryPolicy, TransportErrorKind};
use serde_json::Value;

const TOKEN: &str = "dapi-retry-logging-0123456789abcdef";

/// Captures every tracing event (all levels) as text.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("logs lock")).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

#[tokio::test]
async fn each_retry_is_logged_with_attempt_wait_and_reason_and_the_error_names_the_host() {
    let port = closed_port();
    let host = format!("http://127.0.0.1:{port}");
    let (logs, _guard) = capture();
    let started = Instant::now();
    let err = client(&host)
        .call::<Value>(Request::get("/api/2.0/token/list"))
        .await
        .expect_err("nothing listens");
    assert!(started.elapsed() < Duration::from_secs(1), "fast retries");

    let Error::Transport(te) = &err else {
        panic!("expected a transport error, got {err:?}")
    };
    assert_eq!(te.kind, TransportErrorKind::Connect);
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("cannot connect to {host}: ")),
        "{text}"
    );
    assert!(
        text.contains("Connection refused") && text.contains("; gave up after 3 attempts over "),
        "{text}"
    );
    assert!(!text.contains("error sending request") && !text.contains("Connect:"));
    assert!(
        std::error::Error::source(&err).is_none(),
        "the cause is in the message, once"
    );

    // One event per retry: attempt 1 at debug, attempt 2 at warn, then the give-up.
    let logs = logs.text();
    let retries: Vec<&str> = logs.lines().filter(|l| l.contains("retrying in")).collect();
    assert_eq!(retries.len(), 2, "{logs}");
    assert!(
        retries[0].contains("DEBUG")
            && retries[0].contains("attempt 1/3 of GET /api/2.0/token/list failed")
            && retries[0].contains("Connection refused")
            && retries[0].contains("retrying in 10.0ms"),
        "{logs}"
    );
    assert!(
        retries[1].contains("WARN") && retries[1].contains("attempt 2/3"),
        "{logs}"
    );
    assert!(logs.contains("giving up after 3 attempts"), "{logs}");
    assert!(!logs.contains(TOKEN), "no credential in logs: {logs}");
}

fn client(host: &str) -> Client {
    let config = Config::builder()
        .host(host)
        .token(TOKEN)
        .retry(RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(20),
            deadline: Duration::from_secs(5),
            jitter: false,
        })
        .build()
        .expect("config");
    Client::new(config).expect("client")
}
