//! Secrets state: scopes (Databricks-backed or Azure Key Vault-backed), their secrets and their
//! ACLs. The handlers and validation rules are in `api/secrets.rs`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::permissions::{Grants, Level};

/// A permission level on a scope; the derived order is the documented one
/// (READ < WRITE < MANAGE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Permission {
    Read,
    Write,
    Manage,
}

impl Level for Permission {
    const ADMIN: Self = Self::Manage;
}

impl Permission {
    /// The wire name's level.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "READ" => Some(Self::Read),
            "WRITE" => Some(Self::Write),
            "MANAGE" => Some(Self::Manage),
            _ => None,
        }
    }

    /// The wire name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Read => "READ",
            Self::Write => "WRITE",
            Self::Manage => "MANAGE",
        }
    }
}

/// A stored secret value. `Debug` never shows it; a state document holds it in base64 (the
/// state directory therefore contains secrets: see `docs/emulator.md`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SecretBytes(#[serde(with = "super::serde_util::vec_b64")] pub Vec<u8>);

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {} bytes>", self.0.len())
    }
}

/// One secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredSecret {
    /// The key as first put.
    pub key: String,
    pub value: SecretBytes,
    pub last_updated_timestamp: i64,
}

/// An Azure Key Vault backend's metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeyVault {
    pub resource_id: String,
    pub dns_name: String,
}

/// One secret scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Scope {
    pub name: String,
    pub keyvault: Option<KeyVault>,
    /// Lower-cased key → secret.
    pub secrets: BTreeMap<String, StoredSecret>,
    /// The scope's ACLs (canonical principal name → permission).
    pub acls: Grants<Permission>,
}

impl Scope {
    /// `DATABRICKS` or `AZURE_KEYVAULT`.
    pub(crate) fn backend_type(&self) -> &'static str {
        if self.keyvault.is_some() {
            "AZURE_KEYVAULT"
        } else {
            "DATABRICKS"
        }
    }
}

/// Every secret scope of the workspace, keyed by lower-cased name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct SecretStore {
    pub scopes: BTreeMap<String, Scope>,
}

impl SecretStore {
    /// Remove every ACL naming `principal` (a deleted user or service principal).
    pub(crate) fn forget_principal(&mut self, principal: &str) {
        for scope in self.scopes.values_mut() {
            scope.acls.remove(principal);
        }
    }

    /// True when scope `scope` has an ACL naming `principal`.
    #[cfg(test)]
    pub(crate) fn names_principal(&self, scope: &str, principal: &str) -> bool {
        self.scopes
            .get(&scope.to_lowercase())
            .is_some_and(|s| s.acls.get(principal).is_some())
    }

    /// A Databricks-backed scope `name` whose only ACL grants `permission` to `principal`.
    #[cfg(test)]
    pub(crate) fn test_scope_with_acl(
        &mut self,
        name: &str,
        principal: &str,
        permission: Permission,
    ) {
        let mut acls = Grants::default();
        acls.set(principal, permission);
        self.scopes.insert(
            name.to_lowercase(),
            Scope {
                name: name.to_owned(),
                keyvault: None,
                secrets: BTreeMap::new(),
                acls,
            },
        );
    }
}
