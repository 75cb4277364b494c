//! Register, edit, list and remove an instance profile; show the ARN check and the errors.
//!
//! Against a workspace (an admin's token; the profile is added with `skip_validation`, so no
//! AWS resource is needed, and removed at the end):
//! `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-instance-profiles --example instance_profiles`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process and
//! runs against that. Only one of the two set is an error.

use std::process::ExitCode;

use dbx_core::{Client, Config};
use dbx_instance_profiles::{InstanceProfileArn, InstanceProfilesApi};

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
    let profiles = InstanceProfilesApi::new(client);

    // The ARN is checked before anything is sent.
    match InstanceProfileArn::parse("arn:aws:iam::123456789012:role/dbx-rs-example") {
        Err(e) => println!("refused locally: {e}"),
        Ok(arn) => println!("unexpectedly accepted {arn}"),
    }

    let arn =
        InstanceProfileArn::parse("arn:aws:iam::123456789012:instance-profile/dbx-rs-example")?;
    profiles.add(&arn).skip_validation(true).send().await?;
    println!("added {arn}");
    match profiles.add(&arn).skip_validation(true).send().await {
        Err(e) if e.is_already_exists() => println!("adding again: {e} (as expected)"),
        other => println!("adding again: unexpected {other:?}"),
    }

    profiles
        .edit(&arn)
        .iam_role_arn("arn:aws:iam::123456789012:role/dbx-rs-example")
        .send()
        .await?;
    for p in profiles.list().await? {
        println!(
            "  {}  role {}  meta {}",
            p.instance_profile_arn,
            p.iam_role_arn.as_deref().unwrap_or("-"),
            p.is_meta_instance_profile
        );
    }

    // A string the crate would refuse can still be sent: the service judges it.
    let odd = InstanceProfileArn::unchecked("dbx-rs-example");
    match profiles.add(&odd).skip_validation(true).send().await {
        Err(e) => println!("the service refuses {odd}: {e}"),
        Ok(()) => println!("the service accepted {odd}"),
    }

    profiles.remove(&arn).await?;
    println!("removed {arn}");
    match profiles.remove(&arn).await {
        Err(e) if e.is_not_found() => println!("removing again: {e} (as expected)"),
        other => println!("removing again: unexpected {other:?}"),
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
