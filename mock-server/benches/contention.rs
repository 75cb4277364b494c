//! Latency of a cheap endpoint while heavy requests run: 8 keep-alive clients call
//! `GET /api/2.0/token/list` in a loop, (0) alone, (1) while one more client reads 1 MiB DBFS
//! blocks (`GET /api/2.0/dbfs/read`, length 1 MiB) back to back, (2) while one more client
//! exports a folder of notebooks (`GET /api/2.0/workspace/export`, `SOURCE`: a zip) back to
//! back. Heavy work done under the state lock stalls every cheap request behind it; work done
//! after the lock is released (a deferred reply, see `api/mod.rs`) does not.
//!
//! Run with `cargo bench -p dbx-mock-server --bench contention`; `BENCH_SECS` (default 5) sets
//! the duration of each phase.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use dbx_mock_server::MockServer;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Clients calling the cheap endpoint.
const CHEAP_CLIENTS: usize = 8;
/// Notebooks in the exported folder, and the source bytes of each.
const NOTEBOOKS: usize = 40;
const NOTEBOOK_BYTES: usize = 200 * 1024;
/// The DBFS file read back in 1 MiB blocks.
const DBFS_FILE: &str = "/bench/big.bin";
const MIB: usize = 1 << 20;

type Sender = SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Sender {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    sender
}

/// One request; panics on anything but 200.
async fn send(
    sender: &mut Sender,
    addr: SocketAddr,
    token: &str,
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
) -> Bytes {
    let req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", addr.to_string())
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(
            body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string())),
        ))
        .expect("request");
    sender.ready().await.expect("connection ready");
    let resp = sender.send_request(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(
        status,
        200,
        "{method} {uri}: {}",
        String::from_utf8_lossy(&bytes)
    );
    bytes
}

/// Deterministic filler: `n` bytes from a small linear congruential generator.
fn filler(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 33) as u8
        })
        .collect()
}

/// A 1 MiB DBFS file and a folder of notebooks (hex text, so the zip stays under 10 MB).
async fn setup(addr: SocketAddr, token: &str) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut s = connect(addr).await;
    let contents = b64.encode(filler(MIB, 1));
    let body = serde_json::json!({"path": DBFS_FILE, "contents": contents, "overwrite": true});
    send(&mut s, addr, token, "POST", "/api/2.0/dbfs/put", Some(body)).await;
    let body = serde_json::json!({"path": "/Shared/bench"});
    send(
        &mut s,
        addr,
        token,
        "POST",
        "/api/2.0/workspace/mkdirs",
        Some(body),
    )
    .await;
    for i in 0..NOTEBOOKS {
        let text: String = filler(NOTEBOOK_BYTES / 2, i as u64 + 7)
            .chunks(32)
            .map(|c| format!("x = '{}'\n", hex::encode(c)))
            .collect();
        let body = serde_json::json!({
            "path": format!("/Shared/bench/nb{i}"),
            "format": "SOURCE",
            "language": "PYTHON",
            "content": b64.encode(text),
        });
        send(
            &mut s,
            addr,
            token,
            "POST",
            "/api/2.0/workspace/import",
            Some(body),
        )
        .await;
    }
}

/// Call the cheap endpoint until `deadline`; each latency.
async fn cheap_loop(addr: SocketAddr, token: String, deadline: Instant) -> Vec<Duration> {
    let mut s = connect(addr).await;
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let started = Instant::now();
        send(&mut s, addr, &token, "GET", "/api/2.0/token/list", None).await;
        latencies.push(started.elapsed());
    }
    latencies
}

/// Call `uri` back to back until `deadline`; each latency.
async fn heavy_loop(
    addr: SocketAddr,
    token: String,
    uri: &'static str,
    deadline: Instant,
) -> Vec<Duration> {
    let mut s = connect(addr).await;
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let started = Instant::now();
        let body = send(&mut s, addr, &token, "GET", uri, None).await;
        assert!(body.len() > MIB, "{uri} answered only {} bytes", body.len());
        latencies.push(started.elapsed());
    }
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn phase(label: &str, server: &MockServer, heavy: Option<&'static str>, duration: Duration) {
    let addr = server.addr();
    let deadline = Instant::now() + duration;
    let heavy_task =
        heavy.map(|uri| tokio::spawn(heavy_loop(addr, server.admin_token(), uri, deadline)));
    let cheap: Vec<_> = (0..CHEAP_CLIENTS)
        .map(|_| tokio::spawn(cheap_loop(addr, server.admin_token(), deadline)))
        .collect();
    let mut latencies = Vec::new();
    for t in cheap {
        latencies.extend(t.await.expect("cheap client"));
    }
    latencies.sort_unstable();
    let mut line = format!(
        "{label}: token/list x{} p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
    if let Some(task) = heavy_task {
        let mut heavy = task.await.expect("heavy client");
        heavy.sort_unstable();
        line.push_str(&format!(
            "; heavy x{} p50 {:.2} ms",
            heavy.len(),
            ms(percentile(&heavy, 0.50))
        ));
    }
    println!("{line}");
}

fn main() {
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let duration = Duration::from_secs(secs);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = MockServer::start().await.expect("start server");
        setup(server.addr(), &server.admin_token()).await;
        println!(
            "dbx-mock-server at {}; {secs} s per phase, {CHEAP_CLIENTS} cheap clients",
            server.url()
        );
        phase("(0) idle", &server, None, duration).await;
        phase(
            "(1) + DBFS read 1 MiB",
            &server,
            Some("/api/2.0/dbfs/read?path=/bench/big.bin&length=1048576"),
            duration,
        )
        .await;
        phase(
            "(2) + folder export",
            &server,
            Some("/api/2.0/workspace/export?path=/Shared/bench&format=SOURCE"),
            duration,
        )
        .await;
        server.shutdown().await;
    });
}
