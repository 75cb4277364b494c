//! SCIM API — `/api/2.0/preview/scim/v2` (catalogue §6). For now only `Me`.

use http::Method;
use serde_json::{json, Value};

use super::{Ctx, Reply, ResponsePolicy, Route};
use crate::error::ApiError;
use crate::state::{Principal, State};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const WORKSPACE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:workspace:2.0:User";

/// The SCIM routes (2.0 only).
pub(crate) fn routes() -> Vec<Route> {
    const V: &[&str] = &["2.0"];
    vec![Route::new(Method::GET, "preview/scim/v2/Me", V, me).with_policy(ResponsePolicy::SCIM)]
}

/// A user (or a service principal seen as a user: `userName` is its application id) as SCIM JSON.
///
/// `groups` lists the direct memberships only; the implicit `users` group is not listed
/// (our inference).
pub(crate) fn user_json(state: &State, p: &Principal) -> Value {
    let groups: Vec<Value> = state
        .identity
        .groups_of(&p.id)
        .into_iter()
        .filter(|g| g.direct)
        .map(|g| {
            json!({
                "display": g.display_name,
                "value": g.id,
                "$ref": format!("Groups/{}", g.id),
                "type": "direct",
            })
        })
        .collect();
    json!({
        "schemas": [USER_SCHEMA, WORKSPACE_USER_SCHEMA],
        "id": p.id,
        "userName": p.user_name,
        "displayName": p.display_name,
        "active": p.active,
        "emails": [{"type": "work", "value": p.user_name, "primary": true}],
        "groups": groups,
    })
}

/// Apply SCIM `attributes` / `excludedAttributes` (comma lists, case-insensitive) to a resource.
/// `schemas` and `id` are always returned.
fn project(mut resource: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let list = |s: &str| -> Vec<String> {
        s.split(',')
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty())
            .collect()
    };
    if let Value::Object(map) = &mut resource {
        let always = |k: &str| k == "schemas" || k == "id";
        if let Some(keep) = attributes.map(list).filter(|l| !l.is_empty()) {
            map.retain(|k, _| always(k) || keep.contains(&k.to_ascii_lowercase()));
        }
        if let Some(drop) = excluded.map(list) {
            map.retain(|k, _| always(k) || !drop.contains(&k.to_ascii_lowercase()));
        }
    }
    resource
}

/// `GET preview/scim/v2/Me`.
fn me(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let user = user_json(ctx.state, ctx.caller);
    let attributes = ctx.params.opt_str("attributes")?;
    let excluded = ctx.params.opt_str("excludedAttributes")?;
    Ok(Reply::json(project(user, attributes, excluded)))
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;

    #[test]
    fn projection_keeps_schemas_and_id() {
        let v = json!({"schemas": [], "id": "1", "userName": "u", "emails": [1]});
        let mut expected = Map::new();
        expected.insert("schemas".into(), json!([]));
        expected.insert("id".into(), json!("1"));
        expected.insert("userName".into(), json!("u"));
        assert_eq!(
            project(v.clone(), Some("USERNAME"), None),
            Value::Object(expected)
        );
        assert_eq!(
            project(v, None, Some("emails, id")),
            json!({"schemas": [], "id": "1", "userName": "u"})
        );
    }
}
