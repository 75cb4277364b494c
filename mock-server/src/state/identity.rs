//! The identity model shared by every API family: users, service principals and groups.
//!
//! Users, service principals and groups share one id space: numeric strings from a counter
//! starting at 1000000000000001, so ids are deterministic for a given sequence of calls. The
//! built-in groups `admins` and `users` always exist; `users` implicitly contains every user and
//! service principal. Names are unique case-insensitively (user names are e-mail addresses).
//! Creating or deleting a principal or a group has effects in other families (a home folder,
//! tokens, ACLs): callers go through `State::add_user` and friends in `effects.rs`, never
//! straight here.
//!
//! Two indexes keep the SCIM API fast with many identities: each kind's ids in creation order
//! (ids grow, so that is id order; a page of a listing is a slice), and for each member the
//! groups it belongs to directly (so a principal's groups are found without scanning every
//! group).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::tokens::hash_secret;
use crate::error::ApiError;

/// The first id handed out.
const FIRST_ID: u64 = 1_000_000_000_000_001;
/// The built-in administrators group.
pub(crate) const ADMINS_GROUP: &str = "admins";
/// The built-in group that implicitly holds every user and service principal.
pub(crate) const USERS_GROUP: &str = "users";
/// The entitlements the built-in `users` group carries in a new workspace, so every user has
/// them (docs.databricks.com, "Manage entitlements").
pub(crate) const DEFAULT_USERS_ENTITLEMENTS: [&str; 2] =
    ["workspace-access", "databricks-sql-access"];

/// What kind of identity a [`Principal`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A human user, named by `user_name` (an e-mail address).
    User,
    /// A service principal, named by its `application_id`.
    ServicePrincipal,
}

/// A user or service principal as the emulator knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// One e-mail address of a user (SCIM `emails`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Email {
    pub value: String,
    pub kind: Option<String>,
    pub primary: Option<bool>,
}

/// The SCIM attributes of an identity beyond its name and state (set through SCIM; identities
/// made by the admin API start with none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ScimAttrs {
    /// `name.givenName` (users).
    pub given_name: Option<String>,
    /// `name.familyName` (users).
    pub family_name: Option<String>,
    /// `emails` (users); empty means the default work address, the user name.
    pub emails: Vec<Email>,
    /// `entitlements[].value`, in the order granted.
    pub entitlements: Vec<String>,
    /// `roles[].value` (instance profile ARNs), in the order granted.
    pub roles: Vec<String>,
    /// `externalId`.
    pub external_id: Option<String>,
}

/// What an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    User,
    ServicePrincipal,
    Group,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PrincipalRecord {
    info: Principal,
    /// SHA-256 hex of each OAuth client secret (service principals only).
    secret_hashes: Vec<String>,
    attrs: ScimAttrs,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct GroupRecord {
    info: GroupInfo,
    /// Ids of member users, service principals and groups.
    members: BTreeSet<String>,
    attrs: ScimAttrs,
}

/// Every principal and group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Identity {
    next_id: u64,
    principals: BTreeMap<String, PrincipalRecord>,
    /// Lower-cased user name / application id → principal id.
    principal_by_name: HashMap<String, String>,
    groups: BTreeMap<String, GroupRecord>,
    /// Lower-cased group name → group id.
    group_by_name: HashMap<String, String>,
    /// Member id → ids of the groups it is an explicit member of (the reverse of `members`).
    parents: HashMap<String, BTreeSet<String>>,
    /// User ids in creation (= id) order.
    user_ids: Vec<String>,
    /// Service principal ids in creation (= id) order.
    sp_ids: Vec<String>,
    /// Group ids in creation (= id) order.
    group_ids: Vec<String>,
}

impl Default for Identity {
    fn default() -> Self {
        Self {
            next_id: FIRST_ID,
            principals: BTreeMap::new(),
            principal_by_name: HashMap::new(),
            groups: BTreeMap::new(),
            group_by_name: HashMap::new(),
            parents: HashMap::new(),
            user_ids: Vec::new(),
            sp_ids: Vec::new(),
            group_ids: Vec::new(),
        }
    }
}

/// Remove `id` from an id-ordered list.
fn remove_sorted(ids: &mut Vec<String>, id: &str) {
    let key = (id.len(), id);
    if let Ok(i) = ids.binary_search_by(|x| (x.len(), x.as_str()).cmp(&key)) {
        ids.remove(i);
    }
}

impl Identity {
    fn alloc_id(&mut self) -> String {
        let id = self.next_id;
        self.next_id += 1;
        id.to_string()
    }

    /// How many users and service principals there are (`limits.rs` caps it).
    pub(crate) fn principal_count(&self) -> usize {
        self.principals.len()
    }

    /// How many groups there are, `admins` and `users` included (`limits.rs` caps it).
    pub(crate) fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// True when a user name, application id or group name is taken (case-insensitively).
    pub(crate) fn name_taken(&self, name: &str) -> bool {
        let key = name.trim().to_lowercase();
        self.principal_by_name.contains_key(&key) || self.group_by_name.contains_key(&key)
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
        if self.name_taken(user_name) {
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
        self.insert_principal(info.clone(), Vec::new());
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
            application_id,
            display_name: info.display_name.clone(),
            client_secret,
        };
        self.insert_principal(info, vec![hash_secret(&sp.client_secret)]);
        Ok(sp)
    }

    /// Add a service principal without an OAuth secret (SCIM creates them so; secrets are made
    /// elsewhere). `application_id` defaults to a fresh UUID; taken → `RESOURCE_ALREADY_EXISTS`.
    pub(super) fn add_service_principal_without_secret(
        &mut self,
        application_id: Option<&str>,
        display_name: &str,
    ) -> Result<Principal, ApiError> {
        let application_id = match application_id.map(str::trim) {
            Some("") => {
                return Err(ApiError::invalid_parameter(
                    "applicationId must not be empty",
                ))
            }
            Some(a) => a.to_owned(),
            None => uuid::Uuid::new_v4().to_string(),
        };
        if self.name_taken(&application_id) {
            return Err(ApiError::already_exists(format!(
                "Service principal with application ID {application_id} already exists."
            )));
        }
        let info = Principal {
            id: self.alloc_id(),
            kind: PrincipalKind::ServicePrincipal,
            user_name: application_id.clone(),
            display_name: display_name.to_owned(),
            active: true,
            application_id: Some(application_id),
        };
        self.insert_principal(info.clone(), Vec::new());
        Ok(info)
    }

    fn insert_principal(&mut self, info: Principal, secret_hashes: Vec<String>) {
        self.principal_by_name
            .insert(info.user_name.to_lowercase(), info.id.clone());
        match info.kind {
            PrincipalKind::User => self.user_ids.push(info.id.clone()),
            PrincipalKind::ServicePrincipal => self.sp_ids.push(info.id.clone()),
        }
        self.principals.insert(
            info.id.clone(),
            PrincipalRecord {
                info,
                secret_hashes,
                attrs: ScimAttrs::default(),
            },
        );
    }

    /// Add a group.
    pub(crate) fn add_group(&mut self, name: &str) -> Result<GroupInfo, ApiError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ApiError::invalid_parameter("group name must not be empty"));
        }
        if self.name_taken(name) {
            return Err(ApiError::already_exists(format!(
                "Group with name {name} already exists."
            )));
        }
        let info = GroupInfo {
            id: self.alloc_id(),
            display_name: name.to_owned(),
        };
        self.group_by_name
            .insert(name.to_lowercase(), info.id.clone());
        self.group_ids.push(info.id.clone());
        self.groups.insert(
            info.id.clone(),
            GroupRecord {
                info: info.clone(),
                members: BTreeSet::new(),
                attrs: ScimAttrs::default(),
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
        let member_id = self.member_id_by_name(member).ok_or_else(|| {
            ApiError::does_not_exist(format!("Principal {member} does not exist."))
        })?;
        if member_id == group_id {
            return Err(ApiError::invalid_parameter(format!(
                "Group {group} cannot be a member of itself."
            )));
        }
        self.link(&group_id, &member_id);
        Ok(())
    }

    /// The id of the user, service principal or group called `name`.
    pub(crate) fn member_id_by_name(&self, name: &str) -> Option<String> {
        self.principal_by_name(name)
            .map(|p| p.id.clone())
            .or_else(|| self.group_by_name(name).map(|g| g.id.clone()))
    }

    /// Make `member_id` an explicit member of the group `group_id` (both must exist; a group is
    /// never linked to itself). Returns false when nothing changed.
    pub(crate) fn link(&mut self, group_id: &str, member_id: &str) -> bool {
        if group_id == member_id || self.kind_of(member_id).is_none() {
            return false;
        }
        let Some(g) = self.groups.get_mut(group_id) else {
            return false;
        };
        if !g.members.insert(member_id.to_owned()) {
            return false;
        }
        self.parents
            .entry(member_id.to_owned())
            .or_default()
            .insert(group_id.to_owned());
        true
    }

    /// Remove `member_id` from the explicit members of `group_id`. Returns false when it was not
    /// one.
    pub(crate) fn unlink(&mut self, group_id: &str, member_id: &str) -> bool {
        let removed = self
            .groups
            .get_mut(group_id)
            .is_some_and(|g| g.members.remove(member_id));
        if removed {
            if let Some(p) = self.parents.get_mut(member_id) {
                p.remove(group_id);
                if p.is_empty() {
                    self.parents.remove(member_id);
                }
            }
        }
        removed
    }

    /// The user or service principal with SCIM id `id`.
    pub(crate) fn principal(&self, id: &str) -> Option<&Principal> {
        self.principals.get(id).map(|r| &r.info)
    }

    /// The group with SCIM id `id`.
    pub(crate) fn group(&self, id: &str) -> Option<&GroupInfo> {
        self.groups.get(id).map(|g| &g.info)
    }

    /// What `id` names, if anything.
    pub(crate) fn kind_of(&self, id: &str) -> Option<IdKind> {
        if let Some(p) = self.principals.get(id) {
            return Some(match p.info.kind {
                PrincipalKind::User => IdKind::User,
                PrincipalKind::ServicePrincipal => IdKind::ServicePrincipal,
            });
        }
        self.groups.contains_key(id).then_some(IdKind::Group)
    }

    /// The display name of the principal or group `id`.
    pub(crate) fn display_of(&self, id: &str) -> Option<&str> {
        self.principal(id)
            .map(|p| p.display_name.as_str())
            .or_else(|| self.group(id).map(|g| g.display_name.as_str()))
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

    /// The SCIM attributes of the principal or group `id`.
    pub(crate) fn attrs(&self, id: &str) -> Option<&ScimAttrs> {
        self.principals
            .get(id)
            .map(|r| &r.attrs)
            .or_else(|| self.groups.get(id).map(|g| &g.attrs))
    }

    /// Replace the SCIM attributes of the principal or group `id`.
    pub(crate) fn set_attrs(&mut self, id: &str, attrs: ScimAttrs) {
        if let Some(r) = self.principals.get_mut(id) {
            r.attrs = attrs;
        } else if let Some(g) = self.groups.get_mut(id) {
            g.attrs = attrs;
        }
    }

    /// Set the display name of the user or service principal `id` (not unique).
    pub(crate) fn set_principal_display_name(&mut self, id: &str, name: &str) {
        if let Some(r) = self.principals.get_mut(id) {
            r.info.display_name = name.to_owned();
        }
    }

    /// Rename the group `id`; the new name must be free (`RESOURCE_ALREADY_EXISTS`).
    pub(crate) fn rename_group(&mut self, id: &str, name: &str) -> Result<(), ApiError> {
        let name = name.trim();
        let Some(old) = self.group(id).map(|g| g.display_name.clone()) else {
            return Err(ApiError::does_not_exist(format!(
                "Group {id} does not exist."
            )));
        };
        if old == name {
            return Ok(());
        }
        if name.is_empty() {
            return Err(ApiError::invalid_parameter("group name must not be empty"));
        }
        if !old.eq_ignore_ascii_case(name) && self.name_taken(name) {
            return Err(ApiError::already_exists(format!(
                "Group with name {name} already exists."
            )));
        }
        self.group_by_name.remove(&old.to_lowercase());
        self.group_by_name
            .insert(name.to_lowercase(), id.to_owned());
        if let Some(g) = self.groups.get_mut(id) {
            g.info.display_name = name.to_owned();
        }
        Ok(())
    }

    /// Activate or deactivate the user or service principal `id` (inactive ones cannot
    /// authenticate: see `State::authenticate` and the OAuth token endpoint).
    pub(crate) fn set_active(&mut self, id: &str, active: bool) {
        if let Some(r) = self.principals.get_mut(id) {
            r.info.active = active;
        }
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

    /// The ids of the groups `id` is an explicit member of, in id order.
    pub(crate) fn direct_parents(&self, id: &str) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .parents
            .get(id)
            .map(|p| p.iter().map(String::as_str).collect())
            .unwrap_or_default();
        out.sort_by_key(|g| (g.len(), *g));
        out
    }

    /// The explicit members of the group `id`, in id order.
    pub(crate) fn direct_members(&self, id: &str) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .groups
            .get(id)
            .map(|g| g.members.iter().map(String::as_str).collect())
            .unwrap_or_default();
        out.sort_by_key(|m| (m.len(), *m));
        out
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
            for gid in self.direct_parents(child) {
                let Some(g) = self.groups.get(gid) else {
                    continue;
                };
                if seen.insert(g.info.id.as_str()) {
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

    /// Grant (`on`) or revoke an entitlement of principal `principal_id` (no effect when there
    /// is no such principal).
    pub(crate) fn set_entitlement(&mut self, principal_id: &str, name: &str, on: bool) {
        if let Some(r) = self.principals.get_mut(principal_id) {
            let list = &mut r.attrs.entitlements;
            let held = list.iter().any(|e| e == name);
            if on && !held {
                list.push(name.to_owned());
            } else if !on {
                list.retain(|e| e != name);
            }
        }
    }

    /// True when `id` is a member of `admins`, directly or through nested groups.
    pub(crate) fn is_admin(&self, id: &str) -> bool {
        self.groups_of(id)
            .iter()
            .any(|g| g.display_name == ADMINS_GROUP)
    }

    /// True when the principal `id` holds `entitlement` (`allow-cluster-create`, ...): admins
    /// hold every entitlement; others hold their own and those of every group they belong to,
    /// transitively (docs.databricks.com, "Manage entitlements"). An inactive principal holds
    /// none.
    pub(crate) fn has_entitlement(&self, id: &str, entitlement: &str) -> bool {
        let Some(rec) = self.principals.get(id) else {
            return false;
        };
        if !rec.info.active {
            return false;
        }
        if self.is_admin(id) {
            return true;
        }
        let holds = |a: &ScimAttrs| a.entitlements.iter().any(|e| e == entitlement);
        holds(&rec.attrs)
            || self
                .groups_of(id)
                .iter()
                .filter_map(|g| self.groups.get(&g.id))
                .any(|g| holds(&g.attrs))
    }

    /// Remove the user or service principal `id` and its memberships (cross-family effects go
    /// through `State::delete_principal`). Returns what was removed.
    pub(super) fn remove_principal(&mut self, id: &str) -> Option<Principal> {
        let rec = self.principals.remove(id)?;
        self.principal_by_name
            .remove(&rec.info.user_name.to_lowercase());
        match rec.info.kind {
            PrincipalKind::User => remove_sorted(&mut self.user_ids, id),
            PrincipalKind::ServicePrincipal => remove_sorted(&mut self.sp_ids, id),
        }
        for gid in self.parents.remove(id).unwrap_or_default() {
            if let Some(g) = self.groups.get_mut(&gid) {
                g.members.remove(id);
            }
        }
        Some(rec.info)
    }

    /// Remove the group `id`, its memberships and its members' links to it (cross-family effects
    /// go through `State::delete_group`). Returns what was removed.
    pub(super) fn remove_group(&mut self, id: &str) -> Option<GroupInfo> {
        let rec = self.groups.remove(id)?;
        self.group_by_name
            .remove(&rec.info.display_name.to_lowercase());
        remove_sorted(&mut self.group_ids, id);
        for member in &rec.members {
            if let Some(p) = self.parents.get_mut(member) {
                p.remove(id);
                if p.is_empty() {
                    self.parents.remove(member);
                }
            }
        }
        for gid in self.parents.remove(id).unwrap_or_default() {
            if let Some(g) = self.groups.get_mut(&gid) {
                g.members.remove(id);
            }
        }
        Some(rec.info)
    }

    /// User ids in id order.
    pub(crate) fn user_ids(&self) -> &[String] {
        &self.user_ids
    }

    /// Service principal ids in id order.
    pub(crate) fn service_principal_ids(&self) -> &[String] {
        &self.sp_ids
    }

    /// Group ids in id order.
    pub(crate) fn group_ids(&self) -> &[String] {
        &self.group_ids
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
    #[test]
    fn entitlements_come_from_the_principal_its_groups_or_admin() {
        let mut s = state();
        let u = s.add_user("u@example.com", None).expect("user");
        let g = s.identity.add_group("creators").expect("group");
        let outer = s.identity.add_group("outer").expect("group");
        assert!(!s.identity.has_entitlement(&u.id, "allow-cluster-create"));
        assert!(
            s.identity.has_entitlement(&u.id, "workspace-access"),
            "from users"
        );
        assert!(s.identity.link(&g.id, &u.id) && s.identity.link(&outer.id, &g.id));
        s.identity.set_attrs(
            &outer.id,
            ScimAttrs {
                entitlements: vec!["allow-cluster-create".into()],
                ..Default::default()
            },
        );
        assert!(
            s.identity.has_entitlement(&u.id, "allow-cluster-create"),
            "nested"
        );
        s.identity.set_active(&u.id, false);
        assert!(
            !s.identity.has_entitlement(&u.id, "allow-cluster-create"),
            "inactive"
        );
        s.identity.set_active(&u.id, true);
        assert!(s.identity.unlink(&g.id, &u.id) && !s.identity.unlink(&g.id, &u.id));
        assert!(!s.identity.has_entitlement(&u.id, "allow-cluster-create"));
        assert!(
            s.identity
                .has_entitlement("1000000000000003", "allow-cluster-create"),
            "admin"
        );
    }

    #[test]
    fn removing_a_group_or_principal_keeps_both_indexes_consistent() {
        let mut s = state();
        let u = s.add_user("u@example.com", None).expect("user");
        let a = s.identity.add_group("a").expect("group");
        let b = s.identity.add_group("b").expect("group");
        let c = s.identity.add_group("c").expect("group");
        assert!(s.identity.link(&a.id, &u.id));
        assert!(s.identity.link(&b.id, &a.id));
        assert!(s.identity.link(&a.id, &c.id));
        assert!(!s.identity.link(&a.id, &a.id), "not itself");
        assert!(!s.identity.link(&a.id, "999"), "not unknown ids");
        assert_eq!(
            s.identity.direct_members(&a.id),
            vec![u.id.as_str(), c.id.as_str()]
        );
        let gone = s.delete_group(&a.id).expect("deleted");
        assert_eq!(gone.display_name, "a");
        assert!(s.identity.direct_parents(&u.id).is_empty());
        assert!(s.identity.direct_parents(&c.id).is_empty());
        assert!(s.identity.direct_members(&b.id).is_empty());
        assert!(s.identity.group_by_name("a").is_none());
        assert!(!s.identity.group_ids().contains(&a.id));
        assert!(s.identity.add_group("A").is_ok(), "the name is free again");
        let admins = s
            .identity
            .group_by_name(ADMINS_GROUP)
            .expect("admins")
            .id
            .clone();
        assert!(s.delete_group(&admins).is_err());
        assert!(s.identity.rename_group(&b.id, "c").is_err());
        assert!(s.identity.rename_group(&b.id, "B").is_ok());
        assert_eq!(
            s.identity.group_by_name("b").map(|g| g.id.clone()),
            Some(b.id.clone())
        );
        assert_eq!(s.identity.user_ids().len(), 2);
        assert!(s.delete_principal(&u.id).is_ok());
        assert_eq!(s.identity.user_ids().len(), 1);
    }
}
