//! [`MockServer`]: the emulator served over HTTP on a local socket.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::emulator::Emulator;
use crate::transport::InProcessTransport;

/// How long [`MockServer::shutdown`] waits for in-flight requests before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// An [`Emulator`] listening on a TCP socket (HTTP/1.1 and HTTP/2 cleartext).
///
/// Dropping the server stops it: it stops accepting, closes idle connections and finishes
/// in-flight requests in the background. [`MockServer::shutdown`] does the same and waits.
#[derive(Debug)]
pub struct MockServer {
    emulator: Emulator,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Start a fresh [`Emulator`] on `127.0.0.1` with a port chosen by the OS.
    pub async fn start() -> io::Result<Self> {
        Self::start_with(Emulator::new(), SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Serve `emulator` on `addr` (port 0: chosen by the OS). Must be called inside a tokio
    /// runtime; the server runs as a task on it.
    pub async fn start_with(emulator: Emulator, addr: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let listener = listener.tap_io(|tcp| {
            // Small request/response pairs: do not let Nagle delay them.
            let _ = tcp.set_nodelay(true);
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let router = emulator.router();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "dbx-mock-server stopped with an error");
            }
        });
        Ok(Self {
            emulator,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The admin token.
    pub fn admin_token(&self) -> String {
        self.emulator.admin_token()
    }

    /// The emulator behind the socket (for seeding state, faults, the clock, the journal).
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// An in-process transport to the same emulator (no socket).
    pub fn transport(&self) -> InProcessTransport {
        self.emulator.transport()
    }

    /// Stop accepting, let in-flight requests finish (at most 5 s, then abort them) and wait for
    /// the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
