//! The bodies of `run-now`, `runs/submit` and `runs/repair`: plain serde structs with setters,
//! so a request can be built, inspected, stored and sent again.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::model::*;

/// The body of `run-now` (`RunNow`): every parameter kind, `job_parameters`, the
/// `idempotency_token`, `only` and `queue`.
///
/// ```
/// use dbx_jobs::{JobId, RunNow};
/// let req = RunNow::new(JobId(7))
///     .job_parameter("date", "2024-01-01")
///     .notebook_param("mode", "full")
///     .idempotency_token("nightly-2024-01-01")
///     .queue(true);
/// let body = serde_json::to_value(&req).unwrap();
/// assert_eq!(body["job_id"], 7);
/// assert_eq!(body["job_parameters"]["date"], "2024-01-01");
/// assert_eq!(body["notebook_params"]["mode"], "full");
/// assert_eq!(body["queue"]["enabled"], true);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunNow {
    /// The job to run.
    pub job_id: JobId,
    /// Job parameter values (the job's `parameters`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub job_parameters: BTreeMap<String, String>,
    /// The legacy per-kind parameters.
    #[serde(flatten)]
    pub params: RunParameters,
    /// At most 64 characters: a second `run-now` with the same token returns the same run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_token: Option<String>,
    /// Run only these tasks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
    /// Queueing for this run, overriding the job's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueSettings>,
}

impl RunNow {
    /// Run `job_id` with its defaults.
    pub fn new(job_id: JobId) -> Self {
        Self {
            job_id,
            ..Self::default()
        }
    }

    /// Set a job parameter.
    pub fn job_parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.job_parameters.insert(name.into(), value.into());
        self
    }

    /// Set a notebook parameter (exclusive with JAR parameters).
    pub fn notebook_param(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.params.notebook_params.insert(k.into(), v.into());
        self
    }

    /// Set the JAR parameters (exclusive with notebook parameters).
    pub fn jar_params<S: Into<String>>(mut self, p: impl IntoIterator<Item = S>) -> Self {
        self.params.jar_params = p.into_iter().map(Into::into).collect();
        self
    }

    /// Set the Python parameters.
    pub fn python_params<S: Into<String>>(mut self, p: impl IntoIterator<Item = S>) -> Self {
        self.params.python_params = p.into_iter().map(Into::into).collect();
        self
    }

    /// Set a named Python (wheel) parameter.
    pub fn python_named_param(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.params.python_named_params.insert(k.into(), v.into());
        self
    }

    /// Set the `spark-submit` parameters.
    pub fn spark_submit_params<S: Into<String>>(mut self, p: impl IntoIterator<Item = S>) -> Self {
        self.params.spark_submit_params = p.into_iter().map(Into::into).collect();
        self
    }

    /// Set a SQL parameter.
    pub fn sql_param(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.params.sql_params.insert(k.into(), v.into());
        self
    }

    /// Set the dbt commands.
    pub fn dbt_commands<S: Into<String>>(mut self, c: impl IntoIterator<Item = S>) -> Self {
        self.params.dbt_commands = c.into_iter().map(Into::into).collect();
        self
    }

    /// Set the pipeline parameters (`{"full_refresh": true}`).
    pub fn pipeline_params(mut self, p: Value) -> Self {
        self.params.pipeline_params = Some(p);
        self
    }

    /// Set the idempotency token (at most 64 characters). The call is then retried after a
    /// timeout, since a repeat returns the same run.
    pub fn idempotency_token(mut self, token: impl Into<String>) -> Self {
        self.idempotency_token = Some(token.into());
        self
    }

    /// Run only these tasks.
    pub fn only<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.only = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Queue this run (or not) when it cannot start.
    pub fn queue(mut self, enabled: bool) -> Self {
        self.queue = Some(QueueSettings { enabled });
        self
    }
}

/// The body of `runs/submit` (`SubmitRun`): a one-time run, not kept as a job.
///
/// ```
/// use dbx_jobs::{SubmitRun, Task};
/// let req = SubmitRun::new("adhoc")
///     .task(Task::notebook("only", "/Shared/adhoc").existing_cluster_id("0101-000000-abc"))
///     .timeout_seconds(600);
/// let body = serde_json::to_value(&req).unwrap();
/// assert_eq!(body["tasks"][0]["notebook_task"]["notebook_path"], "/Shared/adhoc");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SubmitRun {
    /// The run's name (default `Untitled`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    /// Its tasks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
    /// Clusters shared by its tasks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub job_clusters: Vec<JobCluster>,
    /// Stop after this many seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    /// At most 64 characters: a second submit with the same token returns the same run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_token: Option<String>,
    /// E-mail notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_notifications: Option<EmailNotifications>,
    /// Webhook notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_notifications: Option<WebhookNotifications>,
    /// Notification settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_settings: Option<NotificationSettings>,
    /// Queueing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueSettings>,
    /// The identity to run as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_as: Option<RunAs>,
    /// A Git source, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_source: Option<Value>,
    /// Anything else (`access_control_list`, `environments`, `health`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

impl SubmitRun {
    /// A one-time run with this name.
    pub fn new(run_name: impl Into<String>) -> Self {
        Self {
            run_name: Some(run_name.into()),
            ..Self::default()
        }
    }

    /// Add a task.
    pub fn task(mut self, task: Task) -> Self {
        self.tasks.push(task);
        self
    }

    /// Add a job cluster.
    pub fn job_cluster(mut self, c: JobCluster) -> Self {
        self.job_clusters.push(c);
        self
    }

    /// Set the timeout, seconds.
    pub fn timeout_seconds(mut self, s: i64) -> Self {
        self.timeout_seconds = Some(s);
        self
    }

    /// Set the idempotency token; the call is then retried after a timeout.
    pub fn idempotency_token(mut self, token: impl Into<String>) -> Self {
        self.idempotency_token = Some(token.into());
        self
    }

    /// Queue (or not) when it cannot start.
    pub fn queue(mut self, enabled: bool) -> Self {
        self.queue = Some(QueueSettings { enabled });
        self
    }

    /// Set a field this crate does not model.
    pub fn field(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }
}

/// The body of `runs/repair` (`RepairRun`): run some tasks of a finished run again.
///
/// ```
/// use dbx_jobs::{RepairRun, RunId};
/// let req = RepairRun::new(RunId(42)).rerun_all_failed_tasks().latest_repair_id(3);
/// let body = serde_json::to_value(&req).unwrap();
/// assert_eq!(body, serde_json::json!({"run_id": 42, "rerun_all_failed_tasks": true, "latest_repair_id": 3}));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RepairRun {
    /// The run to repair (the job run, not a task run).
    pub run_id: RunId,
    /// Rerun these tasks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rerun_tasks: Vec<String>,
    /// Rerun every failed task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rerun_all_failed_tasks: Option<bool>,
    /// Also rerun the tasks that depend on the rerun ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rerun_dependent_tasks: Option<bool>,
    /// The latest repair's id, required when the run was repaired before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_repair_id: Option<i64>,
    /// Job parameter values.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub job_parameters: BTreeMap<String, String>,
    /// The legacy per-kind parameters.
    #[serde(flatten)]
    pub params: RunParameters,
}

impl RepairRun {
    /// Repair `run_id`; say what to rerun with the setters.
    pub fn new(run_id: RunId) -> Self {
        Self {
            run_id,
            ..Self::default()
        }
    }

    /// Rerun these tasks.
    pub fn rerun_tasks<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.rerun_tasks = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Rerun every failed task.
    pub fn rerun_all_failed_tasks(mut self) -> Self {
        self.rerun_all_failed_tasks = Some(true);
        self
    }

    /// Also rerun dependants.
    pub fn rerun_dependent_tasks(mut self) -> Self {
        self.rerun_dependent_tasks = Some(true);
        self
    }

    /// Name the latest repair.
    pub fn latest_repair_id(mut self, id: i64) -> Self {
        self.latest_repair_id = Some(id);
        self
    }

    /// Set a job parameter.
    pub fn job_parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.job_parameters.insert(name.into(), value.into());
        self
    }
}
