//! [`TransferError`]: the one error of the helpers that move data between the local machine and
//! the workspace (DBFS uploads and downloads, workspace file and folder import/export).

use std::path::PathBuf;

use http::StatusCode;

use crate::retry::{Idempotency, RetryDecision};
use crate::Error;

/// Why a transfer between the local machine and the workspace failed: an API call failed, a
/// local file operation failed, or what was found is not what the transfer needs.
///
/// It offers the same predicates as [`Error`] (they answer for the API error, when there is
/// one), so a caller handles both the same way.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// An API call failed (the API's own error, a timeout, a transport failure...).
    #[error(transparent)]
    Api(#[from] Error),
    /// A local file, folder, reader or writer failed. The message names the path (when the
    /// failure concerns one); the I/O error is the `source()`, not repeated in the message.
    #[error("local I/O failed{}", match path {
        Some(p) => format!(" on {}", p.display()),
        None => String::new(),
    })]
    Io {
        /// The local path, when the failure concerns one.
        path: Option<PathBuf>,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The remote path to download is a directory.
    #[error("{path} is a directory, not a file")]
    IsDirectory {
        /// The path, normalised.
        path: String,
    },
    /// The remote file changed size while it was being downloaded.
    #[error("{path} changed during the download: expected {expected} bytes at offset {offset}, got {got}")]
    Changed {
        /// The path, normalised.
        path: String,
        /// Offset of the read that came back short.
        offset: u64,
        /// Bytes asked for.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// A local file exists and overwriting was not asked for.
    #[error("{} already exists; pass overwrite to replace it", .0.display())]
    LocalExists(PathBuf),
    /// A folder was expected (locally or in the workspace) and something else was found.
    #[error("{0} is not a folder")]
    NotADirectory(String),
    /// The workspace listed a path that would land outside the target folder (`..`, an absolute
    /// component, a path outside the exported folder); nothing is written for it.
    #[error("refusing to write workspace path {0:?}: it would escape the target folder")]
    UnsafePath(String),
}

impl From<std::io::Error> for TransferError {
    fn from(source: std::io::Error) -> Self {
        TransferError::Io { path: None, source }
    }
}

impl TransferError {
    /// A local I/O failure concerning `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TransferError::Io {
            path: Some(path.into()),
            source,
        }
    }

    /// The API error, when an API call failed.
    pub fn api(&self) -> Option<&Error> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// [`Error::status`] of the API error.
    pub fn status(&self) -> Option<StatusCode> {
        self.api().and_then(Error::status)
    }

    /// [`Error::error_code`] of the API error.
    pub fn error_code(&self) -> Option<&str> {
        self.api().and_then(Error::error_code)
    }

    /// [`Error::is_outcome_unknown`]: an API call failed after an attempt the server may have
    /// applied; what the transfer left in the workspace is not known.
    pub fn is_outcome_unknown(&self) -> bool {
        self.api().is_some_and(Error::is_outcome_unknown)
    }

    /// [`Error::is_not_found`]: the remote path (or handle) does not exist.
    pub fn is_not_found(&self) -> bool {
        self.api().is_some_and(Error::is_not_found)
    }

    /// [`Error::is_already_exists`], or a local file that exists ([`TransferError::LocalExists`]).
    pub fn is_already_exists(&self) -> bool {
        matches!(self, Self::LocalExists(_)) || self.api().is_some_and(Error::is_already_exists)
    }

    /// [`Error::is_invalid_parameter`].
    pub fn is_invalid_parameter(&self) -> bool {
        self.api().is_some_and(Error::is_invalid_parameter)
    }

    /// [`Error::is_permission_denied`].
    pub fn is_permission_denied(&self) -> bool {
        self.api().is_some_and(Error::is_permission_denied)
    }

    /// [`Error::is_unauthenticated`].
    pub fn is_unauthenticated(&self) -> bool {
        self.api().is_some_and(Error::is_unauthenticated)
    }

    /// [`Error::is_invalid_token`].
    pub fn is_invalid_token(&self) -> bool {
        self.api().is_some_and(Error::is_invalid_token)
    }

    /// [`Error::is_rate_limited`].
    pub fn is_rate_limited(&self) -> bool {
        self.api().is_some_and(Error::is_rate_limited)
    }

    /// [`Error::is_retryable`]; a local failure is never retryable.
    pub fn is_retryable(&self) -> bool {
        self.api().is_some_and(Error::is_retryable)
    }

    /// [`Error::retry_decision`]; a local failure is final.
    pub fn retry_decision(&self, idempotency: Idempotency) -> RetryDecision {
        self.api()
            .map_or(RetryDecision::Stop, |e| e.retry_decision(idempotency))
    }

    /// [`Error::is_timeout`].
    pub fn is_timeout(&self) -> bool {
        self.api().is_some_and(Error::is_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_answer_for_the_api_error_and_io_messages_name_the_path() {
        let api = crate::ApiError::from_response(
            StatusCode::NOT_FOUND,
            &http::HeaderMap::new(),
            br#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no such file"}"#,
        );
        let e = TransferError::from(Error::from(api));
        assert!(e.is_not_found() && !e.is_already_exists() && !e.is_retryable());
        assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
        assert_eq!(e.error_code(), Some("RESOURCE_DOES_NOT_EXIST"));
        assert!(TransferError::LocalExists(PathBuf::from("/tmp/x")).is_already_exists());

        let missing = || std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = TransferError::io("/tmp/a.txt", missing());
        assert_eq!(e.to_string(), "local I/O failed on /tmp/a.txt");
        assert_eq!(
            crate::error::Report(&e).to_string(),
            "local I/O failed on /tmp/a.txt\n  caused by: gone"
        );
        assert!(!e.is_not_found(), "a local failure is not an API answer");
        let e = TransferError::from(missing());
        assert_eq!(e.to_string(), "local I/O failed");
        assert_eq!(
            std::error::Error::source(&e).map(ToString::to_string),
            Some("gone".to_string())
        );
        assert_eq!(
            e.retry_decision(Idempotency::Idempotent),
            RetryDecision::Stop
        );
    }
}
