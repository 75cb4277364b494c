//! `MockServer` over a real loopback socket.

use dbx_mock_server::{Emulator, MockServer, DEFAULT_ADMIN_TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 request with `Connection: close`; returns the raw response.
async fn raw_http(addr: std::net::SocketAddr, request: String) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn serves_http_on_loopback_and_shuts_down() {
    let server = MockServer::start().await.expect("start");
    let url = server.url();
    assert_eq!(url, format!("http://127.0.0.1:{}", server.addr().port()));
    assert_eq!(server.admin_token(), DEFAULT_ADMIN_TOKEN);
    // GET with a JSON body over a real connection.
    let body = r#"{"attributes":"userName"}"#;
    let resp = raw_http(
        server.addr(),
        format!(
            "GET /api/2.0/preview/scim/v2/Me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {DEFAULT_ADMIN_TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
    assert!(
        resp.contains("\"userName\":\"admin@example.com\""),
        "{resp}"
    );
    assert!(!resp.contains("emails"), "{resp}");
    // The socket and the emulator share state.
    assert_eq!(server.emulator().journal().len(), 1);
    let addr = server.addr();
    server.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err(), "listener closed");
}

#[tokio::test]
async fn discovery_over_the_socket_uses_the_host_header() {
    let emu = Emulator::new();
    let server = MockServer::start_with(emu.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start");
    let host = server.addr().to_string();
    let resp = raw_http(
        server.addr(),
        format!(
            "GET /oidc/.well-known/oauth-authorization-server HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(
        resp.contains(&format!(
            "\"token_endpoint\":\"http://{host}/oidc/v1/token\""
        )),
        "{resp}"
    );
    assert_eq!(
        emu.journal().len(),
        1,
        "the clone passed in is the served emulator"
    );
    drop(server);
}

/// A client that shuts down its sending side right after its request (a half-close) still
/// gets the answer, and the connection then closes (the server runs hyper with half-close on;
/// see `server.rs`). `token/list` runs as a read handler, here over a real socket.
#[tokio::test]
async fn a_half_closed_client_still_gets_its_answer() {
    let server = MockServer::start().await.expect("start");
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    let request = format!(
        "GET /api/2.0/token/list HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {DEFAULT_ADMIN_TOKEN}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.shutdown().await.expect("half-close");
    let mut out = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut out),
    )
    .await
    .expect("the server closes the connection after answering")
    .expect("read");
    let resp = String::from_utf8_lossy(&out);
    assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
    assert!(
        resp.contains(r#""comment":"dbx-mock-server admin token""#),
        "{resp}"
    );
    server.shutdown().await;
}
