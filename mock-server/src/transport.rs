//! [`InProcessTransport`]: a [`dbx_core::Transport`] that calls the emulator's router directly.

use std::fmt;

use async_trait::async_trait;
use dbx_core::transport::{
    HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind,
};
use http_body_util::BodyExt;

use crate::emulator::Emulator;
use crate::incoming::RequestBody;

/// Sends requests to an [`crate::Emulator`] without a socket, through the exact dispatcher the
/// HTTP server uses (`router::handle`). Any absolute URL works; [`crate::Emulator::base_url`] is
/// the conventional one.
#[derive(Clone)]
pub struct InProcessTransport {
    emulator: Emulator,
}

impl InProcessTransport {
    pub(crate) fn new(emulator: Emulator) -> Self {
        Self { emulator }
    }
}

impl fmt::Debug for InProcessTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcessTransport").finish_non_exhaustive()
    }
}

#[async_trait]
impl Transport for InProcessTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, RequestBody::Full(Some(body)));
        let response = crate::router::handle(&self.emulator, request).await;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| TransportError::new(TransportErrorKind::Io, e.to_string()))?
            .to_bytes();
        Ok(http::Response::from_parts(parts, body))
    }
}
