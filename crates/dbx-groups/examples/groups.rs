//! Create two groups, nest one in the other, add a user, list members and parents, then clean up.
//!
//! Against a workspace (as an admin): `DATABRICKS_HOST=... DATABRICKS_TOKEN=... GROUPS_EXAMPLE_USER=someone@example.com cargo run -p dbx-groups --example groups`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process (and
//! uses its admin as the user). Only one of the two set is an error.

use std::process::ExitCode;

use dbx_core::{Client, Config};
use dbx_groups::{GroupsApi, Principal};

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
    let user = if server.is_some() {
        "admin@example.com".to_owned()
    } else {
        std::env::var("GROUPS_EXAMPLE_USER")
            .map_err(|_| "set GROUPS_EXAMPLE_USER to an existing user name")?
    };
    let groups = GroupsApi::new(client);

    let tag = std::process::id();
    let (team, parent) = (format!("dbx-rs-team-{tag}"), format!("dbx-rs-parent-{tag}"));
    groups.create(&team).await?;
    groups.create(&parent).await?;
    println!("created {team} and {parent}");

    let result = walk_through(&groups, &team, &parent, &user).await;

    // Clean up even when a step failed.
    groups.delete(&team).await?;
    groups.delete(&parent).await?;
    println!("deleted both groups");
    match groups.delete(&team).await {
        Err(e) if e.is_not_found() => println!("deleting again: {e} (as expected)"),
        other => println!("deleting again: unexpected {other:?}"),
    }
    if let Some(server) = server {
        server.shutdown().await;
    }
    result
}

async fn walk_through(
    groups: &GroupsApi,
    team: &str,
    parent: &str,
    user: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    groups.add_member(team, &Principal::user(user)).await?;
    groups.add_member(parent, &Principal::group(team)).await?;
    for m in groups.list_members(team).await? {
        println!("  {team} has {m}");
    }
    println!(
        "  {team} is directly in {:?}",
        groups.list_parents(&Principal::group(team)).await?
    );
    let ours: Vec<String> = groups
        .list()
        .await?
        .into_iter()
        .filter(|g| g.starts_with("dbx-rs-"))
        .collect();
    println!("  groups named dbx-rs-*: {ours:?}");
    groups.remove_member(team, &Principal::user(user)).await?;
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
