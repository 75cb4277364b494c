//! Workspace state: the tree of every object by absolute path, rooted at `/` with `/Users`,
//! one home folder per user and `/Shared`, and the path rules the tree needs. The handlers,
//! import/export formats and validation are in `api/workspace.rs` (notebook formats in
//! `api/workspace/notebook.rs`, which implements the conversions of [`Notebook`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

/// A notebook's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Lang {
    Python,
    Scala,
    Sql,
    R,
}

/// A notebook: a language and its cells. A cell is its text as the notebook editor shows it; a
/// cell in another language or of another kind starts with its magic command (`%md`, `%sql`,
/// ...). Every import/export format converts to and from this one model
/// (`api/workspace/notebook.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Notebook {
    pub language: Lang,
    pub cells: Vec<String>,
}

/// The object id of `/` (our choice); other objects count up from [`FIRST_OBJECT_ID`].
const ROOT_ID: i64 = 0;
/// The first object id handed out (ids are 16-digit numbers like the service's).
const FIRST_OBJECT_ID: i64 = 2_000_000_000_000_001;
/// Folders that always exist and cannot be deleted (our choice).
pub(crate) const PROTECTED: [&str; 3] = ["/", "/Users", "/Shared"];

/// What an object is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Kind {
    Directory,
    /// Shared, so an export can take it out of the locked state without copying it.
    Notebook(#[serde(with = "super::serde_util::arc")] Arc<Notebook>),
    /// Stored as base64 in a state document.
    File(#[serde(with = "super::serde_util::bytes_b64")] Bytes),
    Library,
}

impl Kind {
    pub(crate) fn object_type(&self) -> &'static str {
        match self {
            Self::Directory => "DIRECTORY",
            Self::Notebook(_) => "NOTEBOOK",
            Self::File(_) => "FILE",
            Self::Library => "LIBRARY",
        }
    }

    fn same_kind(&self, other: &Kind) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// One workspace object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Node {
    pub id: i64,
    /// Emulator time of creation (epoch ms).
    pub created_at: i64,
    /// Emulator time of the last change (epoch ms).
    pub modified_at: i64,
    pub kind: Kind,
}

/// Every workspace object, by normalized absolute path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Tree {
    nodes: BTreeMap<String, Node>,
    next_id: i64,
}

impl Default for Tree {
    fn default() -> Self {
        let mut t = Self {
            nodes: BTreeMap::new(),
            next_id: FIRST_OBJECT_ID,
        };
        t.nodes.insert(
            "/".to_owned(),
            Node {
                id: ROOT_ID,
                created_at: 0,
                modified_at: 0,
                kind: Kind::Directory,
            },
        );
        for dir in ["/Users", "/Shared"] {
            let _ = t.mkdirs(dir, 0);
        }
        t
    }
}

/// `Path (<path>) doesn't exist.`: 404 `RESOURCE_DOES_NOT_EXIST` (observed text).
pub(crate) fn not_found(path: &str) -> ApiError {
    ApiError::does_not_exist(format!("Path ({path}) doesn't exist."))
}

/// `Node named '<name>' already exists`: 400 `RESOURCE_ALREADY_EXISTS` (observed text).
pub(crate) fn exists(path: &str) -> ApiError {
    ApiError::already_exists(format!("Node named '{}' already exists", name_of(path)))
}

/// The last segment of a normalized path (`""` for `/`).
pub(crate) fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or_default()
}

/// The parent of a normalized path (`None` for `/`).
pub(crate) fn parent_of(path: &str) -> Option<&str> {
    if path == "/" {
        return None;
    }
    match path.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => Some(&path[..i]),
        None => None,
    }
}

/// `dir` + `/` + `name`.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Normalize a path from a request: absolute, `/Workspace` prefix dropped, repeated and trailing
/// slashes collapsed; `.` and `..` segments refused.
pub(crate) fn normalize(raw: &str) -> Result<String, ApiError> {
    if !raw.starts_with('/') {
        return Err(ApiError::invalid_parameter(format!(
            "Path ({raw}) is not absolute. Workspace paths must start with /."
        )));
    }
    let mut segments: Vec<&str> = raw.split('/').filter(|s| !s.is_empty()).collect();
    if segments.first() == Some(&"Workspace") {
        segments.remove(0);
    }
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(ApiError::invalid_parameter(format!(
            "Path ({raw}) is not valid: it may not contain . or .. segments."
        )));
    }
    Ok(format!("/{}", segments.join("/")))
}

impl Tree {
    fn alloc_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// How many objects the tree holds (folders included); `limits.rs` caps it.
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    fn prefix(dir: &str) -> String {
        if dir == "/" {
            "/".to_owned()
        } else {
            format!("{dir}/")
        }
    }

    /// Everything under `dir` (not `dir` itself), in path order.
    pub(crate) fn descendants<'a>(
        &'a self,
        dir: &str,
    ) -> impl Iterator<Item = (&'a String, &'a Node)> + 'a {
        let prefix = Self::prefix(dir);
        let root = dir == "/";
        self.nodes
            .range(prefix.clone()..)
            .take_while(move |(p, _)| p.starts_with(&prefix))
            .filter(move |(p, _)| !(root && p.as_str() == "/"))
    }

    /// The direct children of `dir`, in path order.
    pub(crate) fn children<'a>(
        &'a self,
        dir: &str,
    ) -> impl Iterator<Item = (&'a String, &'a Node)> + 'a {
        let depth = Self::prefix(dir).len();
        self.descendants(dir)
            .filter(move |(p, _)| !p[depth..].contains('/'))
    }

    /// Create `path` and its missing parents as folders. A notebook, file or library on the way
    /// answers `RESOURCE_ALREADY_EXISTS` before anything is created.
    pub(crate) fn mkdirs(&mut self, path: &str, now: i64) -> Result<(), ApiError> {
        let mut chain = Vec::new();
        let mut cur = Some(path);
        while let Some(p) = cur {
            chain.push(p.to_owned());
            cur = parent_of(p);
        }
        chain.reverse();
        for p in &chain {
            if let Some(node) = self.nodes.get(p) {
                if !matches!(node.kind, Kind::Directory) {
                    return Err(ApiError::already_exists(format!(
                        "{} already exists and it is not a folder",
                        name_of(p)
                    )));
                }
            }
        }
        for p in chain {
            if !self.nodes.contains_key(&p) {
                let id = self.alloc_id();
                self.nodes.insert(
                    p,
                    Node {
                        id,
                        created_at: now,
                        modified_at: now,
                        kind: Kind::Directory,
                    },
                );
            }
        }
        Ok(())
    }

    /// The home folder `/Users/<user_name>`, created when missing (nothing happens if a
    /// non-folder object holds the name).
    pub(crate) fn ensure_home(&mut self, user_name: &str) {
        if !user_name.is_empty() && !user_name.contains('/') {
            let _ = self.mkdirs(&join("/Users", user_name), 0);
        }
    }

    /// The parent of `path` must be an existing folder.
    fn check_parent(&self, path: &str) -> Result<(), ApiError> {
        let parent = parent_of(path).ok_or_else(|| exists(path))?;
        match self.nodes.get(parent) {
            Some(n) if matches!(n.kind, Kind::Directory) => Ok(()),
            _ => Err(not_found(parent)),
        }
    }

    /// Put one object at `path`. Without `overwrite` an existing object answers
    /// `RESOURCE_ALREADY_EXISTS`; with it a notebook, file or library is replaced (keeping its id
    /// and creation time when the kind stays the same), but a folder never is. A folder put over
    /// a folder is a no-op.
    pub(crate) fn put(
        &mut self,
        path: &str,
        kind: Kind,
        overwrite: bool,
        now: i64,
    ) -> Result<(), ApiError> {
        self.check_parent(path)?;
        let (id, created_at) = match self.nodes.get(path) {
            None => (self.alloc_id(), now),
            Some(old) => {
                let both_dirs =
                    matches!(old.kind, Kind::Directory) && matches!(kind, Kind::Directory);
                if both_dirs && overwrite {
                    return Ok(());
                }
                if !overwrite
                    || matches!(old.kind, Kind::Directory)
                    || matches!(kind, Kind::Directory)
                {
                    return Err(exists(path));
                }
                if old.kind.same_kind(&kind) {
                    (old.id, old.created_at)
                } else {
                    (self.alloc_id(), now)
                }
            }
        };
        self.nodes.insert(
            path.to_owned(),
            Node {
                id,
                created_at,
                modified_at: now,
                kind,
            },
        );
        Ok(())
    }

    /// Put a folder tree at `root` atomically: `items` are paths relative to `root` (parents are
    /// created as needed). `root` must not exist unless `overwrite` is given and it is a folder.
    pub(crate) fn put_tree(
        &mut self,
        root: &str,
        items: Vec<(Vec<String>, Kind)>,
        overwrite: bool,
        now: i64,
    ) -> Result<(), ApiError> {
        let mut draft = self.clone();
        match draft.nodes.get(root) {
            None => draft.put(root, Kind::Directory, false, now)?,
            Some(n) if overwrite && matches!(n.kind, Kind::Directory) => {}
            Some(_) => return Err(exists(root)),
        }
        for (segments, kind) in items {
            let mut dir = root.to_owned();
            let (last, parents) = match segments.split_last() {
                Some(split) => split,
                None => continue,
            };
            for seg in parents {
                dir = join(&dir, seg);
                draft.put(&dir, Kind::Directory, true, now)?;
            }
            let path = join(&dir, last);
            draft.put(&path, kind, overwrite, now)?;
        }
        *self = draft;
        Ok(())
    }

    /// Delete `path` (and, with `recursive`, everything under it).
    pub(crate) fn remove(&mut self, path: &str, recursive: bool) -> Result<(), ApiError> {
        let node = self.nodes.get(path).ok_or_else(|| not_found(path))?;
        if PROTECTED.contains(&path) {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                format!("Folder ({path}) cannot be deleted."),
            ));
        }
        if matches!(node.kind, Kind::Directory) {
            let below: Vec<String> = self.descendants(path).map(|(p, _)| p.clone()).collect();
            if !below.is_empty() && !recursive {
                return Err(ApiError::new(
                    ErrorCode::DirectoryNotEmpty,
                    format!("Folder ({path}) is not empty"),
                ));
            }
            for p in below {
                self.nodes.remove(&p);
            }
        }
        self.nodes.remove(path);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize() {
        assert_eq!(
            normalize("/Workspace/Users//a/").ok().as_deref(),
            Some("/Users/a")
        );
        assert_eq!(normalize("/").ok().as_deref(), Some("/"));
        assert_eq!(normalize("/Workspace").ok().as_deref(), Some("/"));
        assert!(normalize("Users").is_err());
        assert!(normalize("/a/../b").is_err());
        assert_eq!(parent_of("/a"), Some("/"));
        assert_eq!(parent_of("/a/b"), Some("/a"));
        assert_eq!(parent_of("/"), None);
    }

    #[test]
    fn children_are_direct_and_ordered() {
        let mut t = Tree::default();
        t.ensure_home("u@x.com");
        assert!(t.mkdirs("/a-b", 1).is_ok());
        assert!(t.mkdirs("/a/c/d", 1).is_ok());
        let kids: Vec<&String> = t.children("/").map(|(p, _)| p).collect();
        assert_eq!(kids, vec!["/Shared", "/Users", "/a", "/a-b"]);
        let all: Vec<&String> = t.descendants("/a").map(|(p, _)| p).collect();
        assert_eq!(all, vec!["/a/c", "/a/c/d"]);
        assert!(t.get("/Users/u@x.com").is_some());
    }

    #[test]
    fn put_and_remove_follow_the_rules() {
        let mut t = Tree::default();
        let file = || Kind::File(Bytes::from_static(b"x"));
        assert!(t.put("/Shared/f", file(), false, 1).is_ok());
        let id = t.get("/Shared/f").map(|n| n.id);
        assert_eq!(
            t.put("/Shared/f", file(), false, 2)
                .err()
                .and_then(|e| e.message().map(str::to_owned)),
            Some("Node named 'f' already exists".to_owned())
        );
        assert!(t.put("/Shared/f", file(), true, 3).is_ok());
        assert_eq!(
            t.get("/Shared/f")
                .map(|n| (n.id, n.created_at, n.modified_at)),
            id.map(|i| (i, 1, 3))
        );
        assert_eq!(
            t.put("/nope/f", file(), false, 1)
                .err()
                .and_then(|e| e.message().map(str::to_owned)),
            Some("Path (/nope) doesn't exist.".to_owned())
        );
        assert_eq!(
            t.mkdirs("/Shared/f/g", 1)
                .err()
                .and_then(|e| e.message().map(str::to_owned)),
            Some("f already exists and it is not a folder".to_owned())
        );
        assert_eq!(
            t.remove("/Shared", false)
                .err()
                .and_then(|e| e.error_code().map(str::to_owned)),
            Some("PERMISSION_DENIED".to_owned())
        );
        assert!(t.mkdirs("/d/e", 1).is_ok());
        assert_eq!(
            t.remove("/d", false)
                .err()
                .and_then(|e| e.message().map(str::to_owned)),
            Some("Folder (/d) is not empty".to_owned())
        );
        assert!(t.remove("/d", true).is_ok());
        assert!(t.get("/d/e").is_none());
    }
}
