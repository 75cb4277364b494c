//! The texts a user reads when a call fails: they name the host, the attempts, the origin of a
//! rejected credential (never its value) and what to try, and no message repeats its cause.

use std::error::Error as StdError;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dbx_core::error::Report;
use dbx_core::{
    Client, Config, ConfigBuilder, Error, Request, RetryPolicy, TransferError, TransportErrorKind,
};
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "dapi-error-texts-0123456789abcdef";

/// Retries that finish well under a second.
fn quick(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        deadline: Duration::from_secs(5),
        jitter: false,
    }
}

fn client(host: &str, max_attempts: u32) -> Client {
    let config = Config::builder()
        .host(host)
        .token(TOKEN)
        .retry(quick(max_attempts))
        .build()
        .expect("config");
    Client::new(config).expect("client")
}

/// A port nothing listens on: bind, read the port, close.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

/// A plain-HTTP server that answers anything with 404 and counts the connections it accepts.
async fn plain_http_server() -> (u16, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                    .await;
            });
        }
    });
    (port, connections)
}

async fn list(client: &Client) -> dbx_core::Result<Value> {
    client.call(Request::get("/api/2.0/token/list")).await
}

#[tokio::test]
async fn a_host_without_a_scheme_is_https_and_a_connect_error_says_so() {
    let port = closed_port();
    let err = list(&client(&format!("127.0.0.1:{port}"), 1))
        .await
        .expect_err("nothing listens");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("cannot connect to https://127.0.0.1:{port}: ")),
        "{text}"
    );
    assert!(
        text.ends_with("note: the host was configured without a scheme, so https:// was assumed"),
        "{text}"
    );
    assert!(!text.contains("gave up after"), "one attempt: {text}");
}

#[tokio::test]
async fn https_against_plain_http_is_not_retried_and_suggests_http() {
    let (port, connections) = plain_http_server().await;
    let started = Instant::now();
    let err = list(&client(&format!("https://127.0.0.1:{port}"), 5))
        .await
        .expect_err("no TLS there");
    assert!(started.elapsed() < Duration::from_secs(1));
    let Error::Transport(te) = &err else {
        panic!("expected a transport error, got {err:?}")
    };
    assert_eq!(te.kind, TransportErrorKind::Tls);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "a TLS mismatch is not retried"
    );
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "TLS handshake with https://127.0.0.1:{port} failed: "
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "(not retried); the server does not seem to speak TLS: if it serves plain HTTP (as \
             a local emulator does), set the host to http://127.0.0.1:{port}"
        )),
        "{text}"
    );
}

/// A wiremock server answering every call with 403 "Invalid access token.".
async fn rejecting_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"error_code": 403, "message": "Invalid access token."})),
        )
        .mount(&server)
        .await;
    server
}

/// A temporary home directory with a `.databrickscfg`; removed on drop.
struct Home(std::path::PathBuf);

impl Home {
    fn with_profile(host: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "dbx-core-error-texts-{}-{}",
            std::process::id(),
            closed_port()
        ));
        std::fs::create_dir_all(&dir).expect("home");
        let mut f = std::fs::File::create(dir.join(".databrickscfg")).expect("cfg");
        writeln!(f, "[staging]\nhost = {host}\ntoken = {TOKEN}").expect("write cfg");
        Home(dir)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_rejected_token_says_where_it_came_from_never_its_value() {
    let server = rejecting_server().await;
    let host = server.uri();
    let home = Home::with_profile(&host);
    let home_path = home.0.to_str().expect("utf-8").to_string();
    let env_host = host.clone();
    let configs: Vec<(Config, &str)> = vec![
        (
            Config::builder()
                .host(&host)
                .token(TOKEN)
                .build()
                .expect("builder"),
            "from the builder",
        ),
        (
            ConfigBuilder::default()
                .resolve_with_env(move |name| match name {
                    "DATABRICKS_HOST" => Some(env_host.clone()),
                    "DATABRICKS_TOKEN" => Some(TOKEN.to_string()),
                    _ => None,
                })
                .expect("env"),
            "from DATABRICKS_TOKEN",
        ),
        (
            ConfigBuilder::default()
                .profile("staging")
                .resolve_with_env(move |name| (name == "HOME").then(|| home_path.clone()))
                .expect("profile"),
            "from profile `staging` in ~/.databrickscfg",
        ),
    ];
    for (config, origin) in configs {
        let err = list(&Client::new(config).expect("client"))
            .await
            .expect_err("rejected");
        assert!(matches!(err, Error::CredentialRejected { .. }), "{err:?}");
        let text = err.to_string();
        assert_eq!(
            text,
            format!(
                "{host} rejected the personal access token {origin}: it is invalid, expired or \
                 revoked, or belongs to another workspace; create a new one (User Settings > \
                 Developer > Access tokens) or use another profile"
            )
        );
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("403 Forbidden: Invalid access token."),
            "the status is said once, Databricks' words kept"
        );
        // The predicates still answer for Databricks' answer.
        assert!(err.is_invalid_token() && !err.is_permission_denied());
        assert_eq!(err.status(), Some(http::StatusCode::FORBIDDEN));
        assert_eq!(err.error_code(), Some("403"));
        for shown in [text, format!("{err:?}"), Report(&err).to_string()] {
            assert!(!shown.contains(TOKEN), "{shown}");
        }
    }
    drop(home);
}

#[tokio::test]
async fn a_401_names_the_credential_too() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error_code": 401,
            "message": "Credential was not sent or was of an unsupported type for this API."
        })))
        .mount(&server)
        .await;
    let err = list(&client(&server.uri(), 1)).await.expect_err("401");
    assert!(err.is_unauthenticated(), "{err:?}");
    let text = Report(&err).to_string();
    assert_eq!(
        text,
        format!(
            "{} rejected the personal access token from the builder: it was not accepted for \
             this API; check that it is meant for this workspace\n  caused by: 401 Unauthorized: \
             Credential was not sent or was of an unsupported type for this API.",
            server.uri()
        )
    );
}

/// Asserts that no error in the chain repeats the text of its source.
fn assert_each_cause_once(err: &(dyn StdError + 'static)) {
    let mut current = err;
    while let Some(source) = current.source() {
        let (outer, inner) = (current.to_string(), source.to_string());
        assert!(
            !outer.contains(&inner),
            "`{outer}` repeats its source `{inner}`"
        );
        current = source;
    }
}

#[tokio::test]
async fn no_error_repeats_its_source() {
    let refused = list(&client(&format!("http://127.0.0.1:{}", closed_port()), 2))
        .await
        .expect_err("refused");
    let (port, _) = plain_http_server().await;
    let tls = list(&client(&format!("https://127.0.0.1:{port}"), 2))
        .await
        .expect_err("tls");
    let server = rejecting_server().await;
    let rejected = list(&client(&server.uri(), 1)).await.expect_err("rejected");
    let api: Error = dbx_core::ApiError::from_response(
        http::StatusCode::NOT_FOUND,
        &http::HeaderMap::new(),
        br#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Scope x does not exist!"}"#,
    )
    .into();
    let config = Config::builder()
        .host("http://127.0.0.1:8080/api/2.0")
        .token(TOKEN)
        .build()
        .expect_err("path");
    let decode = dbx_core::decode::<Vec<u8>>(br#"{"a":1}"#).expect_err("not a list");

    let errors: Vec<Error> = vec![refused, tls, rejected, api, config, decode];
    for e in &errors {
        assert_each_cause_once(e);
    }
    assert!(errors[2].source().is_some(), "the answer is the source");

    let io = || std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
    let transfers = vec![
        TransferError::io("/tmp/dbx-out.bin", io()),
        TransferError::from(io()),
        TransferError::from(errors.into_iter().next().expect("refused")),
    ];
    for e in &transfers {
        assert_each_cause_once(e);
    }
    // A local I/O error names the path; its cause follows once.
    assert_eq!(
        Report(&transfers[0]).to_string(),
        "local I/O failed on /tmp/dbx-out.bin\n  caused by: permission denied"
    );
}
