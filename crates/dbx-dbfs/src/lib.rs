//! # dbx-dbfs
//!
//! The Databricks [DBFS API](https://docs.databricks.com/api/workspace/dbfs) (`/api/2.0/dbfs`):
//! every endpoint, plus streaming transfers that the official SDKs do poorly.
//!
//! * [`DbfsApi::upload`] streams any [`tokio::io::AsyncRead`] through `create` / `add-block` /
//!   `close` in 1 MiB blocks (the API's limit is on decoded bytes), with memory bounded
//!   independently of the file size, a progress callback, and cleanup (the handle is closed and
//!   the partial file deleted) when anything fails. [`DbfsApi::upload_file`] does the same from a
//!   local file.
//! * [`DbfsApi::download`] writes a DBFS file to any [`tokio::io::AsyncWrite`] with `read` calls
//!   of at most 1 MiB, optionally several in flight while still writing in order, again with
//!   bounded memory. [`DbfsApi::download_file`] writes a local file.
//! * [`DbfsApi::delete_recursive`] keeps calling `delete` while the server answers
//!   `503 PARTIAL_DELETE` ("call again to delete more").
//!
//! Paths may be written `/x` or `dbfs:/x`; they go on the wire as `/x` (see [`normalize_path`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), dbx_dbfs::TransferError> {
//! use dbx_core::{Client, Recursive};
//! use dbx_dbfs::DbfsApi;
//!
//! let dbfs = DbfsApi::new(Client::from_env()?);
//! dbfs.mkdirs("dbfs:/tmp/demo").await?;
//! let sent = dbfs
//!     .upload_file("dbfs:/tmp/demo/data.bin", "data.bin")
//!     .overwrite(true)
//!     .on_progress(|p| eprintln!("{} bytes sent", p.bytes))
//!     .send()
//!     .await?;
//! let got = dbfs
//!     .download_file("/tmp/demo/data.bin", "copy.bin")
//!     .concurrency(4)
//!     .send()
//!     .await?;
//! assert_eq!(sent.bytes, got.bytes);
//! for info in dbfs.list("/tmp/demo").await? {
//!     println!("{} {} bytes", info.path, info.file_size);
//! }
//! dbfs.delete_recursive("/tmp/demo").await?;
//! dbfs.delete("/tmp/empty-dir", Recursive::No).await?;
//! # Ok(()) }
//! ```
//!
//! | `databricksapi` 1.1.8 | dbx-dbfs |
//! |---|---|
//! | `DBFS.addBlock(data, handle)` | [`DbfsApi::add_block`] (takes raw bytes, encodes base64 itself) |
//! | `DBFS.closeStream(handle)` | [`DbfsApi::close`] |
//! | `DBFS.createFile(path, overwrite)` | [`DbfsApi::create`] |
//! | `DBFS.deleteFile(path, recursive)` | [`DbfsApi::delete`]; [`DbfsApi::delete_recursive`] (sends `recursive`, not the original's `recurisve`, and follows `PARTIAL_DELETE`) |
//! | `DBFS.getStatus(path)` | [`DbfsApi::get_status`] (also [`DbfsApi::exists`]) |
//! | `DBFS.listFiles(path)` | [`DbfsApi::list`] |
//! | `DBFS.makeDirs(path)` | [`DbfsApi::mkdirs`] |
//! | `DBFS.moveFiles(source_path, target_path)` | [`DbfsApi::move_path`] (sends `destination_path`, which the server expects) |
//! | `DBFS.putFiles(path, overwrite, files, contents)` | [`DbfsApi::put`]`(path, bytes).overwrite(..).send()` (inline JSON up to 1 MiB, multipart above); for local files of any size [`DbfsApi::upload_file`] |
//! | `DBFS.readFiles(path, offset, length)` | [`DbfsApi::read`]; whole files with [`DbfsApi::download`] / [`DbfsApi::download_file`] |
//!
//! ## Retries
//!
//! `dbx-core` retries 429 and 503 answers for every call (the server did nothing). After a
//! timeout or a broken connection only calls whose repetition is harmless are repeated:
//! reads, `get-status`, `list`, `mkdirs`, `delete`, `close` (an upload that sees its retried
//! `close` answer "no such handle" checks the file's size instead of failing), and `create` /
//! `put` with `overwrite` set. `add-block` is never repeated after a timeout: it could append
//! the same block twice; the upload fails and cleans up instead. `move` is not repeated either.
//! These are defaults: a caller's own choice ([`DbfsApi::with_options`] for every call through a
//! handle, a builder's `with_options` for one call) always wins. The rules themselves live in
//! [`dbx_core::retry`].

mod path;
mod transfer;

use std::borrow::Cow;

use base64::Engine as _;
use bytes::Bytes;
use dbx_core::{CallOptions, Client, Error, Overwrite, Recursive, Request, Result};
use serde::{Deserialize, Serialize};

/// The error of the transfer helpers, shared with `dbx-workspace`: [`dbx_core::TransferError`].
pub use dbx_core::TransferError;
pub use path::normalize_path;
pub use transfer::{DeleteSummary, Download, DownloadSummary, Progress, Upload, UploadSummary};

dbx_core::int_id!(
    /// A handle on an open DBFS write stream, returned by [`DbfsApi::create`]. It expires after
    /// 10 idle minutes.
    Handle
);

/// The most decoded bytes one `add-block` (or an inline `put`) may carry: 1 MiB.
pub const MAX_BLOCK_SIZE: usize = 1 << 20;
/// The most bytes one `read` may return: 1 MiB.
pub const MAX_READ_SIZE: usize = 1 << 20;
/// The read length the server uses when none is given: 0.5 MiB.
pub const DEFAULT_READ_LENGTH: usize = 1 << 19;
/// The largest file a multipart `put` accepts: 2 GiB. Use [`DbfsApi::upload`] beyond.
pub const MAX_PUT_SIZE: u64 = 1 << 31;

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// What DBFS tells about a file or directory (`FileInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// The absolute path, e.g. `/tmp/a.txt` (no `dbfs:` prefix).
    pub path: String,
    /// Whether the path is a directory.
    #[serde(default)]
    pub is_dir: bool,
    /// Length of the file in bytes; 0 for directories.
    #[serde(default)]
    pub file_size: i64,
    /// Last modification time, epoch milliseconds.
    #[serde(default)]
    pub modification_time: i64,
}

/// The answer of one [`DbfsApi::read`]: the decoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadChunk {
    /// Bytes read (fewer than asked at the end of the file; 0 at or past the end).
    pub bytes_read: i64,
    /// The decoded contents.
    pub data: Bytes,
}

/// The DBFS API. `Debug` shows the host, never a credential.
#[derive(Debug, Clone)]
pub struct DbfsApi {
    client: Client,
}

#[derive(Deserialize)]
struct HandleResponse {
    handle: Handle,
}

#[derive(Deserialize)]
struct ListResponse {
    #[serde(default)]
    files: Vec<FileInfo>,
}

#[derive(Deserialize)]
struct ReadResponse<'a> {
    #[serde(default)]
    bytes_read: i64,
    #[serde(borrow, default)]
    data: Option<Cow<'a, str>>,
}

impl DbfsApi {
    /// The DBFS API over `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// This API with `options` applied to every call made through the returned handle (see
    /// [`dbx_core::Client::with_options`]), the transfer helpers included.
    ///
    /// ```no_run
    /// # async fn demo(dbfs: dbx_dbfs::DbfsApi) -> dbx_core::Result<()> {
    /// use std::time::Duration;
    /// use dbx_core::CallOptions;
    /// let patient = dbfs.with_options(CallOptions::default().with_timeout(Duration::from_secs(300)));
    /// patient.mkdirs("/tmp/demo").await?;
    /// # Ok(()) }
    /// ```
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            client: self.client.with_options(options),
        }
    }

    /// The client this API sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Open a stream to write a file (`POST /api/2.0/dbfs/create`) and return its handle.
    /// With [`Overwrite::No`], an existing file or directory at `path` answers
    /// `RESOURCE_ALREADY_EXISTS`. Follow with [`DbfsApi::add_block`] calls and one
    /// [`DbfsApi::close`]; or let [`DbfsApi::upload`] do all three. (`true`/`false` are accepted
    /// for `overwrite` too.)
    ///
    /// ```no_run
    /// # async fn demo(dbfs: dbx_dbfs::DbfsApi) -> dbx_core::Result<()> {
    /// use dbx_core::Overwrite;
    /// let handle = dbfs.create("/tmp/log.txt", Overwrite::Yes).await?;
    /// dbfs.add_block(handle, b"hello").await?;
    /// dbfs.close(handle).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, path: &str, overwrite: impl Into<Overwrite>) -> Result<Handle> {
        let overwrite = overwrite.into().as_bool();
        #[derive(Serialize)]
        struct Body<'a> {
            path: &'a str,
            overwrite: bool,
        }
        let path = normalize_path(path)?;
        let req = Request::post("/api/2.0/dbfs/create")
            .json(&Body {
                path: &path,
                overwrite,
            })?
            // Repeating an overwriting create only truncates again (the first handle is left to
            // expire); without overwrite a repeat would fail on the file the first one reserved.
            .default_idempotent(overwrite);
        let resp: HandleResponse = self.client.call(req).await?;
        Ok(resp.handle)
    }

    /// Append a block of at most [`MAX_BLOCK_SIZE`] bytes to an open stream
    /// (`POST /api/2.0/dbfs/add-block`); the bytes are base64-encoded here. Larger blocks answer
    /// `MAX_BLOCK_SIZE_EXCEEDED`, unknown or expired handles `RESOURCE_DOES_NOT_EXIST`.
    ///
    /// Never repeated after a timeout: the block could be appended twice.
    pub async fn add_block(&self, handle: Handle, data: &[u8]) -> Result<()> {
        self.add_block_body(add_block_body(handle, data)).await
    }

    /// Send an already encoded `add-block` body.
    async fn add_block_body(&self, body: Bytes) -> Result<()> {
        let req = Request::post("/api/2.0/dbfs/add-block")
            .body(body, "application/json")
            .default_idempotent(false);
        self.client.call_empty(req).await
    }

    /// Close a stream, committing the file (`POST /api/2.0/dbfs/close`). An unknown, closed or
    /// expired handle answers `RESOURCE_DOES_NOT_EXIST`.
    pub async fn close(&self, handle: Handle) -> Result<()> {
        #[derive(Serialize)]
        struct Body {
            handle: Handle,
        }
        let req = Request::post("/api/2.0/dbfs/close")
            .json(&Body { handle })?
            // A repeated close changes nothing; its "no such handle" answer is handled by
            // `upload`, which then checks the committed size.
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Start a one-call upload of `contents` to `path` (`POST /api/2.0/dbfs/put`): as inline
    /// base64 JSON up to [`MAX_BLOCK_SIZE`] bytes, as `multipart/form-data` above (up to
    /// [`MAX_PUT_SIZE`]). The whole file is in memory; for large files prefer
    /// [`DbfsApi::upload`].
    pub fn put(&self, path: &str, contents: impl Into<Bytes>) -> Put<'_> {
        Put {
            api: self,
            path: path.to_owned(),
            contents: contents.into(),
            overwrite: Overwrite::No,
            multipart: None,
            options: CallOptions::default(),
        }
    }

    /// Read up to `length` bytes from `offset` (`GET /api/2.0/dbfs/read`); `None` lets the
    /// server pick its default of 0.5 MiB. Lengths above [`MAX_READ_SIZE`] answer
    /// `MAX_READ_SIZE_EXCEEDED`; a directory, a negative offset or a negative length
    /// `INVALID_PARAMETER_VALUE`; reading past the end returns what is there (maybe nothing).
    pub async fn read(&self, path: &str, offset: i64, length: Option<i64>) -> Result<ReadChunk> {
        let path = normalize_path(path)?;
        self.read_normalized(&path, offset, length).await
    }

    pub(crate) async fn read_normalized(
        &self,
        path: &str,
        offset: i64,
        length: Option<i64>,
    ) -> Result<ReadChunk> {
        let req = Request::get("/api/2.0/dbfs/read")
            .query("path", path)
            .query("offset", offset)
            .query_opt("length", length);
        let resp = self.client.execute(req).await?;
        decode_read(resp.body())
    }

    /// The status of a file or directory (`GET /api/2.0/dbfs/get-status`). A missing path
    /// answers `RESOURCE_DOES_NOT_EXIST` ([`dbx_core::Error::is_not_found`]).
    pub async fn get_status(&self, path: &str) -> Result<FileInfo> {
        let path = normalize_path(path)?;
        self.client
            .call(Request::get("/api/2.0/dbfs/get-status").query("path", path))
            .await
    }

    /// Whether a file or directory exists at `path` (a `get-status` that maps "not found" to
    /// `false`).
    pub async fn exists(&self, path: &str) -> Result<bool> {
        match self.get_status(path).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The entries of a directory, or the file itself when `path` is a file
    /// (`GET /api/2.0/dbfs/list`). Unpaged: the server sends everything at once.
    pub async fn list(&self, path: &str) -> Result<Vec<FileInfo>> {
        let path = normalize_path(path)?;
        let resp: ListResponse = self
            .client
            .call(Request::get("/api/2.0/dbfs/list").query("path", path))
            .await?;
        Ok(resp.files)
    }

    /// Create a directory and any missing parents (`POST /api/2.0/dbfs/mkdirs`); an existing
    /// directory is fine. A file on the way answers `RESOURCE_ALREADY_EXISTS`.
    pub async fn mkdirs(&self, path: &str) -> Result<()> {
        let path = normalize_path(path)?;
        let req = Request::post("/api/2.0/dbfs/mkdirs")
            .json(&PathBody { path: &path })?
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Move a file or a whole directory tree (`POST /api/2.0/dbfs/move`). A missing source
    /// answers `RESOURCE_DOES_NOT_EXIST`, an existing destination `RESOURCE_ALREADY_EXISTS`.
    /// Not repeated after a timeout (the second attempt would find the source gone).
    pub async fn move_path(&self, source: &str, destination: &str) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            source_path: &'a str,
            destination_path: &'a str,
        }
        let source = normalize_path(source)?;
        let destination = normalize_path(destination)?;
        let req = Request::post("/api/2.0/dbfs/move").json(&Body {
            source_path: &source,
            destination_path: &destination,
        })?;
        self.client.call_empty(req).await
    }

    /// Delete a file or directory (`POST /api/2.0/dbfs/delete`). A non-empty directory without
    /// `recursive` answers `IO_ERROR`; a very large tree answers `503 PARTIAL_DELETE` after part
    /// of the work, which this call returns as an error: use [`DbfsApi::delete_recursive`] to
    /// continue until done. (`true`/`false` are accepted for `recursive` too.)
    ///
    /// ```no_run
    /// # async fn demo(dbfs: dbx_dbfs::DbfsApi) -> dbx_core::Result<()> {
    /// use dbx_core::Recursive;
    /// dbfs.delete("/tmp/log.txt", Recursive::No).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, path: &str, recursive: impl Into<Recursive>) -> Result<()> {
        let path = normalize_path(path)?;
        self.delete_normalized(&path, recursive.into(), CallOptions::default())
            .await
    }

    pub(crate) async fn delete_normalized(
        &self,
        path: &str,
        recursive: Recursive,
        options: CallOptions,
    ) -> Result<()> {
        let recursive = recursive.as_bool();
        #[derive(Serialize)]
        struct Body<'a> {
            path: &'a str,
            recursive: bool,
        }
        let req = Request::post("/api/2.0/dbfs/delete")
            .json(&Body { path, recursive })?
            .options(options)
            // Deleting twice leaves the same state.
            .default_idempotent(true);
        self.client.call_empty(req).await
    }
}

#[derive(Serialize)]
struct PathBody<'a> {
    path: &'a str,
}

/// `{"handle":N,"data":"<base64>"}`, written directly: base64 needs no JSON escaping, and this
/// avoids an intermediate `String` of 1.4 MB per block.
pub(crate) fn add_block_body(handle: Handle, data: &[u8]) -> Bytes {
    let encoded_len = base64::encoded_len(data.len(), true).unwrap_or(0);
    let mut body = Vec::with_capacity(encoded_len + 48);
    body.extend_from_slice(b"{\"handle\":");
    body.extend_from_slice(handle.0.to_string().as_bytes());
    body.extend_from_slice(b",\"data\":\"");
    let start = body.len();
    body.resize(start + encoded_len, 0);
    let written = BASE64
        .encode_slice(data, &mut body[start..])
        .unwrap_or_default();
    body.truncate(start + written);
    body.extend_from_slice(b"\"}");
    Bytes::from(body)
}

/// Decode a `read` answer without copying the base64 text (borrowed unless it has escapes).
pub(crate) fn decode_read(body: &[u8]) -> Result<ReadChunk> {
    let resp: ReadResponse<'_> = serde_json::from_slice(body).map_err(|e| Error::Decode {
        path: String::new(),
        message: e.to_string(),
    })?;
    let data = match resp.data {
        Some(text) => BASE64.decode(text.as_bytes()).map_err(|e| Error::Decode {
            path: "data".into(),
            message: format!("not base64: {e}"),
        })?,
        None => Vec::new(),
    };
    if usize::try_from(resp.bytes_read).ok() != Some(data.len()) {
        return Err(Error::Decode {
            path: "bytes_read".into(),
            message: format!(
                "bytes_read is {} but data holds {} bytes",
                resp.bytes_read,
                data.len()
            ),
        });
    }
    Ok(ReadChunk {
        bytes_read: resp.bytes_read,
        data: Bytes::from(data),
    })
}

/// Builder for [`DbfsApi::put`]. `Debug` shows the size of the contents, not the bytes.
#[must_use = "call .send().await"]
pub struct Put<'a> {
    api: &'a DbfsApi,
    path: String,
    contents: Bytes,
    overwrite: Overwrite,
    multipart: Option<bool>,
    options: CallOptions,
}

impl std::fmt::Debug for Put<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Put")
            .field("path", &self.path)
            .field("contents", &format_args!("<{} bytes>", self.contents.len()))
            .field("overwrite", &self.overwrite)
            .field("multipart", &self.multipart)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Put<'_> {
    /// Replace an existing file ([`Overwrite::Yes`] or `true`; default: fail with
    /// `RESOURCE_ALREADY_EXISTS`).
    pub fn overwrite(mut self, overwrite: impl Into<Overwrite>) -> Self {
        self.overwrite = overwrite.into();
        self
    }

    /// Force the encoding: `true` sends `multipart/form-data`, `false` inline base64 JSON
    /// (which the server refuses above 1 MiB with `MAX_BLOCK_SIZE_EXCEEDED`). By default inline
    /// is used up to [`MAX_BLOCK_SIZE`] bytes and multipart above.
    pub fn multipart(mut self, multipart: bool) -> Self {
        self.multipart = Some(multipart);
        self
    }

    /// Per-call options (timeout, retry policy, idempotency); they win over the handle's and
    /// over the call's default.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Send the file. Repeated after a timeout only with `overwrite` (otherwise the repeat would
    /// fail on the file the first attempt wrote).
    pub async fn send(self) -> Result<()> {
        let path = normalize_path(&self.path)?;
        let multipart = self
            .multipart
            .unwrap_or(self.contents.len() > MAX_BLOCK_SIZE);
        let overwrite = self.overwrite.as_bool();
        let req = Request::post("/api/2.0/dbfs/put");
        let req = if multipart {
            if self.contents.len() as u64 > MAX_PUT_SIZE {
                return Err(Error::InvalidRequest(format!(
                    "dbfs put takes at most {MAX_PUT_SIZE} bytes ({} given): use DbfsApi::upload",
                    self.contents.len()
                )));
            }
            // The file part is `contents`, the name the API documents (`curl -F contents=@f`).
            let (body, content_type) = dbx_core::multipart::encode(
                &[
                    ("path", &path),
                    ("overwrite", if overwrite { "true" } else { "false" }),
                ],
                "contents",
                path::file_name(&path),
                &self.contents,
            );
            req.body(body, content_type)
        } else {
            #[derive(Serialize)]
            struct Body<'a> {
                path: &'a str,
                contents: String,
                overwrite: bool,
            }
            req.json(&Body {
                path: &path,
                contents: BASE64.encode(&self.contents),
                overwrite,
            })?
        };
        let req = req.options(self.options).default_idempotent(overwrite);
        self.api.client.call_empty(req).await
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use dbx_core::testing::ReplayTransport;
    use dbx_core::{Config, RetryPolicy};
    use serde_json::json;
    use std::time::Duration;

    pub(crate) fn api(t: &ReplayTransport) -> DbfsApi {
        let cfg = Config::builder()
            .host("https://x.invalid")
            .token("t")
            .retry(RetryPolicy {
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(2),
                jitter: false,
                ..RetryPolicy::default()
            })
            .build()
            .expect("config");
        DbfsApi::new(Client::with_transport(cfg, t.clone()))
    }

    #[test]
    fn debug_shows_sizes_and_the_host_never_bytes_or_credentials() {
        let t = ReplayTransport::new();
        let a = api(&t);
        let put = a.put("/p", Bytes::from_static(b"payload-bytes"));
        let shown = format!("{a:?} {put:?}");
        assert!(
            shown.contains("<13 bytes>") && shown.contains("https://x.invalid"),
            "{shown}"
        );
        assert!(
            !shown.contains("payload-bytes") && !shown.contains("\"t\""),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn simple_calls_send_the_documented_shapes() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({"handle": 7}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(
                200,
                json!({"path": "/a", "is_dir": true, "file_size": 0, "modification_time": 5}),
            )
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}));
        let a = api(&t);
        let h = a.create("dbfs:/a//b.txt", true).await.expect("create");
        assert_eq!(h, Handle(7));
        a.add_block(h, b"hello").await.expect("add-block");
        a.close(h).await.expect("close");
        let st = a.get_status("dbfs:/a/").await.expect("status");
        assert!(st.is_dir);
        a.mkdirs("dbfs:/a/b").await.expect("mkdirs");
        a.move_path("/a/b", "dbfs:/c").await.expect("move");
        a.delete("/c", true).await.expect("delete");
        assert!(a.list("/none").await.expect("list").is_empty());
        let r = t.requests();
        let shapes: Vec<_> = r
            .iter()
            .map(|r| {
                (
                    r.method.as_str(),
                    r.path.as_str(),
                    r.query.clone(),
                    r.json(),
                )
            })
            .collect();
        assert_eq!(
            shapes,
            vec![
                (
                    "POST",
                    "/api/2.0/dbfs/create",
                    None,
                    json!({"path": "/a/b.txt", "overwrite": true})
                ),
                (
                    "POST",
                    "/api/2.0/dbfs/add-block",
                    None,
                    json!({"handle": 7, "data": "aGVsbG8="})
                ),
                ("POST", "/api/2.0/dbfs/close", None, json!({"handle": 7})),
                (
                    "GET",
                    "/api/2.0/dbfs/get-status",
                    Some("path=%2Fa".into()),
                    serde_json::Value::Null
                ),
                (
                    "POST",
                    "/api/2.0/dbfs/mkdirs",
                    None,
                    json!({"path": "/a/b"})
                ),
                (
                    "POST",
                    "/api/2.0/dbfs/move",
                    None,
                    json!({"source_path": "/a/b", "destination_path": "/c"})
                ),
                (
                    "POST",
                    "/api/2.0/dbfs/delete",
                    None,
                    json!({"path": "/c", "recursive": true})
                ),
                (
                    "GET",
                    "/api/2.0/dbfs/list",
                    Some("path=%2Fnone".into()),
                    serde_json::Value::Null
                ),
            ]
        );
        assert!(r.iter().all(|r| r.authorized));
        assert_eq!(
            r[1].headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
    }

    #[tokio::test]
    async fn read_decodes_and_checks_the_length() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({"bytes_read": 5, "data": "aGVsbG8="}))
            .respond_json(200, json!({"bytes_read": 0}))
            .respond_json(200, json!({"bytes_read": 3, "data": "aGVsbG8="}))
            .respond_json(200, json!({"bytes_read": 1, "data": "***"}));
        let a = api(&t);
        let c = a.read("dbfs:/f", 2, Some(5)).await.expect("read");
        assert_eq!(&c.data[..], b"hello");
        assert_eq!(
            t.requests()[0].query.as_deref(),
            Some("path=%2Ff&offset=2&length=5")
        );
        let empty = a.read("/f", 100, None).await.expect("read past end");
        assert_eq!(empty.bytes_read, 0);
        assert!(empty.data.is_empty());
        assert_eq!(
            t.requests()[1].query.as_deref(),
            Some("path=%2Ff&offset=100")
        );
        let mismatch = a.read("/f", 0, None).await.expect_err("mismatch");
        assert!(matches!(mismatch, Error::Decode { ref path, .. } if path == "bytes_read"));
        let bad = a.read("/f", 0, None).await.expect_err("bad base64");
        assert!(matches!(bad, Error::Decode { ref path, .. } if path == "data"));
    }

    #[tokio::test]
    async fn the_callers_idempotency_wins_over_the_methods_default() {
        let gateway_timeout_then = |answer: serde_json::Value| {
            ReplayTransport::new()
                .respond_json(
                    504,
                    json!({"error_code": "DEADLINE_EXCEEDED", "message": "slow"}),
                )
                .respond_json(200, answer)
        };
        let retry = CallOptions::default().with_retry(dbx_core::RetryPolicy {
            initial_backoff: std::time::Duration::ZERO,
            jitter: false,
            ..dbx_core::RetryPolicy::default()
        });
        // delete is idempotent by default: retried after a 504 ...
        let t = gateway_timeout_then(json!({}));
        api(&t)
            .with_options(retry.clone())
            .delete("/x", Recursive::Yes)
            .await
            .expect("retried");
        assert_eq!(t.requests().len(), 2);
        assert_eq!(
            t.requests()[0].json(),
            json!({"path": "/x", "recursive": true})
        );
        // ... unless the handle says otherwise (the caller's choice used to be overridden).
        let t = gateway_timeout_then(json!({}));
        api(&t)
            .with_options(retry.clone().with_idempotent(false))
            .delete("/x", Recursive::No)
            .await
            .expect_err("not retried");
        assert_eq!(t.requests().len(), 1);
        // An overwriting put is idempotent by default; the call's own options win.
        let t = gateway_timeout_then(json!({}));
        api(&t)
            .put("/p", Bytes::from_static(b"hi"))
            .overwrite(Overwrite::Yes)
            .with_options(retry.clone().with_idempotent(false))
            .send()
            .await
            .expect_err("not retried");
        assert_eq!(t.requests().len(), 1);
        // A create without overwrite is not, but the caller may declare it so.
        let t = gateway_timeout_then(json!({"handle": 7}));
        let handle = api(&t)
            .with_options(retry.with_idempotent(true))
            .create("/c", Overwrite::No)
            .await
            .expect("retried");
        assert_eq!(handle, Handle::from(7));
        assert_eq!(t.requests().len(), 2);
    }

    #[tokio::test]
    async fn put_is_inline_up_to_one_mib_and_multipart_above() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}));
        let a = api(&t);
        a.put("dbfs:/p", Bytes::from_static(b"hi"))
            .overwrite(true)
            .send()
            .await
            .expect("inline");
        let big = vec![7u8; MAX_BLOCK_SIZE + 1];
        a.put("/dir/big.bin", big.clone())
            .send()
            .await
            .expect("multipart");
        a.put("/small", Bytes::from_static(b"x"))
            .multipart(true)
            .send()
            .await
            .expect("forced multipart");
        let r = t.requests();
        assert_eq!(
            r[0].json(),
            json!({"path": "/p", "contents": "aGk=", "overwrite": true})
        );
        let ct = r[1]
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(ct.starts_with("multipart/form-data; boundary="), "{ct}");
        let body = &r[1].body;
        assert!(body.len() > big.len());
        let text = String::from_utf8_lossy(&body[..500]);
        assert!(
            text.contains("name=\"path\"\r\n\r\n/dir/big.bin\r\n"),
            "{text}"
        );
        assert!(
            text.contains("name=\"overwrite\"\r\n\r\nfalse\r\n"),
            "{text}"
        );
        assert!(
            text.contains("name=\"contents\"; filename=\"big.bin\""),
            "{text}"
        );
        assert!(r[2]
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data")));
    }

    #[tokio::test]
    async fn add_block_is_not_retried_after_a_broken_connection_but_429_is() {
        use dbx_core::TransportErrorKind;
        let t = ReplayTransport::new()
            .respond_json(
                429,
                json!({"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}),
            )
            .respond_json(200, json!({}))
            .fail(TransportErrorKind::Io, "connection reset")
            .respond_json(200, json!({}));
        let a = api(&t);
        a.add_block(Handle(1), b"a").await.expect("429 then ok");
        let err = a.add_block(Handle(1), b"b").await.expect_err("not retried");
        assert!(err.is_outcome_unknown(), "{err}");
        assert!(
            matches!(&err, Error::OutcomeUnknown { source, .. } if matches!(**source, Error::Transport(_))),
            "{err}"
        );
        assert_eq!(t.requests().len(), 3);
        // A broken close is repeated: closing twice is harmless.
        let t2 = ReplayTransport::new()
            .fail(TransportErrorKind::Io, "reset")
            .respond_json(200, json!({}));
        api(&t2).close(Handle(1)).await.expect("close retried");
        assert_eq!(t2.requests().len(), 2);
    }

    #[test]
    fn add_block_body_is_valid_json() {
        let body = add_block_body(Handle(-3), &[0, 1, 2, 250]);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v, json!({"handle": -3, "data": "AAEC+g=="}));
        let empty = add_block_body(Handle(1), &[]);
        assert_eq!(&empty[..], br#"{"handle":1,"data":""}"#);
    }

    #[tokio::test]
    async fn relative_paths_are_refused_before_sending() {
        let t = ReplayTransport::new();
        let a = api(&t);
        assert!(matches!(
            a.get_status("tmp/x").await,
            Err(Error::InvalidRequest(_))
        ));
        assert!(t.requests().is_empty());
    }
}
