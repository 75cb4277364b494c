//! Client configuration: the workspace host, the credentials, and the transport knobs.
//!
//! Values are resolved the way the official Databricks SDKs (Go, Python, Java) and the CLI do
//! (<https://docs.databricks.com/en/dev-tools/auth/unified-auth.html>, config-file profiles:
//! <https://docs.databricks.com/en/dev-tools/auth/config-profiles.html>):
//!
//! 1. values set explicitly on the [`ConfigBuilder`];
//! 2. environment variables: `DATABRICKS_HOST`, `DATABRICKS_TOKEN`, `DATABRICKS_CLIENT_ID`,
//!    `DATABRICKS_CLIENT_SECRET`, `DATABRICKS_AUTH_TYPE`, `DATABRICKS_CONFIG_PROFILE` and
//!    `DATABRICKS_CONFIG_FILE` (an empty variable counts as unset);
//! 3. a profile of the INI config file (`DATABRICKS_CONFIG_FILE`, default `~/.databrickscfg`) with
//!    the keys `host`, `token`, `client_id`, `client_secret` and `auth_type`.
//!
//! The file is read only when a profile is named, or when the host or a credential is still
//! missing after steps 1 and 2; it never overwrites a value that is already set. The profile is
//! the one named explicitly (builder or `DATABRICKS_CONFIG_PROFILE`), else
//! `[__settings__] default_profile`, else `[DEFAULT]`.
//!
//! Every problem is reported as [`Error::Config`] with a message naming the variable, key or
//! file to fix.
//!
//! The host is the workspace URL alone (`https://dbc-1234.cloud.databricks.com`): a host
//! without a scheme gets `https://`, as in the official SDKs (so a plain-HTTP server such as a
//! local emulator needs `http://` written out), and a host with a path
//! (`http://127.0.0.1:8080/api/2.0`) is rejected, since every call adds its own `/api/...` path.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::auth::{CredentialsProvider, OAuthM2MCredentials, PatCredentials};
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::Redacted;

const ENV_HOST: &str = "DATABRICKS_HOST";
const ENV_TOKEN: &str = "DATABRICKS_TOKEN";
const ENV_CLIENT_ID: &str = "DATABRICKS_CLIENT_ID";
const ENV_CLIENT_SECRET: &str = "DATABRICKS_CLIENT_SECRET";
const ENV_AUTH_TYPE: &str = "DATABRICKS_AUTH_TYPE";
const ENV_PROFILE: &str = "DATABRICKS_CONFIG_PROFILE";
const ENV_CONFIG_FILE: &str = "DATABRICKS_CONFIG_FILE";

const DEFAULT_FILE_NAME: &str = ".databrickscfg";
const DEFAULT_PROFILE: &str = "DEFAULT";
const SETTINGS_SECTION: &str = "__settings__";
const SETTINGS_DEFAULT_PROFILE: &str = "default_profile";

const NO_CREDENTIALS: &str = "no credentials configured";

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The authentication method a client uses.
///
/// Parsed (case-insensitively) from the `DATABRICKS_AUTH_TYPE` variable or the `auth_type`
/// config-file key: `pat` or `oauth-m2m`.
///
/// ```
/// use dbx_core::AuthType;
///
/// let t: AuthType = "OAuth-M2M".parse()?;
/// assert_eq!(t, AuthType::OAuthM2M);
/// assert_eq!(t.as_str(), "oauth-m2m");
/// # Ok::<(), dbx_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthType {
    /// A personal access token sent as `Authorization: Bearer <token>` (`pat`).
    Pat,
    /// OAuth machine-to-machine: a service principal's client id and secret exchanged for
    /// short-lived access tokens (`oauth-m2m`).
    OAuthM2M,
    /// A [`CredentialsProvider`] supplied by the caller
    /// ([`ConfigBuilder::credentials_provider`]); never read from the environment or a file.
    Custom,
}

impl AuthType {
    /// The name used by `DATABRICKS_AUTH_TYPE` and the `auth_type` key: `pat` or `oauth-m2m`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::Pat => "pat",
            AuthType::OAuthM2M => "oauth-m2m",
            AuthType::Custom => "custom",
        }
    }
}

impl fmt::Display for AuthType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthType {
    type Err = Error;

    /// Parse `pat` or `oauth-m2m`, ignoring case and surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("pat") {
            Ok(AuthType::Pat)
        } else if t.eq_ignore_ascii_case("oauth-m2m") {
            Ok(AuthType::OAuthM2M)
        } else {
            Err(Error::Config(format!(
                "unsupported auth_type `{s}`: supported values are `pat` and `oauth-m2m`"
            )))
        }
    }
}

/// The credentials of a [`Config`]. `Debug` never prints the secret parts.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// A personal access token.
    Pat {
        /// The token (`dapi…`).
        token: SecretString,
    },
    /// An OAuth machine-to-machine service principal.
    OAuthM2M {
        /// The service principal's application (client) id.
        client_id: String,
        /// The OAuth secret.
        client_secret: SecretString,
    },
    /// A caller-supplied provider ([`ConfigBuilder::credentials_provider`]).
    Provider(Arc<dyn CredentialsProvider>),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Pat { .. } => f.debug_struct("Pat").field("token", &Redacted).finish(),
            Credentials::OAuthM2M { client_id, .. } => f
                .debug_struct("OAuthM2M")
                .field("client_id", client_id)
                .field("client_secret", &Redacted)
                .finish(),
            Credentials::Provider(p) => f
                .debug_struct("Provider")
                .field("auth_type", &p.auth_type())
                .finish_non_exhaustive(),
        }
    }
}

impl Credentials {
    fn auth_type(&self) -> AuthType {
        match self {
            Credentials::Pat { .. } => AuthType::Pat,
            Credentials::OAuthM2M { .. } => AuthType::OAuthM2M,
            Credentials::Provider(_) => AuthType::Custom,
        }
    }

    /// The provider that authenticates requests with these credentials. Each call builds a new
    /// one (with its own OAuth token cache), except for [`Credentials::Provider`], which is
    /// shared. Every [`crate::Client`] calls this once.
    pub fn provider(&self) -> Arc<dyn CredentialsProvider> {
        match self {
            Credentials::Pat { token } => Arc::new(PatCredentials::new(token.clone())),
            Credentials::OAuthM2M {
                client_id,
                client_secret,
            } => Arc::new(OAuthM2MCredentials::new(
                client_id.clone(),
                client_secret.clone(),
            )),
            Credentials::Provider(p) => Arc::clone(p),
        }
    }
}

/// A validated client configuration: where to connect, how to authenticate, and how to retry.
///
/// Create one with [`Config::builder`] (explicit values, optionally a named profile) or
/// [`Config::from_env`] (builder → environment → `~/.databrickscfg`, like the official SDKs).
/// `Debug` shows the host and the kind of credential, never a token or secret.
///
/// ```
/// use std::time::Duration;
/// use dbx_core::{AuthType, Config};
///
/// let config = Config::builder()
///     .host("dbc-1234.cloud.databricks.com/")
///     .token("dapi0123456789abcdef")
///     .request_timeout(Duration::from_secs(30))
///     .build()?;
/// assert_eq!(config.host(), "https://dbc-1234.cloud.databricks.com");
/// assert_eq!(config.auth_type(), AuthType::Pat);
/// assert!(!format!("{config:?}").contains("dapi0123456789abcdef"));
/// # Ok::<(), dbx_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Config {
    host: String,
    /// The host was configured without a scheme and `https://` was added.
    scheme_assumed: bool,
    credentials: Credentials,
    /// Where the credentials came from, in words (never the value).
    credentials_origin: String,
    profile: Option<String>,
    /// How failed calls are retried (default [`RetryPolicy::default`]).
    pub retry: RetryPolicy,
    /// Time allowed to establish a connection (default 10 s).
    pub connect_timeout: Duration,
    /// Time allowed for one attempt of a request, response body included (default 60 s).
    pub request_timeout: Duration,
    /// Client-side rate limit in requests per second (default: none).
    pub rate_limit: Option<f64>,
    /// Text appended to the `User-Agent` header, e.g. `my-tool/1.2`.
    pub user_agent_extra: Option<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("credentials", &self.credentials)
            .field("profile", &self.profile)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("rate_limit", &self.rate_limit)
            .field("user_agent_extra", &self.user_agent_extra)
            .finish()
    }
}

impl Config {
    /// A builder with nothing set.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Resolve a configuration from the `DATABRICKS_*` environment variables and the config file,
    /// exactly like `ConfigBuilder::default().resolve()`.
    ///
    /// ```no_run
    /// let config = dbx_core::Config::from_env()?;
    /// println!("using {}", config.host());
    /// # Ok::<(), dbx_core::Error>(())
    /// ```
    pub fn from_env() -> Result<Config, Error> {
        ConfigBuilder::default().resolve()
    }

    /// The workspace URL: with a scheme (`https://` is added when none was given), without
    /// trailing slashes, and without a path (a host with one is rejected).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// True when the host was configured without a scheme and `https://` was assumed (connect
    /// and TLS errors then say so).
    pub fn scheme_assumed(&self) -> bool {
        self.scheme_assumed
    }

    /// The credentials and where they came from, in words, for messages; never a secret. For
    /// example `personal access token from DATABRICKS_TOKEN`, `personal access token from
    /// profile `dev` in ~/.databrickscfg`, `personal access token from the builder`.
    ///
    /// ```
    /// let config = dbx_core::Config::builder().host("h.example.com").token("dapi-secret").build()?;
    /// assert_eq!(config.credentials_origin(), "personal access token from the builder");
    /// # Ok::<(), dbx_core::Error>(())
    /// ```
    pub fn credentials_origin(&self) -> &str {
        &self.credentials_origin
    }

    /// The credentials requests are authenticated with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The authentication method of [`Config::credentials`].
    pub fn auth_type(&self) -> AuthType {
        self.credentials.auth_type()
    }

    /// The config-file profile values were read from, if the file was used.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }
}

/// Builds a [`Config`].
///
/// [`build`](ConfigBuilder::build) uses only what was set on the builder (plus the config file
/// when a profile or file was named explicitly); [`resolve`](ConfigBuilder::resolve) also
/// consults the environment and the default config file. `Debug` redacts the token and the
/// client secret.
///
/// ```
/// use std::time::Duration;
/// use dbx_core::{AuthType, ConfigBuilder, RetryPolicy};
///
/// let config = ConfigBuilder::default()
///     .host("https://dbc-1234.cloud.databricks.com")
///     .client_id("6b4b5c2e-0000-0000-0000-000000000000")
///     .client_secret("dose-not-a-real-secret")
///     .retry(RetryPolicy::none())
///     .connect_timeout(Duration::from_secs(5))
///     .rate_limit(20.0)
///     .user_agent_extra("my-tool/1.0")
///     .build()?;
/// assert_eq!(config.auth_type(), AuthType::OAuthM2M);
/// assert_eq!(config.rate_limit, Some(20.0));
/// # Ok::<(), dbx_core::Error>(())
/// ```
#[derive(Default, Clone)]
pub struct ConfigBuilder {
    host: Option<String>,
    token: Option<SecretString>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    auth_type: Option<AuthType>,
    provider: Option<Arc<dyn CredentialsProvider>>,
    profile: Option<String>,
    config_file: Option<PathBuf>,
    retry: Option<RetryPolicy>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    rate_limit: Option<f64>,
    user_agent_extra: Option<String>,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("host", &self.host)
            .field("token", &self.token.as_ref().map(|_| Redacted))
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| Redacted),
            )
            .field("auth_type", &self.auth_type)
            .field(
                "credentials_provider",
                &self.provider.as_ref().map(|p| p.auth_type().to_string()),
            )
            .field("profile", &self.profile)
            .field("config_file", &self.config_file)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("rate_limit", &self.rate_limit)
            .field("user_agent_extra", &self.user_agent_extra)
            .finish()
    }
}

impl ConfigBuilder {
    /// The workspace URL, e.g. `https://dbc-1234.cloud.databricks.com`, without a path. The
    /// scheme may be omitted: `https://` is then assumed, as in the official SDKs, so a
    /// plain-HTTP server (a local emulator) needs `http://` written out.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// A personal access token. An empty token counts as unset; the builder never reads
    /// `DATABRICKS_TOKEN` itself unless [`resolve`](Self::resolve) is used.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// The OAuth M2M client (application) id of a service principal.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The OAuth M2M client secret of a service principal.
    pub fn client_secret(mut self, client_secret: impl Into<String>) -> Self {
        self.client_secret = Some(SecretString::from(client_secret.into()));
        self
    }

    /// Authenticate with a caller-supplied [`CredentialsProvider`] (a token from a vault, a
    /// refreshing custom source...). It wins over every other credential: tokens and client
    /// credentials from the builder, the environment or a config file are then ignored (the
    /// host is still resolved as usual). See [`crate::auth`] for an example.
    pub fn credentials_provider(mut self, provider: Arc<dyn CredentialsProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Force one authentication method; the values of other methods are then ignored.
    pub fn auth_type(mut self, auth_type: AuthType) -> Self {
        self.auth_type = Some(auth_type);
        self
    }

    /// The config-file profile (INI section) to read; naming one makes the file mandatory.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// The config file to read instead of `~/.databrickscfg`; it must exist when it is read.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Time allowed to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Time allowed for one attempt of a request (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// A client-side rate limit in requests per second; must be positive and finite.
    pub fn rate_limit(mut self, requests_per_second: f64) -> Self {
        self.rate_limit = Some(requests_per_second);
        self
    }

    /// Text appended to the `User-Agent` header (printable ASCII), e.g. `my-tool/1.2`.
    pub fn user_agent_extra(mut self, extra: impl Into<String>) -> Self {
        self.user_agent_extra = Some(extra.into());
        self
    }

    /// Validate the explicitly set values. The environment is not consulted; the config file is
    /// read only when [`profile`](Self::profile) or [`config_file`](Self::config_file) was set
    /// (the default file is then located through `HOME`).
    pub fn build(self) -> Result<Config, Error> {
        self.resolve_inner(&|name: &str| std::env::var(name).ok(), false)
    }

    /// Resolve explicit values, then the `DATABRICKS_*` environment variables, then the config
    /// file profile, and validate the result.
    pub fn resolve(self) -> Result<Config, Error> {
        self.resolve_inner(&|name: &str| std::env::var(name).ok(), true)
    }

    /// [`resolve`](Self::resolve) with the environment supplied by `env` (which is also asked
    /// for `HOME`/`USERPROFILE` to locate the default config file).
    pub fn resolve_with_env(self, env: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        self.resolve_inner(&env, true)
    }

    fn resolve_inner(
        self,
        env: &dyn Fn(&str) -> Option<String>,
        use_env: bool,
    ) -> Result<Config, Error> {
        if let Some(rate) = self.rate_limit {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(Error::Config(format!(
                    "rate_limit must be a positive, finite number of requests per second (got {rate})"
                )));
            }
        }
        if let Some(extra) = &self.user_agent_extra {
            if !extra.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
                return Err(Error::Config(format!(
                    "user_agent_extra {extra:?} must be printable ASCII"
                )));
            }
        }

        let var = |name: &'static str| -> Option<(String, Source)> {
            if !use_env {
                return None;
            }
            non_empty(env(name)).map(|v| (v, Source::Env(name)))
        };
        let explicit = |v: Option<String>| non_empty(v).map(|v| (v, Source::Explicit));
        let explicit_secret = |v: Option<SecretString>| {
            non_empty(v.map(|s| s.expose_secret().to_string())).map(|v| (v, Source::Explicit))
        };

        let empty_builder_token = self
            .token
            .as_ref()
            .is_some_and(|t| t.expose_secret().trim().is_empty());
        let mut fields = Fields {
            host: explicit(self.host).or_else(|| var(ENV_HOST)),
            token: explicit_secret(self.token).or_else(|| var(ENV_TOKEN)),
            client_id: explicit(self.client_id).or_else(|| var(ENV_CLIENT_ID)),
            client_secret: explicit_secret(self.client_secret).or_else(|| var(ENV_CLIENT_SECRET)),
            auth_type: self
                .auth_type
                .map(|t| (t.as_str().to_string(), Source::Explicit))
                .or_else(|| var(ENV_AUTH_TYPE)),
        };
        let explicit_profile = explicit(self.profile).or_else(|| var(ENV_PROFILE));
        let file_request = self
            .config_file
            .map(|p| (p, Source::Explicit))
            .or_else(|| var(ENV_CONFIG_FILE).map(|(p, s)| (PathBuf::from(p), s)));
        let file_named = file_request.is_some();

        let home = non_empty(env("HOME")).or_else(|| non_empty(env("USERPROFILE")));
        // What build() leaves out, for the messages about missing values: build() reads
        // neither the environment nor the default file, whatever is set there.
        let build_only = |var: &str, setter: &str| -> String {
            let was_set = if non_empty(env(var)).is_some() {
                format!(" ({var} is set but was not read)")
            } else {
                String::new()
            };
            format!(
                "set it with ConfigBuilder::{setter}; ConfigBuilder::build() reads neither the \
                 environment nor ~/{DEFAULT_FILE_NAME}{was_set}: call ConfigBuilder::resolve() \
                 (or Config::from_env()) instead to combine the builder's values with the \
                 DATABRICKS_* variables and the config file (values set on the builder win)"
            )
        };
        let file = match file_request {
            Some((path, source)) => Some(ConfigFile {
                path: expand_home(&path, home.as_deref()),
                explicit: Some(source),
            }),
            None => home.as_ref().map(|h| ConfigFile {
                path: Path::new(&h).join(DEFAULT_FILE_NAME),
                explicit: None,
            }),
        };

        // An unparseable auth_type from the builder or the environment is reported before the
        // file is read; it also decides which credentials count as "missing".
        // Reject an unsupported auth_type before reading any file.
        if self.provider.is_none() {
            fields.parsed_auth_type()?;
        }
        let mut profile_used = None;
        let mut profile_label = explicit_profile.as_ref().map(|(p, _)| p.clone());
        let wants_file = use_env || explicit_profile.is_some() || file_named;
        // As the official SDKs do: without a named profile, the file is consulted only when
        // neither a host nor any credential value is set. Mixing an environment host with a
        // file's credentials could send one workspace's token to another workspace.
        let needs_values =
            fields.host.is_none() && !fields.any_credential_value() && self.provider.is_none();
        if wants_file && (explicit_profile.is_some() || needs_values) {
            let loaded = load_profile(file.as_ref(), explicit_profile.as_ref())?;
            if let Some(loaded) = loaded {
                profile_label = Some(loaded.profile.clone());
                if let Some(section) = loaded.section {
                    fields.fill_from(&section, &loaded.path, &loaded.profile);
                    profile_used = Some(loaded.profile);
                }
            }
        }

        let hint = FileHint {
            file: file
                .as_ref()
                .map(|f| f.path.display().to_string())
                .unwrap_or_else(|| format!("~/{DEFAULT_FILE_NAME}")),
            profile: profile_label.unwrap_or_else(|| DEFAULT_PROFILE.to_string()),
        };

        let auth_type = match self.provider {
            Some(_) => None,
            None => fields.parsed_auth_type()?,
        };
        let (host, scheme_assumed) = match &fields.host {
            None if !use_env => {
                return Err(Error::Config(format!(
                    "no host configured: {}",
                    build_only(ENV_HOST, "host(..)")
                )))
            }
            None => {
                return Err(Error::Config(format!(
                    "no host configured: set {ENV_HOST} or `host` in {}",
                    hint.location()
                )))
            }
            Some((raw, source)) => normalize_host(raw).map_err(|why| {
                Error::Config(format!(
                    "invalid host `{raw}` ({}): {why}",
                    source.describe("host")
                ))
            })?,
        };
        let (credentials, credentials_origin) = match self.provider {
            Some(p) => {
                let origin = format!(
                    "credentials of the `{}` credentials provider",
                    p.auth_type()
                );
                (Credentials::Provider(p), origin)
            }
            None => match fields.credentials(auth_type, &hint) {
                Ok(c) => {
                    let origin = fields.origin(&c, home.as_deref());
                    (c, origin)
                }
                Err(Error::Config(msg)) if !use_env && msg.starts_with(NO_CREDENTIALS) => {
                    let empty = if empty_builder_token {
                        "the token given to ConfigBuilder::token is empty; "
                    } else {
                        ""
                    };
                    return Err(Error::Config(format!(
                        "{NO_CREDENTIALS}: {empty}{}",
                        build_only(
                            ENV_TOKEN,
                            "token(..) (or client_id(..) and client_secret(..) for OAuth M2M)"
                        )
                    )));
                }
                Err(e) => return Err(e),
            },
        };

        Ok(Config {
            host,
            scheme_assumed,
            credentials,
            credentials_origin,
            profile: profile_used,
            retry: self.retry.unwrap_or_default(),
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            request_timeout: self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            rate_limit: self.rate_limit,
            user_agent_extra: non_empty(self.user_agent_extra),
        })
    }
}

/// Where a value came from, for error messages.
#[derive(Clone, Debug)]
enum Source {
    Explicit,
    Env(&'static str),
    File { path: PathBuf, profile: String },
}

impl Source {
    /// Where a credential came from, for [`Config::credentials_origin`]: `from the builder`,
    /// `from DATABRICKS_TOKEN`, `from profile `dev` in ~/.databrickscfg`.
    fn origin(&self, home: Option<&str>) -> String {
        match self {
            Source::Explicit => "from the builder".to_string(),
            Source::Env(name) => format!("from {name}"),
            Source::File { path, profile } => {
                let shown = match home.and_then(|h| path.strip_prefix(h).ok()) {
                    Some(rest) => format!("~/{}", rest.display()),
                    None => path.display().to_string(),
                };
                format!("from profile `{profile}` in {shown}")
            }
        }
    }

    /// `key` is the config-file key of the value.
    fn describe(&self, key: &str) -> String {
        match self {
            Source::Explicit => "set on the ConfigBuilder".to_string(),
            Source::Env(name) => format!("from {name}"),
            Source::File { path, profile } => {
                format!("from `{key}` in {} [{profile}]", path.display())
            }
        }
    }
}

/// Names the file and profile a missing value could be set in.
struct FileHint {
    file: String,
    profile: String,
}

impl FileHint {
    fn location(&self) -> String {
        format!("{} [{}]", self.file, self.profile)
    }
}

struct ConfigFile {
    path: PathBuf,
    /// `Some` when the file was named explicitly (builder or `DATABRICKS_CONFIG_FILE`).
    explicit: Option<Source>,
}

struct LoadedProfile {
    path: PathBuf,
    profile: String,
    /// `None` when the implicit `[DEFAULT]` profile does not exist.
    section: Option<Vec<(String, String)>>,
}

/// Read the config file and pick the profile. `Ok(None)`: there is no file to read and none was
/// asked for.
fn load_profile(
    file: Option<&ConfigFile>,
    explicit_profile: Option<&(String, Source)>,
) -> Result<Option<LoadedProfile>, Error> {
    let Some(file) = file else {
        return match explicit_profile {
            Some((profile, source)) => Err(Error::Config(format!(
                "profile `{profile}` ({}) cannot be read: no config file; set {ENV_CONFIG_FILE} or HOME",
                source.describe("profile")
            ))),
            None => Ok(None),
        };
    };
    let path = &file.path;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(source) = &file.explicit {
                let by = match source {
                    Source::Env(name) => format!("named by {name}"),
                    _ => "set on the ConfigBuilder".to_string(),
                };
                return Err(Error::Config(format!(
                    "config file {} ({by}) does not exist",
                    path.display()
                )));
            }
            return match explicit_profile {
                Some((profile, source)) => Err(Error::Config(format!(
                    "profile `{profile}` ({}) not found: config file {} does not exist; create it or set {ENV_CONFIG_FILE}",
                    source.describe("profile"),
                    path.display()
                ))),
                None => Ok(None),
            };
        }
        Err(e) => {
            return Err(Error::Config(format!(
                "cannot read config file {}: {e}",
                path.display()
            )))
        }
    };
    let ini = ini::Ini::load_from_str_opt(
        &text,
        ini::ParseOption {
            enabled_escape: false,
            ..ini::ParseOption::default()
        },
    )
    .map_err(|e| {
        Error::Config(format!(
            "cannot parse config file {}: line {}, column {}: {}",
            path.display(),
            e.line,
            e.col,
            e.msg
        ))
    })?;

    let section_values = |name: &str| -> Option<Vec<(String, String)>> {
        ini.section(Some(name)).map(|props| {
            props
                .iter()
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect()
        })
    };

    let (profile, named_by) = match explicit_profile {
        Some((profile, source)) => (profile.clone(), Some(source.describe("profile"))),
        None => {
            let from_settings = section_values(SETTINGS_SECTION).and_then(|kv| {
                kv.into_iter()
                    .rev()
                    .find(|(k, v)| k == SETTINGS_DEFAULT_PROFILE && !v.is_empty())
                    .map(|(_, v)| v)
            });
            match from_settings {
                Some(p) => (
                    p,
                    Some(format!(
                        "the `{SETTINGS_DEFAULT_PROFILE}` in [{SETTINGS_SECTION}]"
                    )),
                ),
                None => (DEFAULT_PROFILE.to_string(), None),
            }
        }
    };
    let section = section_values(&profile);
    if section.is_none() {
        if let Some(named_by) = named_by {
            return Err(Error::Config(format!(
                "profile `{profile}` ({named_by}) not found in {}",
                path.display()
            )));
        }
    }
    Ok(Some(LoadedProfile {
        path: path.clone(),
        profile,
        section,
    }))
}

/// The values being resolved, each with its source.
struct Fields {
    host: Option<(String, Source)>,
    token: Option<(String, Source)>,
    client_id: Option<(String, Source)>,
    client_secret: Option<(String, Source)>,
    auth_type: Option<(String, Source)>,
}

impl Fields {
    fn parsed_auth_type(&self) -> Result<Option<(AuthType, Source)>, Error> {
        match &self.auth_type {
            None => Ok(None),
            Some((raw, source)) => match raw.parse::<AuthType>() {
                Ok(t) => Ok(Some((t, source.clone()))),
                Err(_) => Err(Error::Config(format!(
                    "unsupported auth_type `{raw}` ({}): supported values are `pat` and `oauth-m2m`",
                    source.describe("auth_type")
                ))),
            },
        }
    }

    /// [`Config::credentials_origin`] of credentials built from these fields.
    fn origin(&self, credentials: &Credentials, home: Option<&str>) -> String {
        let from = |field: &Option<(String, Source)>| {
            field
                .as_ref()
                .map(|(_, s)| s.origin(home))
                .unwrap_or_default()
        };
        match credentials {
            Credentials::Pat { .. } => format!("personal access token {}", from(&self.token)),
            Credentials::OAuthM2M { client_id, .. } => format!(
                "OAuth token of service principal `{client_id}` (client secret {})",
                from(&self.client_secret)
            ),
            Credentials::Provider(p) => {
                format!(
                    "credentials of the `{}` credentials provider",
                    p.auth_type()
                )
            }
        }
    }

    fn any_credential_value(&self) -> bool {
        self.token.is_some() || self.client_id.is_some() || self.client_secret.is_some()
    }

    /// Fill the unset values from a config-file section.
    fn fill_from(&mut self, section: &[(String, String)], path: &Path, profile: &str) {
        let lookup = |key: &str| -> Option<(String, Source)> {
            section
                .iter()
                .rev()
                .find(|(k, v)| k == key && !v.is_empty())
                .map(|(_, v)| {
                    (
                        v.clone(),
                        Source::File {
                            path: path.to_path_buf(),
                            profile: profile.to_string(),
                        },
                    )
                })
        };
        for (slot, key) in [
            (&mut self.host, "host"),
            (&mut self.token, "token"),
            (&mut self.client_id, "client_id"),
            (&mut self.client_secret, "client_secret"),
            (&mut self.auth_type, "auth_type"),
        ] {
            if slot.is_none() {
                *slot = lookup(key);
            }
        }
    }

    fn credentials(
        &self,
        auth_type: Option<(AuthType, Source)>,
        hint: &FileHint,
    ) -> Result<Credentials, Error> {
        let location = hint.location();
        let pat = || {
            self.token.as_ref().map(|(t, _)| Credentials::Pat {
                token: SecretString::from(t.clone()),
            })
        };
        let m2m = || match (&self.client_id, &self.client_secret) {
            (Some((id, _)), Some((secret, _))) => Some(Credentials::OAuthM2M {
                client_id: id.clone(),
                client_secret: SecretString::from(secret.clone()),
            }),
            _ => None,
        };
        let m2m_incomplete = |context: String| -> Error {
            let (have, source, missing, missing_var) = match (&self.client_id, &self.client_secret)
            {
                (Some((_, s)), None) => ("client_id", s, "client_secret", ENV_CLIENT_SECRET),
                (None, Some((_, s))) => ("client_secret", s, "client_id", ENV_CLIENT_ID),
                _ => {
                    return Error::Config(format!(
                        "{context} needs client_id and client_secret: set {ENV_CLIENT_ID} and \
                         {ENV_CLIENT_SECRET}, or `client_id` and `client_secret` in {location}"
                    ))
                }
            };
            Error::Config(format!(
                "{context}: {have} is set ({}) but {missing} is missing; set {missing_var} or \
                 `{missing}` in {location}",
                source.describe(have)
            ))
        };

        match auth_type {
            Some((AuthType::Pat, source)) => pat().ok_or_else(|| {
                Error::Config(format!(
                    "auth_type pat ({}) needs a token: set {ENV_TOKEN} or `token` in {location}",
                    source.describe("auth_type")
                ))
            }),
            Some((AuthType::OAuthM2M, source)) => m2m().ok_or_else(|| {
                m2m_incomplete(format!(
                    "auth_type oauth-m2m ({})",
                    source.describe("auth_type")
                ))
            }),
            Some((AuthType::Custom, source)) => Err(Error::Config(format!(
                "auth_type custom ({}) needs a provider: use ConfigBuilder::credentials_provider",
                source.describe("auth_type")
            ))),
            None => {
                let m2m_source = match (&self.client_id, &self.client_secret) {
                    (Some((_, s)), _) => Some(("client_id", s)),
                    (None, Some((_, s))) => Some(("client_secret", s)),
                    (None, None) => None,
                };
                match (&self.token, m2m_source) {
                    (Some((_, token_source)), Some((key, m2m_source))) => {
                        Err(Error::Config(format!(
                            "more than one authorization method configured: pat and oauth-m2m; \
                             set {ENV_AUTH_TYPE} (or `auth_type` in {location}, or \
                             ConfigBuilder::auth_type) to `pat` or `oauth-m2m` (token {}, {key} {})",
                            token_source.describe("token"),
                            m2m_source.describe(key)
                        )))
                    }
                    (Some((token, _)), None) => Ok(Credentials::Pat {
                        token: SecretString::from(token.clone()),
                    }),
                    (None, Some(_)) => m2m().ok_or_else(|| {
                        m2m_incomplete("incomplete oauth-m2m configuration".to_string())
                    }),
                    (None, None) => Err(Error::Config(format!(
                        "{NO_CREDENTIALS}: set {ENV_TOKEN} (personal access token), or \
                         {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} (OAuth M2M), or `token` / \
                         `client_id` and `client_secret` in {location}"
                    ))),
                }
            }
        }
    }
}

/// Trimmed, with empty strings counting as unset.
fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Expand a leading `~` to the home directory, as the SDKs do for `DATABRICKS_CONFIG_FILE`.
fn expand_home(path: &Path, home: Option<&str>) -> PathBuf {
    let Some(home) = home else {
        return path.to_path_buf();
    };
    let Some(text) = path.to_str() else {
        return path.to_path_buf();
    };
    if text == "~" {
        PathBuf::from(home)
    } else if let Some(rest) = text.strip_prefix("~/").or_else(|| text.strip_prefix("~\\")) {
        Path::new(home).join(rest)
    } else {
        path.to_path_buf()
    }
}

/// Add `https://` when no scheme is given (and say so: the `bool`), check the URL, drop
/// trailing slashes; refuse a path.
fn normalize_host(raw: &str) -> Result<(String, bool), String> {
    let raw = raw.trim();
    let (scheme, rest, assumed) = match raw.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest, false),
        None => ("https".to_string(), raw, true),
    };
    if scheme != "https" && scheme != "http" {
        return Err(format!("unsupported scheme `{scheme}`; use https://"));
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Err("no host name".to_string());
    }
    let candidate = format!("{scheme}://{rest}");
    let url = url::Url::parse(&candidate).map_err(|e| e.to_string())?;
    if !matches!(url.host_str(), Some(h) if !h.is_empty()) {
        return Err("no host name".to_string());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password".to_string());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not contain a query or fragment".to_string());
    }
    let candidate = candidate.trim_end_matches('/');
    let path = url.path().trim_end_matches('/');
    if !path.is_empty() {
        let bare = url.origin().ascii_serialization();
        return Err(format!(
            "the host is the workspace URL without a path: remove `{path}` and use `{bare}` \
             (every call adds its own /api/... path)"
        ));
    }
    Ok((candidate.to_string(), assumed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const TOKEN: &str = "dapi-test-token-0123456789abcdef";
    const SECRET: &str = "dose-test-secret-fedcba9876543210";

    static COUNTER: AtomicUsize = AtomicUsize::new(0);

    fn unique(prefix: &str) -> PathBuf {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        std::env::temp_dir().join(format!(
            "dbx-core-config-{prefix}-{}-{n}-{nanos}",
            std::process::id()
        ))
    }

    /// A config file that is deleted on drop.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(contents: &str) -> Self {
            let path = unique("file").with_extension("cfg");
            std::fs::write(&path, contents).expect("write temp config file");
            TempFile(path)
        }

        fn path(&self) -> &str {
            self.0.to_str().expect("utf-8 temp path")
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// A home directory, optionally with a `.databrickscfg`; deleted on drop.
    struct TempHome(PathBuf);

    impl TempHome {
        fn new(cfg: Option<&str>) -> Self {
            let dir = unique("home");
            std::fs::create_dir_all(&dir).expect("create temp home");
            if let Some(cfg) = cfg {
                std::fs::write(dir.join(DEFAULT_FILE_NAME), cfg).expect("write .databrickscfg");
            }
            TempHome(dir)
        }

        fn path(&self) -> &str {
            self.0.to_str().expect("utf-8 temp path")
        }
    }

    impl Drop for TempHome {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// An injected environment. Unless `HOME` is given it points at a directory that does not
    /// exist, so the real `~/.databrickscfg` is never read.
    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.entry("HOME".into())
            .or_insert_with(|| unique("no-home").to_string_lossy().into_owned());
        move |k: &str| map.get(k).cloned()
    }

    fn err(result: Result<Config, Error>) -> String {
        match result {
            Ok(c) => panic!("expected an error, got {c:?}"),
            Err(Error::Config(msg)) => msg,
            Err(other) => panic!("expected Error::Config, got {other:?}"),
        }
    }

    fn token_of(c: &Config) -> String {
        match c.credentials() {
            Credentials::Pat { token } => token.expose_secret().to_string(),
            other => panic!("expected a PAT, got {other:?}"),
        }
    }

    struct Custom;

    #[async_trait::async_trait]
    impl CredentialsProvider for Custom {
        fn auth_type(&self) -> &str {
            "custom-test"
        }

        async fn headers(
            &self,
            _ctx: &crate::auth::AuthContext<'_>,
        ) -> crate::Result<http::HeaderMap> {
            Ok(http::HeaderMap::new())
        }
    }

    #[test]
    fn a_credentials_provider_wins_over_every_other_credential() {
        let file =
            TempFile::new("[DEFAULT]\nhost = https://file.example.com\ntoken = file-token\n");
        // Environment credentials, even an unparseable auth type, are ignored; the host still
        // comes from the environment, and the file is not mixed in.
        let c = Config::builder()
            .credentials_provider(Arc::new(Custom))
            .resolve_with_env(env(&[
                (ENV_HOST, "https://env.example.com"),
                (ENV_TOKEN, "env-token"),
                (ENV_AUTH_TYPE, "bogus"),
                (ENV_CONFIG_FILE, file.path()),
            ]))
            .expect("config");
        assert_eq!(c.host(), "https://env.example.com");
        assert_eq!(c.auth_type(), AuthType::Custom);
        assert_eq!(c.credentials().provider().auth_type(), "custom-test");
        assert!(c.profile().is_none());
        let shown = format!("{c:?}");
        assert!(
            shown.contains("custom-test") && !shown.contains("env-token"),
            "{shown}"
        );
        // The host is still required.
        let msg = err(Config::builder()
            .credentials_provider(Arc::new(Custom))
            .build());
        assert!(msg.starts_with("no host configured"), "{msg}");
    }

    #[test]
    fn defaults() {
        let c = Config::builder()
            .host("https://h.example.com")
            .token(TOKEN)
            .build()
            .expect("config");
        assert_eq!(c.retry, RetryPolicy::default());
        assert_eq!(c.connect_timeout, Duration::from_secs(10));
        assert_eq!(c.request_timeout, Duration::from_secs(60));
        assert_eq!(c.rate_limit, None);
        assert_eq!(c.user_agent_extra, None);
        assert_eq!(c.profile(), None);
        assert_eq!(c.auth_type(), AuthType::Pat);
        assert_eq!(token_of(&c), TOKEN);
    }

    #[test]
    fn precedence_explicit_over_env_over_file() {
        let file =
            TempFile::new("[DEFAULT]\nhost = https://file.example.com\ntoken = file-token\n");
        // File only.
        let c = Config::builder()
            .resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())]))
            .expect("config");
        assert_eq!(c.host(), "https://file.example.com");
        assert_eq!(token_of(&c), "file-token");
        assert_eq!(c.profile(), Some("DEFAULT"));

        // Without a named profile, a host from the environment means the file is not read at
        // all (as in the official SDKs): its token belongs to another workspace.
        let msg = err(Config::builder().resolve_with_env(env(&[
            (ENV_CONFIG_FILE, file.path()),
            (ENV_HOST, "https://env.example.com"),
        ])));
        assert!(msg.starts_with("no credentials configured"), "{msg}");

        // With a named profile, env beats file and the file fills what the env leaves unset.
        let c = Config::builder()
            .resolve_with_env(env(&[
                (ENV_CONFIG_FILE, file.path()),
                (ENV_PROFILE, "DEFAULT"),
                (ENV_HOST, "https://env.example.com"),
            ]))
            .expect("config");
        assert_eq!(c.host(), "https://env.example.com");
        assert_eq!(token_of(&c), "file-token");

        // Explicit beats env.
        let c = Config::builder()
            .host("https://explicit.example.com")
            .resolve_with_env(env(&[
                (ENV_CONFIG_FILE, file.path()),
                (ENV_HOST, "https://env.example.com"),
                (ENV_TOKEN, "env-token"),
            ]))
            .expect("config");
        assert_eq!(c.host(), "https://explicit.example.com");
        assert_eq!(token_of(&c), "env-token");
        // Host and credentials complete: the file was not needed.
        assert_eq!(c.profile(), None);

        let c = Config::builder()
            .token("explicit-token")
            .resolve_with_env(env(&[
                (ENV_TOKEN, "env-token"),
                (ENV_HOST, "h.example.com"),
            ]))
            .expect("config");
        assert_eq!(token_of(&c), "explicit-token");
    }

    #[test]
    fn empty_env_values_count_as_unset() {
        let file = TempFile::new("[DEFAULT]\nhost = file.example.com\ntoken = file-token\n");
        let c = Config::builder()
            .resolve_with_env(env(&[
                (ENV_CONFIG_FILE, file.path()),
                (ENV_HOST, ""),
                (ENV_TOKEN, "  "),
                (ENV_AUTH_TYPE, ""),
                (ENV_PROFILE, ""),
            ]))
            .expect("config");
        assert_eq!(c.host(), "https://file.example.com");
        assert_eq!(token_of(&c), "file-token");
    }

    #[test]
    fn file_is_not_read_when_everything_is_set() {
        // Unparseable, but never read: host and credentials are complete and no profile is named.
        let file = TempFile::new("[broken\n");
        let c = Config::builder()
            .resolve_with_env(env(&[
                (ENV_CONFIG_FILE, file.path()),
                (ENV_HOST, "h.example.com"),
                (ENV_TOKEN, TOKEN),
            ]))
            .expect("config");
        assert_eq!(c.profile(), None);
    }

    #[test]
    fn file_never_overwrites_set_values() {
        let file =
            TempFile::new("[DEFAULT]\nhost = https://file.example.com\ntoken = file-token\n");
        let c = Config::builder()
            .resolve_with_env(env(&[
                (ENV_CONFIG_FILE, file.path()),
                (ENV_HOST, "https://env.example.com"),
                (ENV_PROFILE, "DEFAULT"),
                (ENV_TOKEN, "env-token"),
            ]))
            .expect("config");
        assert_eq!(c.host(), "https://env.example.com");
        assert_eq!(token_of(&c), "env-token");
        assert_eq!(c.profile(), Some("DEFAULT"));
    }

    const PROFILES: &str = "\
; comment
[DEFAULT]
host  = https://default.example.com
token = default-token

[dev]
host  = https://dev.example.com
TOKEN = dev-token

[ci-sp]
host          = https://ci.example.com
client_id     = ci-client
client_secret = ci-secret
";

    #[test]
    fn default_vs_named_profile() {
        let file = TempFile::new(PROFILES);
        let c = Config::builder()
            .resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())]))
            .expect("default");
        assert_eq!(c.host(), "https://default.example.com");
        assert_eq!(c.profile(), Some("DEFAULT"));

        // Named in the builder (keys are case-insensitive).
        let c = Config::builder()
            .profile("dev")
            .resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())]))
            .expect("dev");
        assert_eq!(c.host(), "https://dev.example.com");
        assert_eq!(token_of(&c), "dev-token");
        assert_eq!(c.profile(), Some("dev"));

        // Named in the environment.
        let c = Config::builder()
            .resolve_with_env(env(&[
                (ENV_CONFIG_FILE, file.path()),
                (ENV_PROFILE, "ci-sp"),
            ]))
            .expect("ci-sp");
        assert_eq!(c.host(), "https://ci.example.com");
        assert_eq!(c.auth_type(), AuthType::OAuthM2M);
        match c.credentials() {
            Credentials::OAuthM2M {
                client_id,
                client_secret,
            } => {
                assert_eq!(client_id, "ci-client");
                assert_eq!(client_secret.expose_secret(), "ci-secret");
            }
            other => panic!("expected oauth-m2m, got {other:?}"),
        }

        // The builder's profile beats the environment's.
        let c = Config::builder()
            .profile("dev")
            .resolve_with_env(env(&[
                (ENV_CONFIG_FILE, file.path()),
                (ENV_PROFILE, "ci-sp"),
            ]))
            .expect("dev");
        assert_eq!(c.profile(), Some("dev"));
    }

    #[test]
    fn settings_default_profile() {
        let file = TempFile::new(&format!(
            "[__settings__]\ndefault_profile = dev\n\n{PROFILES}"
        ));
        let c = Config::builder()
            .resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())]))
            .expect("config");
        assert_eq!(c.host(), "https://dev.example.com");
        assert_eq!(c.profile(), Some("dev"));

        // An explicit profile still wins.
        let c = Config::builder()
            .profile("DEFAULT")
            .resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())]))
            .expect("config");
        assert_eq!(c.host(), "https://default.example.com");

        // A default_profile naming a missing section is an error naming it and the file.
        let file = TempFile::new("[__settings__]\ndefault_profile = gone\n[DEFAULT]\nhost = h\n");
        let msg = err(Config::builder().resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())])));
        assert!(msg.contains("`gone`") && msg.contains(file.path()), "{msg}");
    }

    #[test]
    fn no_default_section_and_no_profile() {
        let file = TempFile::new("[dev]\nhost = https://dev.example.com\ntoken = t\n");
        let msg = err(Config::builder().resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())])));
        assert!(msg.contains("no host") && msg.contains(ENV_HOST), "{msg}");
        assert!(msg.contains(&format!("{} [DEFAULT]", file.path())), "{msg}");
    }

    #[test]
    fn missing_named_profile() {
        let file = TempFile::new(PROFILES);
        let msg = err(Config::builder()
            .profile("prod")
            .resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())])));
        assert!(msg.contains("`prod`") && msg.contains(file.path()), "{msg}");

        let msg = err(Config::builder().resolve_with_env(env(&[
            (ENV_CONFIG_FILE, file.path()),
            (ENV_PROFILE, "prod"),
            (ENV_HOST, "h.example.com"),
            (ENV_TOKEN, TOKEN),
        ])));
        assert!(msg.contains("`prod`") && msg.contains(ENV_PROFILE), "{msg}");

        // Named profile, default file absent.
        let home = TempHome::new(None);
        let msg = err(Config::builder()
            .profile("prod")
            .resolve_with_env(env(&[("HOME", home.path())])));
        assert!(
            msg.contains("`prod`") && msg.contains(DEFAULT_FILE_NAME),
            "{msg}"
        );
    }

    #[test]
    fn missing_explicit_file() {
        let missing = unique("missing").with_extension("cfg");
        let missing_str = missing.to_str().expect("utf-8");
        let msg = err(Config::builder()
            .config_file(&missing)
            .resolve_with_env(env(&[])));
        assert!(
            msg.contains(missing_str) && msg.contains("does not exist"),
            "{msg}"
        );

        let msg = err(Config::builder().resolve_with_env(env(&[(ENV_CONFIG_FILE, missing_str)])));
        assert!(
            msg.contains(missing_str) && msg.contains(ENV_CONFIG_FILE),
            "{msg}"
        );

        // build() reads an explicitly named file too.
        let msg = err(Config::builder().config_file(&missing).build());
        assert!(msg.contains(missing_str), "{msg}");
    }

    #[test]
    fn missing_default_file_is_ok() {
        let home = TempHome::new(None);
        let c = Config::builder()
            .resolve_with_env(env(&[
                ("HOME", home.path()),
                (ENV_HOST, "h.example.com"),
                (ENV_CLIENT_ID, "id"),
                (ENV_CLIENT_SECRET, SECRET),
            ]))
            .expect("config");
        assert_eq!(c.auth_type(), AuthType::OAuthM2M);
        assert_eq!(c.profile(), None);

        // Nothing anywhere: the error is about the host, not the file.
        let msg = err(Config::builder().resolve_with_env(env(&[("HOME", home.path())])));
        assert!(msg.starts_with("no host configured"), "{msg}");
        assert!(msg.contains(ENV_HOST) && msg.contains("`host`"), "{msg}");
    }

    #[test]
    fn default_file_under_home() {
        let home = TempHome::new(Some(
            "[DEFAULT]\nhost = home.example.com\ntoken = home-token\n",
        ));
        let c = Config::builder()
            .resolve_with_env(env(&[("HOME", home.path())]))
            .expect("config");
        assert_eq!(c.host(), "https://home.example.com");
        assert_eq!(token_of(&c), "home-token");

        // `~/` in DATABRICKS_CONFIG_FILE is the home directory.
        let c = Config::builder()
            .resolve_with_env(env(&[
                ("HOME", home.path()),
                (ENV_CONFIG_FILE, "~/.databrickscfg"),
            ]))
            .expect("config");
        assert_eq!(c.host(), "https://home.example.com");
    }

    #[test]
    fn build_uses_explicit_values_only() {
        let msg = err(Config::builder().build());
        assert!(msg.starts_with("no host configured"), "{msg}");
        let msg = err(Config::builder().host("h.example.com").build());
        assert!(msg.starts_with("no credentials configured"), "{msg}");

        // A named file is read by build().
        let file = TempFile::new(PROFILES);
        let c = Config::builder()
            .config_file(file.path())
            .profile("dev")
            .build()
            .expect("config");
        assert_eq!(c.host(), "https://dev.example.com");
        assert_eq!(c.profile(), Some("dev"));
    }

    #[test]
    fn parse_error_names_file() {
        let file = TempFile::new("[DEFAULT\nhost = x\n");
        let msg = err(Config::builder().resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())])));
        assert!(
            msg.contains("cannot parse") && msg.contains(file.path()),
            "{msg}"
        );
    }

    #[test]
    fn host_normalisation() {
        let host = |h: &str| {
            Config::builder()
                .host(h)
                .token(TOKEN)
                .build()
                .map(|c| c.host().to_string())
        };
        let ok = |h: &str| host(h).expect("valid host");
        assert_eq!(
            ok("dbc-1.cloud.databricks.com/"),
            "https://dbc-1.cloud.databricks.com"
        );
        assert_eq!(ok("http://localhost:8080/"), "http://localhost:8080");
        assert_eq!(ok("https://h.example.com"), "https://h.example.com");
        assert_eq!(ok("  https://h.example.com///  "), "https://h.example.com");
        assert_eq!(ok("localhost:8080"), "https://localhost:8080");
        assert_eq!(ok("127.0.0.1:9000/"), "https://127.0.0.1:9000");
        assert_eq!(ok("HTTPS://h.example.com/"), "https://h.example.com");

        for bad in [
            "ftp://h.example.com",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "https://h.example.com/?a=b",
            "https://u:p@h.example.com",
        ] {
            let msg = err(Config::builder().host(bad).token(TOKEN).build());
            assert!(msg.starts_with("invalid host"), "{bad}: {msg}");
        }
        let msg = err(Config::builder()
            .token(TOKEN)
            .resolve_with_env(env(&[(ENV_HOST, "ftp://x")])));
        assert!(msg.contains(ENV_HOST), "{msg}");
    }

    #[test]
    fn a_host_with_a_path_is_rejected_naming_the_fix() {
        let msg = err(Config::builder()
            .host("http://127.0.0.1:8080/api/2.0")
            .token(TOKEN)
            .build());
        assert_eq!(
            msg,
            "invalid host `http://127.0.0.1:8080/api/2.0` (set on the ConfigBuilder): the host is \
             the workspace URL without a path: remove `/api/2.0` and use `http://127.0.0.1:8080` \
             (every call adds its own /api/... path)"
        );
        for (bad, path, bare) in [
            (
                "https://proxy.example.com/dbx/ws1/",
                "/dbx/ws1",
                "https://proxy.example.com",
            ),
            (
                "dbc-1.cloud.databricks.com/browse/folders/123",
                "/browse/folders/123",
                "https://dbc-1.cloud.databricks.com",
            ),
        ] {
            let msg = err(Config::builder()
                .token(TOKEN)
                .resolve_with_env(env(&[(ENV_HOST, bad)])));
            assert!(
                msg.starts_with(&format!("invalid host `{bad}` (from {ENV_HOST})"))
                    && msg.contains(&format!("remove `{path}` and use `{bare}`")),
                "{msg}"
            );
        }
    }

    #[test]
    fn a_host_without_a_scheme_is_https_and_the_config_says_so() {
        let c = |h: &str| {
            Config::builder()
                .host(h)
                .token(TOKEN)
                .build()
                .expect("valid host")
        };
        let assumed = c("localhost:8080");
        assert_eq!(assumed.host(), "https://localhost:8080");
        assert!(assumed.scheme_assumed());
        assert!(!c("http://localhost:8080").scheme_assumed());
        assert!(!c("https://localhost:8080").scheme_assumed());
    }

    #[test]
    fn build_does_not_read_the_environment_and_says_so() {
        // `build()` with an empty token while DATABRICKS_TOKEN is set: the message says that
        // build() did not read it, and how to combine the two, without the value.
        let with_token = env(&[(ENV_TOKEN, TOKEN), (ENV_HOST, "h.example.com")]);
        let msg = err(Config::builder()
            .host("h.example.com")
            .token("")
            .resolve_inner(&with_token, false));
        assert!(msg.starts_with("no credentials configured: "), "{msg}");
        assert!(
            msg.contains("the token given to ConfigBuilder::token is empty"),
            "{msg}"
        );
        assert!(
            msg.contains("ConfigBuilder::build() reads neither the environment")
                && msg.contains(&format!("({ENV_TOKEN} is set but was not read)"))
                && msg.contains("call ConfigBuilder::resolve()"),
            "{msg}"
        );
        assert!(!msg.contains(TOKEN), "{msg}");

        // Nothing set anywhere: no claim that the variable is set.
        let msg = err(Config::builder()
            .host("h.example.com")
            .resolve_inner(&env(&[]), false));
        assert!(
            msg.starts_with("no credentials configured: set it with ConfigBuilder::token(..)"),
            "{msg}"
        );
        assert!(!msg.contains("is set but was not read"), "{msg}");

        // The same for the host.
        let msg = err(Config::builder()
            .token(TOKEN)
            .resolve_inner(&with_token, false));
        assert!(
            msg.starts_with("no host configured: set it with ConfigBuilder::host(..)")
                && msg.contains(&format!("({ENV_HOST} is set but was not read)")),
            "{msg}"
        );

        // resolve() combines them: the empty builder token counts as unset.
        let c = Config::builder()
            .token("")
            .resolve_with_env(with_token)
            .expect("resolve reads the environment");
        assert_eq!(token_of(&c), TOKEN);
        assert_eq!(
            c.credentials_origin(),
            "personal access token from DATABRICKS_TOKEN"
        );
    }

    #[test]
    fn credentials_origin_names_the_source_never_the_value() {
        let c = Config::builder()
            .host("h")
            .token(TOKEN)
            .build()
            .expect("config");
        assert_eq!(
            c.credentials_origin(),
            "personal access token from the builder"
        );

        let home = TempHome::new(Some(&format!(
            "[dev]\nhost = dev.example.com\ntoken = {TOKEN}\n"
        )));
        let c = Config::builder()
            .profile("dev")
            .resolve_with_env(env(&[("HOME", home.path())]))
            .expect("profile");
        assert_eq!(
            c.credentials_origin(),
            "personal access token from profile `dev` in ~/.databrickscfg"
        );

        let file = TempFile::new(PROFILES);
        let c = Config::builder()
            .profile("ci-sp")
            .resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())]))
            .expect("file");
        assert_eq!(
            c.credentials_origin(),
            format!(
                "OAuth token of service principal `ci-client` (client secret from profile \
                 `ci-sp` in {})",
                file.path()
            )
        );

        let c = Config::builder()
            .resolve_with_env(env(&[(ENV_HOST, "h"), (ENV_TOKEN, TOKEN)]))
            .expect("env");
        assert_eq!(
            c.credentials_origin(),
            "personal access token from DATABRICKS_TOKEN"
        );
        let m2m = Config::builder()
            .host("h")
            .client_id("visible-id")
            .client_secret(SECRET)
            .build()
            .expect("m2m");
        assert_eq!(
            m2m.credentials_origin(),
            "OAuth token of service principal `visible-id` (client secret from the builder)"
        );
        for origin in [c.credentials_origin(), m2m.credentials_origin()] {
            assert!(
                !origin.contains(TOKEN) && !origin.contains(SECRET),
                "{origin}"
            );
        }
    }

    #[test]
    fn conflicting_methods() {
        let base = [
            (ENV_HOST, "h.example.com"),
            (ENV_TOKEN, TOKEN),
            (ENV_CLIENT_ID, "id"),
            (ENV_CLIENT_SECRET, SECRET),
        ];
        let msg = err(Config::builder().resolve_with_env(env(&base)));
        assert!(
            msg.starts_with("more than one authorization method configured: pat and oauth-m2m; set DATABRICKS_AUTH_TYPE"),
            "{msg}"
        );
        assert!(!msg.contains(TOKEN) && !msg.contains(SECRET), "{msg}");

        // Resolved by DATABRICKS_AUTH_TYPE.
        let mut with_type = base.to_vec();
        with_type.push((ENV_AUTH_TYPE, "PAT"));
        let c = Config::builder()
            .resolve_with_env(env(&with_type))
            .expect("pat");
        assert_eq!(c.auth_type(), AuthType::Pat);
        assert_eq!(token_of(&c), TOKEN);

        // ... or by the builder, which beats the environment.
        let c = Config::builder()
            .auth_type(AuthType::OAuthM2M)
            .resolve_with_env(env(&with_type))
            .expect("m2m");
        assert_eq!(c.auth_type(), AuthType::OAuthM2M);

        // ... or by `auth_type` in the profile.
        let file = TempFile::new(&format!(
            "[DEFAULT]\nhost = h\ntoken = {TOKEN}\nclient_id = id\nclient_secret = {SECRET}\nauth_type = oauth-m2m\n"
        ));
        let c = Config::builder()
            .resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())]))
            .expect("m2m from file");
        assert_eq!(c.auth_type(), AuthType::OAuthM2M);

        // Mixed sources conflict too, and the message names them.
        let file = TempFile::new("[DEFAULT]\nhost = h\nclient_id = id\nclient_secret = s\n");
        let msg = err(Config::builder()
            .token(TOKEN)
            .profile("DEFAULT")
            .resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())])));
        assert!(
            msg.starts_with("more than one authorization method"),
            "{msg}"
        );
        assert!(msg.contains(file.path()), "{msg}");
    }

    #[test]
    fn oauth_incomplete() {
        let msg = err(Config::builder()
            .host("h")
            .client_id("id")
            .resolve_with_env(env(&[])));
        assert!(
            msg.contains("client_secret is missing") && msg.contains(ENV_CLIENT_SECRET),
            "{msg}"
        );

        let msg = err(Config::builder().host("h").client_secret(SECRET).build());
        assert!(
            msg.contains("client_id is missing") && msg.contains(ENV_CLIENT_ID),
            "{msg}"
        );
        assert!(!msg.contains(SECRET), "{msg}");

        let msg = err(Config::builder()
            .host("h")
            .token(TOKEN)
            .client_id("id")
            .auth_type(AuthType::OAuthM2M)
            .build());
        assert!(
            msg.starts_with("auth_type oauth-m2m") && msg.contains("client_secret is missing"),
            "{msg}"
        );

        let msg = err(Config::builder()
            .host("h")
            .auth_type(AuthType::OAuthM2M)
            .build());
        assert!(
            msg.contains(ENV_CLIENT_ID) && msg.contains(ENV_CLIENT_SECRET),
            "{msg}"
        );

        let msg = err(Config::builder()
            .host("h")
            .client_id("id")
            .client_secret(SECRET)
            .auth_type(AuthType::Pat)
            .build());
        assert!(
            msg.starts_with("auth_type pat") && msg.contains(ENV_TOKEN),
            "{msg}"
        );
    }

    #[test]
    fn no_credentials() {
        let msg = err(Config::builder().resolve_with_env(env(&[(ENV_HOST, "h")])));
        assert!(msg.starts_with("no credentials configured"), "{msg}");
        assert!(
            msg.contains(ENV_TOKEN) && msg.contains(ENV_CLIENT_ID),
            "{msg}"
        );
    }

    #[test]
    fn auth_type_parsing() {
        assert_eq!("pat".parse::<AuthType>().ok(), Some(AuthType::Pat));
        assert_eq!(
            "Oauth-M2M".parse::<AuthType>().ok(),
            Some(AuthType::OAuthM2M)
        );
        assert_eq!(AuthType::OAuthM2M.to_string(), "oauth-m2m");
        assert!(matches!("basic".parse::<AuthType>(), Err(Error::Config(_))));

        let msg = err(Config::builder()
            .host("h")
            .token(TOKEN)
            .resolve_with_env(env(&[(ENV_AUTH_TYPE, "azure-cli")])));
        assert!(
            msg.contains("unsupported auth_type `azure-cli`") && msg.contains(ENV_AUTH_TYPE),
            "{msg}"
        );

        let file = TempFile::new("[DEFAULT]\nhost = h\ntoken = t\nauth_type = basic\n");
        let msg = err(Config::builder().resolve_with_env(env(&[(ENV_CONFIG_FILE, file.path())])));
        assert!(
            msg.contains("unsupported auth_type `basic`") && msg.contains(file.path()),
            "{msg}"
        );
    }

    #[test]
    fn rate_limit_and_user_agent_validation() {
        let b = Config::builder().host("h").token(TOKEN);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let msg = err(b.clone().rate_limit(bad).build());
            assert!(msg.contains("rate_limit"), "{msg}");
        }
        let c = b
            .clone()
            .rate_limit(2.5)
            .user_agent_extra("tool/1.0")
            .build()
            .expect("config");
        assert_eq!(c.rate_limit, Some(2.5));
        assert_eq!(c.user_agent_extra.as_deref(), Some("tool/1.0"));
        let msg = err(b.user_agent_extra("bad\nvalue").build());
        assert!(msg.contains("user_agent_extra"), "{msg}");
    }

    #[test]
    fn debug_never_prints_secrets() {
        let builder = Config::builder()
            .host("h.example.com")
            .token(TOKEN)
            .client_id("visible-client-id")
            .client_secret(SECRET);
        let dbg = format!("{builder:?}");
        assert!(!dbg.contains(TOKEN) && !dbg.contains(SECRET), "{dbg}");
        assert!(
            dbg.contains("[REDACTED]") && dbg.contains("visible-client-id"),
            "{dbg}"
        );

        let pat = builder
            .clone()
            .auth_type(AuthType::Pat)
            .build()
            .expect("pat");
        let m2m = builder.auth_type(AuthType::OAuthM2M).build().expect("m2m");
        for c in [&pat, &m2m] {
            for dbg in [
                format!("{c:?}"),
                format!("{c:#?}"),
                format!("{:?}", c.credentials()),
            ] {
                assert!(!dbg.contains(TOKEN) && !dbg.contains(SECRET), "{dbg}");
                assert!(dbg.contains("[REDACTED]"), "{dbg}");
            }
        }
        let dbg = format!("{pat:?}");
        assert!(
            dbg.contains("https://h.example.com") && dbg.contains("Pat"),
            "{dbg}"
        );
        let dbg = format!("{m2m:?}");
        assert!(
            dbg.contains("OAuthM2M") && dbg.contains("visible-client-id"),
            "{dbg}"
        );
    }
}
