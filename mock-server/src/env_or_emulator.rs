//! "A real workspace if one is configured, otherwise an emulator": what every example in this
//! repository does, and what a test or a demo that can run either way needs.

use crate::MockServer;

/// Why [`config_from_env_or_emulator`] gave no configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvOrEmulatorError {
    /// Exactly one of `DATABRICKS_HOST` and `DATABRICKS_TOKEN` is set: running against an
    /// emulator would be a guess.
    #[error(
        "{set} is set but {unset} is not: set both to run against a workspace, or unset {set} \
         to run against an emulator started in this process"
    )]
    OnlyOneSet {
        /// The variable that is set.
        set: &'static str,
        /// The variable that is not.
        unset: &'static str,
    },
    /// The workspace configuration from the environment is not usable.
    #[error("cannot use the workspace configured in the environment")]
    Config(#[source] dbx_core::Error),
    /// The emulator could not start (no loopback port to listen on).
    #[error("cannot start an emulator")]
    Start(#[source] std::io::Error),
}

/// The workspace named by `DATABRICKS_HOST` and `DATABRICKS_TOKEN` when both are set; with
/// neither set, an emulator started in this process on a free loopback port, with its admin
/// token (the [`MockServer`] is returned: keep it alive while you use the configuration; a line
/// on stderr says where it listens). Only one of the two set is an error rather than a guess.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let (config, _emulator) = dbx_mock_server::config_from_env_or_emulator().await?;
/// let client = dbx_core::Client::new(config)?;
/// # Ok(()) }
/// ```
pub async fn config_from_env_or_emulator(
) -> Result<(dbx_core::Config, Option<MockServer>), EnvOrEmulatorError> {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    const HOST: &str = "DATABRICKS_HOST";
    const TOKEN: &str = "DATABRICKS_TOKEN";
    match (set(HOST), set(TOKEN)) {
        (true, true) => Ok((
            dbx_core::Config::from_env().map_err(EnvOrEmulatorError::Config)?,
            None,
        )),
        (false, false) => {
            let server = MockServer::start()
                .await
                .map_err(EnvOrEmulatorError::Start)?;
            eprintln!(
                "neither {HOST} nor {TOKEN} is set: using an emulator at {}",
                server.url()
            );
            let config = dbx_core::Config::builder()
                .host(server.url())
                .token(server.admin_token())
                .build()
                .map_err(EnvOrEmulatorError::Config)?;
            Ok((config, Some(server)))
        }
        (true, false) => Err(EnvOrEmulatorError::OnlyOneSet {
            set: HOST,
            unset: TOKEN,
        }),
        (false, true) => Err(EnvOrEmulatorError::OnlyOneSet {
            set: TOKEN,
            unset: HOST,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_variable_alone_says_which_and_what_to_do() {
        let e = EnvOrEmulatorError::OnlyOneSet {
            set: "DATABRICKS_HOST",
            unset: "DATABRICKS_TOKEN",
        };
        assert_eq!(
            e.to_string(),
            "DATABRICKS_HOST is set but DATABRICKS_TOKEN is not: set both to run against a \
             workspace, or unset DATABRICKS_HOST to run against an emulator started in this process"
        );
    }
}
