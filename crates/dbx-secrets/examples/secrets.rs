//! Create a secret scope, put secrets in it, list them, grant and inspect ACLs, then clean up.
//!
//! Against a workspace: `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-secrets --example secrets`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process and
//! runs against that. Only one of the two set is an error.

use std::process::ExitCode;

use dbx_core::{Client, Config, ExposeSecret};
use dbx_secrets::{AclPermission, SecretsApi};

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
    let (client, server) = connect().await?;
    let secrets = SecretsApi::new(client);

    // A name unlikely to collide with an existing scope on a real workspace.
    let scope = format!("dbx-rs-example-{}", std::process::id());
    secrets.create_scope(&scope).send().await?;
    println!("created scope {scope}");
    let result = walk_through(&secrets, &scope).await;

    // Clean up even when a step failed.
    secrets.delete_scope(&scope).await?;
    println!("deleted scope {scope}");
    match secrets.delete_scope(&scope).await {
        Err(e) if e.is_not_found() => println!("deleting again: {e} (as expected)"),
        other => println!("deleting again: unexpected {other:?}"),
    }
    if let Some(server) = server {
        server.shutdown().await;
    }
    result
}

async fn walk_through(secrets: &SecretsApi, scope: &str) -> Result<(), Box<dyn std::error::Error>> {
    secrets
        .put_secret(scope, "db-password")
        .string_value("correct horse battery staple")
        .send()
        .await?;
    secrets
        .put_secret(scope, "tls-key")
        .bytes_value(vec![0x30, 0x82, 0x01, 0x0a])
        .send()
        .await?;

    println!("secrets in {scope} (metadata only):");
    for meta in secrets.list_secrets(scope).await? {
        println!(
            "  {:<12} updated at {}",
            meta.key, meta.last_updated_timestamp
        );
    }

    // Reading a value back is reserved for notebooks on a real workspace (BAD_REQUEST there);
    // the emulator answers it.
    match secrets.get_secret(scope, "db-password").await {
        Ok(got) => {
            let text = got.to_secret_string()?;
            println!(
                "read {} back: {} characters; Debug shows {:?}",
                got.key,
                text.expose_secret().len(),
                got.value
            );
        }
        Err(e) => println!("reading a value back: {e}"),
    }

    secrets.put_acl(scope, "users", AclPermission::Read).await?;
    let acl = secrets.get_acl(scope, "users").await?;
    println!("granted {} to {}", acl.permission, acl.principal);
    println!("ACLs on {scope}:");
    for item in secrets.list_acls(scope).await? {
        println!("  {:<24} {}", item.principal, item.permission);
    }

    println!("scopes in the workspace:");
    for s in secrets.list_scopes().await? {
        let backend = s.backend_type.as_ref().map(|b| b.as_str()).unwrap_or("?");
        println!("  {:<32} {backend}", s.name);
    }

    secrets.delete_acl(scope, "users").await?;
    secrets.delete_secret(scope, "tls-key").await?;
    println!("removed the ACL for users and the secret tls-key");
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
