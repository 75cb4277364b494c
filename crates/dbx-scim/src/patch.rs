//! SCIM PATCH requests (RFC 7644 §3.5.2): `add`, `remove` and `replace` operations with typed
//! paths, sent with the PatchOp schema.
//!
//! ```
//! use dbx_scim::{Filter, PatchPath, PatchRequest};
//! let p = PatchRequest::new()
//!     .add_members(["123"])
//!     .remove(PatchPath::member("456"))
//!     .replace("active", false);
//! assert_eq!(
//!     serde_json::to_value(&p).unwrap(),
//!     serde_json::json!({
//!         "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!         "Operations": [
//!             {"op": "add", "path": "members", "value": [{"value": "123"}]},
//!             {"op": "remove", "path": "members[value eq \"456\"]"},
//!             {"op": "replace", "path": "active", "value": false}
//!         ]
//!     })
//! );
//! ```

use std::fmt;

use dbx_core::Result;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::Value;

use crate::filter::{check_attr_path, Filter};
use crate::model::{ComplexValue, Entitlement, PATCH_OP_SCHEMA};

/// A PATCH operation's verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchOpKind {
    /// Add values (to a multi-valued attribute) or set an attribute.
    Add,
    /// Remove an attribute, or the values a path filter selects.
    Remove,
    /// Replace an attribute's value.
    Replace,
}

impl PatchOpKind {
    /// The wire text (`add`, `remove`, `replace`: lower case, as the Databricks SDKs send it).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Remove => "remove",
            Self::Replace => "replace",
        }
    }
}

/// A PATCH path: an attribute (`active`, `name.givenName`, `entitlements`), optionally with a
/// value filter (`members[value eq "123"]`) and a sub-attribute (`emails[type eq "work"].value`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    attr: String,
    filter: Option<Filter>,
    sub: Option<String>,
}

impl PatchPath {
    /// A plain attribute path.
    pub fn attr(attr: impl Into<String>) -> Self {
        Self {
            attr: attr.into(),
            filter: None,
            sub: None,
        }
    }

    /// `attr[filter]`: the values of a multi-valued attribute the filter selects.
    pub fn filtered(attr: impl Into<String>, filter: Filter) -> Self {
        Self {
            attr: attr.into(),
            filter: Some(filter),
            sub: None,
        }
    }

    /// `members[value eq "id"]`: one member, by id.
    pub fn member(id: impl AsRef<str>) -> Self {
        Self::filtered("members", Filter::eq("value", id.as_ref()))
    }

    /// `entitlements[value eq "…"]`: one entitlement.
    pub fn entitlement(e: &Entitlement) -> Self {
        Self::filtered("entitlements", Filter::eq("value", e.as_str()))
    }

    /// `groups[value eq "id"]`: one group membership, by group id.
    pub fn group(id: impl AsRef<str>) -> Self {
        Self::filtered("groups", Filter::eq("value", id.as_ref()))
    }

    /// `roles[value eq "arn"]`: one role.
    pub fn role(arn: impl AsRef<str>) -> Self {
        Self::filtered("roles", Filter::eq("value", arn.as_ref()))
    }

    /// `…[filter].sub`: a sub-attribute of the selected values.
    pub fn sub_attr(mut self, sub: impl Into<String>) -> Self {
        self.sub = Some(sub.into());
        self
    }

    /// Check the attribute names and the filter (see [`Filter::validate`]).
    pub fn validate(&self) -> Result<()> {
        check_attr_path(&self.attr)?;
        if let Some(f) = &self.filter {
            f.validate()?;
        }
        if let Some(s) = &self.sub {
            check_attr_path(s)?;
        }
        Ok(())
    }
}

impl From<&str> for PatchPath {
    fn from(s: &str) -> Self {
        Self::attr(s)
    }
}

impl From<String> for PatchPath {
    fn from(s: String) -> Self {
        Self::attr(s)
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// One PATCH operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    /// The verb.
    pub op: PatchOpKind,
    /// The target; `None` for a value-only `add`/`replace` whose value is an object of
    /// attributes.
    pub path: Option<PatchPath>,
    /// The value; `None` for `remove`.
    pub value: Option<Value>,
}

impl Serialize for PatchOperation {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let n = 1 + usize::from(self.path.is_some()) + usize::from(self.value.is_some());
        let mut st = s.serialize_struct("PatchOperation", n)?;
        st.serialize_field("op", self.op.as_str())?;
        if let Some(p) = &self.path {
            st.serialize_field("path", &p.to_string())?;
        }
        if let Some(v) = &self.value {
            st.serialize_field("value", v)?;
        }
        st.end()
    }
}

/// A PATCH request body: `{"schemas": [PatchOp], "Operations": [...]}`. Build it with the
/// methods below, or with [`crate::Endpoint::patch`]'s builder, which has the same methods.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatchRequest {
    /// The operations, applied in order.
    pub operations: Vec<PatchOperation>,
}

impl Serialize for PatchRequest {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("PatchRequest", 2)?;
        st.serialize_field("schemas", &[PATCH_OP_SCHEMA])?;
        st.serialize_field("Operations", &self.operations)?;
        st.end()
    }
}

fn to_value<T: Serialize>(v: T) -> Value {
    // Serializing plain data (strings, bools, our own structs) into a Value cannot fail; if a
    // caller's type does, send `null` rather than panic, and let the server say what is wrong.
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn id_values<I, S>(ids: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    Value::Array(
        ids.into_iter()
            .map(|id| to_value(ComplexValue::new(id.as_ref())))
            .collect(),
    )
}

impl PatchRequest {
    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Any operation.
    pub fn op(mut self, op: PatchOpKind, path: Option<PatchPath>, value: Option<Value>) -> Self {
        self.operations.push(PatchOperation { op, path, value });
        self
    }

    /// `add` `value` at `path` (for a multi-valued attribute, `value` is an array of entries).
    pub fn add(self, path: impl Into<PatchPath>, value: impl Serialize) -> Self {
        self.op(PatchOpKind::Add, Some(path.into()), Some(to_value(value)))
    }

    /// A value-only `add`: `value` is an object of attributes, e.g.
    /// `{"members": [{"value": "123"}]}` (RFC 7644 §3.5.2.1, "path" omitted).
    pub fn add_value(self, value: impl Serialize) -> Self {
        self.op(PatchOpKind::Add, None, Some(to_value(value)))
    }

    /// `replace` the value at `path`.
    pub fn replace(self, path: impl Into<PatchPath>, value: impl Serialize) -> Self {
        self.op(
            PatchOpKind::Replace,
            Some(path.into()),
            Some(to_value(value)),
        )
    }

    /// A value-only `replace`: `value` is an object of attributes.
    pub fn replace_value(self, value: impl Serialize) -> Self {
        self.op(PatchOpKind::Replace, None, Some(to_value(value)))
    }

    /// `remove` what `path` selects.
    pub fn remove(self, path: impl Into<PatchPath>) -> Self {
        self.op(PatchOpKind::Remove, Some(path.into()), None)
    }

    /// Add members by id (users, groups or service principals): `add` `members`.
    pub fn add_members<I, S>(self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.add("members", id_values(ids))
    }

    /// Remove one member by id: `remove` `members[value eq "id"]`.
    pub fn remove_member(self, id: impl AsRef<str>) -> Self {
        self.remove(PatchPath::member(id))
    }

    /// Grant entitlements: `add` `entitlements`.
    pub fn add_entitlements<'e, I>(self, entitlements: I) -> Self
    where
        I: IntoIterator<Item = &'e Entitlement>,
    {
        let values: Vec<ComplexValue> = entitlements
            .into_iter()
            .map(ComplexValue::entitlement)
            .collect();
        self.add("entitlements", values)
    }

    /// Revoke one entitlement: `remove` `entitlements[value eq "…"]`.
    pub fn remove_entitlement(self, e: &Entitlement) -> Self {
        self.remove(PatchPath::entitlement(e))
    }

    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// Check every path (see [`PatchPath::validate`]) and that `add`/`replace` carry a value.
    pub fn validate(&self) -> Result<()> {
        for (i, o) in self.operations.iter().enumerate() {
            if let Some(p) = &o.path {
                p.validate()?;
            }
            let needs_value = o.op != PatchOpKind::Remove;
            if needs_value && o.value.is_none() {
                return Err(dbx_core::Error::InvalidRequest(format!(
                    "PATCH operation {i} ({}) has no value",
                    o.op.as_str()
                )));
            }
            if o.path.is_none() && !matches!(o.value, Some(Value::Object(_))) {
                return Err(dbx_core::Error::InvalidRequest(format!(
                    "PATCH operation {i} ({}) has no path, so its value must be an object of attributes",
                    o.op.as_str()
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_render_and_escape() {
        assert_eq!(
            PatchPath::member(r#"1" or value pr"#).to_string(),
            r#"members[value eq "1\" or value pr"]"#
        );
        assert_eq!(
            PatchPath::filtered("emails", Filter::eq("type", "work"))
                .sub_attr("value")
                .to_string(),
            r#"emails[type eq "work"].value"#
        );
        assert_eq!(PatchPath::group("9").to_string(), r#"groups[value eq "9"]"#);
        assert_eq!(PatchPath::role("r").to_string(), r#"roles[value eq "r"]"#);
        assert!(PatchPath::attr("name.givenName").validate().is_ok());
        assert!(PatchPath::attr("bad path").validate().is_err());
        assert!(PatchPath::member("x").sub_attr("a b").validate().is_err());
    }

    #[test]
    fn operations_serialize_as_rfc_7644() {
        let p = PatchRequest::new()
            .add_value(json!({"members": [{"value": "1"}]}))
            .add_entitlements([&Entitlement::AllowClusterCreate])
            .remove_entitlement(&Entitlement::WorkspaceAccess)
            .remove_member("2")
            .replace("name.givenName", "Ann")
            .replace_value(json!({"displayName": "x"}));
        assert_eq!(
            serde_json::to_value(&p).expect("json"),
            json!({
                "schemas": [PATCH_OP_SCHEMA],
                "Operations": [
                    {"op": "add", "value": {"members": [{"value": "1"}]}},
                    {"op": "add", "path": "entitlements", "value": [{"value": "allow-cluster-create"}]},
                    {"op": "remove", "path": "entitlements[value eq \"workspace-access\"]"},
                    {"op": "remove", "path": "members[value eq \"2\"]"},
                    {"op": "replace", "path": "name.givenName", "value": "Ann"},
                    {"op": "replace", "value": {"displayName": "x"}}
                ]
            })
        );
        assert!(p.validate().is_ok());
        assert!(!p.is_empty());
    }

    #[test]
    fn malformed_operations_are_refused() {
        let no_value = PatchRequest::new().op(PatchOpKind::Add, Some("members".into()), None);
        assert!(no_value.validate().is_err());
        let scalar_without_path = PatchRequest::new().add_value(true);
        assert!(scalar_without_path.validate().is_err());
        assert!(PatchRequest::new().is_empty());
    }
}
