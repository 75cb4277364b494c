//! Import two notebooks, create a three-task job on a shared job cluster, run it and wait,
//! print each task's output, show a failing run's report, list the job's runs, and delete the
//! job.
//!
//! Against a workspace (this starts a real, billed job cluster for a few minutes):
//! `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-jobs --example jobs`.
//! With no `DATABRICKS_HOST` it starts the emulator in-process and runs against that; its runs
//! finish within seconds.

use std::time::Duration;

use dbx_clusters::{ClusterSpec, ClustersApi, NodeTypeQuery, SparkVersionQuery};
use dbx_core::wait::PollPolicy;
use dbx_core::{Client, Config};
use dbx_jobs::{JobCluster, JobSettings, JobsApi, RunIf, RunNow, Task};
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the emulator alive for the whole run when we start one.
    let (client, _server, poll) = if std::env::var_os("DATABRICKS_HOST").is_some() {
        (Client::from_env()?, None, Duration::from_secs(5))
    } else {
        let server = dbx_mock_server::MockServer::start().await?;
        println!("no DATABRICKS_HOST: using an emulator at {}", server.url());
        let config = Config::builder()
            .host(server.url())
            .token(server.admin_token())
            .build()?;
        (
            Client::new(config)?,
            Some(server),
            Duration::from_millis(250),
        )
    };
    let jobs = JobsApi::new(client.clone()).with_wait_policy(
        PollPolicy::new(Duration::from_secs(30 * 60))
            .interval(poll)
            .max_interval(Duration::from_secs(10)),
    );

    // Two notebooks: one that returns a value, one that fails.
    let root = format!("/Shared/dbx-rs-example-{}", std::process::id());
    let workspace = dbx_workspace::WorkspaceApi::new(client.clone());
    workspace.mkdirs(&root).await?;
    for (name, source) in [
        ("ok", "dbutils.notebook.exit(\"42\")"),
        ("boom", "raise ValueError(\"boom\")"),
    ] {
        workspace
            .import(
                format!("{root}/{name}"),
                format!("# Databricks notebook source\n{source}\n"),
            )
            .format(dbx_workspace::Format::Source)
            .language(dbx_workspace::Language::Python)
            .send()
            .await?;
    }

    let clusters = ClustersApi::new(client);
    let cluster = ClusterSpec::new(
        clusters
            .select_spark_version(&SparkVersionQuery::new().lts())
            .await?,
    )
    .node_type_id(
        clusters
            .select_node_type(&NodeTypeQuery::new().local_disk())
            .await?,
    )
    .num_workers(1);
    let ok = format!("{root}/ok");
    let settings = JobSettings::new(format!("dbx-rs-example-{}", std::process::id()))
        .job_cluster(JobCluster::new("main", cluster))
        .task(Task::notebook("extract", &ok).job_cluster_key("main"))
        .task(
            Task::notebook("transform", &ok)
                .job_cluster_key("main")
                .depends_on(["extract"]),
        )
        .task(
            Task::notebook("load", &ok)
                .job_cluster_key("main")
                .depends_on(["transform"]),
        );
    let job_id = jobs.create(&settings).await?;
    println!("created job {job_id}");

    let started = std::time::Instant::now();
    let run = jobs.run_now_and_wait(&RunNow::new(job_id)).await?;
    println!(
        "run {} succeeded after {:.1?}",
        run.run_id,
        started.elapsed()
    );
    for (task, output) in jobs.run_outputs(&run).await? {
        let result = output.notebook_output.and_then(|o| o.result);
        println!("  {}: {result:?}", task.task_key);
    }

    // Make "transform" fail: the waiter says which task failed and why.
    let mut failing = jobs.get(job_id).await?.settings;
    for t in &mut failing.tasks {
        if t.task_key == "transform" {
            *t = Task::notebook("transform", format!("{root}/boom"))
                .job_cluster_key("main")
                .depends_on(["extract"]);
        }
    }
    failing = failing.task(
        Task::notebook("alert", &ok)
            .job_cluster_key("main")
            .depends_on(["transform"])
            .run_if(RunIf::AtLeastOneFailed),
    );
    jobs.reset(job_id, &failing).await?;
    match jobs.run_now_and_wait(&RunNow::new(job_id)).await {
        Ok(run) => println!("unexpected success: {}", run.run_id),
        Err(e) => println!("as expected: {e}"),
    }

    let runs: Vec<_> = jobs
        .list_runs()
        .job_id(job_id)
        .items()
        .try_collect()
        .await?;
    for r in &runs {
        println!(
            "run {}: {} {:?}",
            r.run_id,
            r.life_cycle_state(),
            r.result_state()
        );
    }

    jobs.delete(job_id).await?;
    workspace.delete(&root, true).await?;
    println!("deleted job {job_id} and {root}");
    Ok(())
}
