//! Helpers: requests through the in-process transport, JSON decoding.

use bytes::Bytes;
use dbx_core::Transport;
use dbx_mock_server::{Emulator, InProcessTransport, DEFAULT_ADMIN_TOKEN};
use http::HeaderMap;
use serde_json::Value;

pub const ADMIN: &str = DEFAULT_ADMIN_TOKEN;

/// A response with its body decoded as JSON (or `Value::Null` when it is not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub json: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `(status, error_code, message)` of an error envelope.
    pub fn error(&self) -> (u16, Value, Value) {
        (
            self.status,
            self.json["error_code"].clone(),
            self.json["message"].clone(),
        )
    }
}

/// An emulator and a transport to it.
pub struct Api {
    pub emu: Emulator,
    transport: InProcessTransport,
}

impl Api {
    pub fn new() -> Self {
        Self::with(Emulator::new())
    }

    pub fn with(emu: Emulator) -> Self {
        let transport = emu.transport();
        Self { emu, transport }
    }

    /// Send `method path` with optional bearer token, content type and body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
    ) -> Resp {
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.emu.base_url()));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        self.raw(req.body(body.into()).expect("valid request"))
            .await
    }

    /// Send a prepared request.
    pub async fn raw(&self, req: http::Request<Bytes>) -> Resp {
        let resp = self.transport.send(req).await.expect("in-process send");
        let (parts, body) = resp.into_parts();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Resp {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            json,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.send("GET", path, Some(token), None, Bytes::new())
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(
            "POST",
            path,
            Some(token),
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(
            "PATCH",
            path,
            Some(token),
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    /// A new user and a PAT for it.
    pub fn user(&self, name: &str) -> String {
        self.emu.create_user(name, false).expect("create user");
        self.emu
            .create_token(name, None, None)
            .expect("create token")
            .token_value
    }

    /// The caller's token ids, in list order.
    pub async fn token_ids(&self, token: &str) -> Vec<String> {
        let r = self.get("/api/2.0/token/list", token).await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        r.json["token_infos"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|t| t["token_id"].as_str().expect("id").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}
