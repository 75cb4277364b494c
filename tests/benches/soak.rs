//! The long soak: the same workload as `tests/soak.rs`, for longer, printing its figures.
//!
//! ```sh
//! cargo bench -p dbx-contract-tests --bench soak                 # about two minutes
//! DBX_SOAK_ROUNDS=1 DBX_SOAK_ITERATIONS=40 cargo bench -p dbx-contract-tests --bench soak
//! ```
//!
//! Each round starts a fresh emulator, runs 64 tasks of `DBX_SOAK_ITERATIONS` operations
//! (default 60) under ~30% faults and reconciles; it prints calls, faults fired, retries,
//! outcome-unknown count, duration and the emulator's peak RSS (VmHWM).

#[path = "../soak/workload.rs"]
mod workload;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo test --benches` runs this in test mode with `--bench` absent: stay short there.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick {
        1
    } else {
        env_or("DBX_SOAK_ROUNDS", 3)
    };
    let iterations = if quick {
        2
    } else {
        env_or("DBX_SOAK_ITERATIONS", 60)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let cfg = workload::SoakConfig {
        tasks: 64,
        iterations,
        emulator: env!("CARGO_BIN_EXE_dbx-contract-emulator").to_owned(),
    };
    let started = std::time::Instant::now();
    for round in 1..=rounds {
        let report = rt.block_on(workload::run(&cfg));
        println!("soak round {round}/{rounds}: {report}");
    }
    println!(
        "soak: {rounds} rounds in {:.1?}, no difference found",
        started.elapsed()
    );
}
