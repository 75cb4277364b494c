//! `dbx-contract-emulator`: the `dbx-mock-server` program, built inside the contract-test package
//! so its integration tests can start the emulator as a separate process
//! (`env!("CARGO_BIN_EXE_dbx-contract-emulator")`) and reach it over HTTP like a remote
//! workspace. Same flags, same output: see [`dbx_mock_server::cli::run`].

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    dbx_mock_server::cli::run().await
}
