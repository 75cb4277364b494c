//! Create a user and two nested groups, add members by name, list with a filter, PATCH, read the
//! user's effective groups, then clean up.
//!
//! Against a workspace (as an admin): `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-scim --example identity`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process and
//! runs against that. Only one of the two set is an error.

use std::process::ExitCode;

use dbx_core::{Client, Config};
use dbx_scim::{
    Entitlement, Filter, Group, GroupId, MemberName, PatchRequest, ScimApi, SortOrder, User, UserId,
};
use futures::TryStreamExt;

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
    let scim = ScimApi::new(client);

    let me = scim.me().await?;
    println!("calling as {}", me.user_name.as_deref().unwrap_or("?"));

    // Names unlikely to collide with anything on a real workspace.
    let tag = std::process::id();
    let user_name = format!("dbx-rs-example-{tag}@example.com");
    let (team, parent) = (format!("dbx-rs-team-{tag}"), format!("dbx-rs-parent-{tag}"));

    let user = scim
        .users()
        .create(&User::new(&user_name).display_name("Example User"))
        .await?;
    let user_id = user.id.clone().ok_or("the service assigned no id")?;
    let team_id = created_id(scim.groups().create(&Group::new(&team)).await?.id)?;
    let parent_id = created_id(scim.groups().create(&Group::new(&parent)).await?.id)?;
    println!("created user {user_id}, groups {team_id} and {parent_id}");

    let result = walk_through(&scim, &user_id, &user_name, &team, &parent).await;

    // Clean up even when a step failed.
    scim.users().delete(&user_id).await?;
    scim.groups().delete(&team_id).await?;
    scim.groups().delete(&parent_id).await?;
    println!("deleted the user and both groups");
    if let Some(server) = server {
        server.shutdown().await;
    }
    result
}

fn created_id(id: Option<GroupId>) -> Result<GroupId, Box<dyn std::error::Error>> {
    id.ok_or_else(|| "the service assigned no id".into())
}

async fn walk_through(
    scim: &ScimApi,
    user_id: &UserId,
    user_name: &str,
    team: &str,
    parent: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    scim.add_member(team, &MemberName::user(user_name)).await?;
    scim.add_member(parent, &MemberName::group(team)).await?;

    let patch = PatchRequest::new()
        .add_entitlements([&Entitlement::AllowClusterCreate])
        .replace("displayName", "Example User (patched)");
    scim.users().patch(user_id, &patch).await?;
    let user = scim.users().get(user_id).await?;
    println!(
        "{} may create clusters: {}",
        user.display_name.as_deref().unwrap_or("?"),
        user.has_entitlement(&Entitlement::AllowClusterCreate)
    );

    for g in scim.effective_groups(user_name).await? {
        let how = if g.direct {
            "directly"
        } else {
            "through a group"
        };
        println!(
            "  member of {} {how}",
            g.display_name.as_deref().unwrap_or(g.id.as_str())
        );
    }

    let ours: Vec<Group> = scim
        .groups()
        .list()
        .filter(Filter::sw("displayName", "dbx-rs-"))
        .attributes(["displayName", "members"])
        .sort_by("displayName")
        .sort_order(SortOrder::Ascending)
        .stream()
        .try_collect()
        .await?;
    for g in &ours {
        println!(
            "  group {} has {} member(s)",
            g.display_name.as_deref().unwrap_or("?"),
            g.members.len()
        );
    }

    scim.remove_member(team, &MemberName::user(user_name))
        .await?;
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
