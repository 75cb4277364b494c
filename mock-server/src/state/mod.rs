//! The emulator's in-memory state, one module per family:
//!
//! | module | what it holds |
//! |---|---|
//! | `identity.rs` | users, service principals, groups (shared by every family) |
//! | `permissions.rs` | grants (principal → level) and the check: principal → groups → grants, admins override |
//! | `effects.rs` | operations whose effects cross families (a new user's home folder; a deleted user's tokens, memberships and grants) |
//! | `tokens.rs` | personal access tokens and OAuth access tokens |
//! | `secrets.rs` | secret scopes, secrets and their ACLs |
//! | `dbfs.rs` | the DBFS file tree (files as shared chunks), open write streams, the standard root folders |
//! | `workspace.rs` | the workspace tree (folders, notebooks, files, libraries) and its path rules |
//! | `clusters.rs` | clusters: their life cycle on the clock, events, permission grants |
//! | `instance_profiles.rs` | the registered AWS instance profiles (clusters may only use these) |
//! | `libraries.rs` | the libraries of each cluster, their install status on the clock, failure rules |
//! | `jobs.rs` | jobs, their runs on the clock (task DAG, retries, queueing), schedules, scripted outcomes |
//! | `timeline.rs` | the facility for resources that move on the virtual clock |
//!
//! Everything lives in one [`State`] behind one mutex; handlers get it locked and settled to the
//! clock (see `router.rs`) and keep heavy work out of it: decoding in the route's prepare step,
//! encoding and archive writing in a deferred reply (`api/mod.rs`).

pub(crate) mod clusters;
pub(crate) mod dbfs;
mod effects;
pub(crate) mod identity;
pub(crate) mod instance_profiles;
pub(crate) mod jobs;
pub(crate) mod libraries;
pub(crate) mod permissions;
pub(crate) mod secrets;
mod serde_util;
pub(crate) mod timeline;
mod tokens;
pub(crate) mod workspace;

use serde::{Deserialize, Serialize};

pub use identity::{GroupInfo, Principal, PrincipalKind, ServicePrincipal};
pub(crate) use identity::{ADMINS_GROUP, USERS_GROUP};
pub(crate) use tokens::{hash_secret, Limits, TokenRecord, TokenStore};

/// Everything the API handlers read and change. Guarded by one read-write lock in the
/// emulator: handlers that change it hold it exclusively, gets and lists share it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    pub(crate) identity: identity::Identity,
    pub(crate) tokens: TokenStore,
    pub(crate) dbfs: dbfs::DbfsState,
    pub(crate) secrets: secrets::SecretStore,
    pub(crate) workspace: workspace::Tree,
    pub(crate) clusters: clusters::Clusters,
    pub(crate) instance_profiles: instance_profiles::InstanceProfiles,
    pub(crate) libraries: libraries::Libraries,
    pub(crate) jobs: jobs::Jobs,
    /// A test-only time-driven family (see `timeline.rs`).
    #[cfg(test)]
    #[serde(skip)]
    pub(crate) probes: timeline::probe::Probes,
}

impl State {
    /// A fresh state: the built-in groups and the admin user holding `admin_token`.
    pub(crate) fn new(admin_user_name: &str, admin_token: &str, now_ms: i64) -> Self {
        let mut s = Self {
            identity: identity::Identity::default(),
            tokens: tokens::TokenStore::default(),
            dbfs: Default::default(),
            secrets: Default::default(),
            workspace: Default::default(),
            clusters: Default::default(),
            instance_profiles: Default::default(),
            libraries: Default::default(),
            jobs: Default::default(),
            #[cfg(test)]
            probes: Default::default(),
        };
        // Names are fixed and distinct, so these cannot fail; errors are ignored rather than
        // unwrapped, and the admin user is only linked when it was created.
        let _ = s.identity.add_group(ADMINS_GROUP);
        if let Ok(users) = s.identity.add_group(USERS_GROUP) {
            let attrs = identity::ScimAttrs {
                entitlements: identity::DEFAULT_USERS_ENTITLEMENTS
                    .iter()
                    .map(|e| (*e).to_owned())
                    .collect(),
                ..Default::default()
            };
            s.identity.set_attrs(&users.id, attrs);
        }
        s.ensure_admin(admin_user_name, admin_token, now_ms);
        s
    }

    /// Make sure `admin_token` authenticates the admin user `admin_user_name`, a member of
    /// `admins`: a fresh state gets them here, and a loaded state (`persist.rs`) that lacks them
    /// (another admin token, or an admin deleted or deactivated) gets them back.
    pub(crate) fn ensure_admin(&mut self, admin_user_name: &str, admin_token: &str, now_ms: i64) {
        if self.authenticate(admin_token, now_ms).is_some() {
            return;
        }
        let admin = match self.identity.principal_by_name(admin_user_name) {
            Some(p) => Ok(p.clone()),
            None => self.add_user(admin_user_name, None),
        };
        if let Ok(admin) = admin {
            self.identity.set_active(&admin.id, true);
            let _ = self.identity.add_member(ADMINS_GROUP, &admin.user_name);
            self.tokens.insert_pat(
                admin_token,
                &admin.id,
                now_ms,
                None,
                Some("dbx-mock-server admin token".to_owned()),
                None,
            );
        }
    }

    /// Apply every time-driven transition due by `now_ms`, family by family (a family that
    /// depends on another comes after it). The dispatcher calls this before every `/api` handler,
    /// so handlers always read the state as of the clock; see `timeline.rs`.
    pub(crate) fn settle(&mut self, now_ms: i64) {
        if !self.is_settled(now_ms) {
            self.settle_families(now_ms);
        }
    }

    /// [`State::settle`] without asking [`State::is_settled`] first (its tests compare the two).
    pub(crate) fn settle_families(&mut self, now_ms: i64) {
        #[cfg(test)]
        if self.probes.next_due().is_some_and(|t| t <= now_ms) {
            self.probes.settle(now_ms);
        }
        self.clusters.settle(now_ms);
        let changes = self.clusters.take_changes();
        self.libraries.settle(now_ms, changes);
        self.jobs
            .settle(now_ms, &mut self.clusters, &self.workspace);
    }

    /// True when [`State::settle`] at `now_ms` has nothing to do: no family has a transition
    /// due by then, and no cluster change is waiting for the Libraries family. A request that
    /// only reads the state reads it under a shared lock when this holds, and settles it under
    /// the exclusive lock first when it does not.
    pub(crate) fn is_settled(&self, now_ms: i64) -> bool {
        #[cfg(test)]
        if self.probes.next_due().is_some_and(|t| t <= now_ms) {
            return false;
        }
        self.clusters.is_settled(now_ms)
            && self.libraries.is_settled(now_ms)
            && self.jobs.is_settled(now_ms)
    }

    /// The principal `token` authenticates at `now_ms`, if it is live and its owner is active.
    pub(crate) fn authenticate(&self, token: &str, now_ms: i64) -> Option<&Principal> {
        self.authenticate_hash(&hash_secret(token), now_ms)
    }

    /// [`State::authenticate`] for a token given by its hash ([`hash_secret`]); `auth.rs` keeps
    /// the hash of the token it saw last, so a client's every request does not hash again.
    pub(crate) fn authenticate_hash(&self, hash: &str, now_ms: i64) -> Option<&Principal> {
        let rec = self.tokens.live(hash, now_ms)?;
        self.identity.principal(&rec.owner).filter(|p| p.active)
    }
}
