//! SCIM API — `/api/2.0/preview/scim/v2/{Users,ServicePrincipals,Groups,Me}` (<https://docs.databricks.com/api/workspace/users>,
//! RFC 7643/7644, docs.databricks.com "Workspace User" / "Workspace Group" / "Workspace Service
//! Principal").
//!
//! | Method & path | Answer |
//! |---|---|
//! | `GET {Users,ServicePrincipals,Groups}` | 200 ListResponse (`filter`, `startIndex`, `count`, `sortBy`, `sortOrder`, `attributes`, `excludedAttributes`) |
//! | `POST {..}` | 201 the resource; 409 `uniqueness` for a taken userName / applicationId / displayName |
//! | `GET {..}/{id}` | 200 the resource; 404 |
//! | `PUT {..}/{id}` | 200 the replaced resource (omitted attributes are cleared; `userName` / `applicationId` immutable) |
//! | `PATCH {..}/{id}` | 200 the patched resource (see `scim/draft.rs` for the paths) |
//! | `DELETE {..}/{id}` | 204; a user's or service principal's tokens, memberships and ACLs go with it; `admins` and `users` cannot be deleted |
//! | `GET Me` | 200 the caller |
//!
//! One identity model behind all of it (`state/identity.rs`): SCIM Groups are the Groups 2.0
//! groups (`api/groups.rs`), a user's `groups` lists its direct and indirect groups (the implicit
//! `users` membership is not listed), a group's `members` its explicit members (for `users`:
//! every user and service principal as well). Only workspace admins create, change or delete
//! identities (403); everyone may list and read, non-admins seeing only `id`, `userName` /
//! `applicationId` and `displayName` of others [inf: after the docs' "non-admin users ... display
//! name and object ID only"]. Errors use the SCIM shape with `scimType` where RFC 7644 names one.

mod draft;
pub(crate) mod filter;

use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::{Access, Ctx, ReadCtx, Reply, ResponsePolicy, Route};
use crate::error::{ApiError, ErrorCode};
use crate::state::identity::IdKind;
use crate::state::{Principal, State, USERS_GROUP};
use draft::{bad, Draft};
use filter::Filter;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const WORKSPACE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:workspace:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const SP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Page size when `count` is absent, and the largest accepted [inf: the SDKs ask for 10000].
const MAX_COUNT: i64 = 10_000;

/// The three SCIM resource types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    User,
    ServicePrincipal,
    Group,
}

impl Kind {
    fn of(k: IdKind) -> Self {
        match k {
            IdKind::User => Self::User,
            IdKind::ServicePrincipal => Self::ServicePrincipal,
            IdKind::Group => Self::Group,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::ServicePrincipal => "Service principal",
            Self::Group => "Group",
        }
    }

    /// The endpoint segment (`$ref` prefix).
    fn endpoint(self) -> &'static str {
        match self {
            Self::User => "Users",
            Self::ServicePrincipal => "ServicePrincipals",
            Self::Group => "Groups",
        }
    }

    fn ids(self, state: &State) -> &[String] {
        match self {
            Self::User => state.identity.user_ids(),
            Self::ServicePrincipal => state.identity.service_principal_ids(),
            Self::Group => state.identity.group_ids(),
        }
    }

    /// The attribute that names a resource uniquely (lower-cased, as filter paths are).
    fn key_attr(self) -> &'static str {
        match self {
            Self::User => "username",
            Self::ServicePrincipal => "applicationid",
            Self::Group => "displayname",
        }
    }
}

/// The SCIM routes (2.0 only).
pub(crate) fn routes() -> Vec<Route> {
    const V: &[&str] = &["2.0"];
    let r = |method, path, access, handler| {
        Route::new(method, path, V, handler)
            .with_policy(ResponsePolicy::SCIM)
            .access(access)
    };
    // The gets and lists only read the state (see `ReadHandler`).
    let read = |path, access, handler| {
        Route::read(Method::GET, path, V, handler)
            .with_policy(ResponsePolicy::SCIM)
            .access(access)
    };
    vec![
        read("preview/scim/v2/Me", Access::AnyUser, me),
        read("preview/scim/v2/Users", Access::AnyUser, |c| {
            list(c, Kind::User)
        }),
        r(
            Method::POST,
            "preview/scim/v2/Users",
            Access::AdminOnly,
            |c| create(c, Kind::User),
        ),
        read("preview/scim/v2/Users/{id}", Access::AnyUser, |c| {
            get(c, Kind::User)
        }),
        r(
            Method::PUT,
            "preview/scim/v2/Users/{id}",
            Access::AdminOnly,
            |c| replace(c, Kind::User),
        ),
        r(
            Method::PATCH,
            "preview/scim/v2/Users/{id}",
            Access::AdminOnly,
            |c| patch(c, Kind::User),
        ),
        r(
            Method::DELETE,
            "preview/scim/v2/Users/{id}",
            Access::AdminOnly,
            |c| delete(c, Kind::User),
        ),
        read("preview/scim/v2/ServicePrincipals", Access::AnyUser, |c| {
            list(c, Kind::ServicePrincipal)
        }),
        r(
            Method::POST,
            "preview/scim/v2/ServicePrincipals",
            Access::AdminOnly,
            |c| create(c, Kind::ServicePrincipal),
        ),
        read(
            "preview/scim/v2/ServicePrincipals/{id}",
            Access::AnyUser,
            |c| get(c, Kind::ServicePrincipal),
        ),
        r(
            Method::PUT,
            "preview/scim/v2/ServicePrincipals/{id}",
            Access::AdminOnly,
            |c| replace(c, Kind::ServicePrincipal),
        ),
        r(
            Method::PATCH,
            "preview/scim/v2/ServicePrincipals/{id}",
            Access::AdminOnly,
            |c| patch(c, Kind::ServicePrincipal),
        ),
        r(
            Method::DELETE,
            "preview/scim/v2/ServicePrincipals/{id}",
            Access::AdminOnly,
            |c| delete(c, Kind::ServicePrincipal),
        ),
        read("preview/scim/v2/Groups", Access::AnyUser, |c| {
            list(c, Kind::Group)
        }),
        r(
            Method::POST,
            "preview/scim/v2/Groups",
            Access::AdminOnly,
            |c| create(c, Kind::Group),
        ),
        read("preview/scim/v2/Groups/{id}", Access::AnyUser, |c| {
            get(c, Kind::Group)
        }),
        r(
            Method::PUT,
            "preview/scim/v2/Groups/{id}",
            Access::AdminOnly,
            |c| replace(c, Kind::Group),
        ),
        r(
            Method::PATCH,
            "preview/scim/v2/Groups/{id}",
            Access::AdminOnly,
            |c| patch(c, Kind::Group),
        ),
        r(
            Method::DELETE,
            "preview/scim/v2/Groups/{id}",
            Access::AdminOnly,
            |c| delete(c, Kind::Group),
        ),
    ]
}

/// `{"value": v}` for each of `values`.
fn value_list(values: &[String]) -> Vec<Value> {
    values.iter().map(|v| json!({ "value": v })).collect()
}

/// The groups `id` belongs to as SCIM `groups` (direct and indirect; not the implicit `users`).
fn groups_json(state: &State, id: &str) -> Vec<Value> {
    state
        .identity
        .groups_of(id)
        .into_iter()
        .filter(|g| g.direct || g.display_name != USERS_GROUP)
        .map(|g| {
            json!({
                "display": g.display_name,
                "value": g.id,
                "$ref": format!("Groups/{}", g.id),
                "type": if g.direct { "direct" } else { "indirect" },
            })
        })
        .collect()
}

/// Insert the optional and list attributes every resource type shares.
fn common(state: &State, id: &str, map: &mut Map<String, Value>) {
    let attrs = state.identity.attrs(id).cloned().unwrap_or_default();
    map.insert(
        "entitlements".into(),
        Value::Array(value_list(&attrs.entitlements)),
    );
    map.insert("roles".into(), Value::Array(value_list(&attrs.roles)));
    map.insert("groups".into(), Value::Array(groups_json(state, id)));
    if let Some(e) = attrs.external_id {
        map.insert("externalId".into(), Value::String(e));
    }
}

/// A user (or a service principal seen as a user, as `/Me` shows one: `userName` is its
/// application id) as SCIM JSON.
pub(crate) fn user_json(state: &State, p: &Principal) -> Value {
    let attrs = state.identity.attrs(&p.id).cloned().unwrap_or_default();
    let emails: Vec<Value> = if attrs.emails.is_empty() {
        vec![json!({"type": "work", "value": p.user_name, "primary": true})]
    } else {
        attrs
            .emails
            .iter()
            .map(|e| {
                let mut m = Map::new();
                if let Some(k) = &e.kind {
                    m.insert("type".into(), json!(k));
                }
                m.insert("value".into(), json!(e.value));
                if let Some(pr) = e.primary {
                    m.insert("primary".into(), json!(pr));
                }
                Value::Object(m)
            })
            .collect()
    };
    let mut map = Map::new();
    map.insert(
        "schemas".into(),
        json!([USER_SCHEMA, WORKSPACE_USER_SCHEMA]),
    );
    map.insert("id".into(), json!(p.id));
    map.insert("userName".into(), json!(p.user_name));
    map.insert("displayName".into(), json!(p.display_name));
    if attrs.given_name.is_some() || attrs.family_name.is_some() {
        let mut name = Map::new();
        if let Some(g) = &attrs.given_name {
            name.insert("givenName".into(), json!(g));
        }
        if let Some(f) = &attrs.family_name {
            name.insert("familyName".into(), json!(f));
        }
        map.insert("name".into(), Value::Object(name));
    }
    map.insert("active".into(), json!(p.active));
    map.insert("emails".into(), Value::Array(emails));
    common(state, &p.id, &mut map);
    Value::Object(map)
}

fn service_principal_json(state: &State, p: &Principal) -> Value {
    let mut map = Map::new();
    map.insert("schemas".into(), json!([SP_SCHEMA]));
    map.insert("id".into(), json!(p.id));
    map.insert("applicationId".into(), json!(p.user_name));
    map.insert("displayName".into(), json!(p.display_name));
    map.insert("active".into(), json!(p.active));
    common(state, &p.id, &mut map);
    Value::Object(map)
}

fn group_json(state: &State, id: &str) -> Option<Value> {
    let identity = &state.identity;
    let g = identity.group(id)?;
    let mut member_ids: Vec<&str> = identity.direct_members(id);
    if g.display_name == USERS_GROUP {
        // Every user and service principal is implicitly a member of `users`.
        member_ids.extend(identity.user_ids().iter().map(String::as_str));
        member_ids.extend(identity.service_principal_ids().iter().map(String::as_str));
        member_ids.sort_by_key(|m| (m.len(), *m));
        member_ids.dedup();
    }
    let members: Vec<Value> = member_ids
        .into_iter()
        .filter_map(|m| {
            let kind = Kind::of(identity.kind_of(m)?);
            Some(json!({
                "display": identity.display_of(m)?,
                "value": m,
                "$ref": format!("{}/{m}", kind.endpoint()),
            }))
        })
        .collect();
    let mut map = Map::new();
    map.insert("schemas".into(), json!([GROUP_SCHEMA]));
    map.insert("id".into(), json!(g.id));
    map.insert("displayName".into(), json!(g.display_name));
    map.insert("members".into(), Value::Array(members));
    common(state, id, &mut map);
    map.insert("meta".into(), json!({"resourceType": "WorkspaceGroup"}));
    Some(Value::Object(map))
}

/// The SCIM JSON of resource `id` of `kind`, if there is one.
fn resource_json(state: &State, kind: Kind, id: &str) -> Option<Value> {
    if state.identity.kind_of(id).map(Kind::of) != Some(kind) {
        return None;
    }
    match kind {
        Kind::User => state.identity.principal(id).map(|p| user_json(state, p)),
        Kind::ServicePrincipal => state
            .identity
            .principal(id)
            .map(|p| service_principal_json(state, p)),
        Kind::Group => group_json(state, id),
    }
}

/// The attribute names of a comma list, lower-cased, schema prefixes and sub-attributes dropped
/// (`name.givenName` selects `name`).
fn attr_list(s: &str) -> Vec<String> {
    s.split(',')
        .filter_map(|a| {
            let a = a.trim();
            let a = if a.to_ascii_lowercase().starts_with("urn:") {
                a.rsplit(':').next().unwrap_or("")
            } else {
                a
            };
            let top = a.split('.').next().unwrap_or("").to_ascii_lowercase();
            (!top.is_empty()).then_some(top)
        })
        .collect()
}

/// Apply SCIM `attributes` / `excludedAttributes` (comma lists, case-insensitive) to a resource.
/// `schemas` and `id` are always returned.
fn project(mut resource: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    if let Value::Object(map) = &mut resource {
        let always = |k: &str| k == "schemas" || k == "id";
        if let Some(keep) = attributes.map(attr_list).filter(|l| !l.is_empty()) {
            map.retain(|k, _| always(k) || keep.contains(&k.to_ascii_lowercase()));
        }
        if let Some(drop) = excluded.map(attr_list) {
            map.retain(|k, _| always(k) || !drop.contains(&k.to_ascii_lowercase()));
        }
    }
    resource
}

/// What a non-admin sees of someone else.
fn restrict(mut resource: Value) -> Value {
    if let Value::Object(map) = &mut resource {
        map.retain(|k, _| {
            matches!(
                k.as_str(),
                "schemas" | "id" | "userName" | "applicationId" | "displayName"
            )
        });
    }
    resource
}

fn is_admin(ctx: &ReadCtx<'_>) -> bool {
    ctx.state.identity.is_admin(&ctx.caller.id)
}

fn require_admin(ctx: &ReadCtx<'_>) -> Result<(), ApiError> {
    if is_admin(ctx) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::PermissionDenied,
            "Only workspace admins can create, change or delete users, service principals and \
             groups.",
        ))
    }
}

fn not_found(kind: Kind, id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("{} with id {id} not found.", kind.noun()),
    )
}

/// The resource as the caller may see it, projected.
fn shown(ctx: &ReadCtx<'_>, id: &str, resource: Value) -> Result<Value, ApiError> {
    let resource = if id == ctx.caller.id || is_admin(ctx) {
        resource
    } else {
        restrict(resource)
    };
    Ok(project(
        resource,
        ctx.params.opt_str("attributes")?,
        ctx.params.opt_str("excludedAttributes")?,
    ))
}

/// `GET preview/scim/v2/Me`.
fn me(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let user = user_json(ctx.state, ctx.caller);
    let attributes = ctx.params.opt_str("attributes")?;
    let excluded = ctx.params.opt_str("excludedAttributes")?;
    Ok(Reply::json(project(user, attributes, excluded)))
}

/// Sort direction of `sortOrder`.
fn descending(ctx: &ReadCtx<'_>) -> Result<bool, ApiError> {
    match ctx.params.opt_str("sortOrder")? {
        None => Ok(false),
        Some(s) if s.eq_ignore_ascii_case("ascending") => Ok(false),
        Some(s) if s.eq_ignore_ascii_case("descending") => Ok(true),
        Some(s) => Err(bad(
            "invalidValue",
            format!("sortOrder must be ascending or descending, not {s}"),
        )),
    }
}

/// The ids a filter can only match, when it is an `eq` on an indexed attribute.
fn indexed(state: &State, kind: Kind, f: &Filter) -> Option<Vec<String>> {
    let (attr, value) = f.as_string_eq()?;
    let identity = &state.identity;
    let id = if attr == "id" {
        Some(value.to_owned())
    } else if attr == kind.key_attr() {
        match kind {
            Kind::Group => identity.group_by_name(value).map(|g| g.id.clone()),
            _ => identity.principal_by_name(value).map(|p| p.id.clone()),
        }
    } else {
        return None;
    };
    Some(
        id.into_iter()
            .filter(|id| identity.kind_of(id).map(Kind::of) == Some(kind))
            .collect(),
    )
}

/// The sort key of `resource` for `sortBy` (the first value the path reaches, lower-cased).
fn sort_key(resource: &Value, path: &filter::AttrPath) -> String {
    filter::resolve(resource, path)
        .first()
        .map(|v| match v {
            Value::String(s) => s.to_lowercase(),
            other => other.to_string(),
        })
        .unwrap_or_default()
}

/// `GET {Users,ServicePrincipals,Groups}`: filter, sort, then page (RFC 7644 §3.4.2).
///
/// Without a filter or sort a page is a slice of the kind's id list, so walking every page
/// costs O(total); an `eq` on `id` or the naming attribute is an index lookup.
fn list(ctx: &ReadCtx<'_>, kind: Kind) -> Result<Reply, ApiError> {
    let filter = ctx
        .params
        .opt_str("filter")?
        .map(filter::parse)
        .transpose()?;
    let start = ctx.params.opt_i64("startIndex")?.unwrap_or(1).max(1);
    let count = ctx
        .params
        .opt_i64("count")?
        .unwrap_or(MAX_COUNT)
        .clamp(0, MAX_COUNT);
    let sort_by = ctx
        .params
        .opt_str("sortBy")?
        .map(filter::parse_attr_path)
        .transpose()
        .map_err(|_| bad("invalidValue", "Invalid sortBy attribute"))?;
    let descending = descending(ctx)?;
    let state: &State = ctx.state;
    let offset = usize::try_from(start - 1).unwrap_or(usize::MAX);
    let count = usize::try_from(count).unwrap_or(0);

    let (total, page): (usize, Vec<(String, Value)>) = if filter.is_none() && sort_by.is_none() {
        let ids = kind.ids(state);
        let end = offset.saturating_add(count).min(ids.len());
        let slice = ids.get(offset..end).unwrap_or(&[]);
        let page = slice
            .iter()
            .filter_map(|id| Some((id.clone(), resource_json(state, kind, id)?)))
            .collect();
        (ids.len(), page)
    } else {
        let candidates: Vec<String> = match filter.as_ref().and_then(|f| indexed(state, kind, f)) {
            Some(ids) => ids,
            None => kind.ids(state).to_vec(),
        };
        let mut matched: Vec<(String, Value)> = candidates
            .into_iter()
            .filter_map(|id| {
                let json = resource_json(state, kind, &id)?;
                filter
                    .as_ref()
                    .is_none_or(|f| f.matches(&json))
                    .then_some((id, json))
            })
            .collect();
        if let Some(path) = &sort_by {
            matched.sort_by_cached_key(|(_, json)| sort_key(json, path));
            if descending {
                matched.reverse();
            }
        }
        let total = matched.len();
        let page = matched.into_iter().skip(offset).take(count).collect();
        (total, page)
    };
    let resources = page
        .into_iter()
        .map(|(id, json)| shown(ctx, &id, json))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::json(json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })))
}

/// `GET {..}/{id}`.
fn get(ctx: &ReadCtx<'_>, kind: Kind) -> Result<Reply, ApiError> {
    let id = ctx.path_param("id")?.to_owned();
    let json = resource_json(ctx.state, kind, &id).ok_or_else(|| not_found(kind, &id))?;
    Ok(Reply::json(shown(ctx, &id, json)?))
}

/// `POST {..}`: 201 with the new resource.
fn create(ctx: &mut Ctx<'_>, kind: Kind) -> Result<Reply, ApiError> {
    require_admin(&ctx.view())?;
    let new = Draft::from_body(kind, ctx.params.map())?;
    new.validate(ctx.state, kind, None)?;
    let conflict = |detail: String| {
        ApiError::new(ErrorCode::AlreadyExists, detail).with_scim_type("uniqueness")
    };
    match kind {
        Kind::User | Kind::ServicePrincipal => ctx
            .limits
            .state
            .check_new_principal(ctx.state.identity.principal_count())?,
        Kind::Group => ctx
            .limits
            .state
            .check_new_group(ctx.state.identity.group_count())?,
    }
    let id = match kind {
        Kind::User => {
            let user_name = new
                .key
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .ok_or_else(|| bad("invalidValue", "Missing required field: userName"))?;
            if ctx.state.identity.name_taken(user_name) {
                return Err(conflict(format!(
                    "User with username {user_name} already exists."
                )));
            }
            ctx.state
                .add_user(user_name, new.display_name.as_deref())?
                .id
        }
        Kind::ServicePrincipal => {
            if let Some(app) = new.key.as_deref().map(str::trim) {
                if ctx.state.identity.name_taken(app) {
                    return Err(conflict(format!(
                        "Service principal with application ID {app} already exists."
                    )));
                }
            }
            let display = new.display_name.clone().unwrap_or_default();
            ctx.state
                .add_scim_service_principal(new.key.as_deref(), &display)?
                .id
        }
        Kind::Group => {
            let name = new.display_name.as_deref().unwrap_or_default();
            ctx.state.identity.add_group(name)?.id
        }
    };
    let mut new = new;
    let old = Draft::load(ctx.state, kind, &id).ok_or_else(|| not_found(kind, &id))?;
    if new.key.is_none() {
        new.key = old.key.clone();
    }
    if kind != Kind::Group && new.display_name.as_deref().is_none_or(str::is_empty) {
        new.display_name = old.display_name.clone();
    }
    new.commit(ctx.state, kind, &id, &old)?;
    let json = resource_json(ctx.state, kind, &id).ok_or_else(|| not_found(kind, &id))?;
    Ok(Reply::json(json).with_status(StatusCode::CREATED))
}

/// `PUT {..}/{id}`: replace every writable attribute.
fn replace(ctx: &mut Ctx<'_>, kind: Kind) -> Result<Reply, ApiError> {
    require_admin(&ctx.view())?;
    let id = ctx.path_param("id")?.to_owned();
    let old = Draft::load(ctx.state, kind, &id).ok_or_else(|| not_found(kind, &id))?;
    let mut new = Draft::from_body(kind, ctx.params.map())?;
    match (&new.key, &old.key) {
        (Some(n), Some(o)) if !n.trim().eq_ignore_ascii_case(o) => {
            let attr = if kind == Kind::User {
                "userName"
            } else {
                "applicationId"
            };
            return Err(bad(
                "mutability",
                format!("Attribute '{attr}' is immutable."),
            ));
        }
        _ => new.key = old.key.clone(),
    }
    // `emails` cannot be changed (docs.databricks.com, "Replace a user").
    new.emails = old.emails.clone();
    new.commit(ctx.state, kind, &id, &old)?;
    let json = resource_json(ctx.state, kind, &id).ok_or_else(|| not_found(kind, &id))?;
    Ok(Reply::json(json))
}

/// `PATCH {..}/{id}`: RFC 7644 §3.5.2 operations.
fn patch(ctx: &mut Ctx<'_>, kind: Kind) -> Result<Reply, ApiError> {
    require_admin(&ctx.view())?;
    let id = ctx.path_param("id")?.to_owned();
    let old = Draft::load(ctx.state, kind, &id).ok_or_else(|| not_found(kind, &id))?;
    let mut new = old.clone();
    new.apply_patch(kind, ctx.params.map())?;
    new.commit(ctx.state, kind, &id, &old)?;
    let json = resource_json(ctx.state, kind, &id).ok_or_else(|| not_found(kind, &id))?;
    Ok(Reply::json(json))
}

/// `DELETE {..}/{id}`: 204.
fn delete(ctx: &mut Ctx<'_>, kind: Kind) -> Result<Reply, ApiError> {
    require_admin(&ctx.view())?;
    let id = ctx.path_param("id")?.to_owned();
    if ctx.state.identity.kind_of(&id).map(Kind::of) != Some(kind) {
        return Err(not_found(kind, &id));
    }
    match kind {
        Kind::Group => {
            ctx.state
                .delete_group(&id)
                .map_err(|e| bad("mutability", e.message().unwrap_or_default()))?;
        }
        _ => {
            ctx.state.delete_principal(&id)?;
        }
    }
    Ok(Reply::bytes("application/json", bytes::Bytes::new()).with_status(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_keeps_schemas_and_id() {
        let v = json!({"schemas": [], "id": "1", "userName": "u", "emails": [1], "name": {"givenName": "a"}});
        assert_eq!(
            project(v.clone(), Some("USERNAME, name.givenName"), None),
            json!({"schemas": [], "id": "1", "userName": "u", "name": {"givenName": "a"}})
        );
        assert_eq!(
            project(
                v,
                None,
                Some("emails, id, urn:ietf:params:scim:schemas:core:2.0:User:name")
            ),
            json!({"schemas": [], "id": "1", "userName": "u"})
        );
    }
}
