//! # dbx-scim
//!
//! The Databricks workspace [SCIM API](https://docs.databricks.com/api/workspace/users)
//! (`/api/2.0/preview/scim/v2`): users, groups and service principals, and `Me`, the caller.
//!
//! ```no_run
//! # async fn demo() -> dbx_core::Result<()> {
//! use dbx_core::Client;
//! use dbx_scim::{Entitlement, Filter, Group, MemberName, PatchRequest, ScimApi, User};
//! use futures::TryStreamExt;
//!
//! let scim = ScimApi::new(Client::from_env()?);
//! let ann = scim.users().create(&User::new("ann@example.com").display_name("Ann")).await?;
//! let team = scim.groups().create(&Group::new("data-eng")).await?;
//! scim.add_member("data-eng", &MemberName::user("ann@example.com")).await?;
//!
//! // Grant an entitlement, then deactivate: one PATCH, two operations.
//! let ann_id = ann.id.clone().expect("the service assigns an id");
//! let patch = PatchRequest::new()
//!     .add_entitlements([&Entitlement::AllowClusterCreate])
//!     .replace("active", false);
//! scim.users().patch(&ann_id, &patch).await?;
//!
//! // A lazy, paged, de-duplicated listing; the value is escaped, whatever it holds.
//! let found: Vec<User> = scim
//!     .users()
//!     .list()
//!     .filter(Filter::sw("userName", "ann@"))
//!     .attributes(["userName", "groups"])
//!     .stream()
//!     .try_collect()
//!     .await?;
//! println!("{} match; Ann is in {:?}", found.len(), scim.effective_groups("ann@example.com").await?);
//! # let _ = team;
//! # Ok(()) }
//! ```
//!
//! * Resources are typed ([`User`], [`Group`], [`ServicePrincipal`]) with the wire's camelCase
//!   names; attributes this version does not know land in their `extra` map and are sent back
//!   unchanged by [`Endpoint::replace`].
//! * [`Filter`] builds filter expressions whose values are always escaped;
//!   [`ListRequest::attributes`] / [`ListRequest::excluded_attributes`] project;
//!   [`ListRequest::sort_by`] / [`ListRequest::sort_order`] sort.
//! * [`PatchRequest`] builds RFC 7644 PATCH bodies: `add` / `remove` / `replace`, paths such as
//!   `members[value eq "…"]` ([`PatchPath`]), value-only adds, and always the PatchOp `schemas`.
//! * [`ListRequest::stream`] walks `startIndex`/`count` lazily, stops on an empty page or at
//!   `totalResults`, drops resources already yielded (pages shift under concurrent writes), and
//!   stops when a page brings nothing new, so a server that ignores `startIndex` cannot make it
//!   loop.
//! * Helpers: [`ScimApi::find_user`], [`ScimApi::find_group`],
//!   [`ScimApi::find_service_principal`], [`ScimApi::add_member`], [`ScimApi::remove_member`],
//!   [`ScimApi::effective_groups`].
//!
//! Errors are [`dbx_core::Error`]s; SCIM error bodies (`{"schemas": [...Error], "detail",
//! "status", "scimType"}`) become `error_code` `SCIM_<status>` with `"<scimType> <detail>"` as the
//! message, so `is_not_found()`, `is_already_exists()` (409) and `is_permission_denied()` work
//! as everywhere else.
//!
//! ## From `databricksapi`
//!
//! The original package's `SCIM` class never reached the wire: every one of its methods passes
//! keyword arguments `requests` does not take (`accept=`, `payload=`) and raises `TypeError`
//! before sending (docs/mapping.md, bug 7). Here is what each was meant to do:
//!
//! | `databricksapi` 1.1.8 `SCIM.…` | dbx-scim [`ScimApi`] |
//! |---|---|
//! | `getUsers(filter_string)` | [`users`](ScimApi::users)`().list().filter(Filter::…).stream()` (or `.page(1)`) |
//! | `getUsersById(user_id, filter_string)` | [`users`](ScimApi::users)`().get(&id)` / `.get_with(&id, &Projection)` |
//! | `createUser(schemas, userName, groups, entitlements)` | [`users`](ScimApi::users)`().create(&User::new(name).group(..).entitlement(..))` |
//! | `updateUserByIdPatch(user_id, schemas, operations)` | [`users`](ScimApi::users)`().patch(&id, &PatchRequest)` (the `schemas` are sent for you) |
//! | `updateUserByIdPut(user_id, schemas, userName, entitlements, roles, groups)` | [`users`](ScimApi::users)`().replace(&id, &user)` |
//! | `deleteUserById(user_id)` | [`users`](ScimApi::users)`().delete(&id)` |
//! | `getGroups(filter_string)` | [`groups`](ScimApi::groups)`().list().filter(..)` |
//! | `getGroupById(group_id)` | [`groups`](ScimApi::groups)`().get(&id)` |
//! | `createGroup(group_id, schemas, displayName, members)` (posted to `Groups/{group_id}`: wrong) | [`groups`](ScimApi::groups)`().create(&Group::new(name).member_id(..))` (posts to `Groups`) |
//! | `updateGroup(group_id, schemas, operations)` | [`groups`](ScimApi::groups)`().patch(&id, &PatchRequest)` |
//! | `deleteGroup(group_id)` | [`groups`](ScimApi::groups)`().delete(&id)` |
//! | – | [`service_principals`](ScimApi::service_principals)`()` (the same calls), [`me`](ScimApi::me), the helpers |
//!
//! The original appended its filter string to the URL unencoded; here the filter travels as a
//! properly encoded `filter` query parameter, built by [`Filter`] or passed verbatim with
//! [`ListRequest::filter_raw`].

mod filter;
mod model;
mod patch;

use std::collections::{HashSet, VecDeque};
use std::marker::PhantomData;

use dbx_core::paginate::{items, scim_pages, ItemStream, PageStream, ScimPage};
use dbx_core::{
    encode_path_segment, ApiError, CallOptions, Client, Error, ErrorCode, Request, Result,
};
use futures::{stream, TryStreamExt};

pub use filter::{CompareOp, Filter, FilterValue};
pub use model::{
    ComplexValue, Entitlement, Group, GroupId, ListResponse, Meta, Name, ResourceKind,
    ScimResource, ServicePrincipal, ServicePrincipalId, SortOrder, User, UserId, GROUP_SCHEMA,
    LIST_RESPONSE_SCHEMA, PATCH_OP_SCHEMA, SERVICE_PRINCIPAL_SCHEMA, USER_SCHEMA,
    WORKSPACE_USER_SCHEMA,
};
pub use patch::{PatchOpKind, PatchOperation, PatchPath, PatchRequest};

/// Where the workspace SCIM API lives.
pub const SCIM_BASE: &str = "/api/2.0/preview/scim/v2";

/// The page size [`ListRequest::stream`] asks for unless told otherwise.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// The SCIM API: one [`Endpoint`] per resource type, `Me`, and the helpers.
#[derive(Debug, Clone)]
pub struct ScimApi {
    client: Client,
}

impl ScimApi {
    /// The SCIM API over `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// `/Users`.
    pub fn users(&self) -> Endpoint<User> {
        Endpoint::new(self.client.clone())
    }

    /// `/Groups`.
    pub fn groups(&self) -> Endpoint<Group> {
        Endpoint::new(self.client.clone())
    }

    /// `/ServicePrincipals`.
    pub fn service_principals(&self) -> Endpoint<ServicePrincipal> {
        Endpoint::new(self.client.clone())
    }

    /// The caller (`GET /Me`): a user, or a service principal seen as a user (its `userName`
    /// is its application id). Every caller may read themselves.
    pub async fn me(&self) -> Result<User> {
        self.me_with(&Projection::default()).await
    }

    /// The caller, projected.
    pub async fn me_with(&self, projection: &Projection) -> Result<User> {
        let req = projection.apply(Request::get(format!("{SCIM_BASE}/Me")));
        self.client.call(req).await
    }

    /// The user whose `userName` is `user_name` (compared case-insensitively by the service, as
    /// RFC 7643 says for `userName`), if any.
    pub async fn find_user(&self, user_name: &str) -> Result<Option<User>> {
        self.users().find_by_name(user_name).await
    }

    /// The group whose `displayName` is `display_name`, if any.
    pub async fn find_group(&self, display_name: &str) -> Result<Option<Group>> {
        self.groups().find_by_name(display_name).await
    }

    /// The service principal whose `applicationId` is `application_id`, if any.
    pub async fn find_service_principal(
        &self,
        application_id: &str,
    ) -> Result<Option<ServicePrincipal>> {
        self.service_principals().find_by_name(application_id).await
    }

    /// Resolve a member's name to its id.
    pub async fn resolve(&self, member: &MemberName) -> Result<String> {
        let id = match member {
            MemberName::User(n) => self.find_user(n).await?.and_then(|u| u.id).map(|i| i.0),
            MemberName::Group(n) => self.find_group(n).await?.and_then(|g| g.id).map(|i| i.0),
            MemberName::ServicePrincipal(n) => self
                .find_service_principal(n)
                .await?
                .and_then(|s| s.id)
                .map(|i| i.0),
        };
        id.ok_or_else(|| not_found(member.kind(), member.name_attr(), member.name()))
    }

    async fn group_id(&self, group: &str) -> Result<GroupId> {
        self.find_group(group)
            .await?
            .and_then(|g| g.id)
            .ok_or_else(|| not_found(ResourceKind::Group, "displayName", group))
    }

    /// Add `member` to the group named `group`: two look-ups by name, then
    /// `PATCH /Groups/{id}` `add` `members`. A name that matches nothing is a not-found error
    /// ([`Error::is_not_found`]) raised before the PATCH.
    pub async fn add_member(&self, group: &str, member: &MemberName) -> Result<()> {
        let gid = self.group_id(group).await?;
        let mid = self.resolve(member).await?;
        self.groups()
            .patch(&gid, &PatchRequest::new().add_members([mid]))
            .await
            .map(drop)
    }

    /// Remove `member` from the group named `group`: `remove` `members[value eq "id"]`.
    pub async fn remove_member(&self, group: &str, member: &MemberName) -> Result<()> {
        let gid = self.group_id(group).await?;
        let mid = self.resolve(member).await?;
        self.groups()
            .patch(&gid, &PatchRequest::new().remove_member(mid))
            .await
            .map(drop)
    }

    /// Every group the user named `user_name` belongs to, directly or through nested groups:
    /// the user's `groups` (the service marks them `direct` or `indirect`), then each group's
    /// own parent `groups`, followed upwards, each group once. The implicit `users` group is
    /// listed only if the service lists it. A user that does not exist is a not-found error.
    pub async fn effective_groups(&self, user_name: &str) -> Result<Vec<EffectiveGroup>> {
        let user = self
            .find_user(user_name)
            .await?
            .ok_or_else(|| not_found(ResourceKind::User, "userName", user_name))?;
        let mut out: Vec<EffectiveGroup> = Vec::new();
        let mut seen = HashSet::new();
        let mut queue = VecDeque::new();
        for g in &user.groups {
            let Some(id) = g.value.clone() else { continue };
            if seen.insert(id.clone()) {
                out.push(EffectiveGroup {
                    id: GroupId(id.clone()),
                    display_name: g.display.clone(),
                    direct: g.kind.as_deref() != Some("indirect"),
                });
                queue.push_back(id);
            }
        }
        let parents = Projection::attributes(["displayName", "groups"]);
        while let Some(id) = queue.pop_front() {
            let group = match self.groups().get_with(&GroupId(id), &parents).await {
                Ok(g) => g,
                // Deleted while we walk: nothing above it to follow.
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            for p in group.groups {
                let Some(pid) = p.value else { continue };
                if seen.insert(pid.clone()) {
                    out.push(EffectiveGroup {
                        id: GroupId(pid.clone()),
                        display_name: p.display,
                        direct: false,
                    });
                    queue.push_back(pid);
                }
            }
        }
        Ok(out)
    }
}

/// A group a user belongs to, as [`ScimApi::effective_groups`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EffectiveGroup {
    /// The group's id.
    pub id: GroupId,
    /// Its `displayName`, when the service sent it.
    pub display_name: Option<String>,
    /// Whether the user is a member itself (not through another group).
    pub direct: bool,
}

/// A group member named the way people name them: a user by `userName`, a group by
/// `displayName`, a service principal by `applicationId`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MemberName {
    /// A user, by `userName`.
    User(String),
    /// A group, by `displayName`.
    Group(String),
    /// A service principal, by `applicationId`.
    ServicePrincipal(String),
}

impl MemberName {
    /// A user, by `userName`.
    pub fn user(name: impl Into<String>) -> Self {
        Self::User(name.into())
    }

    /// A group, by `displayName`.
    pub fn group(name: impl Into<String>) -> Self {
        Self::Group(name.into())
    }

    /// A service principal, by `applicationId`.
    pub fn service_principal(application_id: impl Into<String>) -> Self {
        Self::ServicePrincipal(application_id.into())
    }

    fn name(&self) -> &str {
        match self {
            Self::User(n) | Self::Group(n) | Self::ServicePrincipal(n) => n,
        }
    }

    fn kind(&self) -> ResourceKind {
        match self {
            Self::User(_) => ResourceKind::User,
            Self::Group(_) => ResourceKind::Group,
            Self::ServicePrincipal(_) => ResourceKind::ServicePrincipal,
        }
    }

    fn name_attr(&self) -> &'static str {
        match self {
            Self::User(_) => User::NAME_ATTR,
            Self::Group(_) => Group::NAME_ATTR,
            Self::ServicePrincipal(_) => ServicePrincipal::NAME_ATTR,
        }
    }
}

/// A not-found error raised by a helper before it sends the call that needed the id. It has the
/// shape of a 404 answer so that [`Error::is_not_found`] holds; the message says it came from
/// here.
fn not_found(kind: ResourceKind, attr: &str, name: &str) -> Error {
    Error::Api(Box::new(ApiError {
        status: http::StatusCode::NOT_FOUND,
        error_code: ErrorCode::ResourceDoesNotExist.as_str().to_owned(),
        code: ErrorCode::ResourceDoesNotExist,
        message: format!(
            "dbx-scim: no {} with {attr} {name:?}",
            kind.endpoint().trim_end_matches('s')
        ),
        request_id: None,
        details: Vec::new(),
        retry_after: None,
    }))
}

/// `attributes` / `excludedAttributes`: which attributes a read returns (RFC 7644 §3.9). `id`
/// and `schemas` always come back.
///
/// ```
/// let p = dbx_scim::Projection::attributes(["userName", "groups"]).excluding(["emails"]);
/// assert_eq!(p.attributes.as_deref(), Some("userName,groups"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// `attributes`, comma-separated.
    pub attributes: Option<String>,
    /// `excludedAttributes`, comma-separated.
    pub excluded_attributes: Option<String>,
}

fn join<I, S>(names: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    names
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(",")
}

impl Projection {
    /// Return only these attributes (plus `id` and `schemas`).
    pub fn attributes<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self {
            attributes: Some(join(names)),
            excluded_attributes: None,
        }
    }

    /// Leave these attributes out.
    pub fn excluding<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.excluded_attributes = Some(join(names));
        self
    }

    fn apply(&self, req: Request) -> Request {
        req.query_opt("attributes", self.attributes.as_deref())
            .query_opt("excludedAttributes", self.excluded_attributes.as_deref())
    }
}

/// One SCIM resource endpoint (`/Users`, `/Groups` or `/ServicePrincipals`), typed by its
/// resource.
pub struct Endpoint<R> {
    client: Client,
    _resource: PhantomData<fn() -> R>,
}

impl<R> Clone for Endpoint<R> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            _resource: PhantomData,
        }
    }
}

impl<R: ScimResource> std::fmt::Debug for Endpoint<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("resource", &R::KIND.endpoint())
            .finish()
    }
}

impl<R: ScimResource> Endpoint<R> {
    fn new(client: Client) -> Self {
        Self {
            client,
            _resource: PhantomData,
        }
    }

    fn collection(&self) -> String {
        format!("{SCIM_BASE}/{}", R::KIND.endpoint())
    }

    fn item(&self, id: &R::Id) -> String {
        format!("{}/{}", self.collection(), encode_path_segment(id.as_ref()))
    }

    /// Start a listing (`GET /{Resources}`): set a filter, projection, sort and page size, then
    /// [`stream`](ListRequest::stream) every match or fetch one [`page`](ListRequest::page).
    pub fn list(&self) -> ListRequest<R> {
        ListRequest {
            endpoint: self.clone(),
            filter: None,
            projection: Projection::default(),
            sort_by: None,
            sort_order: None,
            count: None,
            options: CallOptions::default(),
        }
    }

    /// One resource by id (`GET /{Resources}/{id}`); 404 when there is none.
    pub async fn get(&self, id: &R::Id) -> Result<R> {
        self.get_with(id, &Projection::default()).await
    }

    /// One resource by id, projected.
    pub async fn get_with(&self, id: &R::Id, projection: &Projection) -> Result<R> {
        let req = projection.apply(Request::get(self.item(id)));
        self.client.call(req).await
    }

    /// Create a resource (`POST /{Resources}`, answered 201 with the resource as stored). Not
    /// retried after a timeout (it could be created twice); a taken name is a 409
    /// ([`Error::is_already_exists`]).
    pub async fn create(&self, resource: &R) -> Result<R> {
        let req = Request::post(self.collection()).json(resource)?;
        self.client.call(req).await
    }

    /// Replace a resource (`PUT /{Resources}/{id}`): attributes left out are cleared. The
    /// resource as stored when the service sends it back (200), `None` when it answers 204.
    pub async fn replace(&self, id: &R::Id, resource: &R) -> Result<Option<R>> {
        let req = Request::put(self.item(id)).json(resource)?;
        self.maybe_resource(req).await
    }

    /// Apply a PATCH (`PATCH /{Resources}/{id}`) built with [`PatchRequest`]; the PatchOp
    /// `schemas` are sent for you. The resource when the service sends it back (200), `None`
    /// when it answers 204. An empty or malformed request is refused before sending.
    pub async fn patch(&self, id: &R::Id, patch: &PatchRequest) -> Result<Option<R>> {
        if patch.is_empty() {
            return Err(Error::InvalidRequest(
                "SCIM PATCH with no operations: add at least one".into(),
            ));
        }
        patch.validate()?;
        let req = Request::patch(self.item(id)).json(patch)?;
        self.maybe_resource(req).await
    }

    /// Delete a resource (`DELETE /{Resources}/{id}`, answered 204); 404 when there is none.
    pub async fn delete(&self, id: &R::Id) -> Result<()> {
        self.client
            .execute(Request::delete(self.item(id)))
            .await
            .map(drop)
    }

    /// The resource whose naming attribute (`userName`, `displayName`, `applicationId`) equals
    /// `name`, if any: `filter=<attr> eq "<name>"`, one page. When several come back (the
    /// comparison is case-insensitive) the exact match is preferred.
    pub async fn find_by_name(&self, name: &str) -> Result<Option<R>> {
        let page = self
            .list()
            .filter(Filter::eq(R::NAME_ATTR, name))
            .page(1)
            .await?;
        let exact = page.resources.iter().position(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| {
                    v.get(R::NAME_ATTR)
                        .and_then(|n| n.as_str())
                        .map(|n| n == name)
                })
                .unwrap_or(false)
        });
        let mut resources = page.resources;
        Ok(match exact {
            Some(i) => Some(resources.swap_remove(i)),
            None => resources.into_iter().next(),
        })
    }

    async fn maybe_resource(&self, req: Request) -> Result<Option<R>> {
        let resp = self.client.execute(req).await?;
        let body = resp.body();
        if resp.status() == http::StatusCode::NO_CONTENT || body.iter().all(u8::is_ascii_whitespace)
        {
            return Ok(None);
        }
        dbx_core::decode(body).map(Some)
    }
}

/// Builder for [`Endpoint::list`].
#[must_use = "call .stream(), .page(..) or .all()"]
pub struct ListRequest<R> {
    endpoint: Endpoint<R>,
    filter: Option<FilterText>,
    projection: Projection,
    sort_by: Option<String>,
    sort_order: Option<SortOrder>,
    count: Option<u64>,
    options: CallOptions,
}

#[derive(Debug, Clone)]
enum FilterText {
    Built(Filter),
    Raw(String),
}

impl<R: ScimResource> std::fmt::Debug for ListRequest<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListRequest")
            .field("resource", &R::KIND.endpoint())
            .field("filter", &self.filter)
            .field("projection", &self.projection)
            .field("sort_by", &self.sort_by)
            .field("sort_order", &self.sort_order)
            .field("count", &self.count)
            .finish()
    }
}

impl<R: ScimResource> ListRequest<R> {
    /// Only resources matching `filter` (values escaped; attribute names checked before
    /// sending).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(FilterText::Built(filter));
        self
    }

    /// A filter string sent verbatim, e.g. one read from a configuration file. Nothing is
    /// escaped: never build it from untrusted input, use [`ListRequest::filter`].
    pub fn filter_raw(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(FilterText::Raw(filter.into()));
        self
    }

    /// Return only these attributes (plus `id` and `schemas`).
    pub fn attributes<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.projection.attributes = Some(join(names));
        self
    }

    /// Leave these attributes out.
    pub fn excluded_attributes<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.projection.excluded_attributes = Some(join(names));
        self
    }

    /// Sort by this attribute (`userName`, `name.givenName`, `displayName`...).
    pub fn sort_by(mut self, attr: impl Into<String>) -> Self {
        self.sort_by = Some(attr.into());
        self
    }

    /// Sort order (with [`ListRequest::sort_by`]).
    pub fn sort_order(mut self, order: SortOrder) -> Self {
        self.sort_order = Some(order);
        self
    }

    /// Page size (`count`); [`DEFAULT_PAGE_SIZE`] for [`ListRequest::stream`] when unset, the
    /// server's default for [`ListRequest::page`].
    pub fn count(mut self, count: u64) -> Self {
        self.count = Some(count);
        self
    }

    /// Per-call options (timeout, retry policy) for every page request.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    fn filter_text(&self) -> Result<Option<String>> {
        match &self.filter {
            None => Ok(None),
            Some(FilterText::Raw(s)) => Ok(Some(s.clone())),
            Some(FilterText::Built(f)) => {
                f.validate()?;
                Ok(Some(f.to_string()))
            }
        }
    }

    /// The request for one page, less `startIndex`/`count`.
    fn base_request(&self) -> Result<Request> {
        let req = Request::get(self.endpoint.collection())
            .query_opt("filter", self.filter_text()?)
            .query_opt("sortBy", self.sort_by.as_deref())
            .query_opt("sortOrder", self.sort_order.as_ref().map(SortOrder::as_str));
        Ok(self.projection.apply(req).options(self.options.clone()))
    }

    /// One page from the 1-based `start_index` (`count` as set, else the server's default).
    pub async fn page(&self, start_index: u64) -> Result<ListResponse<R>> {
        let req = self
            .base_request()?
            .query("startIndex", start_index)
            .query_opt("count", self.count);
        self.endpoint.client.call(req).await
    }

    /// Every matching resource, as a lazy stream: nothing is sent until it is polled; then
    /// `startIndex` 1, 1 + the resources received, ... with `count` per page, until a page is
    /// empty or `totalResults` is reached. A resource already yielded (same id) is dropped, and
    /// a page that brings no new resource ends the stream: a server that ignores `startIndex`
    /// gets two requests, not an endless loop. (The price: if more than a page of resources is
    /// inserted ahead of the cursor between two requests, the walk ends early.)
    pub fn stream(self) -> ItemStream<R> {
        let base = match self.base_request() {
            Ok(b) => b,
            Err(e) => return Box::pin(stream::once(async move { Err(e) })),
        };
        let count = self.count.unwrap_or(DEFAULT_PAGE_SIZE).max(1);
        let client = self.endpoint.client.clone();
        let pages = scim_pages(count, move |start, count| {
            let req = base
                .clone()
                .query("startIndex", start)
                .query("count", count);
            let client = client.clone();
            async move {
                let page: ListResponse<R> = client.call(req).await?;
                Ok(ScimPage {
                    items: page.resources,
                    total_results: page.total_results,
                })
            }
        });
        items(only_new(pages))
    }

    /// Every matching resource, collected ([`ListRequest::stream`]).
    pub async fn all(self) -> Result<Vec<R>> {
        self.stream().try_collect().await
    }
}

/// De-duplicate by id across pages, and end at the first page with nothing new.
fn only_new<R: ScimResource>(pages: PageStream<R>) -> PageStream<R> {
    let st = (pages, HashSet::<String>::new());
    Box::pin(stream::try_unfold(st, |(mut pages, mut seen)| async move {
        let Some(page) = pages.try_next().await? else {
            return Ok(None);
        };
        let fresh: Vec<R> = page
            .into_iter()
            .filter(|r| seen.insert(dedup_key(r)))
            .collect();
        if fresh.is_empty() {
            return Ok(None);
        }
        Ok(Some((fresh, (pages, seen))))
    }))
}

fn dedup_key<R: ScimResource>(r: &R) -> String {
    match r.id() {
        Some(id) => format!("id:{}", id.as_ref()),
        // No id (never on Databricks: `id` is always returned): the whole resource is the key.
        None => format!("json:{}", serde_json::to_string(r).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests;
