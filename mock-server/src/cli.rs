//! The `dbx-mock-server` command line, as a library function so that other packages can build
//! the same program as their own binary target (the contract suite does, to start the emulator
//! as a separate process from its tests).
//!
//! Prints `listening on http://ADDR` and an `export DATABRICKS_HOST=... DATABRICKS_TOKEN=...`
//! line on stdout, logs to stderr, and exits 0 on Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use crate::{Emulator, MockServer, DEFAULT_ADMIN_TOKEN};
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// A stateful, in-memory emulator of the Databricks workspace REST API.
#[derive(Debug, Parser)]
#[command(name = "dbx-mock-server", version, about)]
struct Args {
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,

    /// The admin user's personal access token.
    #[arg(long, env = "DBX_MOCK_ADMIN_TOKEN", default_value = DEFAULT_ADMIN_TOKEN, hide_env_values = true)]
    admin_token: String,

    /// Log filter (e.g. `info`, `debug`, `dbx_mock_server=trace`) [default: RUST_LOG, else info].
    #[arg(long)]
    log_level: Option<String>,
}

fn init_logging(level: Option<&str>) {
    let filter = match level {
        Some(l) => EnvFilter::try_new(l)
            .inspect_err(|e| eprintln!("warning: invalid --log-level {l:?} ({e}); using info"))
            .ok(),
        None => EnvFilter::try_from_default_env().ok(),
    }
    .unwrap_or_else(|| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
/// Register the shutdown signals now (before the address is printed, so a SIGTERM sent right
/// after start-up is never met by the default action) and return a future that completes on the
/// first of them.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

/// The whole `dbx-mock-server` program: parse the command line (`--bind`, `--admin-token`,
/// `--log-level`), serve until Ctrl-C or SIGTERM, and return the exit code.
///
/// Prints `listening on http://ADDR` as its first stdout line, then an
/// `export DATABRICKS_HOST=... DATABRICKS_TOKEN=...` line; logs go to stderr. Call it from a
/// `#[tokio::main]` function; the `dbx-mock-server` binary is exactly that, and so is the
/// contract suite's copy of it (which its tests start as a separate process).
pub async fn run() -> ExitCode {
    let args = Args::parse();
    init_logging(args.log_level.as_deref());
    if args.admin_token.trim().is_empty() {
        eprintln!("error: --admin-token must not be empty");
        return ExitCode::FAILURE;
    }
    let shutdown = match shutdown_signal() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let emulator = Emulator::builder()
        .admin_token(args.admin_token.clone())
        .build();
    // `127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:8080`, or a name such as `localhost:8080`.
    let addr: SocketAddr = match tokio::net::lookup_host(args.bind.as_str())
        .await
        .map(|mut a| a.next())
    {
        Ok(Some(addr)) => addr,
        Ok(None) | Err(_) => {
            eprintln!("error: --bind {:?} is not an address to listen on (expected HOST:PORT, e.g. 127.0.0.1:8080)", args.bind);
            return ExitCode::FAILURE;
        }
    };
    let server = match MockServer::start_with(emulator, addr).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.bind);
            return ExitCode::FAILURE;
        }
    };
    let url = server.url();
    let mut out = std::io::stdout().lock();
    let printed = writeln!(out, "listening on {url}")
        .and_then(|()| {
            writeln!(
                out,
                "export DATABRICKS_HOST={url} DATABRICKS_TOKEN={}",
                args.admin_token
            )
        })
        .and_then(|()| out.flush());
    drop(out);
    if let Err(e) = printed {
        eprintln!("error: cannot write to stdout: {e}");
    }
    tracing::info!(%url, "dbx-mock-server started");
    shutdown.await;
    tracing::info!("shutting down");
    server.shutdown().await;
    ExitCode::SUCCESS
}
