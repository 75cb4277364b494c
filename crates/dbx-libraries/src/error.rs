//! The error of the install waiters: an API error, libraries that failed, libraries the cluster
//! does not have, or a deadline that passed.

use std::time::Duration;

use crate::{ClusterId, Library, LibraryFullStatus};

fn list(statuses: &[LibraryFullStatus]) -> String {
    statuses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What [`LibrariesApi::wait_installed`](crate::LibrariesApi::wait_installed) and
/// [`LibrariesApi::install_and_wait`](crate::LibrariesApi::install_and_wait) can fail with.
///
/// ```
/// use dbx_libraries::{ClusterId, LibrariesError, Library, LibraryFullStatus, LibraryInstallStatus};
/// let e = LibrariesError::Failed {
///     cluster_id: ClusterId::from("0124-165313-5fpp2uv9"),
///     failures: vec![LibraryFullStatus {
///         library: Library::pypi("no-such-package"),
///         status: LibraryInstallStatus::Failed,
///         messages: vec!["No matching distribution found".into()],
///         is_library_for_all_clusters: false,
///     }],
///     installed: vec![],
/// };
/// assert!(e.is_failed());
/// assert_eq!(
///     e.to_string(),
///     "libraries failed to install on cluster 0124-165313-5fpp2uv9: pypi no-such-package: FAILED (No matching distribution found)"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LibrariesError {
    /// A call failed (the API's answer, a transport failure, ...).
    #[error(transparent)]
    Api(#[from] dbx_core::Error),
    /// Every requested library finished, and some did not install: each `FAILED` or `SKIPPED`
    /// one (or one marked `UNINSTALL_ON_RESTART` meanwhile), with its messages.
    #[error(
        "libraries failed to install on cluster {cluster_id}: {}",
        list(failures)
    )]
    Failed {
        /// The cluster.
        cluster_id: ClusterId,
        /// The libraries that did not install, as last read.
        failures: Vec<LibraryFullStatus>,
        /// The requested libraries that did install.
        installed: Vec<LibraryFullStatus>,
    },
    /// Requested libraries the cluster does not have (never installed, or removed).
    #[error("cluster {cluster_id} does not have {}", libraries.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    NotOnCluster {
        /// The cluster.
        cluster_id: ClusterId,
        /// The libraries it does not have.
        libraries: Vec<Library>,
    },
    /// The wait's deadline passed (default 20 minutes; see
    /// [`LibrariesApi::with_wait_policy`](crate::LibrariesApi::with_wait_policy)). A cluster
    /// that is not running keeps its libraries `PENDING` until it runs.
    #[error("libraries on cluster {cluster_id} were not installed within {elapsed:?}; still in progress: {}", list(in_progress))]
    Timeout {
        /// The cluster.
        cluster_id: ClusterId,
        /// How long the waiter polled.
        elapsed: Duration,
        /// The requested libraries still in progress when last read.
        in_progress: Vec<LibraryFullStatus>,
    },
}

impl LibrariesError {
    /// Whether some library ended `FAILED` or `SKIPPED`.
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Failed { .. })
    }

    /// Whether the deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// The libraries that did not install, for [`LibrariesError::Failed`].
    pub fn failures(&self) -> &[LibraryFullStatus] {
        match self {
            Self::Failed { failures, .. } => failures,
            _ => &[],
        }
    }

    /// The underlying SDK error, for [`LibrariesError::Api`].
    pub fn api(&self) -> Option<&dbx_core::Error> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }
}
