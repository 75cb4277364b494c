//! Unit tests against a replay transport: request shapes, decoding, unknown fields, paging,
//! merged pages, waiters.

use std::time::Duration;

use dbx_core::testing::{RecordedRequest, ReplayTransport};
use dbx_core::wait::PollPolicy;
use dbx_core::{Client, Config};
use futures::TryStreamExt;
use serde_json::{json, Value};

use super::*;

fn api(t: &ReplayTransport) -> JobsApi {
    let config = Config::builder()
        .host("https://example.cloud.databricks.com")
        .token("dapi-test")
        .build()
        .expect("config");
    JobsApi::new(Client::with_transport(config, t.clone())).with_wait_policy(
        PollPolicy::new(Duration::from_secs(600)).interval(Duration::from_secs(1)),
    )
}

fn sent(r: &RecordedRequest) -> (String, String, Option<String>, Value) {
    (
        r.method.to_string(),
        r.path.clone(),
        r.query.clone(),
        r.json(),
    )
}

fn run(life: &str, result: Option<&str>, tasks: Value) -> Value {
    let mut state = json!({"life_cycle_state": life, "state_message": ""});
    if let Some(r) = result {
        state["result_state"] = json!(r);
    }
    json!({"run_id": 40, "job_id": 12, "state": state, "tasks": tasks})
}

fn task(key: &str, id: i64, life: &str, result: Option<&str>, msg: &str) -> Value {
    let mut state = json!({"life_cycle_state": life, "state_message": msg});
    if let Some(r) = result {
        state["result_state"] = json!(r);
    }
    json!({"task_key": key, "run_id": id, "state": state, "attempt_number": 0})
}

#[tokio::test]
async fn create_sends_multi_task_settings() {
    let t = ReplayTransport::new().respond_json(200, json!({"job_id": 12}));
    let settings = JobSettings::new("nightly")
        .job_cluster(JobCluster::new(
            "main",
            dbx_clusters::ClusterSpec::new("15.4.x-scala2.12")
                .node_type_id("i3.xlarge")
                .num_workers(2),
        ))
        .task(
            Task::notebook("ingest", "/Shared/ingest")
                .job_cluster_key("main")
                .retries(2, 1000, true),
        )
        .task(
            Task::spark_python("report", "dbfs:/r.py")
                .existing_cluster_id("c1")
                .depends_on(["ingest"])
                .run_if(RunIf::AllDone),
        )
        .schedule(CronSchedule::new("0 0 * * * ?", "UTC").pause_status(PauseStatus::Unpaused))
        .email_notifications(EmailNotifications::default().on_failure(["a@example.com"]))
        .parameter("date", "today")
        .queue(true)
        .run_as(RunAs::user("me@example.com"))
        .tag("team", "data")
        .max_concurrent_runs(2)
        .timeout_seconds(3600);
    let id = api(&t).create(&settings).await.expect("create");
    assert_eq!(id, JobId(12));
    let r = t.requests();
    assert_eq!(
        sent(&r[0]),
        (
            "POST".into(),
            "/api/2.2/jobs/create".into(),
            None,
            json!({
                "name": "nightly",
                "job_clusters": [{"job_cluster_key": "main", "new_cluster": {
                    "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 2}}],
                "tasks": [
                    {"task_key": "ingest", "job_cluster_key": "main",
                     "notebook_task": {"notebook_path": "/Shared/ingest"},
                     "max_retries": 2, "min_retry_interval_millis": 1000, "retry_on_timeout": true},
                    {"task_key": "report", "existing_cluster_id": "c1",
                     "depends_on": [{"task_key": "ingest"}], "run_if": "ALL_DONE",
                     "spark_python_task": {"python_file": "dbfs:/r.py"}}
                ],
                "schedule": {"quartz_cron_expression": "0 0 * * * ?", "timezone_id": "UTC", "pause_status": "UNPAUSED"},
                "email_notifications": {"on_failure": ["a@example.com"]},
                "parameters": [{"name": "date", "default": "today"}],
                "queue": {"enabled": true},
                "run_as": {"user_name": "me@example.com"},
                "tags": {"team": "data"},
                "max_concurrent_runs": 2,
                "timeout_seconds": 3600
            })
        )
    );
    // A create is not repeated after a timeout.
    assert!(!r.is_empty());
}

#[test]
fn unknown_fields_and_task_kinds_round_trip() {
    let wire = json!({
        "name": "x",
        "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 10}]},
        "edit_mode": "UI_LOCKED",
        "tasks": [
            {"task_key": "d", "dashboard_task": {"dashboard_id": "abc"}, "existing_cluster_id": "c",
             "some_new_flag": true},
            {"task_key": "w", "python_wheel_task": {"package_name": "p", "entry_point": "main",
             "named_parameters": {"a": "1"}}, "job_cluster_key": "k"},
            {"task_key": "f", "for_each_task": {"inputs": "[1,2]", "concurrency": 2,
             "task": {"task_key": "f_inner", "notebook_task": {"notebook_path": "/n"}}}},
            {"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}},
            {"task_key": "s", "sql_task": {"warehouse_id": "wh", "query": {"query_id": "q"}}},
            {"task_key": "r", "run_job_task": {"job_id": 5, "job_parameters": {"x": "y"}}},
            {"task_key": "p", "pipeline_task": {"pipeline_id": "pl", "full_refresh": true}},
            {"task_key": "b", "dbt_task": {"commands": ["dbt run"], "schema": "s"}},
            {"task_key": "j", "spark_jar_task": {"main_class_name": "Main", "parameters": ["a"]}},
            {"task_key": "ss", "spark_submit_task": {"parameters": ["--class", "Main"]}}
        ],
        "format": "MULTI_TASK",
        "trigger": {"pause_status": "PAUSED", "periodic": {"interval": 1, "unit": "HOURS"}},
        "continuous": {"pause_status": "PAUSED"}
    });
    let s: JobSettings = serde_json::from_value(wire.clone()).expect("decode");
    assert!(matches!(
        s.tasks[0].kind(),
        TaskKind::Other("dashboard_task", _)
    ));
    assert!(matches!(s.tasks[1].kind(), TaskKind::PythonWheel(_)));
    assert!(matches!(s.tasks[2].kind(), TaskKind::ForEach(f) if f.task.task_key == "f_inner"));
    assert!(matches!(s.tasks[3].kind(), TaskKind::Condition(c) if c.op == ConditionOp::EqualTo));
    assert!(matches!(s.tasks[4].kind(), TaskKind::Sql(_)));
    assert!(matches!(s.tasks[5].kind(), TaskKind::RunJob(r) if r.job_id == JobId(5)));
    assert!(matches!(s.tasks[6].kind(), TaskKind::Pipeline(_)));
    assert!(matches!(s.tasks[7].kind(), TaskKind::Dbt(_)));
    assert!(matches!(s.tasks[8].kind(), TaskKind::SparkJar(_)));
    assert!(matches!(s.tasks[9].kind(), TaskKind::SparkSubmit(_)));
    assert_eq!(Task::new("none").kind(), TaskKind::None);
    assert_eq!(s.format, Some(Format::MultiTask));
    assert_eq!(serde_json::to_value(&s).expect("encode"), wire);
}

#[test]
fn a_run_with_new_states_and_codes_decodes() {
    let r: Run = serde_json::from_value(json!({
        "run_id": 1, "state": {"life_cycle_state": "SOMETHING_NEW", "result_state": "ALSO_NEW"},
        "status": {"state": "TERMINATED", "termination_details":
            {"code": "BRAND_NEW_CODE", "type": "CLIENT_ERROR", "message": "m"}},
        "trigger": "MODEL", "run_type": "JOB_RUN", "tasks": null, "cluster_spec": {"existing_cluster_id": "c"}
    }))
    .expect("decode");
    assert_eq!(
        r.life_cycle_state(),
        LifeCycleState::Unknown("SOMETHING_NEW".into())
    );
    assert_eq!(
        r.result_state(),
        Some(&ResultState::Unknown("ALSO_NEW".into()))
    );
    let details = r
        .status
        .as_ref()
        .and_then(|s| s.termination_details.as_ref())
        .expect("details");
    assert_eq!(
        details.code,
        Some(TerminationCode::Unknown("BRAND_NEW_CODE".into()))
    );
    assert_eq!(details.kind, Some(TerminationType::ClientError));
    assert!(r.tasks.is_empty());
    assert!(r.extra.contains_key("cluster_spec"));
}

#[tokio::test]
async fn every_simple_endpoint_sends_what_the_api_expects() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({}))
        .respond_json(200, json!({}))
        .respond_json(200, json!({}))
        .respond_json(200, json!({"run_id": 40, "number_in_job": 40}))
        .respond_json(200, json!({"run_id": 41}))
        .respond_json(200, json!({}))
        .respond_json(200, json!({}))
        .respond_json(200, json!({}))
        .respond_json(200, json!({"repair_id": 7}))
        .respond_json(
            200,
            json!({"views": [{"content": "<html/>", "name": "n", "type": "NOTEBOOK"}]}),
        )
        .respond_json(
            200,
            json!({"notebook_output": {"result": "42", "truncated": false},
                                  "metadata": {"run_id": 43}}),
        );
    let jobs = api(&t);
    jobs.reset(JobId(12), &JobSettings::new("n"))
        .await
        .expect("reset");
    jobs.update(
        JobId(12),
        &JobSettings::default().timeout_seconds(5),
        &["tasks/old"],
    )
    .await
    .expect("update");
    jobs.delete(JobId(12)).await.expect("delete");
    let started = jobs
        .run_now(
            &RunNow::new(JobId(12))
                .job_parameter("d", "1")
                .jar_params(["a"])
                .python_params(["p"])
                .python_named_param("k", "v")
                .spark_submit_params(["--x"])
                .sql_param("s", "t")
                .dbt_commands(["dbt run"])
                .pipeline_params(json!({"full_refresh": true}))
                .idempotency_token("tok")
                .only(["t1"])
                .queue(false),
        )
        .await
        .expect("run-now");
    assert_eq!(started.run_id, RunId(40));
    let submitted = jobs
        .submit(&SubmitRun::new("once").task(Task::notebook("t", "/n").existing_cluster_id("c")))
        .await
        .expect("submit");
    assert_eq!(submitted, RunId(41));
    jobs.cancel_run(RunId(40)).await.expect("cancel");
    jobs.cancel_all_runs(Some(JobId(12)), true)
        .await
        .expect("cancel-all");
    jobs.delete_run(RunId(40)).await.expect("delete run");
    let repair = jobs
        .repair_run(
            &RepairRun::new(RunId(40))
                .rerun_tasks(["t1"])
                .rerun_dependent_tasks()
                .latest_repair_id(3),
        )
        .await
        .expect("repair");
    assert_eq!(repair, 7);
    let views = jobs
        .export_run(RunId(43), ViewsToExport::All)
        .await
        .expect("export");
    assert_eq!(views[0].kind, Some(ViewType::Notebook));
    let out = jobs.get_run_output(RunId(43)).await.expect("output");
    assert_eq!(
        out.notebook_output.and_then(|o| o.result).as_deref(),
        Some("42")
    );

    let r: Vec<_> = t.requests().iter().map(sent).collect();
    let p = "/api/2.2/jobs";
    assert_eq!(
        r[0],
        (
            "POST".into(),
            format!("{p}/reset"),
            None,
            json!({"job_id": 12, "new_settings": {"name": "n"}})
        )
    );
    assert_eq!(
        r[1],
        (
            "POST".into(),
            format!("{p}/update"),
            None,
            json!({"job_id": 12, "new_settings": {"timeout_seconds": 5}, "fields_to_remove": ["tasks/old"]})
        )
    );
    assert_eq!(
        r[2],
        (
            "POST".into(),
            format!("{p}/delete"),
            None,
            json!({"job_id": 12})
        )
    );
    assert_eq!(
        r[3],
        (
            "POST".into(),
            format!("{p}/run-now"),
            None,
            json!({
        "job_id": 12, "job_parameters": {"d": "1"}, "jar_params": ["a"], "python_params": ["p"],
        "python_named_params": {"k": "v"}, "spark_submit_params": ["--x"], "sql_params": {"s": "t"},
        "dbt_commands": ["dbt run"], "pipeline_params": {"full_refresh": true},
        "idempotency_token": "tok", "only": ["t1"], "queue": {"enabled": false}})
        )
    );
    assert_eq!(
        r[4],
        (
            "POST".into(),
            format!("{p}/runs/submit"),
            None,
            json!({
        "run_name": "once", "tasks": [{"task_key": "t", "existing_cluster_id": "c",
        "notebook_task": {"notebook_path": "/n"}}]})
        )
    );
    assert_eq!(
        r[5],
        (
            "POST".into(),
            format!("{p}/runs/cancel"),
            None,
            json!({"run_id": 40})
        )
    );
    assert_eq!(
        r[6],
        (
            "POST".into(),
            format!("{p}/runs/cancel-all"),
            None,
            json!({"job_id": 12, "all_queued_runs": true})
        )
    );
    assert_eq!(
        r[7],
        (
            "POST".into(),
            format!("{p}/runs/delete"),
            None,
            json!({"run_id": 40})
        )
    );
    assert_eq!(
        r[8],
        (
            "POST".into(),
            format!("{p}/runs/repair"),
            None,
            json!({
        "run_id": 40, "rerun_tasks": ["t1"], "rerun_dependent_tasks": true, "latest_repair_id": 3})
        )
    );
    assert_eq!(
        r[9],
        (
            "GET".into(),
            format!("{p}/runs/export"),
            Some("run_id=43&views_to_export=ALL".into()),
            Value::Null
        )
    );
    assert_eq!(
        r[10],
        (
            "GET".into(),
            format!("{p}/runs/get-output"),
            Some("run_id=43".into()),
            Value::Null
        )
    );
}

#[tokio::test]
async fn get_follows_next_page_token_and_merges() {
    let t = ReplayTransport::new()
        .respond_json(
            200,
            json!({"job_id": 12, "settings": {"name": "big",
            "tasks": [{"task_key": "a"}], "job_clusters": [{"job_cluster_key": "k1"}]},
            "next_page_token": "p2"}),
        )
        .respond_json(
            200,
            json!({"job_id": 12, "settings": {"name": "big",
            "tasks": [{"task_key": "b"}], "parameters": [{"name": "x", "default": "1"}]},
            "next_page_token": "p3"}),
        )
        .respond_json(
            200,
            json!({"job_id": 12, "settings": {"name": "big",
            "tasks": [{"task_key": "c"}], "job_clusters": [{"job_cluster_key": "k2"}]}}),
        );
    let job = api(&t).get(JobId(12)).await.expect("get");
    let keys: Vec<_> = job
        .settings
        .tasks
        .iter()
        .map(|t| t.task_key.as_str())
        .collect();
    assert_eq!(keys, ["a", "b", "c"]);
    assert_eq!(job.settings.job_clusters.len(), 2);
    assert_eq!(job.settings.parameters.len(), 1);
    assert!(!job.extra.contains_key("next_page_token"));
    let q: Vec<_> = t
        .requests()
        .iter()
        .map(|r| r.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        q,
        [
            "job_id=12",
            "job_id=12&page_token=p2",
            "job_id=12&page_token=p3"
        ]
    );
}

#[tokio::test]
async fn get_run_merges_tasks_clusters_parameters_and_history() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"run_id": 40, "tasks": [{"task_key": "a", "run_id": 41}],
            "repair_history": [{"type": "ORIGINAL"}], "next_page_token": "n"}))
        .respond_json(200, json!({"run_id": 40, "tasks": [{"task_key": "b", "run_id": 42}],
            "job_parameters": [{"name": "p", "value": "v"}], "job_clusters": [{"job_cluster_key": "k"}]}));
    let run = api(&t).get_run(RunId(40)).await.expect("get run");
    assert_eq!(run.tasks.len(), 2);
    assert_eq!(run.job_parameters[0].value.as_deref(), Some("v"));
    assert_eq!(run.job_clusters.len(), 1);
    assert_eq!(run.repair_history.len(), 1);
    assert_eq!(
        t.requests()[1].query.as_deref(),
        Some("run_id=40&page_token=n")
    );
}

#[tokio::test]
async fn get_refuses_a_repeated_page_token() {
    let t = ReplayTransport::new()
        .respond_json(
            200,
            json!({"job_id": 1, "settings": {}, "next_page_token": "same"}),
        )
        .respond_json(
            200,
            json!({"job_id": 1, "settings": {}, "next_page_token": "same"}),
        );
    let err = api(&t).get(JobId(1)).await.expect_err("loop");
    assert!(matches!(err, dbx_core::Error::PaginationLoop(_)), "{err:?}");
}

#[tokio::test]
async fn list_is_lazy_and_follows_page_tokens() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"jobs": [{"job_id": 2, "settings": {"name": "b"}}], "has_more": true, "next_page_token": "t2"}))
        .respond_json(200, json!({"jobs": [{"job_id": 2, "settings": {"name": "b"}}, {"job_id": 1, "settings": {"name": "a"}}], "has_more": false}));
    let jobs = api(&t);
    let stream = jobs.list().name("a").limit(1).items();
    assert!(
        t.requests().is_empty(),
        "nothing is sent before the stream is polled"
    );
    let got: Vec<_> = stream
        .map_ok(|j| j.job_id)
        .try_collect()
        .await
        .expect("list");
    assert_eq!(
        got,
        [JobId(2), JobId(1)],
        "the job repeated across pages comes once"
    );
    let q: Vec<_> = t
        .requests()
        .iter()
        .map(|r| r.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(q, ["name=a&limit=1", "name=a&limit=1&page_token=t2"]);
}

#[tokio::test]
async fn expanded_list_completes_jobs_with_more_than_a_page_of_tasks() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"jobs": [
            {"job_id": 2, "settings": {"name": "big", "tasks": [{"task_key": "a"}]}, "has_more": true},
            {"job_id": 1, "settings": {"name": "small", "tasks": [{"task_key": "z"}]}, "has_more": false}]}))
        .respond_json(200, json!({"job_id": 2, "settings": {"name": "big", "tasks": [{"task_key": "a"}]}, "next_page_token": "x"}))
        .respond_json(200, json!({"job_id": 2, "settings": {"name": "big", "tasks": [{"task_key": "b"}]}}));
    let got: Vec<Job> = api(&t)
        .list()
        .expand_tasks()
        .items()
        .try_collect()
        .await
        .expect("list");
    assert_eq!(got[0].settings.tasks.len(), 2);
    assert_eq!(got[0].has_more, None);
    assert_eq!(got[1].settings.tasks.len(), 1);
    assert_eq!(t.requests()[0].query.as_deref(), Some("expand_tasks=true"));
}

#[tokio::test]
async fn list_runs_sends_every_filter() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"runs": [{"run_id": 5}], "has_more": false}));
    let got: Vec<Run> = api(&t)
        .list_runs()
        .job_id(JobId(12))
        .completed_only()
        .run_type(RunType::SubmitRun)
        .expand_tasks()
        .start_time_from(1000)
        .start_time_to(2000)
        .limit(25)
        .items()
        .try_collect()
        .await
        .expect("runs");
    assert_eq!(got[0].run_id, RunId(5));
    assert_eq!(
        t.requests()[0].query.as_deref(),
        Some("job_id=12&completed_only=true&expand_tasks=true&run_type=SUBMIT_RUN&start_time_from=1000&start_time_to=2000&limit=25")
    );
}

#[tokio::test]
async fn find_job_by_name_keeps_exact_matches_and_refuses_ambiguity() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"jobs": [{"job_id": 3, "settings": {"name": "Nightly"}}, {"job_id": 2, "settings": {"name": "nightly"}}]}))
        .respond_json(200, json!({"jobs": [{"job_id": 3, "settings": {"name": "x"}}, {"job_id": 2, "settings": {"name": "x"}}]}))
        .respond_json(200, json!({}));
    let jobs = api(&t);
    let found = jobs.find_job_by_name("nightly").await.expect("find");
    assert_eq!(found.map(|j| j.job_id), Some(JobId(2)));
    let err = jobs.find_job_by_name("x").await.expect_err("ambiguous");
    assert!(
        matches!(&err, JobError::AmbiguousName { job_ids, .. } if job_ids == &[JobId(3), JobId(2)]),
        "{err}"
    );
    assert!(jobs.find_job_by_name("none").await.expect("none").is_none());
    assert_eq!(t.requests()[0].query.as_deref(), Some("name=nightly"));
}

#[tokio::test(start_paused = true)]
async fn run_now_and_wait_polls_to_success() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"run_id": 40, "number_in_job": 40}))
        .respond_json(200, run("PENDING", None, json!([])))
        .respond_json(200, run("RUNNING", None, json!([])))
        .respond_json(
            200,
            run(
                "TERMINATED",
                Some("SUCCESS"),
                json!([task("a", 41, "TERMINATED", Some("SUCCESS"), "")]),
            ),
        );
    let got = api(&t)
        .run_now_and_wait(&RunNow::new(JobId(12)))
        .await
        .expect("success");
    assert!(got.is_success());
    assert_eq!(got.tasks.len(), 1);
    assert_eq!(
        t.requests().len(),
        4,
        "no extra read when the last page is the whole run"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_multi_task_run_names_each_failed_task_and_its_error() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"run_id": 40}))
        .respond_json(
            200,
            run(
                "TERMINATED",
                Some("FAILED"),
                json!([
                    task("ingest", 41, "TERMINATED", Some("SUCCESS"), ""),
                    task(
                        "report",
                        42,
                        "TERMINATED",
                        Some("FAILED"),
                        "Workload failed"
                    ),
                    task(
                        "after",
                        43,
                        "SKIPPED",
                        Some("UPSTREAM_FAILED"),
                        "Upstream failed"
                    ),
                ]),
            ),
        )
        .respond_json(
            200,
            json!({"error": "ZeroDivisionError: division by zero", "metadata": {"run_id": 42}}),
        );
    let err = api(&t)
        .submit_and_wait(&SubmitRun::new("x"))
        .await
        .expect_err("failed");
    assert!(err.is_failed());
    assert_eq!(err.result_state(), Some(&ResultState::Failed));
    let failed = err.failed_tasks();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].task_key, "report");
    assert_eq!(
        failed[0].error.as_deref(),
        Some("ZeroDivisionError: division by zero")
    );
    assert!(
        err.to_string()
            .contains("failed tasks: report FAILED: ZeroDivisionError"),
        "{err}"
    );
    assert_eq!(t.requests()[2].query.as_deref(), Some("run_id=42"));
}

#[tokio::test(start_paused = true)]
async fn skipped_internal_error_timedout_and_canceled_runs_are_failures() {
    for (life, result) in [
        ("SKIPPED", None),
        ("INTERNAL_ERROR", None),
        ("TERMINATED", Some("TIMEDOUT")),
        ("TERMINATED", Some("CANCELED")),
    ] {
        let t = ReplayTransport::new().respond_json(200, run(life, result, json!([])));
        let err = api(&t).wait_run(RunId(40)).await.expect_err(life);
        match err {
            JobError::RunFailed {
                life_cycle_state,
                result_state,
                ..
            } => {
                assert_eq!(life_cycle_state.as_str(), life);
                assert_eq!(result_state.as_ref().map(|r| r.as_str()), result);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_task_whose_output_cannot_be_read_keeps_its_state_message() {
    let t = ReplayTransport::new()
        .respond_json(
            200,
            run(
                "TERMINATED",
                Some("FAILED"),
                json!([task("a", 41, "INTERNAL_ERROR", None, "Cluster gone")]),
            ),
        )
        .respond_json(
            400,
            json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "no output"}),
        );
    let err = api(&t).wait_run(RunId(40)).await.expect_err("failed");
    assert_eq!(err.failed_tasks()[0].error, None);
    assert!(
        err.to_string().contains("a INTERNAL_ERROR: Cluster gone"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_waiter_times_out_with_the_last_state() {
    let mut t = ReplayTransport::new();
    for _ in 0..100 {
        t = t.respond_json(200, run("RUNNING", None, json!([])));
    }
    let jobs = api(&t).with_wait_policy(PollPolicy::new(Duration::from_secs(30)));
    let err = jobs.wait_run(RunId(40)).await.expect_err("timeout");
    assert!(err.is_timeout());
    assert!(
        err.to_string().contains("last state seen: RUNNING"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn cancel_and_wait_returns_the_canceled_run_and_repair_and_wait_the_repaired_one() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({}))
        .respond_json(200, run("TERMINATING", None, json!([])))
        .respond_json(200, run("TERMINATED", Some("CANCELED"), json!([])))
        .respond_json(200, json!({"repair_id": 1}))
        .respond_json(200, run("TERMINATED", Some("SUCCESS"), json!([])));
    let jobs = api(&t);
    let canceled = jobs.cancel_and_wait(RunId(40)).await.expect("ended");
    assert_eq!(canceled.result_state(), Some(&ResultState::Canceled));
    let repaired = jobs
        .repair_and_wait(&RepairRun::new(RunId(40)).rerun_all_failed_tasks())
        .await
        .expect("repaired");
    assert!(repaired.is_success());
    let paths: Vec<_> = t.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths[3], "/api/2.2/jobs/runs/repair");
}

#[tokio::test]
async fn run_outputs_reads_the_latest_attempt_of_each_task() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"notebook_output": {"result": "b2"}}))
        .respond_json(200, json!({"notebook_output": {"result": "a"}}));
    let r: Run = serde_json::from_value(json!({"run_id": 40, "tasks": [
        {"task_key": "b", "run_id": 50, "attempt_number": 0},
        {"task_key": "a", "run_id": 51, "attempt_number": 0},
        {"task_key": "b", "run_id": 52, "attempt_number": 1},
        {"task_key": "never"}
    ]}))
    .expect("run");
    let outs = api(&t).run_outputs(&r).await.expect("outputs");
    let got: Vec<_> = outs
        .iter()
        .map(|(t, o)| {
            (
                t.task_key.clone(),
                o.notebook_output.as_ref().and_then(|n| n.result.clone()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("b".to_string(), Some("b2".to_string())),
            ("a".into(), Some("a".into()))
        ]
    );
    let q: Vec<_> = t
        .requests()
        .iter()
        .map(|r| r.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(q, ["run_id=52", "run_id=51"]);
}

#[tokio::test]
async fn errors_keep_the_service_words() {
    let t = ReplayTransport::new().respond_json(
        400,
        json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "Job 999 does not exist."}),
    );
    let err = api(&t).get(JobId(999)).await.expect_err("missing");
    assert!(err.is_not_found() || err.is_invalid_parameter(), "{err:?}");
    assert!(err.to_string().contains("Job 999 does not exist."));
}

#[tokio::test]
async fn delete_many_tries_every_job_and_reports_each() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({}))
        .respond_json(
            400,
            json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "Job 2 does not exist."}),
        )
        .respond_json(200, json!({}));
    let out = api(&t).delete_many(&[JobId(1), JobId(2), JobId(3)]).await;
    let ok: Vec<_> = out.iter().map(|(id, r)| (id.0, r.is_ok())).collect();
    assert_eq!(ok, [(1, true), (2, false), (3, true)]);
}
