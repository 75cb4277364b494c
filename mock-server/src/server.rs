//! [`MockServer`]: the emulator served over HTTP on a local socket.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::emulator::Emulator;
use crate::incoming::RequestBody;
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
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(accept_loop(listener, emulator.clone(), stopped));
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

/// Accept connections until `stopped` fires (or its sender is dropped), then let the open
/// connections finish their in-flight requests and close (graceful shutdown).
///
/// Each connection is served by hyper directly (HTTP/1.1, or HTTP/2 cleartext when the client
/// opens with the HTTP/2 preface), with [`crate::router::handle`] as its service: no axum
/// `Router`, tower layers or per-request boxing between hyper and the dispatcher (see
/// "Connections" in docs/architecture.md for what that saved).
///
/// Each connection task has its own stop signal (a `oneshot`), which it checks whenever it is
/// polled: a signal shared by every connection (hyper-util's `GracefulShutdown`, a `watch`)
/// takes a lock every connection shares on every poll, which showed up as contention between
/// the worker threads under load.
async fn accept_loop(listener: TcpListener, emulator: Emulator, stopped: oneshot::Receiver<()>) {
    let mut stopped = stopped;
    let mut connections = JoinSet::new();
    let mut stops: Vec<oneshot::Sender<()>> = Vec::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    // Forget the connections that have ended.
                    while connections.try_join_next().is_some() {}
                    stops.retain(|s| !s.is_closed());
                    let (stop, stop_rx) = oneshot::channel();
                    stops.push(stop);
                    connections.spawn(serve_connection(tcp, &emulator, stop_rx));
                }
                Err(e) => accept_failed(e).await,
            },
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    for stop in stops {
        let _ = stop.send(());
    }
    while connections.join_next().await.is_some() {}
}

/// Serve one accepted connection until it ends; `stop` asks it to finish its in-flight request
/// and close.
fn serve_connection(
    tcp: TcpStream,
    emulator: &Emulator,
    stop: oneshot::Receiver<()>,
) -> impl Future<Output = ()> + Send + 'static {
    // Small request/response pairs: do not let Nagle delay them.
    let _ = tcp.set_nodelay(true);
    // One `Arc` per connection: its requests count references on it, not on the emulator's.
    let emulator = Arc::new(emulator.clone());
    let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
        crate::router::handle(Arc::clone(&emulator), req.map(RequestBody::Hyper))
            .map(Ok::<_, Infallible>)
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // While a request is in flight, hyper (without half-close) reads the socket to see whether
    // the client hung up; that read reserves its read buffer, which the request's headers
    // still share, so it allocated a new 8 KiB buffer on every request (and copied into it).
    // With half-close the client may shut down its write side after its request and still get
    // the answer (the connection closes after it), and no read happens mid-request.
    builder.http1().half_close(true);
    let conn = builder
        .serve_connection_with_upgrades(TokioIo::new(tcp), service)
        .into_owned();
    async move {
        let mut conn = std::pin::pin!(conn);
        let mut stop = Some(stop);
        let served = std::future::poll_fn(|cx| {
            // A dropped sender (the server going away) stops the connection too.
            if let Some(rx) = stop.as_mut() {
                if rx.poll_unpin(cx).is_ready() {
                    stop = None;
                    conn.as_mut().graceful_shutdown();
                }
            }
            conn.as_mut().poll(cx)
        })
        .await;
        if let Err(e) = served {
            tracing::trace!(error = %e, "connection ended with an error");
        }
    }
}

/// An `accept` error: a connection that failed before it was accepted is skipped; anything else
/// (out of file descriptors, ...) is logged and retried after a second, as `axum::serve` does.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
