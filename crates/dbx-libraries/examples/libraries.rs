//! Create a small cluster, install libraries on it and wait for them, look at their statuses,
//! uninstall one and restart the cluster, then delete the cluster.
//!
//! Against a workspace (this starts a real, billed cluster for a few minutes):
//! `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-libraries --example libraries`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process and
//! runs against that, where a failure rule also shows what a failed install looks like. Only one of
//! the two set is an error.

use std::process::ExitCode;
use std::time::Duration;

use dbx_clusters::{ClusterSpec, ClustersApi, NodeTypeQuery, SparkVersionQuery};
use dbx_core::wait::PollPolicy;
use dbx_core::{Client, Config};
use dbx_libraries::{LibrariesApi, LibrariesError, Library, MavenLibrary};

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
    let policy = PollPolicy::new(Duration::from_secs(20 * 60))
        .interval(poll)
        .max_interval(Duration::from_secs(10));
    let clusters = ClustersApi::new(client.clone()).with_wait_policy(policy.clone());
    let libraries = LibrariesApi::new(client).with_wait_policy(policy);

    let spec = ClusterSpec::new(
        clusters
            .select_spark_version(&SparkVersionQuery::new().lts())
            .await?,
    )
    .cluster_name(format!("dbx-rs-libraries-example-{}", std::process::id()))
    .node_type_id(
        clusters
            .select_node_type(&NodeTypeQuery::new().local_disk())
            .await?,
    )
    .num_workers(1)
    .autotermination_minutes(20);
    let id = clusters.create_and_wait(&spec).await?.id();
    println!("cluster {id} is running");

    let wanted = [
        Library::pypi("simplejson==3.8.0"),
        Library::maven(MavenLibrary::new("org.jsoup:jsoup:1.7.2").exclusion("slf4j:slf4j")),
    ];
    for s in libraries.install_and_wait(&id, &wanted).await? {
        println!("  {s}");
    }

    if let Some(server) = &server {
        // The emulator can make installs fail, to exercise failure handling.
        server
            .emulator()
            .add_library_failure(dbx_mock_server::LibraryFailure::new("no-such-package*"));
        match libraries
            .install_and_wait(&id, &[Library::pypi("no-such-package==0.0.1")])
            .await
        {
            Err(LibrariesError::Failed { failures, .. }) => {
                for f in failures {
                    println!("  failed as asked: {f}");
                }
            }
            other => println!("  unexpected: {other:?}"),
        }
    }

    libraries.uninstall(&id, &wanted[..1]).await?;
    for s in libraries.cluster_status(&id).await?.library_statuses {
        println!("  after uninstall: {s}");
    }
    clusters.restart_and_wait(&id).await?;
    libraries.wait_installed(&id, &wanted[1..]).await?;
    for c in libraries.all_cluster_statuses().await? {
        for s in c.library_statuses {
            println!("  {} after restart: {s}", c.cluster_id);
        }
    }

    clusters.permanent_delete(&id).await?;
    println!("cluster {id} deleted");
    drop(server);
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
