//! # dbx
//!
//! The dbx-rs Databricks SDK in one crate. Each API family is its own crate (`dbx-token`,
//! `dbx-secrets`, …), re-exported here as a module behind a cargo feature of the same name, and
//! [`WorkspaceClient`] hands every enabled family out from one [`Client`]: one connection pool,
//! one credentials provider (one OAuth token cache), one set of default call options.
//!
//! | feature | module | handle |
//! |---|---|---|
//! | `token` | [`token`] (dbx-token) | [`WorkspaceClient::tokens`] |
//! | `secrets` | [`secrets`] (dbx-secrets) | [`WorkspaceClient::secrets`] |
//! | `dbfs` | [`dbfs`] (dbx-dbfs) | [`WorkspaceClient::dbfs`] |
//! | `workspace` | [`workspace`] (dbx-workspace) | [`WorkspaceClient::workspace`] |
//! | `clusters` | [`clusters`] (dbx-clusters) | [`WorkspaceClient::clusters`] |
//! | `libraries` | [`libraries`] (dbx-libraries) | [`WorkspaceClient::libraries`] |
//! | `instance-profiles` | [`instance_profiles`] (dbx-instance-profiles) | [`WorkspaceClient::instance_profiles`] |
//! | `jobs` | [`jobs`] (dbx-jobs) | [`WorkspaceClient::jobs`] |
//! | `scim` | [`scim`] (dbx-scim) | [`WorkspaceClient::scim`], [`WorkspaceClient::users`], [`WorkspaceClient::service_principals`] |
//! | `groups` | [`groups`] (dbx-groups, Groups API 2.0) | [`WorkspaceClient::groups`] |
//!
//! Every family is on by default (feature `full`), as the official SDKs give everything. For a
//! smaller build, `dbx = { …, default-features = false, features = ["secrets", "jobs"] }`; or
//! depend on a family crate alone, which stays fully supported: this crate adds nothing a family
//! crate needs. [`core`] is `dbx-core` (config, auth, errors, call options, paging, waiters).
//!
//! ```no_run
//! # async fn demo() -> dbx::Result<()> {
//! use futures::TryStreamExt;
//!
//! // DATABRICKS_HOST / DATABRICKS_TOKEN (or OAuth M2M), or a ~/.databrickscfg profile.
//! let ws = dbx::WorkspaceClient::from_env()?;
//! let me = ws.scim().me().await?;
//! let jobs: Vec<_> = ws.jobs().list().items().try_collect().await?;
//! let scopes = ws.secrets().list_scopes().await?;
//! println!("{:?}: {} jobs, {} secret scopes", me.user_name, jobs.len(), scopes.len());
//! # Ok(()) }
//! ```
//!
//! The SCIM groups (`ws.scim().groups()`) and the Groups API 2.0 (`ws.groups()`) are two APIs
//! over the same groups; `groups()` is the latter because it is the `groups` family crate.

pub use dbx_core as core;
pub use dbx_core::{CallOptions, Client, Config, ConfigBuilder, Error, Result};

#[cfg(feature = "clusters")]
pub use dbx_clusters as clusters;
#[cfg(feature = "dbfs")]
pub use dbx_dbfs as dbfs;
#[cfg(feature = "groups")]
pub use dbx_groups as groups;
#[cfg(feature = "instance-profiles")]
pub use dbx_instance_profiles as instance_profiles;
#[cfg(feature = "jobs")]
pub use dbx_jobs as jobs;
#[cfg(feature = "libraries")]
pub use dbx_libraries as libraries;
#[cfg(feature = "scim")]
pub use dbx_scim as scim;
#[cfg(feature = "secrets")]
pub use dbx_secrets as secrets;
#[cfg(feature = "token")]
pub use dbx_token as token;
#[cfg(feature = "workspace")]
pub use dbx_workspace as workspace;

/// A Databricks workspace: build it once, then ask it for any enabled API family.
///
/// Every handle it returns is a cheap clone over the same [`Client`], so all families share one
/// connection pool, one credentials provider (an OAuth M2M token is fetched once and refreshed
/// for all of them) and this client's default [`CallOptions`]. Handles may be kept, cloned and
/// moved across tasks; asking again is as cheap as keeping one.
///
/// ```no_run
/// # async fn demo() -> dbx::Result<()> {
/// let config = dbx::Config::builder()
///     .host("https://dbc-1234.cloud.databricks.com")
///     .token("dapi...")
///     .build()?;
/// let ws = dbx::WorkspaceClient::new(config)?;
/// for token in ws.tokens().list().await? {
///     println!("{} {:?}", token.token_id, token.comment);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct WorkspaceClient {
    client: Client,
}

impl WorkspaceClient {
    /// A workspace client over the default transport (reqwest + rustls) from an explicit
    /// configuration ([`Config::builder`]).
    pub fn new(config: Config) -> Result<Self> {
        Ok(Self::from_client(Client::new(config)?))
    }

    /// A workspace client configured the way every Databricks tool does: `DATABRICKS_HOST`
    /// with `DATABRICKS_TOKEN` (or `DATABRICKS_CLIENT_ID` / `DATABRICKS_CLIENT_SECRET`), or
    /// the `~/.databrickscfg` profile named by `DATABRICKS_CONFIG_PROFILE` (see
    /// [`Config::from_env`]).
    pub fn from_env() -> Result<Self> {
        Ok(Self::from_client(Client::from_env()?))
    }

    /// A workspace client over any transport, e.g. the emulator's in-process transport in a
    /// test (`dbx_mock_server::Emulator::transport`).
    pub fn with_transport(config: Config, transport: impl core::Transport + 'static) -> Self {
        Self::from_client(Client::with_transport(config, transport))
    }

    /// A workspace client over an existing [`Client`], sharing its connections and credentials.
    pub fn from_client(client: Client) -> Self {
        Self { client }
    }

    /// The shared client, for calls no family crate covers (`client().call(Request::get(..))`)
    /// or to build a family handle yourself.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &Config {
        self.client.config()
    }

    /// This workspace with `options` applied to every call made through the handles it hands
    /// out, sharing this one's connections and credentials (see [`Client::with_options`]).
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self::from_client(self.client.with_options(options))
    }

    /// The Token API (personal access tokens).
    #[cfg(feature = "token")]
    pub fn tokens(&self) -> token::TokenApi {
        token::TokenApi::new(self.client.clone())
    }

    /// The Secrets API (scopes, secrets, ACLs).
    #[cfg(feature = "secrets")]
    pub fn secrets(&self) -> secrets::SecretsApi {
        secrets::SecretsApi::new(self.client.clone())
    }

    /// The DBFS API, with streaming upload and download.
    #[cfg(feature = "dbfs")]
    pub fn dbfs(&self) -> dbfs::DbfsApi {
        dbfs::DbfsApi::new(self.client.clone())
    }

    /// The Workspace API (notebooks, files, folders; import and export).
    #[cfg(feature = "workspace")]
    pub fn workspace(&self) -> workspace::WorkspaceApi {
        workspace::WorkspaceApi::new(self.client.clone())
    }

    /// The Clusters API, with its default wait policy.
    #[cfg(feature = "clusters")]
    pub fn clusters(&self) -> clusters::ClustersApi {
        clusters::ClustersApi::new(self.client.clone())
    }

    /// The Libraries API, with its default wait policy.
    #[cfg(feature = "libraries")]
    pub fn libraries(&self) -> libraries::LibrariesApi {
        libraries::LibrariesApi::new(self.client.clone())
    }

    /// The Instance Profiles API.
    #[cfg(feature = "instance-profiles")]
    pub fn instance_profiles(&self) -> instance_profiles::InstanceProfilesApi {
        instance_profiles::InstanceProfilesApi::new(self.client.clone())
    }

    /// The Jobs API, with its default wait policy.
    #[cfg(feature = "jobs")]
    pub fn jobs(&self) -> jobs::JobsApi {
        jobs::JobsApi::new(self.client.clone())
    }

    /// The SCIM API: users, groups, service principals and `Me`.
    #[cfg(feature = "scim")]
    pub fn scim(&self) -> scim::ScimApi {
        scim::ScimApi::new(self.client.clone())
    }

    /// SCIM `/Users` (the same as `scim().users()`).
    #[cfg(feature = "scim")]
    pub fn users(&self) -> scim::Endpoint<scim::User> {
        self.scim().users()
    }

    /// SCIM `/ServicePrincipals` (the same as `scim().service_principals()`).
    #[cfg(feature = "scim")]
    pub fn service_principals(&self) -> scim::Endpoint<scim::ServicePrincipal> {
        self.scim().service_principals()
    }

    /// The Groups API 2.0 (for SCIM groups: `scim().groups()`).
    #[cfg(feature = "groups")]
    pub fn groups(&self) -> groups::GroupsApi {
        groups::GroupsApi::new(self.client.clone())
    }
}

impl From<Client> for WorkspaceClient {
    fn from(client: Client) -> Self {
        Self::from_client(client)
    }
}

/// The README's examples, compiled as doc tests (here because the facade has every crate they
/// use: `dbx` itself, each family, `dbx-core` and, as a dev-dependency, the emulator).
#[cfg(all(doctest, feature = "full"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
