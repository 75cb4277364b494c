//! Register, edit, list and remove an instance profile; show the ARN check and the errors.
//!
//! Against a workspace (an admin's token; the profile is added with `skip_validation`, so no
//! AWS resource is needed, and removed at the end):
//! `DATABRICKS_HOST=... DATABRICKS_TOKEN=... cargo run -p dbx-instance-profiles --example instance_profiles`.
//! With neither `DATABRICKS_HOST` nor `DATABRICKS_TOKEN` set it starts the emulator in-process and
//! runs against that. Only one of the two set is an error.

use std::process::ExitCode;

use dbx_core::Client;
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
    let (config, _server) = dbx_mock_server::config_from_env_or_emulator().await?;
    let client = Client::new(config)?;
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
