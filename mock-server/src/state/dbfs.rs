//! DBFS state: an in-memory file tree and the open write streams. The handlers and the request
//! rules are in `api/dbfs.rs` (its module documentation lists the behaviour and our choices).
//!
//! A map from normalised absolute path to node (directory, or file holding its raw bytes as a
//! list of shared chunks, so appending a block and reading a range inside one block copy
//! nothing). The root `/` always exists and is not stored; a new state holds the standard
//! folders [`ROOT_FOLDERS`].

use std::collections::{BTreeMap, HashMap};

use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

/// A write handle unused this long (ms, emulator clock) is gone.
const HANDLE_IDLE_MS: i64 = 10 * 60 * 1000;

/// The folders a new workspace's DBFS root holds (parents before children); see the
/// documentation of `api/dbfs.rs` for where the list comes from.
pub(crate) const ROOT_FOLDERS: &[&str] = &[
    "/FileStore",
    "/databricks-datasets",
    "/databricks-results",
    "/tmp",
    "/user",
    "/user/hive",
    "/user/hive/warehouse",
];

/// Standard folders nobody may write to or under: Databricks' sample datasets.
pub(crate) const READ_ONLY_FOLDERS: &[&str] = &["/databricks-datasets"];

/// File contents: shared chunks and their cumulative end offsets.
#[derive(Debug, Clone, Default)]
pub(crate) struct Content {
    chunks: Vec<Bytes>,
    ends: Vec<u64>,
}

impl Content {
    pub(crate) fn len(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    pub(crate) fn push(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        let end = self.len() + chunk.len() as u64;
        self.chunks.push(chunk);
        self.ends.push(end);
    }

    /// Bytes `offset..offset+len`, clipped to the end, as shared pieces of the chunks (no
    /// copy): cheap enough to gather with the state locked.
    pub(crate) fn pieces(&self, offset: u64, len: u64) -> Vec<Bytes> {
        let end = offset.saturating_add(len).min(self.len());
        let mut out = Vec::new();
        if offset >= end {
            return out;
        }
        let mut i = self.ends.partition_point(|&e| e <= offset);
        let start_of = |i: usize| if i == 0 { 0 } else { self.ends[i - 1] };
        let mut pos = offset;
        while pos < end {
            let base = start_of(i);
            let stop = end.min(self.ends[i]);
            out.push(self.chunks[i].slice((pos - base) as usize..(stop - base) as usize));
            pos = stop;
            i += 1;
        }
        out
    }

    /// Bytes `offset..offset+len`, clipped to the end; zero-copy within one chunk.
    #[cfg(test)]
    pub(crate) fn slice(&self, offset: u64, len: u64) -> Bytes {
        concat(self.pieces(offset, len))
    }
}

/// A state document holds a file's contents as one base64 string (simple, and fine for the test
/// data an emulator holds; see `docs/emulator.md`); loading makes it one chunk.
impl Serialize for Content {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let all = concat(self.pieces(0, self.len()));
        super::serde_util::bytes_b64::serialize(&all, s)
    }
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut c = Content::default();
        c.push(super::serde_util::bytes_b64::deserialize(d)?);
        Ok(c)
    }
}

/// One buffer of `pieces`: the piece itself when there is one (no copy).
pub(crate) fn concat(mut pieces: Vec<Bytes>) -> Bytes {
    if pieces.len() <= 1 {
        return pieces.pop().unwrap_or_default();
    }
    let mut out = BytesMut::with_capacity(pieces.iter().map(Bytes::len).sum());
    for piece in &pieces {
        out.extend_from_slice(piece);
    }
    out.freeze()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Node {
    Dir,
    File { content: Content, mtime: i64 },
}

/// An open write stream.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Stream {
    pub path: String,
    pub content: Content,
    pub last_used_ms: i64,
}

/// The DBFS part of the emulator state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DbfsState {
    pub nodes: BTreeMap<String, Node>,
    pub streams: HashMap<i64, Stream>,
    pub last_handle: i64,
}

impl Default for DbfsState {
    /// A new workspace's DBFS: the standard [`ROOT_FOLDERS`], nothing else.
    fn default() -> Self {
        let nodes = ROOT_FOLDERS
            .iter()
            .map(|dir| ((*dir).to_owned(), Node::Dir))
            .collect();
        Self {
            nodes,
            streams: HashMap::new(),
            last_handle: 0,
        }
    }
}

/// The read-only standard folder `path` is, or lies under.
fn read_only_folder(path: &str) -> Option<&'static str> {
    READ_ONLY_FOLDERS.iter().copied().find(|folder| {
        path.strip_prefix(folder)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// `403 PERMISSION_DENIED` for a write to or under a read-only folder [inf].
pub(crate) fn check_writable(path: &str) -> Result<(), ApiError> {
    match read_only_folder(path) {
        Some(folder) => Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!("Cannot modify dbfs:{path}: dbfs:{folder} is read-only."),
        )),
        None => Ok(()),
    }
}

pub(crate) fn exists(path: &str) -> ApiError {
    ApiError::already_exists(format!(
        "A file or directory already exists at the input path dbfs:{path}."
    ))
}

pub(crate) fn no_handle(handle: i64) -> ApiError {
    ApiError::does_not_exist(format!(
        "No open stream with handle {handle}: it was closed, has expired or never existed."
    ))
}

/// Every proper ancestor of `path` below the root, nearest the root first.
pub(crate) fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/')
        .map(|(i, _)| &path[..i])
        .filter(|p| !p.is_empty())
}

impl DbfsState {
    pub(crate) fn is_dir(&self, path: &str) -> bool {
        path == "/" || matches!(self.nodes.get(path), Some(Node::Dir))
    }

    pub(crate) fn exists(&self, path: &str) -> bool {
        path == "/" || self.nodes.contains_key(path)
    }

    /// Fail if a file sits on any ancestor of `path`.
    pub(crate) fn check_ancestors(&self, path: &str) -> Result<(), ApiError> {
        match ancestors(path).find(|a| matches!(self.nodes.get(*a), Some(Node::File { .. }))) {
            Some(file) => Err(exists(file)),
            None => Ok(()),
        }
    }

    /// Create the missing ancestors of `path` (after [`Self::check_ancestors`]).
    pub(crate) fn make_ancestors(&mut self, path: &str) {
        for a in ancestors(path) {
            self.nodes.entry(a.to_owned()).or_insert(Node::Dir);
        }
    }

    /// Write a whole file at `path` (parents created). A directory there, a file on the way,
    /// or an existing file without `overwrite` is `RESOURCE_ALREADY_EXISTS`.
    pub(crate) fn write_file(
        &mut self,
        path: &str,
        content: Content,
        overwrite: bool,
        now_ms: i64,
    ) -> Result<(), ApiError> {
        check_writable(path)?;
        match self.nodes.get(path) {
            Some(Node::File { .. }) if overwrite => {}
            Some(_) => return Err(exists(path)),
            None if path == "/" => return Err(exists(path)),
            None => {}
        }
        self.check_ancestors(path)?;
        self.make_ancestors(path);
        self.nodes.insert(
            path.to_owned(),
            Node::File {
                content,
                mtime: now_ms,
            },
        );
        Ok(())
    }

    /// The open stream `handle`, if it is live at `now_ms`; an expired one is dropped.
    pub(crate) fn stream(&mut self, handle: i64, now_ms: i64) -> Result<&mut Stream, ApiError> {
        let live = match self.streams.get(&handle) {
            Some(s) => now_ms.saturating_sub(s.last_used_ms) < HANDLE_IDLE_MS,
            None => return Err(no_handle(handle)),
        };
        if !live {
            self.streams.remove(&handle);
            return Err(no_handle(handle));
        }
        self.streams
            .get_mut(&handle)
            .ok_or_else(|| no_handle(handle))
    }

    pub(crate) fn purge_expired(&mut self, now_ms: i64) {
        self.streams
            .retain(|_, s| now_ms.saturating_sub(s.last_used_ms) < HANDLE_IDLE_MS);
    }

    /// Keys strictly under `path`, in order. They are the keys from `path/` up to (excluding)
    /// `path0`, `'0'` being the character after `'/'`.
    pub(crate) fn descendants(&self, path: &str) -> impl DoubleEndedIterator<Item = &String> {
        use std::ops::Bound;
        let range = if path == "/" {
            (Bound::Unbounded, Bound::Unbounded)
        } else {
            (
                Bound::Included(format!("{path}/")),
                Bound::Excluded(format!("{path}0")),
            )
        };
        self.nodes.range::<String, _>(range).map(|(k, _)| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_state_holds_the_standard_root_folders() {
        let dbfs = DbfsState::default();
        let top: Vec<&str> = dbfs
            .descendants("/")
            .map(String::as_str)
            .filter(|k| !k[1..].contains('/'))
            .collect();
        assert_eq!(
            top,
            [
                "/FileStore",
                "/databricks-datasets",
                "/databricks-results",
                "/tmp",
                "/user"
            ]
        );
        assert!(dbfs.is_dir("/user/hive/warehouse"));
        assert!(ROOT_FOLDERS.iter().all(|d| dbfs.is_dir(d)));
        assert!(dbfs.streams.is_empty());
    }

    #[test]
    fn only_the_datasets_folder_and_below_are_read_only() {
        for path in ["/databricks-datasets", "/databricks-datasets/README.md"] {
            let e = check_writable(path).expect_err(path);
            assert_eq!(e.error_code(), Some("PERMISSION_DENIED"));
            assert_eq!(e.status().as_u16(), 403);
        }
        for path in [
            "/",
            "/databricks-datasets2",
            "/databricks",
            "/FileStore/x",
            "/tmp",
        ] {
            assert!(check_writable(path).is_ok(), "{path}");
        }
        let mut dbfs = DbfsState::default();
        let e = dbfs
            .write_file("/databricks-datasets/x", Content::default(), true, 1)
            .expect_err("read-only");
        assert_eq!(e.error_code(), Some("PERMISSION_DENIED"));
        assert!(!dbfs.exists("/databricks-datasets/x"));
        assert!(dbfs
            .write_file("/FileStore/x", Content::default(), false, 1)
            .is_ok());
    }

    #[test]
    fn content_slices_within_and_across_chunks() {
        let mut c = Content::default();
        c.push(Bytes::from_static(b"abc"));
        c.push(Bytes::new());
        c.push(Bytes::from_static(b"defg"));
        c.push(Bytes::from_static(b"h"));
        assert_eq!(c.len(), 8);
        assert_eq!(&c.slice(0, 3)[..], b"abc");
        assert_eq!(&c.slice(1, 1)[..], b"b");
        assert_eq!(&c.slice(2, 3)[..], b"cde");
        assert_eq!(&c.slice(1, 100)[..], b"bcdefgh");
        assert_eq!(&c.slice(3, 4)[..], b"defg");
        assert_eq!(&c.slice(7, 4)[..], b"h");
        assert!(c.slice(8, 4).is_empty());
        assert!(c.slice(100, 4).is_empty());
        assert!(c.slice(2, 0).is_empty());
        assert!(Content::default().slice(0, 10).is_empty());
        // Pieces share the chunks: a range across three chunks is three pieces.
        let pieces = c.pieces(2, 6);
        assert_eq!(pieces.len(), 3);
        assert_eq!(concat(pieces), Bytes::from_static(b"cdefgh"));
    }
}
