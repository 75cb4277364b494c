//! The incoming request body, and the helpers that read it: size limits, draining, multipart,
//! percent-decoding.
//!
//! A keep-alive connection must stay usable after every answer, including the ones given before
//! the body was read (no token, bad token, unknown route, bad API version, an injected fault): the
//! client has sent, or is sending, the body, and the next request on the connection starts after
//! it. So the dispatcher wraps the body in an [`Incoming`] and, once the answer is ready, calls
//! [`Incoming::finish`], which reads and discards whatever the handler did not read, up to the
//! emulator's body limit. Beyond the limit (or on a declared `Content-Length` over it, or a broken
//! body) it does not read on: the answer then carries `Connection: close`, so the client knows
//! to open a new connection rather than meeting a reset one.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::{Body as HttpBody, Frame, SizeHint};

use crate::api::MultipartField;
use crate::error::{ApiError, ErrorCode};

/// A request body as the dispatcher receives it: hyper's own body (the HTTP server), the bytes
/// of an in-process request, or any other body (axum's router). An enum rather than a boxed
/// body, so no request is boxed on its way in.
#[derive(Debug)]
pub(crate) enum RequestBody {
    /// From the socket.
    Hyper(hyper::body::Incoming),
    /// Bytes already in memory (the in-process transport); `None` once yielded.
    Full(Option<Bytes>),
    /// Anything else.
    Other(axum::body::Body),
}

impl HttpBody for RequestBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        match self.get_mut() {
            Self::Hyper(body) => Pin::new(body)
                .poll_frame(cx)
                .map(|frame| frame.map(|f| f.map_err(axum::Error::new))),
            Self::Full(data) => Poll::Ready(
                data.take()
                    .filter(|d| !d.is_empty())
                    .map(|d| Ok(Frame::data(d))),
            ),
            Self::Other(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Hyper(body) => body.is_end_stream(),
            Self::Full(data) => data.as_ref().is_none_or(Bytes::is_empty),
            Self::Other(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Hyper(body) => body.size_hint(),
            Self::Full(data) => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            Self::Other(body) => body.size_hint(),
        }
    }
}

/// A request body that is read at most once, and drained if it was not.
#[derive(Debug)]
pub(crate) struct Incoming {
    body: Option<RequestBody>,
    declared: Option<u64>,
    close: bool,
}

impl Incoming {
    /// Wrap `body`. Its declared length is its exact size hint: hyper's body knows its
    /// `Content-Length` (and has none for a chunked body), an in-memory body its length.
    pub(crate) fn new(body: RequestBody) -> Self {
        let declared = body.size_hint().exact();
        Self {
            body: Some(body),
            declared,
            close: false,
        }
    }

    /// Read the whole body, refusing (with 413) anything over `limit` bytes without buffering
    /// more than `limit` bytes: a declared `Content-Length` over the limit is refused before
    /// reading. A refused or broken body closes the connection after the answer.
    pub(crate) async fn read(&mut self, limit: usize) -> Result<Bytes, ApiError> {
        let Some(mut body) = self.body.take().filter(|b| !b.is_end_stream()) else {
            return Ok(Bytes::new());
        };
        if self.declared.is_some_and(|n| n > limit as u64) {
            self.close = true;
            return Err(ApiError::body_too_large(limit));
        }
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                self.close = true;
                return Err(ApiError::new(
                    ErrorCode::BadRequest,
                    "Failed to read request body",
                ));
            };
            if let Ok(data) = frame.into_data() {
                total = total.saturating_add(data.len());
                if total > limit {
                    self.close = true;
                    return Err(ApiError::body_too_large(limit));
                }
                chunks.push(data);
            }
        }
        Ok(match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.swap_remove(0),
            _ => {
                let mut buf = BytesMut::with_capacity(total);
                chunks.iter().for_each(|c| buf.extend_from_slice(c));
                buf.freeze()
            }
        })
    }

    /// Read and discard what is left of the body, up to `limit` bytes; past that (or when the
    /// body cannot be read) mark the connection for closing instead.
    pub(crate) async fn finish(&mut self, limit: usize) {
        let Some(mut body) = self.body.take().filter(|b| !b.is_end_stream()) else {
            return;
        };
        if self.declared.is_some_and(|n| n > limit as u64) {
            self.close = true;
            return;
        }
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        total = total.saturating_add(data.len());
                        if total > limit {
                            self.close = true;
                            return;
                        }
                    }
                }
                Err(_) => {
                    self.close = true;
                    return;
                }
            }
        }
    }

    /// True when the answer must carry `Connection: close`.
    pub(crate) fn must_close(&self) -> bool {
        self.close
    }
}

/// True for a `multipart/form-data` content type.
pub(crate) fn is_multipart(content_type: &str) -> bool {
    content_type
        .trim_start()
        .get(..19)
        .is_some_and(|p| p.eq_ignore_ascii_case("multipart/form-data"))
}

/// Parse a `multipart/form-data` body into its parts.
pub(crate) async fn parse_multipart(
    content_type: &str,
    body: Bytes,
) -> Result<Vec<MultipartField>, ApiError> {
    let bad =
        |e: multer::Error| ApiError::malformed(format!("Invalid multipart/form-data body: {e}"));
    let boundary = multer::parse_boundary(content_type).map_err(bad)?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut mp = multer::Multipart::new(stream, boundary);
    let mut fields = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let data = field.bytes().await.map_err(bad)?;
        fields.push(MultipartField {
            name,
            filename,
            data,
        });
    }
    Ok(fields)
}

/// Decode `%XX` escapes (invalid escapes and invalid UTF-8 are kept/replaced, never an error).
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_is_lenient() {
        assert_eq!(percent_decode("a%20b%2F"), "a b/");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }

    #[tokio::test]
    async fn unread_bodies_are_drained_up_to_the_limit() {
        let mut small = Incoming::new(RequestBody::Full(Some(Bytes::from_static(b"0123456789"))));
        small.finish(10).await;
        assert!(!small.must_close());

        let mut big = Incoming::new(RequestBody::Other(axum::body::Body::from("0123456789x")));
        big.finish(10).await;
        assert!(big.must_close());

        // A body whose size is known up front (hyper's `Content-Length`) is refused unread.
        let mut declared = Incoming::new(RequestBody::Full(Some(Bytes::from(vec![b'x'; 99]))));
        assert_eq!(declared.declared, Some(99));
        assert!(declared.read(10).await.is_err());
        assert!(declared.must_close());

        let mut read = Incoming::new(RequestBody::Other(axum::body::Body::from("abc")));
        assert_eq!(read.read(10).await.ok(), Some(Bytes::from_static(b"abc")));
        read.finish(10).await;
        assert!(!read.must_close());

        let mut empty = Incoming::new(RequestBody::Full(Some(Bytes::new())));
        assert_eq!(empty.read(10).await.ok(), Some(Bytes::new()));
        let mut full = Incoming::new(RequestBody::Full(Some(Bytes::from_static(b"xyz"))));
        assert_eq!(full.read(3).await.ok(), Some(Bytes::from_static(b"xyz")));
        let mut over = Incoming::new(RequestBody::Full(Some(Bytes::from_static(b"xyz"))));
        assert!(over.read(2).await.is_err());
        assert!(over.must_close());
    }
}
