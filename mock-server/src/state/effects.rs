//! Operations whose effects cross families, in one place: identity code never calls into the
//! workspace, tokens or secrets itself.
//!
//! | event | effects |
//! |---|---|
//! | a user or service principal is created | its home folder `/Users/<name>` exists in the workspace |
//! | a user or service principal is deleted | its tokens are revoked, it leaves every group, every secret ACL and cluster permission naming it is removed (its home folder stays, as in the service) |
//! | a user or service principal is deactivated | its tokens stop working (`State::authenticate` refuses inactive owners) and it can get no OAuth token, until it is reactivated |
//! | a group is deleted | its members leave it, it leaves every group, every secret ACL and cluster permission naming it is removed; `admins` and `users` cannot be deleted |

use super::identity::{GroupInfo, Principal, ServicePrincipal, ADMINS_GROUP, USERS_GROUP};
use super::State;
use crate::error::ApiError;

impl State {
    /// Add a user (see `Identity::add_user`) with its home folder.
    pub(crate) fn add_user(
        &mut self,
        user_name: &str,
        display_name: Option<&str>,
    ) -> Result<Principal, ApiError> {
        let user = self.identity.add_user(user_name, display_name)?;
        self.workspace.ensure_home(&user.user_name);
        Ok(user)
    }

    /// Add a service principal (see `Identity::add_service_principal`) with its home folder.
    pub(crate) fn add_service_principal(
        &mut self,
        display_name: &str,
    ) -> Result<ServicePrincipal, ApiError> {
        let sp = self.identity.add_service_principal(display_name)?;
        self.workspace.ensure_home(&sp.application_id);
        Ok(sp)
    }

    /// Add a service principal through SCIM (no OAuth secret; see
    /// `Identity::add_service_principal_without_secret`) with its home folder.
    pub(crate) fn add_scim_service_principal(
        &mut self,
        application_id: Option<&str>,
        display_name: &str,
    ) -> Result<Principal, ApiError> {
        let sp = self
            .identity
            .add_service_principal_without_secret(application_id, display_name)?;
        self.workspace.ensure_home(&sp.user_name);
        Ok(sp)
    }

    /// Delete the group `id`: its memberships both ways and every secret ACL naming it. The
    /// built-in `admins` and `users` cannot be deleted (`INVALID_PARAMETER_VALUE`).
    pub(crate) fn delete_group(&mut self, id: &str) -> Result<GroupInfo, ApiError> {
        let name = self
            .identity
            .group(id)
            .map(|g| g.display_name.clone())
            .ok_or_else(|| ApiError::does_not_exist(format!("Group {id} does not exist.")))?;
        if name == ADMINS_GROUP || name == USERS_GROUP {
            return Err(ApiError::invalid_parameter(format!(
                "Cannot delete the built-in group {name}."
            )));
        }
        let gone = self
            .identity
            .remove_group(id)
            .ok_or_else(|| ApiError::does_not_exist(format!("Group {id} does not exist.")))?;
        self.secrets.forget_principal(&gone.display_name);
        self.clusters.forget_principal(&gone.display_name);
        Ok(gone)
    }

    /// Delete the user or service principal `id` and everything that hangs on it elsewhere.
    pub(crate) fn delete_principal(&mut self, id: &str) -> Result<Principal, ApiError> {
        let gone = self
            .identity
            .remove_principal(id)
            .ok_or_else(|| ApiError::does_not_exist(format!("User {id} does not exist.")))?;
        self.tokens.revoke_all_of(&gone.id);
        self.secrets.forget_principal(&gone.user_name);
        self.clusters.forget_principal(&gone.user_name);
        Ok(gone)
    }
}

#[cfg(test)]
mod tests {
    use crate::state::secrets::Permission;
    use crate::state::State;

    #[test]
    fn a_new_user_has_a_home_and_a_deleted_one_leaves_no_trace() {
        let mut s = State::new("admin@example.com", "dapi-admin", 0);
        let u = s.add_user("u@example.com", None).expect("user");
        assert!(s.workspace.get("/Users/u@example.com").is_some());
        let _ = s.identity.add_group("team").expect("group");
        s.identity
            .add_member("team", "u@example.com")
            .expect("member");
        s.tokens.insert_pat("dapi-u", &u.id, 0, None, None, None);
        assert!(s.authenticate("dapi-u", 0).is_some());
        s.secrets
            .test_scope_with_acl("sc", "u@example.com", Permission::Read);

        let gone = s.delete_principal(&u.id).expect("deleted");
        assert_eq!(gone.user_name, "u@example.com");
        assert!(s.authenticate("dapi-u", 0).is_none(), "tokens revoked");
        assert!(s.identity.principal_by_name("u@example.com").is_none());
        let team = s.identity.group_by_name("team").expect("group").id.clone();
        assert!(s.identity.groups_of(&u.id).iter().all(|g| g.id != team));
        assert!(
            !s.secrets.names_principal("sc", "u@example.com"),
            "ACL removed"
        );
        assert!(s.delete_principal(&u.id).is_err());
        // The name is free again.
        assert!(s.add_user("u@example.com", None).is_ok());
    }
}
