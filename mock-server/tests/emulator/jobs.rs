//! The Jobs emulator (<https://docs.databricks.com/api/workspace/jobs>): CRUD on 2.0/2.1/2.2, runs on a frozen clock (DAG, run_if,
//! notebook outcomes, retries, time-outs, queueing, cancel, repair), job clusters in the
//! Clusters API, schedules firing lazily, scripted outcomes.

use std::time::Duration;

use dbx_mock_server::{Emulator, JobDelays, ScriptedOutcome, ScriptedResult};
use serde_json::{json, Value};

use crate::support::{Api, ADMIN};

/// An emulator on a frozen clock with 1 s set-up, 1 s tasks and 0.5 s clean-up, and one running
/// cluster; returns its id.
async fn setup() -> (Api, String) {
    let api = Api::with(
        Emulator::builder()
            .job_delays(JobDelays {
                pending: Duration::from_secs(1),
                task: Duration::from_secs(1),
                cleanup: Duration::from_millis(500),
            })
            .build(),
    );
    api.emu.clock().freeze();
    let r = api
        .post(
            "/api/2.0/clusters/create",
            ADMIN,
            json!({"cluster_name": "c", "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let id = r.json["cluster_id"].as_str().expect("id").to_owned();
    api.emu.finish_cluster_transitions();
    (api, id)
}

fn advance(api: &Api, secs: u64) {
    api.emu.clock().advance(Duration::from_secs(secs));
}

async fn import_notebook(api: &Api, path: &str, source: &str) {
    use base64::Engine as _;
    let r = api
        .post(
            "/api/2.0/workspace/import",
            ADMIN,
            json!({"path": path, "format": "SOURCE", "language": "PYTHON", "overwrite": true,
                   "content": base64::engine::general_purpose::STANDARD.encode(source)}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
}

async fn run_state(api: &Api, v: &str, run_id: &Value) -> Value {
    let r = api
        .get(&format!("/api/{v}/jobs/runs/get?run_id={run_id}"), ADMIN)
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json
}

fn task<'a>(run: &'a Value, key: &str) -> &'a Value {
    run["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["task_key"] == key))
        .expect("task")
}

#[tokio::test]
async fn crud_on_every_version_with_the_forms_of_7_5() {
    let (api, cluster) = setup().await;
    // 2.0 single-task form.
    let r = api
        .post(
            "/api/2.0/jobs/create",
            ADMIN,
            json!({"name": "single", "existing_cluster_id": cluster,
                   "notebook_task": {"notebook_path": "/Shared/nb"}, "max_retries": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let single = r.json["job_id"].clone();
    let r = api
        .get(&format!("/api/2.0/jobs/get?job_id={single}"), ADMIN)
        .await;
    assert_eq!(
        r.json["settings"]["notebook_task"]["notebook_path"],
        "/Shared/nb"
    );
    assert_eq!(r.json["settings"]["format"], "SINGLE_TASK");
    let r = api
        .get(&format!("/api/2.1/jobs/get?job_id={single}"), ADMIN)
        .await;
    assert_eq!(
        r.json["settings"]["tasks"][0]["notebook_task"]["notebook_path"],
        "/Shared/nb"
    );
    assert!(r.json["settings"].get("notebook_task").is_none());
    // 2.1 refuses the single-task form.
    let r = api
        .post(
            "/api/2.1/jobs/create",
            ADMIN,
            json!({"name": "x", "existing_cluster_id": cluster, "notebook_task": {"notebook_path": "/a"}}),
        )
        .await;
    assert_eq!(r.error().0, 400);
    assert_eq!(r.json["error_code"], "INVALID_PARAMETER_VALUE");
    // 2.2 multi-task, queue on by default.
    let r = api
        .post(
            "/api/2.2/jobs/create",
            ADMIN,
            json!({"name": "multi", "tasks": [
                {"task_key": "a", "existing_cluster_id": cluster, "notebook_task": {"notebook_path": "/a"}},
                {"task_key": "b", "depends_on": [{"task_key": "a"}], "existing_cluster_id": cluster,
                 "spark_python_task": {"python_file": "dbfs:/x.py"}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let multi = r.json["job_id"].clone();
    let r = api
        .get(&format!("/api/2.2/jobs/get?job_id={multi}"), ADMIN)
        .await;
    assert_eq!(r.json["settings"]["queue"], json!({"enabled": true}));
    assert_eq!(r.json["settings"]["format"], "MULTI_TASK");
    // Validation errors.
    for (body, needle) in [
        (
            json!({"tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/a"}, "existing_cluster_id": "nope"}]}),
            "Cluster nope does not exist",
        ),
        (
            json!({"tasks": [{"task_key": "a", "existing_cluster_id": cluster, "notebook_task": {"notebook_path": "/a"}, "spark_python_task": {"python_file": "x"}}]}),
            "exactly one task type",
        ),
        (
            json!({"tasks": [{"task_key": "a", "existing_cluster_id": cluster, "notebook_task": {"notebook_path": "/a"}, "depends_on": [{"task_key": "zz"}]}]}),
            "zz",
        ),
        (
            json!({"tasks": [
            {"task_key": "a", "existing_cluster_id": cluster, "notebook_task": {"notebook_path": "/a"}, "depends_on": [{"task_key": "b"}]},
            {"task_key": "b", "existing_cluster_id": cluster, "notebook_task": {"notebook_path": "/a"}, "depends_on": [{"task_key": "a"}]}]}),
            "cycle",
        ),
        (
            json!({"tasks": [{"task_key": "a", "job_cluster_key": "k", "notebook_task": {"notebook_path": "/a"}}]}),
            "job cluster k",
        ),
        (json!({"max_concurrent_runs": 1001}), "max_concurrent_runs"),
        (
            json!({"schedule": {"quartz_cron_expression": "0 0 * * *", "timezone_id": "UTC"}}),
            "quartz_cron_expression",
        ),
        (
            json!({"schedule": {"quartz_cron_expression": "0 0 * * * ?", "timezone_id": "Mars/Base"}}),
            "timezone_id",
        ),
    ] {
        let r = api.post("/api/2.1/jobs/create", ADMIN, body).await;
        assert_eq!(
            r.json["error_code"], "INVALID_PARAMETER_VALUE",
            "{}",
            r.json
        );
        assert!(
            r.json["message"]
                .as_str()
                .is_some_and(|m| m.contains(needle)),
            "{}",
            r.json
        );
    }
    // list: everything on 2.0, paged on 2.1.
    let r = api.get("/api/2.0/jobs/list", ADMIN).await;
    assert_eq!(r.json["jobs"].as_array().map(Vec::len), Some(2));
    let r = api.get("/api/2.1/jobs/list?limit=1", ADMIN).await;
    assert_eq!(r.json["jobs"][0]["job_id"], multi);
    assert_eq!(r.json["has_more"], true);
    assert!(r.json["jobs"][0]["settings"].get("tasks").is_none());
    let tok = r.json["next_page_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let r = api
        .get(
            &format!("/api/2.2/jobs/list?limit=1&page_token={tok}&expand_tasks=true"),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["jobs"][0]["job_id"], single);
    assert_eq!(r.json["has_more"], false);
    assert!(r.json["prev_page_token"].is_string());
    let r = api.get("/api/2.1/jobs/list?name=MULTI", ADMIN).await;
    assert_eq!(r.json["jobs"].as_array().map(Vec::len), Some(1));
    // update merges tasks by key and removes fields; reset replaces.
    let r = api
        .post(
            "/api/2.1/jobs/update",
            ADMIN,
            json!({"job_id": multi, "new_settings": {"tasks": [{"task_key": "c", "existing_cluster_id": cluster,
                   "notebook_task": {"notebook_path": "/c"}}], "tags": {"t": "1"}}, "fields_to_remove": ["tasks/b"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api
        .get(&format!("/api/2.1/jobs/get?job_id={multi}"), ADMIN)
        .await;
    let keys: Vec<&str> = r.json["settings"]["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["task_key"].as_str())
        .collect();
    assert_eq!(keys, ["a", "c"]);
    assert_eq!(r.json["settings"]["tags"], json!({"t": "1"}));
    let r = api
        .post(
            "/api/2.1/jobs/reset",
            ADMIN,
            json!({"job_id": multi, "new_settings": {"name": "renamed"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api
        .get(&format!("/api/2.1/jobs/get?job_id={multi}"), ADMIN)
        .await;
    assert_eq!(r.json["settings"]["name"], "renamed");
    assert!(r.json["settings"].get("tasks").is_none());
    // Permissions: another user may read but not change.
    let other = api.user("other@example.com");
    let r = api
        .post("/api/2.1/jobs/delete", &other, json!({"job_id": multi}))
        .await;
    assert_eq!(r.json["error_code"], "PERMISSION_DENIED");
    // delete, then unknown.
    let r = api
        .post("/api/2.1/jobs/delete", ADMIN, json!({"job_id": multi}))
        .await;
    assert_eq!(r.status, 200);
    let r = api
        .get(&format!("/api/2.1/jobs/get?job_id={multi}"), ADMIN)
        .await;
    assert_eq!(
        r.error(),
        (
            400,
            json!("INVALID_PARAMETER_VALUE"),
            json!(format!("Job {multi} does not exist."))
        )
    );
    let r = api.get("/api/2.1/jobs/runs/get?run_id=42", ADMIN).await;
    assert_eq!(
        r.error(),
        (
            400,
            json!("INVALID_PARAMETER_VALUE"),
            json!("Run 42 does not exist.")
        )
    );
    // repair is not on 2.0.
    let r = api
        .post("/api/2.0/jobs/runs/repair", ADMIN, json!({"run_id": 1}))
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn a_dag_runs_on_the_clock_with_run_if_and_notebook_outcomes() {
    let (api, cluster) = setup().await;
    import_notebook(&api, "/Shared/ok", "# Databricks notebook source\nx = 1\n\n# COMMAND ----------\n\ndbutils.notebook.exit(\"all good\")\n").await;
    import_notebook(&api, "/Shared/bad", "raise ValueError(\"bad input\")\n").await;
    let nb = |key: &str, path: &str, deps: &[&str], run_if: &str| {
        json!({"task_key": key, "existing_cluster_id": cluster, "notebook_task": {"notebook_path": path},
               "depends_on": deps.iter().map(|d| json!({"task_key": d})).collect::<Vec<_>>(), "run_if": run_if})
    };
    let r = api
        .post(
            "/api/2.2/jobs/create",
            ADMIN,
            json!({"name": "dag", "tasks": [
                nb("ok", "/Shared/ok", &[], "ALL_SUCCESS"),
                nb("bad", "/Shared/bad", &["ok"], "ALL_SUCCESS"),
                nb("after_bad", "/Shared/ok", &["bad"], "ALL_SUCCESS"),
                nb("on_failure", "/Shared/ok", &["bad"], "AT_LEAST_ONE_FAILED"),
                nb("all_done", "/Shared/ok", &["after_bad"], "ALL_DONE"),
                nb("missing", "/Shared/nope", &["ok"], "ALL_SUCCESS"),
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let job = r.json["job_id"].clone();
    let r = api
        .post("/api/2.2/jobs/run-now", ADMIN, json!({"job_id": job}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let run_id = r.json["run_id"].clone();
    let run = run_state(&api, "2.2", &run_id).await;
    assert_eq!(run["state"]["life_cycle_state"], "PENDING");
    advance(&api, 1);
    let run = run_state(&api, "2.2", &run_id).await;
    assert_eq!(run["state"]["life_cycle_state"], "RUNNING");
    assert_eq!(task(&run, "ok")["state"]["life_cycle_state"], "RUNNING");
    assert_eq!(task(&run, "bad")["state"]["life_cycle_state"], "BLOCKED");
    advance(&api, 60);
    let run = run_state(&api, "2.2", &run_id).await;
    assert_eq!(run["state"]["life_cycle_state"], "TERMINATED", "{run}");
    assert_eq!(run["state"]["result_state"], "FAILED");
    assert_eq!(task(&run, "ok")["state"]["result_state"], "SUCCESS");
    assert_eq!(task(&run, "bad")["state"]["result_state"], "FAILED");
    assert_eq!(
        task(&run, "after_bad")["state"]["result_state"],
        "UPSTREAM_FAILED"
    );
    assert_eq!(task(&run, "on_failure")["state"]["result_state"], "SUCCESS");
    assert_eq!(task(&run, "all_done")["state"]["result_state"], "SUCCESS");
    assert_eq!(task(&run, "missing")["state"]["result_state"], "FAILED");
    assert!(task(&run, "missing")["state"]["state_message"]
        .as_str()
        .is_some_and(|m| m.contains("/Shared/nope")));
    // get-output: refused on the multi-task run, per task otherwise.
    let r = api
        .get(
            &format!("/api/2.2/jobs/runs/get-output?run_id={run_id}"),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["error_code"], "INVALID_PARAMETER_VALUE");
    assert!(r.json["message"]
        .as_str()
        .is_some_and(|m| m
            .starts_with("Retrieving the output of runs with multiple tasks is not supported.")));
    let ok = task(&run, "ok")["run_id"].clone();
    let r = api
        .get(&format!("/api/2.2/jobs/runs/get-output?run_id={ok}"), ADMIN)
        .await;
    assert_eq!(
        r.json["notebook_output"],
        json!({"result": "all good", "truncated": false})
    );
    let bad = task(&run, "bad")["run_id"].clone();
    let r = api
        .get(
            &format!("/api/2.2/jobs/runs/get-output?run_id={bad}"),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["error"], "ValueError: bad input");
    let r = api
        .get(&format!("/api/2.1/jobs/runs/export?run_id={ok}"), ADMIN)
        .await;
    assert_eq!(r.json["views"][0]["type"], "NOTEBOOK");
    assert!(r.json["views"][0]["content"]
        .as_str()
        .is_some_and(|c| c.contains("dbutils.notebook.exit")));
    // repair the failed tasks once the notebook is fixed.
    import_notebook(&api, "/Shared/bad", "print(1)\n").await;
    import_notebook(&api, "/Shared/nope", "print(1)\n").await;
    let r = api
        .post(
            "/api/2.2/jobs/runs/repair",
            ADMIN,
            json!({"run_id": run_id, "rerun_all_failed_tasks": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let repair_id = r.json["repair_id"].clone();
    advance(&api, 60);
    let r = api
        .get(
            &format!("/api/2.2/jobs/runs/get?run_id={run_id}&include_history=true"),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["state"]["result_state"], "SUCCESS", "{}", r.json);
    assert_eq!(r.json["repair_history"][0]["type"], "ORIGINAL");
    assert_eq!(r.json["repair_history"][1]["id"], repair_id);
    let r = api
        .post(
            "/api/2.2/jobs/runs/repair",
            ADMIN,
            json!({"run_id": run_id, "rerun_tasks": ["ok"]}),
        )
        .await;
    assert_eq!(
        r.json["error_code"], "INVALID_PARAMETER_VALUE",
        "latest_repair_id is required"
    );
}

#[tokio::test]
async fn submit_timeout_retry_and_job_clusters() {
    let (api, _) = setup().await;
    // A job cluster appears in the Clusters API with cluster_source JOB, and terminates after.
    let r = api
        .post(
            "/api/2.1/jobs/runs/submit",
            ADMIN,
            json!({"run_name": "one-off", "tasks": [{"task_key": "t", "new_cluster":
                {"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1},
                "spark_python_task": {"python_file": "dbfs:/a.py"}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let run_id = r.json["run_id"].clone();
    let r = api.get("/api/2.1/clusters/list", ADMIN).await;
    let job_clusters: Vec<&Value> = r.json["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .filter(|c| c["cluster_source"] == "JOB")
        .collect();
    assert_eq!(job_clusters.len(), 1, "{}", r.json);
    advance(&api, 30);
    let run = run_state(&api, "2.1", &run_id).await;
    assert_eq!(run["run_type"], "SUBMIT_RUN");
    assert_eq!(run["state"]["result_state"], "SUCCESS");
    let cid = job_clusters[0]["cluster_id"].as_str().expect("id");
    let r = api
        .get(&format!("/api/2.1/clusters/get?cluster_id={cid}"), ADMIN)
        .await;
    assert_eq!(r.json["state"], "TERMINATED");
    // timeout_seconds → TIMEDOUT.
    api.emu.script_task_outcome(ScriptedOutcome {
        task_key: Some("slow".into()),
        duration_ms: Some(600_000),
        ..Default::default()
    });
    let r = api
        .post(
            "/api/2.0/jobs/runs/submit",
            ADMIN,
            json!({"run_name": "slow", "timeout_seconds": 30, "new_cluster":
                {"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1},
                "spark_jar_task": {"main_class_name": "Main"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let slow = r.json["run_id"].clone();
    api.emu.script_task_outcome(ScriptedOutcome {
        run_name: Some("slow".into()),
        duration_ms: Some(600_000),
        ..Default::default()
    });
    advance(&api, 120);
    let run = run_state(&api, "2.0", &slow).await;
    assert_eq!(run["state"]["result_state"], "TIMEDOUT", "{run}");
    assert!(
        run["task"]["spark_jar_task"].is_object(),
        "2.0 single-task shape: {run}"
    );
    // Retries: fail twice, then succeed.
    api.emu.script_task_outcome(ScriptedOutcome {
        task_key: Some("flaky".into()),
        result_state: ScriptedResult::Failed,
        error: Some("Boom".into()),
        times: Some(2),
        ..Default::default()
    });
    let r = api
        .post(
            "/api/2.1/jobs/runs/submit",
            ADMIN,
            json!({"tasks": [{"task_key": "flaky", "max_retries": 3, "min_retry_interval_millis": 10000,
                   "job_cluster_key": "k", "spark_python_task": {"python_file": "dbfs:/a.py"}}],
                   "job_clusters": [{"job_cluster_key": "k", "new_cluster":
                   {"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1}}]}),
        )
        .await;
    let flaky = r.json["run_id"].clone();
    advance(&api, 2);
    let run = run_state(&api, "2.1", &flaky).await;
    assert_eq!(
        task(&run, "flaky")["state"]["life_cycle_state"],
        "WAITING_FOR_RETRY",
        "{run}"
    );
    assert_eq!(task(&run, "flaky")["attempt_number"], 1);
    advance(&api, 60);
    let run = run_state(&api, "2.1", &flaky).await;
    assert_eq!(run["state"]["result_state"], "SUCCESS", "{run}");
    assert_eq!(task(&run, "flaky")["attempt_number"], 2);
}

#[tokio::test]
async fn concurrency_queueing_idempotency_cancel_and_delete() {
    let (api, cluster) = setup().await;
    let spec = |queue: bool| {
        json!({"name": "limited", "max_concurrent_runs": 1, "queue": {"enabled": queue}, "tasks": [
            {"task_key": "t", "existing_cluster_id": cluster, "spark_python_task": {"python_file": "dbfs:/a.py"}}]})
    };
    let job = api
        .post("/api/2.1/jobs/create", ADMIN, spec(false))
        .await
        .json["job_id"]
        .clone();
    let first = api
        .post(
            "/api/2.1/jobs/run-now",
            ADMIN,
            json!({"job_id": job, "idempotency_token": "tok"}),
        )
        .await
        .json["run_id"]
        .clone();
    let again = api
        .post(
            "/api/2.1/jobs/run-now",
            ADMIN,
            json!({"job_id": job, "idempotency_token": "tok"}),
        )
        .await
        .json["run_id"]
        .clone();
    assert_eq!(first, again);
    let skipped = api
        .post("/api/2.1/jobs/run-now", ADMIN, json!({"job_id": job}))
        .await
        .json["run_id"]
        .clone();
    let run = run_state(&api, "2.1", &skipped).await;
    assert_eq!(run["state"]["life_cycle_state"], "SKIPPED");
    // The queueing job.
    let qjob = api
        .post("/api/2.1/jobs/create", ADMIN, spec(true))
        .await
        .json["job_id"]
        .clone();
    let a = api
        .post("/api/2.1/jobs/run-now", ADMIN, json!({"job_id": qjob}))
        .await
        .json["run_id"]
        .clone();
    let b = api
        .post("/api/2.1/jobs/run-now", ADMIN, json!({"job_id": qjob}))
        .await
        .json["run_id"]
        .clone();
    assert_eq!(
        run_state(&api, "2.1", &b).await["state"]["life_cycle_state"],
        "QUEUED"
    );
    let r = api
        .get(
            &format!("/api/2.1/jobs/runs/list?job_id={qjob}&active_only=true"),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["runs"].as_array().map(Vec::len), Some(2));
    advance(&api, 10);
    let run_b = run_state(&api, "2.1", &b).await;
    assert_eq!(run_b["state"]["result_state"], "SUCCESS", "{run_b}");
    assert!(run_b["queue_duration"].as_i64().is_some_and(|d| d > 0));
    // cancel, cancel-all, delete.
    let c = api
        .post("/api/2.1/jobs/run-now", ADMIN, json!({"job_id": qjob}))
        .await
        .json["run_id"]
        .clone();
    let r = api
        .post("/api/2.1/jobs/runs/delete", ADMIN, json!({"run_id": c}))
        .await;
    assert_eq!(r.json["error_code"], "INVALID_STATE");
    api.post("/api/2.1/jobs/runs/cancel", ADMIN, json!({"run_id": c}))
        .await;
    advance(&api, 5);
    let run = run_state(&api, "2.1", &c).await;
    assert_eq!(
        (
            run["state"]["result_state"].clone(),
            run["state"]["user_cancelled_or_timedout"].clone()
        ),
        (json!("CANCELED"), json!(true))
    );
    let d = api
        .post("/api/2.1/jobs/run-now", ADMIN, json!({"job_id": qjob}))
        .await
        .json["run_id"]
        .clone();
    let e = api
        .post("/api/2.1/jobs/run-now", ADMIN, json!({"job_id": qjob}))
        .await
        .json["run_id"]
        .clone();
    api.post(
        "/api/2.1/jobs/runs/cancel-all",
        ADMIN,
        json!({"job_id": qjob}),
    )
    .await;
    advance(&api, 5);
    for id in [&d, &e] {
        assert_eq!(
            run_state(&api, "2.1", id).await["state"]["result_state"],
            "CANCELED"
        );
    }
    let r = api
        .post("/api/2.1/jobs/runs/delete", ADMIN, json!({"run_id": a}))
        .await;
    assert_eq!(r.status, 200);
    let r = api
        .get(&format!("/api/2.1/jobs/runs/get?run_id={a}"), ADMIN)
        .await;
    assert_eq!(r.json["error_code"], "INVALID_PARAMETER_VALUE");
    // runs/list pages newest first.
    let r = api
        .get(
            &format!("/api/2.1/jobs/runs/list?job_id={qjob}&limit=2"),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["runs"][0]["run_id"], e);
    assert_eq!(r.json["has_more"], true);
    let tok = r.json["next_page_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let r = api
        .get(
            &format!("/api/2.2/jobs/runs/list?job_id={qjob}&limit=2&page_token={tok}"),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["runs"][0]["run_id"], c);
    let r = api
        .get(
            "/api/2.1/jobs/runs/list?active_only=true&completed_only=true",
            ADMIN,
        )
        .await;
    assert_eq!(r.json["error_code"], "INVALID_PARAMETER_VALUE");
}

#[tokio::test]
async fn an_hourly_schedule_fires_24_times_in_a_day() {
    let (api, cluster) = setup().await;
    let r = api
        .post(
            "/api/2.1/jobs/create",
            ADMIN,
            json!({"name": "hourly", "schedule": {"quartz_cron_expression": "0 0 * * * ?", "timezone_id": "UTC", "pause_status": "UNPAUSED"},
                   "tasks": [{"task_key": "t", "existing_cluster_id": cluster, "spark_python_task": {"python_file": "dbfs:/a.py"}}]}),
        )
        .await;
    let job = r.json["job_id"].clone();
    // A paused one never fires.
    api.post(
        "/api/2.1/jobs/create",
        ADMIN,
        json!({"name": "paused", "schedule": {"quartz_cron_expression": "0 0 * * * ?", "timezone_id": "UTC", "pause_status": "PAUSED"},
               "tasks": [{"task_key": "t", "existing_cluster_id": cluster, "spark_python_task": {"python_file": "dbfs:/a.py"}}]}),
    )
    .await;
    advance(&api, 86_400);
    let r = api
        .get(
            &format!("/api/2.1/jobs/runs/list?job_id={job}&limit=25"),
            ADMIN,
        )
        .await;
    let runs = r.json["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 24);
    assert!(runs
        .iter()
        .all(|r| r["trigger"] == "PERIODIC" && r["state"]["result_state"] == "SUCCESS"));
    let r = api.get("/api/2.1/jobs/runs/list?limit=25", ADMIN).await;
    assert_eq!(r.json["runs"].as_array().map(Vec::len), Some(24));
}

#[tokio::test]
async fn scripted_outcomes_through_the_admin_route() {
    let (api, cluster) = setup().await;
    let r = api
        .post(
            "/__mock/jobs/outcomes",
            ADMIN,
            json!({"task_key": "t", "result_state": "FAILED", "error": "scripted", "error_trace": "trace", "duration_ms": 5000}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api.get("/__mock/jobs/outcomes", ADMIN).await;
    assert_eq!(r.json["outcomes"][0]["error"], "scripted");
    let r = api
        .post(
            "/api/2.2/jobs/runs/submit",
            ADMIN,
            json!({"tasks": [{"task_key": "t", "existing_cluster_id": cluster, "notebook_task": {"notebook_path": "/x"}}]}),
        )
        .await;
    let run_id = r.json["run_id"].clone();
    advance(&api, 60);
    let run = run_state(&api, "2.2", &run_id).await;
    let t = task(&run, "t");
    assert_eq!(t["execution_duration"], 5000);
    let r = api
        .get(
            &format!("/api/2.2/jobs/runs/get-output?run_id={}", t["run_id"]),
            ADMIN,
        )
        .await;
    assert_eq!(
        (r.json["error"].clone(), r.json["error_trace"].clone()),
        (json!("scripted"), json!("trace"))
    );
    let r = api
        .send("DELETE", "/__mock/jobs/outcomes", None, None, "")
        .await;
    assert_eq!(r.status, 200);
    let r = api
        .post("/__mock/jobs/delays", ADMIN, json!({"task_ms": 2500}))
        .await;
    assert_eq!(r.json["task_ms"], 2500);
}

#[tokio::test]
async fn api_2_2_pages_large_task_arrays_and_older_versions_cap_tasks() {
    let (api, cluster) = setup().await;
    let tasks: Vec<Value> = (0..150)
        .map(|i| {
            json!({"task_key": format!("t{i:03}"), "existing_cluster_id": cluster,
                        "spark_python_task": {"python_file": "dbfs:/a.py"}})
        })
        .collect();
    let r = api
        .post(
            "/api/2.1/jobs/create",
            ADMIN,
            json!({"name": "big", "tasks": tasks}),
        )
        .await;
    assert_eq!(
        r.json["error_code"], "INVALID_PARAMETER_VALUE",
        "2.1 takes at most 100 tasks"
    );
    let r = api
        .post(
            "/api/2.2/jobs/create",
            ADMIN,
            json!({"name": "big", "tasks": tasks}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let job = r.json["job_id"].clone();
    let first = api
        .get(&format!("/api/2.2/jobs/get?job_id={job}"), ADMIN)
        .await
        .json;
    assert_eq!(
        first["settings"]["tasks"].as_array().map(Vec::len),
        Some(100)
    );
    let tok = first["next_page_token"].as_str().expect("token").to_owned();
    let second = api
        .get(
            &format!("/api/2.2/jobs/get?job_id={job}&page_token={tok}"),
            ADMIN,
        )
        .await
        .json;
    assert_eq!(
        second["settings"]["tasks"].as_array().map(Vec::len),
        Some(50)
    );
    assert_eq!(second["settings"]["tasks"][0]["task_key"], "t100");
    assert!(second.get("next_page_token").is_none());
    let r = api.get("/api/2.2/jobs/list?expand_tasks=true", ADMIN).await;
    assert_eq!(r.json["jobs"][0]["has_more"], true);
    let run_id = api
        .post("/api/2.2/jobs/run-now", ADMIN, json!({"job_id": job}))
        .await
        .json["run_id"]
        .clone();
    advance(&api, 600);
    let run = run_state(&api, "2.2", &run_id).await;
    assert_eq!(run["state"]["result_state"], "SUCCESS");
    assert_eq!(run["tasks"].as_array().map(Vec::len), Some(100));
    let tok = run["next_page_token"].as_str().expect("token").to_owned();
    let r = api
        .get(
            &format!("/api/2.2/jobs/runs/get?run_id={run_id}&page_token={tok}"),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["tasks"].as_array().map(Vec::len), Some(50));
}

#[tokio::test]
async fn a_2_0_single_task_job_retries_its_one_task_and_answers_in_its_form() {
    let (api, cluster) = setup().await;
    api.emu.script_task_outcome(ScriptedOutcome {
        job_id: None,
        result_state: ScriptedResult::Failed,
        times: Some(1),
        ..Default::default()
    });
    let job = api
        .post(
            "/api/2.0/jobs/create",
            ADMIN,
            json!({"name": "legacy", "existing_cluster_id": cluster, "spark_jar_task": {"main_class_name": "Main"},
                   "max_retries": 2}),
        )
        .await
        .json["job_id"]
        .clone();
    let r = api
        .post(
            "/api/2.0/jobs/run-now",
            ADMIN,
            json!({"job_id": job, "jar_params": ["a"]}),
        )
        .await;
    let run_id = r.json["run_id"].clone();
    assert_eq!(r.json["number_in_job"], run_id);
    let r = api
        .post(
            "/api/2.0/jobs/run-now",
            ADMIN,
            json!({"job_id": job, "jar_params": ["a"], "notebook_params": {"a": "b"}}),
        )
        .await;
    assert_eq!(r.json["error_code"], "INVALID_PARAMETER_VALUE");
    advance(&api, 60);
    let run = run_state(&api, "2.0", &run_id).await;
    assert_eq!(run["state"]["result_state"], "SUCCESS", "{run}");
    assert_eq!(run["attempt_number"], 1);
    assert_eq!(run["task"]["spark_jar_task"]["parameters"], json!(["a"]));
    assert_eq!(run["cluster_spec"]["existing_cluster_id"], json!(cluster));
    assert!(run.get("tasks").is_none());
    let run = run_state(&api, "2.1", &run_id).await;
    assert_eq!(run["format"], "SINGLE_TASK");
    assert_eq!(run["tasks"][0]["task_key"], "main");
    // A single-task run's output is readable by its top-level id.
    let r = api
        .get(
            &format!("/api/2.0/jobs/runs/get-output?run_id={run_id}"),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["metadata"]["run_id"], run_id);
}

#[tokio::test]
async fn only_who_may_manage_a_run_cancels_deletes_or_repairs_it() {
    let (api, cluster) = setup().await;
    let submitter = api.user("submitter@example.com");
    let stranger = api.user("stranger@example.com");
    // A one-time run belongs to whoever submitted it.
    let r = api
        .post(
            "/api/2.1/jobs/runs/submit",
            &submitter,
            json!({"run_name": "mine", "tasks": [{"task_key": "t", "new_cluster":
                {"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1},
                "spark_python_task": {"python_file": "dbfs:/a.py"}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let mine = r.json["run_id"].clone();
    let r = api
        .post(
            "/api/2.1/jobs/runs/cancel",
            &stranger,
            json!({"run_id": mine}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.json);
    assert_eq!(r.json["error_code"], "PERMISSION_DENIED");
    assert_eq!(
        r.json["message"],
        format!("User stranger@example.com does not have Manage permissions on run {mine}.")
    );
    let r = api
        .post(
            "/api/2.1/jobs/runs/cancel",
            &submitter,
            json!({"run_id": mine}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    // A run of a job: whoever may manage the job (its owner, or an admin).
    let r = api
        .post(
            "/api/2.1/jobs/create",
            ADMIN,
            json!({"name": "admins", "tasks": [{"task_key": "t", "existing_cluster_id": cluster,
                   "spark_python_task": {"python_file": "dbfs:/a.py"}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let job_id = r.json["job_id"].clone();
    let r = api
        .post("/api/2.1/jobs/run-now", ADMIN, json!({"job_id": job_id}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let theirs = r.json["run_id"].clone();
    advance(&api, 60);
    for path in ["runs/cancel", "runs/delete", "runs/repair"] {
        let r = api
            .post(
                &format!("/api/2.1/jobs/{path}"),
                &stranger,
                json!({"run_id": theirs, "rerun_all_failed_tasks": true}),
            )
            .await;
        assert_eq!(r.status, 403, "{path}: {}", r.json);
        assert_eq!(
            r.json["message"],
            format!("User stranger@example.com does not have Manage permissions on job {job_id}."),
            "{path}"
        );
    }
    // Reading stays open; the run is still there.
    let r = api
        .get(
            &format!("/api/2.1/jobs/runs/get?run_id={theirs}"),
            &stranger,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api
        .post(
            "/api/2.1/jobs/runs/delete",
            ADMIN,
            json!({"run_id": theirs}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
}
