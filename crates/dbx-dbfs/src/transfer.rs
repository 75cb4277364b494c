//! Streaming transfers: [`Upload`], [`Download`] and the recursive delete.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use dbx_core::{CallOptions, Overwrite, Recursive, RetryPolicy, TransferError};
use futures::StreamExt as _;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use crate::{add_block_body, normalize_path, DbfsApi, Handle, MAX_BLOCK_SIZE, MAX_READ_SIZE};

/// How far a transfer has got, reported after every block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes transferred so far (decoded bytes, not base64).
    pub bytes: u64,
    /// The total, when known (local files, downloads).
    pub total: Option<u64>,
}

/// The result of an [`Upload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadSummary {
    /// Bytes written to DBFS.
    pub bytes: u64,
    /// `add-block` calls made.
    pub blocks: u64,
}

/// The result of a [`Download`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadSummary {
    /// Bytes written to the destination.
    pub bytes: u64,
    /// `read` calls made.
    pub reads: u64,
}

/// The result of [`DbfsApi::delete_recursive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeleteSummary {
    /// `delete` calls made (1 when the server finished at once).
    pub calls: u32,
    /// Files the server reported deleted in its `PARTIAL_DELETE` answers (the final call does
    /// not report a count, so this is a lower bound).
    pub files_deleted_at_least: u64,
}

type ProgressFn<'a> = Box<dyn FnMut(Progress) + Send + 'a>;

enum Source<R> {
    /// Read once: an upload from it cannot start again.
    Reader(Option<R>),
    File(PathBuf),
    Bytes(Bytes),
}

/// How many times an upload starts again after an `add-block` whose outcome is unknown.
const MAX_RESTARTS: u32 = 3;

/// An open upload source: the caller's reader, a local file, or bytes in memory.
type SourceReader<R> = Either<R, Either<tokio::fs::File, io::Cursor<Bytes>>>;

impl<R> Source<R> {
    /// Whether the source can be read again from the start (a local file, bytes in memory).
    fn rereadable(&self) -> bool {
        !matches!(self, Source::Reader(_))
    }

    /// Open the source from its start, with its length when known.
    async fn open(&mut self) -> Result<(SourceReader<R>, Option<u64>), TransferError> {
        match self {
            Source::Reader(r) => match r.take() {
                Some(r) => Ok((Either::Left(r), None)),
                None => Err(TransferError::Io {
                    path: None,
                    source: io::Error::other("the upload's reader was already consumed"),
                }),
            },
            Source::File(local) => {
                let file = tokio::fs::File::open(&*local)
                    .await
                    .map_err(|e| TransferError::io(&*local, e))?;
                let len = file
                    .metadata()
                    .await
                    .map_err(|e| TransferError::io(&*local, e))?
                    .len();
                Ok((Either::Right(Either::Left(file)), Some(len)))
            }
            Source::Bytes(b) => {
                let len = b.len() as u64;
                Ok((
                    Either::Right(Either::Right(io::Cursor::new(b.clone()))),
                    Some(len),
                ))
            }
        }
    }
}

enum Sink<W> {
    Writer(W),
    File(PathBuf),
}

impl DbfsApi {
    /// Start a streaming upload of `reader` to `path` through `create` / `add-block` / `close`.
    ///
    /// Blocks of [`MAX_BLOCK_SIZE`] decoded bytes are read, base64-encoded and appended in
    /// order; the next block is read and encoded while the previous one is in flight, so memory
    /// stays at a few MiB whatever the size. If anything fails after `create`, the handle is
    /// closed and the partial file deleted before the error is returned.
    ///
    /// `add-block` is not idempotent (a repeated block would be appended twice), so it is never
    /// sent again after an attempt the server may have applied (a timeout, a broken connection,
    /// a 504). An upload from a reader then fails with an error whose
    /// [`TransferError::is_outcome_unknown`] is true (the partial file is deleted as for any
    /// failure). Uploads whose source can be read again ([`DbfsApi::upload_file`],
    /// [`DbfsApi::upload_bytes`]) start again instead, from an overwriting `create`, up to three
    /// times (progress then starts again from 0).
    pub fn upload<R>(&self, path: &str, reader: R) -> Upload<'_, R>
    where
        R: AsyncRead + Unpin + Send,
    {
        Upload::new(self, path, Source::Reader(Some(reader)))
    }

    /// Start a streaming upload of the local file `local` to `path` (see [`DbfsApi::upload`]).
    /// The progress callback knows the total. The file is read again from the start if an
    /// `add-block`'s outcome is unknown.
    pub fn upload_file(&self, path: &str, local: impl AsRef<Path>) -> Upload<'_, tokio::fs::File> {
        Upload::new(self, path, Source::File(local.as_ref().to_path_buf()))
    }

    /// Start a streaming upload of `contents`, already in memory, to `path` (see
    /// [`DbfsApi::upload`]): blocks of [`MAX_BLOCK_SIZE`] through `create` / `add-block` /
    /// `close`, started again from the first block if an `add-block`'s outcome is unknown.
    pub fn upload_bytes(
        &self,
        path: &str,
        contents: impl Into<Bytes>,
    ) -> Upload<'_, &'static [u8]> {
        Upload::new(self, path, Source::Bytes(contents.into()))
    }

    /// Start a download of `path` into `writer` with `read` calls of at most
    /// [`MAX_READ_SIZE`] bytes, written in order. With [`Download::concurrency`] several reads
    /// are in flight at once; memory stays at about two chunks per read in flight.
    pub fn download<W>(&self, path: &str, writer: W) -> Download<'_, W>
    where
        W: AsyncWrite + Unpin + Send,
    {
        Download::new(self, path, Sink::Writer(writer))
    }

    /// Start a download of `path` into the local file `local` (created or truncated). If the
    /// download fails after the file was opened, the partial file is removed (only ever a
    /// regular file: devices such as `/dev/null` are left alone).
    pub fn download_file(
        &self,
        path: &str,
        local: impl AsRef<Path>,
    ) -> Download<'_, tokio::fs::File> {
        Download::new(self, path, Sink::File(local.as_ref().to_path_buf()))
    }

    /// Delete `path` and everything under it, calling `delete` with `recursive` again while the
    /// server answers `503 PARTIAL_DELETE` (it deletes large trees in increments of about 45
    /// seconds). A missing path is not an error.
    pub async fn delete_recursive(&self, path: &str) -> dbx_core::Result<DeleteSummary> {
        let path = normalize_path(path)?;
        let mut summary = DeleteSummary::default();
        loop {
            summary.calls += 1;
            match self
                .delete_normalized(&path, Recursive::Yes, CallOptions::default())
                .await
            {
                Ok(()) => return Ok(summary),
                Err(e) if e.error_code() == Some("PARTIAL_DELETE") => {
                    let n = e.api().and_then(|a| files_deleted(&a.message)).unwrap_or(0);
                    summary.files_deleted_at_least += n;
                    tracing::debug!(
                        path = %path,
                        deleted = summary.files_deleted_at_least,
                        "partial delete; calling again"
                    );
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The count in "The requested operation has deleted 324 files. There are more files
/// remaining...".
fn files_deleted(message: &str) -> Option<u64> {
    let rest = &message[message.find("has deleted ")? + "has deleted ".len()..];
    let digits: &str = &rest[..rest.find(|c: char| !c.is_ascii_digit())?];
    digits.parse().ok()
}

/// Builder for [`DbfsApi::upload`] and [`DbfsApi::upload_file`].
#[must_use = "call .send().await"]
pub struct Upload<'a, R> {
    api: &'a DbfsApi,
    path: String,
    source: Source<R>,
    overwrite: Overwrite,
    block_size: usize,
    progress: Option<ProgressFn<'a>>,
}

impl<R> std::fmt::Debug for Upload<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("path", &self.path)
            .field("overwrite", &self.overwrite)
            .field("block_size", &self.block_size)
            .finish_non_exhaustive()
    }
}

impl<'a, R> Upload<'a, R>
where
    R: AsyncRead + Unpin + Send,
{
    fn new(api: &'a DbfsApi, path: &str, source: Source<R>) -> Self {
        Self {
            api,
            path: path.to_owned(),
            source,
            overwrite: Overwrite::No,
            block_size: MAX_BLOCK_SIZE,
            progress: None,
        }
    }

    /// Replace an existing file ([`Overwrite::Yes`] or `true`; default: fail with
    /// `RESOURCE_ALREADY_EXISTS`).
    pub fn overwrite(mut self, overwrite: impl Into<Overwrite>) -> Self {
        self.overwrite = overwrite.into();
        self
    }

    /// Decoded bytes per `add-block` (default and maximum [`MAX_BLOCK_SIZE`]; at least 1).
    pub fn block_size(mut self, bytes: usize) -> Self {
        self.block_size = bytes.clamp(1, MAX_BLOCK_SIZE);
        self
    }

    /// Called after every block with the bytes sent so far.
    pub fn on_progress(mut self, progress: impl FnMut(Progress) + Send + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Run the upload.
    pub async fn send(self) -> Result<UploadSummary, TransferError> {
        let path = normalize_path(&self.path)?;
        let mut source = self.source;
        let mut progress = self.progress;
        let mut overwrite = self.overwrite;
        let mut restarts = 0;
        let (handle, summary) = loop {
            let (mut reader, total) = source.open().await?;
            let handle = self.api.create(&path, overwrite).await?;
            let streamed = stream_blocks(
                self.api,
                handle,
                &mut reader,
                self.block_size,
                total,
                &mut progress,
            )
            .await;
            match streamed {
                Ok(summary) => break (handle, summary),
                // A block may or may not have been appended: start again from an empty file.
                // Our `create` succeeded, so the file at `path` is ours to overwrite.
                Err(e)
                    if e.is_outcome_unknown() && source.rereadable() && restarts < MAX_RESTARTS =>
                {
                    restarts += 1;
                    tracing::debug!(path = %path, restarts, error = %e, "block outcome unknown; starting the upload again");
                    if let Err(e) = self.api.close(handle).await {
                        tracing::debug!(%handle, error = %e, "closing the abandoned handle");
                    }
                    overwrite = Overwrite::Yes;
                }
                Err(e) => {
                    cleanup(self.api, handle, &path).await;
                    return Err(e);
                }
            }
        };
        match self.api.close(handle).await {
            Ok(()) => Ok(summary),
            // A close repeated after a timeout finds its handle already gone: the first attempt
            // committed. Trust it only if the committed size is what we sent.
            Err(e) if e.is_not_found() => match self.api.get_status(&path).await {
                Ok(info) if !info.is_dir && info.file_size as u64 == summary.bytes => Ok(summary),
                _ => {
                    cleanup(self.api, handle, &path).await;
                    Err(e.into())
                }
            },
            Err(e) => {
                cleanup(self.api, handle, &path).await;
                Err(e.into())
            }
        }
    }
}

/// Read, encode and append blocks until the reader is exhausted. The next block is read and
/// encoded while the current one is in flight.
async fn stream_blocks<R: AsyncRead + Unpin>(
    api: &DbfsApi,
    handle: Handle,
    reader: &mut R,
    block_size: usize,
    total: Option<u64>,
    progress: &mut Option<ProgressFn<'_>>,
) -> Result<UploadSummary, TransferError> {
    let mut buf = vec![0u8; block_size];
    let mut summary = UploadSummary {
        bytes: 0,
        blocks: 0,
    };
    let mut next = next_block(reader, &mut buf, handle).await?;
    while let Some((body, len)) = next.take() {
        let (sent, read) = tokio::join!(
            api.add_block_body(body),
            next_block(reader, &mut buf, handle)
        );
        sent?;
        summary.bytes += len as u64;
        summary.blocks += 1;
        if let Some(p) = progress.as_mut() {
            p(Progress {
                bytes: summary.bytes,
                total,
            });
        }
        next = read?;
    }
    Ok(summary)
}

/// The next block's `add-block` body and decoded length, or `None` at the end of the input.
async fn next_block<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut [u8],
    handle: Handle,
) -> io::Result<Option<(Bytes, usize)>> {
    let n = read_full(reader, buf).await?;
    Ok((n > 0).then(|| (add_block_body(handle, &buf[..n]), n)))
}

/// Fill `buf` unless the reader ends first; the number of bytes read.
async fn read_full<R: AsyncRead + Unpin>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]).await {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Best effort after a failed upload: close the handle (so it does not linger) and delete the
/// partial file. Errors here are logged, never returned: the caller gets the original failure.
async fn cleanup(api: &DbfsApi, handle: Handle, path: &str) {
    if let Err(e) = api.close(handle).await {
        tracing::debug!(%handle, error = %e, "closing the handle of a failed upload");
    }
    let options = CallOptions::default().with_retry(RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    });
    if let Err(e) = api.delete_normalized(path, Recursive::No, options).await {
        tracing::warn!(path, error = %e, "could not delete the partial file of a failed upload");
    }
}

/// Builder for [`DbfsApi::download`] and [`DbfsApi::download_file`].
#[must_use = "call .send().await"]
pub struct Download<'a, W> {
    api: &'a DbfsApi,
    path: String,
    sink: Sink<W>,
    concurrency: usize,
    chunk_size: usize,
    progress: Option<ProgressFn<'a>>,
}

impl<W> std::fmt::Debug for Download<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("path", &self.path)
            .field("concurrency", &self.concurrency)
            .field("chunk_size", &self.chunk_size)
            .finish_non_exhaustive()
    }
}

impl<'a, W> Download<'a, W>
where
    W: AsyncWrite + Unpin + Send,
{
    fn new(api: &'a DbfsApi, path: &str, sink: Sink<W>) -> Self {
        Self {
            api,
            path: path.to_owned(),
            sink,
            concurrency: 4,
            chunk_size: MAX_READ_SIZE,
            progress: None,
        }
    }

    /// Reads in flight at once (default 4, at least 1). Chunks are still written in order.
    pub fn concurrency(mut self, reads: usize) -> Self {
        self.concurrency = reads.max(1);
        self
    }

    /// Bytes per `read` (default and maximum [`MAX_READ_SIZE`]; at least 1).
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes.clamp(1, MAX_READ_SIZE);
        self
    }

    /// Called after every chunk written with the bytes written so far and the file's size.
    pub fn on_progress(mut self, progress: impl FnMut(Progress) + Send + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Run the download. The size is taken from `get-status` first; a file that changes size
    /// meanwhile fails with [`TransferError::Changed`].
    pub async fn send(self) -> Result<DownloadSummary, TransferError> {
        let path = normalize_path(&self.path)?;
        let info = self.api.get_status(&path).await?;
        if info.is_dir {
            return Err(TransferError::IsDirectory { path });
        }
        let size = u64::try_from(info.file_size).unwrap_or(0);
        let mut progress = self.progress;
        match self.sink {
            Sink::Writer(mut w) => {
                fetch(
                    self.api,
                    &path,
                    size,
                    self.chunk_size,
                    self.concurrency,
                    &mut w,
                    &mut progress,
                )
                .await
            }
            Sink::File(local) => {
                let mut file = tokio::fs::File::create(&local).await?;
                let result = fetch(
                    self.api,
                    &path,
                    size,
                    self.chunk_size,
                    self.concurrency,
                    &mut file,
                    &mut progress,
                )
                .await;
                if result.is_err() {
                    drop(file);
                    remove_partial(&local).await;
                }
                result
            }
        }
    }
}

/// Remove what a failed download left at `local`, if it is a regular file (never a device such
/// as `/dev/null`, a FIFO or a symlink's target).
async fn remove_partial(local: &Path) {
    let regular = tokio::fs::symlink_metadata(local)
        .await
        .is_ok_and(|m| m.file_type().is_file());
    if regular {
        if let Err(e) = tokio::fs::remove_file(local).await {
            tracing::debug!(local = %local.display(), error = %e, "removing a failed download");
        }
    }
}

/// Read `size` bytes of `path` in chunks, `concurrency` reads in flight (each on its own task,
/// so decoding runs in parallel), writing them in order.
async fn fetch<W: AsyncWrite + Unpin>(
    api: &DbfsApi,
    path: &str,
    size: u64,
    chunk: usize,
    concurrency: usize,
    writer: &mut W,
    progress: &mut Option<ProgressFn<'_>>,
) -> Result<DownloadSummary, TransferError> {
    let chunk = chunk as u64;
    let offsets = (0..size.div_ceil(chunk)).map(move |i| {
        let offset = i * chunk;
        (offset, chunk.min(size - offset))
    });
    let mut reads = futures::stream::iter(offsets)
        .map(|(offset, len)| {
            let api = api.clone();
            let path = path.to_owned();
            let task = tokio::spawn(async move {
                let got = api
                    .read_normalized(&path, offset as i64, Some(len as i64))
                    .await;
                (offset, len, got)
            });
            AbortOnDrop(task)
        })
        .buffered(concurrency);
    let mut summary = DownloadSummary { bytes: 0, reads: 0 };
    while let Some(joined) = reads.next().await {
        let (offset, len, got) = joined?;
        let got = got?;
        summary.reads += 1;
        if got.data.len() as u64 != len {
            return Err(TransferError::Changed {
                path: path.to_owned(),
                offset,
                expected: len,
                got: got.data.len() as u64,
            });
        }
        writer.write_all(&got.data).await?;
        summary.bytes += len;
        if let Some(p) = progress.as_mut() {
            p(Progress {
                bytes: summary.bytes,
                total: Some(size),
            });
        }
    }
    writer.flush().await?;
    Ok(summary)
}

/// A spawned read that is aborted if the download is dropped or fails first.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = io::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map_err(|e| io::Error::other(format!("read task failed: {e}")))
    }
}

/// A reader that is either the caller's or a local file.
enum Either<A, B> {
    Left(A),
    Right(B),
}

impl<A: AsyncRead + Unpin, B: AsyncRead + Unpin> AsyncRead for Either<A, B> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Either::Left(a) => Pin::new(a).poll_read(cx, buf),
            Either::Right(b) => Pin::new(b).poll_read(cx, buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::api;
    use dbx_core::testing::ReplayTransport;
    use dbx_core::TransportErrorKind;
    use serde_json::json;

    fn b64(data: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(data)
    }

    #[tokio::test]
    async fn upload_splits_into_blocks_and_reports_progress() {
        let data: Vec<u8> = (0..2500u32).map(|i| (i % 251) as u8).collect();
        let t = ReplayTransport::new()
            .respond_json(200, json!({"handle": 9}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}));
        let a = api(&t);
        let mut seen = Vec::new();
        let s = a
            .upload("dbfs:/up.bin", &data[..])
            .block_size(1000)
            .on_progress(|p| seen.push(p.bytes))
            .send()
            .await
            .expect("upload");
        assert_eq!(
            s,
            UploadSummary {
                bytes: 2500,
                blocks: 3
            }
        );
        assert_eq!(seen, vec![1000, 2000, 2500]);
        let r = t.requests();
        assert_eq!(r.len(), 5);
        assert_eq!(r[0].json(), json!({"path": "/up.bin", "overwrite": false}));
        for (i, range) in [0..1000, 1000..2000, 2000..2500].into_iter().enumerate() {
            assert_eq!(r[i + 1].path, "/api/2.0/dbfs/add-block");
            assert_eq!(
                r[i + 1].json(),
                json!({"handle": 9, "data": b64(&data[range])})
            );
        }
        assert_eq!(r[4].path, "/api/2.0/dbfs/close");
    }

    #[tokio::test]
    async fn an_empty_upload_creates_and_closes() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({"handle": 1}))
            .respond_json(200, json!({}));
        let s = api(&t)
            .upload("/empty", tokio::io::empty())
            .send()
            .await
            .expect("upload");
        assert_eq!(s.bytes, 0);
        let paths: Vec<_> = t.requests().iter().map(|r| r.path.clone()).collect();
        assert_eq!(paths, ["/api/2.0/dbfs/create", "/api/2.0/dbfs/close"]);
    }

    #[tokio::test]
    async fn a_failed_block_closes_the_handle_and_deletes_the_partial_file() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({"handle": 4}))
            .respond_json(200, json!({}))
            .fail(TransportErrorKind::Timeout, "timed out")
            .respond_json(200, json!({}))
            .respond_json(200, json!({}));
        let err = api(&t)
            .upload("/p", &[1u8; 30][..])
            .block_size(10)
            .overwrite(true)
            .send()
            .await
            .expect_err("fails");
        // A reader cannot be read again: the upload fails, saying the block may have landed.
        assert!(err.is_outcome_unknown(), "{err}");
        let r = t.requests();
        let paths: Vec<_> = r.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/api/2.0/dbfs/create",
                "/api/2.0/dbfs/add-block",
                "/api/2.0/dbfs/add-block",
                "/api/2.0/dbfs/close",
                "/api/2.0/dbfs/delete"
            ]
        );
        assert_eq!(r[4].json(), json!({"path": "/p", "recursive": false}));
    }

    #[tokio::test]
    async fn a_failing_reader_cleans_up_too() {
        struct Broken;
        impl AsyncRead for Broken {
            fn poll_read(
                self: Pin<&mut Self>,
                _: &mut Context<'_>,
                _: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                Poll::Ready(Err(io::Error::other("disk on fire")))
            }
        }
        let t = ReplayTransport::new()
            .respond_json(200, json!({"handle": 4}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}));
        let err = api(&t)
            .upload("/p", Broken)
            .send()
            .await
            .expect_err("fails");
        assert!(matches!(err, TransferError::Io { .. }), "{err}");
        assert_eq!(t.requests().len(), 3);
    }

    #[tokio::test]
    async fn create_refused_means_no_cleanup() {
        let t = ReplayTransport::new().respond_json(
            400,
            json!({"error_code": "RESOURCE_ALREADY_EXISTS", "message": "exists"}),
        );
        let err = api(&t)
            .upload("/p", &b"x"[..])
            .send()
            .await
            .expect_err("exists");
        assert!(err.is_already_exists());
        assert_eq!(t.requests().len(), 1);
    }

    #[tokio::test]
    async fn an_upload_from_memory_starts_again_when_a_block_may_have_landed() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({"handle": 4}))
            .respond_json(200, json!({}))
            .respond_json(
                504,
                json!({"error_code": "DEADLINE_EXCEEDED", "message": "slow"}),
            )
            // close of the abandoned handle, then the whole upload again
            .respond_json(200, json!({}))
            .respond_json(200, json!({"handle": 5}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}));
        let data: Vec<u8> = (0..20u8).collect();
        let summary = api(&t)
            .upload_bytes("/p", data.clone())
            .block_size(10)
            .send()
            .await
            .expect("started again");
        assert_eq!(summary.bytes, 20);
        let r = t.requests();
        let calls: Vec<_> = r.iter().map(|r| (r.path.as_str(), r.json())).collect();
        assert_eq!(
            calls,
            [
                (
                    "/api/2.0/dbfs/create",
                    json!({"path": "/p", "overwrite": false})
                ),
                (
                    "/api/2.0/dbfs/add-block",
                    json!({"handle": 4, "data": b64(&data[..10])})
                ),
                (
                    "/api/2.0/dbfs/add-block",
                    json!({"handle": 4, "data": b64(&data[10..])})
                ),
                ("/api/2.0/dbfs/close", json!({"handle": 4})),
                (
                    "/api/2.0/dbfs/create",
                    json!({"path": "/p", "overwrite": true})
                ),
                (
                    "/api/2.0/dbfs/add-block",
                    json!({"handle": 5, "data": b64(&data[..10])})
                ),
                (
                    "/api/2.0/dbfs/add-block",
                    json!({"handle": 5, "data": b64(&data[10..])})
                ),
                ("/api/2.0/dbfs/close", json!({"handle": 5})),
            ]
        );
    }

    #[tokio::test]
    async fn a_repeated_close_that_finds_no_handle_checks_the_size() {
        let gone = json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no handle"});
        let t = ReplayTransport::new()
            .respond_json(200, json!({"handle": 2}))
            .respond_json(200, json!({}))
            .fail(TransportErrorKind::Timeout, "timed out")
            .respond_json(404, gone.clone())
            .respond_json(
                200,
                json!({"path": "/p", "is_dir": false, "file_size": 3, "modification_time": 1}),
            );
        let s = api(&t)
            .upload("/p", &b"abc"[..])
            .send()
            .await
            .expect("committed by the first close");
        assert_eq!(s.bytes, 3);
        // A size that does not match is an error (and the partial file goes).
        let t = ReplayTransport::new()
            .respond_json(200, json!({"handle": 2}))
            .respond_json(200, json!({}))
            .respond_json(404, gone)
            .respond_json(
                200,
                json!({"path": "/p", "is_dir": false, "file_size": 0, "modification_time": 1}),
            )
            .respond_json(404, json!({"error_code": "RESOURCE_DOES_NOT_EXIST"}))
            .respond_json(200, json!({}));
        let err = api(&t)
            .upload("/p", &b"abc"[..])
            .send()
            .await
            .expect_err("expired");
        assert!(err.is_not_found());
        assert_eq!(t.requests().len(), 6);
    }

    #[tokio::test]
    async fn download_reads_chunks_in_order() {
        let data: Vec<u8> = (0..25u8).collect();
        let t = ReplayTransport::new()
            .respond_json(
                200,
                json!({"path": "/d", "is_dir": false, "file_size": 25, "modification_time": 1}),
            )
            .respond_json(200, json!({"bytes_read": 10, "data": b64(&data[..10])}))
            .respond_json(200, json!({"bytes_read": 10, "data": b64(&data[10..20])}))
            .respond_json(200, json!({"bytes_read": 5, "data": b64(&data[20..])}));
        let mut out = Vec::new();
        let mut seen = Vec::new();
        let s = api(&t)
            .download("dbfs:/d", &mut out)
            .chunk_size(10)
            .concurrency(1)
            .on_progress(|p| seen.push((p.bytes, p.total)))
            .send()
            .await
            .expect("download");
        assert_eq!(out, data);
        assert_eq!(
            s,
            DownloadSummary {
                bytes: 25,
                reads: 3
            }
        );
        assert_eq!(seen, vec![(10, Some(25)), (20, Some(25)), (25, Some(25))]);
        let q: Vec<_> = t.requests().iter().map(|r| r.query.clone()).collect();
        assert_eq!(
            q,
            [
                Some("path=%2Fd".to_owned()),
                Some("path=%2Fd&offset=0&length=10".to_owned()),
                Some("path=%2Fd&offset=10&length=10".to_owned()),
                Some("path=%2Fd&offset=20&length=5".to_owned()),
            ]
        );
    }

    #[tokio::test]
    async fn download_refuses_directories_and_detects_shrinking_files() {
        let t = ReplayTransport::new().respond_json(
            200,
            json!({"path": "/d", "is_dir": true, "file_size": 0, "modification_time": 0}),
        );
        let err = api(&t)
            .download("/d", Vec::new())
            .send()
            .await
            .expect_err("dir");
        assert!(matches!(err, TransferError::IsDirectory { .. }));
        let t = ReplayTransport::new()
            .respond_json(
                200,
                json!({"path": "/d", "is_dir": false, "file_size": 4, "modification_time": 1}),
            )
            .respond_json(200, json!({"bytes_read": 2, "data": b64(b"ab")}));
        let err = api(&t)
            .download("/d", Vec::new())
            .send()
            .await
            .expect_err("shrunk");
        assert!(
            matches!(
                err,
                TransferError::Changed {
                    expected: 4,
                    got: 2,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn delete_recursive_follows_partial_deletes() {
        let partial = |n: u32| json!({"error_code": "PARTIAL_DELETE", "message": format!("The requested operation has deleted {n} files. There are more files remaining. You must make another request to delete more.")});
        let t = ReplayTransport::new()
            .respond_json(503, partial(324))
            .respond_json(503, partial(76))
            .respond_json(200, json!({}));
        let s = api(&t)
            .delete_recursive("dbfs:/big")
            .await
            .expect("deleted");
        assert_eq!(
            s,
            DeleteSummary {
                calls: 3,
                files_deleted_at_least: 400
            }
        );
        assert!(t
            .requests()
            .iter()
            .all(|r| r.json() == json!({"path": "/big", "recursive": true})));
        let t = ReplayTransport::new().respond_json(
            400,
            json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "nope"}),
        );
        assert!(api(&t).delete_recursive("/x").await.is_err());
        assert_eq!(files_deleted("deleted some files"), None);
        assert_eq!(files_deleted("... has deleted 12 files."), Some(12));
    }
}
