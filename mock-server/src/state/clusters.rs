//! Clusters (<https://docs.databricks.com/api/workspace/clusters>): every cluster, its life cycle on the virtual clock, its events and its
//! permission grants. The handlers in `api/clusters.rs` validate requests and render answers;
//! this module owns what changes with time.
//!
//! A cluster's state is a [`Timeline<ClusterState>`]: `create` and `start` leave it `PENDING`
//! with `RUNNING` planned after the start-up delay; `restart` and `edit` of a running cluster go
//! through `RESTARTING`, `resize` through `RESIZING`; `delete` moves to `TERMINATING` with
//! `TERMINATED` planned after the termination delay. Reaching `RUNNING` plans autotermination
//! (`TERMINATING` with reason `INACTIVITY`) when `autotermination_minutes` is set. Each step
//! happens at its own instant of the clock, and events carry that instant (<https://docs.databricks.com/api/workspace/clusters>,
//! `docs/architecture.md` "Time-driven resources"). Only clusters with a transition due are
//! visited when the state is settled, so idle clusters cost nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::libraries::ClusterChange;
use super::permissions::{Grants, Level};
use super::serde_util::Word;
use super::timeline::{Agenda, Timeline};

/// Default delay from `PENDING` (create, start) to `RUNNING`.
pub const DEFAULT_START_DELAY: Duration = Duration::from_secs(2);
/// Default delay from `RESTARTING` (restart, edit of a running cluster) to `RUNNING`.
pub const DEFAULT_RESTART_DELAY: Duration = Duration::from_secs(2);
/// Default delay from `RESIZING` to `RUNNING`.
pub const DEFAULT_RESIZE_DELAY: Duration = Duration::from_secs(1);
/// Default delay from `TERMINATING` to `TERMINATED`.
pub const DEFAULT_TERMINATE_DELAY: Duration = Duration::from_secs(1);

/// How long the emulated clusters take to move between states, on the emulator clock.
///
/// The defaults are short in real time (a few seconds) so that real clients' waiters, which
/// sleep for real between polls, finish quickly. Tests that move the clock themselves may use any
/// values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterDelays {
    /// `PENDING` → `RUNNING` (create, start).
    pub start: Duration,
    /// `RESTARTING` → `RUNNING` (restart, edit of a running cluster).
    pub restart: Duration,
    /// `RESIZING` → `RUNNING`.
    pub resize: Duration,
    /// `TERMINATING` → `TERMINATED`.
    pub terminate: Duration,
}

impl Default for ClusterDelays {
    fn default() -> Self {
        Self {
            start: DEFAULT_START_DELAY,
            restart: DEFAULT_RESTART_DELAY,
            resize: DEFAULT_RESIZE_DELAY,
            terminate: DEFAULT_TERMINATE_DELAY,
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A cluster's state (<https://docs.databricks.com/api/workspace/clusters>; `ERROR` and `UNKNOWN` are never entered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum ClusterState {
    Pending,
    Running,
    Restarting,
    Resizing,
    Terminating,
    Terminated,
}

impl ClusterState {
    /// Every state, for filters and tables.
    pub(crate) const ALL: [ClusterState; 6] = [
        Self::Pending,
        Self::Running,
        Self::Restarting,
        Self::Resizing,
        Self::Terminating,
        Self::Terminated,
    ];

    /// The wire name (`"RUNNING"`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Running => "RUNNING",
            Self::Restarting => "RESTARTING",
            Self::Resizing => "RESIZING",
            Self::Terminating => "TERMINATING",
            Self::Terminated => "TERMINATED",
        }
    }

    /// The name in the service's messages ("Cluster <id> is in unexpected state Pending.").
    pub(crate) fn title(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Restarting => "Restarting",
            Self::Resizing => "Resizing",
            Self::Terminating => "Terminating",
            Self::Terminated => "Terminated",
        }
    }

    /// True for the states a cluster only passes through.
    pub(crate) fn is_transitional(self) -> bool {
        !matches!(self, Self::Running | Self::Terminated)
    }

    /// True while the cluster has nodes (driver and executors).
    pub(crate) fn has_nodes(self) -> bool {
        matches!(self, Self::Running | Self::Resizing | Self::Restarting)
    }
}

/// Cluster permission levels (`CAN_ATTACH_TO` < `CAN_RESTART` < `CAN_MANAGE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClusterLevel {
    /// Attach notebooks; read the cluster.
    CanAttachTo,
    /// Also start, restart and terminate.
    CanRestart,
    /// Also edit, resize, permanently delete and change permissions.
    CanManage,
}

impl ClusterLevel {
    /// The wire name (`"CAN_MANAGE"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CanAttachTo => "CAN_ATTACH_TO",
            Self::CanRestart => "CAN_RESTART",
            Self::CanManage => "CAN_MANAGE",
        }
    }
}

impl Level for ClusterLevel {
    const ADMIN: Self = ClusterLevel::CanManage;
}

/// The size a cluster runs at: a fixed number of workers or an autoscale range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Size {
    Fixed(i64),
    Autoscale { min: i64, max: i64 },
}

impl Size {
    /// The size described by a spec's `num_workers` / `autoscale` (no workers when neither).
    pub(crate) fn of_spec(spec: &Map<String, Value>) -> Self {
        let num = |v: Option<&Value>| v.and_then(value_i64);
        match spec.get("autoscale").filter(|v| v.is_object()) {
            Some(a) => Self::Autoscale {
                min: num(a.get("min_workers")).unwrap_or(0),
                max: num(a.get("max_workers")).unwrap_or(0),
            },
            None => Self::Fixed(num(spec.get("num_workers")).unwrap_or(0)),
        }
    }

    /// The number of workers the cluster starts with (autoscale starts at its minimum).
    pub(crate) fn initial_workers(self) -> i64 {
        match self {
            Self::Fixed(n) => n,
            Self::Autoscale { min, .. } => min,
        }
    }

    /// `{"num_workers": n}` or `{"autoscale": {..}}`, as event details show a cluster size.
    pub(crate) fn to_json(self) -> Value {
        match self {
            Self::Fixed(n) => json!({ "num_workers": n }),
            Self::Autoscale { min, max } => {
                json!({ "autoscale": { "min_workers": min, "max_workers": max } })
            }
        }
    }
}

/// An integer from a JSON number or numeric string (specs are decoded leniently).
pub(crate) fn value_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One cluster event (<https://docs.databricks.com/api/workspace/clusters>).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ClusterEvent {
    pub timestamp: i64,
    #[serde(with = "super::serde_util::static_str")]
    pub kind: Word,
    pub details: Value,
}

/// Everything known about one cluster besides its timeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ClusterInfo {
    pub cluster_id: String,
    /// The spec as the caller sent it (unknown fields kept, so `get` → `edit` loses nothing).
    pub spec: Map<String, Value>,
    pub creator_user_name: String,
    pub cluster_source: String,
    /// When the cluster last entered `PENDING` (create or start).
    pub start_time: i64,
    pub terminated_time: Option<i64>,
    pub last_restarted_time: Option<i64>,
    pub last_state_loss_time: Option<i64>,
    pub state_message: String,
    pub termination_reason: Option<Value>,
    /// Workers that are up now (the spec's size is the target).
    pub current_workers: i64,
    /// The Spark context of the current driver; a new one on every (re)start.
    pub spark_context_id: Option<i64>,
    /// Counts driver (re)starts: node ids change with it.
    pub incarnation: u32,
    /// When the current nodes came up.
    pub nodes_since: i64,
    pub pinned: bool,
    pub idempotency_token: Option<String>,
    pub events: Vec<ClusterEvent>,
    pub grants: Grants<ClusterLevel>,
}

impl ClusterInfo {
    /// The spec's autotermination, in ms (0: off).
    fn autotermination_ms(&self) -> i64 {
        self.spec
            .get("autotermination_minutes")
            .and_then(value_i64)
            .unwrap_or(0)
            .max(0)
            .saturating_mul(60_000)
    }

    /// Record an event at `at`.
    pub(crate) fn event(&mut self, at: i64, kind: &'static str, details: Value) {
        self.events.push(ClusterEvent {
            timestamp: at,
            kind,
            details,
        });
    }

    /// Apply one scheduled step (see [`Timeline::settle`]); returns what to plan after it.
    fn on_step(
        &mut self,
        at: i64,
        from: ClusterState,
        to: ClusterState,
        delays: &ClusterDelays,
    ) -> Option<Vec<(i64, ClusterState)>> {
        match to {
            ClusterState::Running => {
                let target = Size::of_spec(&self.spec);
                if from == ClusterState::Resizing {
                    let before = self.current_workers;
                    let after = match target {
                        Size::Fixed(n) => n,
                        Size::Autoscale { min, max } => before.clamp(min, max),
                    };
                    self.current_workers = after;
                    if after > before {
                        self.event(
                            at,
                            "UPSIZE_COMPLETED",
                            json!({"current_num_workers": after, "target_num_workers": after}),
                        );
                    }
                } else {
                    // A fresh driver: a new Spark context and new nodes.
                    self.current_workers = target.initial_workers();
                    self.incarnation = self.incarnation.wrapping_add(1);
                    self.spark_context_id =
                        Some(spark_context_id(&self.cluster_id, at, self.incarnation));
                    self.nodes_since = at;
                    self.last_restarted_time = Some(at);
                    self.last_state_loss_time = Some(at);
                    let n = self.current_workers;
                    self.event(
                        at,
                        "RUNNING",
                        json!({"current_num_workers": n, "target_num_workers": n}),
                    );
                    self.event(at, "DRIVER_HEALTHY", json!({}));
                }
                self.state_message = String::new();
                let idle = self.autotermination_ms();
                Some(if idle > 0 {
                    vec![(idle, ClusterState::Terminating)]
                } else {
                    Vec::new()
                })
            }
            ClusterState::Terminating => {
                // Only autotermination reaches TERMINATING on the clock; `delete` sets it.
                let minutes = self.autotermination_ms() / 60_000;
                let reason = json!({
                    "code": "INACTIVITY",
                    "type": "SUCCESS",
                    "parameters": {"inactivity_duration_min": minutes.to_string()},
                });
                self.state_message =
                    format!("Inactive cluster terminated (inactive for {minutes} minutes).");
                self.termination_reason = Some(reason.clone());
                self.event(at, "TERMINATING", json!({ "reason": reason }));
                Some(vec![(ms(delays.terminate), ClusterState::Terminated)])
            }
            ClusterState::Terminated => {
                self.terminated_time = Some(at);
                self.current_workers = 0;
                None
            }
            ClusterState::Pending | ClusterState::Restarting | ClusterState::Resizing => None,
        }
    }
}

/// A [`ClusterChange`] of cluster `id` at `at_ms`.
fn change(
    id: &str,
    at_ms: i64,
    from: Option<ClusterState>,
    to: Option<ClusterState>,
) -> ClusterChange {
    ClusterChange {
        cluster_id: id.to_owned(),
        at_ms,
        from,
        to,
    }
}

/// A deterministic, positive Spark context id for the `incarnation`-th driver, started at `at`
/// (a new one on every restart, even two restarts at the same instant of a frozen clock).
fn spark_context_id(cluster_id: &str, at: i64, incarnation: u32) -> i64 {
    let h = fnv1a(cluster_id.as_bytes())
        ^ (at as u64).rotate_left(17)
        ^ u64::from(incarnation).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    i64::try_from(h >> 1).unwrap_or(i64::MAX)
}

/// FNV-1a, for deterministic node ids and addresses.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One cluster: its timeline and everything else.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Cluster {
    pub timeline: Timeline<ClusterState>,
    pub info: ClusterInfo,
}

impl Cluster {
    /// The state as of the last settle.
    pub(crate) fn state(&self) -> ClusterState {
        *self.timeline.current()
    }
}

/// The Clusters family: every cluster that was not permanently deleted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Clusters {
    items: BTreeMap<String, Cluster>,
    agenda: Agenda<String>,
    /// Transition delays (builder, binary flags, `/__mock/clusters/delays`).
    /// Configuration, not state: a loaded state keeps the running emulator's.
    #[serde(skip)]
    pub delays: ClusterDelays,
    /// What happened to clusters since `State::settle` last handed it to the Libraries
    /// family (`state/libraries.rs`): every state entered, and permanent deletions.
    changes: Vec<ClusterChange>,
}

impl Clusters {
    /// Remove every cluster permission naming `principal` (a deleted user, service principal or
    /// group; see `state/effects.rs`).
    pub(crate) fn forget_principal(&mut self, principal: &str) {
        for c in self.items.values_mut() {
            c.info.grants.remove(principal);
        }
    }

    /// The cluster `id`, if it exists.
    pub(crate) fn get(&self, id: &str) -> Option<&Cluster> {
        self.items.get(id)
    }

    /// The cluster `id`, mutably.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Cluster> {
        self.items.get_mut(id)
    }

    /// Every cluster, by id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Cluster> {
        self.items.values()
    }

    /// True when `id` is taken.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.items.contains_key(id)
    }

    /// Add a new cluster in `PENDING` at `now_ms`, `RUNNING` after the start delay.
    pub(crate) fn insert_pending(&mut self, info: ClusterInfo, now_ms: i64) {
        let id = info.cluster_id.clone();
        let mut timeline = Timeline::new(ClusterState::Pending, now_ms);
        timeline.plan(now_ms, [(ms(self.delays.start), ClusterState::Running)]);
        self.agenda.wake(id.clone(), timeline.next_due());
        self.items.insert(id, Cluster { timeline, info });
    }

    /// Move cluster `id` to `state` now and plan `then` after it (replacing what was planned).
    pub(crate) fn transition(
        &mut self,
        id: &str,
        now_ms: i64,
        state: ClusterState,
        then: Option<ClusterState>,
    ) {
        let delays = self.delays;
        let Some(c) = self.items.get_mut(id) else {
            return;
        };
        let from = c.state();
        c.timeline.set(now_ms, state);
        self.changes
            .push(change(id, now_ms, Some(from), Some(state)));
        if let Some(next) = then {
            let delay = match next {
                ClusterState::Terminated => delays.terminate,
                _ => match state {
                    ClusterState::Restarting => delays.restart,
                    ClusterState::Resizing => delays.resize,
                    _ => delays.start,
                },
            };
            c.timeline.plan(now_ms, [(ms(delay), next)]);
        }
        self.agenda.wake(id.to_owned(), c.timeline.next_due());
    }

    /// Remove cluster `id` for good; returns it.
    pub(crate) fn remove(&mut self, id: &str) -> Option<Cluster> {
        let removed = self.items.remove(id)?;
        let now_ms = removed.timeline.since_ms();
        self.changes
            .push(change(id, now_ms, Some(removed.state()), None));
        Some(removed)
    }

    /// Take what happened to clusters since the last call (for the Libraries family).
    pub(crate) fn take_changes(&mut self) -> Vec<ClusterChange> {
        std::mem::take(&mut self.changes)
    }

    /// Jobs: a job cluster (`cluster_source` `JOB`) named `name` for a run, `PENDING` at `now_ms`;
    /// returns its id.
    pub(crate) fn add_job_cluster(
        &mut self,
        mut spec: Map<String, Value>,
        name: &str,
        user: &str,
        now_ms: i64,
    ) -> String {
        let id = crate::api::clusters::new_cluster_id(now_ms, |id| self.items.contains_key(id));
        spec.insert("cluster_name".into(), json!(name));
        let mut grants = Grants::default();
        grants.set(user, ClusterLevel::CanManage);
        let mut info = ClusterInfo {
            cluster_id: id.clone(),
            spec: spec.clone(),
            creator_user_name: user.to_owned(),
            cluster_source: "JOB".to_owned(),
            start_time: now_ms,
            terminated_time: None,
            last_restarted_time: None,
            last_state_loss_time: None,
            state_message: "Finding instances for new nodes, acquiring more instances if necessary"
                .to_owned(),
            termination_reason: None,
            current_workers: 0,
            spark_context_id: None,
            incarnation: 0,
            nodes_since: now_ms,
            pinned: false,
            idempotency_token: None,
            events: Vec::new(),
            grants,
        };
        info.event(
            now_ms,
            "CREATING",
            json!({"user": user, "attributes": Value::Object(spec)}),
        );
        self.insert_pending(info, now_ms);
        id
    }

    /// Jobs: a run on existing cluster `id` starts it when it is `TERMINATED`.
    pub(crate) fn start_for_run(&mut self, id: &str, user: &str, now_ms: i64) {
        let Some(c) = self.items.get_mut(id) else {
            return;
        };
        if c.state() != ClusterState::Terminated {
            return;
        }
        c.info.start_time = now_ms;
        c.info.terminated_time = None;
        c.info.termination_reason = None;
        c.info.event(now_ms, "STARTING", json!({ "user": user }));
        self.transition(
            id,
            now_ms,
            ClusterState::Pending,
            Some(ClusterState::Running),
        );
    }

    /// Jobs: the run that made job cluster `id` has ended: it terminates (`JOB_FINISHED`).
    pub(crate) fn terminate_job_cluster(&mut self, id: &str, now_ms: i64) {
        let Some(c) = self.items.get_mut(id) else {
            return;
        };
        if matches!(
            c.state(),
            ClusterState::Terminating | ClusterState::Terminated
        ) {
            return;
        }
        let reason = json!({"code": "JOB_FINISHED", "type": "SUCCESS"});
        c.info.termination_reason = Some(reason.clone());
        c.info.state_message = "Job finished".to_owned();
        c.info
            .event(now_ms, "TERMINATING", json!({ "reason": reason }));
        self.transition(
            id,
            now_ms,
            ClusterState::Terminating,
            Some(ClusterState::Terminated),
        );
    }

    /// True when [`Clusters::settle`] at `now_ms` has nothing to do and no change is waiting
    /// for [`Clusters::take_changes`].
    pub(crate) fn is_settled(&self, now_ms: i64) -> bool {
        self.changes.is_empty() && self.agenda.next_due().is_none_or(|t| t > now_ms)
    }

    /// Apply every transition due by `now_ms`, visiting only the clusters that have one.
    pub(crate) fn settle(&mut self, now_ms: i64) {
        if self.agenda.next_due().is_none_or(|t| t > now_ms) {
            return;
        }
        let delays = self.delays;
        for id in self.agenda.due(now_ms) {
            let Some(c) = self.items.get_mut(&id) else {
                continue; // permanently deleted since
            };
            let Cluster { timeline, info } = c;
            let changes = &mut self.changes;
            timeline.settle(now_ms, |at, from, to| {
                changes.push(change(&id, at, Some(*from), Some(*to)));
                info.on_step(at, *from, *to, &delays)
            });
            self.agenda.wake(id, timeline.next_due());
        }
    }

    /// Finish every transitional cluster now: `PENDING`, `RESTARTING` and `RESIZING` clusters
    /// reach `RUNNING` and `TERMINATING` ones `TERMINATED`, at `now_ms` (autotermination and
    /// other later plans are left alone). Returns how many clusters moved.
    pub(crate) fn finish_transitions(&mut self, now_ms: i64) -> usize {
        self.settle(now_ms);
        let delays = self.delays;
        let mut moved = 0;
        for (id, c) in &mut self.items {
            if !c.state().is_transitional() {
                continue;
            }
            let mut steps = Vec::new();
            for t in c.timeline.pending() {
                steps.push((0, t.to));
                if !t.to.is_transitional() {
                    break;
                }
            }
            if steps.is_empty() {
                continue;
            }
            c.timeline.plan(now_ms, steps);
            let Cluster { timeline, info } = c;
            let changes = &mut self.changes;
            timeline.settle(now_ms, |at, from, to| {
                changes.push(change(id, at, Some(*from), Some(*to)));
                // TERMINATED after TERMINATING happens now too; autotermination of a cluster
                // that reached RUNNING stays planned after its idle time.
                info.on_step(at, *from, *to, &delays).map(|more| {
                    more.into_iter()
                        .map(|(d, s)| (if s == ClusterState::Terminated { 0 } else { d }, s))
                        .collect()
                })
            });
            self.agenda.wake(id.clone(), timeline.next_due());
            moved += 1;
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str, spec: Value) -> ClusterInfo {
        let Value::Object(spec) = spec else {
            panic!("spec must be an object")
        };
        ClusterInfo {
            cluster_id: id.to_owned(),
            spec,
            creator_user_name: "admin@example.com".to_owned(),
            cluster_source: "API".to_owned(),
            start_time: 0,
            terminated_time: None,
            last_restarted_time: None,
            last_state_loss_time: None,
            state_message: String::new(),
            termination_reason: None,
            current_workers: 0,
            spark_context_id: None,
            incarnation: 0,
            nodes_since: 0,
            pinned: false,
            idempotency_token: None,
            events: Vec::new(),
            grants: Grants::default(),
        }
    }

    #[test]
    fn pending_runs_then_autoterminates_with_the_steps_own_times() {
        let mut cs = Clusters::default();
        cs.insert_pending(
            info(
                "a",
                json!({"num_workers": 2, "autotermination_minutes": 10}),
            ),
            0,
        );
        cs.settle(1_999);
        assert_eq!(cs.get("a").map(Cluster::state), Some(ClusterState::Pending));
        cs.settle(2_000 + 10 * 60_000 + 1_000);
        let c = cs.get("a").expect("cluster");
        assert_eq!(c.state(), ClusterState::Terminated);
        let kinds: Vec<(i64, &str)> = c
            .info
            .events
            .iter()
            .map(|e| (e.timestamp, e.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (2_000, "RUNNING"),
                (2_000, "DRIVER_HEALTHY"),
                (602_000, "TERMINATING")
            ]
        );
        assert_eq!(c.info.terminated_time, Some(603_000));
        assert_eq!(
            c.info
                .termination_reason
                .as_ref()
                .map(|r| r["code"].clone()),
            Some(json!("INACTIVITY"))
        );
    }

    #[test]
    fn finish_transitions_completes_without_autoterminating() {
        let mut cs = Clusters::default();
        cs.insert_pending(
            info(
                "a",
                json!({"num_workers": 1, "autotermination_minutes": 10}),
            ),
            0,
        );
        cs.insert_pending(info("b", json!({"num_workers": 1})), 0);
        cs.transition(
            "b",
            5,
            ClusterState::Terminating,
            Some(ClusterState::Terminated),
        );
        assert_eq!(cs.finish_transitions(10), 2);
        assert_eq!(cs.get("a").map(Cluster::state), Some(ClusterState::Running));
        assert_eq!(
            cs.get("b").map(Cluster::state),
            Some(ClusterState::Terminated)
        );
        assert_eq!(
            cs.get("a").and_then(|c| c.timeline.next_due()),
            Some(10 + 600_000)
        );
    }
}
