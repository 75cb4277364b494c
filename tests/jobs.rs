//! Contract scenarios for the Jobs API: dbx-jobs against the emulator.
//!
//! Every endpoint's request and response JSON is pinned by a snapshot (times and cluster ids
//! redacted; job and run ids are deterministic in-process). Runs execute notebooks imported
//! into the workspace: `dbutils.notebook.exit("…")` gives the task's output, a top-level
//! `raise` fails it, a missing notebook fails it with the service's words.
//!
//! Portable scenarios run real jobs on a real workspace (small job clusters; every job is
//! deleted at the end). In-process they freeze the emulator's clock and move it forward
//! before each wait ([`settle`]), so that a waiter's first poll sees the run's end; the
//! emulator-only scenarios follow tokio's paused clock instead, or advance the clock by hours
//! and days (schedules, retries, timeouts, concurrency limits).

use std::time::Duration;

use dbx_clusters::{ClusterSpec, ClustersApi, NodeTypeQuery, SparkVersionQuery};
use dbx_contract_tests::{portable, snapshot, Harness};
use dbx_core::wait::PollPolicy;
use dbx_core::Error;
use dbx_jobs::{
    JobCluster, JobError, JobId, JobSettings, JobsApi, LifeCycleState, RepairRun, ResultState, Run,
    RunId, RunIf, RunNow, RunType, SubmitRun, Task, TaskKind, TriggerType, ViewsToExport,
};
use dbx_mock_server::{ClockMode, Emulator, JobDelays, ScriptedOutcome};
use dbx_workspace::{Format, Language, WorkspaceApi};
use futures::TryStreamExt;
use serde_json::{json, Map, Value};

fn status(e: &Error) -> u16 {
    e.status().map(|s| s.as_u16()).unwrap_or(0)
}

/// `(status, error_code)` of an error.
fn code(e: &Error) -> (u16, &str) {
    (status(e), e.error_code().unwrap_or(""))
}

fn message(e: &Error) -> String {
    e.api().map(|a| a.message.clone()).unwrap_or_default()
}

/// The answer's keys whose values are times (or durations measured on a clock that moves).
const TIME_KEYS: &[&str] = &[
    "created_time",
    "start_time",
    "end_time",
    "setup_duration",
    "execution_duration",
    "cleanup_duration",
    "run_duration",
    "queue_duration",
    "terminated_time",
    "last_restarted_time",
    "timestamp",
];

/// Redact what changes per run: times and durations, cluster ids, Spark context ids and page
/// tokens.
fn scrub(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let out: Map<String, Value> = m
                .into_iter()
                .map(|(k, v)| {
                    let v = if TIME_KEYS.contains(&k.as_str()) && v.is_number() {
                        json!("[time]")
                    } else if (k == "cluster_id" || k == "existing_cluster_id") && v.is_string() {
                        json!("[cluster]")
                    } else if k == "spark_context_id" {
                        json!("[spark_context_id]")
                    } else if k.ends_with("page_token") && v.is_string() {
                        // The emulator's tokens carry the start time of the page's first run.
                        json!("[page_token]")
                    } else {
                        scrub(v)
                    };
                    (k, v)
                })
                .collect();
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(scrub).collect()),
        other => other,
    }
}

/// Pin the captured exchanges, scrubbed, as snapshot `$name` (in-process only).
macro_rules! snap {
    ($h:expr, $name:expr) => {
        snapshot!($h, $name, scrub($h.take_exchanges()))
    };
}

/// The API over the harness' admin, polling quickly (a real workspace gets an hour, and at
/// most 10 s between polls).
fn api(h: &Harness) -> JobsApi {
    JobsApi::new(h.admin.clone()).with_wait_policy(
        PollPolicy::new(Duration::from_secs(60 * 60))
            .interval(Duration::from_millis(250))
            .max_interval(Duration::from_secs(10)),
    )
}

/// In-process: freeze the emulator's clock, so that nothing moves unless the scenario says so.
fn freeze(h: &Harness) {
    if let Some(emu) = h.emulator() {
        emu.clock().freeze();
    }
}

/// In-process: let an hour pass on the frozen clock, so that every run started so far has
/// ended when the waiter first looks; elsewhere the waiter waits for real.
fn settle(h: &Harness) {
    if let Some(emu) = h.emulator() {
        emu.clock().advance(Duration::from_secs(3600));
    }
}

/// Delete job `id` when the scenario ends.
fn cleanup_job(h: &Harness, id: JobId) {
    let api = JobsApi::new(h.admin.clone());
    h.defer(
        format!("delete job {id}"),
        async move { api.delete(id).await },
    );
}

/// A small job cluster for any workspace: the latest LTS runtime, the smallest node type with a
/// local disk, one worker.
async fn small_cluster(h: &Harness) -> ClusterSpec {
    let clusters = ClustersApi::new(h.admin.clone());
    let version = clusters
        .select_spark_version(&SparkVersionQuery::new().lts())
        .await
        .expect("LTS runtime");
    let node = clusters
        .select_node_type(&NodeTypeQuery::new().local_disk())
        .await
        .expect("node type");
    h.clear_exchanges();
    ClusterSpec::new(version)
        .node_type_id(node)
        .num_workers(1)
        .custom_tag("purpose", "dbx-rs contract test")
}

/// Import a Python notebook at `{root}/{name}` (replacing any) and return its path.
async fn notebook(h: &Harness, name: &str, source: &str) -> String {
    let root = h.workspace_root().await;
    let path = format!("{root}/{}", h.name(name));
    WorkspaceApi::new(h.admin.clone())
        .import(
            path.clone(),
            format!("# Databricks notebook source\n{source}\n"),
        )
        .format(Format::Source)
        .language(Language::Python)
        .overwrite(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("import {path}: {e}"));
    h.clear_exchanges();
    path
}

fn result_of(run: &Run, key: &str) -> Option<ResultState> {
    run.task(key).and_then(|t| t.result_state().cloned())
}

portable!(
    job_crud_and_unknown_fields,
    a_dag_with_a_failing_task_outputs_and_repair,
    submit_outputs_export_and_delete,
    cancel_and_cancel_all,
    list_runs_filters_and_pages,
    more_than_a_hundred_tasks_come_back_whole,
    job_errors,
);

async fn job_crud_and_unknown_fields(h: &Harness) {
    freeze(h);
    let api = api(h);
    let cluster = small_cluster(h).await;
    let name = h.name("crud");
    let settings = JobSettings::new(&name)
        .description("dbx-rs contract test")
        .job_cluster(JobCluster::new("main", cluster))
        .task(Task::notebook("first", "/Shared/never-run").job_cluster_key("main"))
        .task(
            Task::notebook("second", "/Shared/never-run-either")
                .job_cluster_key("main")
                .depends_on(["first"])
                .run_if(RunIf::AllDone),
        )
        .max_concurrent_runs(2)
        .timeout_seconds(3600)
        .parameter("date", "today")
        .tag("purpose", "contract");
    let id = api.create(&settings).await.expect("create");
    cleanup_job(h, id);
    snap!(h, "create");

    let job = api.get(id).await.expect("get");
    assert_eq!(job.job_id, id);
    assert_eq!(job.name(), name);
    assert!(job.creator_user_name.is_some());
    assert!(job.created_time.unwrap_or(0) > 0);
    let keys: Vec<_> = job
        .settings
        .tasks
        .iter()
        .map(|t| t.task_key.as_str())
        .collect();
    assert_eq!(keys, ["first", "second"]);
    assert_eq!(job.settings.max_concurrent_runs, Some(2));
    assert_eq!(job.settings.parameters[0].name, "date");
    assert_eq!(
        job.settings.tags.get("purpose").map(String::as_str),
        Some("contract")
    );
    assert_eq!(
        job.settings
            .task_by_key("second")
            .and_then(|t| t.run_if.clone()),
        Some(RunIf::AllDone)
    );
    // Jobs created through 2.2 queue by default (catalogue §7.5).
    assert_eq!(job.settings.queue.map(|q| q.enabled), Some(true));
    snap!(h, "get");

    // list: by name, the stream and the helper.
    let listed: Vec<_> = api
        .list()
        .name(&name)
        .items()
        .try_collect()
        .await
        .expect("list");
    assert_eq!(listed.iter().map(|j| j.job_id).collect::<Vec<_>>(), [id]);
    assert!(
        listed[0].settings.tasks.is_empty(),
        "no tasks without expand_tasks"
    );
    let expanded: Vec<_> = api
        .list()
        .name(&name)
        .expand_tasks()
        .items()
        .try_collect()
        .await
        .expect("list expanded");
    assert_eq!(expanded[0].settings.tasks.len(), 2);
    let found = api.find_job_by_name(&name).await.expect("find");
    assert_eq!(found.map(|j| j.job_id), Some(id));
    assert!(api
        .find_job_by_name(&h.name("no-such-job"))
        .await
        .expect("find none")
        .is_none());
    snap!(h, "list");

    // update: top-level fields replaced, tasks merged by key, fields removed.
    api.update(
        id,
        &JobSettings::default()
            .timeout_seconds(600)
            .task(Task::notebook("first", "/Shared/renamed").job_cluster_key("main")),
        &["tasks/second", "tags"],
    )
    .await
    .expect("update");
    let job = api.get(id).await.expect("get after update");
    assert_eq!(job.settings.timeout_seconds, Some(600));
    assert_eq!(job.settings.max_concurrent_runs, Some(2), "kept");
    assert_eq!(job.settings.tasks.len(), 1);
    match job.settings.tasks[0].kind() {
        TaskKind::Notebook(n) => assert_eq!(n.notebook_path, "/Shared/renamed"),
        other => panic!("{other:?}"),
    }
    assert!(job.settings.tags.is_empty());
    snap!(h, "update");

    // reset: the whole settings replaced; get → change → reset keeps everything else.
    let mut new_settings = job.settings.clone().max_concurrent_runs(1);
    new_settings.name = Some(h.name("crud-reset"));
    api.reset(id, &new_settings).await.expect("reset");
    let job = api.get(id).await.expect("get after reset");
    assert_eq!(job.name(), h.name("crud-reset"));
    assert_eq!(job.settings.max_concurrent_runs, Some(1));
    assert_eq!(job.settings.timeout_seconds, Some(600));
    snap!(h, "reset");

    api.delete(id).await.expect("delete");
    let e = api.get(id).await.expect_err("deleted");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    assert_eq!(message(&e), format!("Job {id} does not exist."));
    snap!(h, "delete");
}

async fn a_dag_with_a_failing_task_outputs_and_repair(h: &Harness) {
    freeze(h);
    let api = api(h);
    let cluster = small_cluster(h).await;
    let ok = notebook(h, "ok", "dbutils.notebook.exit(\"42\")").await;
    let boom = notebook(h, "boom", "raise ValueError(\"boom\")").await;
    //   extract ─▶ transform (raises) ─▶ load          (ALL_SUCCESS: not run)
    //                                  ├▶ alert         (AT_LEAST_ONE_FAILED: runs)
    //                                  └▶ cleanup       (ALL_DONE: runs)
    let nb = |key: &str, path: &str| Task::notebook(key, path).job_cluster_key("main");
    let settings = JobSettings::new(h.name("dag"))
        .job_cluster(JobCluster::new("main", cluster))
        .task(nb("extract", &ok))
        .task(nb("transform", &boom).depends_on(["extract"]))
        .task(nb("load", &ok).depends_on(["transform"]))
        .task(
            nb("alert", &ok)
                .depends_on(["transform"])
                .run_if(RunIf::AtLeastOneFailed),
        )
        .task(
            nb("cleanup", &ok)
                .depends_on(["transform"])
                .run_if(RunIf::AllDone),
        );
    let id = api.create(&settings).await.expect("create");
    cleanup_job(h, id);
    h.clear_exchanges();

    let started = api.run_now(&RunNow::new(id)).await.expect("run-now");
    snap!(h, "dag_run_now");
    settle(h);
    let err = api
        .wait_run(started.run_id)
        .await
        .expect_err("the DAG fails");
    let JobError::RunFailed {
        run_id,
        life_cycle_state,
        result_state,
        failed_tasks,
        run,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(*run_id, started.run_id);
    assert_eq!(*life_cycle_state, LifeCycleState::Terminated);
    assert_eq!(*result_state, Some(ResultState::Failed));
    assert_eq!(failed_tasks.len(), 1, "{failed_tasks:?}");
    assert_eq!(failed_tasks[0].task_key, "transform");
    let error = failed_tasks[0].error.clone().unwrap_or_default();
    assert!(error.contains("boom"), "{error}");
    assert_eq!(result_of(run, "extract"), Some(ResultState::Success));
    assert_eq!(result_of(run, "transform"), Some(ResultState::Failed));
    assert_eq!(result_of(run, "load"), Some(ResultState::UpstreamFailed));
    assert_eq!(result_of(run, "alert"), Some(ResultState::Success));
    assert_eq!(result_of(run, "cleanup"), Some(ResultState::Success));
    assert_eq!(run.run_type, Some(RunType::JobRun));
    assert_eq!(run.trigger, Some(TriggerType::OneTime));
    snap!(h, "dag_wait_failed");

    // get-output: refused on the multi-task run, given per task run.
    let e = api
        .get_run_output(started.run_id)
        .await
        .expect_err("multi-task run");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    assert!(
        message(&e)
            .starts_with("Retrieving the output of runs with multiple tasks is not supported."),
        "{}",
        message(&e)
    );
    let outputs = api.run_outputs(run).await.expect("outputs");
    let extract = outputs
        .iter()
        .find(|(t, _)| t.task_key == "extract")
        .expect("extract output");
    assert_eq!(
        extract
            .1
            .notebook_output
            .as_ref()
            .and_then(|o| o.result.as_deref()),
        Some("42")
    );
    let transform = outputs
        .iter()
        .find(|(t, _)| t.task_key == "transform")
        .expect("transform output");
    assert!(
        transform.1.error.as_deref().unwrap_or("").contains("boom"),
        "{:?}",
        transform.1
    );
    snap!(h, "dag_outputs");

    // repair: fix the notebook, rerun the failed task and the one it held back.
    notebook(h, "boom", "dbutils.notebook.exit(\"fixed\")").await;
    let repair_id = api
        .repair_run(&RepairRun::new(started.run_id).rerun_tasks(["transform", "load"]))
        .await
        .expect("repair");
    snap!(h, "dag_repair");
    settle(h);
    let repaired = api
        .wait_run(started.run_id)
        .await
        .expect("repaired run succeeds");
    assert_eq!(
        result_of(&repaired, "transform"),
        Some(ResultState::Success)
    );
    assert_eq!(result_of(&repaired, "load"), Some(ResultState::Success));
    let full = api
        .get_run_page(started.run_id, None)
        .await
        .expect("run page");
    assert!(full.next_page_token.is_none());
    h.clear_exchanges();
    // A second repair names the latest one.
    api.repair_run(
        &RepairRun::new(started.run_id)
            .rerun_tasks(["cleanup"])
            .latest_repair_id(repair_id),
    )
    .await
    .expect("second repair");
    settle(h);
    let second = api
        .wait_run(started.run_id)
        .await
        .expect("second repair succeeds");
    assert!(second.is_success());
    h.clear_exchanges();
}

async fn submit_outputs_export_and_delete(h: &Harness) {
    freeze(h);
    let api = api(h);
    let cluster = small_cluster(h).await;
    let ok = notebook(
        h,
        "hello",
        "print(\"hello\")\ndbutils.notebook.exit(\"done\")",
    )
    .await;

    let run_id = api
        .submit(
            &SubmitRun::new(h.name("once"))
                .task(Task::notebook("only", &ok).new_cluster(cluster.clone()))
                .timeout_seconds(3600),
        )
        .await
        .expect("submit");
    snap!(h, "submit");
    settle(h);
    let run = api.wait_run(run_id).await.expect("succeeds");
    assert_eq!(run.run_type, Some(RunType::SubmitRun));
    assert_eq!(run.tasks.len(), 1);
    let task_run = run.tasks[0].run_id.expect("task run id");
    snap!(h, "submit_wait");

    let out = api.get_run_output(task_run).await.expect("output");
    assert_eq!(
        out.notebook_output.and_then(|o| o.result).as_deref(),
        Some("done")
    );
    assert_eq!(out.metadata.map(|m| m.run_id), Some(task_run));
    snap!(h, "get_output");

    let views = api
        .export_run(task_run, ViewsToExport::Code)
        .await
        .expect("export");
    assert!(!views.is_empty());
    assert!(
        views[0].content.contains("<html") || views[0].content.contains("<!DOCTYPE"),
        "HTML"
    );
    snap!(h, "export");

    // A notebook that does not exist fails the run, with the path in the service's words.
    let missing = format!("{}/{}", h.workspace_root().await, h.name("missing"));
    h.clear_exchanges();
    let missing_run = api
        .submit(
            &SubmitRun::new(h.name("missing"))
                .task(Task::notebook("only", &missing).new_cluster(cluster)),
        )
        .await
        .expect("submit");
    settle(h);
    let err = api.wait_run(missing_run).await;
    let err = err.expect_err("missing notebook");
    let failed = err.failed_tasks();
    assert_eq!(failed.len(), 1, "{err}");
    let words = format!("{:?} {:?}", failed[0].error, failed[0].state_message);
    assert!(words.contains(&missing), "{words}");
    h.clear_exchanges();

    // runs/delete: the finished run goes.
    api.delete_run(run_id).await.expect("delete run");
    let e = api.get_run(run_id).await.expect_err("deleted");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    assert_eq!(message(&e), format!("Run {run_id} does not exist."));
    snap!(h, "delete_run");
}

async fn cancel_and_cancel_all(h: &Harness) {
    freeze(h);
    let api = api(h);
    let cluster = small_cluster(h).await;
    let ok = notebook(h, "slow", "import time\ntime.sleep(600)").await;
    let id = api
        .create(
            &JobSettings::new(h.name("cancel"))
                .job_cluster(JobCluster::new("main", cluster))
                .task(Task::notebook("t", &ok).job_cluster_key("main"))
                .max_concurrent_runs(3),
        )
        .await
        .expect("create");
    cleanup_job(h, id);
    h.clear_exchanges();

    let first = api.run_now(&RunNow::new(id)).await.expect("run-now");
    api.cancel_run(first.run_id).await.expect("cancel");
    settle(h);
    let canceled = api.cancel_and_wait(first.run_id).await.expect("ended");
    assert_eq!(canceled.life_cycle_state(), LifeCycleState::Terminated);
    assert_eq!(canceled.result_state(), Some(&ResultState::Canceled));
    assert_eq!(
        canceled
            .state
            .as_ref()
            .and_then(|s| s.user_cancelled_or_timedout),
        Some(true)
    );
    snap!(h, "cancel_and_wait");

    // Waiting on a cancelled run is a failure with CANCELED.
    let e = api.wait_run(first.run_id).await.expect_err("canceled");
    assert_eq!(e.result_state(), Some(&ResultState::Canceled));
    h.clear_exchanges();

    let a = api.run_now(&RunNow::new(id)).await.expect("a");
    let b = api.run_now(&RunNow::new(id)).await.expect("b");
    api.cancel_all_runs(Some(id), false)
        .await
        .expect("cancel-all");
    snap!(h, "cancel_all");
    settle(h);
    for r in [a.run_id, b.run_id] {
        let e = api.wait_run(r).await.expect_err("canceled");
        assert_eq!(e.result_state(), Some(&ResultState::Canceled), "{e}");
    }
    h.clear_exchanges();
}

async fn list_runs_filters_and_pages(h: &Harness) {
    freeze(h);
    let api = api(h);
    let cluster = small_cluster(h).await;
    let ok = notebook(h, "quick", "dbutils.notebook.exit(\"ok\")").await;
    let id = api
        .create(
            &JobSettings::new(h.name("runs"))
                .job_cluster(JobCluster::new("main", cluster))
                .task(Task::notebook("t", &ok).job_cluster_key("main"))
                .max_concurrent_runs(5),
        )
        .await
        .expect("create");
    cleanup_job(h, id);
    let mut started = Vec::new();
    for _ in 0..3 {
        started.push(api.run_now(&RunNow::new(id)).await.expect("run-now").run_id);
    }
    h.clear_exchanges();

    // Newest first, one per page, each once.
    let all: Vec<RunId> = api
        .list_runs()
        .job_id(id)
        .limit(1)
        .items()
        .map_ok(|r| r.run_id)
        .try_collect()
        .await
        .expect("list");
    let mut newest_first = started.clone();
    newest_first.reverse();
    assert_eq!(all, newest_first);
    snap!(h, "list_runs_pages");

    let active: Vec<Run> = api
        .list_runs()
        .job_id(id)
        .active_only()
        .items()
        .try_collect()
        .await
        .expect("active");
    assert_eq!(active.len(), 3, "the runs have not ended yet");
    settle(h);
    for r in &started {
        api.wait_run(*r).await.expect("succeeds");
    }
    h.clear_exchanges();
    let active: Vec<Run> = api
        .list_runs()
        .job_id(id)
        .active_only()
        .items()
        .try_collect()
        .await
        .expect("active");
    assert!(active.is_empty());
    let completed: Vec<Run> = api
        .list_runs()
        .job_id(id)
        .completed_only()
        .expand_tasks()
        .run_type(RunType::JobRun)
        .items()
        .try_collect()
        .await
        .expect("completed");
    assert_eq!(completed.len(), 3);
    assert!(completed.iter().all(|r| r.tasks.len() == 1));
    snap!(h, "list_runs_filters");

    let e = api
        .list_runs()
        .job_id(id)
        .active_only()
        .completed_only()
        .items()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("both");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    snap!(h, "list_runs_both_filters");
}

async fn more_than_a_hundred_tasks_come_back_whole(h: &Harness) {
    freeze(h);
    let api = api(h);
    let cluster = small_cluster(h).await;
    let mut settings =
        JobSettings::new(h.name("wide")).job_cluster(JobCluster::new("main", cluster));
    for i in 0..150 {
        settings = settings
            .task(Task::notebook(format!("t{i:03}"), "/Shared/never-run").job_cluster_key("main"));
    }
    let id = api.create(&settings).await.expect("create");
    cleanup_job(h, id);
    h.clear_exchanges();

    let first = api.get_page(id, None).await.expect("first page");
    assert_eq!(first.job.settings.tasks.len(), 100);
    assert!(first.next_page_token.is_some());
    let job = api.get(id).await.expect("get");
    let keys: Vec<String> = job
        .settings
        .tasks
        .iter()
        .map(|t| t.task_key.clone())
        .collect();
    let want: Vec<String> = (0..150).map(|i| format!("t{i:03}")).collect();
    assert_eq!(keys, want);
    assert_eq!(job.settings.job_clusters.len(), 1);
    h.clear_exchanges();
}

async fn job_errors(h: &Harness) {
    let api = api(h);
    let missing = JobId(987_654_321_012);
    for e in [
        api.get(missing).await.map(drop).expect_err("get"),
        api.delete(missing).await.expect_err("delete"),
        api.run_now(&RunNow::new(missing))
            .await
            .map(drop)
            .expect_err("run-now"),
        api.reset(missing, &JobSettings::new("x"))
            .await
            .expect_err("reset"),
    ] {
        assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{e}");
        assert_eq!(message(&e), format!("Job {missing} does not exist."));
    }
    snap!(h, "unknown_job");
    let missing_run = RunId(987_654_321_012);
    for e in [
        api.get_run(missing_run)
            .await
            .map(drop)
            .expect_err("runs/get"),
        api.cancel_run(missing_run).await.expect_err("cancel"),
        api.get_run_output(missing_run)
            .await
            .map(drop)
            .expect_err("output"),
    ] {
        assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{e}");
        assert_eq!(message(&e), format!("Run {missing_run} does not exist."));
    }
    snap!(h, "unknown_run");

    let cluster = small_cluster(h).await;
    let bad = |settings: JobSettings| {
        let api = api.clone();
        async move { api.create(&settings).await.expect_err("invalid settings") }
    };
    let dup = bad(JobSettings::new(h.name("dup"))
        .task(Task::notebook("a", "/x").new_cluster(cluster.clone()))
        .task(Task::notebook("a", "/y").new_cluster(cluster.clone())))
    .await;
    assert_eq!(code(&dup), (400, "INVALID_PARAMETER_VALUE"), "{dup}");
    let dangling = bad(JobSettings::new(h.name("dangling")).task(
        Task::notebook("a", "/x")
            .new_cluster(cluster.clone())
            .depends_on(["nope"]),
    ))
    .await;
    assert_eq!(
        code(&dangling),
        (400, "INVALID_PARAMETER_VALUE"),
        "{dangling}"
    );
    let no_cluster_key = bad(JobSettings::new(h.name("nokey"))
        .task(Task::notebook("a", "/x").job_cluster_key("undefined")))
    .await;
    assert_eq!(
        code(&no_cluster_key),
        (400, "INVALID_PARAMETER_VALUE"),
        "{no_cluster_key}"
    );
    snap!(h, "invalid_settings");

    // jar_params and notebook_params together are refused.
    let id = api
        .create(
            &JobSettings::new(h.name("params"))
                .task(Task::notebook("a", "/x").new_cluster(cluster)),
        )
        .await
        .expect("create");
    cleanup_job(h, id);
    h.clear_exchanges();
    let e = api
        .run_now(&RunNow::new(id).jar_params(["a"]).notebook_param("k", "v"))
        .await
        .expect_err("both kinds");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{e}");
    snap!(h, "jar_and_notebook_params");
}

// ---------------------------------------------------------------------------------------------
// Emulator-only: the clock (tokio's, or advanced by hours and days).

/// A job cluster spec the emulator's catalogue knows.
fn emu_cluster() -> ClusterSpec {
    ClusterSpec::new("16.4.x-scala2.12")
        .node_type_id("m5d.large")
        .num_workers(1)
}

/// The emulator runs `/Shared/slow` for a day (it does not execute `time.sleep`).
fn slow_notebook() -> ScriptedOutcome {
    ScriptedOutcome {
        notebook_path: Some("/Shared/slow".into()),
        duration_ms: Some(24 * 3600 * 1000),
        ..ScriptedOutcome::default()
    }
}

async fn emu_notebook(h: &Harness, path: &str, source: &str) {
    WorkspaceApi::new(h.admin.clone())
        .import(path, format!("# Databricks notebook source\n{source}\n"))
        .format(Format::Source)
        .language(Language::Python)
        .overwrite(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("import {path}: {e}"));
}

#[tokio::test(start_paused = true)]
async fn run_now_and_wait_follows_the_clock() {
    let Some(h) = Harness::emulator_only_with("needs the emulator clock", || {
        Emulator::builder()
            .clock_mode(ClockMode::Tokio)
            .job_delays(JobDelays {
                pending: Duration::from_secs(1),
                task: Duration::from_secs(1),
                cleanup: Duration::from_millis(500),
            })
            .build()
    }) else {
        return;
    };
    emu_notebook(&h, "/Shared/ok", "dbutils.notebook.exit(\"1\")").await;
    let api = JobsApi::new(h.admin.clone());
    let mut settings =
        JobSettings::new("three").job_cluster(JobCluster::new("main", emu_cluster()));
    for (k, dep) in [("a", None), ("b", Some("a")), ("c", Some("b"))] {
        let mut t = Task::notebook(k, "/Shared/ok").job_cluster_key("main");
        if let Some(d) = dep {
            t = t.depends_on([d]);
        }
        settings = settings.task(t);
    }
    let id = api.create(&settings).await.expect("create");
    h.clear_exchanges();
    let started = tokio::time::Instant::now();
    let run = api
        .run_now_and_wait(&RunNow::new(id))
        .await
        .expect("success");
    let elapsed = started.elapsed();
    assert!(run.is_success());
    assert_eq!(run.tasks.len(), 3);
    // The tasks ran one after the other.
    let start = |k: &str| run.task(k).and_then(|t| t.start_time).unwrap_or(0);
    assert!(start("a") < start("b") && start("b") < start("c"));
    // Set-up 1 s, three tasks of 1 s, clean-up 0.5 s: the run ends at 4.5 s; the default policy
    // polls at 0, 1, 2.5 and 4.75 s.
    assert_eq!(elapsed, Duration::from_millis(4750));
    snap!(h, "run_now_and_wait_polls");
}

#[tokio::test]
async fn retries_repeat_a_failing_task() {
    let Some(h) = Harness::emulator_only("needs the emulator clock") else {
        return;
    };
    h.emu().clock().freeze();
    emu_notebook(&h, "/Shared/fails", "raise RuntimeError(\"always\")").await;
    let api = api(&h);
    let id = api
        .create(
            &JobSettings::new("retry").task(
                Task::notebook("t", "/Shared/fails")
                    .new_cluster(emu_cluster())
                    .retries(2, 1000, false),
            ),
        )
        .await
        .expect("create");
    let started = api.run_now(&RunNow::new(id)).await.expect("run-now");
    h.emu().clock().advance(Duration::from_secs(3600));
    let err = api.wait_run(started.run_id).await.expect_err("fails");
    let run = err.run().expect("run");
    let attempts: Vec<i64> = run
        .tasks
        .iter()
        .filter(|t| t.task_key == "t")
        .map(|t| t.attempt_number.unwrap_or(0))
        .collect();
    assert_eq!(attempts.iter().max(), Some(&2), "{attempts:?}");
    assert_eq!(err.failed_tasks().len(), 1, "the latest attempt only");
    assert!(err.to_string().contains("always"), "{err}");
    h.clear_exchanges();
}

#[tokio::test]
async fn concurrency_limit_skips_or_queues() {
    let Some(h) = Harness::emulator_only("needs the emulator clock") else {
        return;
    };
    h.emu().clock().freeze();
    emu_notebook(&h, "/Shared/ok", "dbutils.notebook.exit(\"1\")").await;
    let api = api(&h);
    let job = |queue: bool| {
        JobSettings::new(format!("limit-{queue}"))
            .task(Task::notebook("t", "/Shared/ok").new_cluster(emu_cluster()))
            .max_concurrent_runs(1)
            .queue(queue)
    };
    let no_queue = api.create(&job(false)).await.expect("create");
    let first = api.run_now(&RunNow::new(no_queue)).await.expect("first");
    let second = api.run_now(&RunNow::new(no_queue)).await.expect("second");
    let skipped = api.get_run(second.run_id).await.expect("get");
    assert_eq!(skipped.life_cycle_state(), LifeCycleState::Skipped);
    let e = api.wait_run(second.run_id).await.expect_err("skipped");
    assert!(
        matches!(
            &e,
            JobError::RunFailed {
                life_cycle_state: LifeCycleState::Skipped,
                ..
            }
        ),
        "{e}"
    );

    let queued_job = api.create(&job(true)).await.expect("create");
    api.run_now(&RunNow::new(queued_job)).await.expect("first");
    let waiting = api.run_now(&RunNow::new(queued_job)).await.expect("second");
    let queued = api.get_run(waiting.run_id).await.expect("get");
    assert_eq!(queued.life_cycle_state(), LifeCycleState::Queued);
    h.emu().clock().advance(Duration::from_secs(3600));
    api.wait_run(first.run_id).await.expect("first ran");
    api.wait_run(waiting.run_id)
        .await
        .expect("the queued run ran after");
    snap!(h, "concurrency");
}

#[tokio::test]
async fn an_hourly_schedule_fires_24_times_a_day() {
    let Some(h) = Harness::emulator_only("needs the emulator clock") else {
        return;
    };
    h.emu().clock().freeze();
    emu_notebook(&h, "/Shared/ok", "dbutils.notebook.exit(\"1\")").await;
    let api = api(&h);
    let id = api
        .create(
            &JobSettings::new("hourly")
                .task(Task::notebook("t", "/Shared/ok").new_cluster(emu_cluster()))
                .schedule(
                    dbx_jobs::CronSchedule::new("0 0 * * * ?", "UTC")
                        .pause_status(dbx_jobs::PauseStatus::Unpaused),
                ),
        )
        .await
        .expect("create");
    h.emu().clock().advance(Duration::from_secs(24 * 3600));
    let runs: Vec<Run> = api
        .list_runs()
        .job_id(id)
        .items()
        .try_collect()
        .await
        .expect("runs");
    assert_eq!(runs.len(), 24);
    assert!(runs
        .iter()
        .all(|r| r.trigger == Some(TriggerType::Periodic)));
    h.clear_exchanges();
}

#[tokio::test]
async fn timeout_seconds_gives_timedout_and_idempotency_the_same_run() {
    let Some(h) = Harness::emulator_only_with("needs the emulator clock", || {
        Emulator::builder()
            .script_task_outcome(slow_notebook())
            .build()
    }) else {
        return;
    };
    h.emu().clock().freeze();
    emu_notebook(&h, "/Shared/slow", "import time\ntime.sleep(100000)").await;
    let api = api(&h);
    let id = api
        .create(
            &JobSettings::new("timeout")
                .task(
                    Task::notebook("t", "/Shared/slow")
                        .new_cluster(emu_cluster())
                        .timeout_seconds(60),
                )
                .max_concurrent_runs(5),
        )
        .await
        .expect("create");
    let a = api
        .run_now(&RunNow::new(id).idempotency_token("once"))
        .await
        .expect("a");
    let b = api
        .run_now(&RunNow::new(id).idempotency_token("once"))
        .await
        .expect("b");
    assert_eq!(a.run_id, b.run_id);
    h.emu().clock().advance(Duration::from_secs(3600));
    let e = api.wait_run(a.run_id).await.expect_err("timed out");
    assert_eq!(
        e.failed_tasks()[0].result_state,
        Some(ResultState::Timedout),
        "{e}"
    );
    snap!(h, "timeout_and_idempotency");
}

#[tokio::test(start_paused = true)]
async fn cancel_and_wait_follows_the_clock() {
    let Some(h) = Harness::emulator_only_with("needs the emulator clock", || {
        Emulator::builder()
            .clock_mode(ClockMode::Tokio)
            .script_task_outcome(slow_notebook())
            .build()
    }) else {
        return;
    };
    emu_notebook(&h, "/Shared/slow", "import time\ntime.sleep(100000)").await;
    let api = JobsApi::new(h.admin.clone());
    let id = api
        .create(
            &JobSettings::new("cancel")
                .task(Task::notebook("t", "/Shared/slow").new_cluster(emu_cluster())),
        )
        .await
        .expect("create");
    let started = api.run_now(&RunNow::new(id)).await.expect("run-now");
    tokio::time::sleep(Duration::from_secs(30)).await;
    h.clear_exchanges();
    let run = api.cancel_and_wait(started.run_id).await.expect("ended");
    assert_eq!(run.result_state(), Some(&ResultState::Canceled));
    assert!(run.tasks.iter().all(|t| t
        .life_cycle_state()
        .is_some_and(LifeCycleState::is_terminal)));
    snap!(h, "cancel_and_wait_polls");
}
