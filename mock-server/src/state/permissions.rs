//! One permission model for every family: a resource holds [`Grants`] (principal name → level),
//! and a caller's effective level is the highest grant naming the caller or any group it belongs
//! to (transitively; the built-in `users` group holds everyone), with members of `admins` holding
//! the top level on everything. Secrets use it for scope ACLs; clusters, jobs and workspace
//! objects use it for their permission levels.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::identity::{Identity, Principal};

/// A family's permission levels, ordered from weakest to strongest.
pub(crate) trait Level: Copy + Ord {
    /// The level workspace admins hold on everything.
    const ADMIN: Self;
}

/// One grant: a principal (its canonical name: user name, application id or group name) and a
/// level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Grant<L> {
    pub principal: String,
    pub level: L,
}

/// The grants on one resource, keyed case-insensitively by principal name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Grants<L> {
    by_name: BTreeMap<String, Grant<L>>,
}

impl<L> Default for Grants<L> {
    fn default() -> Self {
        Self {
            by_name: BTreeMap::new(),
        }
    }
}

impl<L: Level> Grants<L> {
    /// Grant `level` to `principal` (a canonical name), replacing an earlier grant.
    pub(crate) fn set(&mut self, principal: &str, level: L) {
        self.by_name.insert(
            principal.to_lowercase(),
            Grant {
                principal: principal.to_owned(),
                level,
            },
        );
    }

    /// The grant naming `principal`, if any.
    pub(crate) fn get(&self, principal: &str) -> Option<&Grant<L>> {
        self.by_name.get(&principal.to_lowercase())
    }

    /// Remove the grant naming `principal`; returns it.
    pub(crate) fn remove(&mut self, principal: &str) -> Option<Grant<L>> {
        self.by_name.remove(&principal.to_lowercase())
    }

    /// Every grant, ordered by lower-cased principal name.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Grant<L>> {
        self.by_name.values()
    }

    /// `caller`'s effective level: [`Level::ADMIN`] for admins, else the highest grant naming
    /// the caller or one of its groups.
    pub(crate) fn effective(&self, identity: &Identity, caller: &Principal) -> Option<L> {
        if identity.is_admin(&caller.id) {
            return Some(L::ADMIN);
        }
        std::iter::once(caller.user_name.as_str())
            .map(|n| self.get(n).map(|g| g.level))
            .chain(
                identity
                    .groups_of(&caller.id)
                    .iter()
                    .map(|g| self.get(&g.display_name).map(|g| g.level)),
            )
            .flatten()
            .max()
    }

    /// True when `caller` holds at least `needed`.
    pub(crate) fn allows(&self, identity: &Identity, caller: &Principal, needed: L) -> bool {
        self.effective(identity, caller)
            .is_some_and(|have| have >= needed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{State, ADMINS_GROUP};

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum L {
        View,
        Edit,
        Own,
    }
    impl Level for L {
        const ADMIN: Self = L::Own;
    }

    #[test]
    fn direct_group_nested_and_admin() {
        let mut s = State::new("admin@example.com", "dapi-admin", 0);
        let u = s.add_user("u@example.com", None).expect("user");
        let _ = s.identity.add_group("team").expect("group");
        let _ = s.identity.add_group("outer").expect("group");
        s.identity
            .add_member("team", "u@example.com")
            .expect("member");
        s.identity.add_member("outer", "team").expect("member");
        let mut g: Grants<L> = Grants::default();
        assert_eq!(g.effective(&s.identity, &u), None);
        g.set("users", L::View);
        assert_eq!(g.effective(&s.identity, &u), Some(L::View));
        g.set("OUTER", L::Edit);
        assert_eq!(g.effective(&s.identity, &u), Some(L::Edit));
        g.set("U@example.com", L::View);
        assert_eq!(
            g.effective(&s.identity, &u),
            Some(L::Edit),
            "the highest wins"
        );
        assert!(g.allows(&s.identity, &u, L::Edit) && !g.allows(&s.identity, &u, L::Own));
        s.identity
            .add_member(ADMINS_GROUP, "u@example.com")
            .expect("member");
        assert_eq!(g.effective(&s.identity, &u), Some(L::Own));
        assert_eq!(g.get("outer").map(|x| x.principal.as_str()), Some("OUTER"));
        assert!(g.remove("Outer").is_some() && g.get("outer").is_none());
    }
}
