//! `dbx-mock-server`: serve the Databricks emulator on a local socket.
//!
//! Prints `listening on http://ADDR` and an `export DATABRICKS_HOST=... DATABRICKS_TOKEN=...`
//! line on stdout, logs to stderr, and exits 0 on Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use dbx_mock_server::{Emulator, MockServer, DEFAULT_ADMIN_TOKEN};
use tracing_subscriber::EnvFilter;

/// A stateful, in-memory emulator of the Databricks workspace REST API.
#[derive(Debug, Parser)]
#[command(name = "dbx-mock-server", version, about)]
struct Args {
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,

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
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.log_level.as_deref());
    if args.admin_token.trim().is_empty() {
        eprintln!("error: --admin-token must not be empty");
        return ExitCode::FAILURE;
    }
    let emulator = Emulator::builder()
        .admin_token(args.admin_token.clone())
        .build();
    let server = match MockServer::start_with(emulator, args.bind).await {
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
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    ExitCode::SUCCESS
}
