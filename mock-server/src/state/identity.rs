//! The identity model shared by every API family: users, service principals and groups.
//!
//! Users, service principals and groups share one id space: numeric strings from a counter
//! starting at 1000000000000001, so ids are deterministic for a given sequence of calls. The
//! built-in groups `admins` and `users` always exist; `users` implicitly contains every user and
//! service principal. Names are unique case-insensitively (user names are e-mail addresses).
//! Creating or deleting a principal has effects in other families (a home folder, tokens, ACLs):
//! callers go through `State::add_user` and friends in `effects.rs`, never straight here.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;

use serde::Serialize;

use super::tokens::hash_secret;
use crate::error::ApiError;

/// The first id handed out.
const FIRST_ID: u64 = 1_000_000_000_000_001;
/// The built-in administrators group.
pub(crate) const ADMINS_GROUP: &str = "admins";
/// The built-in group that implicitly holds every user and service principal.
pub(crate) const USERS_GROUP: &str = "users";

/// What kind of identity a [`Principal`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A human user, named by `user_name` (an e-mail address).
    User,
    /// A service principal, named by its `application_id`.
    ServicePrincipal,
}

/// A user or service principal as the emulator knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// SCIM id (numeric string).
    pub id: String,
    /// User or service principal.
    pub kind: PrincipalKind,
    /// The user name; for a service principal, its application id.
    pub user_name: String,
    /// Display name.
    pub display_name: String,
    /// Inactive principals cannot authenticate.
    pub active: bool,
    /// The OAuth client id of a service principal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
}

/// A service principal just created, with its one and only view of the plain client secret.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct ServicePrincipal {
    /// SCIM id (numeric string).
    pub id: String,
    /// OAuth client id (a UUID).
    pub application_id: String,
    /// Display name.
    pub display_name: String,
    /// OAuth client secret (only its hash is stored).
    pub client_secret: String,
}

impl fmt::Debug for ServicePrincipal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServicePrincipal")
            .field("id", &self.id)
            .field("application_id", &self.application_id)
            .field("display_name", &self.display_name)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// A group as the emulator knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupInfo {
    /// SCIM id (numeric string).
    pub id: String,
    /// The group name.
    pub display_name: String,
}

/// One group a principal belongs to, directly or through nested groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupMembership {
    pub id: String,
    pub display_name: String,
    /// True when the principal is an explicit member; false for nested and implicit (`users`).
    pub direct: bool,
}

#[derive(Debug, Clone)]
struct PrincipalRecord {
    info: Principal,
    /// SHA-256 hex of each OAuth client secret (service principals only).
    secret_hashes: Vec<String>,
    /// Entitlements granted to the principal itself (`allow-cluster-create`, ...).
    entitlements: BTreeSet<String>,
}

#[derive(Debug, Clone)]
struct GroupRecord {
    info: GroupInfo,
    /// Ids of member users, service principals and groups.
    members: BTreeSet<String>,
}

/// Every principal and group.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    next_id: u64,
    principals: BTreeMap<String, PrincipalRecord>,
    /// Lower-cased user name / application id → principal id.
    principal_by_name: HashMap<String, String>,
    groups: BTreeMap<String, GroupRecord>,
    /// Lower-cased group name → group id.
    group_by_name: HashMap<String, String>,
}

impl Default for Identity {
    fn default() -> Self {
        Self {
            next_id: FIRST_ID,
            principals: BTreeMap::new(),
            principal_by_name: HashMap::new(),
            groups: BTreeMap::new(),
            group_by_name: HashMap::new(),
        }
    }
}

impl Identity {
    fn alloc_id(&mut self) -> String {
        let id = self.next_id;
        self.next_id += 1;
        id.to_string()
    }

    fn name_taken(&self, key: &str) -> bool {
        self.principal_by_name.contains_key(key) || self.group_by_name.contains_key(key)
    }

    /// Add a user. `display_name` defaults to the user name.
    pub(super) fn add_user(
        &mut self,
        user_name: &str,
        display_name: Option<&str>,
    ) -> Result<Principal, ApiError> {
        let user_name = user_name.trim();
        if user_name.is_empty() {
            return Err(ApiError::invalid_parameter("user_name must not be empty"));
        }
        let key = user_name.to_lowercase();
        if self.name_taken(&key) {
            return Err(ApiError::already_exists(format!(
                "User with username {user_name} already exists."
            )));
        }
        let info = Principal {
            id: self.alloc_id(),
            kind: PrincipalKind::User,
            user_name: user_name.to_owned(),
            display_name: display_name.unwrap_or(user_name).to_owned(),
            active: true,
            application_id: None,
        };
        self.insert_principal(key, info.clone(), Vec::new());
        Ok(info)
    }

    /// Add a service principal with a fresh application id and client secret.
    pub(super) fn add_service_principal(
        &mut self,
        display_name: &str,
    ) -> Result<ServicePrincipal, ApiError> {
        if display_name.trim().is_empty() {
            return Err(ApiError::invalid_parameter(
                "display_name must not be empty",
            ));
        }
        let application_id = uuid::Uuid::new_v4().to_string();
        let client_secret = format!("dose{}", hex::encode(rand::random::<[u8; 16]>()));
        let info = Principal {
            id: self.alloc_id(),
            kind: PrincipalKind::ServicePrincipal,
            user_name: application_id.clone(),
            display_name: display_name.to_owned(),
            active: true,
            application_id: Some(application_id.clone()),
        };
        let sp = ServicePrincipal {
            id: info.id.clone(),
            application_id: application_id.clone(),
            display_name: info.display_name.clone(),
            client_secret,
        };
        self.insert_principal(
            application_id.to_lowercase(),
            info,
            vec![hash_secret(&sp.client_secret)],
        );
        Ok(sp)
    }

    fn insert_principal(&mut self, key: String, info: Principal, secret_hashes: Vec<String>) {
        self.principal_by_name.insert(key, info.id.clone());
        self.principals.insert(
            info.id.clone(),
            PrincipalRecord {
                info,
                secret_hashes,
                entitlements: BTreeSet::new(),
            },
        );
    }

    /// Add a group.
    pub(crate) fn add_group(&mut self, name: &str) -> Result<GroupInfo, ApiError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ApiError::invalid_parameter("group name must not be empty"));
        }
        let key = name.to_lowercase();
        if self.name_taken(&key) {
            return Err(ApiError::already_exists(format!(
                "Group with name {name} already exists."
            )));
        }
        let info = GroupInfo {
            id: self.alloc_id(),
            display_name: name.to_owned(),
        };
        self.group_by_name.insert(key, info.id.clone());
        self.groups.insert(
            info.id.clone(),
            GroupRecord {
                info: info.clone(),
                members: BTreeSet::new(),
            },
        );
        Ok(info)
    }

    /// Make `member` (a user name, application id or group name) an explicit member of `group`.
    pub(crate) fn add_member(&mut self, group: &str, member: &str) -> Result<(), ApiError> {
        let group_id = self
            .group_by_name(group)
            .map(|g| g.id.clone())
            .ok_or_else(|| ApiError::does_not_exist(format!("Group {group} does not exist.")))?;
        let member_id = match self.principal_by_name(member) {
            Some(p) => p.id.clone(),
            None => self
                .group_by_name(member)
                .map(|g| g.id.clone())
                .ok_or_else(|| {
                    ApiError::does_not_exist(format!("Principal {member} does not exist."))
                })?,
        };
        if member_id == group_id {
            return Err(ApiError::invalid_parameter(format!(
                "Group {group} cannot be a member of itself."
            )));
        }
        if let Some(g) = self.groups.get_mut(&group_id) {
            g.members.insert(member_id);
        }
        Ok(())
    }

    /// The user or service principal with SCIM id `id`.
    pub(crate) fn principal(&self, id: &str) -> Option<&Principal> {
        self.principals.get(id).map(|r| &r.info)
    }

    /// The user (by user name) or service principal (by application id) called `name`.
    pub(crate) fn principal_by_name(&self, name: &str) -> Option<&Principal> {
        self.principal_by_name
            .get(&name.trim().to_lowercase())
            .and_then(|id| self.principal(id))
    }

    /// The group called `name`.
    pub(crate) fn group_by_name(&self, name: &str) -> Option<&GroupInfo> {
        self.group_by_name
            .get(&name.trim().to_lowercase())
            .and_then(|id| self.groups.get(id))
            .map(|g| &g.info)
    }

    /// The active service principal whose client id and secret match.
    pub(crate) fn check_client_secret(&self, client_id: &str, secret: &str) -> Option<&Principal> {
        let rec = self
            .principal_by_name
            .get(&client_id.to_lowercase())
            .and_then(|id| self.principals.get(id))?;
        let hash = hash_secret(secret);
        (rec.info.kind == PrincipalKind::ServicePrincipal
            && rec.info.active
            && rec.secret_hashes.contains(&hash))
        .then_some(&rec.info)
    }

    /// Every group `id` (a principal or a group) belongs to, transitively, nearest first.
    ///
    /// Users and service principals are always in `users` (reported as not direct unless they
    /// were added explicitly).
    pub(crate) fn groups_of(&self, id: &str) -> Vec<GroupMembership> {
        let mut out = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<(&str, bool)> = VecDeque::from([(id, true)]);
        while let Some((child, direct)) = queue.pop_front() {
            for g in self.groups.values() {
                if g.members.contains(child) && seen.insert(g.info.id.as_str()) {
                    out.push(GroupMembership {
                        id: g.info.id.clone(),
                        display_name: g.info.display_name.clone(),
                        direct,
                    });
                    queue.push_back((g.info.id.as_str(), false));
                }
            }
        }
        if self.principals.contains_key(id) {
            if let Some(users) = self.group_by_name(USERS_GROUP) {
                if !seen.contains(users.id.as_str()) {
                    out.push(GroupMembership {
                        id: users.id.clone(),
                        display_name: users.display_name.clone(),
                        direct: false,
                    });
                }
            }
        }
        out
    }

    /// True when principal `principal_id` holds entitlement `name` itself (group entitlements
    /// are not modelled yet).
    pub(crate) fn has_entitlement(&self, principal_id: &str, name: &str) -> bool {
        self.principals
            .get(principal_id)
            .is_some_and(|r| r.entitlements.contains(name))
    }

    /// Grant (`on`) or revoke an entitlement of principal `principal_id` (no effect when there
    /// is no such principal).
    pub(crate) fn set_entitlement(&mut self, principal_id: &str, name: &str, on: bool) {
        if let Some(r) = self.principals.get_mut(principal_id) {
            if on {
                r.entitlements.insert(name.to_owned());
            } else {
                r.entitlements.remove(name);
            }
        }
    }

    /// True when `id` is a member of `admins`, directly or through nested groups.
    pub(crate) fn is_admin(&self, id: &str) -> bool {
        self.groups_of(id)
            .iter()
            .any(|g| g.display_name == ADMINS_GROUP)
    }

    /// Remove the user or service principal `id` and its memberships (cross-family effects go
    /// through `State::delete_principal`). Returns what was removed.
    pub(super) fn remove_principal(&mut self, id: &str) -> Option<Principal> {
        let rec = self.principals.remove(id)?;
        self.principal_by_name
            .retain(|_, pid| pid.as_str() != rec.info.id.as_str());
        for g in self.groups.values_mut() {
            g.members.remove(id);
        }
        Some(rec.info)
    }

    /// Every user and service principal, by id.
    #[allow(dead_code)] // for the SCIM Users and ServicePrincipals endpoints
    pub(crate) fn principals(&self) -> impl Iterator<Item = &Principal> {
        self.principals.values().map(|r| &r.info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::State;

    fn state() -> State {
        State::new("admin@example.com", "dapi-admin", 0)
    }

    #[test]
    fn ids_are_deterministic_and_admin_is_admin() {
        let mut s = state();
        let admin = s
            .identity
            .principal_by_name("ADMIN@example.com")
            .expect("admin");
        assert_eq!(admin.id, "1000000000000003");
        let u = s.add_user("u@example.com", None).expect("user");
        assert_eq!(u.id, "1000000000000004");
        assert!(s.identity.is_admin("1000000000000003"));
        assert!(!s.identity.is_admin("1000000000000004"));
        assert!(s.authenticate("dapi-admin", 0).is_some());
    }

    #[test]
    fn nested_groups_are_transitive_and_cycles_terminate() {
        let mut s = state();
        assert!(s.add_user("u@example.com", None).is_ok());
        assert!(s.identity.add_group("a").is_ok());
        assert!(s.identity.add_group("b").is_ok());
        assert!(s.identity.add_member("a", "u@example.com").is_ok());
        assert!(s.identity.add_member("b", "a").is_ok());
        assert!(s.identity.add_member("a", "b").is_ok());
        assert!(s.identity.add_member(ADMINS_GROUP, "b").is_ok());
        let id = s
            .identity
            .principal_by_name("u@example.com")
            .expect("user")
            .id
            .clone();
        let names: Vec<(String, bool)> = s
            .identity
            .groups_of(&id)
            .into_iter()
            .map(|g| (g.display_name, g.direct))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a".to_owned(), true),
                ("b".to_owned(), false),
                ("admins".to_owned(), false),
                ("users".to_owned(), false),
            ]
        );
        assert!(s.identity.is_admin(&id));
        assert!(s.identity.add_member("a", "a").is_err());
        assert!(s.identity.add_member("nope", "a").is_err());
        assert!(s.add_user("U@EXAMPLE.COM", None).is_err());
        assert!(s.identity.add_group("A").is_err());
    }

    #[test]
    fn service_principal_secret_checks() {
        let mut s = state();
        let sp = s.add_service_principal("ci").expect("sp");
        assert!(s
            .identity
            .check_client_secret(&sp.application_id, &sp.client_secret)
            .is_some());
        assert!(s
            .identity
            .check_client_secret(&sp.application_id, "wrong")
            .is_none());
        assert!(s
            .identity
            .check_client_secret("admin@example.com", "x")
            .is_none());
        assert!(!format!("{sp:?}").contains(&sp.client_secret));
    }
}
