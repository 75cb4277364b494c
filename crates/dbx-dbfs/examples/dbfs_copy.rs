//! Copy one file between the local disk and DBFS, streaming, and print the throughput.
//!
//! ```text
//! DATABRICKS_HOST=https://dbc-….cloud.databricks.com DATABRICKS_TOKEN=dapi… \
//!   cargo run --release -p dbx-dbfs --example dbfs_copy -- [--overwrite] SRC DST
//! ```
//!
//! Exactly one of SRC and DST starts with `dbfs:/`. Uploads stream 1 MiB blocks through
//! `create`/`add-block`/`close`; downloads run four 1 MiB reads at a time. Memory stays at a few
//! MiB whatever the file size.
//!
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set the copy goes to an emulator
//! started in this process (handy to measure the client: `dbfs_copy big.bin dbfs:/tmp/big.bin`);
//! its files vanish on exit. Only one of the two set is an error.

use std::process::ExitCode;
use std::time::Instant;

use dbx_core::{Client, Config};
use dbx_dbfs::DbfsApi;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str =
    "usage: dbfs_copy [--overwrite] SRC DST  (exactly one of SRC/DST starts with dbfs:/; \
                     DATABRICKS_HOST and DATABRICKS_TOKEN name the workspace)";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The error and its causes, with Display.
            eprintln!("dbfs_copy: {}", dbx_core::error::Report(&*e));
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    let mut overwrite = false;
    let mut paths = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--overwrite" => overwrite = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => paths.push(arg),
        }
    }
    let [src, dst] = paths.as_slice() else {
        return Err(USAGE.into());
    };
    let upload = match (src.starts_with("dbfs:/"), dst.starts_with("dbfs:/")) {
        (false, true) => true,
        (true, false) => false,
        _ => return Err(USAGE.into()),
    };
    // Keep the emulator (if any) alive until the copy is done. Both variables name a
    // workspace, neither means the emulator; only one of them is an error rather than a guess.
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let (config, _emulator) = match (set("DATABRICKS_HOST"), set("DATABRICKS_TOKEN")) {
        (true, true) => (Config::from_env()?, None),
        (false, false) => {
            let server = dbx_mock_server::MockServer::start().await?;
            eprintln!(
                "neither DATABRICKS_HOST nor DATABRICKS_TOKEN is set: using an in-process \
                 emulator at {}",
                server.url()
            );
            let config = Config::builder()
                .host(server.url())
                .token(server.admin_token())
                .build()?;
            (config, Some(server))
        }
        (true, false) => {
            return Err(
                "DATABRICKS_HOST is set but DATABRICKS_TOKEN is not: set both to copy \
                        to or from that workspace, or unset DATABRICKS_HOST to use an \
                        in-process emulator"
                    .into(),
            )
        }
        (false, true) => {
            return Err(
                "DATABRICKS_TOKEN is set but DATABRICKS_HOST is not: set both to copy \
                        to or from a workspace, or unset DATABRICKS_TOKEN to use an \
                        in-process emulator"
                    .into(),
            )
        }
    };
    let dbfs = DbfsApi::new(Client::new(config)?);
    let started = Instant::now();
    let bytes = if upload {
        dbfs.upload_file(dst, src)
            .overwrite(overwrite)
            .send()
            .await?
            .bytes
    } else {
        if !overwrite && tokio::fs::try_exists(dst).await? {
            return Err(format!("{dst} exists; pass --overwrite to replace it").into());
        }
        dbfs.download_file(src, dst).send().await?.bytes
    };
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "{src} -> {dst}: {bytes} bytes in {secs:.2} s, {:.1} MB/s",
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}
