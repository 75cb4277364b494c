//! `--state-dir` with the real binary: the state survives a SIGTERM restart, and a
//! `POST /__mock/snapshot` survives `kill -9`; `--fixtures` seeds it; bad files fail start-up.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_dbx-mock-server");
const TOKEN: &str = "dapi1234567890abcdef1234567890abcdef";

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .args(["--bind", "127.0.0.1:0", "--cluster-start-secs", "0.2"])
        .args(args)
        .env_remove("DBX_MOCK_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    let addr = first
        .trim_end()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    Server { child, addr }
}

/// Start-up that must fail: its exit code and stderr.
fn fail_to_start(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(["--bind", "127.0.0.1:0"])
        .args(args)
        .output()
        .expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

impl Server {
    /// One request on its own connection: status and JSON body.
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut conn = TcpStream::connect(&self.addr).expect("connect");
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            conn,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .expect("write");
        let mut response = Vec::new();
        conn.read_to_end(&mut response).expect("read");
        let text = String::from_utf8_lossy(&response);
        let (head, body) = text.split_once("\r\n\r\n").expect("HTTP response");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    fn ok(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
        let (status, json) = self.call(method, path, Some(token), body);
        assert_eq!(status, 200, "{method} {path}: {json}");
        json
    }

    /// Send `signal` and wait for the exit code.
    fn stop(mut self, signal: &str) -> Option<i32> {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dbx-state-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Make one of everything over HTTP; returns (user token, cluster id, job id, run id).
fn populate(s: &Server) -> (String, String, i64, i64) {
    s.ok(
        "POST",
        "/__mock/users",
        TOKEN,
        Some(json!({"user_name": "u@example.com"})),
    );
    let t = s.ok(
        "POST",
        "/api/2.0/token/create",
        TOKEN,
        Some(json!({"comment": "kept"})),
    );
    let token = t["token_value"].as_str().expect("token").to_owned();
    s.ok(
        "POST",
        "/api/2.0/secrets/scopes/create",
        TOKEN,
        Some(json!({"scope": "kept"})),
    );
    s.ok(
        "POST",
        "/api/2.0/secrets/put",
        TOKEN,
        Some(json!({"scope": "kept", "key": "k", "string_value": "v"})),
    );
    s.ok(
        "POST",
        "/api/2.0/dbfs/put",
        TOKEN,
        Some(json!({"path": "/tmp/kept.txt", "contents": "aGVsbG8="})),
    );
    s.ok(
        "POST",
        "/api/2.0/workspace/import",
        TOKEN,
        Some(json!({"path": "/Shared/kept", "language": "PYTHON", "content": "cHJpbnQoMSk=", "format": "SOURCE"})),
    );
    let c = s.ok(
        "POST",
        "/api/2.1/clusters/create",
        TOKEN,
        Some(json!({"cluster_name": "kept", "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1})),
    );
    let cluster = c["cluster_id"].as_str().expect("cluster").to_owned();
    let j = s.ok(
        "POST",
        "/api/2.1/jobs/create",
        TOKEN,
        Some(json!({"name": "kept", "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": "/Shared/kept"}, "existing_cluster_id": cluster}]})),
    );
    let job = j["job_id"].as_i64().expect("job");
    let r = s.ok(
        "POST",
        "/api/2.1/jobs/run-now",
        TOKEN,
        Some(json!({"job_id": job})),
    );
    (token, cluster, job, r["run_id"].as_i64().expect("run"))
}

fn check(s: &Server, (token, cluster, job, run): &(String, String, i64, i64)) {
    let me = s.ok("GET", "/api/2.0/preview/scim/v2/Me", token, None);
    assert_eq!(
        me["userName"], "admin@example.com",
        "the created token still authenticates"
    );
    let r = s.ok("GET", "/api/2.0/secrets/get?scope=kept&key=k", TOKEN, None);
    assert_eq!(r["value"], "dg==");
    let r = s.ok("GET", "/api/2.0/dbfs/read?path=/tmp/kept.txt", TOKEN, None);
    assert_eq!(r["data"], "aGVsbG8=");
    let r = s.ok(
        "GET",
        "/api/2.0/workspace/get-status?path=/Shared/kept",
        TOKEN,
        None,
    );
    assert_eq!(r["object_type"], "NOTEBOOK");
    let r = s.ok(
        "GET",
        &format!("/api/2.1/clusters/get?cluster_id={cluster}"),
        TOKEN,
        None,
    );
    assert_eq!(r["cluster_name"], "kept");
    let r = s.ok(
        "GET",
        &format!("/api/2.1/jobs/get?job_id={job}"),
        TOKEN,
        None,
    );
    assert_eq!(r["settings"]["name"], "kept");
    let r = s.ok(
        "GET",
        &format!("/api/2.1/jobs/runs/get?run_id={run}"),
        TOKEN,
        None,
    );
    assert_eq!(r["job_id"], *job);
    let r = s.ok(
        "GET",
        "/api/2.0/preview/scim/v2/Users?filter=userName%20eq%20%22u@example.com%22",
        TOKEN,
        None,
    );
    assert_eq!(r["totalResults"], 1, "{r}");
}

#[test]
fn the_state_survives_a_sigterm_restart() {
    let dir = temp_dir("sigterm");
    let s = start(&["--state-dir", arg(&dir)]);
    let made = populate(&s);
    check(&s, &made);
    assert_eq!(s.stop("-TERM"), Some(0));
    let file = dir.join("state.json");
    assert!(file.exists());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the state file holds secrets");
    }
    let s = start(&["--state-dir", arg(&dir)]);
    check(&s, &made);
    // The run finishes on the restarted emulator: its timeline came back with it.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = s.ok(
            "GET",
            &format!("/api/2.1/jobs/runs/get?run_id={}", made.3),
            TOKEN,
            None,
        );
        if r["state"]["life_cycle_state"] == "TERMINATED" {
            break;
        }
        assert!(Instant::now() < deadline, "the run did not finish: {r}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(s.stop("-TERM"), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_snapshot_survives_kill_9() {
    let dir = temp_dir("kill9");
    let s = start(&["--state-dir", arg(&dir)]);
    let made = populate(&s);
    let r = s.ok("POST", "/__mock/snapshot", TOKEN, None);
    assert_eq!(r["path"], arg(&dir.join("state.json")));
    // Made after the snapshot: lost with kill -9.
    s.ok(
        "POST",
        "/__mock/users",
        TOKEN,
        Some(json!({"user_name": "lost@example.com"})),
    );
    assert_eq!(s.stop("-KILL"), None);
    // A crash mid-write leaves a temporary file, never a broken state.json; start-up removes it.
    std::fs::write(dir.join(".state.json.tmp-1-abc"), "{\"format_versi").expect("write");
    let s = start(&["--state-dir", arg(&dir)]);
    check(&s, &made);
    let r = s.ok(
        "GET",
        "/api/2.0/preview/scim/v2/Users?filter=userName%20eq%20%22lost@example.com%22",
        TOKEN,
        None,
    );
    assert_eq!(r["totalResults"], 0);
    assert!(!dir.join(".state.json.tmp-1-abc").exists());
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_a_state_dir_snapshot_is_refused_and_nothing_is_written() {
    let s = start(&[]);
    let (status, body) = s.call("POST", "/__mock/snapshot", None, None);
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "the emulator has no state directory (start it with --state-dir DIR)"
    );
    assert_eq!(s.stop("-TERM"), Some(0));
}

#[test]
fn fixtures_seed_the_binary_and_bad_files_fail_start_up() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/example.json");
    let s = start(&["--fixtures", example]);
    let me = s.ok(
        "GET",
        "/api/2.0/preview/scim/v2/Me",
        "dapi-fixture-alice-0000000000000001",
        None,
    );
    assert_eq!(me["userName"], "alice@example.com");
    drop(s);

    let dir = temp_dir("badfix");
    std::fs::create_dir_all(&dir).expect("dir");
    let bad = dir.join("fixtures.json");
    std::fs::write(
        &bad,
        r#"{"secrets": [{"scope": "x", "key": "k", "string_value": "v"}]}"#,
    )
    .expect("write");
    let (code, err) = fail_to_start(&["--fixtures", arg(&bad)]);
    assert_eq!(code, Some(1));
    assert_eq!(
        err.trim_end(),
        format!(
            "error: {}: secrets[0] (scope \"x\", key \"k\"): scope \"x\" is not defined",
            bad.display()
        )
    );
    std::fs::write(dir.join("state.json"), r#"{"format_version": 3}"#).expect("write");
    let (code, err) = fail_to_start(&["--state-dir", arg(&dir)]);
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with(&format!(
            "error: {}: state format version 3 is not supported: this dbx-mock-server",
            dir.join("state.json").display()
        )),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
