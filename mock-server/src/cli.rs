//! The `dbx-mock-server` command line, as a library function so that other packages can build
//! the same program as their own binary target (the contract suite does, to start the emulator
//! as a separate process from its tests).
//!
//! Prints `listening on http://ADDR` and an `export DATABRICKS_HOST=... DATABRICKS_TOKEN=...`
//! line on stdout, logs to stderr, and exits 0 on Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use crate::state::clusters::{
    DEFAULT_RESIZE_DELAY, DEFAULT_RESTART_DELAY, DEFAULT_START_DELAY, DEFAULT_TERMINATE_DELAY,
};
use crate::state::jobs::{
    JobDelays, DEFAULT_RUN_CLEANUP_DELAY, DEFAULT_RUN_PENDING_DELAY, DEFAULT_TASK_DURATION,
};
use crate::{ClusterDelays, Emulator, MockServer, DEFAULT_ADMIN_TOKEN};
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// A stateful, in-memory emulator of the Databricks workspace REST API.
#[derive(Debug, Parser)]
#[command(name = "dbx-mock-server", version, about)]
struct Args {
    /// Address to listen on: HOST:PORT, or :PORT / PORT for loopback (port 0: any free port).
    /// Any address but loopback needs an explicit --admin-token.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,

    /// The admin user's personal access token (also the admin routes' token when they are
    /// protected).
    #[arg(long, env = "DBX_MOCK_ADMIN_TOKEN", default_value = DEFAULT_ADMIN_TOKEN, hide_env_values = true)]
    admin_token: String,

    /// Seconds a cluster takes from PENDING (create, start) to RUNNING.
    #[arg(long, default_value_t = secs(DEFAULT_START_DELAY), value_parser = parse_secs)]
    cluster_start_secs: f64,

    /// Seconds a cluster takes from RESTARTING (restart, edit) to RUNNING.
    #[arg(long, default_value_t = secs(DEFAULT_RESTART_DELAY), value_parser = parse_secs)]
    cluster_restart_secs: f64,

    /// Seconds a cluster takes from RESIZING to RUNNING.
    #[arg(long, default_value_t = secs(DEFAULT_RESIZE_DELAY), value_parser = parse_secs)]
    cluster_resize_secs: f64,

    /// Seconds a cluster takes from TERMINATING to TERMINATED.
    #[arg(long, default_value_t = secs(DEFAULT_TERMINATE_DELAY), value_parser = parse_secs)]
    cluster_terminate_secs: f64,

    /// Seconds a job run stays PENDING (set-up) before RUNNING.
    #[arg(long, default_value_t = secs(DEFAULT_RUN_PENDING_DELAY), value_parser = parse_secs)]
    job_pending_secs: f64,

    /// Seconds one task attempt of a job run takes (unless a scripted outcome says otherwise).
    #[arg(long, default_value_t = secs(DEFAULT_TASK_DURATION), value_parser = parse_secs)]
    job_task_secs: f64,

    /// Seconds a job run takes from TERMINATING to TERMINATED.
    #[arg(long, default_value_t = secs(DEFAULT_RUN_CLEANUP_DELAY), value_parser = parse_secs)]
    job_cleanup_secs: f64,

    /// Log filter (e.g. `info`, `debug`, `dbx_mock_server=trace`) [default: RUST_LOG, else info].
    #[arg(long)]
    log_level: Option<String>,

    /// Require the admin token on the /__mock admin routes even on loopback (always on for
    /// any other address).
    #[arg(long)]
    protect_admin_routes: bool,

    /// Most bytes DBFS may hold (files and open write streams) [default: 4 GiB].
    #[arg(long, default_value_t = crate::limits::DEFAULT_MAX_DBFS_BYTES)]
    max_dbfs_bytes: u64,

    // --- Keeping and seeding state (docs/emulator.md, "Keeping and seeding state") ---
    /// Load the whole state from DIR/state.json at start (if there) and write it there on a
    /// clean shutdown and on POST /__mock/snapshot. The file holds secrets (mode 0600).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<std::path::PathBuf>,

    /// Seed a fresh state from this JSON fixture file (not applied when --state-dir already
    /// holds a state).
    #[arg(long, value_name = "FILE")]
    fixtures: Option<std::path::PathBuf>,
}

/// The builder with `--state-dir` and `--fixtures` applied; a bad fixture file is an error
/// naming the file, the entry and the reason.
fn with_state_flags(
    mut builder: crate::EmulatorBuilder,
    args: &Args,
) -> Result<crate::EmulatorBuilder, String> {
    if let Some(dir) = &args.state_dir {
        builder = builder.state_dir(dir);
    }
    if let Some(file) = &args.fixtures {
        builder = builder.fixtures(crate::Fixtures::from_path(file).map_err(|e| e.to_string())?);
    }
    Ok(builder)
}

/// On a clean shutdown, write the state to `--state-dir` (if given).
fn save_state_on_shutdown(emulator: &Emulator) -> bool {
    if emulator.state_dir().is_none() {
        return true;
    }
    match emulator.snapshot() {
        Ok(path) => {
            tracing::info!(path = %path.display(), "state saved");
            true
        }
        Err(e) => {
            eprintln!("error: cannot save the state: {e}");
            false
        }
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// A non-negative, finite number of seconds.
fn parse_secs(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=86_400.0 * 365.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0 and one year"
        )),
    }
}

/// The `--bind` value as `HOST:PORT`: `:PORT` and a bare `PORT` mean loopback
/// (`127.0.0.1:PORT`); anything else is kept as given.
fn bind_target(bind: &str) -> String {
    let bind = bind.trim();
    let port = bind.strip_prefix(':').unwrap_or(bind);
    if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
        format!("127.0.0.1:{port}")
    } else {
        bind.to_owned()
    }
}

/// Whether the admin routes need the admin token on `addr`, or why the program must not start.
///
/// On loopback only a local process can reach the emulator, and the admin routes stay open
/// unless `--protect-admin-routes` asks otherwise. On any other address (`0.0.0.0`, `::`, a LAN
/// address) anyone who can reach the port could reset the state, read the journal or mint
/// tokens, so the admin token must be chosen explicitly (the built-in default is public) and
/// the admin routes require it.
fn admin_protection(addr: SocketAddr, admin_token: &str, asked: bool) -> Result<bool, String> {
    if addr.ip().to_canonical().is_loopback() {
        return Ok(asked);
    }
    if admin_token == DEFAULT_ADMIN_TOKEN {
        return Err(format!(
            "error: refusing to listen on {addr} with the built-in admin token: it is public, and \
             on an address other than loopback anyone who can reach the port could use it. \
             Choose a token with --admin-token TOKEN (or the DBX_MOCK_ADMIN_TOKEN environment \
             variable); the /__mock admin routes then require `Authorization: Bearer TOKEN`. \
             Or listen on loopback (--bind 127.0.0.1:PORT or --bind :PORT)."
        ));
    }
    Ok(true)
}

/// ANSI colours in the log only when stderr is a terminal and `NO_COLOR` is unset or empty
/// (<https://no-color.org>).
fn log_colours() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
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
        .with_ansi(log_colours())
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
/// `--log-level`, `--cluster-{start,restart,resize,terminate}-secs`, `--job-*-secs`,
/// `--protect-admin-routes`, `--max-dbfs-bytes`), serve until Ctrl-C or SIGTERM, and return
/// the exit code. Listening on an address other than loopback needs an explicit admin token and
/// protects the admin routes with it.
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
    // `127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:8080`, a name such as `localhost:8080`, or
    // `:8080` / `8080` for loopback.
    let target = bind_target(&args.bind);
    let addr: SocketAddr = match tokio::net::lookup_host(target.as_str())
        .await
        .map(|mut a| a.next())
    {
        Ok(Some(addr)) => addr,
        Ok(None) | Err(_) => {
            eprintln!("error: --bind {:?} is not an address to listen on (expected HOST:PORT, :PORT or PORT, e.g. 127.0.0.1:8080)", args.bind);
            return ExitCode::FAILURE;
        }
    };
    let protect = match admin_protection(addr, &args.admin_token, args.protect_admin_routes) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let builder = Emulator::builder()
        .admin_token(args.admin_token.clone())
        .protect_admin_routes(protect)
        .max_dbfs_bytes(args.max_dbfs_bytes)
        .cluster_delays(ClusterDelays {
            start: Duration::from_secs_f64(args.cluster_start_secs),
            restart: Duration::from_secs_f64(args.cluster_restart_secs),
            resize: Duration::from_secs_f64(args.cluster_resize_secs),
            terminate: Duration::from_secs_f64(args.cluster_terminate_secs),
        })
        .job_delays(JobDelays {
            pending: Duration::from_secs_f64(args.job_pending_secs),
            task: Duration::from_secs_f64(args.job_task_secs),
            cleanup: Duration::from_secs_f64(args.job_cleanup_secs),
        });
    let emulator = match with_state_flags(builder, &args)
        .and_then(|b| b.try_build().map_err(|e| e.to_string()))
    {
        Ok(emu) => emu,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match MockServer::start_with(emulator.clone(), addr).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.bind);
            return ExitCode::FAILURE;
        }
    };
    let url = server.url();
    // Logged before the address is printed: whoever waits for the first stdout line (a test, a
    // script) finds these lines already written, even if it stops the process at once.
    tracing::info!(%url, "dbx-mock-server started");
    if protect {
        tracing::info!(
            "the /__mock admin routes require the admin token (Authorization: Bearer <admin token>); GET /__mock/health stays open"
        );
    } else {
        tracing::info!("the /__mock admin routes are open (loopback only)");
    }
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
    shutdown.await;
    tracing::info!("shutting down");
    server.shutdown().await;
    if !save_state_on_shutdown(&emulator) {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_alone_means_loopback() {
        assert_eq!(bind_target(":0"), "127.0.0.1:0");
        assert_eq!(bind_target("8080"), "127.0.0.1:8080");
        assert_eq!(bind_target(" :8080 "), "127.0.0.1:8080");
        assert_eq!(bind_target("0.0.0.0:80"), "0.0.0.0:80");
        assert_eq!(bind_target("[::1]:80"), "[::1]:80");
        assert_eq!(bind_target("localhost:1"), "localhost:1");
        assert_eq!(bind_target(":"), ":");
        assert_eq!(bind_target(":x"), ":x");
    }

    #[test]
    fn only_loopback_may_use_the_built_in_token_and_open_admin_routes() {
        let local: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        let local6: SocketAddr = "[::1]:1".parse().expect("addr");
        let any: SocketAddr = "0.0.0.0:1".parse().expect("addr");
        let any6: SocketAddr = "[::]:1".parse().expect("addr");
        let lan: SocketAddr = "192.168.1.20:1".parse().expect("addr");
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:1".parse().expect("addr");
        assert_eq!(
            admin_protection(mapped, DEFAULT_ADMIN_TOKEN, false),
            Ok(false)
        );
        assert_eq!(
            admin_protection(local, DEFAULT_ADMIN_TOKEN, false),
            Ok(false)
        );
        assert_eq!(
            admin_protection(local6, DEFAULT_ADMIN_TOKEN, true),
            Ok(true)
        );
        for addr in [any, any6, lan] {
            let e = admin_protection(addr, DEFAULT_ADMIN_TOKEN, false).expect_err("refused");
            assert!(e.contains("--admin-token"), "{e}");
            assert!(e.contains("DBX_MOCK_ADMIN_TOKEN"), "{e}");
            assert_eq!(admin_protection(addr, "dapi-chosen", false), Ok(true));
        }
    }
}
