//! State limits: how much the emulator's in-memory state may hold, so that its memory stays
//! bounded whatever a client sends.
//!
//! Request bodies are bounded elsewhere (`incoming.rs`, 64 MiB by default, per-route overrides);
//! per-object sizes are bounded by each family (a secret value 128 KB, a DBFS block 1 MB, a
//! workspace object 10 MB, a job name 4096 bytes, ...). What this module adds is the number of
//! objects each family keeps and the bytes DBFS stores. Where Databricks documents a limit
//! (<https://docs.databricks.com/aws/en/resources/limits>) the default is that value and the
//! answer is the service's; elsewhere the cap is the emulator's own choice (marked [inf] in
//! `docs/emulator.md`, section "Limits"), high enough that no ordinary test meets it.
//!
//! The checks run in the handlers before anything changes, so a refused request leaves the
//! state as it was. Limits already enforced elsewhere are not repeated here: tokens per
//! principal and the secret scope, secret and value limits (`state/tokens.rs`, `api/secrets.rs`).

use crate::error::{ApiError, ErrorCode};
use crate::state::dbfs::{DbfsState, Node};
use crate::state::workspace::Tree;

/// Saved jobs per workspace: 10,000 ("Jobs — Saved jobs", Databricks resource limits).
pub const DEFAULT_MAX_JOBS: usize = 10_000;
/// Users and service principals: 10,000 ("Identity — Users and Service Principals").
pub const DEFAULT_MAX_PRINCIPALS: usize = 10_000;
/// Groups: 5,000 ("Identity — Groups").
pub const DEFAULT_MAX_GROUPS: usize = 5_000;
/// Clusters the emulator keeps, terminated ones included [inf].
pub const DEFAULT_MAX_CLUSTERS: usize = 20_000;
/// Top-level job runs the emulator keeps [inf].
pub const DEFAULT_MAX_JOB_RUNS: usize = 200_000;
/// Bytes stored in DBFS, files and open write streams together: 4 GiB [inf].
pub const DEFAULT_MAX_DBFS_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// DBFS files and directories [inf].
pub const DEFAULT_MAX_DBFS_NODES: usize = 200_000;
/// Live tokens, personal access tokens and OAuth access tokens together [inf].
pub const DEFAULT_MAX_TOKENS: usize = 100_000;
/// Workspace objects (folders, notebooks, files, libraries) [inf].
pub const DEFAULT_MAX_WORKSPACE_OBJECTS: usize = 200_000;

/// Caps on what the emulator's state may hold (see [`crate::EmulatorBuilder::state_limits`]).
///
/// Start from the defaults and change the fields you need:
///
/// ```
/// use dbx_mock_server::{Emulator, StateLimits};
/// let limits = StateLimits { max_jobs: 3, ..StateLimits::default() };
/// let emu = Emulator::builder().state_limits(limits).build();
/// assert_eq!(emu.state_limits().max_jobs, 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateLimits {
    /// Most saved jobs; one more `jobs/create` answers `400 QUOTA_EXCEEDED`.
    pub max_jobs: usize,
    /// Most users and service principals together; one more answers `RESOURCE_LIMIT_EXCEEDED`.
    pub max_principals: usize,
    /// Most groups (the built-in `admins` and `users` count); one more answers
    /// `RESOURCE_LIMIT_EXCEEDED`.
    pub max_groups: usize,
    /// Most clusters kept (any state); one more `clusters/create` answers
    /// `RESOURCE_LIMIT_EXCEEDED`.
    pub max_clusters: usize,
    /// Most top-level job runs kept; one more `run-now` or `runs/submit` answers
    /// `RESOURCE_LIMIT_EXCEEDED` (delete runs to make room).
    pub max_job_runs: usize,
    /// Most bytes in DBFS (files and open write streams); a write past it answers
    /// `RESOURCE_LIMIT_EXCEEDED`.
    pub max_dbfs_bytes: u64,
    /// Most DBFS files and directories; one more answers `RESOURCE_LIMIT_EXCEEDED`.
    pub max_dbfs_nodes: usize,
    /// Most workspace objects; an import or `mkdirs` past it answers `RESOURCE_LIMIT_EXCEEDED`.
    pub max_workspace_objects: usize,
    /// Most live tokens in the workspace, PATs and OAuth access tokens together (the
    /// per-principal PAT quota is [`crate::EmulatorBuilder::token_quota`]); one more PAT
    /// answers `QUOTA_EXCEEDED`, one more OAuth token `503 temporarily_unavailable`.
    pub max_tokens: usize,
}

impl Default for StateLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl StateLimits {
    /// The defaults (the `DEFAULT_MAX_*` constants), usable in constants.
    pub const DEFAULT: Self = Self {
        max_jobs: DEFAULT_MAX_JOBS,
        max_principals: DEFAULT_MAX_PRINCIPALS,
        max_groups: DEFAULT_MAX_GROUPS,
        max_clusters: DEFAULT_MAX_CLUSTERS,
        max_job_runs: DEFAULT_MAX_JOB_RUNS,
        max_dbfs_bytes: DEFAULT_MAX_DBFS_BYTES,
        max_dbfs_nodes: DEFAULT_MAX_DBFS_NODES,
        max_workspace_objects: DEFAULT_MAX_WORKSPACE_OBJECTS,
        max_tokens: DEFAULT_MAX_TOKENS,
    };
}

/// `RESOURCE_LIMIT_EXCEEDED` for one more `what` past `max`.
fn exceeded(what: &str, max: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::ResourceLimitExceeded,
        format!("The workspace has reached its limit of {max} {what}."),
    )
}

impl StateLimits {
    /// Room for one more saved job, with `count` saved now. The answer is the one Databricks
    /// documents for this limit ("The quota for the number of jobs has been reached", Databricks
    /// knowledge base, "Job rate limit").
    pub(crate) fn check_new_job(&self, count: usize) -> Result<(), ApiError> {
        if count >= self.max_jobs {
            return Err(ApiError::new(
                ErrorCode::QuotaExceeded,
                format!(
                    "The quota for the number of jobs has been reached. The current quota is {}.",
                    self.max_jobs
                ),
            ));
        }
        Ok(())
    }

    /// Room for one more personal access token, with `count` live tokens now: the same code as
    /// the per-principal quota (`QUOTA_EXCEEDED`, catalogue: token/create).
    pub(crate) fn check_new_token(&self, count: usize) -> Result<(), ApiError> {
        if count >= self.max_tokens {
            return Err(ApiError::new(
                ErrorCode::QuotaExceeded,
                format!(
                    "Token quota exceeded: the workspace holds the emulator's maximum of {} live \
                     tokens.",
                    self.max_tokens
                ),
            ));
        }
        Ok(())
    }

    /// Room for one more OAuth access token, with `count` live tokens now. Refused as the
    /// OAuth endpoint refuses (RFC 6749 error shape), with 503 `temporarily_unavailable` [inf]:
    /// OAuth tokens expire within the hour, so room comes back.
    pub(crate) fn check_new_oauth_token(&self, count: usize) -> Result<(), ApiError> {
        if count >= self.max_tokens {
            return Err(ApiError::oauth(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                format!(
                    "The emulator holds its maximum of {} live tokens; try again when some have \
                     expired.",
                    self.max_tokens
                ),
            ));
        }
        Ok(())
    }

    /// Room for one more user or service principal, with `count` now.
    pub(crate) fn check_new_principal(&self, count: usize) -> Result<(), ApiError> {
        match count >= self.max_principals {
            true => Err(exceeded(
                "users and service principals",
                self.max_principals,
            )),
            false => Ok(()),
        }
    }

    /// Room for one more group, with `count` now.
    pub(crate) fn check_new_group(&self, count: usize) -> Result<(), ApiError> {
        match count >= self.max_groups {
            true => Err(exceeded("groups", self.max_groups)),
            false => Ok(()),
        }
    }

    /// Room for one more cluster, with `count` kept now.
    pub(crate) fn check_new_cluster(&self, count: usize) -> Result<(), ApiError> {
        match count >= self.max_clusters {
            true => Err(exceeded("clusters", self.max_clusters)),
            false => Ok(()),
        }
    }

    /// Room for one more top-level job run, with `count` kept now.
    pub(crate) fn check_new_run(&self, count: usize) -> Result<(), ApiError> {
        match count >= self.max_job_runs {
            true => Err(exceeded(
                "job runs kept (delete old runs to make room)",
                self.max_job_runs,
            )),
            false => Ok(()),
        }
    }

    /// Room for `new_objects` more workspace objects, with `count` now.
    pub(crate) fn check_workspace_objects(
        &self,
        count: usize,
        new_objects: usize,
    ) -> Result<(), ApiError> {
        match count.saturating_add(new_objects) > self.max_workspace_objects {
            true => Err(exceeded("workspace objects", self.max_workspace_objects)),
            false => Ok(()),
        }
    }

    /// Room for the folders `workspace/mkdirs` of `path` would create.
    pub(crate) fn check_workspace_dirs(&self, tree: &Tree, path: &str) -> Result<(), ApiError> {
        let mut missing = 0usize;
        let mut cur = Some(path);
        while let Some(p) = cur {
            if tree.get(p).is_some() {
                break;
            }
            missing += 1;
            cur = crate::state::workspace::parent_of(p);
        }
        self.check_workspace_objects(tree.len(), missing)
    }

    /// Room in DBFS to write `added` bytes at `path` (replacing the file there, if any, whose
    /// bytes are then freed), adding a node when `path` does not exist yet. Counts the files and
    /// the open write streams: O(number of files), paid only by writes.
    pub(crate) fn check_dbfs_write(
        &self,
        dbfs: &DbfsState,
        path: Option<&str>,
        added: u64,
    ) -> Result<(), ApiError> {
        if let Some(path) = path {
            self.check_dbfs_dirs(dbfs, path)?;
        }
        if added == 0 {
            return Ok(());
        }
        let replaced = match path.and_then(|p| dbfs.nodes.get(p)) {
            Some(Node::File { content, .. }) => content.len(),
            _ => 0,
        };
        let stored = dbfs_bytes(dbfs).saturating_sub(replaced);
        if stored.saturating_add(added) > self.max_dbfs_bytes {
            return Err(ApiError::new(
                ErrorCode::ResourceLimitExceeded,
                format!(
                    "DBFS is full: writing {added} bytes would exceed the emulator's limit of {} \
                     bytes ({stored} bytes stored).",
                    self.max_dbfs_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Room for the nodes a write or `mkdirs` at `path` would add: `path` and its missing
    /// parents.
    pub(crate) fn check_dbfs_dirs(&self, dbfs: &DbfsState, path: &str) -> Result<(), ApiError> {
        let missing = crate::state::dbfs::ancestors(path)
            .chain(std::iter::once(path))
            .filter(|p| *p != "/" && !dbfs.nodes.contains_key(*p))
            .count();
        match dbfs.nodes.len().saturating_add(missing) > self.max_dbfs_nodes {
            true => Err(exceeded("DBFS files and directories", self.max_dbfs_nodes)),
            false => Ok(()),
        }
    }
}

/// Bytes DBFS holds: every file's content and every open write stream's.
fn dbfs_bytes(dbfs: &DbfsState) -> u64 {
    let files: u64 = dbfs
        .nodes
        .values()
        .map(|n| match n {
            Node::File { content, .. } => content.len(),
            Node::Dir => 0,
        })
        .sum();
    let streams: u64 = dbfs.streams.values().map(|s| s.content.len()).sum();
    files.saturating_add(streams)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_at_the_limit_are_refused_with_the_documented_codes() {
        let mut l = StateLimits {
            max_jobs: 2,
            ..StateLimits::default()
        };
        assert!(l.check_new_job(1).is_ok());
        let e = l.check_new_job(2).expect_err("full");
        assert_eq!(e.error_code(), Some("QUOTA_EXCEEDED"));
        assert_eq!(e.status(), 400);
        assert_eq!(
            e.message(),
            Some("The quota for the number of jobs has been reached. The current quota is 2.")
        );
        l.max_groups = 3;
        assert!(l.check_new_group(2).is_ok());
        let e = l.check_new_group(3).expect_err("full");
        assert_eq!(e.error_code(), Some("RESOURCE_LIMIT_EXCEEDED"));
        l.max_workspace_objects = 10;
        assert!(l.check_workspace_objects(8, 2).is_ok());
        assert!(l.check_workspace_objects(8, 3).is_err());
        assert!(l.check_workspace_objects(usize::MAX, 1).is_err());
    }

    #[test]
    fn dbfs_bytes_count_files_and_streams_and_free_what_is_replaced() {
        use crate::state::dbfs::{Content, Stream};
        let mut dbfs = DbfsState::default();
        let mut l = StateLimits {
            max_dbfs_bytes: 10,
            ..StateLimits::default()
        };
        let mut six = Content::default();
        six.push(bytes::Bytes::from_static(b"123456"));
        assert!(dbfs.write_file("/tmp/a", six.clone(), false, 0).is_ok());
        assert!(l.check_dbfs_write(&dbfs, Some("/tmp/b"), 4).is_ok());
        let e = l
            .check_dbfs_write(&dbfs, Some("/tmp/b"), 5)
            .expect_err("full");
        assert_eq!(e.error_code(), Some("RESOURCE_LIMIT_EXCEEDED"));
        // Overwriting /tmp/a frees its six bytes.
        assert!(l.check_dbfs_write(&dbfs, Some("/tmp/a"), 10).is_ok());
        dbfs.streams.insert(
            1,
            Stream {
                path: "/tmp/c".into(),
                content: six,
                last_used_ms: 0,
            },
        );
        assert!(l.check_dbfs_write(&dbfs, None, 1).is_err());
        l.max_dbfs_nodes = dbfs.nodes.len();
        assert!(l.check_dbfs_write(&dbfs, Some("/tmp/a"), 0).is_ok());
        assert!(l.check_dbfs_write(&dbfs, Some("/tmp/new"), 0).is_err());
        assert!(l.check_dbfs_dirs(&dbfs, "/tmp").is_ok());
        assert!(l.check_dbfs_dirs(&dbfs, "/tmp/x/y").is_err());
    }
}
