//! Pick a runtime and a node type, create a cluster and wait for it, resize and restart it,
//! read its events, terminate it and delete it.
//!
//! Against a workspace (this starts a real, billed cluster for a few minutes):
//! `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-clusters --example clusters`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process and
//! runs against that; its clusters change state within seconds. Only one of the two set is an
//! error.

use std::process::ExitCode;
use std::time::Duration;

use dbx_clusters::{ClusterSpec, ClustersApi, EventOrder, NodeTypeQuery, SparkVersionQuery, State};
use dbx_core::wait::PollPolicy;
use dbx_core::{Client, Config};
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
    let (client, server) = connect().await?;
    let poll = if server.is_some() {
        Duration::from_millis(250)
    } else {
        Duration::from_secs(5)
    };
    let clusters = ClustersApi::new(client).with_wait_policy(
        PollPolicy::new(Duration::from_secs(20 * 60))
            .interval(poll)
            .max_interval(Duration::from_secs(10)),
    );

    let spark_version = clusters
        .select_spark_version(&SparkVersionQuery::new().lts())
        .await?;
    let node_type = clusters
        .select_node_type(&NodeTypeQuery::new().min_memory_gb(8).local_disk())
        .await?;
    println!(
        "latest LTS runtime: {spark_version}; smallest node type with a local disk: {node_type}"
    );

    let spec = ClusterSpec::new(spark_version)
        .cluster_name(format!("dbx-rs-example-{}", std::process::id()))
        .node_type_id(node_type)
        .num_workers(1)
        .autotermination_minutes(20)
        .custom_tag("purpose", "dbx-rs example");
    let started = std::time::Instant::now();
    let cluster = clusters.create_and_wait(&spec).await?;
    let id = cluster.id();
    println!(
        "{id} is {} after {:.1?} ({} MiB, {} cores)",
        cluster.state(),
        started.elapsed(),
        cluster.cluster_memory_mb.unwrap_or(0),
        cluster.cluster_cores.unwrap_or(0.0)
    );
    let result = walk_through(&clusters, &id).await;

    // Clean up even when a step failed.
    clusters.permanent_delete(&id).await?;
    match clusters.get(&id).await {
        Err(e) if e.is_not_found() => println!("deleted {id}: {e}"),
        other => println!("after permanent-delete: unexpected {other:?}"),
    }
    if let Some(server) = server {
        server.shutdown().await;
    }
    result
}

async fn walk_through(
    clusters: &ClustersApi,
    id: &dbx_clusters::ClusterId,
) -> Result<(), Box<dyn std::error::Error>> {
    let resized = clusters.resize_and_wait(id, 2).await?;
    println!("resized to {:?} workers", resized.num_workers);
    let restarted = clusters.restart_and_wait(id).await?;
    println!("restarted: Spark context {:?}", restarted.spark_context_id);

    // Starting a running cluster is refused, with the service's words.
    if let Err(e) = clusters.start(id).await {
        println!("start while running: {e}");
    }

    let terminated = clusters.delete_and_wait(id).await?;
    println!(
        "terminated: {}",
        terminated
            .termination_reason
            .map(|r| r.to_string())
            .unwrap_or_default()
    );
    // ensure_running starts it again.
    let again = clusters.ensure_running(id).await?;
    assert_eq!(again.state(), State::Running);
    clusters.delete_and_wait(id).await?;

    println!("events, oldest first:");
    let mut events = clusters.events(id).order(EventOrder::Asc).limit(5).stream();
    while let Some(e) = events.try_next().await? {
        let kind = e.kind.map(|k| k.to_string()).unwrap_or_default();
        println!("  {:>14} {kind}", e.timestamp.unwrap_or(0));
    }

    let mine: Vec<_> = clusters
        .list()
        .states([State::Terminated])
        .items()
        .try_collect()
        .await?;
    println!("{} terminated cluster(s) listed", mine.len());
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
