//! `runs/list` with many runs in the emulator: submits `BENCH_RUNS` (default 100 000) one-task
//! runs through the in-process transport on a frozen clock, lets them all finish (one settle),
//! then times the first page of `GET /api/2.2/jobs/runs/list` (newest first, 25 runs) with and
//! without a `job_id` filter, and a `runs/get`.
//!
//! Run with `cargo bench -p dbx-mock-server --bench jobs_runs`.

use std::time::{Duration, Instant};

use bytes::Bytes;
use dbx_core::Transport;
use dbx_mock_server::Emulator;
use serde_json::{json, Value};

async fn call(t: &impl Transport, emu: &Emulator, method: &str, path: &str, body: Value) -> Value {
    let req = http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", emu.base_url()))
        .header("authorization", format!("Bearer {}", emu.admin_token()))
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .expect("request");
    let resp = t.send(req).await.expect("send");
    assert_eq!(resp.status(), 200, "{method} {path}");
    serde_json::from_slice(resp.body()).expect("json")
}

fn stats(label: &str, mut v: Vec<Duration>) {
    v.sort();
    let p = |q: f64| v[((v.len() as f64 - 1.0) * q) as usize];
    println!(
        "{label}: n={} p50={:?} p99={:?} max={:?}",
        v.len(),
        p(0.5),
        p(0.99),
        p(1.0)
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let emu = Emulator::new();
    emu.clock().freeze();
    let t = emu.transport();
    let cluster = call(
        &t,
        &emu,
        "POST",
        "/api/2.1/clusters/create",
        json!({"cluster_name": "bench", "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1}),
    )
    .await["cluster_id"]
        .clone();
    let job = call(
        &t,
        &emu,
        "POST",
        "/api/2.2/jobs/create",
        json!({"name": "bench", "max_concurrent_runs": 1000, "queue": {"enabled": false},
               "tasks": [{"task_key": "t", "existing_cluster_id": cluster, "spark_python_task": {"python_file": "dbfs:/a.py"}}]}),
    )
    .await["job_id"]
        .clone();
    let started = Instant::now();
    for i in 0..n {
        if i % 100 == 0 {
            call(
                &t,
                &emu,
                "POST",
                "/api/2.2/jobs/run-now",
                json!({"job_id": job}),
            )
            .await;
        } else {
            call(
                &t,
                &emu,
                "POST",
                "/api/2.2/jobs/runs/submit",
                json!({"run_name": format!("r{i}"), "tasks": [{"task_key": "t", "existing_cluster_id": cluster,
                       "spark_python_task": {"python_file": "dbfs:/a.py"}}]}),
            )
            .await;
        }
        if i % 1000 == 999 {
            emu.clock().advance(Duration::from_millis(1));
        }
    }
    println!("created {n} runs in {:?}", started.elapsed());
    emu.clock().advance(Duration::from_secs(3600));
    let started = Instant::now();
    emu.settle();
    println!("settled {n} runs to TERMINATED in {:?}", started.elapsed());
    for (label, path) in [
        (
            "runs/list first page (25 runs)",
            "/api/2.2/jobs/runs/list?limit=25".to_owned(),
        ),
        (
            "runs/list first page, expand_tasks",
            "/api/2.2/jobs/runs/list?limit=25&expand_tasks=true".to_owned(),
        ),
        (
            "runs/list first page of one job (1 run in 100)",
            format!("/api/2.2/jobs/runs/list?limit=25&job_id={job}"),
        ),
    ] {
        let mut lat = Vec::new();
        for _ in 0..200 {
            let s = Instant::now();
            let page = call(&t, &emu, "GET", &path, json!({})).await;
            lat.push(s.elapsed());
            assert_eq!(page["runs"].as_array().map(Vec::len), Some(25));
        }
        stats(label, lat);
    }
}
