//! `dbx-mock-server`: serve the Databricks emulator on a local socket.
//!
//! Prints `listening on http://ADDR` and an `export DATABRICKS_HOST=... DATABRICKS_TOKEN=...`
//! line on stdout, logs to stderr, and exits 0 on Ctrl-C or SIGTERM. The program itself is
//! [`dbx_mock_server::cli::run`].

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    dbx_mock_server::cli::run().await
}
