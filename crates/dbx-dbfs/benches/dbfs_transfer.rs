//! DBFS transfer benchmark: stream a file to the emulator over loopback HTTP and back.
//!
//! ```text
//! cargo build --release -p dbx-mock-server      # the emulator runs as its own process
//! cargo bench -p dbx-dbfs --bench dbfs_transfer  # 256 MiB; DBFS_BENCH_MIB=64 for less
//! ```
//!
//! The client side reads from a generator and writes into a checksumming sink, so its memory is
//! the transfer machinery only. The emulator is `target/release/dbx-mock-server` started with
//! `--bind 127.0.0.1:0` (override with `DBX_MOCK_SERVER_BIN`); if it is missing the emulator
//! runs in this process and only a combined peak RSS is reported. Peak RSS is `VmHWM` from
//! `/proc/<pid>/status`, reset between phases through `/proc/<pid>/clear_refs`.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::task::{Context, Poll};
use std::time::Instant;

use dbx_core::{Client, Config};
use dbx_dbfs::DbfsApi;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const MIB: u64 = 1 << 20;

/// Pseudo-random bytes (xorshift) with a running checksum, produced on the fly.
struct Generator {
    left: u64,
    state: u64,
    sum: u64,
}

impl AsyncRead for Generator {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        // Whole 8-byte words (sizes are multiples of 8), so the checksum sees the same words
        // as the sink does.
        let n = ((buf.remaining() as u64).min(self.left) as usize / 8 * 8)
            .max(self.left.min(8) as usize);
        let mut state = self.state;
        let dst = buf.initialize_unfilled_to(n);
        for word in dst.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        let sum = checksum(self.sum, dst);
        buf.advance(n);
        self.state = state;
        self.sum = sum;
        self.left -= n as u64;
        Poll::Ready(Ok(()))
    }
}

/// A sink that only counts and checksums.
#[derive(Default)]
struct Sink {
    bytes: u64,
    sum: u64,
}

impl AsyncWrite for Sink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.sum = checksum(self.sum, buf);
        self.bytes += buf.len() as u64;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Order-sensitive FNV-style checksum over 8-byte words (fast, enough to catch reordering).
fn checksum(mut sum: u64, data: &[u8]) -> u64 {
    for word in data.chunks(8) {
        let mut w = [0u8; 8];
        w[..word.len()].copy_from_slice(word);
        sum = (sum ^ u64::from_le_bytes(w)).wrapping_mul(0x0100_0000_01b3);
    }
    sum
}

/// `VmHWM` (peak RSS) of `pid` in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reset the peak RSS of `pid` to its current RSS (Linux `clear_refs` 5).
fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "n/a".to_owned(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

fn server_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("DBX_MOCK_SERVER_BIN") {
        return p.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("release/dbx-mock-server")
}

/// The emulator as a child process: its URL, the child, and its stdout (kept open so the
/// server's later output does not hit a closed pipe).
fn spawn_server() -> Result<Option<(String, Child, BufReader<ChildStdout>)>, BoxError> {
    let bin = server_binary();
    if !bin.exists() {
        return Ok(None);
    }
    let mut child = Command::new(&bin)
        .args(["--bind", "127.0.0.1:0", "--log-level", "warn"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stdout = BufReader::new(stdout);
    let mut line = String::new();
    stdout.read_line(&mut line)?;
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| format!("unexpected first line from {}: {line:?}", bin.display()))?
        .to_owned();
    Ok(Some((url, child, stdout)))
}

struct Server {
    url: String,
    pid: Option<u32>,
    child: Option<Child>,
    _stdout: Option<BufReader<ChildStdout>>,
    _in_process: Option<dbx_mock_server::MockServer>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let size_mib: u64 = std::env::var("DBFS_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let concurrency: usize = std::env::var("DBFS_BENCH_READS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let size = size_mib * MIB;
    let server = match spawn_server()? {
        Some((url, child, stdout)) => Server {
            url,
            pid: Some(child.id()),
            child: Some(child),
            _stdout: Some(stdout),
            _in_process: None,
        },
        None => {
            eprintln!(
                "note: {} not found; running the emulator in this process \
                 (build it with `cargo build --release -p dbx-mock-server`)",
                server_binary().display()
            );
            let s = dbx_mock_server::MockServer::start().await?;
            Server {
                url: s.url(),
                pid: None,
                child: None,
                _stdout: None,
                _in_process: Some(s),
            }
        }
    };
    let config = Config::builder()
        .host(server.url.as_str())
        .token(dbx_mock_server::DEFAULT_ADMIN_TOKEN)
        .build()?;
    let dbfs = DbfsApi::new(Client::new(config)?);
    let me = std::process::id();
    println!(
        "DBFS transfer of {size_mib} MiB over loopback HTTP to {} ({})",
        server.url,
        if server.pid.is_some() {
            "emulator in its own process"
        } else {
            "emulator in this process"
        }
    );

    // Warm the connection.
    dbfs.mkdirs("/bench").await?;

    reset_peak(me);
    let mut source = Generator {
        left: size,
        state: 0x1234_5678_9abc_def1,
        sum: 0,
    };
    let started = Instant::now();
    let up = dbfs
        .upload("dbfs:/bench/file.bin", &mut source)
        .overwrite(dbx_core::Overwrite::Yes)
        .send()
        .await?;
    let up_secs = started.elapsed().as_secs_f64();
    let up_client = peak_rss_kib(me);
    let up_server = server.pid.and_then(peak_rss_kib);

    reset_peak(me);
    if let Some(pid) = server.pid {
        reset_peak(pid);
    }
    let mut sink = Sink::default();
    let started = Instant::now();
    let down = dbfs
        .download("dbfs:/bench/file.bin", &mut sink)
        .concurrency(concurrency)
        .send()
        .await?;
    let down_secs = started.elapsed().as_secs_f64();
    let down_client = peak_rss_kib(me);
    let down_server = server.pid.and_then(peak_rss_kib);

    let ok = up.bytes == size && down.bytes == size && sink.sum == source.sum;
    let rate = |secs: f64| size as f64 / 1e6 / secs;
    println!(
        "upload:   {:>7.1} MB/s ({:.2} s, {} blocks)  peak RSS client {}, emulator {}",
        rate(up_secs),
        up_secs,
        up.blocks,
        mib(up_client),
        mib(up_server)
    );
    println!(
        "download: {:>7.1} MB/s ({:.2} s, {} reads, {} in flight)  peak RSS client {}, emulator {}",
        rate(down_secs),
        down_secs,
        down.reads,
        concurrency,
        mib(down_client),
        mib(down_server)
    );
    println!(
        "integrity: {}",
        if ok {
            "ok (sizes and checksums match)"
        } else {
            "MISMATCH"
        }
    );
    dbfs.delete_recursive("/bench").await?;
    if !ok {
        return Err("the downloaded bytes differ from the uploaded ones".into());
    }
    Ok(())
}
