//! Jobs (<https://docs.databricks.com/api/workspace/jobs>): jobs, their runs on the virtual clock, schedules and scripted outcomes.
//! The handlers in `api/jobs.rs` validate requests and render answers; this module owns what
//! changes with time.
//!
//! A run is derived when read, as clusters are (`docs/architecture.md`, "Time-driven
//! resources"): nothing runs in the background. Each run keeps the instants of its next moves
//! (`PENDING` → `RUNNING` after the set-up delay, each task attempt's end, a retry's start, the
//! run's time-out, `TERMINATING` → `TERMINATED` after the clean-up delay) and the family's
//! [`Agenda`] says which runs have one due; `settle(now)` applies them in time order, each at its
//! own instant. Tasks start when their `depends_on` are done and their `run_if` holds, and are
//! skipped (`UPSTREAM_FAILED`, `UPSTREAM_CANCELED`, `EXCLUDED`) otherwise; the run's result is
//! aggregated from its tasks. Schedules fire lazily: each job with an unpaused schedule is on a
//! second agenda at its next firing time, and settling fires every due firing in order.

pub(crate) mod cron;
pub(crate) mod notebook;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::clusters::Clusters;
use super::serde_util::Word;
use super::timeline::Agenda;
use super::workspace::{Kind, Tree};

/// Default delay from a run's start (`PENDING`: clusters being set up) to `RUNNING`.
pub const DEFAULT_RUN_PENDING_DELAY: Duration = Duration::from_millis(500);
/// Default duration of one task attempt.
pub const DEFAULT_TASK_DURATION: Duration = Duration::from_millis(500);
/// Default delay from `TERMINATING` to `TERMINATED`.
pub const DEFAULT_RUN_CLEANUP_DELAY: Duration = Duration::from_millis(250);
/// Most retries of one task the emulator makes, even for `max_retries: -1` (our limit).
const MAX_ATTEMPTS: i64 = 1000;
/// Largest `notebook_output.result` returned (<https://docs.databricks.com/api/workspace/jobs>: the first 5 MB).
pub const MAX_NOTEBOOK_RESULT_BYTES: usize = 5 * 1024 * 1024;

/// How long emulated runs take, on the emulator clock. The defaults are short in real time (a
/// three-task chain ends in about two seconds) so real clients' waiters finish quickly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobDelays {
    /// `PENDING` → `RUNNING` (set-up).
    pub pending: Duration,
    /// One task attempt (unless a scripted outcome says otherwise).
    pub task: Duration,
    /// `TERMINATING` → `TERMINATED` (clean-up).
    pub cleanup: Duration,
}

impl Default for JobDelays {
    fn default() -> Self {
        Self {
            pending: DEFAULT_RUN_PENDING_DELAY,
            task: DEFAULT_TASK_DURATION,
            cleanup: DEFAULT_RUN_CLEANUP_DELAY,
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The result a scripted task attempt ends with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScriptedResult {
    /// `TERMINATED` / `SUCCESS`.
    #[default]
    Success,
    /// `TERMINATED` / `FAILED` with `error`.
    Failed,
    /// `INTERNAL_ERROR` (the run fails with it).
    InternalError,
}

/// A scripted outcome for the task attempts it matches (builder
/// [`crate::EmulatorBuilder::script_task_outcome`], `POST /__mock/jobs/outcomes`). Every set
/// selector must match: `job_id`, `task_key`, `notebook_path`, `run_name`. The first matching
/// script wins; with `times` it is used that many times, then forgotten.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScriptedOutcome {
    /// Only attempts of runs of this job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<i64>,
    /// Only attempts of tasks with this key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_key: Option<String>,
    /// Only notebook tasks of this notebook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notebook_path: Option<String>,
    /// Only runs with this name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    /// How the attempt ends.
    pub result_state: ScriptedResult,
    /// How long the attempt runs (default: the task delay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// `notebook_output.result` of the attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notebook_output: Option<String>,
    /// The error of a failed attempt (`get-output`'s `error`, the task's state message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `get-output`'s `error_trace`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_trace: Option<String>,
    /// Use this script this many times (default: always).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

/// A run's or task run's life-cycle state (<https://docs.databricks.com/api/workspace/jobs>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Life {
    Queued,
    Pending,
    Running,
    Terminating,
    Terminated,
    Skipped,
    InternalError,
    Blocked,
    WaitingForRetry,
}

impl Life {
    /// The `life_cycle_state` wire name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Pending => "PENDING",
            Self::Running => "RUNNING",
            Self::Terminating => "TERMINATING",
            Self::Terminated => "TERMINATED",
            Self::Skipped => "SKIPPED",
            Self::InternalError => "INTERNAL_ERROR",
            Self::Blocked => "BLOCKED",
            Self::WaitingForRetry => "WAITING_FOR_RETRY",
        }
    }

    /// The 2.2 `status.state` name.
    pub(crate) fn status(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Pending => "PENDING",
            Self::Running => "RUNNING",
            Self::Terminating => "TERMINATING",
            Self::Terminated | Self::Skipped | Self::InternalError => "TERMINATED",
            Self::Blocked => "BLOCKED",
            Self::WaitingForRetry => "WAITING",
        }
    }

    /// True until the run (or task run) has ended.
    pub(crate) fn is_active(self) -> bool {
        !matches!(self, Self::Terminated | Self::Skipped | Self::InternalError)
    }
}

/// What a task attempt will end with, decided when it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Planned {
    #[serde(with = "super::serde_util::static_str")]
    pub result: Word,
    pub message: String,
    pub notebook_result: Option<String>,
    pub error: Option<String>,
    pub error_trace: Option<String>,
    pub internal_error: bool,
}

/// One task of a run (its current attempt).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TaskRun {
    pub run_id: i64,
    pub task_key: String,
    /// The task's settings as the job (or submit request) has them.
    pub spec: Map<String, Value>,
    pub depends_on: Vec<String>,
    pub run_if: String,
    pub life: Life,
    #[serde(with = "super::serde_util::opt_static_str")]
    pub result: Option<Word>,
    pub message: String,
    pub start_time: i64,
    pub end_time: i64,
    /// When the current attempt ends (`RUNNING`) or the next starts (`WAITING_FOR_RETRY`).
    pub ends_at: Option<i64>,
    pub planned: Planned,
    /// What the last finished attempt produced (for `get-output`).
    pub output: Planned,
    pub attempt_number: i64,
    pub original_attempt_run_id: i64,
    pub cluster_id: Option<String>,
}

impl TaskRun {
    fn spec_i64(&self, key: &str) -> Option<i64> {
        self.spec.get(key).and_then(super::clusters::value_i64)
    }
}

/// One entry of a run's repair history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Repair {
    pub id: i64,
    pub original: bool,
    pub start_time: i64,
    pub end_time: i64,
    pub life: Life,
    #[serde(with = "super::serde_util::opt_static_str")]
    pub result: Option<Word>,
    pub message: String,
    pub task_run_ids: Vec<i64>,
}

/// One run (a job run or a one-time submitted run).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Run {
    pub run_id: i64,
    pub job_id: Option<i64>,
    pub run_name: String,
    #[serde(with = "super::serde_util::static_str")]
    pub run_type: Word,
    #[serde(with = "super::serde_util::static_str")]
    pub trigger: Word,
    pub creator_user_name: String,
    /// Created through the 2.0 single-task form: answered in that form on 2.0.
    pub single_task: bool,
    /// The job settings the run was started with (`job_clusters`, `timeout_seconds`, `git_source`, ...).
    pub settings: Map<String, Value>,
    pub tasks: Vec<TaskRun>,
    pub life: Life,
    #[serde(with = "super::serde_util::opt_static_str")]
    pub result: Option<Word>,
    pub message: String,
    pub queue_reason: Option<String>,
    pub user_cancelled_or_timedout: bool,
    /// `termination_details.code` of the 2.2 `status`.
    #[serde(with = "super::serde_util::opt_static_str")]
    pub termination_code: Option<Word>,
    /// When the run was created (`start_time`).
    pub start_time: i64,
    /// When it left the queue.
    pub started_at: Option<i64>,
    pub running_since: Option<i64>,
    pub end_time: i64,
    pending_until: i64,
    cleanup_until: i64,
    deadline: Option<i64>,
    /// job_cluster_key → the cluster made for it.
    pub job_cluster_ids: BTreeMap<String, String>,
    pub overriding_parameters: Option<Value>,
    pub job_parameters: Vec<Value>,
    pub idempotency_token: Option<String>,
    pub repairs: Vec<Repair>,
}

/// One job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Job {
    pub job_id: i64,
    pub creator_user_name: String,
    pub created_time: i64,
    /// The settings as stored: the 2.0 single-task form when created so (see `single_task`).
    pub settings: Map<String, Value>,
    pub single_task: bool,
    /// The next firing of its unpaused schedule.
    pub next_fire: Option<i64>,
}

/// Run ids and where each task run lives.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Ids {
    next_run_id: i64,
    /// task run id → (top-level run id, index in its tasks).
    pub task_runs: HashMap<i64, (i64, usize)>,
}

impl Ids {
    fn alloc(&mut self) -> i64 {
        if self.next_run_id == 0 {
            self.next_run_id = FIRST_RUN_ID;
        }
        let id = self.next_run_id;
        self.next_run_id += 1;
        id
    }
}

/// The first job id and run id handed out (our choice; ids are int64).
const FIRST_JOB_ID: i64 = 1_000_001;
const FIRST_RUN_ID: i64 = 5_000_001;

/// What starting a run needs.
#[derive(Debug, Clone)]
pub(crate) struct NewRun {
    pub job_id: Option<i64>,
    pub run_name: String,
    pub run_type: &'static str,
    pub trigger: &'static str,
    pub creator_user_name: String,
    pub single_task: bool,
    pub settings: Map<String, Value>,
    pub tasks: Vec<Map<String, Value>>,
    pub overriding_parameters: Option<Value>,
    pub job_parameters: Vec<Value>,
    pub idempotency_token: Option<String>,
    /// `max_concurrent_runs` and whether queueing is on (job runs only).
    pub concurrency: Option<(i64, bool)>,
}

/// The Jobs family.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Jobs {
    pub jobs: BTreeMap<i64, Job>,
    pub runs: BTreeMap<i64, Run>,
    /// Every top-level run by (start_time, run_id): `runs/list` reads it newest first.
    pub order: BTreeSet<(i64, i64)>,
    pub ids: Ids,
    /// job id → its runs that started and have not ended.
    active: HashMap<i64, BTreeSet<i64>>,
    /// job id → its queued runs, oldest first.
    queued: HashMap<i64, VecDeque<i64>>,
    agenda: Agenda<i64>,
    schedules: Agenda<i64>,
    /// idempotency token → run id.
    pub idempotency: HashMap<String, i64>,
    next_job_id: i64,
    next_repair_id: i64,
    /// Run delays (builder, binary flags, `/__mock/jobs/delays`).
    /// Configuration, not state: a loaded state keeps the running emulator's.
    #[serde(skip)]
    pub delays: JobDelays,
    /// Scripted task outcomes, first match wins.
    /// Configuration, not state: a loaded state keeps the running emulator's.
    #[serde(skip)]
    pub outcomes: Vec<ScriptedOutcome>,
}

/// What a run needs from the rest of the workspace while it moves.
struct Env<'a> {
    clusters: &'a mut Clusters,
    workspace: &'a Tree,
    delays: JobDelays,
    outcomes: &'a mut Vec<ScriptedOutcome>,
    ids: &'a mut Ids,
}

/// What advancing a run found: when it next moves, and whether it ended (and when).
struct Advance {
    next_due: Option<i64>,
    finished_at: Option<i64>,
}

/// Failure results (a task that ended so counts as failed for `run_if`).
fn is_failure(result: Option<&str>) -> bool {
    matches!(
        result,
        Some(
            "FAILED"
                | "TIMEDOUT"
                | "INTERNAL_ERROR"
                | "UPSTREAM_FAILED"
                | "MAXIMUM_CONCURRENT_RUNS_REACHED"
        )
    )
}

fn is_cancel(result: Option<&str>) -> bool {
    matches!(result, Some("CANCELED" | "UPSTREAM_CANCELED"))
}

impl Run {
    fn job_int(&self, key: &str) -> i64 {
        self.settings
            .get(key)
            .and_then(super::clusters::value_i64)
            .unwrap_or(0)
    }

    /// Leave the queue (or start at creation): `PENDING` now, job clusters created.
    fn start(&mut self, at: i64, env: &mut Env<'_>) {
        self.life = Life::Pending;
        self.message = String::new();
        self.queue_reason = None;
        self.started_at = Some(at);
        self.pending_until = at.saturating_add(ms(env.delays.pending));
        let timeout = self.job_int("timeout_seconds");
        self.deadline = (timeout > 0).then(|| at.saturating_add(timeout.saturating_mul(1000)));
        let cluster_name = match self.job_id {
            Some(j) => format!("job-{j}-run-{}", self.run_id),
            None => format!("run-{}", self.run_id),
        };
        let user = self.creator_user_name.clone();
        let job_clusters: Vec<(String, Map<String, Value>)> = self
            .settings
            .get("job_clusters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|jc| {
                let key = jc.get("job_cluster_key")?.as_str()?.to_owned();
                let spec = jc.get("new_cluster")?.as_object()?.clone();
                Some((key, spec))
            })
            .collect();
        self.job_cluster_ids.clear();
        for t in self.tasks.iter().filter(|t| t.life.is_active()) {
            if let Some(key) = t.spec.get("job_cluster_key").and_then(Value::as_str) {
                if self.job_cluster_ids.contains_key(key) {
                    continue;
                }
                if let Some((_, spec)) = job_clusters.iter().find(|(k, _)| k == key) {
                    let id = env
                        .clusters
                        .add_job_cluster(spec.clone(), &cluster_name, &user, at);
                    self.job_cluster_ids.insert(key.to_owned(), id);
                }
            }
        }
        for t in self.tasks.iter_mut() {
            if !t.life.is_active() {
                continue;
            }
            t.life = Life::Pending;
            t.cluster_id = None;
            if let Some(key) = t.spec.get("job_cluster_key").and_then(Value::as_str) {
                t.cluster_id = self.job_cluster_ids.get(key).cloned();
            } else if let Some(id) = t.spec.get("existing_cluster_id").and_then(Value::as_str) {
                env.clusters.start_for_run(id, &user, at);
                t.cluster_id = Some(id.to_owned());
            } else if let Some(spec) = t.spec.get("new_cluster").and_then(Value::as_object) {
                let id = env
                    .clusters
                    .add_job_cluster(spec.clone(), &cluster_name, &user, at);
                t.cluster_id = Some(id);
            }
        }
    }

    /// Every cluster this run made for itself.
    fn own_clusters(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.job_cluster_ids.values().cloned().collect();
        for t in &self.tasks {
            if t.spec.contains_key("new_cluster") {
                ids.extend(t.cluster_id.clone());
            }
        }
        ids
    }

    /// Apply every move due by `now`.
    fn advance(&mut self, now: i64, env: &mut Env<'_>) -> Advance {
        loop {
            match self.life {
                Life::Pending => {
                    let t = self.pending_until;
                    if let Some(d) = self.deadline.filter(|d| *d <= t.min(now)) {
                        self.time_out(d, env);
                        continue;
                    }
                    if t > now {
                        return self.due(Some(t));
                    }
                    self.life = Life::Running;
                    self.running_since = Some(t);
                    self.schedule_ready(t, env);
                    self.maybe_done(t, env);
                }
                Life::Running => {
                    let next_task = self
                        .tasks
                        .iter()
                        .enumerate()
                        .filter(|(_, t)| matches!(t.life, Life::Running | Life::WaitingForRetry))
                        .filter_map(|(i, t)| t.ends_at.map(|at| (at, i)))
                        .min();
                    if let Some(d) = self.deadline {
                        if next_task.is_none_or(|(at, _)| d < at) && d <= now {
                            self.time_out(d, env);
                            continue;
                        }
                    }
                    let Some((at, i)) = next_task else {
                        // Nothing running or waiting: every task has ended (or can never start).
                        let at = self
                            .tasks
                            .iter()
                            .map(|t| t.end_time)
                            .max()
                            .unwrap_or(now)
                            .clamp(self.running_since.unwrap_or(now), now);
                        self.begin_terminating(at, None, env);
                        continue;
                    };
                    if at > now {
                        return self.due(Some(match self.deadline {
                            Some(d) => d.min(at),
                            None => at,
                        }));
                    }
                    if self.tasks[i].life == Life::WaitingForRetry {
                        self.start_attempt(i, at, env);
                    } else {
                        self.finish_attempt(i, at, env);
                    }
                    self.schedule_ready(at, env);
                    self.maybe_done(at, env);
                }
                Life::Terminating => {
                    let t = self.cleanup_until;
                    if t > now {
                        return self.due(Some(t));
                    }
                    self.life = if self.result == Some("INTERNAL_ERROR") {
                        Life::InternalError
                    } else {
                        Life::Terminated
                    };
                    self.end_time = t;
                    for id in self.own_clusters() {
                        env.clusters.terminate_job_cluster(&id, t);
                    }
                    if let Some(r) = self.repairs.last_mut() {
                        r.end_time = t;
                        r.life = self.life;
                        r.result = self.result;
                        r.message = self.message.clone();
                    }
                    return Advance {
                        next_due: None,
                        finished_at: Some(t),
                    };
                }
                Life::Queued
                | Life::Terminated
                | Life::Skipped
                | Life::InternalError
                | Life::Blocked
                | Life::WaitingForRetry => return self.due(None),
            }
        }
    }

    fn due(&self, at: Option<i64>) -> Advance {
        Advance {
            next_due: at,
            finished_at: None,
        }
    }

    /// Start every task whose dependencies are done and whose `run_if` holds; skip those whose
    /// `run_if` cannot hold any more. Repeats until nothing changes (a skip can unblock others).
    fn schedule_ready(&mut self, at: i64, env: &mut Env<'_>) {
        loop {
            let mut changed = false;
            for i in 0..self.tasks.len() {
                if !matches!(self.tasks[i].life, Life::Pending | Life::Blocked) {
                    continue;
                }
                let deps: Vec<Option<&'static str>> = {
                    let t = &self.tasks[i];
                    let mut out = Vec::new();
                    let mut waiting = false;
                    for d in &t.depends_on {
                        match self.tasks.iter().find(|o| &o.task_key == d) {
                            Some(o) if o.life.is_active() => waiting = true,
                            Some(o) => out.push(o.result),
                            None => {}
                        }
                    }
                    if waiting {
                        if self.tasks[i].life != Life::Blocked {
                            self.tasks[i].life = Life::Blocked;
                        }
                        continue;
                    }
                    out
                };
                changed = true;
                if self.tasks[i]
                    .spec
                    .get("disabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                {
                    self.skip(i, at, "DISABLED", "This task is disabled.");
                    continue;
                }
                let ok = |r: &Option<&str>| matches!(r, Some("SUCCESS" | "SUCCESS_WITH_FAILURES"));
                let failed = |r: &Option<&str>| is_failure(*r);
                let n = deps.len();
                let n_ok = deps.iter().filter(|r| ok(r)).count();
                let n_failed = deps.iter().filter(|r| failed(r)).count();
                let n_cancel = deps.iter().filter(|r| is_cancel(**r)).count();
                let run_if = self.tasks[i].run_if.clone();
                let holds = n == 0
                    || match run_if.as_str() {
                        "AT_LEAST_ONE_SUCCESS" => n_ok > 0,
                        "NONE_FAILED" => n_failed == 0 && n_cancel == 0 && n_ok > 0,
                        "ALL_DONE" => true,
                        "AT_LEAST_ONE_FAILED" => n_failed > 0,
                        "ALL_FAILED" => n_failed == n,
                        _ => n_ok == n,
                    };
                if holds {
                    self.start_attempt(i, at, env);
                } else if n_cancel > 0 && n_failed == 0 {
                    self.skip(
                        i,
                        at,
                        "UPSTREAM_CANCELED",
                        "Upstream task(s) were canceled.",
                    );
                } else if n_failed > 0
                    && matches!(run_if.as_str(), "ALL_SUCCESS" | "NONE_FAILED" | "")
                {
                    self.skip(i, at, "UPSTREAM_FAILED", "Upstream task(s) failed.");
                } else {
                    self.skip(
                        i,
                        at,
                        "EXCLUDED",
                        &format!(
                            "The task was excluded: its run_if condition {run_if} was not met."
                        ),
                    );
                }
            }
            if !changed {
                return;
            }
        }
    }

    fn skip(&mut self, i: usize, at: i64, result: &'static str, message: &str) {
        let t = &mut self.tasks[i];
        t.life = Life::Skipped;
        t.result = Some(result);
        t.message = message.to_owned();
        t.start_time = at;
        t.end_time = at;
        t.ends_at = None;
    }

    /// Start task `i`'s attempt at `at`, deciding how it will end.
    fn start_attempt(&mut self, i: usize, at: i64, env: &mut Env<'_>) {
        let job_id = self.job_id;
        let run_name = self.run_name.clone();
        let user = self.creator_user_name.clone();
        let t = &mut self.tasks[i];
        let notebook_path = t
            .spec
            .get("notebook_task")
            .and_then(|n| n.get("notebook_path"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let script_ix = env.outcomes.iter().position(|s| {
            s.job_id.is_none_or(|j| Some(j) == job_id)
                && s.task_key.as_deref().is_none_or(|k| k == t.task_key)
                && s.run_name.as_deref().is_none_or(|n| n == run_name)
                && s.notebook_path
                    .as_deref()
                    .is_none_or(|p| Some(p) == notebook_path.as_deref())
        });
        let mut duration = ms(env.delays.task);
        let planned = if let Some(ix) = script_ix {
            let s = env.outcomes[ix].clone();
            if let Some(n) = env.outcomes[ix].times.as_mut() {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    env.outcomes.remove(ix);
                }
            }
            if let Some(d) = s.duration_ms {
                duration = i64::try_from(d).unwrap_or(i64::MAX);
            }
            match s.result_state {
                ScriptedResult::Success => Planned {
                    result: "SUCCESS",
                    notebook_result: s.notebook_output,
                    ..Planned::default()
                },
                ScriptedResult::Failed => {
                    let error = s
                        .error
                        .unwrap_or_else(|| "Exception: scripted failure".to_owned());
                    Planned {
                        result: "FAILED",
                        message: "Workload failed, see run output for details".to_owned(),
                        notebook_result: s.notebook_output,
                        error: Some(error),
                        error_trace: s.error_trace,
                        internal_error: false,
                    }
                }
                ScriptedResult::InternalError => Planned {
                    result: "FAILED",
                    message: s
                        .error
                        .clone()
                        .unwrap_or_else(|| "An internal error occurred.".to_owned()),
                    error: s.error,
                    error_trace: s.error_trace,
                    internal_error: true,
                    ..Planned::default()
                },
            }
        } else if let Some(path) = &notebook_path {
            match env.workspace.get(path).map(|n| &n.kind) {
                Some(Kind::Notebook(nb)) => match notebook::run(nb) {
                    notebook::NotebookEnd::Success { result } => Planned {
                        result: "SUCCESS",
                        notebook_result: result,
                        ..Planned::default()
                    },
                    notebook::NotebookEnd::Raised { error, trace } => Planned {
                        result: "FAILED",
                        message: "Workload failed, see run output for details".to_owned(),
                        error: Some(error),
                        error_trace: Some(trace),
                        ..Planned::default()
                    },
                },
                _ => {
                    let msg = format!(
                        "Unable to access the notebook \"{path}\". Either it does not exist, or the identity used to run this job, {user}, lacks the required permissions."
                    );
                    duration = 0;
                    Planned {
                        result: "FAILED",
                        message: msg.clone(),
                        error: Some(msg),
                        ..Planned::default()
                    }
                }
            }
        } else {
            Planned {
                result: "SUCCESS",
                ..Planned::default()
            }
        };
        let timeout = t.spec_i64("timeout_seconds").unwrap_or(0);
        let mut planned = planned;
        if timeout > 0 && duration > timeout.saturating_mul(1000) {
            duration = timeout * 1000;
            planned = Planned {
                result: "TIMEDOUT",
                message: format!("Task {} timed out after {timeout} seconds.", t.task_key),
                ..Planned::default()
            };
        }
        t.life = Life::Running;
        t.result = None;
        t.message = String::new();
        t.start_time = at;
        t.end_time = 0;
        t.ends_at = Some(at.saturating_add(duration));
        t.planned = planned;
    }

    /// End task `i`'s attempt at `at`; retry it when its settings allow.
    fn finish_attempt(&mut self, i: usize, at: i64, env: &mut Env<'_>) {
        let run_id = self.run_id;
        let t = &mut self.tasks[i];
        let planned = std::mem::take(&mut t.planned);
        t.life = if planned.internal_error {
            Life::InternalError
        } else {
            Life::Terminated
        };
        t.result = Some(planned.result);
        t.message = planned.message.clone();
        t.end_time = at;
        t.ends_at = None;
        let retryable = match planned.result {
            "FAILED" => true,
            "TIMEDOUT" => t
                .spec
                .get("retry_on_timeout")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            _ => false,
        };
        t.output = planned;
        // -1 retries "forever"; the emulator stops at MAX_ATTEMPTS so a task scripted to fail
        // in no time cannot keep a settle busy for ever.
        let max_retries = match t.spec_i64("max_retries").unwrap_or(0) {
            n if n < 0 => MAX_ATTEMPTS,
            n => n.min(MAX_ATTEMPTS),
        };
        if retryable && t.attempt_number < max_retries {
            let interval = t.spec_i64("min_retry_interval_millis").unwrap_or(0).max(0);
            let new_id = env.ids.alloc();
            env.ids.task_runs.insert(new_id, (run_id, i));
            t.run_id = new_id;
            t.attempt_number += 1;
            t.life = Life::WaitingForRetry;
            t.result = None;
            t.message = format!("Waiting for retry (attempt {}).", t.attempt_number);
            t.ends_at = Some(at.saturating_add(interval));
        }
    }

    /// When every task has ended: `TERMINATING` with the aggregated result.
    fn maybe_done(&mut self, at: i64, env: &mut Env<'_>) {
        if self.life != Life::Running || self.tasks.iter().any(|t| t.life.is_active()) {
            return;
        }
        self.begin_terminating(at, None, env);
    }

    /// The run's result from its tasks' (<https://docs.databricks.com/api/workspace/jobs>).
    fn aggregate(&self) -> (&'static str, String, &'static str) {
        if self.tasks.iter().any(|t| t.life == Life::InternalError) {
            return (
                "INTERNAL_ERROR",
                "An internal error occurred while running a task.".to_owned(),
                "INTERNAL_ERROR",
            );
        }
        let failed: Vec<&TaskRun> = self
            .tasks
            .iter()
            .filter(|t| matches!(t.result, Some("FAILED" | "TIMEDOUT")))
            .collect();
        let Some(first) = failed.first() else {
            return ("SUCCESS", String::new(), "SUCCESS");
        };
        let leaves_ok = self
            .tasks
            .iter()
            .filter(|t| {
                !self
                    .tasks
                    .iter()
                    .any(|o| o.depends_on.contains(&t.task_key))
            })
            .all(|t| matches!(t.result, Some("SUCCESS" | "EXCLUDED" | "DISABLED")));
        if leaves_ok && self.tasks.len() > 1 {
            return (
                "SUCCESS_WITH_FAILURES",
                String::new(),
                "SUCCESS_WITH_FAILURES",
            );
        }
        let skipped = self
            .tasks
            .iter()
            .any(|t| t.result == Some("UPSTREAM_FAILED"));
        let mut msg = format!(
            "Task {} failed with message: {}.",
            first.task_key,
            first.message.trim_end_matches('.')
        );
        if skipped {
            msg.push_str(" This caused all downstream tasks to get skipped.");
        }
        if failed.iter().all(|t| t.result == Some("TIMEDOUT")) {
            return ("TIMEDOUT", msg, "RUN_EXECUTION_ERROR");
        }
        ("FAILED", msg, "RUN_EXECUTION_ERROR")
    }

    /// `TERMINATING` at `at` with `forced` (result, message, code) or the aggregated result.
    fn begin_terminating(
        &mut self,
        at: i64,
        forced: Option<(&'static str, String, &'static str)>,
        env: &mut Env<'_>,
    ) {
        let (result, message, code) = forced.unwrap_or_else(|| self.aggregate());
        self.result = Some(result);
        self.message = message;
        self.termination_code = Some(code);
        self.life = Life::Terminating;
        self.cleanup_until = at.saturating_add(ms(env.delays.cleanup));
        self.deadline = None;
    }

    /// End every unfinished task with `task_result` and the run with `run_result`.
    fn stop(
        &mut self,
        at: i64,
        task_result: &'static str,
        forced: (&'static str, String, &'static str),
        env: &mut Env<'_>,
    ) {
        for t in self.tasks.iter_mut().filter(|t| t.life.is_active()) {
            let running = t.life == Life::Running;
            t.life = if running {
                Life::Terminated
            } else {
                Life::Skipped
            };
            t.result = Some(if running {
                task_result
            } else {
                "UPSTREAM_CANCELED"
            });
            t.message = forced.1.clone();
            if !running {
                t.start_time = at;
            }
            t.end_time = at;
            t.ends_at = None;
            t.planned = Planned::default();
        }
        self.user_cancelled_or_timedout = true;
        self.begin_terminating(at, Some(forced), env);
    }

    fn time_out(&mut self, at: i64, env: &mut Env<'_>) {
        let secs = self.job_int("timeout_seconds");
        let msg = format!("Run timed out after {secs} seconds.");
        self.stop(
            at,
            "TIMEDOUT",
            ("TIMEDOUT", msg, "RUN_EXECUTION_ERROR"),
            env,
        );
    }
}

impl Jobs {
    /// The next job id.
    pub(crate) fn alloc_job_id(&mut self) -> i64 {
        if self.next_job_id == 0 {
            self.next_job_id = FIRST_JOB_ID;
        }
        let id = self.next_job_id;
        self.next_job_id += 1;
        id
    }

    /// The top-level run and task index of run id `id` (a top-level or task run id).
    pub(crate) fn locate(&self, id: i64) -> Option<(&Run, Option<usize>)> {
        if let Some(r) = self.runs.get(&id) {
            return Some((r, None));
        }
        // A task run id of an attempt retried since leads to the task's current attempt.
        let (top, i) = self.ids.task_runs.get(&id)?;
        let r = self.runs.get(top)?;
        r.tasks.get(*i)?;
        Some((r, Some(*i)))
    }

    /// How many runs of `job_id` have started and not ended.
    pub(crate) fn active_count(&self, job_id: i64) -> usize {
        self.active.get(&job_id).map_or(0, BTreeSet::len)
    }

    /// Insert or replace job `job` and (re)plan its schedule from `now`.
    pub(crate) fn put_job(&mut self, mut job: Job, now: i64) {
        job.next_fire = next_fire(&job.settings, now);
        self.schedules.wake(job.job_id, job.next_fire);
        self.jobs.insert(job.job_id, job);
    }

    /// Start a run; returns its id.
    pub(crate) fn create_run(
        &mut self,
        new: NewRun,
        now: i64,
        clusters: &mut Clusters,
        workspace: &Tree,
    ) -> i64 {
        let Jobs {
            runs,
            order,
            ids,
            active,
            queued,
            agenda,
            idempotency,
            delays,
            outcomes,
            ..
        } = self;
        let run_id = ids.alloc();
        let mut tasks = Vec::with_capacity(new.tasks.len());
        for (i, spec) in new.tasks.into_iter().enumerate() {
            let id = ids.alloc();
            ids.task_runs.insert(id, (run_id, i));
            let task_key = spec
                .get("task_key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let depends_on = spec
                .get("depends_on")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|d| d.get("task_key")?.as_str().map(str::to_owned))
                .collect();
            let run_if = spec
                .get("run_if")
                .and_then(Value::as_str)
                .unwrap_or("ALL_SUCCESS")
                .to_owned();
            tasks.push(TaskRun {
                run_id: id,
                task_key,
                spec,
                depends_on,
                run_if,
                life: Life::Pending,
                result: None,
                message: String::new(),
                start_time: 0,
                end_time: 0,
                ends_at: None,
                planned: Planned::default(),
                output: Planned::default(),
                attempt_number: 0,
                original_attempt_run_id: id,
                cluster_id: None,
            });
        }
        let mut run = Run {
            run_id,
            job_id: new.job_id,
            run_name: new.run_name,
            run_type: new.run_type,
            trigger: new.trigger,
            creator_user_name: new.creator_user_name,
            single_task: new.single_task,
            settings: new.settings,
            tasks,
            life: Life::Pending,
            result: None,
            message: String::new(),
            queue_reason: None,
            user_cancelled_or_timedout: false,
            termination_code: None,
            start_time: now,
            started_at: None,
            running_since: None,
            end_time: 0,
            pending_until: now,
            cleanup_until: now,
            deadline: None,
            job_cluster_ids: BTreeMap::new(),
            overriding_parameters: new.overriding_parameters,
            job_parameters: new.job_parameters,
            idempotency_token: new.idempotency_token.clone(),
            repairs: Vec::new(),
        };
        let mut env = Env {
            clusters,
            workspace,
            delays: *delays,
            outcomes,
            ids,
        };
        let mut start = true;
        if let (Some(job_id), Some((max, queue))) = (new.job_id, new.concurrency) {
            let n = active.get(&job_id).map_or(0, BTreeSet::len);
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            if max <= 0 || n >= max {
                start = false;
                if queue && max > 0 {
                    run.life = Life::Queued;
                    run.queue_reason = Some(format!(
                        "Queued due to reaching maximum concurrent runs of {max}."
                    ));
                    run.message =
                        "Waiting for a free slot: the job's maximum concurrent runs are active."
                            .to_owned();
                    for t in &mut run.tasks {
                        t.life = Life::Pending;
                    }
                    queued.entry(job_id).or_default().push_back(run_id);
                } else {
                    run.life = Life::Skipped;
                    run.result = Some("MAXIMUM_CONCURRENT_RUNS_REACHED");
                    run.termination_code = Some("MAX_CONCURRENT_RUNS_EXCEEDED");
                    run.message = format!(
                        "Skipping this run because the limit of {max} maximum concurrent runs has been reached."
                    );
                    run.end_time = now;
                    for t in &mut run.tasks {
                        t.life = Life::Skipped;
                        t.result = Some("MAXIMUM_CONCURRENT_RUNS_REACHED");
                    }
                }
            }
        }
        if start {
            run.start(now, &mut env);
            if let Some(job_id) = new.job_id {
                active.entry(job_id).or_default().insert(run_id);
            }
        }
        let adv = run.advance(now, &mut env);
        agenda.wake(run_id, adv.next_due);
        if let Some(token) = new.idempotency_token {
            idempotency.insert(token, run_id);
        }
        order.insert((run.start_time, run_id));
        runs.insert(run_id, run);
        if let Some(f) = adv.finished_at {
            self.release(new.job_id, run_id, f, now, clusters, workspace);
        }
        run_id
    }

    /// Run `run_id` of `job_id` ended at `at`: free its slot and start queued runs.
    fn release(
        &mut self,
        job_id: Option<i64>,
        run_id: i64,
        at: i64,
        now: i64,
        clusters: &mut Clusters,
        workspace: &Tree,
    ) {
        let Some(job_id) = job_id else { return };
        if let Some(set) = self.active.get_mut(&job_id) {
            set.remove(&run_id);
        }
        let max = self
            .jobs
            .get(&job_id)
            .and_then(|j| j.settings.get("max_concurrent_runs"))
            .and_then(super::clusters::value_i64)
            .unwrap_or(1);
        loop {
            let n = i64::try_from(self.active_count(job_id)).unwrap_or(i64::MAX);
            if n >= max {
                return;
            }
            let Some(next) = self.queued.get_mut(&job_id).and_then(VecDeque::pop_front) else {
                return;
            };
            let Jobs {
                runs,
                ids,
                agenda,
                delays,
                outcomes,
                active,
                ..
            } = self;
            let Some(run) = runs.get_mut(&next) else {
                continue;
            };
            let mut env = Env {
                clusters,
                workspace,
                delays: *delays,
                outcomes,
                ids,
            };
            run.start(at, &mut env);
            active.entry(job_id).or_default().insert(next);
            let adv = run.advance(now, &mut env);
            agenda.wake(next, adv.next_due);
            if let Some(f) = adv.finished_at {
                self.release(Some(job_id), next, f, now, clusters, workspace);
                return;
            }
        }
    }

    /// Cancel run `run_id` at `now` (a no-op when it has ended).
    pub(crate) fn cancel(
        &mut self,
        run_id: i64,
        now: i64,
        clusters: &mut Clusters,
        workspace: &Tree,
    ) {
        let Jobs {
            runs,
            ids,
            agenda,
            delays,
            outcomes,
            queued,
            ..
        } = self;
        let Some(run) = runs.get_mut(&run_id) else {
            return;
        };
        let mut env = Env {
            clusters,
            workspace,
            delays: *delays,
            outcomes,
            ids,
        };
        let msg = "Run cancelled.".to_owned();
        match run.life {
            Life::Queued => {
                if let Some(q) = run.job_id.and_then(|j| queued.get_mut(&j)) {
                    q.retain(|r| *r != run_id);
                }
                for t in &mut run.tasks {
                    t.life = Life::Skipped;
                    t.result = Some("CANCELED");
                }
                run.life = Life::Terminated;
                run.result = Some("CANCELED");
                run.termination_code = Some("USER_CANCELED");
                run.message = msg;
                run.queue_reason = None;
                run.user_cancelled_or_timedout = true;
                run.end_time = now;
            }
            Life::Pending | Life::Running => {
                run.stop(
                    now,
                    "CANCELED",
                    ("CANCELED", msg, "USER_CANCELED"),
                    &mut env,
                );
                let adv = run.advance(now, &mut env);
                agenda.wake(run_id, adv.next_due);
                let job_id = run.job_id;
                if let Some(f) = adv.finished_at {
                    self.release(job_id, run_id, f, now, clusters, workspace);
                }
            }
            _ => {}
        }
    }

    /// Every active (queued or started) run of `job_id`, or every queued run when `job_id` is `None`.
    pub(crate) fn active_runs(&self, job_id: Option<i64>, queued_too: bool) -> Vec<i64> {
        match job_id {
            Some(j) => {
                let mut ids: Vec<i64> =
                    self.active.get(&j).into_iter().flatten().copied().collect();
                if queued_too {
                    ids.extend(self.queued.get(&j).into_iter().flatten().copied());
                }
                ids
            }
            None => self.queued.values().flatten().copied().collect(),
        }
    }

    /// Remove run `run_id` (it has ended).
    pub(crate) fn delete_run(&mut self, run_id: i64) {
        if let Some(run) = self.runs.remove(&run_id) {
            self.order.remove(&(run.start_time, run_id));
            for t in &run.tasks {
                self.ids.task_runs.remove(&t.run_id);
                self.ids.task_runs.remove(&t.original_attempt_run_id);
            }
            if let Some(token) = &run.idempotency_token {
                self.idempotency.remove(token);
            }
        }
    }

    /// Repair ended run `run_id`: re-run the tasks at `rerun` (indexes) from `now`; returns the
    /// repair id.
    pub(crate) fn repair(
        &mut self,
        run_id: i64,
        rerun: &[usize],
        now: i64,
        clusters: &mut Clusters,
        workspace: &Tree,
    ) -> i64 {
        if self.next_repair_id == 0 {
            self.next_repair_id = 9_000_001;
        }
        let repair_id = self.next_repair_id;
        self.next_repair_id += 1;
        let Jobs {
            runs,
            ids,
            agenda,
            delays,
            outcomes,
            active,
            ..
        } = self;
        let Some(run) = runs.get_mut(&run_id) else {
            return repair_id;
        };
        if run.repairs.is_empty() {
            run.repairs.push(Repair {
                id: run.run_id,
                original: true,
                start_time: run.start_time,
                end_time: run.end_time,
                life: run.life,
                result: run.result,
                message: run.message.clone(),
                task_run_ids: run.tasks.iter().map(|t| t.run_id).collect(),
            });
        }
        let mut task_run_ids = Vec::new();
        for &i in rerun {
            let Some(t) = run.tasks.get_mut(i) else {
                continue;
            };
            let id = ids.alloc();
            ids.task_runs.insert(id, (run_id, i));
            t.run_id = id;
            t.original_attempt_run_id = id;
            t.attempt_number = 0;
            t.life = Life::Pending;
            t.result = None;
            t.message = String::new();
            t.output = Planned::default();
            task_run_ids.push(id);
        }
        run.repairs.push(Repair {
            id: repair_id,
            original: false,
            start_time: now,
            end_time: 0,
            life: Life::Pending,
            result: None,
            message: String::new(),
            task_run_ids,
        });
        run.result = None;
        run.termination_code = None;
        run.user_cancelled_or_timedout = false;
        run.end_time = 0;
        let mut env = Env {
            clusters,
            workspace,
            delays: *delays,
            outcomes,
            ids,
        };
        run.start(now, &mut env);
        if let Some(j) = run.job_id {
            active.entry(j).or_default().insert(run_id);
        }
        let adv = run.advance(now, &mut env);
        agenda.wake(run_id, adv.next_due);
        let job_id = run.job_id;
        if let Some(f) = adv.finished_at {
            self.release(job_id, run_id, f, now, clusters, workspace);
        }
        repair_id
    }

    /// True when no schedule fires and no run moves by `now`.
    pub(crate) fn is_settled(&self, now: i64) -> bool {
        self.schedules.next_due().is_none_or(|t| t > now)
            && self.agenda.next_due().is_none_or(|t| t > now)
    }

    /// Apply every run move and schedule firing due by `now`, in time order.
    pub(crate) fn settle(&mut self, now: i64, clusters: &mut Clusters, workspace: &Tree) {
        loop {
            match self.schedules.next_due() {
                Some(t) if t <= now => {
                    self.settle_runs(t, clusters, workspace);
                    self.fire_schedules(t, clusters, workspace);
                }
                _ => break,
            }
        }
        self.settle_runs(now, clusters, workspace);
    }

    fn settle_runs(&mut self, now: i64, clusters: &mut Clusters, workspace: &Tree) {
        while self.agenda.next_due().is_some_and(|t| t <= now) {
            for id in self.agenda.due(now) {
                let Jobs {
                    runs,
                    ids,
                    agenda,
                    delays,
                    outcomes,
                    ..
                } = self;
                let Some(run) = runs.get_mut(&id) else {
                    continue; // deleted since
                };
                let mut env = Env {
                    clusters,
                    workspace,
                    delays: *delays,
                    outcomes,
                    ids,
                };
                let adv = run.advance(now, &mut env);
                agenda.wake(id, adv.next_due);
                let job_id = run.job_id;
                if let Some(f) = adv.finished_at {
                    self.release(job_id, id, f, now, clusters, workspace);
                }
            }
        }
    }

    /// Fire every schedule due at `at` (each at its own firing time).
    fn fire_schedules(&mut self, at: i64, clusters: &mut Clusters, workspace: &Tree) {
        for job_id in self.schedules.due(at) {
            let Some(job) = self.jobs.get(&job_id) else {
                continue;
            };
            let Some(fire) = job.next_fire.filter(|f| *f <= at) else {
                continue; // re-planned since
            };
            let new = periodic_run(job);
            let next = next_fire(&job.settings, fire);
            if let Some(j) = self.jobs.get_mut(&job_id) {
                j.next_fire = next;
            }
            self.schedules.wake(job_id, next);
            self.create_run(new, fire, clusters, workspace);
        }
    }
}

/// The `NewRun` a schedule firing starts.
fn periodic_run(job: &Job) -> NewRun {
    let (settings, tasks) = multi_task_form(&job.settings);
    NewRun {
        job_id: Some(job.job_id),
        run_name: settings
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("Untitled")
            .to_owned(),
        run_type: "JOB_RUN",
        trigger: "PERIODIC",
        creator_user_name: job.creator_user_name.clone(),
        single_task: job.single_task,
        concurrency: Some(concurrency(&settings)),
        settings,
        tasks,
        overriding_parameters: None,
        job_parameters: job_parameters(&job.settings, None),
        idempotency_token: None,
    }
}

/// `(max_concurrent_runs, queue enabled)` of job settings (default 1, queueing off).
pub(crate) fn concurrency(settings: &Map<String, Value>) -> (i64, bool) {
    let max = settings
        .get("max_concurrent_runs")
        .and_then(super::clusters::value_i64)
        .unwrap_or(1);
    let queue = settings
        .get("queue")
        .and_then(|q| q.get("enabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    (max, queue)
}

/// The run's `job_parameters`: each job parameter with its default and the value in force.
pub(crate) fn job_parameters(
    settings: &Map<String, Value>,
    given: Option<&Map<String, Value>>,
) -> Vec<Value> {
    settings
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?;
            let default = p.get("default").cloned().unwrap_or(json!(""));
            let value = given
                .and_then(|g| g.get(name))
                .cloned()
                .unwrap_or_else(|| default.clone());
            Some(json!({"name": name, "default": default, "value": value}))
        })
        .collect()
}

/// Fields of the 2.0 single-task form that make up its one task.
pub(crate) const SINGLE_TASK_FIELDS: &[&str] = &[
    "existing_cluster_id",
    "new_cluster",
    "notebook_task",
    "spark_jar_task",
    "spark_python_task",
    "spark_submit_task",
    "pipeline_task",
    "python_wheel_task",
    "libraries",
    "max_retries",
    "min_retry_interval_millis",
    "retry_on_timeout",
];

/// The task key a 2.0 single-task job's one task gets in the multi-task form (our choice).
pub(crate) const SINGLE_TASK_KEY: &str = "main";

/// Settings in the multi-task form: (job-level settings without the single task's fields,
/// tasks). A multi-task job's settings come back as they are.
pub(crate) fn multi_task_form(
    settings: &Map<String, Value>,
) -> (Map<String, Value>, Vec<Map<String, Value>>) {
    let is_single = SINGLE_TASK_FIELDS
        .iter()
        .any(|f| *f != "libraries" && settings.contains_key(*f));
    if !is_single {
        let tasks = settings
            .get("tasks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_object().cloned())
            .collect();
        return (settings.clone(), tasks);
    }
    let mut job = Map::new();
    let mut task = Map::new();
    task.insert("task_key".into(), json!(SINGLE_TASK_KEY));
    for (k, v) in settings {
        if SINGLE_TASK_FIELDS.contains(&k.as_str()) {
            task.insert(k.clone(), v.clone());
        } else {
            job.insert(k.clone(), v.clone());
        }
    }
    if let Some(t) = settings.get("timeout_seconds") {
        task.insert("timeout_seconds".into(), t.clone());
    }
    job.insert("tasks".into(), json!([Value::Object(task.clone())]));
    (job, vec![task])
}

/// The next firing after `after` of the unpaused schedule in `settings`.
pub(crate) fn next_fire(settings: &Map<String, Value>, after: i64) -> Option<i64> {
    let schedule = settings.get("schedule")?.as_object()?;
    if schedule.get("pause_status").and_then(Value::as_str) == Some("PAUSED") {
        return None;
    }
    let expr = schedule.get("quartz_cron_expression")?.as_str()?;
    let zone = schedule
        .get("timezone_id")
        .and_then(Value::as_str)
        .unwrap_or("UTC");
    let offset = cron::zone_offset_minutes(zone)?;
    cron::Cron::parse(expr).ok()?.next_after(after, offset)
}
