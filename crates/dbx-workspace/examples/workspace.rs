//! Import a notebook, list, export it in several formats, and clean up.
//!
//! Against a workspace: `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-workspace --example workspace`.
//! With neither variable set it starts the emulator in-process and runs against that.

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
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the emulator alive for the whole run when we start one.
    let (client, _server) = if std::env::var_os("DATABRICKS_HOST").is_some() {
        (Client::from_env()?, None)
    } else {
        let server = dbx_mock_server::MockServer::start().await?;
        println!("no DATABRICKS_HOST: using an emulator at {}", server.url());
        let config = Config::builder()
            .host(server.url())
            .token(server.admin_token())
            .build()?;
        (Client::new(config)?, Some(server))
    };
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
