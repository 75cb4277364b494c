//! One `WorkspaceClient`, several API families: who am I, the workspace's clusters, jobs,
//! secret scopes, tokens and groups, then a notebook, a secret and a job of our own, cleaned up.
//!
//! Against a workspace: `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx --example workspace_client`
//! (it creates a job but never runs it, so no cluster starts). With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process and
//! runs against that.

use dbx::clusters::{ClusterSpec, NodeTypeQuery, SparkVersionQuery};
use dbx::jobs::{JobSettings, Task};
use dbx::{Config, WorkspaceClient};
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the emulator alive for the whole run when we start one.
    let use_env = std::env::var_os("DATABRICKS_HOST").is_some()
        || std::env::var_os("DATABRICKS_TOKEN").is_some();
    let (ws, server) = if use_env {
        (WorkspaceClient::from_env()?, None)
    } else {
        let server = dbx_mock_server::MockServer::start().await?;
        println!(
            "no DATABRICKS_HOST or DATABRICKS_TOKEN: using an emulator at {}",
            server.url()
        );
        let config = Config::builder()
            .host(server.url())
            .token(server.admin_token())
            .build()?;
        (WorkspaceClient::new(config)?, Some(server))
    };

    // Read-only: one client, one connection pool, every family.
    let me = ws.scim().me().await?;
    println!("signed in as {}", me.user_name.as_deref().unwrap_or("?"));
    let clusters: Vec<_> = ws.clusters().list().items().try_collect().await?;
    let jobs: Vec<_> = ws.jobs().list().items().try_collect().await?;
    println!(
        "{} clusters, {} jobs, {} secret scopes, {} tokens of mine, {} groups",
        clusters.len(),
        jobs.len(),
        ws.secrets().list_scopes().await?.len(),
        ws.tokens().list().await?.len(),
        ws.groups().list().await?.len(),
    );

    // Our own things, with names unlikely to collide on a real workspace.
    let name = format!("dbx-rs-example-{}", std::process::id());
    let folder = format!("/Shared/{name}");
    let result = walk_through(&ws, &name, &folder).await;

    // Clean up even when a step failed.
    ws.workspace()
        .delete(&folder, dbx::core::Recursive::Yes)
        .await?;
    ws.secrets().delete_scope(&name).await?;
    println!("deleted {folder} and scope {name}");
    if let Some(server) = server {
        server.shutdown().await;
    }
    result
}

async fn walk_through(
    ws: &WorkspaceClient,
    name: &str,
    folder: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    ws.workspace().mkdirs(folder).await?;
    let notebook = format!("{folder}/hello");
    ws.workspace()
        .import(
            &notebook,
            "# Databricks notebook source\nprint(\"hello\")\n",
        )
        .format(dbx::workspace::Format::Source)
        .language(dbx::workspace::Language::Python)
        .send()
        .await?;
    println!("imported {notebook}");

    ws.secrets().create_scope(name).send().await?;
    ws.secrets()
        .put_secret(name, "greeting")
        .string_value("hello")
        .send()
        .await?;
    println!(
        "scope {name} holds {:?}",
        ws.secrets().list_secrets(name).await?
    );

    // A job is created, not run: running one starts a (billed) cluster on a real workspace.
    let clusters = ws.clusters();
    let spec = ClusterSpec::new(
        clusters
            .select_spark_version(&SparkVersionQuery::new().lts())
            .await?,
    )
    .node_type_id(clusters.select_node_type(&NodeTypeQuery::new()).await?)
    .num_workers(1);
    let job_id = ws
        .jobs()
        .create(&JobSettings::new(name).task(Task::notebook("hello", &notebook).new_cluster(spec)))
        .await?;
    let job = ws.jobs().get(job_id).await?;
    println!("created job {job_id}, owned by {:?}", job.creator_user_name);
    ws.jobs().delete(job_id).await?;
    println!("deleted job {job_id}");
    Ok(())
}
