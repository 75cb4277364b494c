//! The `dbx-mock-server` binary: startup lines, one real request, clean SIGTERM shutdown.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dbx-mock-server");
const TOKEN: &str = "dapi1234567890abcdef1234567890abcdef";

#[test]
fn prints_its_address_serves_and_exits_0_on_sigterm() {
    let mut child = Command::new(BIN)
        .args(["--bind", "127.0.0.1:0"])
        .env_remove("DBX_MOCK_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    let first = first.trim_end();
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    let port: u16 = addr
        .strip_prefix("127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected address {addr:?}"));
    assert_ne!(port, 0);
    assert_eq!(first, format!("listening on http://127.0.0.1:{port}"));
    let mut second = String::new();
    stdout.read_line(&mut second).expect("second line");
    assert_eq!(
        second.trim_end(),
        format!("export DATABRICKS_HOST=http://{addr} DATABRICKS_TOKEN={TOKEN}")
    );

    let mut conn = TcpStream::connect(&addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        conn,
        "GET /api/2.0/token/list HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    conn.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.contains("\"token_infos\""), "{response}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not exit within 5 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_bind_failure_is_a_clean_error_and_exit_1() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = Command::new(BIN)
        .args(["--bind", &addr])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("error: cannot listen on {addr}")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unusable_bind_address_is_a_clean_error_and_exit_1() {
    for bad in ["nonsense", "127.0.0.1", "127.0.0.1:99999"] {
        let out = Command::new(BIN)
            .args(["--bind", bad])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(out.stdout.is_empty(), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("is not an address to listen on"),
            "{bad}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_host_name_is_resolved() {
    let mut child = Command::new(BIN)
        .args(["--bind", "localhost:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out)
            .read_line(&mut line)
            .expect("first line");
    }
    let _ = child.kill();
    let _ = child.wait();
    let url = line.trim_end();
    assert!(
        url.starts_with("listening on http://127.0.0.1:")
            || url.starts_with("listening on http://[::1]:"),
        "{url}"
    );
}

/// Start the binary with `args` (no admin token in the environment unless `env` sets one) and
/// stderr going to `stderr`; returns it with the address of its first stdout line.
fn start(args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> (std::process::Child, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("DBX_MOCK_ADMIN_TOKEN")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(stderr);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn");
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out)
            .read_line(&mut line)
            .expect("first line");
    }
    let addr = line
        .trim_end()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| {
            let _ = child.kill();
            panic!("unexpected first line {line:?}")
        })
        .to_owned();
    (child, addr)
}

/// One HTTP/1.1 request to `port` on loopback; returns the status code and the whole answer.
fn request(port: u16, method: &str, path: &str, auth: Option<&str>) -> (u16, String) {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        conn,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    conn.read_to_string(&mut response).expect("read");
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"));
    (status, response)
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {addr:?}"))
}

fn stop(mut child: std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn colon_port_and_a_bare_port_listen_on_loopback() {
    for bind in [":0", "0"] {
        let (child, addr) = start(&["--bind", bind], &[], Stdio::null());
        stop(child);
        assert!(addr.starts_with("127.0.0.1:"), "{bind}: {addr}");
        assert_ne!(port_of(&addr), 0, "{bind}");
    }
}

#[test]
fn a_public_address_needs_an_explicit_admin_token() {
    for args in [
        vec!["--bind", "0.0.0.0:0"],
        vec!["--bind", "[::]:0"],
        vec!["--bind", "0.0.0.0:0", "--admin-token", TOKEN],
    ] {
        let out = Command::new(BIN)
            .args(&args)
            .env_remove("DBX_MOCK_ADMIN_TOKEN")
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("error: refusing to listen on")
                && stderr.contains("built-in admin token")
                && stderr.contains("--admin-token")
                && stderr.contains("DBX_MOCK_ADMIN_TOKEN"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn with_a_token_a_public_address_protects_the_admin_routes() {
    let secret = "dapi-sec-test-0123456789abcdef";
    let log = std::env::temp_dir().join(format!("dbx-mock-binary-{}.log", std::process::id()));
    let file = std::fs::File::create(&log).expect("log file");
    // Once from the flag, once from the environment.
    let via_flag = ["--bind", "0.0.0.0:0", "--admin-token", secret];
    let via_env = ["--bind", "0.0.0.0:0"];
    for (args, env) in [
        (&via_flag[..], &[][..]),
        (&via_env[..], &[("DBX_MOCK_ADMIN_TOKEN", secret)][..]),
    ] {
        let stderr = Stdio::from(file.try_clone().expect("clone"));
        let (child, addr) = start(args, env, stderr);
        let port = port_of(&addr);
        let results = [
            request(port, "GET", "/__mock/clock", None).0,
            request(port, "GET", "/__mock/clock", Some("Bearer wrong")).0,
            request(
                port,
                "POST",
                "/__mock/reset",
                Some(&format!("Basic {secret}")),
            )
            .0,
            request(
                port,
                "GET",
                "/__mock/clock",
                Some(&format!("Bearer {secret}")),
            )
            .0,
            request(port, "GET", "/__mock/health", None).0,
            request(
                port,
                "GET",
                "/api/2.0/token/list",
                Some(&format!("Bearer {secret}")),
            )
            .0,
        ];
        let (_, denied) = request(port, "GET", "/__mock/journal", None);
        stop(child);
        assert!(addr.starts_with("0.0.0.0:"), "{addr}");
        assert_eq!(results, [401, 403, 401, 200, 200, 200], "{args:?}");
        assert!(
            denied.contains("\"error_code\":\"UNAUTHENTICATED\""),
            "{denied}"
        );
    }
    let logged = std::fs::read_to_string(&log).expect("read log");
    let _ = std::fs::remove_file(&log);
    assert!(
        logged.contains("the /__mock admin routes require the admin token"),
        "{logged}"
    );
    assert!(!logged.contains(secret), "the token was logged: {logged}");
}

#[test]
fn loopback_admin_routes_stay_open_and_a_log_file_has_no_colours() {
    let log = std::env::temp_dir().join(format!("dbx-mock-colours-{}.log", std::process::id()));
    let file = std::fs::File::create(&log).expect("log file");
    let (child, addr) = start(
        &["--bind", ":0", "--log-level", "debug"],
        &[],
        Stdio::from(file),
    );
    let port = port_of(&addr);
    let open = request(port, "GET", "/__mock/clock", None).0;
    let api = request(
        port,
        "GET",
        "/api/2.0/token/list",
        Some(&format!("Bearer {TOKEN}")),
    )
    .0;
    stop(child);
    let logged = std::fs::read(&log).expect("read log");
    let _ = std::fs::remove_file(&log);
    assert_eq!((open, api), (200, 200));
    let text = String::from_utf8_lossy(&logged);
    assert!(text.contains("dbx-mock-server started"), "{text}");
    assert!(text.contains("admin routes are open"), "{text}");
    assert!(
        !text.contains("\x1b["),
        "ANSI codes in a log file: {text:?}"
    );
}

#[test]
fn protect_admin_routes_on_loopback_too() {
    let (child, addr) = start(
        &["--bind", ":0", "--protect-admin-routes"],
        &[],
        Stdio::null(),
    );
    let port = port_of(&addr);
    let without = request(port, "GET", "/__mock/clock", None).0;
    let with = request(
        port,
        "GET",
        "/__mock/clock",
        Some(&format!("Bearer {TOKEN}")),
    )
    .0;
    stop(child);
    assert_eq!((without, with), (401, 200));
}
