//! The error of the waiters and selectors: an API error, a cluster that ended in the wrong state,
//! a deadline that passed, or a selector that matched nothing.

use std::time::Duration;

use crate::{ClusterDetails, ClusterId, State, TerminationReason};

/// What a waiter ([`ClustersApi::wait_running`](crate::ClustersApi::wait_running) and the
/// `*_and_wait` calls), [`ClustersApi::ensure_running`](crate::ClustersApi::ensure_running) or a
/// selector can fail with.
///
/// ```
/// use dbx_clusters::{ClusterError, ClusterId, State};
/// let e = ClusterError::Timeout {
///     cluster_id: ClusterId::from("0124-165313-5fpp2uv9"),
///     wanted: State::Running,
///     elapsed: std::time::Duration::from_secs(1200),
///     last_state: Some(State::Pending),
///     state_message: Some("Finding instances for new nodes".into()),
/// };
/// assert!(e.is_timeout());
/// assert!(e.to_string().contains("last state seen: PENDING"), "{e}");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// A call failed (the API's answer, a transport failure, ...).
    #[error(transparent)]
    Api(#[from] dbx_core::Error),
    /// The cluster reached a state from which the wanted one cannot follow (waiting for
    /// `RUNNING`: `TERMINATING`, `TERMINATED` or `ERROR`; for `TERMINATED`: `ERROR`).
    #[error("cluster {cluster_id} did not reach {wanted}: it is {state}{}{}",
        state_message.as_deref().filter(|m| !m.is_empty()).map(|m| format!(": {m}")).unwrap_or_default(),
        termination_reason.as_ref().map(|r| format!(" (termination reason: {r})")).unwrap_or_default())]
    Failed {
        /// The cluster.
        cluster_id: ClusterId,
        /// The state waited for.
        wanted: State,
        /// The state it is in.
        state: State,
        /// The server's words about that state.
        state_message: Option<String>,
        /// Why it terminated, when it did.
        termination_reason: Option<Box<TerminationReason>>,
        /// The cluster as last read.
        details: Box<ClusterDetails>,
    },
    /// The wait's deadline passed (default 20 minutes; see
    /// [`ClustersApi::with_wait_policy`](crate::ClustersApi::with_wait_policy)).
    #[error("cluster {cluster_id} did not reach {wanted} within {elapsed:?}; last state seen: {}{}",
        last_state.as_ref().map(|s| s.as_str()).unwrap_or("none"),
        state_message.as_deref().filter(|m| !m.is_empty()).map(|m| format!(": {m}")).unwrap_or_default())]
    Timeout {
        /// The cluster.
        cluster_id: ClusterId,
        /// The state waited for.
        wanted: State,
        /// How long the waiter polled.
        elapsed: Duration,
        /// The last state seen (none if no `get` answered).
        last_state: Option<State>,
        /// The server's words about it.
        state_message: Option<String>,
    },
    /// A selector found nothing that matches (or, with `latest(false)`, more than one).
    #[error("{0}")]
    NoMatch(String),
}

impl ClusterError {
    /// Whether the deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, ClusterError::Timeout { .. })
    }

    /// Whether the cluster ended in a state the wait could not succeed from.
    pub fn is_failed(&self) -> bool {
        matches!(self, ClusterError::Failed { .. })
    }

    /// Why the cluster terminated, for [`ClusterError::Failed`].
    pub fn termination_reason(&self) -> Option<&TerminationReason> {
        match self {
            ClusterError::Failed {
                termination_reason, ..
            } => termination_reason.as_deref(),
            _ => None,
        }
    }

    /// The state the cluster was last seen in, for [`ClusterError::Failed`] and
    /// [`ClusterError::Timeout`].
    pub fn state(&self) -> Option<&State> {
        match self {
            ClusterError::Failed { state, .. } => Some(state),
            ClusterError::Timeout { last_state, .. } => last_state.as_ref(),
            _ => None,
        }
    }

    /// The underlying SDK error, for [`ClusterError::Api`].
    pub fn api(&self) -> Option<&dbx_core::Error> {
        match self {
            ClusterError::Api(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn failed(wanted: State, details: ClusterDetails) -> Self {
        ClusterError::Failed {
            cluster_id: details.id(),
            wanted,
            state: details.state(),
            state_message: details.state_message.clone(),
            termination_reason: details.termination_reason.clone().map(Box::new),
            details: Box::new(details),
        }
    }
}
