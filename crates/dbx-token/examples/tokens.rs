//! Create, list, update and revoke a personal access token.
//!
//! Against a workspace: `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-token --example tokens`.
//! With neither variable set it starts the emulator in-process and runs against that.

use std::time::Duration;

use dbx_core::{CallOptions, Client, Config, ExposeSecret};
use dbx_token::TokenApi;

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
