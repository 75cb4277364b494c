//! # dbx-groups
//!
//! The Databricks [Groups API 2.0](https://docs.databricks.com/api/workspace/groups) (the legacy
//! `/api/2.0/groups` endpoints): groups by name, their user and group members, and their
//! parents. These are the same groups SCIM serves (crate `dbx-scim`), where a group's name is its
//! `displayName`; built-in groups are `admins` and `users`.
//!
//! ```no_run
//! # async fn demo() -> dbx_core::Result<()> {
//! use dbx_core::Client;
//! use dbx_groups::{GroupsApi, Principal};
//!
//! let groups = GroupsApi::new(Client::from_env()?);
//! groups.create("data-eng").await?;
//! groups.add_member("data-eng", &Principal::user("ann@example.com")).await?;
//! groups.add_member("admins", &Principal::group("data-eng")).await?;
//! for m in groups.list_members("data-eng").await? {
//!     println!("{m}");
//! }
//! assert_eq!(groups.list_parents(&Principal::group("data-eng")).await?, ["admins"]);
//! groups.delete("data-eng").await?;
//! # Ok(()) }
//! ```
//!
//! Only workspace admins may change groups (`PERMISSION_DENIED` otherwise). A missing group or
//! member is `RESOURCE_DOES_NOT_EXIST` ([`dbx_core::Error::is_not_found`]); creating a name
//! that is taken is `RESOURCE_ALREADY_EXISTS` ([`dbx_core::Error::is_already_exists`]).
//!
//! ## From `databricksapi`
//!
//! | `databricksapi` 1.1.8 `Groups.…` | dbx-groups [`GroupsApi`] |
//! |---|---|
//! | `createGroup(group_name)` (posted to `/api/2.0/groups/group`: a 404 `ENDPOINT_NOT_FOUND`) | [`create`](GroupsApi::create)`(name)` (posts to `/api/2.0/groups/create`) |
//! | `addMember(parent_name, name, name_type)` (`name_type` `'user'` / `'group'`) | [`add_member`](GroupsApi::add_member)`(parent, &Principal::user(name))` / `Principal::group(name)` |
//! | `removeMember(name, parent_name, name_type)` (arguments in another order than `addMember`) | [`remove_member`](GroupsApi::remove_member)`(parent, &Principal::…)` |
//! | `listGroups()` | [`list`](GroupsApi::list)`()` |
//! | `listGroupMembers(group_name, return_type)` (`'list'` failed on group members) | [`list_members`](GroupsApi::list_members)`(name)` → typed [`Member`]s (user or group) |
//! | `listParents(name, name_type)` | [`list_parents`](GroupsApi::list_parents)`(&Principal::…)` |
//! | `deleteGroup(group_name)` | [`delete`](GroupsApi::delete)`(name)` |
//!
//! Differences from the original: GET parameters travel in the query string (the original sent
//! a JSON body on GET); errors are [`dbx_core::Error`]s (the original's exception classes did not
//! derive from `Exception`); members are typed instead of a `name_type` string.

use std::fmt;

use dbx_core::{Client, Request, Result};
use serde::de::Deserializer;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A user or a group, named as Groups 2.0 names them: a user by user name (email), a group by
/// group name. Sent as `{"user_name": …}` or `{"group_name": …}`.
///
/// ```
/// use dbx_groups::Principal;
/// assert_eq!(
///     serde_json::to_value(Principal::user("ann@example.com")).unwrap(),
///     serde_json::json!({"user_name": "ann@example.com"})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A user, by user name.
    User(String),
    /// A group, by group name.
    Group(String),
}

impl Principal {
    /// A user, by user name.
    pub fn user(name: impl Into<String>) -> Self {
        Self::User(name.into())
    }

    /// A group, by group name.
    pub fn group(name: impl Into<String>) -> Self {
        Self::Group(name.into())
    }

    /// The name.
    pub fn name(&self) -> &str {
        match self {
            Self::User(n) | Self::Group(n) => n,
        }
    }

    fn key(&self) -> &'static str {
        match self {
            Self::User(_) => "user_name",
            Self::Group(_) => "group_name",
        }
    }
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.key(), self.name())?;
        m.end()
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(n) => write!(f, "user {n}"),
            Self::Group(n) => write!(f, "group {n}"),
        }
    }
}

/// A member of a group, as [`GroupsApi::list_members`] reports it.
///
/// ```
/// use dbx_groups::{Member, Principal};
/// let m: Member = serde_json::from_str(r#"{"group_name": "eng"}"#).unwrap();
/// assert_eq!(m, Member::Known(Principal::group("eng")));
/// let odd: Member = serde_json::from_str(r#"{"service_principal_name": "x"}"#).unwrap();
/// assert!(matches!(odd, Member::Unknown(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Member {
    /// A user or a group.
    Known(Principal),
    /// A shape this version does not know, verbatim.
    Unknown(Map<String, Value>),
}

impl Member {
    /// The user or group, when it is one.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Self::Known(p) => Some(p),
            Self::Unknown(_) => None,
        }
    }

    /// The user name, when the member is a user.
    pub fn user_name(&self) -> Option<&str> {
        match self {
            Self::Known(Principal::User(n)) => Some(n),
            _ => None,
        }
    }

    /// The group name, when the member is a group.
    pub fn group_name(&self) -> Option<&str> {
        match self {
            Self::Known(Principal::Group(n)) => Some(n),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        let text = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(match (text("user_name"), text("group_name")) {
            (Some(u), None) => Self::Known(Principal::User(u)),
            (None, Some(g)) => Self::Known(Principal::Group(g)),
            _ => Self::Unknown(map),
        })
    }
}

impl Serialize for Member {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Self::Known(p) => p.serialize(s),
            Self::Unknown(m) => m.serialize(s),
        }
    }
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(p) => p.fmt(f),
            Self::Unknown(m) => write!(f, "member {}", Value::Object(m.clone())),
        }
    }
}

/// The Groups API 2.0.
#[derive(Debug, Clone)]
pub struct GroupsApi {
    client: Client,
}

#[derive(Deserialize)]
struct GroupNames {
    #[serde(default)]
    group_names: Vec<String>,
}

impl GroupsApi {
    /// The Groups API over `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Create a group (`POST /api/2.0/groups/create`); returns its name as the service echoes
    /// it. A taken name is `RESOURCE_ALREADY_EXISTS`. Not retried after a timeout.
    pub async fn create(&self, group_name: &str) -> Result<String> {
        #[derive(Serialize)]
        struct Body<'a> {
            group_name: &'a str,
        }
        #[derive(Deserialize)]
        struct Created {
            #[serde(default)]
            group_name: Option<String>,
        }
        let req = Request::post("/api/2.0/groups/create").json(&Body { group_name })?;
        let created: Created = self.client.call(req).await?;
        Ok(created.group_name.unwrap_or_else(|| group_name.to_owned()))
    }

    /// Add a user or a group to `parent_name` (`POST /api/2.0/groups/add-member`). Adding a
    /// member twice leaves it a member once.
    pub async fn add_member(&self, parent_name: &str, member: &Principal) -> Result<()> {
        self.membership("/api/2.0/groups/add-member", parent_name, member)
            .await
    }

    /// Remove a user or a group from `parent_name` (`POST /api/2.0/groups/remove-member`).
    pub async fn remove_member(&self, parent_name: &str, member: &Principal) -> Result<()> {
        self.membership("/api/2.0/groups/remove-member", parent_name, member)
            .await
    }

    async fn membership(&self, path: &str, parent_name: &str, member: &Principal) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            parent_name: &'a str,
            #[serde(flatten)]
            member: &'a Principal,
        }
        let req = Request::post(path)
            .json(&Body {
                parent_name,
                member,
            })?
            // Setting the same membership twice leaves the same state.
            .idempotent(true);
        self.client.call::<Value>(req).await.map(drop)
    }

    /// Every group's name (`GET /api/2.0/groups/list`).
    pub async fn list(&self) -> Result<Vec<String>> {
        let resp: GroupNames = self
            .client
            .call(Request::get("/api/2.0/groups/list"))
            .await?;
        Ok(resp.group_names)
    }

    /// The direct members of `group_name` (`GET /api/2.0/groups/list-members`): users and
    /// groups, typed.
    pub async fn list_members(&self, group_name: &str) -> Result<Vec<Member>> {
        #[derive(Deserialize)]
        struct Members {
            #[serde(default)]
            members: Vec<Member>,
        }
        let req = Request::get("/api/2.0/groups/list-members").query("group_name", group_name);
        let resp: Members = self.client.call(req).await?;
        Ok(resp.members)
    }

    /// The groups `member` belongs to directly (`GET /api/2.0/groups/list-parents`); not
    /// recursive.
    pub async fn list_parents(&self, member: &Principal) -> Result<Vec<String>> {
        let req = Request::get("/api/2.0/groups/list-parents").query(member.key(), member.name());
        let resp: GroupNames = self.client.call(req).await?;
        Ok(resp.group_names)
    }

    /// Delete a group (`POST /api/2.0/groups/delete`); its members are not deleted. The
    /// built-in `admins` and `users` cannot be.
    pub async fn delete(&self, group_name: &str) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            group_name: &'a str,
        }
        let req = Request::post("/api/2.0/groups/delete")
            .json(&Body { group_name })?
            // Deleting twice leaves the same state; the second answer would be a 404.
            .idempotent(true);
        self.client.call::<Value>(req).await.map(drop)
    }

    /// Whether a group named `group_name` exists (one `list` call).
    pub async fn exists(&self, group_name: &str) -> Result<bool> {
        Ok(self.list().await?.iter().any(|g| g == group_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbx_core::testing::ReplayTransport;
    use dbx_core::Config;
    use serde_json::json;

    fn api(t: &ReplayTransport) -> GroupsApi {
        let cfg = Config::builder()
            .host("https://x.invalid")
            .token("t")
            .build()
            .expect("config");
        GroupsApi::new(Client::with_transport(cfg, t.clone()))
    }

    #[tokio::test]
    async fn every_endpoint_sends_its_documented_shape() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({"group_name": "eng"}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({"group_names": ["admins", "eng", "users"]}))
            .respond_json(
                200,
                json!({"members": [{"user_name": "a@x"}, {"group_name": "sub"}, {"odd": 1}]}),
            )
            .respond_json(200, json!({"group_names": ["admins"]}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}));
        let g = api(&t);
        assert_eq!(g.create("eng").await.expect("create"), "eng");
        g.add_member("eng", &Principal::user("a@x"))
            .await
            .expect("add");
        g.remove_member("eng", &Principal::group("sub"))
            .await
            .expect("remove");
        assert_eq!(g.list().await.expect("list"), ["admins", "eng", "users"]);
        let members = g.list_members("e ng").await.expect("members");
        assert_eq!(members[0].user_name(), Some("a@x"));
        assert_eq!(members[1].group_name(), Some("sub"));
        assert!(members[2].principal().is_none());
        assert_eq!(members[2].to_string(), r#"member {"odd":1}"#);
        assert_eq!(
            g.list_parents(&Principal::group("eng"))
                .await
                .expect("parents"),
            ["admins"]
        );
        g.delete("eng").await.expect("delete");
        // A missing list key is an empty list.
        assert!(g
            .list_parents(&Principal::user("a@x"))
            .await
            .expect("none")
            .is_empty());

        let r = t.requests();
        let shape: Vec<(&str, &str, Option<&str>, Value)> = r
            .iter()
            .map(|r| {
                (
                    r.method.as_str(),
                    r.path.as_str(),
                    r.query.as_deref(),
                    r.json(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (
                    "POST",
                    "/api/2.0/groups/create",
                    None,
                    json!({"group_name": "eng"})
                ),
                (
                    "POST",
                    "/api/2.0/groups/add-member",
                    None,
                    json!({"parent_name": "eng", "user_name": "a@x"})
                ),
                (
                    "POST",
                    "/api/2.0/groups/remove-member",
                    None,
                    json!({"parent_name": "eng", "group_name": "sub"})
                ),
                ("GET", "/api/2.0/groups/list", None, Value::Null),
                (
                    "GET",
                    "/api/2.0/groups/list-members",
                    Some("group_name=e+ng"),
                    Value::Null
                ),
                (
                    "GET",
                    "/api/2.0/groups/list-parents",
                    Some("group_name=eng"),
                    Value::Null
                ),
                (
                    "POST",
                    "/api/2.0/groups/delete",
                    None,
                    json!({"group_name": "eng"})
                ),
                (
                    "GET",
                    "/api/2.0/groups/list-parents",
                    Some("user_name=a%40x"),
                    Value::Null
                ),
            ]
        );
    }

    #[tokio::test]
    async fn legacy_errors_are_typed() {
        let t = ReplayTransport::new()
            .respond_json(
                400,
                json!({"error_code": "RESOURCE_ALREADY_EXISTS", "message": "Group eng already exists"}),
            )
            .respond_json(
                404,
                json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Group ghost does not exist"}),
            )
            .respond_json(200, json!({"group_names": ["eng"]}));
        let g = api(&t);
        assert!(g
            .create("eng")
            .await
            .expect_err("taken")
            .is_already_exists());
        let missing = g.list_members("ghost").await.expect_err("missing");
        assert!(missing.is_not_found());
        assert!(g.exists("eng").await.expect("exists"));
    }

    #[test]
    fn members_round_trip_and_print() {
        let m = Member::Known(Principal::user("a@x"));
        assert_eq!(
            serde_json::to_value(&m).expect("json"),
            json!({"user_name": "a@x"})
        );
        assert_eq!(m.to_string(), "user a@x");
        assert_eq!(Principal::group("g").to_string(), "group g");
        let both: Member =
            serde_json::from_value(json!({"user_name": "a", "group_name": "b"})).expect("decode");
        assert!(matches!(both, Member::Unknown(_)));
    }
}
