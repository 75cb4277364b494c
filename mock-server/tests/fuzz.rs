//! Fuzzing the emulator from its own route table (`tests/fuzzkit/`): for every route, valid
//! requests and mutated ones (see `fuzzkit/mutate.rs` for the mutation kinds). Invariants on
//! every answer: no 5xx (faults off), no panic, a request id, the Databricks envelope (or the
//! SCIM error body on a SCIM route, the OAuth error on `/oidc`) with a message for every 4xx;
//! and afterwards every family still answers a create/get/list/delete round trip with listings
//! whose counts match what they return. `examples/fuzz_million.rs` runs the same loop for a
//! million requests.

mod fuzzkit;

use std::time::Instant;

use dbx_mock_server::{route_table, Emulator};
use fuzzkit::mutate::{Sizes, KINDS};
use fuzzkit::run::{consistency, fuzz, run_case, Report};
use fuzzkit::{route_key, Env};

fn assert_clean(report: &Report) {
    let lines: Vec<String> = report
        .failures
        .iter()
        .take(40)
        .map(|f| {
            format!(
                "{} [{}] case {:#x}: {}",
                f.route, f.kind, f.case_seed, f.what
            )
        })
        .collect();
    assert!(
        report.failures.is_empty(),
        "{} failures:\n{}",
        report.failures.len(),
        lines.join("\n")
    );
}

/// Every route × every mutation kind at least once (deterministic), then random cases.
#[tokio::test(flavor = "current_thread")]
async fn every_route_survives_every_mutation_kind() {
    let started = Instant::now();
    let env = Env::new(Emulator::new());
    let routes = route_table();
    let mut report = Report::default();
    for (i, r) in routes.iter().enumerate() {
        // A fresh state per route (20 cases of the secrets routes make 20 scopes; the
        // workspace allows 100).
        for (k, kind) in KINDS.iter().enumerate() {
            let seed = fuzzkit::run::case_seed(0x5eed, (i * KINDS.len() + k) as u64);
            run_case(&env, r, seed, Some(kind), Sizes::default(), &mut report).await;
        }
        {
            let broken = consistency(&env).await;
            assert!(broken.is_empty(), "after {}: {broken:?}", route_key(r));
            env.emu.reset();
        }
    }
    let broken = consistency(&env).await;
    assert!(broken.is_empty(), "after the run: {broken:?}");
    println!(
        "fuzz (every route x every kind): {} routes, {} cases, {} requests, {} setup failures, \
         slowest {:?} ({}), {:?}",
        routes.len(),
        report.cases,
        env.sent.load(std::sync::atomic::Ordering::Relaxed),
        report.setup_failures,
        report.slowest,
        report.slowest_case,
        started.elapsed()
    );
    assert_clean(&report);
}

/// Random cases over the table with a fixed seed; a consistency check every 250 cases.
#[tokio::test(flavor = "current_thread")]
async fn seeded_random_fuzzing_keeps_invariants() {
    let started = Instant::now();
    let env = Env::new(Emulator::new());
    let report = fuzz(&env, 0xdb_f022, 1500, 250, Sizes::default()).await;
    println!(
        "fuzz (random): {} cases, {} requests, {} setup failures, slowest {:?} ({}), {:?}",
        report.cases,
        env.sent.load(std::sync::atomic::Ordering::Relaxed),
        report.setup_failures,
        report.slowest,
        report.slowest_case,
        started.elapsed()
    );
    assert_clean(&report);
}

/// Found by `examples/fuzz_million.rs` (a `huge-number` mutation of a cluster size): a
/// cluster of 4 294 967 296 workers was accepted, and the next `clusters/list` tried to build
/// one executor entry per worker and aborted the process on a 128 GiB allocation.
#[tokio::test(flavor = "current_thread")]
async fn huge_cluster_sizes_are_refused() {
    use http::Method;
    use serde_json::json;
    let env = Env::new(Emulator::new());
    let spec = |size: serde_json::Value| {
        let mut s = json!({"cluster_name": "big", "spark_version": "15.4.x-scala2.12",
                           "node_type_id": "m5d.large"});
        s.as_object_mut()
            .expect("object")
            .extend(size.as_object().cloned().unwrap_or_default());
        s
    };
    for size in [
        json!({"num_workers": 4_294_967_296_i64}),
        json!({"num_workers": i64::MAX}),
        json!({"autoscale": {"min_workers": 1, "max_workers": 4_294_967_296_i64}}),
    ] {
        let err = env
            .admin(Method::POST, "/api/2.0/clusters/create", spec(size.clone()))
            .await
            .expect_err("refused");
        assert!(
            err.contains("400") && err.contains("INVALID_PARAMETER_VALUE"),
            "{size}: {err}"
        );
    }
    let c = env
        .admin(
            Method::POST,
            "/api/2.0/clusters/create",
            spec(json!({"num_workers": 1})),
        )
        .await
        .expect("cluster");
    let id = c["cluster_id"].clone();
    env.admin(Method::POST, "/__mock/clusters/finish", json!({}))
        .await
        .expect("finish");
    for (path, body) in [
        (
            "clusters/resize",
            json!({"cluster_id": id, "num_workers": 4_294_967_296_i64}),
        ),
        (
            "clusters/update",
            json!({"cluster_id": id, "update_mask": "num_workers",
                                   "cluster": {"num_workers": 4_294_967_296_i64}}),
        ),
    ] {
        let err = env
            .admin(Method::POST, &format!("/api/2.0/{path}"), body)
            .await
            .expect_err("refused");
        assert!(err.contains("400"), "{path}: {err}");
    }
    // The largest size allowed still answers get and list.
    env.admin(
        Method::POST,
        "/api/2.0/clusters/resize",
        json!({"cluster_id": id, "num_workers": 100_000}),
    )
    .await
    .expect("resize");
    env.admin(Method::POST, "/__mock/clusters/finish", json!({}))
        .await
        .expect("finish");
    env.admin(Method::GET, "/api/2.0/clusters/list", json!({}))
        .await
        .expect("list");
}

/// Found by `examples/fuzz_million.rs` (`huge-number` mutations of `POST /__mock/clock`, then
/// a `token/create`): with the clock at `i64::MAX` a token with a lifetime expired the instant
/// it was made and `token/create` answered 500 "token vanished after creation".
#[tokio::test(flavor = "current_thread")]
async fn the_clock_stays_within_years_1970_to_9999() {
    use http::Method;
    use serde_json::json;
    let env = Env::new(Emulator::new());
    for body in [
        json!({"set_ms": i64::MAX}),
        json!({"set_ms": -1}),
        json!({"advance_ms": i64::MAX}),
        json!({"set_ms": 253_402_300_799_000_i64, "advance_ms": 1000}),
    ] {
        let err = env
            .admin(Method::POST, "/__mock/clock", body.clone())
            .await
            .expect_err("refused");
        assert!(
            err.contains("400") && err.contains("INVALID_PARAMETER_VALUE"),
            "{body}: {err}"
        );
    }
    // The last instant allowed still issues tokens with a lifetime.
    env.admin(
        Method::POST,
        "/__mock/clock",
        json!({"set_ms": 253_402_300_799_999_i64}),
    )
    .await
    .expect("end of year 9999");
    let t = env
        .admin(
            Method::POST,
            "/api/2.0/token/create",
            json!({"lifetime_seconds": 3600}),
        )
        .await
        .expect("token");
    assert!(t["token_value"].is_string(), "{t}");
}

/// Found by `examples/fuzz_million.rs` (a `huge-string` mutation of `workspace/mkdirs`, then
/// an export of its parent): a zip entry name longer than 65 535 bytes made the zip crate
/// panic, and again while dropping its writer, which aborted the whole process.
#[tokio::test(flavor = "current_thread")]
async fn exporting_a_tree_with_a_huge_name_is_refused() {
    use http::Method;
    use serde_json::json;
    let env = Env::new(Emulator::new());
    let long = "é".repeat(40_000);
    env.admin(
        Method::POST,
        "/api/2.0/workspace/mkdirs",
        json!({"path": format!("/Shared/d/{long}")}),
    )
    .await
    .expect("mkdirs");
    for format in ["DBC", "SOURCE", "AUTO"] {
        let sample = fuzzkit::Sample {
            method: Method::GET,
            path: "/api/2.0/workspace/export".into(),
            params: json!({"path": "/Shared/d", "format": format})
                .as_object()
                .cloned()
                .expect("object"),
            enc: fuzzkit::Enc::Query,
        };
        let resp = env
            .send(&sample, &fuzzkit::Cred::Bearer(env.emu.admin_token()))
            .await;
        assert!(
            resp.status < 500,
            "{format}: {} {:?}",
            resp.status,
            resp.json
        );
        fuzzkit::check_answer(&resp, "api", false, true).expect("error shape");
    }
    let resp = env
        .admin(
            Method::GET,
            "/api/2.0/workspace/export",
            json!({"path": "/Shared/d", "format": "DBC"}),
        )
        .await
        .expect_err("refused");
    assert!(resp.contains("400") && resp.contains("65535"), "{resp}");
    // The emulator is still alive and answers.
    env.admin(
        Method::GET,
        "/api/2.0/workspace/list",
        json!({"path": "/Shared"}),
    )
    .await
    .expect("list");
}
