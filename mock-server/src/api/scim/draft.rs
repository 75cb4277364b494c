//! The editable form of a SCIM resource: read from a stored identity or a request body,
//! changed by PATCH operations (RFC 7644 §3.5.2), validated as a whole and only then written
//! back, so a request that fails changes nothing.

use serde_json::{Map, Value};

use super::filter::{self, Filter};
use super::Kind;
use crate::error::{ApiError, ErrorCode};
use crate::state::identity::{Email, IdKind, ScimAttrs};
use crate::state::State;

/// The PatchOp message schema (RFC 7644 §3.5.2).
pub(crate) const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A 400 with an RFC 7644 `scimType`.
pub(crate) fn bad(scim_type: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameterValue, detail).with_scim_type(scim_type)
}

/// Everything a SCIM request can change on a user, service principal or group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Draft {
    /// `userName` (users) or `applicationId` (service principals) as sent or stored.
    pub key: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub active: bool,
    pub external_id: Option<String>,
    pub emails: Vec<Email>,
    pub entitlements: Vec<String>,
    pub roles: Vec<String>,
    /// Ids of the groups the resource is an explicit member of.
    pub groups: Vec<String>,
    /// Ids of a group's explicit members.
    pub members: Vec<String>,
}

/// The value of `key` in `map`, matched case-insensitively (SCIM attribute names are).
fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key)
        .or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

fn string(v: &Value, attr: &str) -> Result<String, ApiError> {
    v.as_str().map(str::to_owned).ok_or_else(|| {
        bad(
            "invalidValue",
            format!("Attribute '{attr}' must be a string."),
        )
    })
}

fn boolean(v: &Value, attr: &str) -> Result<bool, ApiError> {
    match v {
        Value::Bool(b) => Ok(*b),
        // Azure AD provisioning sends "True"/"False".
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(bad(
            "invalidValue",
            format!("Attribute '{attr}' must be a boolean."),
        )),
    }
}

/// The `value`s of a multi-valued complex attribute: a list of `{"value": ..}` objects or one
/// such object (a bare string is refused, as the service refuses it).
fn values(v: &Value, attr: &str) -> Result<Vec<String>, ApiError> {
    let one = |item: &Value| -> Result<String, ApiError> {
        let obj = item.as_object().ok_or_else(|| {
            bad(
                "invalidSyntax",
                format!("Each '{attr}' value must be an object with a 'value'."),
            )
        })?;
        match get_ci(obj, "value") {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(bad(
                "invalidValue",
                format!("Each '{attr}' value needs a non-empty 'value'."),
            )),
        }
    };
    let mut out: Vec<String> = Vec::new();
    match v {
        Value::Array(items) => {
            for item in items {
                let s = one(item)?;
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        Value::Object(_) => out.push(one(v)?),
        _ => {
            return Err(bad(
                "invalidSyntax",
                format!("Attribute '{attr}' must be a list of objects."),
            ))
        }
    }
    Ok(out)
}

fn emails(v: &Value) -> Result<Vec<Email>, ApiError> {
    let items = v
        .as_array()
        .ok_or_else(|| bad("invalidSyntax", "Attribute 'emails' must be a list."))?;
    items
        .iter()
        .map(|item| {
            let obj = item
                .as_object()
                .ok_or_else(|| bad("invalidSyntax", "Each 'emails' value must be an object."))?;
            Ok(Email {
                value: get_ci(obj, "value")
                    .map(|v| string(v, "emails.value"))
                    .transpose()?
                    .unwrap_or_default(),
                kind: get_ci(obj, "type")
                    .map(|v| string(v, "emails.type"))
                    .transpose()?,
                primary: get_ci(obj, "primary")
                    .map(|v| boolean(v, "emails.primary"))
                    .transpose()?,
            })
        })
        .collect()
}

/// One parsed PATCH path: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`.
#[derive(Debug)]
struct PatchPath {
    attr: String,
    sub: Option<String>,
    filter: Option<Filter>,
}

fn parse_path(raw: &str) -> Result<PatchPath, ApiError> {
    let raw = raw.trim();
    let invalid = || bad("invalidPath", format!("Invalid path: {raw}"));
    if let Some(open) = raw.find('[') {
        let close = raw.rfind(']').filter(|c| *c > open).ok_or_else(invalid)?;
        let attr = filter::parse_attr_path(&raw[..open]).map_err(|_| invalid())?;
        if attr.0.len() != 1 {
            return Err(invalid());
        }
        let inner = filter::parse(&raw[open + 1..close])?;
        let rest = &raw[close + 1..];
        let sub = match rest.strip_prefix('.') {
            Some(s) if !s.is_empty() => Some(s.to_ascii_lowercase()),
            None if rest.is_empty() => None,
            _ => return Err(invalid()),
        };
        return Ok(PatchPath {
            attr: attr.0[0].clone(),
            sub,
            filter: Some(inner),
        });
    }
    let path = filter::parse_attr_path(raw).map_err(|_| invalid())?;
    Ok(PatchPath {
        attr: path.0[0].clone(),
        sub: path.0.get(1).cloned(),
        filter: None,
    })
}

/// A PATCH operation's verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatchOp {
    Add,
    Remove,
    Replace,
}

impl Draft {
    /// The stored resource `id` of `kind`, or `None` when there is none of that kind.
    pub(crate) fn load(state: &State, kind: Kind, id: &str) -> Option<Self> {
        let identity = &state.identity;
        if identity.kind_of(id).map(Kind::of) != Some(kind) {
            return None;
        }
        let attrs = identity.attrs(id).cloned().unwrap_or_default();
        let groups = identity
            .direct_parents(id)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut d = Draft {
            given_name: attrs.given_name,
            family_name: attrs.family_name,
            external_id: attrs.external_id,
            emails: attrs.emails,
            entitlements: attrs.entitlements,
            roles: attrs.roles,
            groups,
            active: true,
            ..Default::default()
        };
        if let Some(p) = identity.principal(id) {
            d.key = Some(p.user_name.clone());
            d.display_name = Some(p.display_name.clone());
            d.active = p.active;
        } else if let Some(g) = identity.group(id) {
            d.display_name = Some(g.display_name.clone());
            d.members = identity
                .direct_members(id)
                .into_iter()
                .map(str::to_owned)
                .collect();
        }
        Some(d)
    }

    /// A resource as a POST or PUT body describes it (attributes it omits are empty; `active`
    /// defaults to true). Unknown attributes are ignored.
    pub(crate) fn from_body(kind: Kind, body: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut d = Draft {
            active: true,
            ..Default::default()
        };
        let key_attr = match kind {
            Kind::User => Some("userName"),
            Kind::ServicePrincipal => Some("applicationId"),
            Kind::Group => None,
        };
        if let Some(attr) = key_attr {
            d.key = get_ci(body, attr).map(|v| string(v, attr)).transpose()?;
        }
        d.display_name = get_ci(body, "displayName")
            .map(|v| string(v, "displayName"))
            .transpose()?;
        d.external_id = get_ci(body, "externalId")
            .map(|v| string(v, "externalId"))
            .transpose()?;
        if let Some(v) = get_ci(body, "entitlements") {
            d.entitlements = values(v, "entitlements")?;
        }
        if let Some(v) = get_ci(body, "roles") {
            d.roles = values(v, "roles")?;
        }
        if let Some(v) = get_ci(body, "groups") {
            d.groups = values(v, "groups")?;
        }
        if kind == Kind::Group {
            if let Some(v) = get_ci(body, "members") {
                d.members = values(v, "members")?;
            }
        } else if let Some(v) = get_ci(body, "active") {
            d.active = boolean(v, "active")?;
        }
        if kind == Kind::User {
            if let Some(v) = get_ci(body, "name") {
                d.set_name(PatchOp::Replace, None, Some(v))?;
            }
            if let Some(v) = get_ci(body, "emails") {
                d.emails = emails(v)?;
            }
        }
        Ok(d)
    }

    /// Apply a PatchOp request body (`schemas`, `Operations`).
    pub(crate) fn apply_patch(
        &mut self,
        kind: Kind,
        body: &Map<String, Value>,
    ) -> Result<(), ApiError> {
        if let Some(schemas) = get_ci(body, "schemas") {
            let ok = schemas
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x.as_str() == Some(PATCH_OP_SCHEMA)));
            if !ok {
                return Err(bad(
                    "invalidSyntax",
                    format!("The schemas of a PATCH request must be [\"{PATCH_OP_SCHEMA}\"]."),
                ));
            }
        }
        let ops = match get_ci(body, "Operations") {
            Some(Value::Array(ops)) => ops,
            Some(_) => return Err(bad("invalidSyntax", "Operations must be a list.")),
            None => return Err(bad("invalidSyntax", "Missing required field: Operations")),
        };
        for op in ops {
            let obj = op
                .as_object()
                .ok_or_else(|| bad("invalidSyntax", "Each operation must be an object."))?;
            let verb = match get_ci(obj, "op").and_then(Value::as_str) {
                Some(s) if s.eq_ignore_ascii_case("add") => PatchOp::Add,
                Some(s) if s.eq_ignore_ascii_case("remove") => PatchOp::Remove,
                Some(s) if s.eq_ignore_ascii_case("replace") => PatchOp::Replace,
                Some(s) => {
                    return Err(bad(
                        "invalidSyntax",
                        format!("Unsupported operation '{s}': use add, remove or replace."),
                    ))
                }
                None => return Err(bad("invalidSyntax", "Each operation needs an 'op'.")),
            };
            let value = get_ci(obj, "value");
            match get_ci(obj, "path").and_then(Value::as_str) {
                Some(raw) if !raw.trim().is_empty() => {
                    let path = parse_path(raw)?;
                    self.apply(kind, verb, &path, value)?;
                }
                _ => {
                    if verb == PatchOp::Remove {
                        return Err(bad("noTarget", "A remove operation needs a path."));
                    }
                    let Some(Value::Object(fields)) = value else {
                        return Err(bad(
                            "invalidSyntax",
                            "An operation without a path needs an object value.",
                        ));
                    };
                    for (k, v) in fields {
                        if k.eq_ignore_ascii_case("schemas") {
                            continue;
                        }
                        let path = parse_path(k)?;
                        self.apply(kind, verb, &path, Some(v))?;
                    }
                }
            }
        }
        Ok(())
    }

    fn apply(
        &mut self,
        kind: Kind,
        op: PatchOp,
        path: &PatchPath,
        value: Option<&Value>,
    ) -> Result<(), ApiError> {
        let attr = path.attr.as_str();
        let unsupported = || bad("invalidPath", format!("Unsupported path: {attr}"));
        let need_value = || {
            value.ok_or_else(|| {
                bad(
                    "invalidValue",
                    format!("Operation on {attr} needs a value."),
                )
            })
        };
        let single = path.filter.is_none() && path.sub.is_none();
        match attr {
            "entitlements" | "roles" | "groups" | "members" => {
                let list = match attr {
                    "entitlements" => &mut self.entitlements,
                    "roles" => &mut self.roles,
                    "groups" => &mut self.groups,
                    _ if kind == Kind::Group => &mut self.members,
                    _ => return Err(unsupported()),
                };
                list_op(list, op, path, value)
            }
            "name" if kind == Kind::User => self.set_name(op, path.sub.as_deref(), value),
            _ if !single => Err(unsupported()),
            "displayname" => match op {
                PatchOp::Remove if kind == Kind::Group => {
                    Err(bad("mutability", "displayName is required for a group."))
                }
                PatchOp::Remove => {
                    self.display_name = None;
                    Ok(())
                }
                _ => {
                    self.display_name = Some(string(need_value()?, "displayName")?);
                    Ok(())
                }
            },
            "active" if kind != Kind::Group => match op {
                PatchOp::Remove => Err(bad("mutability", "active cannot be removed.")),
                _ => {
                    self.active = boolean(need_value()?, "active")?;
                    Ok(())
                }
            },
            "externalid" => {
                self.external_id = match op {
                    PatchOp::Remove => None,
                    _ => Some(string(need_value()?, "externalId")?),
                };
                Ok(())
            }
            "username" if kind == Kind::User => self.immutable(op, "userName", value),
            "applicationid" if kind == Kind::ServicePrincipal => {
                self.immutable(op, "applicationId", value)
            }
            // The service ignores changes to `emails` (docs.databricks.com: "The userName and
            // emails attributes cannot be updated ... ignored (no-op)").
            "emails" if kind == Kind::User => Ok(()),
            "id" | "meta" | "schemas" => Err(bad("mutability", format!("{attr} is read-only."))),
            _ => Err(unsupported()),
        }
    }

    /// `userName` / `applicationId`: the same value is accepted, any change is `mutability`.
    fn immutable(&self, op: PatchOp, attr: &str, value: Option<&Value>) -> Result<(), ApiError> {
        let same = op != PatchOp::Remove
            && value
                .and_then(Value::as_str)
                .zip(self.key.as_deref())
                .is_some_and(|(v, k)| v.trim().eq_ignore_ascii_case(k));
        if same {
            Ok(())
        } else {
            Err(bad(
                "mutability",
                format!("Attribute '{attr}' is immutable."),
            ))
        }
    }

    fn set_name(
        &mut self,
        op: PatchOp,
        sub: Option<&str>,
        value: Option<&Value>,
    ) -> Result<(), ApiError> {
        let text = |v: Option<&Value>, attr: &str| -> Result<Option<String>, ApiError> {
            v.filter(|v| !v.is_null())
                .map(|v| string(v, attr))
                .transpose()
        };
        match (op, sub) {
            (PatchOp::Remove, None) => {
                self.given_name = None;
                self.family_name = None;
            }
            (PatchOp::Remove, Some("givenname")) => self.given_name = None,
            (PatchOp::Remove, Some("familyname")) => self.family_name = None,
            (_, Some("givenname")) => self.given_name = text(value, "name.givenName")?,
            (_, Some("familyname")) => self.family_name = text(value, "name.familyName")?,
            (_, None) => {
                let obj = value
                    .and_then(Value::as_object)
                    .ok_or_else(|| bad("invalidValue", "Attribute 'name' must be an object."))?;
                let given = text(get_ci(obj, "givenName"), "name.givenName")?;
                let family = text(get_ci(obj, "familyName"), "name.familyName")?;
                if op == PatchOp::Replace {
                    self.given_name = given;
                    self.family_name = family;
                } else {
                    self.given_name = given.or(self.given_name.take());
                    self.family_name = family.or(self.family_name.take());
                }
            }
            (_, Some(other)) => {
                return Err(bad(
                    "invalidPath",
                    format!("Unsupported path: name.{other}"),
                ))
            }
        }
        Ok(())
    }

    /// Check the draft against the state: referenced groups and members exist, a group's name is
    /// free. `self_id` is the resource's own id (none on create).
    pub(crate) fn validate(
        &self,
        state: &State,
        kind: Kind,
        self_id: Option<&str>,
    ) -> Result<(), ApiError> {
        let identity = &state.identity;
        for g in &self.groups {
            if identity.kind_of(g) != Some(IdKind::Group) || Some(g.as_str()) == self_id {
                return Err(bad("invalidValue", format!("Group {g} does not exist.")));
            }
        }
        for m in &self.members {
            if identity.kind_of(m).is_none() || Some(m.as_str()) == self_id {
                return Err(bad("invalidValue", format!("Member {m} does not exist.")));
            }
        }
        if self.entitlements.iter().any(|e| e.trim().is_empty()) {
            return Err(bad("invalidValue", "Entitlements must not be empty."));
        }
        if kind == Kind::Group {
            let name = self
                .display_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| bad("invalidValue", "Missing required field: displayName"))?;
            let own = self_id.and_then(|id| identity.group(id));
            let renamed = own.is_none_or(|g| !g.display_name.eq_ignore_ascii_case(name));
            if renamed && identity.name_taken(name) {
                return Err(ApiError::new(
                    ErrorCode::AlreadyExists,
                    format!("Group with name {name} already exists."),
                )
                .with_scim_type("uniqueness"));
            }
        }
        Ok(())
    }

    /// Write the draft to the stored resource `id` (validated first; `old` is its current form).
    pub(crate) fn commit(
        &self,
        state: &mut State,
        kind: Kind,
        id: &str,
        old: &Draft,
    ) -> Result<(), ApiError> {
        self.validate(state, kind, Some(id))?;
        let identity = &mut state.identity;
        match kind {
            Kind::Group => {
                if let Some(name) = &self.display_name {
                    identity.rename_group(id, name).map_err(|e| {
                        ApiError::new(ErrorCode::AlreadyExists, e.message().unwrap_or_default())
                            .with_scim_type("uniqueness")
                    })?;
                }
                for m in old.members.iter().filter(|m| !self.members.contains(m)) {
                    identity.unlink(id, m);
                }
                for m in &self.members {
                    identity.link(id, m);
                }
            }
            Kind::User | Kind::ServicePrincipal => {
                let fallback = self.key.clone().unwrap_or_default();
                let name = self
                    .display_name
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or(fallback);
                identity.set_principal_display_name(id, &name);
                identity.set_active(id, self.active);
            }
        }
        for g in old.groups.iter().filter(|g| !self.groups.contains(g)) {
            identity.unlink(g, id);
        }
        for g in &self.groups {
            identity.link(g, id);
        }
        identity.set_attrs(
            id,
            ScimAttrs {
                given_name: self.given_name.clone(),
                family_name: self.family_name.clone(),
                emails: self.emails.clone(),
                entitlements: self.entitlements.clone(),
                roles: self.roles.clone(),
                external_id: self.external_id.clone(),
            },
        );
        Ok(())
    }
}

/// add / remove / replace on a multi-valued attribute (its elements are `{"value": ..}`).
fn list_op(
    list: &mut Vec<String>,
    op: PatchOp,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), ApiError> {
    let attr = path.attr.as_str();
    let elem = |v: &String| serde_json::json!({ "value": v });
    let selected = |v: &String| path.filter.as_ref().is_none_or(|f| f.matches(&elem(v)));
    if path.sub.is_some() && path.filter.is_none() {
        return Err(bad(
            "invalidPath",
            format!("Unsupported path: {attr}.<sub>"),
        ));
    }
    match op {
        PatchOp::Add => {
            let v =
                value.ok_or_else(|| bad("invalidValue", format!("add {attr} needs a value.")))?;
            for item in values(v, attr)? {
                if !list.contains(&item) {
                    list.push(item);
                }
            }
        }
        PatchOp::Remove => match (&path.filter, value) {
            (Some(_), _) => list.retain(|v| !selected(v)),
            (None, Some(v)) => {
                let gone = values(v, attr)?;
                list.retain(|x| !gone.contains(x));
            }
            (None, None) => list.clear(),
        },
        PatchOp::Replace => {
            let v = value
                .ok_or_else(|| bad("invalidValue", format!("replace {attr} needs a value.")))?;
            if path.filter.is_some() {
                if !list.iter().any(selected) {
                    return Err(bad(
                        "noTarget",
                        format!("No {attr} value matches the path filter."),
                    ));
                }
                let new = match (&path.sub, v) {
                    (Some(_), Value::String(s)) => vec![s.clone()],
                    (Some(_), _) => return Err(bad("invalidValue", "A value must be a string.")),
                    (None, v) => values(v, attr)?,
                };
                list.retain(|x| !selected(x));
                for item in new {
                    if !list.contains(&item) {
                        list.push(item);
                    }
                }
            } else {
                *list = values(v, attr)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patch(d: &mut Draft, kind: Kind, ops: Value) -> Result<(), ApiError> {
        let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops});
        d.apply_patch(kind, body.as_object().expect("object"))
    }

    #[test]
    fn paths_with_value_filters_and_value_only_adds() {
        let mut d = Draft {
            key: Some("u@example.com".into()),
            active: true,
            ..Default::default()
        };
        patch(
            &mut d,
            Kind::User,
            json!([
                {"op": "add", "path": "entitlements", "value": [{"value": "allow-cluster-create"}, {"value": "workspace-access"}]},
                {"op": "Add", "value": {"roles": [{"value": "arn:aws:iam::1:instance-profile/x"}], "displayName": "U", "name": {"givenName": "Ann"}}},
                {"op": "remove", "path": "entitlements[value eq \"workspace-access\"]"},
                {"op": "replace", "path": "name.familyName", "value": "Lee"},
                {"op": "replace", "path": "active", "value": "False"},
                {"op": "replace", "path": "userName", "value": "U@EXAMPLE.COM"},
                {"op": "replace", "path": "emails", "value": [{"value": "x@y"}]},
            ]),
        )
        .expect("patch");
        assert_eq!(d.entitlements, vec!["allow-cluster-create"]);
        assert_eq!(d.roles, vec!["arn:aws:iam::1:instance-profile/x"]);
        assert_eq!(d.display_name.as_deref(), Some("U"));
        assert_eq!(
            (d.given_name.as_deref(), d.family_name.as_deref()),
            (Some("Ann"), Some("Lee"))
        );
        assert!(!d.active);

        let mut g = Draft {
            display_name: Some("team".into()),
            members: vec!["1".into(), "2".into(), "3".into()],
            ..Default::default()
        };
        patch(
            &mut g,
            Kind::Group,
            json!([
                {"op": "remove", "path": "members[value eq \"2\"]"},
                {"op": "remove", "path": "members", "value": [{"value": "3"}]},
                {"op": "add", "value": {"members": [{"value": "4"}]}},
                {"op": "replace", "path": "members[value eq \"4\"].value", "value": "5"},
            ]),
        )
        .expect("patch");
        assert_eq!(g.members, vec!["1", "5"]);
        patch(
            &mut g,
            Kind::Group,
            json!([{"op": "remove", "path": "members"}]),
        )
        .expect("clear");
        assert!(g.members.is_empty());
    }

    #[test]
    fn bad_patches_name_their_scim_type() {
        let cases = [
            (
                json!([{"op": "replace", "path": "userName", "value": "other@example.com"}]),
                "mutability",
            ),
            (
                json!([{"op": "move", "path": "displayName", "value": "x"}]),
                "invalidSyntax",
            ),
            (json!([{"op": "remove"}]), "noTarget"),
            (
                json!([{"op": "replace", "path": "entitlements[value eq \"nope\"]", "value": [{"value": "x"}]}]),
                "noTarget",
            ),
            (
                json!([{"op": "add", "path": "members", "value": [{"value": "1"}]}]),
                "invalidPath",
            ),
            (
                json!([{"op": "add", "path": "nosuch", "value": 1}]),
                "invalidPath",
            ),
            (
                json!([{"op": "add", "path": "entitlements[value eq ", "value": 1}]),
                "invalidPath",
            ),
            (
                json!([{"op": "add", "path": "groups[value xx \"1\"]", "value": []}]),
                "invalidFilter",
            ),
            (
                json!([{"op": "add", "path": "groups", "value": "1"}]),
                "invalidSyntax",
            ),
            (
                json!([{"op": "replace", "path": "active", "value": 3}]),
                "invalidValue",
            ),
            (
                json!([{"op": "replace", "path": "id", "value": "3"}]),
                "mutability",
            ),
        ];
        for (ops, scim_type) in cases {
            let mut d = Draft {
                key: Some("u@example.com".into()),
                ..Default::default()
            };
            let err = patch(&mut d, Kind::User, ops.clone()).expect_err("fails");
            assert_eq!(err.status(), 400, "{ops}");
            assert_eq!(err.into_scim().body()["scimType"], scim_type, "{ops}");
        }
        let mut d = Draft::default();
        let body = json!({"schemas": ["urn:wrong"], "Operations": []});
        assert!(d
            .apply_patch(Kind::User, body.as_object().expect("object"))
            .is_err());
    }
}
