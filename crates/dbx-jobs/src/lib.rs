//! # dbx-jobs
//!
//! The Databricks [Jobs API](https://docs.databricks.com/api/workspace/jobs): create, change
//! and delete jobs; run them now or once (`runs/submit`); list, read, cancel, repair, export
//! and delete runs, and read their output; wait for a run with a typed outcome. Every call goes
//! to `/api/2.2/jobs/*`, as the official SDKs' calls do.
//!
//! ```no_run
//! # async fn demo() -> Result<(), dbx_jobs::JobError> {
//! use dbx_clusters::ClusterSpec;
//! use dbx_jobs::{JobCluster, JobSettings, JobsApi, RunIf, RunNow, Task};
//!
//! let jobs = JobsApi::new(dbx_core::Client::from_env()?);
//! let cluster = ClusterSpec::new("15.4.x-scala2.12").node_type_id("i3.xlarge").num_workers(2);
//! let job_id = jobs
//!     .create(
//!         &JobSettings::new("nightly")
//!             .job_cluster(JobCluster::new("main", cluster))
//!             .task(Task::notebook("ingest", "/Shared/ingest").job_cluster_key("main"))
//!             .task(Task::notebook("report", "/Shared/report").job_cluster_key("main").depends_on(["ingest"]))
//!             .task(Task::notebook("cleanup", "/Shared/cleanup").job_cluster_key("main")
//!                 .depends_on(["report"]).run_if(RunIf::AllDone)),
//!     )
//!     .await?;
//! match jobs.run_now_and_wait(&RunNow::new(job_id)).await {
//!     Ok(run) => {
//!         for (task, output) in jobs.run_outputs(&run).await? {
//!             println!("{}: {:?}", task.task_key, output.notebook_output);
//!         }
//!     }
//!     Err(e) => {
//!         // "run 12 ended TERMINATED FAILED: ...; failed tasks: report FAILED: <error>"
//!         eprintln!("{e}");
//!         for t in e.failed_tasks() {
//!             eprintln!("{} failed: {:?}", t.task_key, t.error);
//!         }
//!     }
//! }
//! jobs.delete(job_id).await?;
//! # Ok(()) }
//! ```
//!
//! ## Runs
//!
//! A run goes `QUEUED` → `PENDING` → `RUNNING` → `TERMINATING` → `TERMINATED` (with a
//! `result_state`), or ends `SKIPPED` or `INTERNAL_ERROR` (catalogue §7.4 in `docs/`). The
//! waiters ([`JobsApi::wait_run`], [`JobsApi::run_now_and_wait`],
//! [`JobsApi::submit_and_wait`], [`JobsApi::repair_and_wait`]) poll `runs/get` with backoff for
//! up to 20 minutes ([`JobsApi::with_wait_policy`]) and return the run when it ends with
//! `SUCCESS` (or `SUCCESS_WITH_FAILURES`); any other end (`FAILED`, `TIMEDOUT`, `CANCELED`,
//! `SKIPPED`, `INTERNAL_ERROR`, ...) is a [`JobError::RunFailed`] carrying the state message
//! and each failed task's key and error. [`JobsApi::cancel_and_wait`] returns the ended run,
//! however it ended. They are cancel-safe.
//!
//! ## Paging
//!
//! [`JobsApi::list`] and [`JobsApi::list_runs`] are lazy streams over `page_token`. On 2.2,
//! `get` and `runs/get` return at most 100 tasks (and job clusters, parameters, ...) per answer
//! with a `next_page_token`; [`JobsApi::get`] and [`JobsApi::get_run`] follow it and return the
//! merged whole, as the official SDKs do; so do the listings with `expand_tasks` for a job or run
//! marked `has_more`.
//!
//! ## Unknown fields and task kinds survive
//!
//! [`JobSettings`], [`Task`], [`Run`] and the nested types keep every field this crate does not
//! model in `extra` and send it back: a task of a kind added after this crate (see
//! [`Task::kind`]) round-trips through `get` → `reset` untouched. Every enumeration is open: a
//! new life cycle state, result or termination code arrives as `Unknown(String)`.
//!
//! ## From `databricksapi`
//!
//! | `databricksapi` 1.1.8 `Jobs.…` | dbx-jobs [`JobsApi`] |
//! |---|---|
//! | `createJob(cluster, cluster_type, task, task_type, name, libraries, email_notications, timeout_seconds, max_retries, min_retry_interval_millis, retry_on_timeout, schedule, max_concurrent_runs)` | [`create`](JobsApi::create)`(&JobSettings::new(name).task(Task::notebook(key, path).existing_cluster_id(id).library(..).retries(..)).email_notifications(..).schedule(..).max_concurrent_runs(n))`: the multi-task form; e-mail settings are sent as `email_notifications` (the original's `email_notications` typo meant the server never saw them) |
//! | `listJobs()` | [`list`](JobsApi::list)`().items()` (a lazy stream over 2.2 pages; `.name(..)`, `.expand_tasks()`) |
//! | `deleteJob(job_id)` | [`delete`](JobsApi::delete) |
//! | `batchDelete(*job_ids)` | [`delete_many`](JobsApi::delete_many): every job is tried, and the outcome of each is returned (the original discarded them) |
//! | `deleteAllJobs()` (a stub: did nothing) | [`delete_all`](JobsApi::delete_all): lists every job and deletes it, returning the ids deleted |
//! | `mapJobNames()` (a stub: did nothing) | [`job_names`](JobsApi::job_names): `BTreeMap<JobId, String>`; [`find_job_by_name`](JobsApi::find_job_by_name) |
//! | `getJob(job_id)` | [`get`](JobsApi::get) (every task, following 2.2's pages) |
//! | `resetJob(job_id, new_settings)` | [`reset`](JobsApi::reset)`(job_id, &JobSettings)`; partial changes: [`update`](JobsApi::update) |
//! | `runJob(job_id, job_type, params)` | [`run_now`](JobsApi::run_now)`(&RunNow::new(id).notebook_param(..)` / `.jar_params(..)` / `.python_params(..)` / `.spark_submit_params(..)` / `.job_parameter(..)` / `.idempotency_token(..))`; [`run_now_and_wait`](JobsApi::run_now_and_wait) |
//! | `runsSubmit(run_name, cluster, task, cluster_type, task_type, libraries, timeout_seconds)` | [`submit`](JobsApi::submit)`(&SubmitRun::new(name).task(..).timeout_seconds(..))`; [`submit_and_wait`](JobsApi::submit_and_wait) |
//! | `runsList(run_type, job_id, offset, limit)` | [`list_runs`](JobsApi::list_runs)`().job_id(..).active_only()` / `.completed_only()`, then `.items()` |
//! | `runsGet(run_id)` | [`get_run`](JobsApi::get_run) |
//! | `runsExport(run_id, views_to_export)` | [`export_run`](JobsApi::export_run) |
//! | `runsCancel(run_id)` | [`cancel_run`](JobsApi::cancel_run); [`cancel_and_wait`](JobsApi::cancel_and_wait) |
//! | `runsGetOutput(run_id)` | [`get_run_output`](JobsApi::get_run_output) (a task run's id); every task: [`run_outputs`](JobsApi::run_outputs) |
//! | `runsDelete(run_id)` | [`delete_run`](JobsApi::delete_run) |
//! | – | [`update`](JobsApi::update), [`cancel_all_runs`](JobsApi::cancel_all_runs), [`repair_run`](JobsApi::repair_run) / [`repair_and_wait`](JobsApi::repair_and_wait), [`wait_run`](JobsApi::wait_run) |
//!
//! Differences from the original: it spoke 2.0 (single-task jobs, no `tasks`, no idempotency
//! tokens, no `python_named_params`); this crate speaks 2.2. GET parameters travel in the query
//! string (the original sent a JSON body on GET); errors are [`dbx_core::Error`]s instead of
//! error dictionaries returned as results.

mod enums;
mod error;
mod model;
mod requests;
mod wait;

use std::collections::{BTreeMap, HashSet};

use dbx_core::paginate::{self, ItemStream, PageStream, TokenPage};
use dbx_core::wait::PollPolicy;
use dbx_core::{CallOptions, Client, Request, Result};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

pub use enums::*;
pub use error::{FailedTask, JobError};
pub use model::*;
pub use requests::{RepairRun, RunNow, SubmitRun};

/// The base path of every call.
const BASE: &str = "/api/2.2/jobs";

/// The Jobs API.
///
/// ```no_run
/// # fn demo() -> dbx_core::Result<()> {
/// let jobs = dbx_jobs::JobsApi::new(dbx_core::Client::from_env()?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct JobsApi {
    client: Client,
    wait: PollPolicy,
}

/// What `run-now` answers (`RunNowResponse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct RunNowResponse {
    /// The new run (or, with a known idempotency token, the existing one).
    pub run_id: RunId,
    /// Its number in the job.
    #[serde(default)]
    pub number_in_job: Option<i64>,
}

#[derive(Deserialize)]
struct CreateResponse {
    job_id: JobId,
}

#[derive(Deserialize)]
struct SubmitResponse {
    run_id: RunId,
}

#[derive(Deserialize)]
struct RepairResponse {
    repair_id: i64,
}

#[derive(Deserialize)]
struct ExportResponse {
    #[serde(default, deserialize_with = "model::null_as_empty")]
    views: Vec<ViewItem>,
}

#[derive(Deserialize)]
struct ListJobsResponse {
    #[serde(default, deserialize_with = "model::null_as_empty")]
    jobs: Vec<Job>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct ListRunsResponse {
    #[serde(default, deserialize_with = "model::null_as_empty")]
    runs: Vec<Run>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// One answer of `GET /api/2.2/jobs/get`: the job, with at most 100 of each array, and the
/// token of the next page.
#[derive(Debug, Clone, Deserialize)]
pub struct JobPage {
    /// The token of the next page, when the job has more.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// The job (this page's part of its arrays).
    #[serde(flatten)]
    pub job: Job,
}

/// One answer of `GET /api/2.2/jobs/runs/get`: the run, with at most 100 of each array, and the
/// token of the next page.
#[derive(Debug, Clone, Deserialize)]
pub struct RunPage {
    /// The token of the next page, when the run has more.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// The run (this page's part of its arrays).
    #[serde(flatten)]
    pub run: Run,
}

#[derive(Serialize)]
struct JobIdBody {
    job_id: JobId,
}

#[derive(Serialize)]
struct RunIdBody {
    run_id: RunId,
}

impl JobsApi {
    /// The Jobs API over `client`, with the default wait policy (20 minutes).
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
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// use std::time::Duration;
    /// let quick = jobs.with_options(dbx_core::CallOptions::default().with_timeout(Duration::from_secs(5)));
    /// quick.get(dbx_jobs::JobId(1)).await?;
    /// # Ok(()) }
    /// ```
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            client: self.client.with_options(options),
            wait: self.wait.clone(),
        }
    }

    /// Create a job (`POST /api/2.2/jobs/create`) and return its id. Invalid settings answer
    /// `INVALID_PARAMETER_VALUE` (a duplicate task key, a `depends_on` naming no task, a task
    /// with no kind or no compute, ...). Not retried after a timeout (a retry could create a
    /// second job).
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// use dbx_jobs::{JobSettings, Task};
    /// let id = jobs
    ///     .create(&JobSettings::new("hello").task(Task::notebook("main", "/Shared/hello").existing_cluster_id("0101-000000-abc")))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, settings: &JobSettings) -> Result<JobId> {
        let req = Request::post(format!("{BASE}/create")).json(settings)?;
        let resp: CreateResponse = self.client.call(req).await?;
        Ok(resp.job_id)
    }

    /// A job with all its tasks, job clusters, parameters and environments
    /// (`GET /api/2.2/jobs/get`, following `next_page_token` and merging the pages). An unknown
    /// id answers 400 `INVALID_PARAMETER_VALUE` "Job <id> does not exist.", which
    /// [`dbx_core::Error::is_not_found`] recognises.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// let job = jobs.get(dbx_jobs::JobId(12)).await?;
    /// println!("{} has {} tasks", job.name(), job.settings.tasks.len());
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, job_id: JobId) -> Result<Job> {
        let first = self.get_page(job_id, None).await?;
        let mut job = first.job;
        let mut next = first.next_page_token.filter(|t| !t.is_empty());
        let mut seen = HashSet::new();
        while let Some(token) = next {
            if !seen.insert(token.clone()) {
                return Err(dbx_core::Error::PaginationLoop(token));
            }
            let page = self.get_page(job_id, Some(&token)).await?;
            let more = page.job.settings;
            job.settings.tasks.extend(more.tasks);
            job.settings.job_clusters.extend(more.job_clusters);
            job.settings.parameters.extend(more.parameters);
            job.settings.environments.extend(more.environments);
            next = page.next_page_token.filter(|t| !t.is_empty());
        }
        job.has_more = None;
        Ok(job)
    }

    /// One page of a job (`GET /api/2.2/jobs/get?job_id=&page_token=`), as the server sends
    /// it; [`get`](JobsApi::get) merges them all.
    pub async fn get_page(&self, job_id: JobId, page_token: Option<&str>) -> Result<JobPage> {
        let req = Request::get(format!("{BASE}/get"))
            .query("job_id", job_id)
            .query_opt("page_token", page_token);
        self.client.call(req).await
    }

    /// Start listing jobs (`GET /api/2.2/jobs/list`), newest first; filter with the builder, then
    /// take a lazy stream of [`pages`](ListJobs::pages) or [`items`](ListJobs::items).
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// use futures::TryStreamExt;
    /// let nightly: Vec<_> = jobs.list().name("nightly").expand_tasks().items().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListJobs {
        ListJobs {
            api: self.clone(),
            name: None,
            expand_tasks: false,
            limit: None,
        }
    }

    /// Replace a job's settings (`POST /api/2.2/jobs/reset`). `new_settings` is the whole new
    /// configuration: start from [`get`](JobsApi::get)'s `settings` to keep what you do not
    /// change (unknown fields included).
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi, id: dbx_jobs::JobId) -> dbx_core::Result<()> {
    /// let settings = jobs.get(id).await?.settings.max_concurrent_runs(3);
    /// jobs.reset(id, &settings).await?;
    /// # Ok(()) }
    /// ```
    pub async fn reset(&self, job_id: JobId, new_settings: &JobSettings) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            job_id: JobId,
            new_settings: &'a JobSettings,
        }
        let req = Request::post(format!("{BASE}/reset"))
            .json(&Body {
                job_id,
                new_settings,
            })?
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Change some settings of a job (`POST /api/2.2/jobs/update`): the top-level fields set in
    /// `new_settings` replace the job's; `tasks` and `job_clusters` are merged by key; the
    /// fields in `fields_to_remove` (`"libraries"`, `"schedule"`, `"tasks/<task_key>"`,
    /// `"job_clusters/<key>"`) go.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi, id: dbx_jobs::JobId) -> dbx_core::Result<()> {
    /// use dbx_jobs::JobSettings;
    /// jobs.update(id, &JobSettings::default().timeout_seconds(3600), &["schedule", "tasks/old"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        &self,
        job_id: JobId,
        new_settings: &JobSettings,
        fields_to_remove: &[&str],
    ) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            job_id: JobId,
            new_settings: &'a JobSettings,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            fields_to_remove: &'a [&'a str],
        }
        let req = Request::post(format!("{BASE}/update"))
            .json(&Body {
                job_id,
                new_settings,
                fields_to_remove,
            })?
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Delete a job (`POST /api/2.2/jobs/delete`); its active runs are cancelled.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// jobs.delete(dbx_jobs::JobId(12)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, job_id: JobId) -> Result<()> {
        let req = Request::post(format!("{BASE}/delete"))
            .json(&JobIdBody { job_id })?
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Delete several jobs, one call each; every one is tried, and each outcome is returned in
    /// order (the original `batchDelete` discarded them).
    pub async fn delete_many(&self, job_ids: &[JobId]) -> Vec<(JobId, Result<()>)> {
        let mut out = Vec::with_capacity(job_ids.len());
        for &id in job_ids {
            out.push((id, self.delete(id).await));
        }
        out
    }

    /// Delete every job the caller can see, and return their ids (what the original
    /// `deleteAllJobs` stub promised). Stops at the first failure.
    pub async fn delete_all(&self) -> Result<Vec<JobId>> {
        let ids: Vec<JobId> = self
            .list()
            .items()
            .map_ok(|j| j.job_id)
            .try_collect()
            .await?;
        for &id in &ids {
            self.delete(id).await?;
        }
        Ok(ids)
    }

    /// Every job's id and name (what the original `mapJobNames` stub promised).
    pub async fn job_names(&self) -> Result<BTreeMap<JobId, String>> {
        self.list()
            .items()
            .map_ok(|j| (j.job_id, j.name().to_string()))
            .try_collect()
            .await
    }

    /// The job with this exact name (`list?name=`; the server compares case-insensitively, this
    /// keeps only exact matches), `None` when there is none, and [`JobError::AmbiguousName`]
    /// when several jobs have it.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> Result<(), dbx_jobs::JobError> {
    /// if let Some(job) = jobs.find_job_by_name("nightly").await? {
    ///     println!("nightly is job {}", job.job_id);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn find_job_by_name(&self, name: &str) -> std::result::Result<Option<Job>, JobError> {
        let found: Vec<Job> = self
            .list()
            .name(name)
            .items()
            .try_filter(|j| futures::future::ready(j.name() == name))
            .try_collect()
            .await?;
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.into_iter().next()),
            _ => Err(JobError::AmbiguousName {
                name: name.to_string(),
                job_ids: found.iter().map(|j| j.job_id).collect(),
            }),
        }
    }

    /// Run a job now (`POST /api/2.2/jobs/run-now`). Not retried after a timeout unless the
    /// request carries an `idempotency_token` (then a repeat returns the same run).
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// use dbx_jobs::{JobId, RunNow};
    /// let started = jobs.run_now(&RunNow::new(JobId(12)).job_parameter("date", "2024-01-01")).await?;
    /// println!("run {}", started.run_id);
    /// # Ok(()) }
    /// ```
    pub async fn run_now(&self, request: &RunNow) -> Result<RunNowResponse> {
        let req = Request::post(format!("{BASE}/run-now"))
            .json(request)?
            .default_idempotent(request.idempotency_token.is_some());
        self.client.call(req).await
    }

    /// Submit a one-time run (`POST /api/2.2/jobs/runs/submit`) and return its id. Not retried
    /// after a timeout unless the request carries an `idempotency_token`.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// use dbx_jobs::{SubmitRun, Task};
    /// let run_id = jobs
    ///     .submit(&SubmitRun::new("adhoc").task(Task::notebook("t", "/Shared/adhoc").existing_cluster_id("0101-000000-abc")))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn submit(&self, request: &SubmitRun) -> Result<RunId> {
        let req = Request::post(format!("{BASE}/runs/submit"))
            .json(request)?
            .default_idempotent(request.idempotency_token.is_some());
        let resp: SubmitResponse = self.client.call(req).await?;
        Ok(resp.run_id)
    }

    /// Start listing runs (`GET /api/2.2/jobs/runs/list`), newest first; filter with the
    /// builder, then take a lazy stream of [`pages`](ListRuns::pages) or
    /// [`items`](ListRuns::items).
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// use futures::TryStreamExt;
    /// let active: Vec<_> = jobs.list_runs().job_id(dbx_jobs::JobId(12)).active_only().items().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_runs(&self) -> ListRuns {
        ListRuns {
            api: self.clone(),
            job_id: None,
            active_only: false,
            completed_only: false,
            run_type: None,
            expand_tasks: false,
            start_time_from: None,
            start_time_to: None,
            limit: None,
        }
    }

    /// A run with all its tasks, job clusters, job parameters and repairs
    /// (`GET /api/2.2/jobs/runs/get`, following `next_page_token` and merging the pages; a
    /// for-each task run's pages carry its iterations instead). An unknown id answers 400
    /// `INVALID_PARAMETER_VALUE` "Run <id> does not exist.".
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// let run = jobs.get_run(dbx_jobs::RunId(40)).await?;
    /// println!("{} {:?}", run.life_cycle_state(), run.result_state());
    /// # Ok(()) }
    /// ```
    pub async fn get_run(&self, run_id: RunId) -> Result<Run> {
        let first = self.get_run_page(run_id, None).await?;
        let mut run = first.run;
        let iterations = !run.iterations.is_empty();
        let mut next = first.next_page_token.filter(|t| !t.is_empty());
        let mut seen = HashSet::new();
        while let Some(token) = next {
            if !seen.insert(token.clone()) {
                return Err(dbx_core::Error::PaginationLoop(token));
            }
            let page = self.get_run_page(run_id, Some(&token)).await?;
            let more = page.run;
            if iterations {
                run.iterations.extend(more.iterations);
            } else {
                run.tasks.extend(more.tasks);
            }
            run.job_clusters.extend(more.job_clusters);
            run.job_parameters.extend(more.job_parameters);
            run.repair_history.extend(more.repair_history);
            next = page.next_page_token.filter(|t| !t.is_empty());
        }
        run.has_more = None;
        Ok(run)
    }

    /// One page of a run (`GET /api/2.2/jobs/runs/get?run_id=&page_token=`), as the server
    /// sends it; [`get_run`](JobsApi::get_run) merges them all.
    pub async fn get_run_page(&self, run_id: RunId, page_token: Option<&str>) -> Result<RunPage> {
        let req = Request::get(format!("{BASE}/runs/get"))
            .query("run_id", run_id)
            .query_opt("page_token", page_token);
        self.client.call(req).await
    }

    /// The output of one task run (`GET /api/2.2/jobs/runs/get-output`): the notebook's exit
    /// value, the error and its trace, logs. Give a task run's id (`run.tasks[i].run_id`): the
    /// id of a multi-task run answers `INVALID_PARAMETER_VALUE`. See
    /// [`run_outputs`](JobsApi::run_outputs) for every task at once.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi, task_run: dbx_jobs::RunId) -> dbx_core::Result<()> {
    /// let out = jobs.get_run_output(task_run).await?;
    /// println!("{:?} {:?}", out.notebook_output.and_then(|o| o.result), out.error);
    /// # Ok(()) }
    /// ```
    pub async fn get_run_output(&self, run_id: RunId) -> Result<RunOutput> {
        let req = Request::get(format!("{BASE}/runs/get-output")).query("run_id", run_id);
        self.client.call(req).await
    }

    /// The output of every task run of `run` (the latest attempt of each task), in the run's
    /// task order. Tasks that never got a run id are left out.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// let run = jobs.get_run(dbx_jobs::RunId(40)).await?;
    /// for (task, out) in jobs.run_outputs(&run).await? {
    ///     println!("{}: {:?}", task.task_key, out.notebook_output.and_then(|o| o.result));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn run_outputs(&self, run: &Run) -> Result<Vec<(RunTask, RunOutput)>> {
        let mut out = Vec::new();
        for task in latest_attempts(&run.tasks) {
            let Some(id) = task.run_id else { continue };
            let output = self.get_run_output(id).await?;
            out.push((task.clone(), output));
        }
        Ok(out)
    }

    /// Export a notebook run as HTML views (`GET /api/2.2/jobs/runs/export`).
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi, task_run: dbx_jobs::RunId) -> dbx_core::Result<()> {
    /// use dbx_jobs::ViewsToExport;
    /// for v in jobs.export_run(task_run, ViewsToExport::Code).await? {
    ///     println!("{:?}: {} bytes of HTML", v.name, v.content.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn export_run(&self, run_id: RunId, views: ViewsToExport) -> Result<Vec<ViewItem>> {
        let req = Request::get(format!("{BASE}/runs/export"))
            .query("run_id", run_id)
            .query("views_to_export", views);
        let resp: ExportResponse = self.client.call(req).await?;
        Ok(resp.views)
    }

    /// Cancel a run (`POST /api/2.2/jobs/runs/cancel`). Asynchronous: the run goes
    /// `TERMINATING`, then `TERMINATED` with `CANCELED` (see
    /// [`cancel_and_wait`](JobsApi::cancel_and_wait)). A finished run is left as it is.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// jobs.cancel_run(dbx_jobs::RunId(40)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel_run(&self, run_id: RunId) -> Result<()> {
        let req = Request::post(format!("{BASE}/runs/cancel"))
            .json(&RunIdBody { run_id })?
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Cancel every active run of a job, or with `all_queued_runs` every queued run (of the
    /// job, or of the workspace when `job_id` is `None`) (`POST /api/2.2/jobs/runs/cancel-all`).
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// jobs.cancel_all_runs(Some(dbx_jobs::JobId(12)), false).await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel_all_runs(
        &self,
        job_id: Option<JobId>,
        all_queued_runs: bool,
    ) -> Result<()> {
        #[derive(Serialize)]
        struct Body {
            #[serde(skip_serializing_if = "Option::is_none")]
            job_id: Option<JobId>,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            all_queued_runs: bool,
        }
        let req = Request::post(format!("{BASE}/runs/cancel-all"))
            .json(&Body {
                job_id,
                all_queued_runs,
            })?
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Delete a finished run (`POST /api/2.2/jobs/runs/delete`); an active run is refused.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// jobs.delete_run(dbx_jobs::RunId(40)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_run(&self, run_id: RunId) -> Result<()> {
        let req = Request::post(format!("{BASE}/runs/delete"))
            .json(&RunIdBody { run_id })?
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Repair a finished run (`POST /api/2.2/jobs/runs/repair`): run some of its tasks again
    /// in the same run; returns the repair's id (give it as `latest_repair_id` to the next
    /// repair). Not retried after a timeout.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> dbx_core::Result<()> {
    /// use dbx_jobs::{RepairRun, RunId};
    /// let repair_id = jobs.repair_run(&RepairRun::new(RunId(40)).rerun_all_failed_tasks()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn repair_run(&self, request: &RepairRun) -> Result<i64> {
        let req = Request::post(format!("{BASE}/runs/repair")).json(request)?;
        let resp: RepairResponse = self.client.call(req).await?;
        Ok(resp.repair_id)
    }
}

/// The latest attempt of each task key, in first-seen order.
pub(crate) fn latest_attempts(tasks: &[RunTask]) -> Vec<&RunTask> {
    let mut order: Vec<&str> = Vec::new();
    let mut latest: BTreeMap<&str, &RunTask> = BTreeMap::new();
    for t in tasks {
        let key = t.task_key.as_str();
        match latest.get(key) {
            None => {
                order.push(key);
                latest.insert(key, t);
            }
            Some(prev) => {
                if t.attempt_number.unwrap_or(0) >= prev.attempt_number.unwrap_or(0) {
                    latest.insert(key, t);
                }
            }
        }
    }
    order
        .into_iter()
        .filter_map(|k| latest.get(k).copied())
        .collect()
}

/// Builder of [`JobsApi::list`]. Nothing is sent until the stream is polled.
#[derive(Debug, Clone)]
pub struct ListJobs {
    api: JobsApi,
    name: Option<String>,
    expand_tasks: bool,
    limit: Option<u32>,
}

impl ListJobs {
    /// Only jobs with this name (exact, case-insensitive, on the server).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Include tasks and job clusters (`expand_tasks=true`).
    pub fn expand_tasks(mut self) -> Self {
        self.expand_tasks = true;
        self
    }

    /// Jobs per page (1–100; the server's default is 20).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    fn request(&self, page_token: Option<String>) -> Request {
        let mut req = Request::get(format!("{BASE}/list"));
        if self.expand_tasks {
            req = req.query("expand_tasks", true);
        }
        req.query_opt("name", self.name.as_deref())
            .query_opt("limit", self.limit)
            .query_opt("page_token", page_token)
    }

    /// A lazy stream of pages, following `next_page_token`, as the server sends them.
    pub fn pages(self) -> PageStream<Job> {
        paginate::token_pages(move |token| {
            let req = self.request(token);
            let client = self.api.client.clone();
            async move {
                let resp: ListJobsResponse = client.call(req).await?;
                Ok(TokenPage {
                    items: resp.jobs,
                    next_page_token: resp.next_page_token,
                })
            }
        })
    }

    /// A lazy stream of jobs, each once. With `expand_tasks`, a job marked `has_more` (more than
    /// 100 tasks or job clusters) is completed with [`JobsApi::get`].
    pub fn items(self) -> ItemStream<Job> {
        let api = self.api.clone();
        let expand = self.expand_tasks;
        let items = paginate::dedup_by_key(paginate::items(self.pages()), |j: &Job| j.job_id);
        if !expand {
            return items;
        }
        Box::pin(items.and_then(move |mut job| {
            let api = api.clone();
            async move {
                if job.has_more == Some(true) {
                    let full = api.get(job.job_id).await?;
                    job.settings.tasks = full.settings.tasks;
                    job.settings.job_clusters = full.settings.job_clusters;
                    job.settings.parameters = full.settings.parameters;
                    job.settings.environments = full.settings.environments;
                }
                job.has_more = None;
                Ok(job)
            }
        }))
    }
}

/// Builder of [`JobsApi::list_runs`]. Nothing is sent until the stream is polled.
#[derive(Debug, Clone)]
pub struct ListRuns {
    api: JobsApi,
    job_id: Option<JobId>,
    active_only: bool,
    completed_only: bool,
    run_type: Option<RunType>,
    expand_tasks: bool,
    start_time_from: Option<i64>,
    start_time_to: Option<i64>,
    limit: Option<u32>,
}

impl ListRuns {
    /// Only runs of this job.
    pub fn job_id(mut self, job_id: JobId) -> Self {
        self.job_id = Some(job_id);
        self
    }

    /// Only active runs (`QUEUED`, `PENDING`, `RUNNING`, `TERMINATING`). Exclusive with
    /// [`completed_only`](ListRuns::completed_only) (the server refuses both).
    pub fn active_only(mut self) -> Self {
        self.active_only = true;
        self
    }

    /// Only finished runs.
    pub fn completed_only(mut self) -> Self {
        self.completed_only = true;
        self
    }

    /// Only runs of this type.
    pub fn run_type(mut self, run_type: RunType) -> Self {
        self.run_type = Some(run_type);
        self
    }

    /// Include task runs and job clusters (`expand_tasks=true`).
    pub fn expand_tasks(mut self) -> Self {
        self.expand_tasks = true;
        self
    }

    /// Only runs started at or after this time, epoch ms.
    pub fn start_time_from(mut self, ms: i64) -> Self {
        self.start_time_from = Some(ms);
        self
    }

    /// Only runs started at or before this time, epoch ms.
    pub fn start_time_to(mut self, ms: i64) -> Self {
        self.start_time_to = Some(ms);
        self
    }

    /// Runs per page (1–25; the server's default is 20).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    fn request(&self, page_token: Option<String>) -> Request {
        let mut req = Request::get(format!("{BASE}/runs/list")).query_opt("job_id", self.job_id);
        if self.active_only {
            req = req.query("active_only", true);
        }
        if self.completed_only {
            req = req.query("completed_only", true);
        }
        if self.expand_tasks {
            req = req.query("expand_tasks", true);
        }
        req.query_opt("run_type", self.run_type.as_ref())
            .query_opt("start_time_from", self.start_time_from)
            .query_opt("start_time_to", self.start_time_to)
            .query_opt("limit", self.limit)
            .query_opt("page_token", page_token)
    }

    /// A lazy stream of pages, following `next_page_token`, as the server sends them.
    pub fn pages(self) -> PageStream<Run> {
        paginate::token_pages(move |token| {
            let req = self.request(token);
            let client = self.api.client.clone();
            async move {
                let resp: ListRunsResponse = client.call(req).await?;
                Ok(TokenPage {
                    items: resp.runs,
                    next_page_token: resp.next_page_token,
                })
            }
        })
    }

    /// A lazy stream of runs, each once (a run repeated across a page boundary while runs start
    /// is dropped). With `expand_tasks`, a run marked `has_more` is completed with
    /// [`JobsApi::get_run`].
    pub fn items(self) -> ItemStream<Run> {
        let api = self.api.clone();
        let expand = self.expand_tasks;
        let items = paginate::dedup_by_key(paginate::items(self.pages()), |r: &Run| r.run_id);
        if !expand {
            return items;
        }
        Box::pin(items.and_then(move |mut run| {
            let api = api.clone();
            async move {
                if run.has_more == Some(true) {
                    let full = api.get_run(run.run_id).await?;
                    run.tasks = full.tasks;
                    run.job_clusters = full.job_clusters;
                    run.job_parameters = full.job_parameters;
                    run.repair_history = full.repair_history;
                }
                run.has_more = None;
                Ok(run)
            }
        }))
    }
}

#[cfg(test)]
mod tests;
