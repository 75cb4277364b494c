//! DBFS API — `/api/2.0/dbfs` (<https://docs.databricks.com/api/workspace/dbfs>).
//!
//! An in-memory file tree: a map from normalised absolute path to node (directory, or file
//! holding its raw bytes as a list of shared chunks, so appending a block and reading a range
//! inside one block copy nothing). The root `/` always exists and is not stored.
//!
//! The root is not empty: like a new workspace's, it holds the standard folders
//! [`ROOT_FOLDERS`](crate::state::dbfs::ROOT_FOLDERS) from the start (and again after `/__mock/reset`). docs.databricks.com
//! "What are the root directories?" (`dbfs/root-locations`) names `/databricks-datasets`,
//! `/user/hive/warehouse`, `/FileStore`, `/databricks-results` (and the legacy
//! `/databricks/init` that only some workspaces have, not seeded); `/tmp` is ours [inf].
//! `/databricks-datasets` holds Databricks' sample datasets and is read-only: here it is an
//! empty folder [inf: the datasets themselves are not emulated], and every write to it or below
//! it (`create`, `put`, `mkdirs` of a new folder, `move` from or to it, `delete`) answers
//! `403 PERMISSION_DENIED` [inf: the service's exact answer is not documented]. The other
//! standard folders are ordinary folders. Deleting `/` itself answers `403 PERMISSION_DENIED`
//! and deletes nothing [inf]; its non-recursive delete would fail anyway, as `/` is never empty.
//!
//! Rules, with our choices marked [inf]:
//! * Paths may be `/x` or `dbfs:/x`; repeated and trailing slashes are dropped. A relative path
//!   is `INVALID_PARAMETER_VALUE` "Path must be absolute: x" [inf].
//! * `create` puts an empty file at the path at once (that is the reservation: a second
//!   `create` without `overwrite` fails) and returns a handle; `add-block` appends to the
//!   handle's buffer in order; `close` commits the buffer as the file's contents and frees the
//!   handle [inf: the file is visible, empty, before `close`]. Unknown, closed and expired
//!   handles are `RESOURCE_DOES_NOT_EXIST`; a handle expires after 10 idle minutes on the
//!   emulator clock. Missing parent directories are created by `create`, `put`, `close` and
//!   `move` [inf].
//! * Blocks, inline `put` contents and reads are limited to 1 MiB of decoded bytes
//!   (`MAX_BLOCK_SIZE_EXCEEDED`, `MAX_READ_SIZE_EXCEEDED`). Multipart `put` takes up to 2 GiB
//!   (and the emulator's body limit).
//! * A directory can never be overwritten by a file (`RESOURCE_ALREADY_EXISTS`, even with
//!   `overwrite`) [inf].
//! * Directories report `modification_time` 0 and `file_size` 0 [obs: DBFS root directories
//!   are object-store prefixes without a time]; files the emulator time of their last write.
//! * `delete` of a missing path succeeds [obs]; a non-empty directory without `recursive` is
//!   `IO_ERROR`; a recursive delete removes at most [`DELETE_BATCH`] entries per call, deepest
//!   first, and answers `503 PARTIAL_DELETE` while more remain [inf: Databricks stops after
//!   about 45 seconds instead].
//! * `move` moves files and whole trees (open handles under the source follow it [inf]).
//!
//! Base64 decoding of `add-block` and `put` payloads happens before the state is locked (the
//! routes' prepare step); `read` gathers the range with the state locked and base64-encodes it
//! after the lock is released (a deferred reply). The state types are in `state/dbfs.rs`.

use base64::Engine as _;
use bytes::Bytes;
use http::Method;
use serde_json::{json, Value};

use super::{Access, Ctx, MultipartField, Payload, ReadCtx, Reply, Route};
use crate::error::{ApiError, ErrorCode};
use crate::params::Params;
use crate::state::dbfs::{
    ancestors, check_writable, concat, exists, no_handle, Content, Node, Stream,
};

/// Most decoded bytes per `add-block`, inline `put` and `read`: 1 MiB.
pub(crate) const MAX_BLOCK: usize = 1 << 20;
/// Largest multipart `put`: 2 GiB.
const MAX_PUT: usize = 1 << 31;
/// `read` length when none is given: 0.5 MiB.
const DEFAULT_READ_LENGTH: i64 = 1 << 19;
/// Entries one recursive `delete` call removes before answering `PARTIAL_DELETE` [inf].
pub(crate) const DELETE_BATCH: usize = 1000;

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The DBFS routes (2.0 only).
pub(crate) fn routes() -> Vec<Route> {
    const V: &[&str] = &["2.0"];
    vec![
        Route::new(Method::POST, "dbfs/create", V, create).access(Access::AnyUser),
        Route::new(Method::POST, "dbfs/add-block", V, add_block)
            .access(Access::AnyUser)
            .with_prepare(decode_block),
        Route::new(Method::POST, "dbfs/close", V, close).access(Access::AnyUser),
        Route::new(Method::POST, "dbfs/put", V, put)
            .access(Access::AnyUser)
            .with_prepare(put_contents)
            // The file part may be 2 GiB; allow for the form's other parts around it.
            .with_max_body(MAX_PUT + 64 * 1024),
        Route::read(Method::GET, "dbfs/read", V, read).access(Access::AnyUser),
        Route::read(Method::GET, "dbfs/get-status", V, get_status).access(Access::AnyUser),
        Route::read(Method::GET, "dbfs/list", V, list).access(Access::AnyUser),
        Route::new(Method::POST, "dbfs/mkdirs", V, mkdirs).access(Access::AnyUser),
        Route::new(Method::POST, "dbfs/move", V, move_path).access(Access::AnyUser),
        Route::new(Method::POST, "dbfs/delete", V, delete).access(Access::AnyUser),
    ]
}

fn not_found(path: &str) -> ApiError {
    ApiError::does_not_exist(format!("No file or directory exists on path dbfs:{path}."))
}

fn block_too_large(len: usize) -> ApiError {
    ApiError::new(
        ErrorCode::MaxBlockSizeExceeded,
        format!("The data block of {len} bytes exceeds the maximum of {MAX_BLOCK} bytes."),
    )
}

/// Normalise `/x` or `dbfs:/x`: collapse slashes, drop a trailing one.
fn normalize(raw: &str) -> Result<String, ApiError> {
    let rest = raw.strip_prefix("dbfs:").unwrap_or(raw);
    if !rest.starts_with('/') {
        return Err(ApiError::invalid_parameter(format!(
            "Path must be absolute: {raw}"
        )));
    }
    let mut out = String::with_capacity(rest.len());
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

fn path_param(params: &Params, name: &str) -> Result<String, ApiError> {
    normalize(params.str(name)?)
}

/// `prefix/` — the start of the keys under `path`.
fn children_prefix(path: &str) -> String {
    if path == "/" {
        "/".to_owned()
    } else {
        format!("{path}/")
    }
}

fn file_info(path: &str, node: Option<&Node>) -> Value {
    match node {
        Some(Node::File { content, mtime }) => json!({
            "path": path,
            "is_dir": false,
            "file_size": content.len(),
            "modification_time": mtime,
        }),
        _ => json!({"path": path, "is_dir": true, "file_size": 0, "modification_time": 0}),
    }
}

/// `POST dbfs/create` `{path, overwrite}` → `{"handle": n}`.
fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(ctx.params, "path")?;
    let overwrite = ctx.params.opt_bool("overwrite")?.unwrap_or(false);
    let now = ctx.now_ms;
    let dbfs = &mut ctx.state.dbfs;
    dbfs.purge_expired(now);
    ctx.limits.state.check_dbfs_write(dbfs, Some(&path), 0)?;
    dbfs.write_file(&path, Content::default(), overwrite, now)?;
    dbfs.last_handle += 1;
    let handle = dbfs.last_handle;
    dbfs.streams.insert(
        handle,
        Stream {
            path,
            content: Content::default(),
            last_used_ms: now,
        },
    );
    Ok(Reply::json(json!({ "handle": handle })))
}

/// Before the lock: decode `data` and check the 1 MiB limit.
fn decode_block(params: &Params, _: &[MultipartField]) -> Result<Option<Payload>, ApiError> {
    params.i64("handle")?;
    decode_limited(params.str("data")?, "data").map(|b| Some(Payload::Bytes(b)))
}

/// Decode base64 `text` of at most [`MAX_BLOCK`] decoded bytes (checked before decoding).
fn decode_limited(text: &str, field: &str) -> Result<Bytes, ApiError> {
    let text = text.trim_end_matches(['\r', '\n']);
    let padding = text.bytes().rev().take_while(|b| *b == b'=').count();
    let estimate = (text.len() / 4 * 3).saturating_sub(padding);
    if estimate > MAX_BLOCK {
        return Err(block_too_large(estimate));
    }
    let data = BASE64.decode(text).map_err(|e| {
        ApiError::invalid_parameter(format!("Field {field} is not valid base64: {e}"))
    })?;
    if data.len() > MAX_BLOCK {
        return Err(block_too_large(data.len()));
    }
    Ok(Bytes::from(data))
}

/// `POST dbfs/add-block` `{handle, data}` → `{}`.
fn add_block(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let handle = ctx.params.i64("handle")?;
    let data = ctx.take_bytes().unwrap_or_default();
    let now = ctx.now_ms;
    ctx.state.dbfs.stream(handle, now)?;
    let added = u64::try_from(data.len()).unwrap_or(u64::MAX);
    ctx.limits
        .state
        .check_dbfs_write(&ctx.state.dbfs, None, added)?;
    let stream = ctx.state.dbfs.stream(handle, now)?;
    stream.content.push(data);
    stream.last_used_ms = now;
    Ok(Reply::empty())
}

/// `POST dbfs/close` `{handle}` → `{}`: commit and free the handle.
fn close(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let handle = ctx.params.i64("handle")?;
    let now = ctx.now_ms;
    let dbfs = &mut ctx.state.dbfs;
    dbfs.stream(handle, now)?;
    let stream = dbfs
        .streams
        .remove(&handle)
        .ok_or_else(|| no_handle(handle))?;
    dbfs.write_file(&stream.path, stream.content, true, now)?;
    Ok(Reply::empty())
}

/// Before the lock: the file's bytes, from a multipart file part (`contents` or `file`) or the
/// base64 `contents` field (at most 1 MiB).
fn put_contents(
    params: &Params,
    multipart: &[MultipartField],
) -> Result<Option<Payload>, ApiError> {
    params.str("path")?;
    let part = multipart
        .iter()
        .find(|f| f.filename.is_some() && (f.name == "contents" || f.name == "file"));
    if let Some(part) = part {
        if part.data.len() > MAX_PUT {
            return Err(block_too_large(part.data.len()));
        }
        return Ok(Some(Payload::Bytes(part.data.clone())));
    }
    match params.opt_str("contents")? {
        Some(text) => decode_limited(text, "contents").map(|b| Some(Payload::Bytes(b))),
        None => Ok(None),
    }
}

/// `POST dbfs/put` (JSON or multipart) → `{}`.
fn put(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(ctx.params, "path")?;
    let overwrite = ctx.params.opt_bool("overwrite")?.unwrap_or(false);
    let mut content = Content::default();
    if let Some(data) = ctx.take_bytes() {
        content.push(data);
    }
    let now = ctx.now_ms;
    ctx.limits
        .state
        .check_dbfs_write(&ctx.state.dbfs, Some(&path), content.len())?;
    ctx.state.dbfs.write_file(&path, content, overwrite, now)?;
    Ok(Reply::empty())
}

/// `GET dbfs/read?path=&offset=&length=` → `{"bytes_read": n, "data": base64}`.
fn read(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(ctx.params, "path")?;
    let offset = ctx.params.opt_i64("offset")?.unwrap_or(0);
    let length = ctx.params.opt_i64("length")?.unwrap_or(DEFAULT_READ_LENGTH);
    if offset < 0 {
        return Err(ApiError::invalid_parameter(format!(
            "Offset must be non-negative: {offset}"
        )));
    }
    if length < 0 {
        return Err(ApiError::invalid_parameter(format!(
            "Length must be non-negative: {length}"
        )));
    }
    if length > MAX_BLOCK as i64 {
        return Err(ApiError::new(
            ErrorCode::MaxReadSizeExceeded,
            format!("Cannot read more than {MAX_BLOCK} bytes at once; {length} were requested."),
        ));
    }
    // With the state locked: only shared pieces of the file's chunks (no copy).
    let pieces = match ctx.state.dbfs.nodes.get(&path) {
        Some(Node::File { content, .. }) => content.pieces(offset as u64, length as u64),
        Some(Node::Dir) => return Err(is_a_directory(&path)),
        None if path == "/" => return Err(is_a_directory(&path)),
        None => return Err(not_found(&path)),
    };
    // After the lock is released: join the pieces and base64-encode up to 1 MiB.
    Ok(Reply::deferred(move || {
        read_answer(&concat(pieces)).map(|body| Reply::bytes("application/json", body))
    }))
}

/// The `read` answer `{"bytes_read": n, "data": base64}`, written directly: base64 needs no
/// escaping, and a 1.4 MB `Value` would cost a copy.
fn read_answer(data: &[u8]) -> Result<Bytes, ApiError> {
    let encoded_len = base64::encoded_len(data.len(), true).unwrap_or(0);
    let mut body = Vec::with_capacity(encoded_len + 48);
    body.extend_from_slice(b"{\"bytes_read\":");
    body.extend_from_slice(data.len().to_string().as_bytes());
    body.extend_from_slice(b",\"data\":\"");
    let start = body.len();
    body.resize(start + encoded_len, 0);
    let written = BASE64
        .encode_slice(data, &mut body[start..])
        .map_err(|e| ApiError::internal(format!("base64 encoding failed: {e}")))?;
    body.truncate(start + written);
    body.extend_from_slice(b"\"}");
    Ok(Bytes::from(body))
}

fn is_a_directory(path: &str) -> ApiError {
    ApiError::invalid_parameter(format!("Cannot read dbfs:{path}: it is a directory."))
}

/// `GET dbfs/get-status?path=` → FileInfo.
fn get_status(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(ctx.params, "path")?;
    let dbfs = &ctx.state.dbfs;
    if !dbfs.exists(&path) {
        return Err(not_found(&path));
    }
    Ok(Reply::json(file_info(&path, dbfs.nodes.get(&path))))
}

/// `GET dbfs/list?path=` → `{"files": [FileInfo]}`: a directory's direct children sorted by
/// path, or the file itself; an empty directory answers `{}`.
fn list(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(ctx.params, "path")?;
    let dbfs = &ctx.state.dbfs;
    if !dbfs.exists(&path) {
        return Err(not_found(&path));
    }
    if !dbfs.is_dir(&path) {
        return Ok(Reply::json(
            json!({ "files": [file_info(&path, dbfs.nodes.get(&path))] }),
        ));
    }
    let prefix = children_prefix(&path);
    let files: Vec<Value> = dbfs
        .descendants(&path)
        .filter(|k| !k[prefix.len()..].contains('/'))
        .map(|k| file_info(k, dbfs.nodes.get(k.as_str())))
        .collect();
    Ok(Reply::json(json!({ "files": files })))
}

/// `POST dbfs/mkdirs {path}` → `{}`: the directory and its parents; existing ones are fine.
fn mkdirs(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(ctx.params, "path")?;
    ctx.limits.state.check_dbfs_dirs(&ctx.state.dbfs, &path)?;
    let dbfs = &mut ctx.state.dbfs;
    // Walk from the root, creating as we go: a file on the way stops us, leaving the
    // directories made so far (as the documentation warns).
    for dir in ancestors(&path).chain((path != "/").then_some(path.as_str())) {
        match dbfs.nodes.get(dir) {
            Some(Node::File { .. }) => return Err(exists(dir)),
            Some(Node::Dir) => {}
            None => {
                check_writable(dir)?;
                dbfs.nodes.insert(dir.to_owned(), Node::Dir);
            }
        }
    }
    Ok(Reply::empty())
}

/// `POST dbfs/move {source_path, destination_path}` → `{}`.
fn move_path(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let source = path_param(ctx.params, "source_path")?;
    let dest = path_param(ctx.params, "destination_path")?;
    check_writable(&source)?;
    check_writable(&dest)?;
    let dbfs = &mut ctx.state.dbfs;
    if !dbfs.exists(&source) {
        return Err(not_found(&source));
    }
    if dbfs.exists(&dest) {
        return Err(exists(&dest));
    }
    if source == "/" || dest.starts_with(&children_prefix(&source)) {
        return Err(ApiError::invalid_parameter(format!(
            "Cannot move dbfs:{source} into itself (dbfs:{dest})."
        )));
    }
    dbfs.check_ancestors(&dest)?;
    dbfs.make_ancestors(&dest);
    let src_prefix = children_prefix(&source);
    let moved: Vec<String> = dbfs.descendants(&source).cloned().collect();
    if let Some(node) = dbfs.nodes.remove(&source) {
        dbfs.nodes.insert(dest.clone(), node);
    }
    for key in moved {
        if let Some(node) = dbfs.nodes.remove(&key) {
            dbfs.nodes
                .insert(format!("{dest}/{}", &key[src_prefix.len()..]), node);
        }
    }
    for stream in dbfs.streams.values_mut() {
        if stream.path == source {
            stream.path.clone_from(&dest);
        } else if let Some(rest) = stream.path.strip_prefix(&src_prefix) {
            stream.path = format!("{dest}/{rest}");
        }
    }
    Ok(Reply::empty())
}

/// `POST dbfs/delete {path, recursive}` → `{}`; large trees in batches (`PARTIAL_DELETE`).
fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(ctx.params, "path")?;
    let recursive = ctx.params.opt_bool("recursive")?.unwrap_or(false);
    if path == "/" {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            "Cannot delete the DBFS root dbfs:/.",
        ));
    }
    check_writable(&path)?;
    let dbfs = &mut ctx.state.dbfs;
    if !dbfs.exists(&path) {
        return Ok(Reply::empty());
    }
    if !dbfs.is_dir(&path) {
        dbfs.nodes.remove(&path);
        return Ok(Reply::empty());
    }
    let mut doomed: Vec<String> = dbfs.descendants(&path).rev().cloned().collect();
    if !doomed.is_empty() && !recursive {
        return Err(ApiError::new(
            ErrorCode::IoError,
            format!("Path is a folder: {path} and it is not an empty directory"),
        ));
    }
    if doomed.len() > DELETE_BATCH {
        doomed.truncate(DELETE_BATCH);
        for key in &doomed {
            dbfs.nodes.remove(key);
        }
        return Err(ApiError::new(
            ErrorCode::PartialDelete,
            format!(
                "The requested operation has deleted {} files. There are more files remaining. \
                 You must make another request to delete more.",
                doomed.len()
            ),
        ));
    }
    for key in &doomed {
        dbfs.nodes.remove(key);
    }
    dbfs.nodes.remove(&path);
    Ok(Reply::empty())
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;
    use crate::api::call_handler;
    use crate::emulator::Emulator;

    /// A 1 MiB read gathers shared pieces with the state locked and encodes them in a deferred
    /// reply, after the lock; errors decided by the state are still the handler's.
    #[tokio::test]
    async fn read_encodes_after_the_lock_is_released() {
        let emu = Emulator::new();
        let parts = [
            vec![1u8; 300_000],
            vec![2u8; 500_000],
            vec![3u8; MAX_BLOCK - 800_000],
        ];
        let mut content = Content::default();
        for part in &parts {
            content.push(Bytes::from(part.clone()));
        }
        let written = emu
            .inner
            .state
            .write()
            .dbfs
            .write_file("/tmp/big", content, false, 1);
        assert!(written.is_ok());
        let reply = call_handler(&emu, read, json!({"path": "/tmp/big", "length": MAX_BLOCK}))
            .expect("read");
        assert!(
            reply.is_deferred(),
            "the encoding must wait for the lock's release"
        );
        let resp = reply
            .resolve()
            .expect("encoded")
            .into_response(&crate::api::ResponsePolicy::DATABRICKS);
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        let v: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["bytes_read"], MAX_BLOCK);
        let data = BASE64
            .decode(v["data"].as_str().expect("data"))
            .expect("base64");
        assert_eq!(data, parts.concat());
        let e = call_handler(&emu, read, json!({"path": "/tmp/nope"})).expect_err("missing");
        assert_eq!(e.error_code(), Some("RESOURCE_DOES_NOT_EXIST"));
        let e = call_handler(&emu, read, json!({"path": "/tmp"})).expect_err("a directory");
        assert_eq!(e.error_code(), Some("INVALID_PARAMETER_VALUE"));
    }

    #[test]
    fn paths_normalise() {
        assert_eq!(normalize("dbfs:/a//b/").ok().as_deref(), Some("/a/b"));
        assert_eq!(normalize("dbfs:").ok(), None);
        assert_eq!(normalize("/").ok().as_deref(), Some("/"));
        let e = normalize("a/b").expect_err("relative");
        assert_eq!(e.error_code(), Some("INVALID_PARAMETER_VALUE"));
        assert_eq!(ancestors("/a/b/c").collect::<Vec<_>>(), ["/a", "/a/b"]);
        assert_eq!(ancestors("/a").count(), 0);
    }

    #[test]
    fn block_limit_is_checked_before_decoding() {
        let ok = BASE64.encode(vec![1u8; MAX_BLOCK]);
        assert_eq!(
            decode_limited(&ok, "data").map(|b| b.len()).ok(),
            Some(MAX_BLOCK)
        );
        let big = BASE64.encode(vec![1u8; MAX_BLOCK + 1]);
        let e = decode_limited(&big, "data").expect_err("too big");
        assert_eq!(e.error_code(), Some("MAX_BLOCK_SIZE_EXCEEDED"));
        let e = decode_limited("@@@@", "data").expect_err("not base64");
        assert_eq!(e.error_code(), Some("INVALID_PARAMETER_VALUE"));
    }
}
