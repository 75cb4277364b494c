//! Keep-alive connections survive every error answer, over a real socket.
//!
//! Each early-error path (no token, bad token, unknown route, bad API version, a path outside
//! every area, an injected fault, an unknown admin or OAuth route) answers before the handler
//! reads the body; the emulator must still read and discard that body, so the next request on
//! the same connection works. A body over the limit cannot be drained: the answer then says
//! `Connection: close` and the emulator closes the connection.

use std::time::Duration;

use dbx_mock_server::{Emulator, Fault, MockServer, DEFAULT_ADMIN_TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 answer read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(server: &MockServer) -> Self {
        let stream = TcpStream::connect(server.addr()).await.expect("connect");
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    /// Send a request with `body` (`Content-Length` set) and read the answer.
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> std::io::Result<Answer> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n",
            body.len()
        );
        if let Some(t) = token {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        head.push_str("\r\n");
        self.stream.write_all(head.as_bytes()).await?;
        self.stream.write_all(body).await?;
        self.read_answer().await
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut chunk))
            .await
            .map_err(|_| std::io::Error::other("timed out"))??;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn read_answer(&mut self) -> std::io::Result<Answer> {
        let end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while self.buf.len() < len {
            self.fill().await?;
        }
        let body = String::from_utf8_lossy(&self.buf[..len]).into_owned();
        self.buf.drain(..len);
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// The connection is still usable: an authenticated call on it answers 200.
    async fn still_works(&mut self, after: &str) {
        let a = self
            .send("GET", "/api/2.0/token/list", Some(DEFAULT_ADMIN_TOKEN), b"")
            .await
            .unwrap_or_else(|e| panic!("connection broken after {after}: {e}"));
        assert_eq!(a.status, 200, "after {after}: {a:?}");
    }
}

fn body_of(len: usize) -> Vec<u8> {
    let mut body = b"{\"scope\":\"s\",\"key\":\"k\",\"string_value\":\"".to_vec();
    body.resize(len.saturating_sub(2).max(body.len()), b'x');
    body.extend_from_slice(b"\"}");
    body
}

#[tokio::test]
async fn every_early_error_leaves_the_connection_usable() {
    let server = MockServer::start().await.expect("start");
    server.emulator().add_fault(
        Fault::on("/api/2.0/workspace/mkdirs")
            .method("POST")
            .status(503),
    );
    let cases: [(&str, &str, Option<&str>, u16); 9] = [
        ("POST", "/api/2.0/secrets/put", None, 401),
        (
            "POST",
            "/api/2.0/secrets/put",
            Some("dapi-not-a-token"),
            403,
        ),
        (
            "POST",
            "/api/2.0/no/such/route",
            Some(DEFAULT_ADMIN_TOKEN),
            404,
        ),
        (
            "POST",
            "/api/9.9/secrets/put",
            Some(DEFAULT_ADMIN_TOKEN),
            404,
        ),
        ("POST", "/not-an-api/x", Some(DEFAULT_ADMIN_TOKEN), 404),
        (
            "POST",
            "/api/2.0/workspace/mkdirs",
            Some(DEFAULT_ADMIN_TOKEN),
            503,
        ),
        ("POST", "/__mock/no-such-route", None, 404),
        ("POST", "/oidc/v1/no-such-route", None, 404),
        // Wrong JSON answers after reading the body: also fine.
        (
            "POST",
            "/api/2.0/secrets/scopes/create",
            Some(DEFAULT_ADMIN_TOKEN),
            400,
        ),
    ];
    for len in [30, 200 * 1024] {
        let mut conn = Conn::open(&server).await;
        for (method, path, token, status) in cases {
            let body = if status == 400 {
                b"{not json".to_vec()
            } else {
                body_of(len)
            };
            let a = conn
                .send(method, path, token, &body)
                .await
                .unwrap_or_else(|e| panic!("{method} {path} with {len} bytes: {e}"));
            assert_eq!(a.status, status, "{method} {path}: {a:?}");
            assert_eq!(a.header("connection"), None, "{method} {path}: {a:?}");
            assert!(!a.body.is_empty(), "{method} {path}: an error body");
            conn.still_works(&format!("{method} {path} with a {len}-byte body"))
                .await;
        }
    }
}

#[tokio::test]
async fn a_body_over_the_limit_closes_the_connection_and_says_so() {
    let emu = Emulator::builder().max_body_bytes(1024).build();
    let server = MockServer::start_with(emu, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start");
    // Declared over the limit: refused before reading, for a route and before authentication.
    for (path, token) in [
        ("/api/2.0/secrets/put", Some(DEFAULT_ADMIN_TOKEN)),
        ("/api/2.0/secrets/put", None),
    ] {
        let mut conn = Conn::open(&server).await;
        let a = conn
            .send("POST", path, token, &body_of(4096))
            .await
            .expect("an answer");
        assert!(a.status == 413 || a.status == 401, "{a:?}");
        assert_eq!(a.header("connection"), Some("close"), "{a:?}");
        // The emulator closes its side: the next request finds the connection gone.
        let next = conn
            .send("GET", "/api/2.0/token/list", Some(DEFAULT_ADMIN_TOKEN), b"")
            .await;
        assert!(next.is_err(), "connection should be closed: {next:?}");
    }
    // Within the limit, the same early error keeps the connection.
    let mut conn = Conn::open(&server).await;
    let a = conn
        .send("POST", "/api/2.0/secrets/put", None, &body_of(512))
        .await
        .expect("an answer");
    assert_eq!((a.status, a.header("connection")), (401, None));
    conn.still_works("a 401 within the limit").await;
}
