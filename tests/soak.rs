//! The fault-injected soak, CI size: 64 concurrent tasks, about a thousand calls, about 30% of
//! requests faulted; the emulator's state must equal what the client reported (see
//! `soak/workload.rs`). The long run is `cargo bench -p dbx-contract-tests --bench soak`.

#[path = "soak/workload.rs"]
mod workload;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_lost_nothing_doubled_under_thirty_percent_faults() {
    let report = workload::run(&workload::SoakConfig {
        tasks: 64,
        iterations: 12,
        emulator: env!("CARGO_BIN_EXE_dbx-contract-emulator").to_owned(),
    })
    .await;
    println!("soak: {report}");
    assert!(report.calls >= 64 * 12, "{report}");
    // Faults must really have fired, on roughly the configured share of requests.
    assert!(
        report.faults_fired * 100 >= report.requests * 15,
        "too few faults: {report}"
    );
    assert!(report.retries > 0, "{report}");
}
