//! Throughput of the emulator over loopback HTTP/1.1: authenticated `GET /api/2.0/token/list`
//! on (a) one keep-alive connection, sequentially, and (b) 64 concurrent keep-alive connections;
//! and (c) the same request through the in-process transport (no socket), sequentially.
//! `scripts/wrk_compare.sh` measures the server with `wrk` instead, next to a bare hyper server.
//!
//! Run with `cargo bench -p dbx-mock-server --bench throughput`; `BENCH_SECS` (default 5) sets
//! the duration of each phase.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use dbx_core::transport::Transport;
use dbx_mock_server::MockServer;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Send requests on one keep-alive connection until `deadline`; returns each latency.
async fn client_loop(addr: SocketAddr, token: String, deadline: Instant) -> Vec<Duration> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let authorization = format!("Bearer {token}");
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let req = http::Request::get("/api/2.0/token/list")
            .header("host", addr.to_string())
            .header("authorization", &authorization)
            .body(Empty::<Bytes>::new())
            .expect("request");
        let started = Instant::now();
        sender.ready().await.expect("connection ready");
        let resp = sender.send_request(req).await.expect("response");
        let status = resp.status();
        resp.into_body().collect().await.expect("body");
        latencies.push(started.elapsed());
        assert_eq!(status, 200, "unexpected status");
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

async fn phase(label: &str, server: &MockServer, connections: usize, duration: Duration) {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(client_loop(server.addr(), server.admin_token(), deadline)))
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("client task"));
    }
    report(label, latencies, started.elapsed());
}

/// Print `label`'s request count, rate and latency percentiles.
fn report(label: &str, mut latencies: Vec<Duration>, elapsed: Duration) {
    latencies.sort_unstable();
    println!(
        "{label}: {} requests in {:.2} s = {:.0} req/s; latency p50 {:?}, p99 {:?}",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
    );
}

/// (c): the in-process transport, one request after another, until `duration` has passed.
async fn in_process(server: &MockServer, duration: Duration) {
    let transport = server.transport();
    let url = format!("{}/api/2.0/token/list", server.emulator().base_url());
    let authorization = format!("Bearer {}", server.admin_token());
    let started = Instant::now();
    let mut latencies = Vec::new();
    while started.elapsed() < duration {
        let req = http::Request::get(url.as_str())
            .header("authorization", &authorization)
            .body(Bytes::new())
            .expect("request");
        let t = Instant::now();
        let resp = transport.send(req).await.expect("response");
        latencies.push(t.elapsed());
        assert_eq!(resp.status(), 200, "unexpected status");
    }
    report(
        "(c) in-process transport, sequential",
        latencies,
        started.elapsed(),
    );
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
        println!("dbx-mock-server at {}; {secs} s per phase", server.url());
        phase("(a) 1 connection, sequential", &server, 1, duration).await;
        phase("(b) 64 concurrent connections", &server, 64, duration).await;
        in_process(&server, duration).await;
        server.shutdown().await;
    });
}
