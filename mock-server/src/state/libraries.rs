//! Libraries (<https://docs.databricks.com/api/workspace/instanceprofiles>): the libraries of every cluster, their install status on the
//! virtual clock, and the rules that make an install fail. The handlers in `api/libraries.rs`
//! validate requests and render answers; this module owns what changes with time.
//!
//! A library's status is a [`Timeline<LibStatus>`]. On a cluster whose nodes are up (`RUNNING`,
//! `RESIZING`) an install walks `PENDING` → `RESOLVING` → `INSTALLING` → `INSTALLED` (or
//! `FAILED` / `SKIPPED` when a [`LibraryFailure`] rule matches it), each step after its delay
//! ([`LibraryDelays`]). On a cluster that is not running it stays `PENDING`, and walks when the
//! cluster reaches `RUNNING`. Clusters are never reinstalled silently: libraries are installed on
//! every start, so when a cluster goes down (restart, terminate, start) every library goes back
//! to `PENDING` and walks again when the cluster is back. `uninstall` marks a library
//! `UNINSTALL_ON_RESTART`; it disappears when the cluster restarts or is started again. The
//! libraries of a permanently deleted cluster are gone.
//!
//! The Clusters family tells this one what happened to its clusters through
//! [`ClusterChange`]s, each with its own instant (`state/clusters.rs` records them;
//! `State::settle` hands them over after settling the clusters). Library steps due before a
//! change are applied before it, so every status moves at the right instant of the clock however
//! far it jumped (`docs/architecture.md`, "Time-driven resources").

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::clusters::ClusterState;
use super::timeline::{Agenda, Timeline};

/// Default delay of each install step (`PENDING` → `RESOLVING` → `INSTALLING` → done).
pub const DEFAULT_LIBRARY_STEP_DELAY: Duration = Duration::from_millis(500);

/// How long the steps of an install take, on the emulator clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LibraryDelays {
    /// `PENDING` → `RESOLVING`.
    pub resolve: Duration,
    /// `RESOLVING` → `INSTALLING` (or `SKIPPED`).
    pub install: Duration,
    /// `INSTALLING` → `INSTALLED` (or `FAILED`).
    pub finish: Duration,
}

impl Default for LibraryDelays {
    fn default() -> Self {
        Self {
            resolve: DEFAULT_LIBRARY_STEP_DELAY,
            install: DEFAULT_LIBRARY_STEP_DELAY,
            finish: DEFAULT_LIBRARY_STEP_DELAY,
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// How a failing install ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailureKind {
    /// `INSTALLING` → `FAILED` (the install was tried and failed).
    #[default]
    Failed,
    /// `RESOLVING` → `SKIPPED` (the library is not compatible with the cluster).
    Skipped,
}

/// A rule that makes matching installs fail, so that a test can exercise its failure handling:
/// every library whose name matches `pattern` (`*` matches any run of characters) ends
/// `FAILED` (or `SKIPPED`) with `message` among its messages.
///
/// A library's name is its PyPI or CRAN `package` (`simplejson==3.8.0`), its Maven
/// `coordinates`, or its `jar` / `whl` / `egg` / `requirements` path.
///
/// ```
/// use dbx_mock_server::LibraryFailure;
/// let rule = LibraryFailure::new("no-such-package*").message("No matching distribution found");
/// assert!(rule.matches("no-such-package==1.0"));
/// assert!(!rule.matches("simplejson"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryFailure {
    /// The glob matched against the library's name.
    pub pattern: String,
    /// `FAILED` (default) or `SKIPPED`.
    pub kind: FailureKind,
    /// The message the library's status carries (a default one when `None`).
    pub message: Option<String>,
}

impl LibraryFailure {
    /// A rule failing every library whose name matches `pattern`.
    pub fn new(pattern: impl Into<String>) -> Self {
        Self {
            pattern: pattern.into(),
            kind: FailureKind::Failed,
            message: None,
        }
    }

    /// End `SKIPPED` instead of `FAILED`.
    pub fn skipped(mut self) -> Self {
        self.kind = FailureKind::Skipped;
        self
    }

    /// The message the status carries.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Whether the rule applies to a library named `name`.
    pub fn matches(&self, name: &str) -> bool {
        crate::faults::glob_match(&self.pattern, name)
    }
}

/// A library's install status (<https://docs.databricks.com/api/workspace/instanceprofiles>; `RESTORED` is never entered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum LibStatus {
    Pending,
    Resolving,
    Installing,
    Installed,
    Failed,
    Skipped,
    UninstallOnRestart,
}

impl LibStatus {
    /// The wire name (`"INSTALLED"`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Resolving => "RESOLVING",
            Self::Installing => "INSTALLING",
            Self::Installed => "INSTALLED",
            Self::Failed => "FAILED",
            Self::Skipped => "SKIPPED",
            Self::UninstallOnRestart => "UNINSTALL_ON_RESTART",
        }
    }
}

/// What happened to a cluster, for its libraries: recorded by `state/clusters.rs` with the
/// instant it happened, handed over by `State::settle`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ClusterChange {
    pub cluster_id: String,
    pub at_ms: i64,
    /// The state left, when known.
    pub from: Option<ClusterState>,
    /// The state entered; `None`: the cluster was permanently deleted.
    pub to: Option<ClusterState>,
}

/// One library on one cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// The library object as sent (nulls removed): `{"pypi": {"package": "simplejson"}}`.
    pub library: Map<String, Value>,
    /// The library's name (see [`LibraryFailure`]).
    pub name: String,
    pub status: Timeline<LibStatus>,
    /// The messages of the current status.
    pub messages: Vec<String>,
    /// What the walk under way ends with, and its message.
    outcome: Option<(LibStatus, String)>,
    /// Whether the library is on the cluster's current nodes (kept by an uninstall mark, so
    /// that installing it again restores it as it was).
    on_nodes: bool,
}

impl Entry {
    /// The status as of the last settle.
    pub(crate) fn status(&self) -> LibStatus {
        *self.status.current()
    }
}

/// The libraries of every cluster that has any, in the order they were installed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Libraries {
    clusters: BTreeMap<String, Vec<Entry>>,
    agenda: Agenda<String>,
    /// The install step delays.
    /// Configuration, not state: a loaded state keeps the running emulator's.
    #[serde(skip)]
    pub delays: LibraryDelays,
    /// The rules that make installs fail (`/__mock/libraries/failures`).
    /// Configuration, not state: a loaded state keeps the running emulator's.
    #[serde(skip)]
    pub failures: Vec<LibraryFailure>,
}

impl Libraries {
    /// The libraries of cluster `id` (installed first, in order, then those marked for removal).
    pub(crate) fn of(&self, id: &str) -> Vec<&Entry> {
        let Some(entries) = self.clusters.get(id) else {
            return Vec::new();
        };
        let (keep, drop): (Vec<&Entry>, Vec<&Entry>) = entries
            .iter()
            .partition(|e| e.status() != LibStatus::UninstallOnRestart);
        keep.into_iter().chain(drop).collect()
    }

    /// The ids of the clusters that have libraries.
    pub(crate) fn cluster_ids(&self) -> impl Iterator<Item = &String> {
        self.clusters
            .iter()
            .filter(|(_, e)| !e.is_empty())
            .map(|(id, _)| id)
    }

    /// Add `library` (named `name`) to cluster `id` at `now_ms`, unless an identical one is
    /// there; installing one marked for removal cancels the mark. `nodes_up`: the cluster is
    /// `RUNNING` or `RESIZING`, so the install starts now.
    pub(crate) fn install(
        &mut self,
        id: &str,
        library: Map<String, Value>,
        name: String,
        now_ms: i64,
        nodes_up: bool,
    ) {
        let delays = self.delays;
        let outcome = self.outcome_for(id, &name);
        let entries = self.clusters.entry(id.to_owned()).or_default();
        if let Some(e) = entries.iter_mut().find(|e| e.library == library) {
            if e.status() == LibStatus::UninstallOnRestart {
                if e.on_nodes {
                    e.status.set(now_ms, LibStatus::Installed);
                } else {
                    e.status.set(now_ms, LibStatus::Pending);
                    if nodes_up {
                        walk(e, now_ms, &delays, outcome);
                    }
                }
            }
        } else {
            let mut e = Entry {
                library,
                name,
                status: Timeline::new(LibStatus::Pending, now_ms),
                messages: Vec::new(),
                outcome: None,
                on_nodes: false,
            };
            if nodes_up {
                walk(&mut e, now_ms, &delays, outcome);
            }
            entries.push(e);
        }
        let due = next_due(entries);
        self.agenda.wake(id.to_owned(), due);
    }

    /// Mark `library` of cluster `id` for removal at the next restart; nothing if it is not
    /// there.
    pub(crate) fn uninstall(&mut self, id: &str, library: &Map<String, Value>, now_ms: i64) {
        let Some(entries) = self.clusters.get_mut(id) else {
            return;
        };
        if let Some(e) = entries.iter_mut().find(|e| &e.library == library) {
            if e.status() != LibStatus::UninstallOnRestart {
                e.on_nodes = e.status() == LibStatus::Installed;
                e.status.set(now_ms, LibStatus::UninstallOnRestart);
                e.messages.clear();
                e.outcome = None;
            }
        }
    }

    /// True when nothing is due by `now_ms` (cluster changes are the clusters' to report).
    pub(crate) fn is_settled(&self, now_ms: i64) -> bool {
        self.agenda.next_due().is_none_or(|t| t > now_ms)
    }

    /// Hand over what happened to the clusters, then apply every step due by `now_ms`.
    pub(crate) fn settle(&mut self, now_ms: i64, changes: Vec<ClusterChange>) {
        for change in changes {
            let id = change.cluster_id.clone();
            if !self.clusters.contains_key(&id) {
                continue;
            }
            // Whatever was due before the change happened first.
            self.settle_cluster(&id, change.at_ms);
            self.apply(change);
        }
        if self.agenda.next_due().is_none_or(|t| t > now_ms) {
            return;
        }
        for id in self.agenda.due(now_ms) {
            self.settle_cluster(&id, now_ms);
        }
    }

    /// Apply the due steps of cluster `id`'s libraries up to `at_ms`.
    fn settle_cluster(&mut self, id: &str, at_ms: i64) {
        let Some(entries) = self.clusters.get_mut(id) else {
            return; // deleted since
        };
        for e in entries.iter_mut() {
            let Entry {
                status,
                messages,
                outcome,
                on_nodes,
                ..
            } = e;
            status.settle(at_ms, |_, _, to| {
                match to {
                    LibStatus::Installed => *on_nodes = true,
                    LibStatus::Failed | LibStatus::Skipped => {
                        if let Some((_, msg)) = outcome.take() {
                            messages.push(msg);
                        }
                    }
                    _ => {}
                }
                None
            });
        }
        let due = next_due(entries);
        self.agenda.wake(id.to_owned(), due);
    }

    /// What happens to a cluster's libraries when it changes state.
    fn apply(&mut self, change: ClusterChange) {
        let ClusterChange {
            cluster_id,
            at_ms,
            from,
            to,
        } = change;
        let Some(to) = to else {
            self.clusters.remove(&cluster_id);
            return;
        };
        let delays = self.delays;
        let rules = self.failures.clone();
        let Some(entries) = self.clusters.get_mut(&cluster_id) else {
            return;
        };
        match to {
            ClusterState::Running => {
                if matches!(from, Some(ClusterState::Resizing | ClusterState::Running)) {
                    return;
                }
                for e in entries.iter_mut() {
                    if e.status() == LibStatus::Pending && e.status.next_due().is_none() {
                        let outcome = outcome_of(&rules, &cluster_id, &e.name);
                        walk(e, at_ms, &delays, outcome);
                    }
                }
            }
            ClusterState::Resizing => {}
            ClusterState::Pending
            | ClusterState::Restarting
            | ClusterState::Terminating
            | ClusterState::Terminated => {
                // The nodes are gone: removals take effect when the cluster comes back up
                // (restart, start); everything else is installed again then.
                if matches!(to, ClusterState::Restarting | ClusterState::Pending) {
                    entries.retain(|e| e.status() != LibStatus::UninstallOnRestart);
                }
                for e in entries.iter_mut() {
                    e.on_nodes = false;
                    if e.status() != LibStatus::UninstallOnRestart
                        && (e.status() != LibStatus::Pending || e.status.next_due().is_some())
                    {
                        e.status.set(at_ms, LibStatus::Pending);
                        e.messages.clear();
                        e.outcome = None;
                    }
                }
            }
        }
        let due = next_due(entries);
        self.agenda.wake(cluster_id, due);
    }

    /// How an install of `name` on cluster `id` ends, by the failure rules.
    fn outcome_for(&self, id: &str, name: &str) -> (LibStatus, Option<String>) {
        outcome_of(&self.failures, id, name)
    }
}

/// The end of an install of `name` on cluster `id`: `INSTALLED`, or what the first matching
/// failure rule says, with its message.
fn outcome_of(rules: &[LibraryFailure], id: &str, name: &str) -> (LibStatus, Option<String>) {
    let Some(rule) = rules.iter().find(|r| r.matches(name)) else {
        return (LibStatus::Installed, None);
    };
    let (status, default) = match rule.kind {
        FailureKind::Failed => (
            LibStatus::Failed,
            format!(
                "Library installation attempted on the driver node of cluster {id} and failed. \
                 Please refer to the following error message to fix the library or contact \
                 Databricks support. Error code: DRIVER_LIBRARY_INSTALLATION_FAILURE. Error \
                 message: Library {name} could not be installed."
            ),
        ),
        FailureKind::Skipped => (
            LibStatus::Skipped,
            format!("Library {name} is not compatible with cluster {id}: it was skipped."),
        ),
    };
    (status, Some(rule.message.clone().unwrap_or(default)))
}

/// Plan the install walk of `e` from `now_ms`, ending as `outcome` says.
fn walk(
    e: &mut Entry,
    now_ms: i64,
    delays: &LibraryDelays,
    (end, message): (LibStatus, Option<String>),
) {
    e.messages.clear();
    let steps = match end {
        LibStatus::Skipped => vec![
            (ms(delays.resolve), LibStatus::Resolving),
            (ms(delays.install), LibStatus::Skipped),
        ],
        other => vec![
            (ms(delays.resolve), LibStatus::Resolving),
            (ms(delays.install), LibStatus::Installing),
            (ms(delays.finish), other),
        ],
    };
    e.outcome = message.map(|m| (end, m));
    e.status.plan(now_ms, steps);
}

fn next_due(entries: &[Entry]) -> Option<i64> {
    entries.iter().filter_map(|e| e.status.next_due()).min()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn lib(package: &str) -> Map<String, Value> {
        let Value::Object(m) = json!({"pypi": {"package": package}}) else {
            panic!("object")
        };
        m
    }

    fn statuses(l: &Libraries, id: &str) -> Vec<(String, &'static str)> {
        l.of(id)
            .into_iter()
            .map(|e| (e.name.clone(), e.status().as_str()))
            .collect()
    }

    fn change(at_ms: i64, from: ClusterState, to: Option<ClusterState>) -> ClusterChange {
        ClusterChange {
            cluster_id: "c".into(),
            at_ms,
            from: Some(from),
            to,
        }
    }

    #[test]
    fn walks_on_a_running_cluster_and_waits_on_a_stopped_one() {
        let mut l = Libraries::default();
        l.install("c", lib("a"), "a".into(), 0, true);
        l.install("c", lib("a"), "a".into(), 10, true); // identical: nothing changes
        l.settle(499, Vec::new());
        assert_eq!(statuses(&l, "c"), [("a".to_owned(), "PENDING")]);
        l.settle(500, Vec::new());
        assert_eq!(statuses(&l, "c"), [("a".to_owned(), "RESOLVING")]);
        l.settle(1_500, Vec::new());
        assert_eq!(statuses(&l, "c"), [("a".to_owned(), "INSTALLED")]);

        // Terminated at 2 s: back to PENDING; started at 3 s, RUNNING at 5 s: installed at 6.5 s.
        l.install("c", lib("b"), "b".into(), 1_600, true);
        l.settle(
            7_000,
            vec![
                change(
                    2_000,
                    ClusterState::Running,
                    Some(ClusterState::Terminating),
                ),
                change(3_000, ClusterState::Terminated, Some(ClusterState::Pending)),
                change(5_000, ClusterState::Pending, Some(ClusterState::Running)),
            ],
        );
        assert_eq!(
            statuses(&l, "c"),
            [("a".to_owned(), "INSTALLED"), ("b".to_owned(), "INSTALLED")]
        );
        assert_eq!(l.of("c")[1].status.since_ms(), 6_500);
    }

    #[test]
    fn uninstall_waits_for_the_restart_and_failures_carry_messages() {
        let mut l = Libraries::default();
        l.failures
            .push(LibraryFailure::new("bad*").message("no such package"));
        l.install("c", lib("a"), "a".into(), 0, true);
        l.install("c", lib("bad"), "bad".into(), 0, true);
        l.settle(2_000, Vec::new());
        assert_eq!(l.of("c")[1].status().as_str(), "FAILED");
        assert_eq!(l.of("c")[1].messages, ["no such package"]);
        l.uninstall("c", &lib("a"), 2_000);
        l.uninstall("c", &lib("never-installed"), 2_000);
        assert_eq!(
            statuses(&l, "c"),
            [
                ("bad".to_owned(), "FAILED"),
                ("a".to_owned(), "UNINSTALL_ON_RESTART")
            ]
        );
        l.settle(
            2_500,
            vec![change(
                2_100,
                ClusterState::Running,
                Some(ClusterState::Restarting),
            )],
        );
        assert_eq!(statuses(&l, "c"), [("bad".to_owned(), "PENDING")]);
        l.settle(3_000, vec![change(2_200, ClusterState::Restarting, None)]);
        assert!(l.of("c").is_empty());
        assert_eq!(l.cluster_ids().count(), 0);
    }
}
