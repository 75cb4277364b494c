//! Import a notebook, list, export it in several formats, and clean up.
//!
//! Against a workspace: `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-workspace --example workspace`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process and
//! runs against that. Only one of the two set is an error.

use std::process::ExitCode;

use dbx_core::{Client, Config, Recursive};
use dbx_workspace::{Format, Language, WorkspaceApi};
use futures::TryStreamExt;

const NOTEBOOK: &str = "\
# Databricks notebook source
# MAGIC %md
# MAGIC # Hello from dbx-rs

# COMMAND ----------

print(spark.range(10).count())
";

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
    // Keep the emulator alive for the whole run when we start one.
    let (client, _server) = connect().await?;
    let ws = WorkspaceApi::new(client);
    let dir = format!("/Shared/dbx-rs-example-{}", std::process::id());

    ws.mkdirs(&format!("{dir}/data")).await?;
    ws.import(format!("{dir}/hello"), NOTEBOOK)
        .format(Format::Source)
        .language(Language::Python)
        .send()
        .await?;
    ws.import(format!("{dir}/data/numbers.csv"), "n\n1\n2\n3\n")
        .format(Format::Auto)
        .multipart(true)
        .send()
        .await?;
    println!("imported into {dir}");

    let mut objects = ws.walk(&dir);
    while let Some(o) = objects.try_next().await? {
        let extra = match (&o.language, o.size) {
            (Some(lang), _) => format!(" ({lang})"),
            (None, Some(size)) => format!(" ({size} bytes)"),
            _ => String::new(),
        };
        println!("  {:<9} {}{extra}", o.object_type.as_str(), o.path);
    }

    let source = ws
        .export(format!("{dir}/hello"))
        .format(Format::Source)
        .send()
        .await?;
    println!(
        "SOURCE export ({}):\n{}",
        source.file_type.as_deref().unwrap_or("?"),
        String::from_utf8_lossy(&source.content)
    );
    let ipynb = ws
        .export(format!("{dir}/hello"))
        .format(Format::Jupyter)
        .download()
        .await?;
    println!("JUPYTER export: {} bytes of .ipynb", ipynb.len());
    let dbc = ws.export(dir.as_str()).format(Format::Dbc).send().await?;
    println!("DBC export of the folder: {} bytes", dbc.content.len());

    match ws.delete(&dir, Recursive::No).await {
        Err(e) => println!("delete without recursive: {} (as expected)", e),
        Ok(()) => println!("delete without recursive: unexpectedly succeeded"),
    }
    ws.delete(&dir, Recursive::Yes).await?;
    println!("deleted {dir}: exists = {}", ws.exists(&dir).await?);
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
