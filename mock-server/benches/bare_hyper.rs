//! The reference point for the emulator's HTTP throughput: a bare hyper HTTP/1.1 server on the
//! same tokio runtime flavour as the `dbx-mock-server` binary, answering every request with the
//! JSON body and headers the emulator's authenticated `GET /api/2.0/token/list` answers on a
//! fresh emulator (`content-type`, `x-request-id`, `content-length`, `date`). No routing, no
//! state, no authentication: what is left is the cost of the HTTP stack itself.
//!
//! `scripts/wrk_compare.sh` builds it and runs `wrk` against it and the emulator side by side.
//! Run alone with `cargo bench -p dbx-mock-server --bench bare_hyper -- --bind 127.0.0.1:PORT`
//! (default `127.0.0.1:18179`); it prints `listening on http://ADDR` and serves until killed.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{header, HeaderValue, Response};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The body of `GET /api/2.0/token/list` on a fresh emulator (same length and shape).
const BODY: &str = r#"{"token_infos":[{"comment":"dbx-mock-server admin token","creation_time":1796199427405,"expiry_time":-1,"token_id":"16c54dd0fa49d4119fe6563bc47fd1724923244ce48809014cff488da1e4fed7"}]}"#;
/// A request id of the emulator's shape (a UUID).
const REQUEST_ID: &str = "6d3ac167-f94b-43d4-b974-99b4a1b78b47";

fn answer() -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert("x-request-id", HeaderValue::from_static(REQUEST_ID));
    resp
}

fn bind_arg() -> SocketAddr {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--bind" {
            if let Some(v) = args.next() {
                return v.parse().expect("--bind HOST:PORT");
            }
        }
    }
    SocketAddr::from(([127, 0, 0, 1], 18179))
}

fn main() {
    let addr = bind_arg();
    // The same runtime `#[tokio::main]` gives the emulator binary: multi-threaded, one worker
    // per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await.expect("bind");
        println!(
            "listening on http://{}",
            listener.local_addr().expect("addr")
        );
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|_req| async { Ok::<_, Infallible>(answer()) });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
}
