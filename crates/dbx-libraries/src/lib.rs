//! # dbx-libraries
//!
//! The Databricks [Libraries API](https://docs.databricks.com/api/workspace/libraries): install
//! libraries on a cluster, uninstall them, read their status on one cluster or on all, and wait
//! until an install is done. Every call goes to `/api/2.0/libraries/*`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), dbx_libraries::LibrariesError> {
//! use dbx_libraries::{ClusterId, LibrariesApi, Library};
//!
//! let libraries = LibrariesApi::new(dbx_core::Client::from_env()?);
//! let cluster = ClusterId::from("0124-165313-5fpp2uv9");
//! let wanted = [
//!     Library::pypi("simplejson==3.8.0"),
//!     Library::maven("org.jsoup:jsoup:1.7.2"),
//! ];
//! match libraries.install_and_wait(&cluster, &wanted).await {
//!     Ok(statuses) => println!("{} libraries installed", statuses.len()),
//!     Err(e) => {
//!         for failure in e.failures() {
//!             eprintln!("{failure}"); // pypi x: FAILED (the service's messages)
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! ## How installs go
//!
//! `install` returns at once; the install happens in the background. On a running cluster a
//! library goes `PENDING` → `RESOLVING` → `INSTALLING` → `INSTALLED`, or ends `FAILED` (with
//! messages saying why) or `SKIPPED` (incompatible with the cluster). On a cluster that is not
//! running it stays `PENDING` until the cluster runs: libraries are installed at every start.
//! `uninstall` marks a library `UNINSTALL_ON_RESTART`; it is removed when the cluster restarts.
//! Installing an identical library twice changes nothing, and uninstalling one the cluster does
//! not have is ignored, so both calls are retried after a timeout.
//!
//! [`LibrariesApi::wait_installed`] polls `cluster-status` with backoff (20 minutes by default,
//! [`LibrariesApi::with_wait_policy`]) until every requested library has finished, and returns
//! their statuses, or a [`LibrariesError::Failed`] listing every library that failed or was
//! skipped with its messages; [`LibrariesApi::install_and_wait`] installs first.
//!
//! [`Library`] is an enum that serialises to the API's one-key objects (`{"jar": ...}`,
//! `{"pypi": {"package": ...}}`); a kind this crate does not know arrives as
//! [`Library::Unknown`] and goes back as it came. [`LibraryInstallStatus`] is open: a new status
//! arrives as `Unknown(String)`.
//!
//! ## From `databricksapi`
//!
//! | `databricksapi` 1.1.8 `Libraries.…` | dbx-libraries [`LibrariesApi`] |
//! |---|---|
//! | `allClusterStatuses(status)` | [`all_cluster_statuses`](LibrariesApi::all_cluster_statuses)`()` (the original's `status` argument was never used) |
//! | `clusterStatus(cluster_id)` | [`cluster_status`](LibrariesApi::cluster_status)`(&id)` |
//! | `installLibrary(cluster_id, libraries)` | [`install`](LibrariesApi::install)`(&id, &[Library::pypi("x")])`; or [`install_and_wait`](LibrariesApi::install_and_wait) |
//! | `uninstallLibrary(cluster_id, libraries)` | [`uninstall`](LibrariesApi::uninstall)`(&id, &libs)` |
//! | – | [`wait_installed`](LibrariesApi::wait_installed) |
//!
//! Differences from the original: `cluster_id` travels in the query string of `cluster-status`
//! (the original sent a JSON body on GET); libraries are typed instead of free dictionaries;
//! errors are [`dbx_core::Error`]s instead of error dictionaries returned as results.

mod error;
mod model;
#[cfg(test)]
mod tests;

use std::sync::Mutex;

use dbx_core::wait::{poll_until, Poll, PollPolicy};
use dbx_core::{CallOptions, Client, Request, Result};
use serde::{Deserialize, Serialize};

pub use dbx_clusters::ClusterId;
pub use error::LibrariesError;
pub use model::*;

/// The base path of every call.
const BASE: &str = "/api/2.0/libraries";

/// The Libraries API.
///
/// ```no_run
/// # fn demo() -> dbx_core::Result<()> {
/// let libraries = dbx_libraries::LibrariesApi::new(dbx_core::Client::from_env()?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LibrariesApi {
    client: Client,
    wait: PollPolicy,
}

#[derive(Serialize)]
struct Body<'a> {
    cluster_id: &'a ClusterId,
    libraries: &'a [Library],
}

#[derive(Deserialize)]
struct AllStatuses {
    #[serde(default)]
    statuses: Vec<ClusterLibraryStatuses>,
}

impl LibrariesApi {
    /// The Libraries API over `client`, with the default wait policy (20 minutes).
    pub fn new(client: Client) -> Self {
        Self {
            client,
            wait: PollPolicy::default(),
        }
    }

    /// This API with `options` applied to every call made through the returned handle (see
    /// [`dbx_core::Client::with_options`]).
    ///
    /// ```no_run
    /// # async fn demo(libraries: dbx_libraries::LibrariesApi) -> dbx_core::Result<()> {
    /// use std::time::Duration;
    /// use dbx_core::CallOptions;
    /// let quick = libraries.with_options(CallOptions::default().with_timeout(Duration::from_secs(5)));
    /// let all = quick.all_cluster_statuses().await?;
    /// # Ok(()) }
    /// ```
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            client: self.client.with_options(options),
            wait: self.wait.clone(),
        }
    }

    /// This API with `policy` for the waiters called through the returned handle.
    ///
    /// ```no_run
    /// # async fn demo(libraries: dbx_libraries::LibrariesApi) {
    /// use std::time::Duration;
    /// use dbx_core::wait::PollPolicy;
    /// let patient = libraries.with_wait_policy(PollPolicy::new(Duration::from_secs(45 * 60)));
    /// # }
    /// ```
    pub fn with_wait_policy(&self, policy: PollPolicy) -> Self {
        Self {
            client: self.client.clone(),
            wait: policy,
        }
    }

    /// The poll policy of this handle's waiters.
    pub fn wait_policy(&self) -> &PollPolicy {
        &self.wait
    }

    /// Install `libraries` on the cluster (`POST /api/2.0/libraries/install`). Returns at once;
    /// the install runs in the background (see [`wait_installed`](Self::wait_installed)). An
    /// unknown cluster answers 400 `INVALID_PARAMETER_VALUE`; installing needs `CAN_MANAGE` on
    /// the cluster. Retried after a timeout (installing the same library twice changes nothing).
    ///
    /// ```no_run
    /// # async fn demo(libraries: dbx_libraries::LibrariesApi, id: dbx_libraries::ClusterId) -> dbx_core::Result<()> {
    /// use dbx_libraries::Library;
    /// libraries.install(&id, &[Library::jar("/Volumes/main/default/libs/udfs.jar")]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn install(&self, cluster_id: &ClusterId, libraries: &[Library]) -> Result<()> {
        let req = Request::post(format!("{BASE}/install"))
            .json(&Body {
                cluster_id,
                libraries,
            })?
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Mark `libraries` for removal from the cluster (`POST /api/2.0/libraries/uninstall`):
    /// they show `UNINSTALL_ON_RESTART` and go at the next restart. Libraries the cluster does
    /// not have are ignored. Retried after a timeout.
    ///
    /// ```no_run
    /// # async fn demo(libraries: dbx_libraries::LibrariesApi, id: dbx_libraries::ClusterId) -> dbx_core::Result<()> {
    /// use dbx_libraries::Library;
    /// libraries.uninstall(&id, &[Library::pypi("simplejson==3.8.0")]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn uninstall(&self, cluster_id: &ClusterId, libraries: &[Library]) -> Result<()> {
        let req = Request::post(format!("{BASE}/uninstall"))
            .json(&Body {
                cluster_id,
                libraries,
            })?
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// The libraries of one cluster and their status (`GET /api/2.0/libraries/cluster-status`):
    /// those to install first, in the order they were added, then those marked for removal.
    ///
    /// ```no_run
    /// # async fn demo(libraries: dbx_libraries::LibrariesApi, id: dbx_libraries::ClusterId) -> dbx_core::Result<()> {
    /// for s in libraries.cluster_status(&id).await?.library_statuses {
    ///     println!("{s}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn cluster_status(&self, cluster_id: &ClusterId) -> Result<ClusterLibraryStatuses> {
        let req = Request::get(format!("{BASE}/cluster-status")).query("cluster_id", cluster_id);
        self.client.call(req).await
    }

    /// The libraries of every cluster that has any
    /// (`GET /api/2.0/libraries/all-cluster-statuses`).
    ///
    /// ```no_run
    /// # async fn demo(libraries: dbx_libraries::LibrariesApi) -> dbx_core::Result<()> {
    /// for c in libraries.all_cluster_statuses().await? {
    ///     println!("{}: {} libraries", c.cluster_id, c.library_statuses.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn all_cluster_statuses(&self) -> Result<Vec<ClusterLibraryStatuses>> {
        let resp: AllStatuses = self
            .client
            .call(Request::get(format!("{BASE}/all-cluster-statuses")))
            .await?;
        Ok(resp.statuses)
    }

    /// [`install`](Self::install), then [`wait_installed`](Self::wait_installed).
    ///
    /// ```no_run
    /// # async fn demo(libraries: dbx_libraries::LibrariesApi, id: dbx_libraries::ClusterId) -> Result<(), dbx_libraries::LibrariesError> {
    /// use dbx_libraries::Library;
    /// libraries.install_and_wait(&id, &[Library::cran("ggplot2")]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn install_and_wait(
        &self,
        cluster_id: &ClusterId,
        libraries: &[Library],
    ) -> std::result::Result<Vec<LibraryFullStatus>, LibrariesError> {
        self.install(cluster_id, libraries).await?;
        self.wait_installed(cluster_id, libraries).await
    }

    /// Wait until every one of `libraries` has finished installing on the cluster, and return
    /// their statuses (in the order of `libraries`). Polls `cluster-status` as the wait policy
    /// says. Fails with:
    ///
    /// * [`LibrariesError::Failed`] once none is in progress any more and some ended `FAILED`
    ///   or `SKIPPED` (or were marked `UNINSTALL_ON_RESTART` meanwhile): every such library,
    ///   with its messages;
    /// * [`LibrariesError::NotOnCluster`] at once for libraries the cluster does not have;
    /// * [`LibrariesError::Timeout`] at the deadline, naming those still in progress (on a
    ///   cluster that is not running they stay `PENDING` until it runs).
    ///
    /// Cancel-safe: dropping the future just stops polling.
    ///
    /// ```no_run
    /// # async fn demo(libraries: dbx_libraries::LibrariesApi, id: dbx_libraries::ClusterId) {
    /// use dbx_libraries::{Library, LibrariesError};
    /// match libraries.wait_installed(&id, &[Library::pypi("simplejson")]).await {
    ///     Ok(_) => println!("ready"),
    ///     Err(LibrariesError::Failed { failures, .. }) => {
    ///         for f in failures {
    ///             println!("{} {}: {:?}", f.library, f.status, f.messages);
    ///         }
    ///     }
    ///     Err(e) => println!("{e}"),
    /// }
    /// # }
    /// ```
    pub async fn wait_installed(
        &self,
        cluster_id: &ClusterId,
        libraries: &[Library],
    ) -> std::result::Result<Vec<LibraryFullStatus>, LibrariesError> {
        let last: Mutex<Vec<LibraryFullStatus>> = Mutex::new(Vec::new());
        let polled = poll_until(&self.wait, || {
            let last = &last;
            async move {
                let statuses = self.cluster_status(cluster_id).await?;
                let mut missing = Vec::new();
                let mut wanted = Vec::new();
                for lib in libraries {
                    match statuses.status_of(lib) {
                        Some(s) => wanted.push(s.clone()),
                        None => missing.push(lib.clone()),
                    }
                }
                if !missing.is_empty() {
                    return Ok(Poll::Ready(Err(LibrariesError::NotOnCluster {
                        cluster_id: cluster_id.clone(),
                        libraries: missing,
                    })));
                }
                // A status this crate does not know may be a new step of the install: wait.
                let busy = |s: &LibraryFullStatus| {
                    s.status.is_in_progress()
                        || matches!(s.status, LibraryInstallStatus::Unknown(_))
                };
                let in_progress: Vec<LibraryFullStatus> =
                    wanted.iter().filter(|s| busy(s)).cloned().collect();
                if !in_progress.is_empty() {
                    let words = in_progress
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ");
                    tracing::debug!(cluster_id = %cluster_id, in_progress = %words,
                        "waiting for libraries");
                    if let Ok(mut seen) = last.lock() {
                        *seen = in_progress;
                    }
                    return Ok(Poll::Pending(words));
                }
                let (installed, failures): (Vec<_>, Vec<_>) =
                    wanted.into_iter().partition(|s| s.status.is_installed());
                if failures.is_empty() {
                    Ok(Poll::Ready(Ok(installed)))
                } else {
                    Ok(Poll::Ready(Err(LibrariesError::Failed {
                        cluster_id: cluster_id.clone(),
                        failures,
                        installed,
                    })))
                }
            }
        })
        .await;
        match polled {
            Ok(outcome) => outcome,
            Err(dbx_core::Error::WaitTimeout { elapsed, .. }) => Err(LibrariesError::Timeout {
                cluster_id: cluster_id.clone(),
                elapsed,
                in_progress: last.lock().map(|s| s.clone()).unwrap_or_default(),
            }),
            Err(e) => Err(e.into()),
        }
    }
}
