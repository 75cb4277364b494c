//! Create, list, update and revoke a personal access token.
//!
//! Against a workspace: `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-token --example tokens`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process and
//! runs against that. Only one of the two set is an error.

use std::process::ExitCode;
use std::time::Duration;

use dbx_core::{CallOptions, Client, ExposeSecret};
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
    let (config, _server) = dbx_mock_server::config_from_env_or_emulator().await?;
    let client = Client::new(config)?;
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
