//! # dbx-secrets
//!
//! The Databricks [Secrets API](https://docs.databricks.com/api/workspace/secrets): secret
//! scopes, the secrets stored in them, and the access control lists (ACLs) that say who may
//! read, write or manage a scope.
//!
//! ```no_run
//! # async fn demo() -> dbx_core::Result<()> {
//! use dbx_core::Client;
//! use dbx_secrets::{AclPermission, SecretsApi};
//!
//! let secrets = SecretsApi::new(Client::from_env()?);
//! secrets.create_scope("app").send().await?;
//! secrets.put_secret("app", "db-password").string_value("hunter2").send().await?;
//! for meta in secrets.list_secrets("app").await? {
//!     println!("{} updated at {}", meta.key, meta.last_updated_timestamp);
//! }
//! secrets.put_acl("app", "data-scientists", AclPermission::Read).await?;
//! secrets.delete_scope("app").await?;
//! # Ok(()) }
//! ```
//!
//! Secret values are secret types in both directions: [`SecretValue`] going in, and
//! [`GetSecretResponse::value`] (a [`SecretSlice<u8>`]) coming out. Their `Debug` prints
//! `[REDACTED]`; they never appear in logs or error messages. Reading the value needs an explicit
//! [`ExposeSecret::expose_secret`].
//!
//! ## From `databricksapi`
//!
//! | `databricksapi` 1.1.8 `Secrets.…` | dbx-secrets [`SecretsApi`] |
//! |---|---|
//! | `createSecretScope(scope, initial_manage_principal)` | [`create_scope`](SecretsApi::create_scope)`(scope).initial_manage_principal(..).send()` |
//! | `deleteSecretScope(scope)` | [`delete_scope`](SecretsApi::delete_scope)`(scope)` |
//! | `listSecretScopes()` | [`list_scopes`](SecretsApi::list_scopes)`()` |
//! | `putSeceret(value, value_type, scope, key)` (sic; the README says `putSecret`) | [`put_secret`](SecretsApi::put_secret)`(scope, key)` then `.string_value(v)` (`value_type='string'`) or `.bytes_value(b)` (`value_type='bytes'`), `.send()` |
//! | `deleteSecret(scope, key)` | [`delete_secret`](SecretsApi::delete_secret)`(scope, key)` |
//! | `listSecrets(scope)` | [`list_secrets`](SecretsApi::list_secrets)`(scope)` |
//! | `putSecretACL(scope, principal, permission)` | [`put_acl`](SecretsApi::put_acl)`(scope, principal, AclPermission)` |
//! | `deleteSecretACL(scope, principal)` | [`delete_acl`](SecretsApi::delete_acl)`(scope, principal)` |
//! | `getSecretACL(scope, principal)` | [`get_acl`](SecretsApi::get_acl)`(scope, principal)` |
//! | `listSecretACL(scope)` (the README shows a `principal` argument the code never had) | [`list_acls`](SecretsApi::list_acls)`(scope)` |
//! | – (the DBUtils-only endpoint) | [`get_secret`](SecretsApi::get_secret)`(scope, key)` |
//!
//! Differences from the original: GET parameters travel in the query string (the original sent a
//! JSON body on GET); errors are [`dbx_core::Error`]s instead of error dictionaries returned as
//! results; `bytes` values are base64-encoded for you (the original expected the caller to do
//! it); the permission is the typed [`AclPermission`].
//!
//! ## Permissions
//!
//! Every call is checked against the scope's ACLs: listing secrets needs `READ`, putting and
//! deleting secrets need `WRITE`, every ACL call and deleting the scope need `MANAGE`. A user's
//! effective permission is the strongest one granted to them or to any of their groups
//! (`MANAGE` > `WRITE` > `READ`); workspace admins may manage every scope. Denials are
//! [`dbx_core::Error::is_permission_denied`].

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use dbx_core::{CallOptions, Client, Request, Result};
pub use dbx_core::{ExposeSecret, SecretString};
use secrecy::zeroize::{Zeroize, Zeroizing};
pub use secrecy::SecretSlice;
use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

dbx_core::open_enum! {
    /// A permission level on a secret scope. Levels are ordered `MANAGE` > `WRITE` > `READ`;
    /// see [`AclPermission::includes`].
    ///
    /// ```
    /// use dbx_secrets::AclPermission;
    /// let p: AclPermission = "WRITE".parse().unwrap();
    /// assert_eq!(p, AclPermission::Write);
    /// assert!(p.includes(&AclPermission::Read));
    /// assert!(!p.includes(&AclPermission::Manage));
    /// ```
    pub enum AclPermission {
        /// Read the scope and list what secrets it holds.
        Read = "READ",
        /// Read and write secrets in the scope.
        Write = "WRITE",
        /// Read and write secrets, and change the scope's ACLs.
        Manage = "MANAGE",
    }
}

impl AclPermission {
    /// The level's rank (`READ` 1, `WRITE` 2, `MANAGE` 3); `None` for an unknown level.
    ///
    /// ```
    /// use dbx_secrets::AclPermission;
    /// assert!(AclPermission::Manage.rank() > AclPermission::Write.rank());
    /// assert_eq!(AclPermission::Unknown("OWN".into()).rank(), None);
    /// ```
    pub fn rank(&self) -> Option<u8> {
        match self {
            Self::Read => Some(1),
            Self::Write => Some(2),
            Self::Manage => Some(3),
            Self::Unknown(_) => None,
        }
    }

    /// Whether holding `self` allows what `needed` allows (`MANAGE` includes `WRITE` includes
    /// `READ`). An unknown level includes nothing and is included by nothing.
    ///
    /// ```
    /// use dbx_secrets::AclPermission;
    /// assert!(AclPermission::Manage.includes(&AclPermission::Write));
    /// assert!(!AclPermission::Read.includes(&AclPermission::Write));
    /// ```
    pub fn includes(&self, needed: &AclPermission) -> bool {
        match (self.rank(), needed.rank()) {
            (Some(have), Some(need)) => have >= need,
            _ => false,
        }
    }
}

dbx_core::open_enum! {
    /// Where a scope keeps its secrets.
    ///
    /// ```
    /// use dbx_secrets::ScopeBackendType;
    /// assert_eq!(ScopeBackendType::AzureKeyvault.as_str(), "AZURE_KEYVAULT");
    /// ```
    pub enum ScopeBackendType {
        /// Stored by Databricks, encrypted (the default).
        Databricks = "DATABRICKS",
        /// A read-only view of an Azure Key Vault: secrets are put and deleted in Azure, not
        /// through this API.
        AzureKeyvault = "AZURE_KEYVAULT",
    }
}

/// The Azure Key Vault behind an `AZURE_KEYVAULT` scope (`AzureKeyVaultSecretScopeMetadata`).
///
/// ```
/// use dbx_secrets::AzureKeyVaultSecretScopeMetadata;
/// let kv = AzureKeyVaultSecretScopeMetadata::new(
///     "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
///     "https://kv.vault.azure.net/",
/// );
/// assert_eq!(kv.dns_name, "https://kv.vault.azure.net/");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AzureKeyVaultSecretScopeMetadata {
    /// The Azure resource id of the key vault.
    #[serde(default)]
    pub resource_id: String,
    /// The vault's DNS name, e.g. `https://my-vault.vault.azure.net/`.
    #[serde(default)]
    pub dns_name: String,
}

impl AzureKeyVaultSecretScopeMetadata {
    /// Metadata for the vault with this resource id and DNS name.
    pub fn new(resource_id: impl Into<String>, dns_name: impl Into<String>) -> Self {
        Self {
            resource_id: resource_id.into(),
            dns_name: dns_name.into(),
        }
    }
}

/// A secret scope, as [`SecretsApi::list_scopes`] returns it (`SecretScope`).
///
/// ```
/// let scope: dbx_secrets::SecretScope =
///     serde_json::from_str(r#"{"name": "app", "backend_type": "DATABRICKS"}"#).unwrap();
/// assert_eq!(scope.backend_type, Some(dbx_secrets::ScopeBackendType::Databricks));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretScope {
    /// The scope's name.
    pub name: String,
    /// Where the scope keeps its secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_type: Option<ScopeBackendType>,
    /// The key vault, for an `AZURE_KEYVAULT` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyvault_metadata: Option<AzureKeyVaultSecretScopeMetadata>,
}

/// What [`SecretsApi::list_secrets`] tells about a secret: never its value (`SecretMetadata`).
///
/// ```
/// let m: dbx_secrets::SecretMetadata =
///     serde_json::from_str(r#"{"key": "k", "last_updated_timestamp": 1520467595000}"#).unwrap();
/// assert_eq!(m.last_updated_timestamp, 1_520_467_595_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMetadata {
    /// The secret's key.
    pub key: String,
    /// When the secret was last put, epoch milliseconds (0 when the server did not say). The
    /// documentation's example shows it as a string; both forms are accepted.
    #[serde(default, deserialize_with = "int_or_string")]
    pub last_updated_timestamp: i64,
}

/// One ACL rule: a principal and its permission on a scope (`AclItem`).
///
/// ```
/// use dbx_secrets::{AclItem, AclPermission};
/// let item: AclItem =
///     serde_json::from_str(r#"{"principal": "users", "permission": "READ"}"#).unwrap();
/// assert_eq!(item.permission, AclPermission::Read);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AclItem {
    /// A user name, group name or service principal application id.
    pub principal: String,
    /// The permission granted.
    pub permission: AclPermission,
}

/// A secret value to store: text or bytes, exactly one. `Debug` prints `[REDACTED]`.
///
/// Text is sent as `string_value` (stored as UTF-8); bytes are sent base64-encoded as
/// `bytes_value`. Either way the server stores bytes, and [`SecretsApi::get_secret`] returns
/// bytes.
///
/// ```
/// use dbx_secrets::SecretValue;
/// let text = SecretValue::string("hunter2");
/// let raw = SecretValue::bytes(vec![0u8, 159, 146, 150]);
/// assert!(text.is_string() && raw.is_bytes());
/// assert_eq!(text.expose_bytes(), b"hunter2");
/// assert!(!format!("{text:?} {raw:?}").contains("hunter2"));
/// ```
#[derive(Debug, Clone)]
pub enum SecretValue {
    /// A text value (`string_value`).
    String(SecretString),
    /// A binary value (`bytes_value`, base64 on the wire).
    Bytes(SecretSlice<u8>),
}

impl SecretValue {
    /// A text value.
    pub fn string(value: impl Into<String>) -> Self {
        Self::String(SecretString::from(value.into()))
    }

    /// A binary value.
    pub fn bytes(value: impl Into<Vec<u8>>) -> Self {
        Self::Bytes(SecretSlice::from(value.into()))
    }

    /// Whether this is a text value.
    pub fn is_string(&self) -> bool {
        matches!(self, Self::String(_))
    }

    /// Whether this is a binary value.
    pub fn is_bytes(&self) -> bool {
        matches!(self, Self::Bytes(_))
    }

    /// The value's bytes (a text value as UTF-8). Handle with care: this is the secret.
    pub fn expose_bytes(&self) -> &[u8] {
        match self {
            Self::String(s) => s.expose_secret().as_bytes(),
            Self::Bytes(b) => b.expose_secret(),
        }
    }

    /// The size of the value in bytes, as the 128 KiB limit counts it.
    pub fn len(&self) -> usize {
        self.expose_bytes().len()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<SecretString> for SecretValue {
    fn from(value: SecretString) -> Self {
        Self::String(value)
    }
}

impl From<SecretSlice<u8>> for SecretValue {
    fn from(value: SecretSlice<u8>) -> Self {
        Self::Bytes(value)
    }
}

/// A secret read back by [`SecretsApi::get_secret`]. `Debug` prints `[REDACTED]` for the value.
///
/// ```
/// use dbx_secrets::{ExposeSecret, GetSecretResponse};
/// let got: GetSecretResponse =
///     serde_json::from_str(r#"{"key": "k", "value": "aHVudGVyMg=="}"#).unwrap();
/// assert_eq!(got.value.expose_secret(), b"hunter2");
/// assert!(!format!("{got:?}").contains("hunter2"));
/// ```
#[derive(Debug, Clone, Deserialize)]
pub struct GetSecretResponse {
    /// The secret's key.
    pub key: String,
    /// The value's bytes, already decoded from the wire's base64.
    #[serde(deserialize_with = "secret_base64")]
    pub value: SecretSlice<u8>,
}

impl GetSecretResponse {
    /// The value as text, for secrets stored with a `string_value`. Fails with
    /// [`dbx_core::Error::Decode`] (without showing the value) if the bytes are not UTF-8.
    ///
    /// ```
    /// use dbx_secrets::{ExposeSecret, GetSecretResponse};
    /// let got: GetSecretResponse =
    ///     serde_json::from_str(r#"{"key": "k", "value": "aHVudGVyMg=="}"#).unwrap();
    /// assert_eq!(got.to_secret_string().unwrap().expose_secret(), "hunter2");
    /// ```
    pub fn to_secret_string(&self) -> Result<SecretString> {
        match std::str::from_utf8(self.value.expose_secret()) {
            Ok(text) => Ok(SecretString::from(text)),
            Err(_) => Err(dbx_core::Error::Decode {
                path: "value".into(),
                message: format!(
                    "the value of secret {:?} is not UTF-8 text; read it as bytes",
                    self.key
                ),
            }),
        }
    }
}

/// Decode a base64 secret without ever echoing the input (not even one byte of it) in an error.
fn secret_base64<'de, D: Deserializer<'de>>(d: D) -> Result<SecretSlice<u8>, D::Error> {
    // A serde_json::Value never fails to deserialize, so no serde message can quote the input.
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(mut text) => {
            let decoded = STANDARD.decode(text.trim());
            text.zeroize();
            decoded
                .map(SecretSlice::from)
                .map_err(|_| de::Error::custom("the secret value is not valid base64"))
        }
        _ => Err(de::Error::custom("the secret value is not a base64 string")),
    }
}

/// An integer that some documentation shows as a numeric string.
fn int_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntOrString {
        Int(i64),
        Text(String),
    }
    match Option::<IntOrString>::deserialize(d)? {
        None => Ok(0),
        Some(IntOrString::Int(v)) => Ok(v),
        Some(IntOrString::Text(s)) => s
            .trim()
            .parse()
            .map_err(|_| de::Error::custom(format!("expected epoch milliseconds, got {s:?}"))),
    }
}

/// The Secrets API.
///
/// ```no_run
/// # fn demo() -> dbx_core::Result<()> {
/// let secrets = dbx_secrets::SecretsApi::new(dbx_core::Client::from_env()?);
/// # Ok(()) }
/// ```
///
/// Every call takes per-call options: for all calls made through a handle with
/// [`SecretsApi::with_options`], for one call with a builder's `with_options`. The caller's
/// choice wins over the method's default (e.g. [`SecretsApi::delete_scope`] is retried after a
/// timeout unless the caller says it is not idempotent). `Debug` shows the host, never a
/// credential.
#[derive(Debug, Clone)]
pub struct SecretsApi {
    client: Client,
}

#[derive(Serialize)]
struct ScopeBody<'a> {
    scope: &'a str,
}

#[derive(Serialize)]
struct ScopeKeyBody<'a> {
    scope: &'a str,
    key: &'a str,
}

#[derive(Serialize)]
struct AclBody<'a> {
    scope: &'a str,
    principal: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    permission: Option<&'a AclPermission>,
}

#[derive(Deserialize)]
struct ListScopesResponse {
    #[serde(default)]
    scopes: Vec<SecretScope>,
}

#[derive(Deserialize)]
struct ListSecretsResponse {
    #[serde(default)]
    secrets: Vec<SecretMetadata>,
}

#[derive(Deserialize)]
struct ListAclsResponse {
    // The schema says `items` (<https://docs.databricks.com/api/workspace/secrets/listacls>);
    // one documentation example says `acls`.
    #[serde(default, alias = "acls")]
    items: Vec<AclItem>,
}

impl SecretsApi {
    /// The Secrets API over `client`.
    ///
    /// ```no_run
    /// # fn demo() -> dbx_core::Result<()> {
    /// use dbx_secrets::SecretsApi;
    /// let secrets = SecretsApi::new(dbx_core::Client::from_env()?);
    /// # Ok(()) }
    /// ```
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// This API with `options` applied to every call made through the returned handle (see
    /// [`dbx_core::Client::with_options`]).
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// use std::time::Duration;
    /// use dbx_core::CallOptions;
    /// let quick = secrets.with_options(CallOptions::default().with_timeout(Duration::from_secs(5)));
    /// quick.delete_secret("team-a", "old-key").await?;
    /// # Ok(()) }
    /// ```
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            client: self.client.with_options(options),
        }
    }

    /// Start creating a scope (`POST /api/2.0/secrets/scopes/create`).
    ///
    /// The name is 1–128 characters of letters, digits, `-`, `_`, `.` (and `@`) and unique in
    /// the workspace, ignoring case. The creator is granted `MANAGE` unless
    /// [`CreateScope::initial_manage_principal`] is `users`. Fails with
    /// `RESOURCE_ALREADY_EXISTS` ([`dbx_core::Error::is_already_exists`]) for a taken name and
    /// `RESOURCE_LIMIT_EXCEEDED` when the workspace has too many scopes.
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// secrets.create_scope("team-a").initial_manage_principal("users").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn create_scope(&self, scope: impl Into<String>) -> CreateScope<'_> {
        CreateScope {
            api: self,
            body: CreateScopeBody {
                scope: scope.into(),
                initial_manage_principal: None,
                scope_backend_type: None,
                backend_azure_keyvault: None,
            },
            options: CallOptions::default(),
        }
    }

    /// Delete a scope with all its secrets and ACLs (`POST /api/2.0/secrets/scopes/delete`).
    /// Needs `MANAGE`. An unknown scope answers `RESOURCE_DOES_NOT_EXIST`
    /// ([`dbx_core::Error::is_not_found`]).
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// secrets.delete_scope("team-a").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_scope(&self, scope: &str) -> Result<()> {
        let req = Request::post("/api/2.0/secrets/scopes/delete")
            .json(&ScopeBody { scope })?
            // Deleting twice leaves the same state; the second answer would be a 404.
            .default_idempotent(true);
        self.unit(req).await
    }

    /// Every scope in the workspace (`GET /api/2.0/secrets/scopes/list`). Scope names are not
    /// secret: every user sees every scope.
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// for scope in secrets.list_scopes().await? {
    ///     println!("{} ({:?})", scope.name, scope.backend_type);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_scopes(&self) -> Result<Vec<SecretScope>> {
        let resp: ListScopesResponse = self
            .client
            .call(Request::get("/api/2.0/secrets/scopes/list"))
            .await?;
        Ok(resp.scopes)
    }

    /// Start putting a secret (`POST /api/2.0/secrets/put`): choose its value with
    /// [`PutSecret::string_value`] or [`PutSecret::bytes_value`], then `.send()`. An existing
    /// secret with this key is overwritten. Needs `WRITE`.
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// secrets.put_secret("team-a", "api-key").string_value("s3cr3t").send().await?;
    /// secrets.put_secret("team-a", "keystore").bytes_value(vec![0u8, 1, 2]).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn put_secret(&self, scope: impl Into<String>, key: impl Into<String>) -> PutSecret<'_> {
        PutSecret {
            api: self,
            scope: scope.into(),
            key: key.into(),
            options: CallOptions::default(),
        }
    }

    /// Delete a secret (`POST /api/2.0/secrets/delete`). Needs `WRITE`. An unknown scope or
    /// key answers `RESOURCE_DOES_NOT_EXIST`.
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// secrets.delete_secret("team-a", "api-key").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_secret(&self, scope: &str, key: &str) -> Result<()> {
        let req = Request::post("/api/2.0/secrets/delete")
            .json(&ScopeKeyBody { scope, key })?
            .default_idempotent(true);
        self.unit(req).await
    }

    /// The keys in a scope, with their last update times; never the values
    /// (`GET /api/2.0/secrets/list?scope=`). Needs `READ`.
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// let keys: Vec<String> =
    ///     secrets.list_secrets("team-a").await?.into_iter().map(|m| m.key).collect();
    /// # Ok(()) }
    /// ```
    pub async fn list_secrets(&self, scope: &str) -> Result<Vec<SecretMetadata>> {
        let resp: ListSecretsResponse = self
            .client
            .call(Request::get("/api/2.0/secrets/list").query("scope", scope))
            .await?;
        Ok(resp.secrets)
    }

    /// Read a secret's value (`GET /api/2.0/secrets/get?scope=&key=`). Needs `READ`.
    ///
    /// Databricks documents this endpoint as reserved for DBUtils: a workspace answers
    /// `BAD_REQUEST` when a normal user calls it from outside a notebook. The emulator answers it
    /// for tests.
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// use dbx_secrets::ExposeSecret;
    /// let got = secrets.get_secret("team-a", "api-key").await?;
    /// let text = got.to_secret_string()?; // Debug prints [REDACTED]
    /// let _value: &str = text.expose_secret();
    /// # Ok(()) }
    /// ```
    pub async fn get_secret(&self, scope: &str, key: &str) -> Result<GetSecretResponse> {
        self.client
            .call(
                Request::get("/api/2.0/secrets/get")
                    .query("scope", scope)
                    .query("key", key),
            )
            .await
    }

    /// Grant `permission` on a scope to a user, group or service principal, replacing any
    /// permission it had (`POST /api/2.0/secrets/acls/put`). Needs `MANAGE`. The principal
    /// must exist (`RESOURCE_DOES_NOT_EXIST` otherwise).
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// use dbx_secrets::AclPermission;
    /// secrets.put_acl("team-a", "data-scientists", AclPermission::Read).await?;
    /// # Ok(()) }
    /// ```
    pub async fn put_acl(
        &self,
        scope: &str,
        principal: &str,
        permission: AclPermission,
    ) -> Result<()> {
        let req = Request::post("/api/2.0/secrets/acls/put")
            .json(&AclBody {
                scope,
                principal,
                permission: Some(&permission),
            })?
            // Granting the same permission twice leaves the same state.
            .default_idempotent(true);
        self.unit(req).await
    }

    /// Remove a principal's ACL from a scope (`POST /api/2.0/secrets/acls/delete`). Needs
    /// `MANAGE`. A scope, principal or ACL that does not exist answers
    /// `RESOURCE_DOES_NOT_EXIST`.
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// secrets.delete_acl("team-a", "data-scientists").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_acl(&self, scope: &str, principal: &str) -> Result<()> {
        let req = Request::post("/api/2.0/secrets/acls/delete")
            .json(&AclBody {
                scope,
                principal,
                permission: None,
            })?
            .default_idempotent(true);
        self.unit(req).await
    }

    /// A principal's ACL on a scope (`GET /api/2.0/secrets/acls/get?scope=&principal=`). Needs
    /// `MANAGE`. No ACL for the principal answers `RESOURCE_DOES_NOT_EXIST`.
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// let acl = secrets.get_acl("team-a", "data-scientists").await?;
    /// println!("{} has {}", acl.principal, acl.permission);
    /// # Ok(()) }
    /// ```
    pub async fn get_acl(&self, scope: &str, principal: &str) -> Result<AclItem> {
        self.client
            .call(
                Request::get("/api/2.0/secrets/acls/get")
                    .query("scope", scope)
                    .query("principal", principal),
            )
            .await
    }

    /// Every ACL on a scope (`GET /api/2.0/secrets/acls/list?scope=`). Needs `MANAGE`.
    ///
    /// ```no_run
    /// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
    /// for acl in secrets.list_acls("team-a").await? {
    ///     println!("{}: {}", acl.principal, acl.permission);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_acls(&self, scope: &str) -> Result<Vec<AclItem>> {
        let resp: ListAclsResponse = self
            .client
            .call(Request::get("/api/2.0/secrets/acls/list").query("scope", scope))
            .await?;
        Ok(resp.items)
    }

    async fn unit(&self, req: Request) -> Result<()> {
        self.client.call_empty(req).await
    }
}

#[derive(Debug, Clone, Serialize)]
struct CreateScopeBody {
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_manage_principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope_backend_type: Option<ScopeBackendType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    backend_azure_keyvault: Option<AzureKeyVaultSecretScopeMetadata>,
}

/// Builder for [`SecretsApi::create_scope`].
///
/// ```no_run
/// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
/// use dbx_secrets::AzureKeyVaultSecretScopeMetadata;
/// secrets
///     .create_scope("from-vault")
///     .backend_azure_keyvault(AzureKeyVaultSecretScopeMetadata::new(
///         "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
///         "https://kv.vault.azure.net/",
///     ))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "call .send().await"]
pub struct CreateScope<'a> {
    api: &'a SecretsApi,
    body: CreateScopeBody,
    options: CallOptions,
}

// The builders' `Debug` shows their fields and options; secret values print as `[REDACTED]`.
impl fmt::Debug for CreateScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateScope")
            .field("body", &self.body)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PutSecret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutSecret")
            .field("scope", &self.scope)
            .field("key", &self.key)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PutSecretWithValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutSecretWithValue")
            .field("scope", &self.scope)
            .field("key", &self.key)
            .field("value", &self.value)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl CreateScope<'_> {
    /// The principal first granted `MANAGE`, instead of the caller. The only value the API
    /// accepts is `users` (every user of the workspace).
    pub fn initial_manage_principal(mut self, principal: impl Into<String>) -> Self {
        self.body.initial_manage_principal = Some(principal.into());
        self
    }

    /// The backend type (default `DATABRICKS`).
    pub fn scope_backend_type(mut self, backend: ScopeBackendType) -> Self {
        self.body.scope_backend_type = Some(backend);
        self
    }

    /// Back the scope by an Azure Key Vault; sets the backend type to `AZURE_KEYVAULT` unless
    /// one was chosen.
    pub fn backend_azure_keyvault(mut self, vault: AzureKeyVaultSecretScopeMetadata) -> Self {
        self.body.backend_azure_keyvault = Some(vault);
        if self.body.scope_backend_type.is_none() {
            self.body.scope_backend_type = Some(ScopeBackendType::AzureKeyvault);
        }
        self
    }

    /// Per-call options (timeout, retry policy, idempotency); they win over the handle's and
    /// over the call's default.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Send the request. Not retried after a timeout: the repeat would fail with
    /// `RESOURCE_ALREADY_EXISTS` although the scope was created.
    pub async fn send(self) -> Result<()> {
        let req = Request::post("/api/2.0/secrets/scopes/create")
            .json(&self.body)?
            .options(self.options);
        self.api.unit(req).await
    }
}

/// Builder for [`SecretsApi::put_secret`], waiting for its value: exactly one of
/// [`string_value`](Self::string_value), [`bytes_value`](Self::bytes_value) or
/// [`value`](Self::value) gives a [`PutSecretWithValue`] that can be sent.
///
/// ```no_run
/// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
/// use dbx_secrets::SecretValue;
/// secrets.put_secret("team-a", "token").value(SecretValue::string("t0k3n")).send().await?;
/// # Ok(()) }
/// ```
#[must_use = "give the secret a value, then call .send().await"]
pub struct PutSecret<'a> {
    api: &'a SecretsApi,
    scope: String,
    key: String,
    options: CallOptions,
}

impl<'a> PutSecret<'a> {
    /// Store text (sent as `string_value`).
    pub fn string_value(self, value: impl Into<String>) -> PutSecretWithValue<'a> {
        self.value(SecretValue::string(value))
    }

    /// Store bytes (sent base64-encoded as `bytes_value`).
    pub fn bytes_value(self, value: impl Into<Vec<u8>>) -> PutSecretWithValue<'a> {
        self.value(SecretValue::bytes(value))
    }

    /// Store a value you already hold as a [`SecretValue`] (or a [`SecretString`]).
    pub fn value(self, value: impl Into<SecretValue>) -> PutSecretWithValue<'a> {
        PutSecretWithValue {
            api: self.api,
            scope: self.scope,
            key: self.key,
            value: value.into(),
            options: self.options,
        }
    }

    /// Per-call options (timeout, retry policy, idempotency); they win over the handle's and
    /// over the call's default.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }
}

/// Builder for [`SecretsApi::put_secret`] with its value chosen. `Debug` never shows the value.
///
/// ```no_run
/// # async fn demo(secrets: dbx_secrets::SecretsApi) -> dbx_core::Result<()> {
/// use std::time::Duration;
/// use dbx_core::CallOptions;
/// secrets
///     .put_secret("team-a", "api-key")
///     .string_value("s3cr3t")
///     .with_options(CallOptions::default().with_timeout(Duration::from_secs(5)))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "call .send().await"]
pub struct PutSecretWithValue<'a> {
    api: &'a SecretsApi,
    scope: String,
    key: String,
    value: SecretValue,
    options: CallOptions,
}

impl PutSecretWithValue<'_> {
    /// Per-call options (timeout, retry policy, idempotency); they win over the handle's and
    /// over the call's default.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Send the request. Retried after a timeout: putting the same value twice is harmless.
    pub async fn send(self) -> Result<()> {
        let body = PutSecretBody {
            scope: &self.scope,
            key: &self.key,
            value: &self.value,
        };
        let req = Request::post("/api/2.0/secrets/put")
            .json(&body)?
            .options(self.options)
            .default_idempotent(true);
        self.api.unit(req).await
    }
}

/// The `secrets/put` body: `scope`, `key` and exactly one of `string_value` / `bytes_value`.
struct PutSecretBody<'a> {
    scope: &'a str,
    key: &'a str,
    value: &'a SecretValue,
}

impl fmt::Debug for PutSecretBody<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutSecretBody")
            .field("scope", &self.scope)
            .field("key", &self.key)
            .field("value", self.value)
            .finish()
    }
}

impl Serialize for PutSecretBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("scope", self.scope)?;
        map.serialize_entry("key", self.key)?;
        match self.value {
            SecretValue::String(text) => {
                map.serialize_entry("string_value", text.expose_secret())?;
            }
            SecretValue::Bytes(bytes) => {
                let encoded = Zeroizing::new(STANDARD.encode(bytes.expose_secret()));
                map.serialize_entry("bytes_value", encoded.as_str())?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbx_core::testing::ReplayTransport;
    use dbx_core::Config;
    use serde_json::json;

    fn api(t: &ReplayTransport) -> SecretsApi {
        let cfg = Config::builder()
            .host("https://x.invalid")
            .token("t")
            .build()
            .expect("config");
        SecretsApi::new(Client::with_transport(cfg, t.clone()))
    }

    fn ok(n: usize) -> ReplayTransport {
        (0..n).fold(ReplayTransport::new(), |t, _| {
            t.respond_json(200, json!({}))
        })
    }

    #[tokio::test]
    async fn create_scope_sends_only_set_fields() {
        let t = ok(3);
        let a = api(&t);
        a.create_scope("s").send().await.expect("plain");
        a.create_scope("s2")
            .initial_manage_principal("users")
            .send()
            .await
            .expect("users");
        a.create_scope("kv")
            .backend_azure_keyvault(AzureKeyVaultSecretScopeMetadata::new("/rid", "https://d/"))
            .send()
            .await
            .expect("kv");
        let r = t.requests();
        assert!(r
            .iter()
            .all(|r| r.method.as_str() == "POST" && r.path == "/api/2.0/secrets/scopes/create"));
        assert_eq!(r[0].json(), json!({"scope": "s"}));
        assert_eq!(
            r[1].json(),
            json!({"scope": "s2", "initial_manage_principal": "users"})
        );
        assert_eq!(
            r[2].json(),
            json!({"scope": "kv", "scope_backend_type": "AZURE_KEYVAULT",
                   "backend_azure_keyvault": {"resource_id": "/rid", "dns_name": "https://d/"}})
        );
    }

    #[tokio::test]
    async fn the_callers_idempotency_wins_over_the_methods_default() {
        let gateway_timeout_then_ok = || {
            ReplayTransport::new()
                .respond_json(
                    504,
                    json!({"error_code": "DEADLINE_EXCEEDED", "message": "slow"}),
                )
                .respond_json(200, json!({}))
        };
        let retry = CallOptions::default().with_retry(dbx_core::RetryPolicy {
            initial_backoff: std::time::Duration::ZERO,
            jitter: false,
            ..dbx_core::RetryPolicy::default()
        });
        let not_idempotent = CallOptions::default().with_idempotent(false);
        // put is idempotent by default: retried after a 504 ...
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry.clone())
            .put_secret("s", "k")
            .string_value("v")
            .send()
            .await
            .expect("retried");
        assert_eq!(t.requests().len(), 2);
        // ... unless the caller says otherwise, for one call ...
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry.clone())
            .put_secret("s", "k")
            .string_value("v")
            .with_options(not_idempotent.clone())
            .send()
            .await
            .expect_err("not retried");
        assert_eq!(t.requests().len(), 1);
        // ... or for every call through a handle, plain `async fn`s included.
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry.clone().with_idempotent(false))
            .delete_acl("s", "p")
            .await
            .expect_err("not retried");
        assert_eq!(t.requests().len(), 1);
        // create_scope is not idempotent by default, but the caller may declare it so.
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry)
            .create_scope("s")
            .with_options(CallOptions::default().with_idempotent(true))
            .send()
            .await
            .expect("retried");
        assert_eq!(t.requests().len(), 2);
    }

    #[tokio::test]
    async fn explicit_backend_type_is_kept() {
        let t = ok(1);
        api(&t)
            .create_scope("s")
            .scope_backend_type(ScopeBackendType::Databricks)
            .backend_azure_keyvault(AzureKeyVaultSecretScopeMetadata::new("r", "d"))
            .send()
            .await
            .expect("create");
        assert_eq!(t.requests()[0].json()["scope_backend_type"], "DATABRICKS");
    }

    #[tokio::test]
    async fn put_secret_sends_string_or_base64_bytes() {
        let t = ok(3);
        let a = api(&t);
        a.put_secret("s", "k")
            .string_value("hunter2")
            .send()
            .await
            .expect("string");
        a.put_secret("s", "b")
            .bytes_value(vec![0u8, 255, 1])
            .send()
            .await
            .expect("bytes");
        a.put_secret("s", "c")
            .value(SecretString::from("x"))
            .send()
            .await
            .expect("value");
        let r = t.requests();
        assert_eq!(r[0].path, "/api/2.0/secrets/put");
        assert_eq!(
            r[0].json(),
            json!({"scope": "s", "key": "k", "string_value": "hunter2"})
        );
        assert_eq!(
            r[1].json(),
            json!({"scope": "s", "key": "b", "bytes_value": "AP8B"})
        );
        assert_eq!(
            r[2].json(),
            json!({"scope": "s", "key": "c", "string_value": "x"})
        );
    }

    #[tokio::test]
    async fn deletes_and_acl_mutations_send_their_bodies() {
        let t = ok(4);
        let a = api(&t);
        a.delete_scope("s").await.expect("delete scope");
        a.delete_secret("s", "k").await.expect("delete secret");
        a.put_acl("s", "g", AclPermission::Write)
            .await
            .expect("put acl");
        a.delete_acl("s", "g").await.expect("delete acl");
        let r = t.requests();
        let got: Vec<(String, serde_json::Value)> =
            r.iter().map(|r| (r.path.clone(), r.json())).collect();
        assert_eq!(
            got,
            vec![
                (
                    "/api/2.0/secrets/scopes/delete".into(),
                    json!({"scope": "s"})
                ),
                (
                    "/api/2.0/secrets/delete".into(),
                    json!({"scope": "s", "key": "k"})
                ),
                (
                    "/api/2.0/secrets/acls/put".into(),
                    json!({"scope": "s", "principal": "g", "permission": "WRITE"})
                ),
                (
                    "/api/2.0/secrets/acls/delete".into(),
                    json!({"scope": "s", "principal": "g"})
                ),
            ]
        );
    }

    #[tokio::test]
    async fn reads_use_query_parameters_and_decode() {
        let t = ReplayTransport::new()
            .respond_json(
                200,
                json!({"scopes": [
                    {"name": "a", "backend_type": "DATABRICKS"},
                    {"name": "kv", "backend_type": "AZURE_KEYVAULT",
                     "keyvault_metadata": {"resource_id": "r", "dns_name": "d"}},
                    {"name": "n", "backend_type": "NEW_BACKEND"}
                ]}),
            )
            .respond_json(
                200,
                json!({"secrets": [{"key": "k", "last_updated_timestamp": 5},
                                   {"key": "j", "last_updated_timestamp": "1520467595000"}]}),
            )
            .respond_json(200, json!({"key": "k", "value": "aHVudGVyMg=="}))
            .respond_json(200, json!({"principal": "u@x", "permission": "MANAGE"}))
            .respond_json(
                200,
                json!({"items": [{"principal": "users", "permission": "READ"},
                                 {"principal": "x", "permission": "OWN"}]}),
            );
        let a = api(&t);
        let scopes = a.list_scopes().await.expect("scopes");
        assert_eq!(scopes.len(), 3);
        assert_eq!(
            scopes[1].keyvault_metadata,
            Some(AzureKeyVaultSecretScopeMetadata::new("r", "d"))
        );
        assert_eq!(
            scopes[2].backend_type,
            Some(ScopeBackendType::Unknown("NEW_BACKEND".into()))
        );
        let secrets = a.list_secrets("my scope").await.expect("secrets");
        assert_eq!(secrets[0].last_updated_timestamp, 5);
        assert_eq!(secrets[1].last_updated_timestamp, 1_520_467_595_000);
        let got = a.get_secret("s", "k").await.expect("get");
        assert_eq!(got.key, "k");
        assert_eq!(got.value.expose_secret(), b"hunter2");
        let acl = a.get_acl("s", "u@x").await.expect("acl");
        assert_eq!(acl.permission, AclPermission::Manage);
        let acls = a.list_acls("s").await.expect("acls");
        assert_eq!(acls[1].permission, AclPermission::Unknown("OWN".into()));

        let r = t.requests();
        let got: Vec<(String, String, Option<String>)> = r
            .iter()
            .map(|r| (r.method.to_string(), r.path.clone(), r.query.clone()))
            .collect();
        let q = |s: &str| Some(s.to_string());
        assert_eq!(
            got,
            vec![
                ("GET".into(), "/api/2.0/secrets/scopes/list".into(), None),
                (
                    "GET".into(),
                    "/api/2.0/secrets/list".into(),
                    q("scope=my+scope")
                ),
                (
                    "GET".into(),
                    "/api/2.0/secrets/get".into(),
                    q("scope=s&key=k")
                ),
                (
                    "GET".into(),
                    "/api/2.0/secrets/acls/get".into(),
                    q("scope=s&principal=u%40x")
                ),
                (
                    "GET".into(),
                    "/api/2.0/secrets/acls/list".into(),
                    q("scope=s")
                ),
            ]
        );
        assert!(r.iter().all(|r| r.body.is_empty()));
    }

    #[tokio::test]
    async fn missing_list_keys_mean_empty() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}));
        let a = api(&t);
        assert!(a.list_scopes().await.expect("scopes").is_empty());
        assert!(a.list_secrets("s").await.expect("secrets").is_empty());
        assert!(a.list_acls("s").await.expect("acls").is_empty());
    }

    #[tokio::test]
    async fn acls_key_of_the_doc_example_is_accepted() {
        let t = ReplayTransport::new().respond_json(
            200,
            json!({"acls": [{"principal": "admins", "permission": "MANAGE"}]}),
        );
        let acls = api(&t).list_acls("s").await.expect("acls");
        assert_eq!(acls.len(), 1);
    }

    #[tokio::test]
    async fn api_errors_keep_code_and_status() {
        let t = ReplayTransport::new()
            .respond_json(
                404,
                json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Scope s does not exist!"}),
            )
            .respond_json(
                400,
                json!({"error_code": "RESOURCE_ALREADY_EXISTS", "message": "Scope s already exists!"}),
            )
            .respond_json(
                403,
                json!({"error_code": "PERMISSION_DENIED",
                       "message": "User u does not have READ permission on scope s to perform this action."}),
            );
        let a = api(&t);
        let e = a.list_secrets("s").await.expect_err("404");
        assert!(e.is_not_found());
        let e = a.create_scope("s").send().await.expect_err("400");
        assert!(e.is_already_exists());
        assert_eq!(e.status().map(|s| s.as_u16()), Some(400));
        let e = a.get_secret("s", "k").await.expect_err("403");
        assert!(e.is_permission_denied());
    }

    #[tokio::test]
    async fn bad_base64_fails_without_showing_the_value() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({"key": "k", "value": "not*base64*hunter2"}))
            .respond_json(200, json!({"key": "k", "value": 424242}));
        let a = api(&t);
        for _ in 0..2 {
            let e = a.get_secret("s", "k").await.expect_err("decode");
            let text = format!("{e} {e:?}");
            assert!(matches!(e, dbx_core::Error::Decode { .. }), "{text}");
            assert!(text.contains("value"), "{text}");
            assert!(
                !text.contains("hunter2") && !text.contains("424242"),
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn no_type_holding_a_secret_prints_it() {
        const SECRET: &str = "hunter2-TOP-SECRET";
        // The test transport keeps the sent body (and prints it in its own Debug): the API's
        // types must not show it through the client they hold.
        let t = ok(1);
        let a = api(&t);
        a.put_secret("s", "k")
            .string_value(SECRET)
            .send()
            .await
            .expect("put");
        let text = SecretValue::string(SECRET);
        let bytes = SecretValue::bytes(SECRET.as_bytes().to_vec());
        let got: GetSecretResponse = serde_json::from_value(json!({
            "key": "k",
            "value": STANDARD.encode(SECRET),
        }))
        .expect("decode");
        let as_text = got.to_secret_string().expect("utf-8");
        let builder = a.put_secret("s", "k").string_value(SECRET);
        let bytes_builder = a
            .put_secret("s", "k")
            .bytes_value(SECRET.as_bytes().to_vec());
        let body = PutSecretBody {
            scope: "s",
            key: "k",
            value: &text,
        };
        let printed = [
            format!("{text:?}"),
            format!("{text:#?}"),
            format!("{bytes:?}"),
            format!("{got:?}"),
            format!("{got:#?}"),
            format!("{as_text:?}"),
            format!("{builder:?}"),
            format!("{bytes_builder:?}"),
            format!("{body:?}"),
            format!("{a:?}"),
            format!("{:?}", a.put_secret("s", "k")),
            format!("{:?}", a.create_scope("s")),
        ];
        for p in &printed {
            assert!(!p.contains(SECRET), "leaked: {p}");
            assert!(!p.contains(&STANDARD.encode(SECRET)), "leaked base64: {p}");
        }
        assert!(printed[0].contains("REDACTED"));
        // A non-UTF-8 value fails without showing it.
        let binary: GetSecretResponse =
            serde_json::from_value(json!({"key": "k", "value": STANDARD.encode([0xffu8, 0xfe])}))
                .expect("decode");
        let e = binary.to_secret_string().expect_err("not utf-8");
        assert!(!format!("{e} {e:?}").contains("//4="));
        // The exposed values are the real ones.
        assert_eq!(text.expose_bytes(), SECRET.as_bytes());
        assert_eq!(bytes.len(), SECRET.len());
        assert!(!bytes.is_empty());
    }

    #[test]
    fn permission_order() {
        use AclPermission::*;
        assert!(Manage.includes(&Manage) && Manage.includes(&Write) && Manage.includes(&Read));
        assert!(Write.includes(&Read) && !Write.includes(&Manage));
        assert!(Read.includes(&Read) && !Read.includes(&Write));
        let unknown = Unknown("OWN".into());
        assert!(!unknown.includes(&Read) && !Manage.includes(&unknown));
        assert_eq!(serde_json::to_value(&Write).expect("ser"), json!("WRITE"));
    }
}
