//! The SCIM resources: [`User`], [`Group`], [`ServicePrincipal`] and what they are made of.
//!
//! Field names follow the wire (camelCase, RFC 7643 and the
//! [Databricks SCIM reference](https://docs.databricks.com/api/workspace/users)); every resource
//! keeps attributes this version does not know in `extra`, and sends them back unchanged, so a
//! read-modify-replace never drops what the server added.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The core User schema URN.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Databricks' workspace extension of the User schema.
pub const WORKSPACE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:workspace:2.0:User";
/// The core Group schema URN.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The service principal schema URN Databricks uses.
pub const SERVICE_PRINCIPAL_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal";
/// The PATCH request message URN.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The list response message URN.
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

dbx_core::string_id!(
    /// A SCIM user id (a numeric string on Databricks).
    UserId
);
dbx_core::string_id!(
    /// A SCIM group id.
    GroupId
);
dbx_core::string_id!(
    /// A SCIM service principal id (not its application id).
    ServicePrincipalId
);

dbx_core::open_enum! {
    /// A workspace entitlement ([entitlements](https://docs.databricks.com/en/admin/users-groups/index.html)).
    ///
    /// ```
    /// use dbx_scim::Entitlement;
    /// assert_eq!(Entitlement::AllowClusterCreate.as_str(), "allow-cluster-create");
    /// ```
    pub enum Entitlement {
        /// Use the workspace UI and APIs.
        WorkspaceAccess = "workspace-access",
        /// Use Databricks SQL.
        DatabricksSqlAccess = "databricks-sql-access",
        /// Create clusters.
        AllowClusterCreate = "allow-cluster-create",
        /// Create instance pools.
        AllowInstancePoolCreate = "allow-instance-pool-create",
    }
}

dbx_core::open_enum! {
    /// The order of a sorted listing (`sortOrder`).
    pub enum SortOrder {
        /// Smallest first (the default).
        Ascending = "ascending",
        /// Largest first.
        Descending = "descending",
    }
}

/// A multi-valued attribute's entry (`emails`, `entitlements`, `roles`, `groups`, `members`):
/// RFC 7643 §2.4 `value`, `display`, `type`, `primary`, `$ref`.
///
/// ```
/// use dbx_scim::ComplexValue;
/// let m = ComplexValue::new("123");
/// assert_eq!(serde_json::to_value(&m).unwrap(), serde_json::json!({"value": "123"}));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComplexValue {
    /// The value: an id for members and groups, an address for emails, a name for
    /// entitlements, an instance profile ARN for roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A human-readable name (a group's `displayName`, a user's `displayName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// A label: `work` for emails; `direct` / `indirect` for a user's groups on Databricks.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether this is the primary entry (emails).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    /// A reference to the resource, e.g. `Users/123` or `Groups/456`.
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Attributes this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ComplexValue {
    /// An entry with just a `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: Some(value.into()),
            ..Self::default()
        }
    }

    /// An entitlement entry.
    pub fn entitlement(e: &Entitlement) -> Self {
        Self::new(e.as_str())
    }

    /// A work email entry, primary.
    pub fn work_email(address: impl Into<String>) -> Self {
        Self {
            kind: Some("work".into()),
            primary: Some(true),
            ..Self::new(address)
        }
    }

    /// What kind of resource `$ref` points at (`Users/…`, `Groups/…`, `ServicePrincipals/…`,
    /// possibly as a full URL).
    pub fn ref_kind(&self) -> Option<ResourceKind> {
        let r = self.reference.as_deref()?;
        let last_two: Vec<&str> = r.rsplit('/').take(2).collect();
        match last_two.get(1).copied() {
            Some("Users") => Some(ResourceKind::User),
            Some("Groups") => Some(ResourceKind::Group),
            Some("ServicePrincipals") => Some(ResourceKind::ServicePrincipal),
            _ => None,
        }
    }
}

/// The three kinds of SCIM resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `Users`.
    User,
    /// `Groups`.
    Group,
    /// `ServicePrincipals`.
    ServicePrincipal,
}

impl ResourceKind {
    /// The endpoint's name under `/api/2.0/preview/scim/v2/`.
    pub fn endpoint(self) -> &'static str {
        match self {
            Self::User => "Users",
            Self::Group => "Groups",
            Self::ServicePrincipal => "ServicePrincipals",
        }
    }
}

/// A user's name parts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    /// Given (first) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family (last) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Attributes this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Resource metadata (`meta`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// `User`, `Group`, or on Databricks `WorkspaceGroup` (workspace-local) vs `Group` (account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// Attributes this version does not know (`created`, `location`, ...), kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A SCIM user.
///
/// ```
/// use dbx_scim::{Entitlement, User};
/// let u = User::new("ann@example.com")
///     .display_name("Ann")
///     .entitlement(Entitlement::AllowClusterCreate);
/// assert_eq!(
///     serde_json::to_value(&u).unwrap(),
///     serde_json::json!({
///         "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
///         "userName": "ann@example.com",
///         "displayName": "Ann",
///         "entitlements": [{"value": "allow-cluster-create"}]
///     })
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The schemas the resource follows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// The user's id, assigned by the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<UserId>,
    /// The user name: an email address on Databricks. Immutable once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The name shown in the UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Name parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// Whether the user may sign in and use their tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Email addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<ComplexValue>,
    /// Entitlements granted directly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<ComplexValue>,
    /// Roles (AWS instance profile ARNs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<ComplexValue>,
    /// Groups the user belongs to (`type` `direct` or `indirect` on Databricks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<ComplexValue>,
    /// An identifier from the identity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Resource metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl User {
    /// A new user named `user_name` (an email address), with the core User schema.
    pub fn new(user_name: impl Into<String>) -> Self {
        Self {
            schemas: vec![USER_SCHEMA.to_owned()],
            user_name: Some(user_name.into()),
            ..Self::default()
        }
    }

    /// Set the display name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Set given and family names.
    pub fn name(mut self, given: impl Into<String>, family: impl Into<String>) -> Self {
        self.name = Some(Name {
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            extra: Map::new(),
        });
        self
    }

    /// Set `active`.
    pub fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }

    /// Add an entitlement.
    pub fn entitlement(mut self, e: Entitlement) -> Self {
        self.entitlements.push(ComplexValue::entitlement(&e));
        self
    }

    /// Add a role (instance profile ARN).
    pub fn role(mut self, arn: impl Into<String>) -> Self {
        self.roles.push(ComplexValue::new(arn));
        self
    }

    /// Add a membership in the group with this id.
    pub fn group(mut self, id: &GroupId) -> Self {
        self.groups.push(ComplexValue::new(id.as_str()));
        self
    }

    /// Add an email address (`type: work`, primary when it is the first).
    pub fn email(mut self, address: impl Into<String>) -> Self {
        let mut e = ComplexValue::work_email(address);
        e.primary = Some(self.emails.is_empty());
        self.emails.push(e);
        self
    }

    /// Set the external id.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// Whether the user holds `e` directly (not through a group).
    pub fn has_entitlement(&self, e: &Entitlement) -> bool {
        has_value(&self.entitlements, e.as_str())
    }
}

/// A SCIM group. Groups 2.0 (crate `dbx-groups`) shows the same groups by `displayName`.
///
/// ```
/// use dbx_scim::Group;
/// let g = Group::new("data-eng").member_id("42");
/// assert_eq!(
///     serde_json::to_value(&g).unwrap(),
///     serde_json::json!({
///         "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
///         "displayName": "data-eng",
///         "members": [{"value": "42"}]
///     })
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// The schemas the resource follows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// The group's id, assigned by the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<GroupId>,
    /// The group's name (unique in the workspace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Direct members: users, groups and service principals, by id (`$ref` says which).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<ComplexValue>,
    /// The groups this group is a member of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<ComplexValue>,
    /// Entitlements granted to every member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<ComplexValue>,
    /// Roles (AWS instance profile ARNs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<ComplexValue>,
    /// An identifier from the identity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Resource metadata (`resourceType` `WorkspaceGroup` or `Group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Group {
    /// A new group named `display_name`, with the core Group schema.
    pub fn new(display_name: impl Into<String>) -> Self {
        Self {
            schemas: vec![GROUP_SCHEMA.to_owned()],
            display_name: Some(display_name.into()),
            ..Self::default()
        }
    }

    /// Add a member by id (a user, group or service principal id).
    pub fn member_id(mut self, id: impl Into<String>) -> Self {
        self.members.push(ComplexValue::new(id));
        self
    }

    /// Add an entitlement.
    pub fn entitlement(mut self, e: Entitlement) -> Self {
        self.entitlements.push(ComplexValue::entitlement(&e));
        self
    }

    /// Add a role (instance profile ARN).
    pub fn role(mut self, arn: impl Into<String>) -> Self {
        self.roles.push(ComplexValue::new(arn));
        self
    }

    /// Set the external id.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// Whether `id` is a direct member.
    pub fn has_member(&self, id: &str) -> bool {
        has_value(&self.members, id)
    }

    /// Whether the group holds `e`.
    pub fn has_entitlement(&self, e: &Entitlement) -> bool {
        has_value(&self.entitlements, e.as_str())
    }
}

/// A SCIM service principal: a non-human identity known by its `applicationId`.
///
/// ```
/// let sp = dbx_scim::ServicePrincipal::new("ci-bot").application_id("7f1c…");
/// assert_eq!(sp.display_name.as_deref(), Some("ci-bot"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// The schemas the resource follows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// The service principal's id, assigned by the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ServicePrincipalId>,
    /// The application (client) id, a UUID; generated by the service when not given (AWS,
    /// GCP); on Azure the Entra ID application's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// The name shown in the UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Whether it may authenticate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Entitlements granted directly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<ComplexValue>,
    /// Roles (AWS instance profile ARNs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<ComplexValue>,
    /// Groups it belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<ComplexValue>,
    /// An identifier from the identity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Resource metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ServicePrincipal {
    /// A new service principal named `display_name`, with the service principal schema.
    pub fn new(display_name: impl Into<String>) -> Self {
        Self {
            schemas: vec![SERVICE_PRINCIPAL_SCHEMA.to_owned()],
            display_name: Some(display_name.into()),
            ..Self::default()
        }
    }

    /// Set the application id.
    pub fn application_id(mut self, id: impl Into<String>) -> Self {
        self.application_id = Some(id.into());
        self
    }

    /// Set `active`.
    pub fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }

    /// Add an entitlement.
    pub fn entitlement(mut self, e: Entitlement) -> Self {
        self.entitlements.push(ComplexValue::entitlement(&e));
        self
    }

    /// Whether it holds `e` directly.
    pub fn has_entitlement(&self, e: &Entitlement) -> bool {
        has_value(&self.entitlements, e.as_str())
    }
}

fn has_value(list: &[ComplexValue], value: &str) -> bool {
    list.iter().any(|v| v.value.as_deref() == Some(value))
}

/// A SCIM ListResponse page (RFC 7644 §3.4.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListResponse<R> {
    /// `["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// How many resources match in all.
    #[serde(
        default,
        rename = "totalResults",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_results: Option<u64>,
    /// The 1-based index of this page's first resource.
    #[serde(
        default,
        rename = "startIndex",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_index: Option<u64>,
    /// How many resources this page holds.
    #[serde(
        default,
        rename = "itemsPerPage",
        skip_serializing_if = "Option::is_none"
    )]
    pub items_per_page: Option<u64>,
    /// The page's resources (empty when the key is missing).
    #[serde(default = "Vec::new", rename = "Resources")]
    pub resources: Vec<R>,
}

/// What a SCIM resource type tells the generic endpoint ([`crate::Endpoint`]).
pub trait ScimResource:
    Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static
{
    /// The resource's typed id.
    type Id: Clone + AsRef<str> + From<String> + Send + Sync + std::fmt::Debug + 'static;
    /// Which endpoint serves it.
    const KIND: ResourceKind;
    /// The attribute naming it uniquely: `userName`, `displayName`, `applicationId`.
    const NAME_ATTR: &'static str;
    /// Its id, if the server sent one.
    fn id(&self) -> Option<&Self::Id>;
}

impl ScimResource for User {
    type Id = UserId;
    const KIND: ResourceKind = ResourceKind::User;
    const NAME_ATTR: &'static str = "userName";
    fn id(&self) -> Option<&UserId> {
        self.id.as_ref()
    }
}

impl ScimResource for Group {
    type Id = GroupId;
    const KIND: ResourceKind = ResourceKind::Group;
    const NAME_ATTR: &'static str = "displayName";
    fn id(&self) -> Option<&GroupId> {
        self.id.as_ref()
    }
}

impl ScimResource for ServicePrincipal {
    type Id = ServicePrincipalId;
    const KIND: ResourceKind = ResourceKind::ServicePrincipal;
    const NAME_ATTR: &'static str = "applicationId";
    fn id(&self) -> Option<&ServicePrincipalId> {
        self.id.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_attributes_round_trip() {
        let wire = json!({
            "schemas": [USER_SCHEMA, WORKSPACE_USER_SCHEMA],
            "id": "7",
            "userName": "a@b.c",
            "name": {"givenName": "A", "middleName": "Q"},
            "emails": [{"value": "a@b.c", "type": "work", "primary": true, "verified": true}],
            "groups": [{"value": "9", "display": "g", "$ref": "Groups/9", "type": "direct"}],
            "meta": {"resourceType": "User", "created": "2024-01-01"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "x"},
            "lastLogin": 5
        });
        let u: User = serde_json::from_value(wire.clone()).expect("user");
        assert_eq!(u.id, Some(UserId::from("7")));
        assert_eq!(u.groups[0].ref_kind(), Some(ResourceKind::Group));
        assert_eq!(u.groups[0].kind.as_deref(), Some("direct"));
        assert!(u.extra.contains_key("lastLogin"));
        assert_eq!(serde_json::to_value(&u).expect("ser"), wire);
    }

    #[test]
    fn groups_and_service_principals_decode() {
        let g: Group = serde_json::from_value(json!({
            "id": "1", "displayName": "admins",
            "members": [{"value": "2", "$ref": "https://h/api/2.0/preview/scim/v2/ServicePrincipals/2"}],
            "meta": {"resourceType": "WorkspaceGroup"}
        }))
        .expect("group");
        assert!(g.has_member("2"));
        assert_eq!(
            g.members[0].ref_kind(),
            Some(ResourceKind::ServicePrincipal)
        );
        assert_eq!(
            g.meta.and_then(|m| m.resource_type).as_deref(),
            Some("WorkspaceGroup")
        );
        let sp: ServicePrincipal = serde_json::from_value(json!({
            "id": "3", "applicationId": "uuid", "entitlements": [{"value": "allow-cluster-create"}]
        }))
        .expect("sp");
        assert!(sp.has_entitlement(&Entitlement::AllowClusterCreate));
        let page: ListResponse<User> =
            serde_json::from_value(json!({"totalResults": 0})).expect("page");
        assert!(page.resources.is_empty());
    }

    #[test]
    fn builders_fill_the_fields() {
        let u = User::new("u@x")
            .name("U", "X")
            .active(false)
            .role("arn:aws:iam::1:instance-profile/p")
            .group(&GroupId::from("5"))
            .email("u@x")
            .email("u2@x")
            .external_id("ext");
        assert_eq!(u.emails[0].primary, Some(true));
        assert_eq!(u.emails[1].primary, Some(false));
        assert_eq!(u.groups[0].value.as_deref(), Some("5"));
        let g = Group::new("g")
            .entitlement(Entitlement::WorkspaceAccess)
            .role("r")
            .external_id("e");
        assert!(g.has_entitlement(&Entitlement::WorkspaceAccess));
        let sp = ServicePrincipal::new("sp")
            .active(true)
            .entitlement(Entitlement::DatabricksSqlAccess);
        assert_eq!(sp.schemas, vec![SERVICE_PRINCIPAL_SCHEMA.to_owned()]);
    }
}
