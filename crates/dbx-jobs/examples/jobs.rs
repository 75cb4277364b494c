//! Import two notebooks, create a three-task job on a shared job cluster, run it and wait,
//! print each task's output, show a failing run's report, list the job's runs, and delete the
//! job.
//!
//! Against a workspace (this starts a real, billed job cluster for a few minutes):
//! `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-jobs --example jobs`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process and
//! runs against that; its runs finish within seconds. Only one of the two set is an error.

use std::process::ExitCode;
use std::time::Duration;

use dbx_clusters::{ClusterSpec, ClustersApi, NodeTypeQuery, SparkVersionQuery};
use dbx_core::wait::PollPolicy;
use dbx_core::{Client, Config};
use dbx_jobs::{JobCluster, JobSettings, JobsApi, RunIf, RunNow, Task};
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> ExitCode {
    // Print the error and its causes with Display (not Debug), and exit non-zero.
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", dbx_core::error::Report(&*e));
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the emulator alive for the whole run when we start one; its clock is fast.
    let (client, _server) = connect().await?;
    let poll = if _server.is_some() {
        Duration::from_millis(250)
    } else {
        Duration::from_secs(5)
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

/// The workspace named by `DATABRICKS_HOST` and `DATABRICKS_TOKEN` when both are set; with
/// neither set, an emulator started in this process (returned, to keep it alive). Only one of
/// them set is an error rather than a guess.
async fn connect(
) -> Result<(Client, Option<dbx_mock_server::MockServer>), Box<dyn std::error::Error>> {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    match (set("DATABRICKS_HOST"), set("DATABRICKS_TOKEN")) {
        (true, true) => Ok((Client::from_env()?, None)),
        (false, false) => {
            let server = dbx_mock_server::MockServer::start().await?;
            println!(
                "neither DATABRICKS_HOST nor DATABRICKS_TOKEN is set: using an emulator at {}",
                server.url()
            );
            let config = Config::builder()
                .host(server.url())
                .token(server.admin_token())
                .build()?;
            Ok((Client::new(config)?, Some(server)))
        }
        (true, false) => Err(
            "DATABRICKS_HOST is set but DATABRICKS_TOKEN is not: set both to \
                              run against that workspace, or unset DATABRICKS_HOST to run \
                              against an emulator started in this process"
                .into(),
        ),
        (false, true) => Err(
            "DATABRICKS_TOKEN is set but DATABRICKS_HOST is not: set both to \
                              run against a workspace, or unset DATABRICKS_TOKEN to run against \
                              an emulator started in this process"
                .into(),
        ),
    }
}
