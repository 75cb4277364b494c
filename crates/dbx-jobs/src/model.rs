//! Wire types of the Jobs API 2.2, with the API's own field names (the official SDKs' `jobs`
//! service and catalogue §7.2–7.3).
//!
//! Databricks keeps adding job settings and task kinds. Every struct here keeps the fields it
//! does not model in `extra` and sends them back, so `get` → change → `reset` never drops a
//! setting, and a task of a kind this crate does not model (a `dashboard_task`, an
//! `alert_task`, ...) round-trips untouched (see [`Task::kind`]).

use std::collections::BTreeMap;

use dbx_clusters::ClusterSpec;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::enums::*;

dbx_core::int_id!(
    /// A job id (`job_id`).
    ///
    /// ```
    /// assert_eq!(dbx_jobs::JobId::from(42).to_string(), "42");
    /// ```
    JobId
);

dbx_core::int_id!(
    /// A run id (`run_id`): of a job run, a one-time run, or one task's run within a run.
    ///
    /// ```
    /// assert_eq!(dbx_jobs::RunId::from(7).0, 7);
    /// ```
    RunId
);

/// Fields this crate does not model, kept verbatim and sent back.
pub type Extra = Map<String, Value>;

/// A list the server may send as `null` or leave out: both are empty.
pub(crate) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

fn null_as_empty_map<'de, D>(d: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<BTreeMap<String, String>>::deserialize(d)?.unwrap_or_default())
}

/// A job's settings (`JobSettings`), in the multi-task form the 2.1+ API requires: what
/// `create` takes, `reset` replaces, `update` merges and `get` returns.
///
/// ```
/// use dbx_jobs::{CronSchedule, JobCluster, JobSettings, PauseStatus, RunIf, Task};
/// use dbx_clusters::ClusterSpec;
/// let settings = JobSettings::new("nightly")
///     .job_cluster(JobCluster::new("main", ClusterSpec::new("15.4.x-scala2.12").node_type_id("i3.xlarge").num_workers(2)))
///     .task(Task::notebook("ingest", "/Shared/ingest").job_cluster_key("main"))
///     .task(Task::notebook("report", "/Shared/report").job_cluster_key("main").depends_on(["ingest"]))
///     .task(Task::notebook("alert", "/Shared/alert").job_cluster_key("main").depends_on(["ingest"]).run_if(RunIf::AtLeastOneFailed))
///     .schedule(CronSchedule::new("0 0 2 * * ?", "UTC").pause_status(PauseStatus::Unpaused))
///     .max_concurrent_runs(1)
///     .tag("team", "data");
/// let body = serde_json::to_value(&settings).unwrap();
/// assert_eq!(body["tasks"][1]["depends_on"][0]["task_key"], "ingest");
/// assert_eq!(body["job_clusters"][0]["new_cluster"]["num_workers"], 2);
/// assert!(body.get("parameters").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobSettings {
    /// The job's name (not unique; at most 4096 bytes; the server's default is `Untitled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The tasks (unique `task_key`s; `depends_on` forms a DAG).
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tasks: Vec<Task>,
    /// Clusters the tasks share by `job_cluster_key`.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub job_clusters: Vec<JobCluster>,
    /// E-mails on start, success and failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_notifications: Option<EmailNotifications>,
    /// System notification destinations on start, success and failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_notifications: Option<WebhookNotifications>,
    /// Which notifications to leave out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_settings: Option<NotificationSettings>,
    /// A run is stopped (`TIMEDOUT`) after this many seconds; 0 or absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    /// How many runs may be active at once (default 1, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_runs: Option<i64>,
    /// A Quartz cron schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<CronSchedule>,
    /// A trigger (file arrival, periodic, table update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerSettings>,
    /// A continuous job (a new run starts when the last one ends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuous: Option<Continuous>,
    /// Job parameters and their defaults, passed to every task.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub parameters: Vec<JobParameterDefinition>,
    /// Queueing: a run that cannot start yet waits (`QUEUED`) instead of being skipped. On by
    /// default for jobs created through 2.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueSettings>,
    /// The identity runs use (a user or a service principal; default: the owner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as: Option<RunAs>,
    /// Tags (at most 25), also put on the job clusters.
    #[serde(
        default,
        deserialize_with = "null_as_empty_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, String>,
    /// A Git repository the tasks' files come from (`GitSource`), verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_source: Option<Value>,
    /// Serverless environments (`JobEnvironment`), verbatim.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub environments: Vec<Value>,
    /// `SINGLE_TASK` or `MULTI_TASK` (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// Fields this crate does not model (`health`, `deployment`, `edit_mode`, the 2.0
    /// single-task fields, ...), sent back as they came.
    #[serde(flatten)]
    pub extra: Extra,
}

impl JobSettings {
    /// Settings with this name and nothing else yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// Add a task.
    pub fn task(mut self, task: Task) -> Self {
        self.tasks.push(task);
        self
    }

    /// Add a shared job cluster.
    pub fn job_cluster(mut self, cluster: JobCluster) -> Self {
        self.job_clusters.push(cluster);
        self
    }

    /// Set the description.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }

    /// Set the schedule.
    pub fn schedule(mut self, schedule: CronSchedule) -> Self {
        self.schedule = Some(schedule);
        self
    }

    /// Set the trigger.
    pub fn trigger(mut self, trigger: TriggerSettings) -> Self {
        self.trigger = Some(trigger);
        self
    }

    /// Set the e-mail notifications.
    pub fn email_notifications(mut self, n: EmailNotifications) -> Self {
        self.email_notifications = Some(n);
        self
    }

    /// Set the webhook notifications.
    pub fn webhook_notifications(mut self, n: WebhookNotifications) -> Self {
        self.webhook_notifications = Some(n);
        self
    }

    /// Set the notification settings.
    pub fn notification_settings(mut self, n: NotificationSettings) -> Self {
        self.notification_settings = Some(n);
        self
    }

    /// Set the run timeout, seconds.
    pub fn timeout_seconds(mut self, s: i64) -> Self {
        self.timeout_seconds = Some(s);
        self
    }

    /// Set how many runs may be active at once.
    pub fn max_concurrent_runs(mut self, n: i64) -> Self {
        self.max_concurrent_runs = Some(n);
        self
    }

    /// Add a job parameter with its default.
    pub fn parameter(mut self, name: impl Into<String>, default: impl Into<String>) -> Self {
        self.parameters.push(JobParameterDefinition {
            name: name.into(),
            default: default.into(),
        });
        self
    }

    /// Turn queueing on or off.
    pub fn queue(mut self, enabled: bool) -> Self {
        self.queue = Some(QueueSettings { enabled });
        self
    }

    /// Set the identity runs use.
    pub fn run_as(mut self, run_as: RunAs) -> Self {
        self.run_as = Some(run_as);
        self
    }

    /// Add a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// The task with this key.
    pub fn task_by_key(&self, key: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.task_key == key)
    }
}

/// One task of a job (`Task`): its key, dependencies, compute, and exactly one task kind.
///
/// The kinds this crate models are typed fields (`notebook_task`, `spark_jar_task`, ...); any
/// other kind stays in `extra` and is sent back as it came. [`Task::kind`] says which it is.
///
/// ```
/// use dbx_jobs::{Task, TaskKind};
/// let t: Task = serde_json::from_value(serde_json::json!({
///     "task_key": "d", "dashboard_task": {"dashboard_id": "abc"}, "existing_cluster_id": "c1"
/// })).unwrap();
/// assert!(matches!(t.kind(), TaskKind::Other("dashboard_task", _)));
/// assert_eq!(serde_json::to_value(&t).unwrap()["dashboard_task"]["dashboard_id"], "abc");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The task's key, unique in the job.
    #[serde(default)]
    pub task_key: String,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The tasks that must finish first.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub depends_on: Vec<TaskDependency>,
    /// When to run, given how the dependencies ended (default `ALL_SUCCESS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_if: Option<RunIf>,
    /// Compute: an existing all-purpose cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_cluster_id: Option<String>,
    /// Compute: a job cluster defined in `job_clusters`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_cluster_key: Option<String>,
    /// Compute: a new cluster for this task alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_cluster: Option<ClusterSpec>,
    /// Kind: a notebook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notebook_task: Option<NotebookTask>,
    /// Kind: a JAR's main class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_jar_task: Option<SparkJarTask>,
    /// Kind: a Python file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_python_task: Option<SparkPythonTask>,
    /// Kind: `spark-submit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_submit_task: Option<SparkSubmitTask>,
    /// Kind: a Python wheel's entry point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_wheel_task: Option<PythonWheelTask>,
    /// Kind: a SQL query, file, dashboard or alert on a warehouse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_task: Option<SqlTask>,
    /// Kind: dbt commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbt_task: Option<DbtTask>,
    /// Kind: run another job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_job_task: Option<RunJobTask>,
    /// Kind: an if/else condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_task: Option<ConditionTask>,
    /// Kind: a task run once per input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_each_task: Option<Box<ForEachTask>>,
    /// Kind: a Delta Live Tables pipeline update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_task: Option<PipelineTask>,
    /// Libraries to install on the cluster (`compute.Library`), verbatim.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub libraries: Vec<Value>,
    /// Stop the task after this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    /// Retries after a failure (-1: forever; default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<i64>,
    /// Least time between the start of a failed attempt and the next one, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_retry_interval_millis: Option<i64>,
    /// Retry after a timeout too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_on_timeout: Option<bool>,
    /// The task's own e-mail notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_notifications: Option<EmailNotifications>,
    /// The serverless environment of the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_key: Option<String>,
    /// A disabled task is not run (`DISABLED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Fields this crate does not model, including task kinds it does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Which kind a [`Task`] is (borrowed from it).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum TaskKind<'a> {
    /// `notebook_task`.
    Notebook(&'a NotebookTask),
    /// `spark_jar_task`.
    SparkJar(&'a SparkJarTask),
    /// `spark_python_task`.
    SparkPython(&'a SparkPythonTask),
    /// `spark_submit_task`.
    SparkSubmit(&'a SparkSubmitTask),
    /// `python_wheel_task`.
    PythonWheel(&'a PythonWheelTask),
    /// `sql_task`.
    Sql(&'a SqlTask),
    /// `dbt_task`.
    Dbt(&'a DbtTask),
    /// `run_job_task`.
    RunJob(&'a RunJobTask),
    /// `condition_task`.
    Condition(&'a ConditionTask),
    /// `for_each_task`.
    ForEach(&'a ForEachTask),
    /// `pipeline_task`.
    Pipeline(&'a PipelineTask),
    /// A kind this crate does not model: its field name (`…_task`) and value, from `extra`.
    Other(&'a str, &'a Value),
    /// No task kind at all.
    None,
}

impl Task {
    /// A task with this key and no kind yet (set one of the kind fields, or use a constructor
    /// such as [`Task::notebook`]).
    pub fn new(task_key: impl Into<String>) -> Self {
        Self {
            task_key: task_key.into(),
            ..Self::default()
        }
    }

    /// A notebook task.
    pub fn notebook(task_key: impl Into<String>, notebook_path: impl Into<String>) -> Self {
        Self {
            notebook_task: Some(NotebookTask::new(notebook_path)),
            ..Self::new(task_key)
        }
    }

    /// A Spark JAR task running `main_class_name` (add the JAR with [`Task::library`]).
    pub fn spark_jar(task_key: impl Into<String>, main_class_name: impl Into<String>) -> Self {
        Self {
            spark_jar_task: Some(SparkJarTask {
                main_class_name: Some(main_class_name.into()),
                ..SparkJarTask::default()
            }),
            ..Self::new(task_key)
        }
    }

    /// A Spark Python task running `python_file`.
    pub fn spark_python(task_key: impl Into<String>, python_file: impl Into<String>) -> Self {
        Self {
            spark_python_task: Some(SparkPythonTask {
                python_file: python_file.into(),
                ..SparkPythonTask::default()
            }),
            ..Self::new(task_key)
        }
    }

    /// A `spark-submit` task with these arguments.
    pub fn spark_submit<S: Into<String>>(
        task_key: impl Into<String>,
        parameters: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            spark_submit_task: Some(SparkSubmitTask {
                parameters: parameters.into_iter().map(Into::into).collect(),
                extra: Extra::new(),
            }),
            ..Self::new(task_key)
        }
    }

    /// A Python wheel task.
    pub fn python_wheel(
        task_key: impl Into<String>,
        package_name: impl Into<String>,
        entry_point: impl Into<String>,
    ) -> Self {
        Self {
            python_wheel_task: Some(PythonWheelTask {
                package_name: package_name.into(),
                entry_point: entry_point.into(),
                ..PythonWheelTask::default()
            }),
            ..Self::new(task_key)
        }
    }

    /// A task that runs another job.
    pub fn run_job(task_key: impl Into<String>, job_id: JobId) -> Self {
        Self {
            run_job_task: Some(RunJobTask {
                job_id,
                ..RunJobTask::default()
            }),
            ..Self::new(task_key)
        }
    }

    /// A condition task comparing `left` and `right`.
    pub fn condition(
        task_key: impl Into<String>,
        left: impl Into<String>,
        op: ConditionOp,
        right: impl Into<String>,
    ) -> Self {
        Self {
            condition_task: Some(ConditionTask {
                op,
                left: left.into(),
                right: right.into(),
                extra: Extra::new(),
            }),
            ..Self::new(task_key)
        }
    }

    /// A pipeline task.
    pub fn pipeline(task_key: impl Into<String>, pipeline_id: impl Into<String>) -> Self {
        Self {
            pipeline_task: Some(PipelineTask {
                pipeline_id: pipeline_id.into(),
                ..PipelineTask::default()
            }),
            ..Self::new(task_key)
        }
    }

    /// Run on an existing cluster.
    pub fn existing_cluster_id(mut self, id: impl Into<String>) -> Self {
        self.existing_cluster_id = Some(id.into());
        self
    }

    /// Run on a job cluster.
    pub fn job_cluster_key(mut self, key: impl Into<String>) -> Self {
        self.job_cluster_key = Some(key.into());
        self
    }

    /// Run on a new cluster of its own.
    pub fn new_cluster(mut self, spec: ClusterSpec) -> Self {
        self.new_cluster = Some(spec);
        self
    }

    /// Depend on these tasks.
    pub fn depends_on<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.depends_on
            .extend(keys.into_iter().map(|k| TaskDependency::new(k)));
        self
    }

    /// Set the run condition.
    pub fn run_if(mut self, run_if: RunIf) -> Self {
        self.run_if = Some(run_if);
        self
    }

    /// Add a library (a `compute.Library` object such as `{"jar": "dbfs:/x.jar"}`).
    pub fn library(mut self, library: Value) -> Self {
        self.libraries.push(library);
        self
    }

    /// Set the timeout, seconds.
    pub fn timeout_seconds(mut self, s: i64) -> Self {
        self.timeout_seconds = Some(s);
        self
    }

    /// Set retries: how many, the least interval (ms), and whether timeouts are retried.
    pub fn retries(mut self, max_retries: i64, min_interval_millis: i64, on_timeout: bool) -> Self {
        self.max_retries = Some(max_retries);
        self.min_retry_interval_millis = Some(min_interval_millis);
        self.retry_on_timeout = Some(on_timeout);
        self
    }

    /// Set the description.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }

    /// Set a field this crate does not model (e.g. a task kind: `("dashboard_task", {...})`).
    pub fn field(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }

    /// Which kind of task this is. A field of `extra` whose name ends in `_task` is taken as a
    /// kind this crate does not model.
    pub fn kind(&self) -> TaskKind<'_> {
        if let Some(t) = &self.notebook_task {
            return TaskKind::Notebook(t);
        }
        if let Some(t) = &self.spark_jar_task {
            return TaskKind::SparkJar(t);
        }
        if let Some(t) = &self.spark_python_task {
            return TaskKind::SparkPython(t);
        }
        if let Some(t) = &self.spark_submit_task {
            return TaskKind::SparkSubmit(t);
        }
        if let Some(t) = &self.python_wheel_task {
            return TaskKind::PythonWheel(t);
        }
        if let Some(t) = &self.sql_task {
            return TaskKind::Sql(t);
        }
        if let Some(t) = &self.dbt_task {
            return TaskKind::Dbt(t);
        }
        if let Some(t) = &self.run_job_task {
            return TaskKind::RunJob(t);
        }
        if let Some(t) = &self.condition_task {
            return TaskKind::Condition(t);
        }
        if let Some(t) = &self.for_each_task {
            return TaskKind::ForEach(t);
        }
        if let Some(t) = &self.pipeline_task {
            return TaskKind::Pipeline(t);
        }
        match self.extra.iter().find(|(k, _)| k.ends_with("_task")) {
            Some((k, v)) => TaskKind::Other(k, v),
            None => TaskKind::None,
        }
    }
}

/// A dependency of a task (`TaskDependency`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskDependency {
    /// The task depended on.
    pub task_key: String,
    /// For a condition task: the outcome (`"true"`/`"false"`) that lets this task run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

impl TaskDependency {
    /// A dependency on `task_key`.
    pub fn new(task_key: impl Into<String>) -> Self {
        Self {
            task_key: task_key.into(),
            outcome: None,
        }
    }
}

/// A notebook task (`NotebookTask`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotebookTask {
    /// The notebook's workspace path (or path in the Git repository).
    pub notebook_path: String,
    /// Widget values (`dbutils.widgets.get`).
    #[serde(
        default,
        deserialize_with = "null_as_empty_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub base_parameters: BTreeMap<String, String>,
    /// Workspace or Git.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// A SQL warehouse to run a SQL notebook on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl NotebookTask {
    /// A notebook task for this path.
    pub fn new(notebook_path: impl Into<String>) -> Self {
        Self {
            notebook_path: notebook_path.into(),
            ..Self::default()
        }
    }

    /// Add a base parameter.
    pub fn base_parameter(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.base_parameters.insert(k.into(), v.into());
        self
    }
}

/// A Spark JAR task (`SparkJarTask`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SparkJarTask {
    /// The class with the `main` method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_class_name: Option<String>,
    /// Arguments to `main`.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub parameters: Vec<String>,
    /// Deprecated: the JAR (use `libraries`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jar_uri: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Spark Python task (`SparkPythonTask`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SparkPythonTask {
    /// The file: `dbfs:/…`, `/Workspace/…`, `s3://…`, or a path in the Git repository.
    pub python_file: String,
    /// Command-line arguments.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub parameters: Vec<String>,
    /// Workspace or Git.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A `spark-submit` task (`SparkSubmitTask`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SparkSubmitTask {
    /// The `spark-submit` arguments.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub parameters: Vec<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Python wheel task (`PythonWheelTask`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PythonWheelTask {
    /// The package.
    pub package_name: String,
    /// Its entry point.
    pub entry_point: String,
    /// Positional arguments.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub parameters: Vec<String>,
    /// Named arguments (`--k=v`).
    #[serde(
        default,
        deserialize_with = "null_as_empty_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub named_parameters: BTreeMap<String, String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A SQL task (`SqlTask`): one of `query`, `file`, `dashboard`, `alert` (kept verbatim).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SqlTask {
    /// The SQL warehouse.
    pub warehouse_id: String,
    /// Query parameters.
    #[serde(
        default,
        deserialize_with = "null_as_empty_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub parameters: BTreeMap<String, String>,
    /// `query`, `file`, `dashboard`, `alert` and anything newer.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A dbt task (`DbtTask`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DbtTask {
    /// The dbt commands, in order.
    pub commands: Vec<String>,
    /// A SQL warehouse to run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<String>,
    /// The project directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_directory: Option<String>,
    /// Fields this crate does not model (`catalog`, `schema`, `profiles_directory`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A task that runs another job (`RunJobTask`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunJobTask {
    /// The job to run.
    pub job_id: JobId,
    /// Its job parameters.
    #[serde(
        default,
        deserialize_with = "null_as_empty_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub job_parameters: BTreeMap<String, String>,
    /// Fields this crate does not model (the legacy parameter kinds).
    #[serde(flatten)]
    pub extra: Extra,
}

// The id macro derives no `Default`; 0 is no job (the structs' `Default` needs one).
#[allow(clippy::derivable_impls)]
impl Default for JobId {
    fn default() -> Self {
        JobId(0)
    }
}

#[allow(clippy::derivable_impls)]
impl Default for RunId {
    fn default() -> Self {
        RunId(0)
    }
}

/// A condition task (`ConditionTask`): `left op right`, its outcome `"true"` or `"false"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionTask {
    /// The comparison.
    pub op: ConditionOp,
    /// Left operand (may reference `{{job.parameters.x}}`).
    pub left: String,
    /// Right operand.
    pub right: String,
    /// Fields this crate does not model (a run's `outcome`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A for-each task (`ForEachTask`): `task` once per element of `inputs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForEachTask {
    /// A JSON array, or a reference to one.
    pub inputs: String,
    /// The task to run per input.
    pub task: Task,
    /// How many iterations may run at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<i64>,
    /// Fields this crate does not model (a run's `stats`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A pipeline task (`PipelineTask`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineTask {
    /// The pipeline.
    pub pipeline_id: String,
    /// Refresh every table fully.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_refresh: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A cluster shared by the job's tasks (`JobCluster`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobCluster {
    /// Its key, which tasks name in `job_cluster_key`.
    pub job_cluster_key: String,
    /// Its spec, as the Clusters API takes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_cluster: Option<ClusterSpec>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl JobCluster {
    /// A job cluster.
    pub fn new(job_cluster_key: impl Into<String>, new_cluster: ClusterSpec) -> Self {
        Self {
            job_cluster_key: job_cluster_key.into(),
            new_cluster: Some(new_cluster),
            extra: Extra::new(),
        }
    }
}

/// A Quartz cron schedule (`CronSchedule`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CronSchedule {
    /// Quartz syntax, seconds first: `0 0 * * * ?` is every hour.
    pub quartz_cron_expression: String,
    /// A Java time zone id, e.g. `UTC`, `Europe/Paris`.
    pub timezone_id: String,
    /// Paused or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_status: Option<PauseStatus>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl CronSchedule {
    /// A schedule.
    pub fn new(quartz_cron_expression: impl Into<String>, timezone_id: impl Into<String>) -> Self {
        Self {
            quartz_cron_expression: quartz_cron_expression.into(),
            timezone_id: timezone_id.into(),
            ..Self::default()
        }
    }

    /// Set the pause status.
    pub fn pause_status(mut self, p: PauseStatus) -> Self {
        self.pause_status = Some(p);
        self
    }
}

/// A trigger (`TriggerSettings`): `file_arrival`, `periodic`, `table_update`, ...
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TriggerSettings {
    /// Paused or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_status: Option<PauseStatus>,
    /// Every `interval` `unit`s (`{"interval": 1, "unit": "HOURS"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periodic: Option<Value>,
    /// When files arrive under `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_arrival: Option<Value>,
    /// When tables are updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_update: Option<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A continuous job (`Continuous`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Continuous {
    /// Paused or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_status: Option<PauseStatus>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// E-mail notifications (`JobEmailNotifications`; the original package's
/// `email_notications` was a typo the server ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmailNotifications {
    /// When a run starts.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub on_start: Vec<String>,
    /// When a run succeeds.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub on_success: Vec<String>,
    /// When a run fails.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub on_failure: Vec<String>,
    /// When a run exceeds its duration warning threshold.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub on_duration_warning_threshold_exceeded: Vec<String>,
    /// No e-mail for skipped runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_alert_for_skipped_runs: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl EmailNotifications {
    /// Mail these addresses on failure.
    pub fn on_failure<S: Into<String>>(mut self, to: impl IntoIterator<Item = S>) -> Self {
        self.on_failure.extend(to.into_iter().map(Into::into));
        self
    }

    /// Mail these addresses on success.
    pub fn on_success<S: Into<String>>(mut self, to: impl IntoIterator<Item = S>) -> Self {
        self.on_success.extend(to.into_iter().map(Into::into));
        self
    }

    /// Mail these addresses on start.
    pub fn on_start<S: Into<String>>(mut self, to: impl IntoIterator<Item = S>) -> Self {
        self.on_start.extend(to.into_iter().map(Into::into));
        self
    }
}

/// A notification destination (`Webhook`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// The destination's id.
    pub id: String,
}

/// Webhook notifications (`WebhookNotifications`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookNotifications {
    /// When a run starts.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub on_start: Vec<Webhook>,
    /// When a run succeeds.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub on_success: Vec<Webhook>,
    /// When a run fails.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub on_failure: Vec<Webhook>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Which notifications to leave out (`JobNotificationSettings`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// None for skipped runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_alert_for_skipped_runs: Option<bool>,
    /// None for cancelled runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_alert_for_canceled_runs: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A job parameter and its default (`JobParameterDefinition`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobParameterDefinition {
    /// The name (`{{job.parameters.<name>}}`).
    pub name: String,
    /// The default value.
    #[serde(default)]
    pub default: String,
}

/// Queueing (`QueueSettings`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSettings {
    /// Whether runs that cannot start wait in the queue.
    pub enabled: bool,
}

/// The identity a job's runs use (`JobRunAs`): exactly one field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunAs {
    /// A user (the caller's own name, or any user for an admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// A service principal's application id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl RunAs {
    /// Run as this user.
    pub fn user(name: impl Into<String>) -> Self {
        Self {
            user_name: Some(name.into()),
            ..Self::default()
        }
    }

    /// Run as this service principal (application id).
    pub fn service_principal(application_id: impl Into<String>) -> Self {
        Self {
            service_principal_name: Some(application_id.into()),
            ..Self::default()
        }
    }
}

/// A job (`Job` from `get`, `BaseJob` from `list`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Its id.
    pub job_id: JobId,
    /// Who created it (absent once that user is deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_user_name: Option<String>,
    /// The identity its runs use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user_name: Option<String>,
    /// Creation time, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<i64>,
    /// Its settings. From [`JobsApi::get`](crate::JobsApi::get) every task and job cluster;
    /// from `list`, tasks only with `expand_tasks` (and at most 100 per job).
    #[serde(default)]
    pub settings: JobSettings,
    /// From `list` on 2.2: the job has more than 100 tasks or job clusters (use `get`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
    /// Fields this crate does not model (`trigger_state`, `effective_budget_policy_id`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Job {
    /// The job's name (empty when unset).
    pub fn name(&self) -> &str {
        self.settings.name.as_deref().unwrap_or("")
    }
}

/// A run's state (`RunState`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// Where it is in its life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_cycle_state: Option<LifeCycleState>,
    /// How it ended (terminal states only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_state: Option<ResultState>,
    /// The service's words about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_message: Option<String>,
    /// Cancelled by a user, or timed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_cancelled_or_timedout: Option<bool>,
    /// Why it is queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_reason: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Why a run terminated (`TerminationDetails`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TerminationDetails {
    /// The code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<TerminationCode>,
    /// Whose fault.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<TerminationType>,
    /// The service's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Why a run is queued (`QueueDetails`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueDetails {
    /// The reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<QueueCode>,
    /// The service's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The newer form of a run's state (`RunStatus`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStatus {
    /// Where it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StatusState>,
    /// Why it terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_details: Option<TerminationDetails>,
    /// Why it is queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_details: Option<QueueDetails>,
}

/// The cluster a run used (`ClusterInstance`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterInstance {
    /// The cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// Its Spark context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_context_id: Option<String>,
}

/// The legacy parameters a run was given (`RunParameters`; what `run-now` and `repair` send).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunParameters {
    /// For JAR tasks (exclusive with `notebook_params`).
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub jar_params: Vec<String>,
    /// For notebook tasks (widget values).
    #[serde(
        default,
        deserialize_with = "null_as_empty_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub notebook_params: BTreeMap<String, String>,
    /// For Python tasks (ASCII only).
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub python_params: Vec<String>,
    /// For Python wheel tasks.
    #[serde(
        default,
        deserialize_with = "null_as_empty_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub python_named_params: BTreeMap<String, String>,
    /// For `spark-submit` tasks (ASCII only).
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub spark_submit_params: Vec<String>,
    /// For SQL tasks.
    #[serde(
        default,
        deserialize_with = "null_as_empty_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub sql_params: BTreeMap<String, String>,
    /// For dbt tasks.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dbt_commands: Vec<String>,
    /// For pipeline tasks (`{"full_refresh": true}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_params: Option<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A job parameter's value in a run (`JobParameter`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobParameter {
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The value used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The job's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// One run of a task within a run (`RunTask`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunTask {
    /// The task run's own id (what `get-output` takes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<RunId>,
    /// The task's key.
    #[serde(default)]
    pub task_key: String,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its dependencies.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub depends_on: Vec<TaskDependency>,
    /// Its run condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_if: Option<RunIf>,
    /// Its state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RunState>,
    /// Its state, newer form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// 0 for the first attempt, then 1, 2, ... for retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_number: Option<i64>,
    /// Start, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// End, epoch ms (0 while running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// Cluster set-up time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_duration: Option<i64>,
    /// Execution time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_duration: Option<i64>,
    /// Clean-up time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_duration: Option<i64>,
    /// Whole duration, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_duration: Option<i64>,
    /// Time in the queue, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_duration: Option<i64>,
    /// The cluster it ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_instance: Option<ClusterInstance>,
    /// The existing cluster it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_cluster_id: Option<String>,
    /// The job cluster it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_cluster_key: Option<String>,
    /// Link to the task run's page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_page_url: Option<String>,
    /// The task kind and everything else this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl RunTask {
    /// Its life cycle state, when known.
    pub fn life_cycle_state(&self) -> Option<&LifeCycleState> {
        self.state.as_ref()?.life_cycle_state.as_ref()
    }

    /// Its result state, when terminal.
    pub fn result_state(&self) -> Option<&ResultState> {
        self.state.as_ref()?.result_state.as_ref()
    }
}

/// One repair of a run, or the original run (`RepairHistoryItem`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepairHistoryItem {
    /// The repair id (absent for the original run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// `ORIGINAL` or `REPAIR`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Start, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// End, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// Its state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RunState>,
    /// The task runs it made.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub task_run_ids: Vec<RunId>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A run (`Run` from `runs/get`, `BaseRun` from `runs/list`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The run.
    pub run_id: RunId,
    /// Its job (absent for one-time runs on some versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    /// Its sequence number in the job (equals `run_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_in_job: Option<i64>,
    /// The first attempt's run, for a retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_attempt_run_id: Option<RunId>,
    /// 0 for the first attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_number: Option<i64>,
    /// Who started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_user_name: Option<String>,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    /// Link to its page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_page_url: Option<String>,
    /// Job run, workflow run or one-time run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_type: Option<RunType>,
    /// What started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerType>,
    /// Its state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RunState>,
    /// Its state, newer form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// Start, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// End, epoch ms (0 while running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// Set-up time, ms (0 for multi-task runs: see `run_duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_duration: Option<i64>,
    /// Execution time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_duration: Option<i64>,
    /// Clean-up time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_duration: Option<i64>,
    /// Whole duration, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_duration: Option<i64>,
    /// Time in the queue, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_duration: Option<i64>,
    /// The cluster it ran on (single-task runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_instance: Option<ClusterInstance>,
    /// The legacy parameters it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overriding_parameters: Option<RunParameters>,
    /// The job parameters it used.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub job_parameters: Vec<JobParameter>,
    /// Its task runs (all of them from [`JobsApi::get_run`](crate::JobsApi::get_run)).
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tasks: Vec<RunTask>,
    /// The job clusters it used.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub job_clusters: Vec<JobCluster>,
    /// The original run and its repairs.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub repair_history: Vec<RepairHistoryItem>,
    /// For a for-each task's run: its iterations.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub iterations: Vec<RunTask>,
    /// The schedule that started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<CronSchedule>,
    /// From `runs/list` on 2.2: more than 100 tasks (use `get_run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
    /// Fields this crate does not model (`cluster_spec`, `git_source`, `trigger_info`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Run {
    /// Its life cycle state (`UNKNOWN`-free: absent state reads as `PENDING`).
    pub fn life_cycle_state(&self) -> LifeCycleState {
        self.state
            .as_ref()
            .and_then(|s| s.life_cycle_state.clone())
            .unwrap_or(LifeCycleState::Pending)
    }

    /// Its result state, when terminal.
    pub fn result_state(&self) -> Option<&ResultState> {
        self.state.as_ref()?.result_state.as_ref()
    }

    /// The service's words about its state.
    pub fn state_message(&self) -> Option<&str> {
        self.state.as_ref()?.state_message.as_deref()
    }

    /// Whether it ended and succeeded (`TERMINATED` with `SUCCESS` or
    /// `SUCCESS_WITH_FAILURES`).
    pub fn is_success(&self) -> bool {
        self.life_cycle_state() == LifeCycleState::Terminated
            && self.result_state().is_some_and(ResultState::is_success)
    }

    /// The task run with this key (the latest attempt when there are several).
    pub fn task(&self, task_key: &str) -> Option<&RunTask> {
        self.tasks.iter().rev().find(|t| t.task_key == task_key)
    }
}

/// A notebook's exit value (`NotebookOutput`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotebookOutput {
    /// The value given to `dbutils.notebook.exit()` (first 5 MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Whether it was cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
}

/// A task run's output (`RunOutput`, from `runs/get-output`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunOutput {
    /// The run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Run>,
    /// A notebook task's exit value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notebook_output: Option<NotebookOutput>,
    /// The error, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error's stack trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_trace: Option<String>,
    /// stdout/stderr of Python, JAR and spark-submit tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<String>,
    /// Whether `logs` was cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs_truncated: Option<bool>,
    /// Other information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    /// `sql_output`, `dbt_output`, `run_job_output`, ...
    #[serde(flatten)]
    pub extra: Extra,
}

/// One exported view (`ViewItem`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ViewItem {
    /// The HTML.
    #[serde(default)]
    pub content: String,
    /// The notebook's or dashboard's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Notebook or dashboard.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<ViewType>,
}
