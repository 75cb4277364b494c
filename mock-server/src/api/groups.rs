//! Groups API 2.0 — `/api/2.0/groups` (<https://docs.databricks.com/api/workspace/groups>), over the same groups as SCIM Groups
//! (`api/scim.rs`; a group's name is its SCIM `displayName`).
//!
//! | Method & path | Request | Answer |
//! |---|---|---|
//! | `POST create` | `group_name` | `{"group_name"}`; taken → 400 `RESOURCE_ALREADY_EXISTS` |
//! | `POST add-member` | `parent_name` + one of `user_name` / `group_name` | `{}` |
//! | `POST remove-member` | `parent_name` + one of `user_name` / `group_name` | `{}` |
//! | `GET list` | | `{"group_names": [..]}` |
//! | `GET list-members` | `group_name` | `{"members": [{"user_name"} / {"group_name"}]}` |
//! | `GET list-parents` | one of `user_name` / `group_name` | `{"group_names": [..]}`, direct parents only |
//! | `POST delete` | `group_name` | `{}`; `admins` / `users` → 400 |
//!
//! Unknown groups or principals are 404 `RESOURCE_DOES_NOT_EXIST`; only admins change groups
//! (403 `PERMISSION_DENIED`). A service principal is named by its application id in
//! `user_name` [inf]. `list-members users` lists every user and service principal, as they are
//! all implicitly in it. The original `databricksapi` package's `createGroup` posts to
//! `groups/group`, which is no route here: 404 `ENDPOINT_NOT_FOUND`, as the service answers.

use http::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Access, Ctx, ReadCtx, Reply, Route};
use crate::error::{ApiError, ErrorCode};
use crate::state::identity::IdKind;
use crate::state::USERS_GROUP;

/// The Groups 2.0 routes.
pub(crate) fn routes() -> Vec<Route> {
    const V: &[&str] = &["2.0"];
    vec![
        Route::new(Method::POST, "groups/create", V, create).access(Access::AdminOnly),
        Route::new(Method::POST, "groups/add-member", V, add_member).access(Access::AdminOnly),
        Route::new(Method::POST, "groups/remove-member", V, remove_member)
            .access(Access::AdminOnly),
        Route::read(Method::GET, "groups/list", V, list).access(Access::AnyUser),
        Route::read(Method::GET, "groups/list-members", V, list_members).access(Access::AnyUser),
        Route::read(Method::GET, "groups/list-parents", V, list_parents).access(Access::AnyUser),
        Route::new(Method::POST, "groups/delete", V, delete).access(Access::AdminOnly),
    ]
}

fn require_admin(ctx: &ReadCtx<'_>) -> Result<(), ApiError> {
    if ctx.state.identity.is_admin(&ctx.caller.id) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::PermissionDenied,
            "Only workspace admins can manage groups.",
        ))
    }
}

#[derive(Debug, Deserialize)]
struct GroupName {
    group_name: String,
}

/// `parent_name` and exactly one of `user_name` / `group_name`.
#[derive(Debug, Deserialize)]
struct Membership {
    parent_name: String,
    user_name: Option<String>,
    group_name: Option<String>,
}

/// Exactly one of `user_name` / `group_name`.
#[derive(Debug, Deserialize)]
struct Principal {
    user_name: Option<String>,
    group_name: Option<String>,
}

/// The id of the one principal named by `user_name` xor `group_name`.
fn principal_id(
    ctx: &ReadCtx<'_>,
    user_name: Option<&str>,
    group_name: Option<&str>,
) -> Result<String, ApiError> {
    let identity = &ctx.state.identity;
    match (user_name, group_name) {
        (Some(u), None) => identity
            .principal_by_name(u)
            .map(|p| p.id.clone())
            .ok_or_else(|| ApiError::does_not_exist(format!("User {u} does not exist."))),
        (None, Some(g)) => identity
            .group_by_name(g)
            .map(|g| g.id.clone())
            .ok_or_else(|| ApiError::does_not_exist(format!("Group {g} does not exist."))),
        _ => Err(ApiError::invalid_parameter(
            "Exactly one of user_name and group_name must be given.",
        )),
    }
}

fn group_id(ctx: &ReadCtx<'_>, name: &str) -> Result<String, ApiError> {
    ctx.state
        .identity
        .group_by_name(name)
        .map(|g| g.id.clone())
        .ok_or_else(|| ApiError::does_not_exist(format!("Group {name} does not exist.")))
}

/// `POST groups/create`.
fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let req: GroupName = ctx.decode()?;
    require_admin(&ctx.view())?;
    ctx.limits
        .state
        .check_new_group(ctx.state.identity.group_count())?;
    let g = ctx.state.identity.add_group(&req.group_name)?;
    Ok(Reply::json(json!({ "group_name": g.display_name })))
}

/// The request of `add-member` and `remove-member`, checked in this order: its fields, the
/// caller is an admin, the parent group exists, the member exists. Returns it with the parent's
/// and the member's ids.
fn membership(ctx: &Ctx<'_>) -> Result<(Membership, String, String), ApiError> {
    let req: Membership = ctx.decode()?;
    let view = ctx.view();
    require_admin(&view)?;
    let parent = group_id(&view, &req.parent_name)?;
    let member = principal_id(&view, req.user_name.as_deref(), req.group_name.as_deref())?;
    Ok((req, parent, member))
}

/// `POST groups/add-member`.
fn add_member(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (req, parent, member) = membership(ctx)?;
    if member == parent {
        return Err(ApiError::invalid_parameter(format!(
            "Group {} cannot be a member of itself.",
            req.parent_name
        )));
    }
    ctx.state.identity.link(&parent, &member);
    Ok(Reply::empty())
}

/// `POST groups/remove-member`.
fn remove_member(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (req, parent, member) = membership(ctx)?;
    if !ctx.state.identity.unlink(&parent, &member) {
        let name = req.user_name.or(req.group_name).unwrap_or_default();
        return Err(ApiError::does_not_exist(format!(
            "{name} is not a member of group {}.",
            req.parent_name
        )));
    }
    Ok(Reply::empty())
}

/// `GET groups/list`: every group name, in creation order.
fn list(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let identity = &ctx.state.identity;
    let names: Vec<&str> = identity
        .group_ids()
        .iter()
        .filter_map(|id| identity.group(id).map(|g| g.display_name.as_str()))
        .collect();
    Ok(Reply::json(json!({ "group_names": names })))
}

/// `GET groups/list-members`.
fn list_members(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let req: GroupName = ctx.decode()?;
    let gid = group_id(ctx, &req.group_name)?;
    let identity = &ctx.state.identity;
    let mut ids: Vec<&str> = identity.direct_members(&gid);
    if identity
        .group(&gid)
        .is_some_and(|g| g.display_name == USERS_GROUP)
    {
        ids.extend(identity.user_ids().iter().map(String::as_str));
        ids.extend(identity.service_principal_ids().iter().map(String::as_str));
        ids.sort_by_key(|m| (m.len(), *m));
        ids.dedup();
    }
    let members: Vec<Value> = ids
        .into_iter()
        .filter_map(|id| match identity.kind_of(id)? {
            IdKind::Group => Some(json!({ "group_name": identity.group(id)?.display_name })),
            _ => Some(json!({ "user_name": identity.principal(id)?.user_name })),
        })
        .collect();
    Ok(Reply::json(json!({ "members": members })))
}

/// `GET groups/list-parents`: the groups the principal is an explicit member of.
fn list_parents(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let req: Principal = ctx.decode()?;
    let id = principal_id(ctx, req.user_name.as_deref(), req.group_name.as_deref())?;
    let identity = &ctx.state.identity;
    let names: Vec<&str> = identity
        .direct_parents(&id)
        .into_iter()
        .filter_map(|g| identity.group(g).map(|g| g.display_name.as_str()))
        .collect();
    Ok(Reply::json(json!({ "group_names": names })))
}

/// `POST groups/delete`.
fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let req: GroupName = ctx.decode()?;
    require_admin(&ctx.view())?;
    let gid = group_id(&ctx.view(), &req.group_name)?;
    ctx.state.delete_group(&gid)?;
    Ok(Reply::empty())
}
