//! Create two groups, nest one in the other, add a user, list members and parents, then clean up.
//!
//! Against a workspace (as an admin): `DATABRICKS_HOST=... DATABRICKS_TOKEN=... GROUPS_EXAMPLE_USER=someone@example.com cargo run -p dbx-groups --example groups`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process (and
//! uses its admin as the user). Only one of the two set is an error.

use std::process::ExitCode;

use dbx_core::Client;
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
    let (config, server) = dbx_mock_server::config_from_env_or_emulator().await?;
    let client = Client::new(config)?;
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
