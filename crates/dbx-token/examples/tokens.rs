//! Create, list, update and revoke a personal access token.
//!
//! Against a workspace: `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-token --example tokens`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process and
//! runs against that. Only one of the two set is an error.

use std::process::ExitCode;
use std::time::Duration;

use dbx_core::{CallOptions, Client, Config, ExposeSecret};
use dbx_token::TokenApi;

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
    let tokens = TokenApi::new(client);

    let created = tokens
        .create()
        .lifetime_seconds(3600)
        .comment("dbx-rs example")
        .send()
        .await?;
    let value = created.token_value.expose_secret();
    println!(
        "created token {} (value {}…, {} characters), expires at {}",
        created.token_info.token_id,
        &value[..value.len().min(4)],
        value.len(),
        created.token_info.expiry_time
    );

    tokens
        .update(&created.token_info.token_id)
        .comment("dbx-rs example (renamed)")
        .send()
        .await?;

    // Per-call options apply to every call through a handle, plain `async fn`s included.
    let quick = tokens.with_options(CallOptions::default().with_timeout(Duration::from_secs(10)));
    for info in quick.list().await? {
        let expiry = if info.never_expires() {
            "never".to_string()
        } else {
            info.expiry_time.to_string()
        };
        println!(
            "  {}  expires {:>13}  {}",
            info.token_id,
            expiry,
            info.comment.as_deref().unwrap_or("")
        );
    }

    tokens.delete(&created.token_info.token_id).await?;
    println!("revoked {}", created.token_info.token_id);
    match tokens.delete(&created.token_info.token_id).await {
        Err(e) if e.is_not_found() => println!("revoking again: {} (as expected)", e),
        other => println!("revoking again: unexpected {other:?}"),
    }
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
