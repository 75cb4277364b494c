//! # dbx-clusters
//!
//! The Databricks [Clusters API](https://docs.databricks.com/api/workspace/clusters): create,
//! edit, start, restart, resize, terminate and delete clusters; list them and their events; the
//! node types, zones and runtime versions a workspace offers; waiters for the cluster state
//! machine and selectors for runtime versions and node types. Every call goes to
//! `/api/2.1/clusters/*`, as the official SDKs' calls do.
//!
//! ```no_run
//! # async fn demo() -> Result<(), dbx_clusters::ClusterError> {
//! use dbx_clusters::{ClusterSpec, ClustersApi, NodeTypeQuery, SparkVersionQuery};
//!
//! let clusters = ClustersApi::new(dbx_core::Client::from_env()?);
//! let spark_version = clusters.select_spark_version(&SparkVersionQuery::new().lts()).await?;
//! let node_type = clusters.select_node_type(&NodeTypeQuery::new().local_disk()).await?;
//! let spec = ClusterSpec::new(spark_version)
//!     .cluster_name("nightly-etl")
//!     .node_type_id(node_type)
//!     .num_workers(2)
//!     .autotermination_minutes(30);
//! let cluster = clusters.create_and_wait(&spec).await?; // RUNNING, or an error saying why not
//! let id = cluster.id();
//! clusters.resize_and_wait(&id, 4).await?;
//! clusters.delete_and_wait(&id).await?; // terminated
//! clusters.permanent_delete(&id).await?;
//! # Ok(()) }
//! ```
//!
//! ## States
//!
//! `create` and `start` return with the cluster `PENDING`; it becomes `RUNNING` on its own.
//! `restart` goes through `RESTARTING`, `resize` through `RESIZING`, an `edit` of a running
//! cluster through `RESTARTING`; `delete` (terminate) through `TERMINATING` to `TERMINATED`.
//! A call in a state that does not allow it fails with `INVALID_STATE` (for example `start` on
//! a running cluster: "Cluster <id> is in unexpected state Running."). See <https://docs.databricks.com/api/workspace/clusters> in
//! `docs/` and [`State`].
//!
//! The waiters ([`ClustersApi::wait_running`], [`ClustersApi::create_and_wait`], ...,
//! [`ClustersApi::ensure_running`]) poll `get` with backoff for up to 20 minutes (set with
//! [`ClustersApi::with_wait_policy`]) and return a typed outcome: the cluster, or a
//! [`ClusterError`] that says it terminated (with `termination_reason` and `state_message`) or
//! that time ran out (with the last state seen). They are cancel-safe.
//!
//! ## Unknown fields survive
//!
//! Databricks keeps adding cluster settings. [`ClusterSpec`] and [`ClusterDetails`] keep every
//! field this crate does not model in `extra` and send it back, so
//! `get` → [`ClusterDetails::to_spec`] → change → [`ClustersApi::edit`] never drops a setting.
//! Every enumeration is open: a new state, event type or termination code arrives as
//! `Unknown(String)`.
//!
//! ## From `databricksapi`
//!
//! | `databricksapi` 1.1.8 `Clusters.…` | dbx-clusters [`ClustersApi`] |
//! |---|---|
//! | `createCluster(worker, worker_type, cluster_name, spark_version, cluster_log_conf, node_type_id, …)` | [`create`](ClustersApi::create)`(&ClusterSpec::new(v).cluster_name(..).node_type_id(..).num_workers(n))` (`worker_type='autoscale'`: [`.autoscale(AutoScale::new(min, max))`](ClusterSpec::autoscale)); or [`create_and_wait`](ClustersApi::create_and_wait) |
//! | `editCluster(worker, worker_type, cluster_id, …)` | [`edit`](ClustersApi::edit)`(&id, &spec)`, typically with `get(&id).to_spec()` changed; [`edit_and_wait`](ClustersApi::edit_and_wait); partial changes: [`update`](ClustersApi::update) |
//! | `startCluster(cluster_id)` | [`start`](ClustersApi::start) / [`start_and_wait`](ClustersApi::start_and_wait) / [`ensure_running`](ClustersApi::ensure_running) |
//! | `restartCluster(cluster_id)` | [`restart`](ClustersApi::restart) / [`restart_and_wait`](ClustersApi::restart_and_wait) |
//! | `resizeCluster(cluster_id, worker, worker_type)` | [`resize`](ClustersApi::resize)`(&id, n)` or `(&id, AutoScale::new(min, max))` / [`resize_and_wait`](ClustersApi::resize_and_wait). The original's `'workers'` branch overwrote `cluster_id` with the count and never sent `num_workers`; here the size is a typed [`Workers`] sent next to the id. |
//! | `terminateCluster(cluster_id)` | [`delete`](ClustersApi::delete) (alias [`terminate`](ClustersApi::terminate)) / [`delete_and_wait`](ClustersApi::delete_and_wait) |
//! | `deleteCluster(cluster_id)` | [`permanent_delete`](ClustersApi::permanent_delete) |
//! | `getCluster(cluster_id)` | [`get`](ClustersApi::get) |
//! | `pinCluster(cluster_id)` | [`pin`](ClustersApi::pin) |
//! | `unpinCluster(cluster_id)` | [`unpin`](ClustersApi::unpin) |
//! | `listClusters()` | [`list`](ClustersApi::list)`()` (a lazy stream over 2.1 pages, with filters and sorting) |
//! | `listNodeTypes()` | [`list_node_types`](ClustersApi::list_node_types); [`select_node_type`](ClustersApi::select_node_type) |
//! | `listZones()` | [`list_zones`](ClustersApi::list_zones) |
//! | `getSparkVersions()` | [`spark_versions`](ClustersApi::spark_versions); [`select_spark_version`](ClustersApi::select_spark_version) |
//! | `getClusterEvents(cluster_id, order, start_time, end_time, event_types, offset, limit)` | [`events`](ClustersApi::events)`(&id).order(..).start_time(..).end_time(..).event_types(..).offset(..).limit(..)`, then `.stream()` (every page) or `.page()` (one) |
//! | – | [`change_owner`](ClustersApi::change_owner), [`update`](ClustersApi::update), [`wait_running`](ClustersApi::wait_running), [`wait_terminated`](ClustersApi::wait_terminated) |
//!
//! Differences from the original: GET parameters travel in the query string (the original sent
//! a JSON body on GET); errors are [`dbx_core::Error`]s instead of error dictionaries returned as
//! results; `cluster_log_conf` is sent only when set (the original always sent it, `null` when
//! absent); worker kinds are typed instead of case-sensitive strings.

mod enums;
mod error;
mod model;
mod select;
mod wait;

use std::collections::HashSet;

use dbx_core::paginate::{self, ItemStream, PageStream, TokenPage};
use dbx_core::wait::PollPolicy;
use dbx_core::{CallOptions, Client, Request, Result};
use futures::stream;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use enums::*;
pub use error::ClusterError;
pub use model::*;
pub use select::{NodeTypeQuery, SparkVersionQuery};

/// The base path of every call.
const BASE: &str = "/api/2.1/clusters";

/// The Clusters API.
///
/// ```no_run
/// # fn demo() -> dbx_core::Result<()> {
/// let clusters = dbx_clusters::ClustersApi::new(dbx_core::Client::from_env()?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClustersApi {
    client: Client,
    wait: PollPolicy,
}

#[derive(Deserialize)]
struct CreateResponse {
    cluster_id: ClusterId,
}

#[derive(Serialize)]
struct IdBody<'a> {
    cluster_id: &'a ClusterId,
}

#[derive(Deserialize)]
struct NodeTypesResponse {
    #[serde(default, deserialize_with = "model::null_as_empty")]
    node_types: Vec<NodeType>,
}

#[derive(Deserialize)]
struct SparkVersionsResponse {
    #[serde(default, deserialize_with = "model::null_as_empty")]
    versions: Vec<SparkVersion>,
}

#[derive(Deserialize)]
struct ListResponse {
    #[serde(default, deserialize_with = "model::null_as_empty")]
    clusters: Vec<ClusterDetails>,
    #[serde(default)]
    next_page_token: Option<String>,
}

impl ClustersApi {
    /// The Clusters API over `client`, with the default wait policy (20 minutes).
    pub fn new(client: Client) -> Self {
        Self {
            client,
            wait: PollPolicy::default(),
        }
    }

    /// This API with `options` applied to every call made through the returned handle (see
    /// [`dbx_core::Client::with_options`]).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi) -> dbx_core::Result<()> {
    /// use std::time::Duration;
    /// use dbx_core::CallOptions;
    /// let quick = clusters.with_options(CallOptions::default().with_timeout(Duration::from_secs(5)));
    /// let zones = quick.list_zones().await?;
    /// # Ok(()) }
    /// ```
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            client: self.client.with_options(options),
            wait: self.wait.clone(),
        }
    }

    /// Create a cluster (`POST /api/2.1/clusters/create`) and return its id at once; the
    /// cluster is `PENDING` and becomes `RUNNING` by itself (see
    /// [`create_and_wait`](ClustersApi::create_and_wait)). `spark_version` is required, and
    /// `node_type_id` unless an instance pool is given; invalid settings answer
    /// `INVALID_PARAMETER_VALUE`.
    ///
    /// Not retried after a timeout or a broken connection (a retry could create a second
    /// cluster) unless the spec carries an `idempotency_token`.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi) -> dbx_core::Result<()> {
    /// use dbx_clusters::ClusterSpec;
    /// let id = clusters
    ///     .create(&ClusterSpec::new("13.3.x-scala2.12").node_type_id("i3.xlarge").num_workers(0))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, spec: &ClusterSpec) -> Result<ClusterId> {
        let req = Request::post(format!("{BASE}/create"))
            .json(spec)?
            .default_idempotent(spec.idempotency_token.is_some());
        let resp: CreateResponse = self.client.call(req).await?;
        Ok(resp.cluster_id)
    }

    /// Replace a cluster's settings (`POST /api/2.1/clusters/edit`). Allowed when the cluster
    /// is `RUNNING` (it restarts) or `TERMINATED` (it stays terminated); otherwise
    /// `INVALID_STATE`. `spec` is the full new configuration: start from
    /// [`ClusterDetails::to_spec`] to keep what you do not change (unknown fields included).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// let spec = clusters.get(&id).await?.to_spec().custom_tag("cost-center", "42");
    /// clusters.edit(&id, &spec).await?;
    /// # Ok(()) }
    /// ```
    pub async fn edit(&self, cluster_id: &ClusterId, spec: &ClusterSpec) -> Result<()> {
        let mut body = to_object(spec)?;
        body.insert("cluster_id".into(), Value::String(cluster_id.0.clone()));
        // Not repeated after a timeout: a first edit that went through has the cluster
        // RESTARTING, and the repeat would fail with INVALID_STATE.
        let req = Request::post(format!("{BASE}/edit")).json(&body)?;
        self.client.call_empty(req).await
    }

    /// Change some settings of a cluster (`POST /api/2.1/clusters/update`): the fields named in
    /// `update_mask` (wire names, e.g. `num_workers`, `spark_conf`) take their values from
    /// `cluster`; the others stay. A running cluster restarts, as with `edit`.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// use dbx_clusters::ClusterSpec;
    /// clusters
    ///     .update(&id, &["autotermination_minutes"], &ClusterSpec::default().autotermination_minutes(120))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        &self,
        cluster_id: &ClusterId,
        update_mask: &[&str],
        cluster: &ClusterSpec,
    ) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            cluster_id: &'a ClusterId,
            update_mask: String,
            cluster: &'a ClusterSpec,
        }
        if update_mask.is_empty() {
            return Err(dbx_core::Error::InvalidRequest(
                "update needs at least one field name in update_mask".into(),
            ));
        }
        let req = Request::post(format!("{BASE}/update"))
            .json(&Body {
                cluster_id,
                update_mask: update_mask.join(","),
                cluster,
            })?
            // As `edit`: a repeat after a first update went through meets RESTARTING.
            .default_idempotent(false);
        self.client.call_empty(req).await
    }

    /// Start a `TERMINATED` cluster (`POST /api/2.1/clusters/start`); it becomes `PENDING`. Any
    /// other state answers `INVALID_STATE` ("Cluster <id> is in unexpected state Running.").
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// clusters.start(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start(&self, cluster_id: &ClusterId) -> Result<()> {
        self.post_id("start", cluster_id, false).await
    }

    /// Restart a `RUNNING` cluster (`POST /api/2.1/clusters/restart`); it goes `RESTARTING`,
    /// then `RUNNING` with a new Spark context. Other states answer `INVALID_STATE`.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// clusters.restart(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn restart(&self, cluster_id: &ClusterId) -> Result<()> {
        self.post_id("restart", cluster_id, false).await
    }

    /// Resize a `RUNNING` cluster (`POST /api/2.1/clusters/resize`) to a number of workers or to
    /// autoscaling bounds; it goes `RESIZING`, then `RUNNING`. Other states answer
    /// `INVALID_STATE`.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// use dbx_clusters::AutoScale;
    /// clusters.resize(&id, 8).await?;
    /// clusters.resize(&id, AutoScale::new(2, 10)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn resize(&self, cluster_id: &ClusterId, workers: impl Into<Workers>) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            cluster_id: &'a ClusterId,
            #[serde(skip_serializing_if = "Option::is_none")]
            num_workers: Option<i32>,
            #[serde(skip_serializing_if = "Option::is_none")]
            autoscale: Option<AutoScale>,
        }
        let (num_workers, autoscale) = match workers.into() {
            Workers::Fixed(n) => (Some(n), None),
            Workers::Autoscale(a) => (None, Some(a)),
        };
        let req = Request::post(format!("{BASE}/resize"))
            .json(&Body {
                cluster_id,
                num_workers,
                autoscale,
            })?
            // A repeat after a first resize went through meets RESIZING (INVALID_STATE).
            .default_idempotent(false);
        self.client.call_empty(req).await
    }

    /// Terminate a cluster (`POST /api/2.1/clusters/delete`): it goes `TERMINATING`, then
    /// `TERMINATED`, keeping its configuration; a terminated cluster is left as it is. Use
    /// [`permanent_delete`](ClustersApi::permanent_delete) to remove it.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// clusters.delete(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, cluster_id: &ClusterId) -> Result<()> {
        self.post_id("delete", cluster_id, true).await
    }

    /// [`delete`](ClustersApi::delete) under its meaning: terminate the cluster.
    pub async fn terminate(&self, cluster_id: &ClusterId) -> Result<()> {
        self.delete(cluster_id).await
    }

    /// Terminate and remove a cluster (`POST /api/2.1/clusters/permanent-delete`); afterwards
    /// `get` and `list` no longer show it. A pinned cluster must be unpinned first.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// clusters.permanent_delete(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn permanent_delete(&self, cluster_id: &ClusterId) -> Result<()> {
        self.post_id("permanent-delete", cluster_id, true).await
    }

    /// Pin a cluster (`POST /api/2.1/clusters/pin`) so that its configuration is kept after 30
    /// days of termination. Admins only.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// clusters.pin(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn pin(&self, cluster_id: &ClusterId) -> Result<()> {
        self.post_id("pin", cluster_id, true).await
    }

    /// Unpin a cluster (`POST /api/2.1/clusters/unpin`). Admins only.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// clusters.unpin(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn unpin(&self, cluster_id: &ClusterId) -> Result<()> {
        self.post_id("unpin", cluster_id, true).await
    }

    /// Give a cluster to another owner (`POST /api/2.1/clusters/change-owner`): a user name or
    /// a service principal's application id. Admins only; the cluster must be terminated.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// clusters.change_owner(&id, "someone@example.com").await?;
    /// # Ok(()) }
    /// ```
    pub async fn change_owner(&self, cluster_id: &ClusterId, owner_username: &str) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            cluster_id: &'a ClusterId,
            owner_username: &'a str,
        }
        let req = Request::post(format!("{BASE}/change-owner"))
            .json(&Body {
                cluster_id,
                owner_username,
            })?
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// A cluster (`GET /api/2.1/clusters/get?cluster_id=`). An unknown id answers 400
    /// `INVALID_PARAMETER_VALUE` "Cluster <id> does not exist", which
    /// [`dbx_core::Error::is_not_found`] recognises.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// let c = clusters.get(&id).await?;
    /// println!("{} is {}", c.id(), c.state());
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, cluster_id: &ClusterId) -> Result<ClusterDetails> {
        self.client
            .call(Request::get(format!("{BASE}/get")).query("cluster_id", cluster_id))
            .await
    }

    /// Start listing clusters (`GET /api/2.1/clusters/list`): pinned, active and recently
    /// terminated ones. Filter and sort with the builder, then take a lazy stream of
    /// [`pages`](ListClusters::pages) or [`items`](ListClusters::items).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi) -> dbx_core::Result<()> {
    /// use futures::TryStreamExt;
    /// use dbx_clusters::{SortDirection, SortField, State};
    /// let running: Vec<_> = clusters
    ///     .list()
    ///     .states([State::Running, State::Pending])
    ///     .sort_by(SortField::ClusterName, SortDirection::Asc)
    ///     .items()
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListClusters {
        ListClusters {
            client: self.client.clone(),
            sources: Vec::new(),
            states: Vec::new(),
            is_pinned: None,
            policy_id: None,
            sort: None,
            page_size: None,
        }
    }

    /// Start reading a cluster's events (`POST /api/2.1/clusters/events`); set the window and
    /// order with the builder, then [`stream`](Events::stream) every page or read one
    /// [`page`](Events::page).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> dbx_core::Result<()> {
    /// use futures::TryStreamExt;
    /// use dbx_clusters::{EventOrder, EventType};
    /// let mut events = clusters
    ///     .events(&id)
    ///     .order(EventOrder::Asc)
    ///     .event_types([EventType::Running, EventType::Terminating])
    ///     .stream();
    /// while let Some(e) = events.try_next().await? {
    ///     println!("{:?} at {:?}", e.kind, e.timestamp);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events(&self, cluster_id: &ClusterId) -> Events {
        let mut body = Map::new();
        body.insert("cluster_id".into(), Value::String(cluster_id.0.clone()));
        Events {
            client: self.client.clone(),
            body,
        }
    }

    /// The node types the workspace offers (`GET /api/2.1/clusters/list-node-types`).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi) -> dbx_core::Result<()> {
    /// for t in clusters.list_node_types().await? {
    ///     println!("{}: {} MiB, {} cores", t.node_type_id, t.memory_mb, t.num_cores);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_node_types(&self) -> Result<Vec<NodeType>> {
        let resp: NodeTypesResponse = self
            .client
            .call(Request::get(format!("{BASE}/list-node-types")))
            .await?;
        Ok(resp.node_types)
    }

    /// The availability zones (`GET /api/2.1/clusters/list-zones`; AWS only).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi) -> dbx_core::Result<()> {
    /// let z = clusters.list_zones().await?;
    /// println!("{:?}, default {:?}", z.zones, z.default_zone);
    /// # Ok(()) }
    /// ```
    pub async fn list_zones(&self) -> Result<Zones> {
        self.client
            .call(Request::get(format!("{BASE}/list-zones")))
            .await
    }

    /// The runtime versions (`GET /api/2.1/clusters/spark-versions`).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi) -> dbx_core::Result<()> {
    /// for v in clusters.spark_versions().await? {
    ///     println!("{}: {}", v.key, v.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn spark_versions(&self) -> Result<Vec<SparkVersion>> {
        let resp: SparkVersionsResponse = self
            .client
            .call(Request::get(format!("{BASE}/spark-versions")))
            .await?;
        Ok(resp.versions)
    }

    async fn post_id(&self, call: &str, cluster_id: &ClusterId, idempotent: bool) -> Result<()> {
        let req = Request::post(format!("{BASE}/{call}"))
            .json(&IdBody { cluster_id })?
            .default_idempotent(idempotent);
        self.client.call_empty(req).await
    }
}

fn to_object<T: Serialize>(v: &T) -> Result<Map<String, Value>> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(dbx_core::Error::InvalidRequest(format!(
            "expected a JSON object, got {other}"
        ))),
        Err(e) => Err(dbx_core::Error::InvalidRequest(format!(
            "request body does not serialize: {e}"
        ))),
    }
}

/// Builder of [`ClustersApi::list`]: filters (`filter_by`), order (`sort_by`) and page size,
/// sent as the 2.1 query parameters `filter_by.cluster_states=…`, `sort_by.field=…`, ... Nothing
/// is sent until the stream is polled.
#[derive(Debug, Clone)]
pub struct ListClusters {
    client: Client,
    sources: Vec<ClusterSource>,
    states: Vec<State>,
    is_pinned: Option<bool>,
    policy_id: Option<String>,
    sort: Option<(SortField, SortDirection)>,
    page_size: Option<u32>,
}

impl ListClusters {
    /// Only clusters in these states (`filter_by.cluster_states`).
    pub fn states(mut self, states: impl IntoIterator<Item = State>) -> Self {
        self.states.extend(states);
        self
    }

    /// Only clusters from these sources (`filter_by.cluster_sources`).
    pub fn sources(mut self, sources: impl IntoIterator<Item = ClusterSource>) -> Self {
        self.sources.extend(sources);
        self
    }

    /// Only pinned (`true`) or unpinned (`false`) clusters (`filter_by.is_pinned`).
    pub fn pinned(mut self, pinned: bool) -> Self {
        self.is_pinned = Some(pinned);
        self
    }

    /// Only clusters with this policy (`filter_by.policy_id`).
    pub fn policy_id(mut self, policy_id: impl Into<String>) -> Self {
        self.policy_id = Some(policy_id.into());
        self
    }

    /// Sort (`sort_by.field`, `sort_by.direction`).
    pub fn sort_by(mut self, field: SortField, direction: SortDirection) -> Self {
        self.sort = Some((field, direction));
        self
    }

    /// Clusters per page (`page_size`; the server's default when unset).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    fn request(&self, page_token: Option<String>) -> Request {
        let mut req = Request::get(format!("{BASE}/list"));
        for s in &self.sources {
            req = req.query("filter_by.cluster_sources", s);
        }
        for s in &self.states {
            req = req.query("filter_by.cluster_states", s);
        }
        req = req
            .query_opt("filter_by.is_pinned", self.is_pinned)
            .query_opt("filter_by.policy_id", self.policy_id.as_deref());
        if let Some((field, direction)) = &self.sort {
            req = req
                .query("sort_by.field", field)
                .query("sort_by.direction", direction);
        }
        req.query_opt("page_size", self.page_size)
            .query_opt("page_token", page_token)
    }

    /// A lazy stream of pages, following `next_page_token`.
    pub fn pages(self) -> PageStream<ClusterDetails> {
        paginate::token_pages(move |token| {
            let req = self.request(token);
            let client = self.client.clone();
            async move {
                let resp: ListResponse = client.call(req).await?;
                Ok(TokenPage {
                    items: resp.clusters,
                    next_page_token: resp.next_page_token,
                })
            }
        })
    }

    /// A lazy stream of clusters, each once (a cluster repeated across a page boundary while
    /// the list changes is dropped).
    pub fn items(self) -> ItemStream<ClusterDetails> {
        let items = paginate::items(self.pages());
        paginate::dedup_by_key(items, |c: &ClusterDetails| c.cluster_id.clone())
    }
}

/// Builder of [`ClustersApi::events`]: the body of `POST /api/2.1/clusters/events`.
#[derive(Debug, Clone)]
pub struct Events {
    client: Client,
    body: Map<String, Value>,
}

impl Events {
    fn set(mut self, key: &str, value: Value) -> Self {
        self.body.insert(key.into(), value);
        self
    }

    /// Events at or after this time, epoch ms.
    pub fn start_time(self, ms: i64) -> Self {
        self.set("start_time", ms.into())
    }

    /// Events at or before this time, epoch ms (required by the server with `DESC` and an
    /// offset).
    pub fn end_time(self, ms: i64) -> Self {
        self.set("end_time", ms.into())
    }

    /// Oldest first (`ASC`) or newest first (`DESC`, the server's default).
    pub fn order(self, order: EventOrder) -> Self {
        self.set("order", order.as_str().into())
    }

    /// Only these event types.
    pub fn event_types(self, types: impl IntoIterator<Item = EventType>) -> Self {
        let list: Vec<Value> = types.into_iter().map(|t| t.as_str().into()).collect();
        self.set("event_types", Value::Array(list))
    }

    /// Skip this many events.
    pub fn offset(self, offset: i64) -> Self {
        self.set("offset", offset.into())
    }

    /// Events per page (server default 50, at most 500).
    pub fn limit(self, limit: i64) -> Self {
        self.set("limit", limit.into())
    }

    /// The request body as it will be sent.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    /// One page, with `total_count` and the `next_page` request.
    pub async fn page(&self) -> Result<EventsPage> {
        fetch_events(&self.client, &self.body).await
    }

    /// A lazy stream of every event, page after page: each `next_page` object the server
    /// returns is sent back as the next request body, as the official SDKs do. A `next_page`
    /// seen before ends the stream with [`dbx_core::Error::PaginationLoop`].
    pub fn stream(self) -> ItemStream<ClusterEvent> {
        struct St {
            client: Client,
            next: Option<Map<String, Value>>,
            seen: HashSet<String>,
        }
        let st = St {
            client: self.client,
            seen: HashSet::new(),
            next: Some(self.body),
        };
        let pages = stream::try_unfold(st, |mut st| async move {
            loop {
                let Some(body) = st.next.take() else {
                    return Ok(None);
                };
                st.seen.insert(Value::Object(body.clone()).to_string());
                let page = fetch_events(&st.client, &body).await?;
                if let Some(next) = page.next_page.filter(|n| !n.is_empty()) {
                    let key = Value::Object(next.clone()).to_string();
                    if st.seen.contains(&key) {
                        return Err(dbx_core::Error::PaginationLoop(key));
                    }
                    st.next = Some(next);
                }
                if !page.events.is_empty() {
                    return Ok(Some((page.events, st)));
                }
            }
        });
        paginate::items(Box::pin(pages))
    }
}

async fn fetch_events(client: &Client, body: &Map<String, Value>) -> Result<EventsPage> {
    // A read: safe to repeat.
    let req = Request::post(format!("{BASE}/events"))
        .json(body)?
        .default_idempotent(true);
    client.call(req).await
}

#[cfg(test)]
mod tests;
