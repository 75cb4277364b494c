//! The route-table fuzzer of `tests/fuzz.rs`, run until a million requests have been sent
//! (or `FUZZ_REQUESTS`), in-process: prints requests, cases, failures, the slowest answer and
//! the process's peak RSS (`VmHWM` of `/proc/self/status`).
//!
//! ```text
//! cargo run -p dbx-mock-server --release --example fuzz_million   # FUZZ_SEED=.. FUZZ_REQUESTS=..
//! ```

#[path = "../tests/fuzzkit/mod.rs"]
mod fuzzkit;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use dbx_mock_server::Emulator;
use fuzzkit::mutate::Sizes;
use fuzzkit::run::fuzz;
use fuzzkit::Env;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => v.parse().ok(),
        })
        .unwrap_or(default)
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let seed = env_u64("FUZZ_SEED", 0xdb_f022);
    let target = env_u64("FUZZ_REQUESTS", 1_000_000);
    let env = Env::new(Emulator::new());
    let started = Instant::now();
    let (mut cases, mut failures, mut setup_failures) = (0u64, 0usize, 0u64);
    let mut slowest = (Duration::ZERO, String::new());
    let mut round = 0u64;
    while env.sent.load(Ordering::Relaxed) < target {
        let round_seed = seed.wrapping_add(round);
        let report = fuzz(&env, round_seed, 5_000, 500, Sizes::default()).await;
        cases += report.cases;
        setup_failures += report.setup_failures;
        for f in report.failures.iter().take(20) {
            println!(
                "FAILURE {} [{}] round seed {round_seed:#x} case {:#x}: {}",
                f.route, f.kind, f.case_seed, f.what
            );
        }
        failures += report.failures.len();
        if report.slowest > slowest.0 {
            slowest = (report.slowest, report.slowest_case);
        }
        round += 1;
        eprintln!(
            "{} requests, {cases} cases, {failures} failures, {:?}",
            env.sent.load(Ordering::Relaxed),
            started.elapsed()
        );
    }
    println!(
        "fuzz_million: seed {seed:#x}: {} requests ({cases} fuzz cases, the rest set-up and \
         consistency checks) in {:?}; {failures} failures; {setup_failures} set-ups refused; \
         slowest answer {:?} ({}); peak RSS {}",
        env.sent.load(Ordering::Relaxed),
        started.elapsed(),
        slowest.0,
        slowest.1,
        peak_rss()
    );
    if failures > 0 {
        std::process::exit(1);
    }
}
