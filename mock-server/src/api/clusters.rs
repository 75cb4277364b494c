//! Clusters API — `/api/2.0/clusters/*` and `/api/2.1/clusters/*` (<https://docs.databricks.com/api/workspace/clusters>).
//!
//! Every endpoint answers on both versions with the same semantics, except `list`: 2.0 answers
//! every cluster at once, 2.1 pages with `page_size` / `page_token` and takes `filter_by` and
//! `sort_by` (as a JSON body, or flattened in the query string as the official SDKs send it:
//! `filter_by.cluster_states=RUNNING`).
//!
//! States move on the emulator clock (`state/clusters.rs`); each call checks the state against
//! the call × state table of <https://docs.databricks.com/api/workspace/clusters> and answers `INVALID_STATE` "Cluster <id> is in
//! unexpected state <State>." where the table says so. An unknown cluster is 400
//! `INVALID_PARAMETER_VALUE` "Cluster <id> does not exist" (<https://docs.databricks.com/api/workspace/introduction>).
//!
//! Who may do what: admins everything; creating needs the `allow-cluster-create` entitlement;
//! the creator holds `CAN_MANAGE` on their cluster; `CAN_RESTART` starts, restarts and
//! terminates, `CAN_MANAGE` also edits, resizes and permanently deletes; only admins pin, unpin
//! and change owners. Reads (`get`, `list`, `events`) are open to every workspace user.
//!
//! A spec naming an instance profile (`aws_attributes.instance_profile_arn`) that is not
//! registered (`api/instance_profiles.rs`) is refused on `create`, `edit` and `update`.

mod catalogue;

use std::collections::BTreeMap;

use http::Method;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{Access, Ctx, ReadCtx, Reply, Route};
use crate::error::{ApiError, ErrorCode};
use crate::params::Params;
use crate::state::clusters::{fnv1a, Cluster, ClusterInfo, ClusterLevel, ClusterState, Size};
use crate::state::permissions::Grants;

/// The entitlement a non-admin needs to create clusters.
pub(crate) const ALLOW_CLUSTER_CREATE: &str = "allow-cluster-create";
/// Most custom tags on one cluster (<https://docs.databricks.com/api/workspace/clusters>).
const MAX_CUSTOM_TAGS: usize = 45;
/// Most SSH public keys on one cluster.
const MAX_SSH_KEYS: usize = 10;
/// Most EBS volumes per instance.
const MAX_EBS_VOLUMES: i64 = 10;
/// The `state_message` of a `PENDING` cluster (<https://docs.databricks.com/api/workspace/clusters>, observed).
const PENDING_MESSAGE: &str =
    "Finding instances for new nodes, acquiring more instances if necessary";
/// Default and largest 2.1 `list` page.
const LIST_PAGE_DEFAULT: usize = 100;
const LIST_PAGE_MAX: usize = 1000;
/// Default and largest `events` page (<https://docs.databricks.com/api/workspace/clusters>).
const EVENTS_LIMIT_DEFAULT: i64 = 50;
const EVENTS_LIMIT_MAX: i64 = 500;
/// Fields the service sets itself: dropped from a spec sent back by a client that round-trips
/// `get` → `edit` (the request types of `edit` and `create` have no such fields).
const OUTPUT_ONLY: &[&str] = &[
    "cluster_id",
    "idempotency_token",
    "cluster_source",
    "creator_user_name",
    "state",
    "state_message",
    "start_time",
    "terminated_time",
    "last_restarted_time",
    "last_state_loss_time",
    "last_activity_time",
    "driver",
    "executors",
    "spark_context_id",
    "jdbc_port",
    "cluster_memory_mb",
    "cluster_cores",
    "default_tags",
    "cluster_log_status",
    "termination_reason",
    "spec",
];
/// Tag keys the service sets itself (`default_tags`); custom tags may not use them.
const RESERVED_TAGS: &[&str] = &["Vendor", "Creator", "ClusterName", "ClusterId"];
/// Every event type (<https://docs.databricks.com/api/workspace/clusters>).
const EVENT_TYPES: &[&str] = &[
    "ADD_NODES_FAILED",
    "AUTOMATIC_CLUSTER_UPDATE",
    "AUTOSCALING_BACKOFF",
    "AUTOSCALING_FAILED",
    "AUTOSCALING_STATS_REPORT",
    "CLUSTER_MIGRATED",
    "CREATING",
    "DBFS_DOWN",
    "DECOMMISSION_ENDED",
    "DECOMMISSION_STARTED",
    "DEFERRED_POLICY_ENFORCEMENT_FAILED",
    "DEFERRED_POLICY_ENFORCEMENT_SCHEDULED",
    "DID_NOT_EXPAND_DISK",
    "DRIVER_HEALTHY",
    "DRIVER_NOT_RESPONDING",
    "DRIVER_UNAVAILABLE",
    "EDITED",
    "EXPANDED_DISK",
    "FAILED_TO_EXPAND_DISK",
    "INIT_SCRIPTS_FINISHED",
    "INIT_SCRIPTS_STARTED",
    "METASTORE_DOWN",
    "NODES_LOST",
    "NODE_BLACKLISTED",
    "NODE_EXCLUDED_DECOMMISSIONED",
    "PINNED",
    "RESIZING",
    "RESTARTING",
    "RUNNING",
    "SPARK_EXCEPTION",
    "STARTING",
    "TERMINATING",
    "UC_VOLUME_MISCONFIGURED",
    "UNPINNED",
    "UPSIZE_COMPLETED",
];

/// The Clusters API routes (2.0 and 2.1).
pub(crate) fn routes() -> Vec<Route> {
    const V: &[&str] = &["2.0", "2.1"];
    vec![
        Route::new(Method::POST, "clusters/create", V, create).access(Access::DENIED),
        Route::new(Method::POST, "clusters/edit", V, edit).access(Access::DENIED),
        Route::new(Method::POST, "clusters/update", V, update).access(Access::DENIED),
        Route::new(Method::POST, "clusters/start", V, start).access(Access::DENIED),
        Route::new(Method::POST, "clusters/restart", V, restart).access(Access::DENIED),
        Route::new(Method::POST, "clusters/resize", V, resize).access(Access::DENIED),
        Route::new(Method::POST, "clusters/delete", V, delete).access(Access::DENIED),
        Route::new(
            Method::POST,
            "clusters/permanent-delete",
            V,
            permanent_delete,
        )
        .access(Access::DENIED),
        Route::read(Method::GET, "clusters/get", V, get).access(Access::AnyUser),
        Route::read(Method::GET, "clusters/list", V, list).access(Access::AnyUser),
        Route::new(Method::POST, "clusters/pin", V, pin).access(Access::AdminOnly),
        Route::new(Method::POST, "clusters/unpin", V, unpin).access(Access::AdminOnly),
        Route::new(Method::POST, "clusters/events", V, events).access(Access::AnyUser),
        Route::read(Method::GET, "clusters/list-node-types", V, list_node_types)
            .access(Access::AnyUser),
        Route::read(Method::GET, "clusters/list-zones", V, list_zones).access(Access::AnyUser),
        Route::read(Method::GET, "clusters/spark-versions", V, spark_versions)
            .access(Access::AnyUser),
        Route::new(Method::POST, "clusters/change-owner", V, change_owner)
            .access(Access::AdminOnly),
    ]
}

// ---------------------------------------------------------------------------------------------
// Errors and look-ups

fn does_not_exist(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidParameterValue,
        format!("Cluster {id} does not exist"),
    )
}

fn unexpected_state(id: &str, state: ClusterState) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidState,
        format!("Cluster {id} is in unexpected state {}.", state.title()),
    )
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameterValue, msg)
}

/// The `cluster_id` parameter and the cluster it names.
fn target<'s>(ctx: &ReadCtx<'s>) -> Result<(String, &'s Cluster), ApiError> {
    let id = ctx.params.str("cluster_id")?.to_owned();
    let c = ctx
        .state
        .clusters
        .get(&id)
        .ok_or_else(|| does_not_exist(&id))?;
    Ok((id, c))
}

/// Fail unless the caller holds `needed` on `c`.
fn require(ctx: &ReadCtx<'_>, c: &Cluster, needed: ClusterLevel) -> Result<(), ApiError> {
    if c.info
        .grants
        .allows(&ctx.state.identity, ctx.caller, needed)
    {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::PermissionDenied,
        format!(
            "User {} does not have {} permission on cluster {}.",
            ctx.caller.user_name,
            needed.as_str(),
            c.info.cluster_id
        ),
    ))
}

fn require_admin(ctx: &ReadCtx<'_>, what: &str) -> Result<(), ApiError> {
    if ctx.state.identity.is_admin(&ctx.caller.id) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!("Only workspace admins can {what}."),
        ))
    }
}

fn cluster_mut<'s>(ctx: &'s mut Ctx<'_>, id: &str) -> Result<&'s mut Cluster, ApiError> {
    ctx.state
        .clusters
        .get_mut(id)
        .ok_or_else(|| does_not_exist(id))
}

// ---------------------------------------------------------------------------------------------
// Specs

/// The typed view of a cluster spec used to validate it (<https://docs.databricks.com/api/workspace/clusters>). Fields not named here
/// are kept as sent.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // some fields are only type-checked
struct SpecCheck {
    spark_version: String,
    num_workers: Option<i64>,
    autoscale: Option<AutoScale>,
    node_type_id: Option<String>,
    driver_node_type_id: Option<String>,
    instance_pool_id: Option<String>,
    driver_instance_pool_id: Option<String>,
    cluster_name: Option<String>,
    autotermination_minutes: Option<i64>,
    custom_tags: Option<BTreeMap<String, String>>,
    spark_conf: Option<BTreeMap<String, String>>,
    spark_env_vars: Option<BTreeMap<String, String>>,
    ssh_public_keys: Option<Vec<String>>,
    aws_attributes: Option<AwsAttributes>,
    enable_elastic_disk: Option<bool>,
    enable_local_disk_encryption: Option<bool>,
    data_security_mode: Option<String>,
    single_user_name: Option<String>,
    runtime_engine: Option<RuntimeEngine>,
    policy_id: Option<String>,
    apply_policy_default_values: Option<bool>,
    cluster_log_conf: Option<Map<String, Value>>,
    init_scripts: Option<Vec<Map<String, Value>>>,
    docker_image: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
struct AutoScale {
    min_workers: Option<i64>,
    max_workers: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)] // type-checked only
struct AwsAttributes {
    availability: Option<Availability>,
    zone_id: Option<String>,
    first_on_demand: Option<i64>,
    spot_bid_price_percent: Option<i64>,
    instance_profile_arn: Option<String>,
    ebs_volume_type: Option<EbsVolumeType>,
    ebs_volume_count: Option<i64>,
    ebs_volume_size: Option<i64>,
    ebs_volume_iops: Option<i64>,
    ebs_volume_throughput: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Availability {
    Spot,
    OnDemand,
    SpotWithFallback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum EbsVolumeType {
    GeneralPurposeSsd,
    ThroughputOptimizedHdd,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum RuntimeEngine {
    Null,
    Standard,
    Photon,
}

/// The most workers a cluster may have. The service caps cluster size by the workspace's
/// quotas [inf: no documented number]; without a cap, `num_workers: 4294967296` made `get` and
/// `list` build one executor entry per worker and abort the process (found by
/// `mock-server/tests/fuzz.rs`, regression test `huge_cluster_sizes_are_refused`).
const MAX_WORKERS: i64 = 100_000;

/// Validate a worker size: `num_workers` ≥ 0, or `autoscale` with 0 ≤ min ≤ max; not both;
/// at most [`MAX_WORKERS`].
fn check_size(num_workers: Option<i64>, autoscale: Option<&AutoScale>) -> Result<(), ApiError> {
    if num_workers.is_some() && autoscale.is_some() {
        return Err(invalid(
            "Only one of num_workers or autoscale may be specified, not both.",
        ));
    }
    if let Some(n) = num_workers {
        if n < 0 {
            return Err(invalid(format!(
                "num_workers must be non-negative, got {n}."
            )));
        }
        if n > MAX_WORKERS {
            return Err(invalid(format!(
                "num_workers must be at most {MAX_WORKERS}, got {n}."
            )));
        }
    }
    if let Some(a) = autoscale {
        let min = a
            .min_workers
            .ok_or_else(|| ApiError::missing_field("autoscale.min_workers"))?;
        let max = a
            .max_workers
            .ok_or_else(|| ApiError::missing_field("autoscale.max_workers"))?;
        if min < 0 {
            return Err(invalid(format!(
                "autoscale.min_workers must be non-negative, got {min}."
            )));
        }
        if max > MAX_WORKERS {
            return Err(invalid(format!(
                "autoscale.max_workers must be at most {MAX_WORKERS}, got {max}."
            )));
        }
        if max < min {
            return Err(invalid(format!(
                "autoscale.max_workers ({max}) must be greater than or equal to autoscale.min_workers ({min})."
            )));
        }
    }
    Ok(())
}

/// The spec in `raw` (a create/edit body, or an update's merged spec) validated and cleaned:
/// nulls and service-set fields dropped, unknown fields kept.
pub(crate) fn spec_from(raw: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let mut spec: Map<String, Value> = raw
        .iter()
        .filter(|(k, v)| !v.is_null() && !OUTPUT_ONLY.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let check: SpecCheck = Params::merge(spec.clone(), Vec::new()).decode()?;
    if catalogue::spark_version(&check.spark_version).is_none() {
        return Err(invalid(format!(
            "Invalid spark version {}.",
            check.spark_version
        )));
    }
    match (&check.node_type_id, &check.instance_pool_id) {
        (None, None) => return Err(ApiError::missing_field("node_type_id")),
        (Some(n), _) if catalogue::node_type(n).is_none() => {
            return Err(invalid(format!("Node type {n} is not supported.")))
        }
        _ => {}
    }
    if let Some(d) = &check.driver_node_type_id {
        if catalogue::node_type(d).is_none() {
            return Err(invalid(format!("Driver node type {d} is not supported.")));
        }
    }
    check_size(check.num_workers, check.autoscale.as_ref())?;
    if let Some(m) = check.autotermination_minutes {
        if m != 0 && !(10..=10_000).contains(&m) {
            return Err(invalid(format!(
                "Autotermination minutes must be between 10 and 10000, or 0 to disable autotermination; got {m}."
            )));
        }
    }
    if let Some(tags) = &check.custom_tags {
        if tags.len() > MAX_CUSTOM_TAGS {
            return Err(invalid(format!(
                "A cluster can have at most {MAX_CUSTOM_TAGS} custom tags; got {}.",
                tags.len()
            )));
        }
        for (k, v) in tags {
            if RESERVED_TAGS.iter().any(|r| r.eq_ignore_ascii_case(k)) {
                return Err(invalid(format!(
                    "Custom tag key {k} is reserved: the service sets it in default_tags."
                )));
            }
            if k.is_empty() || k.chars().count() > 127 {
                return Err(invalid(format!(
                    "Custom tag keys must have 1 to 127 characters; got {:?}.",
                    k
                )));
            }
            if v.chars().count() > 255 {
                return Err(invalid(format!(
                    "The value of custom tag {k} is longer than 255 characters."
                )));
            }
        }
    }
    if let Some(keys) = &check.ssh_public_keys {
        if keys.len() > MAX_SSH_KEYS {
            return Err(invalid(format!(
                "A cluster can have at most {MAX_SSH_KEYS} SSH public keys; got {}.",
                keys.len()
            )));
        }
    }
    if let Some(aws) = &check.aws_attributes {
        check_aws(aws)?;
    }
    // Store the sizes as numbers whatever form they came in (`"2"` decodes leniently).
    if let Some(n) = check.num_workers {
        spec.insert("num_workers".into(), json!(n));
    }
    if let Some(m) = check.autotermination_minutes {
        spec.insert("autotermination_minutes".into(), json!(m));
    }
    if let Some(AutoScale {
        min_workers: Some(min),
        max_workers: Some(max),
    }) = check.autoscale
    {
        spec.insert(
            "autoscale".into(),
            json!({"min_workers": min, "max_workers": max}),
        );
    }
    Ok(spec)
}

/// EBS limits (AWS): at most 10 volumes; sizes 100–4096 GiB for SSD, 500–4096 GiB for HDD.
fn check_aws(aws: &AwsAttributes) -> Result<(), ApiError> {
    if let Some(z) = &aws.zone_id {
        if z != "auto" && !catalogue::ZONES.contains(&z.as_str()) {
            return Err(invalid(format!("Zone {z} is not available.")));
        }
    }
    let count = aws.ebs_volume_count.unwrap_or(0);
    if !(0..=MAX_EBS_VOLUMES).contains(&count) {
        return Err(invalid(format!(
            "aws_attributes.ebs_volume_count must be between 0 and {MAX_EBS_VOLUMES}; got {count}."
        )));
    }
    if count > 0 {
        let kind = aws.ebs_volume_type.ok_or_else(|| {
            invalid("aws_attributes.ebs_volume_type is required when ebs_volume_count is set.")
        })?;
        let size = aws
            .ebs_volume_size
            .ok_or_else(|| ApiError::missing_field("aws_attributes.ebs_volume_size"))?;
        let (min, name) = match kind {
            EbsVolumeType::GeneralPurposeSsd => (100, "GENERAL_PURPOSE_SSD"),
            EbsVolumeType::ThroughputOptimizedHdd => (500, "THROUGHPUT_OPTIMIZED_HDD"),
        };
        if !(min..=4096).contains(&size) {
            return Err(invalid(format!(
                "aws_attributes.ebs_volume_size for {name} must be between {min} and 4096 GiB; got {size}."
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// 10.x.y.z from a hash.
fn ip(h: u64) -> String {
    format!(
        "10.{}.{}.{}",
        (h >> 16) & 0xff,
        (h >> 8) & 0xff,
        (h & 0xfe) + 1
    )
}

fn spark_node(c: &ClusterInfo, index: usize) -> Value {
    let seed = format!("{}/{}/{}", c.cluster_id, c.incarnation, index);
    let h = fnv1a(seed.as_bytes());
    let h2 = fnv1a(format!("{seed}/instance").as_bytes());
    json!({
        "node_id": format!("{h:016x}{h2:016x}"),
        "instance_id": format!("i-{:017x}", h2 & 0x0fff_ffff_ffff_ffff),
        "private_ip": ip(h),
        "host_private_ip": ip(h2),
        "public_dns": "",
        "start_timestamp": c.nodes_since,
        "node_aws_attributes": {"is_spot": false},
    })
}

/// `ClusterDetails` (<https://docs.databricks.com/api/workspace/clusters>): the spec as sent, the service's defaults, and what the
/// service adds; `spec` too for `get`.
fn details(c: &Cluster, with_spec: bool) -> Value {
    let info = &c.info;
    let state = c.state();
    let spec = &info.spec;
    let mut m = Map::new();
    m.insert("cluster_id".into(), json!(info.cluster_id));
    for (k, v) in spec {
        m.insert(k.clone(), v.clone());
    }
    if let Some(node) = spec
        .get("node_type_id")
        .filter(|_| !spec.contains_key("driver_node_type_id"))
    {
        m.insert("driver_node_type_id".into(), node.clone());
    }
    if !spec.contains_key("autoscale") && !spec.contains_key("num_workers") {
        m.insert("num_workers".into(), json!(0));
    }
    m.entry("autotermination_minutes").or_insert(json!(0));
    m.entry("enable_elastic_disk").or_insert(json!(false));
    m.entry("enable_local_disk_encryption")
        .or_insert(json!(false));
    let photon = spec
        .get("spark_version")
        .and_then(Value::as_str)
        .is_some_and(|k| k.contains("-photon-"));
    m.entry("runtime_engine")
        .or_insert(json!(if photon { "PHOTON" } else { "STANDARD" }));
    let mut aws = spec
        .get("aws_attributes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    aws.entry("availability")
        .or_insert(json!("SPOT_WITH_FALLBACK"));
    aws.entry("zone_id")
        .or_insert(json!(catalogue::DEFAULT_ZONE));
    aws.entry("first_on_demand").or_insert(json!(1));
    aws.entry("spot_bid_price_percent").or_insert(json!(100));
    m.insert("aws_attributes".into(), Value::Object(aws));
    m.insert("creator_user_name".into(), json!(info.creator_user_name));
    m.insert("cluster_source".into(), json!(info.cluster_source));
    m.insert("state".into(), json!(state.as_str()));
    if !info.state_message.is_empty() {
        m.insert("state_message".into(), json!(info.state_message));
    }
    m.insert("start_time".into(), json!(info.start_time));
    for (k, v) in [
        ("terminated_time", info.terminated_time),
        ("last_restarted_time", info.last_restarted_time),
        ("last_state_loss_time", info.last_state_loss_time),
        ("spark_context_id", info.spark_context_id),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    if let Some(r) = &info.termination_reason {
        m.insert("termination_reason".into(), r.clone());
    }
    m.insert("jdbc_port".into(), json!(10000));
    let name = spec
        .get("cluster_name")
        .and_then(Value::as_str)
        .unwrap_or("");
    m.insert(
        "default_tags".into(),
        json!({
            "Vendor": "Databricks",
            "Creator": info.creator_user_name,
            "ClusterName": name,
            "ClusterId": info.cluster_id,
        }),
    );
    if state.has_nodes() {
        let workers = usize::try_from(info.current_workers).unwrap_or(0);
        m.insert("driver".into(), spark_node(info, 0));
        let executors: Vec<Value> = (1..=workers).map(|i| spark_node(info, i)).collect();
        m.insert("executors".into(), Value::Array(executors));
        let node = |key: &str| {
            spec.get(key)
                .and_then(Value::as_str)
                .and_then(catalogue::node_type)
        };
        let worker = node("node_type_id");
        if let Some(driver) = node("driver_node_type_id").or(worker) {
            let (wm, wc) = worker.map_or((0, 0.0), |w| (w.memory_mb, w.cores));
            let n = info.current_workers;
            m.insert("cluster_memory_mb".into(), json!(driver.memory_mb + wm * n));
            m.insert("cluster_cores".into(), json!(driver.cores + wc * n as f64));
        }
    }
    if with_spec {
        m.insert("spec".into(), Value::Object(spec.clone()));
    }
    Value::Object(m)
}

// ---------------------------------------------------------------------------------------------
// Ids

/// Days since 1970-01-01 → (month, day) in the proleptic Gregorian calendar (H. Hinnant's
/// `civil_from_days`).
fn month_day(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (m, d)
}

/// A fresh `MMDD-HHMMSS-xxxxxxxx` id from the clock's UTC time (docs/emulator.md).
pub(crate) fn new_cluster_id(now_ms: i64, taken: impl Fn(&str) -> bool) -> String {
    let secs = now_ms.div_euclid(1000);
    let (month, day) = month_day(secs.div_euclid(86_400));
    let tod = secs.rem_euclid(86_400);
    let stamp = format!(
        "{month:02}{day:02}-{:02}{:02}{:02}",
        tod / 3600,
        (tod / 60) % 60,
        tod % 60
    );
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    loop {
        let bytes = rand::random::<[u8; 8]>();
        let suffix: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
        let id = format!("{stamp}-{suffix}");
        if !taken(&id) {
            return id;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// `POST clusters/create` → `{"cluster_id"}`; the cluster is `PENDING`.
fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let identity = &ctx.state.identity;
    if !identity.is_admin(&ctx.caller.id)
        && !identity.has_entitlement(&ctx.caller.id, ALLOW_CLUSTER_CREATE)
    {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!(
                "User {} is not authorized to create clusters: the {ALLOW_CLUSTER_CREATE} entitlement is required.",
                ctx.caller.user_name
            ),
        ));
    }
    let spec = spec_from(ctx.params.map())?;
    super::instance_profiles::check_cluster_profile(ctx.state, &spec)?;
    let token = ctx.params.opt_str("idempotency_token")?.map(str::to_owned);
    if let Some(t) = &token {
        if t.chars().count() > 64 {
            return Err(invalid(
                "idempotency_token must be at most 64 characters long.",
            ));
        }
        // An active cluster created with the same token is the answer (<https://docs.databricks.com/api/workspace/clusters>).
        if let Some(c) = ctx.state.clusters.iter().find(|c| {
            c.info.idempotency_token.as_deref() == Some(t.as_str())
                && c.state() != ClusterState::Terminated
        }) {
            return Ok(Reply::json(json!({ "cluster_id": c.info.cluster_id })));
        }
    }
    let source = ctx
        .params
        .opt_str("cluster_source")?
        .unwrap_or("API")
        .to_owned();
    ctx.limits
        .state
        .check_new_cluster(ctx.state.clusters.iter().count())?;
    let now = ctx.now_ms;
    let clusters = &ctx.state.clusters;
    let id = new_cluster_id(now, |id| clusters.contains(id));
    let user = ctx.caller.user_name.clone();
    let mut grants = Grants::default();
    grants.set(&user, ClusterLevel::CanManage);
    let mut info = ClusterInfo {
        cluster_id: id.clone(),
        spec: spec.clone(),
        creator_user_name: user.clone(),
        cluster_source: source,
        start_time: now,
        terminated_time: None,
        last_restarted_time: None,
        last_state_loss_time: None,
        state_message: PENDING_MESSAGE.to_owned(),
        termination_reason: None,
        current_workers: 0,
        spark_context_id: None,
        incarnation: 0,
        nodes_since: now,
        pinned: false,
        idempotency_token: token,
        events: Vec::new(),
        grants,
    };
    info.event(
        now,
        "CREATING",
        json!({"user": user, "attributes": Value::Object(spec)}),
    );
    ctx.state.clusters.insert_pending(info, now);
    Ok(Reply::json(json!({ "cluster_id": id })))
}

/// Apply a new spec to cluster `id` (edit and update): `RUNNING` restarts with it, `TERMINATED`
/// stays terminated; any other state is `INVALID_STATE`.
fn apply_spec(ctx: &mut Ctx<'_>, id: &str, spec: Map<String, Value>) -> Result<Reply, ApiError> {
    let now = ctx.now_ms;
    let user = ctx.caller.user_name.clone();
    let c = cluster_mut(ctx, id)?;
    let state = c.state();
    if !matches!(state, ClusterState::Running | ClusterState::Terminated) {
        return Err(unexpected_state(id, state));
    }
    let previous = std::mem::replace(&mut c.info.spec, spec.clone());
    c.info.event(
        now,
        "EDITED",
        json!({
            "user": user,
            "attributes": Value::Object(spec),
            "previous_attributes": Value::Object(previous),
        }),
    );
    if state == ClusterState::Running {
        c.info.event(now, "RESTARTING", json!({ "user": user }));
        c.info.state_message = "Restarting cluster to apply the new configuration".to_owned();
        ctx.state.clusters.transition(
            id,
            now,
            ClusterState::Restarting,
            Some(ClusterState::Running),
        );
    }
    Ok(Reply::empty())
}

fn not_a_job_cluster(c: &Cluster, what: &str) -> Result<(), ApiError> {
    if c.info.cluster_source == "JOB" {
        return Err(invalid(format!(
            "Cannot {what} cluster {}: it is a job cluster.",
            c.info.cluster_id
        )));
    }
    Ok(())
}

/// `POST clusters/edit`: `cluster_id` + the whole new spec.
fn edit(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (id, c) = target(&ctx.view())?;
    require(&ctx.view(), c, ClusterLevel::CanManage)?;
    not_a_job_cluster(c, "edit")?;
    let spec = spec_from(ctx.params.map())?;
    super::instance_profiles::check_cluster_profile(ctx.state, &spec)?;
    apply_spec(ctx, &id, spec)
}

/// `POST clusters/update`: `cluster_id`, `update_mask` (comma-separated field paths, `*` for
/// every field of `cluster`) and the partial `cluster`.
fn update(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (id, c) = target(&ctx.view())?;
    require(&ctx.view(), c, ClusterLevel::CanManage)?;
    not_a_job_cluster(c, "update")?;
    let mask = ctx.params.str("update_mask")?.to_owned();
    let patch = match ctx.params.value("cluster") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::wrong_type("cluster", "object")),
    };
    let mut spec = c.info.spec.clone();
    let fields: Vec<&str> = mask
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    if fields.is_empty() {
        return Err(invalid("update_mask must name at least one field."));
    }
    for field in fields {
        if field == "*" {
            spec = patch.clone();
            continue;
        }
        set_path(&mut spec, &patch, field);
    }
    // A size given in the mask replaces the other kind of size.
    if mask.split(',').any(|f| f.trim() == "num_workers") && spec.contains_key("num_workers") {
        spec.remove("autoscale");
    } else if mask.split(',').any(|f| f.trim().starts_with("autoscale"))
        && spec.contains_key("autoscale")
    {
        spec.remove("num_workers");
    }
    let spec = spec_from(&spec)?;
    super::instance_profiles::check_cluster_profile(ctx.state, &spec)?;
    apply_spec(ctx, &id, spec)
}

/// Set the dotted `path` of `spec` from the same path of `patch` (remove it when absent there).
fn set_path(spec: &mut Map<String, Value>, patch: &Map<String, Value>, path: &str) {
    match path.split_once('.') {
        None => match patch.get(path) {
            Some(v) => {
                spec.insert(path.to_owned(), v.clone());
            }
            None => {
                spec.remove(path);
            }
        },
        Some((head, rest)) => {
            let sub_patch = patch
                .get(head)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let entry = spec
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(sub) = entry {
                set_path(sub, &sub_patch, rest);
            }
        }
    }
}

/// `POST clusters/start`: `TERMINATED` → `PENDING`.
fn start(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (id, c) = target(&ctx.view())?;
    require(&ctx.view(), c, ClusterLevel::CanRestart)?;
    not_a_job_cluster(c, "start")?;
    let state = c.state();
    if state != ClusterState::Terminated {
        return Err(unexpected_state(&id, state));
    }
    let now = ctx.now_ms;
    let user = ctx.caller.user_name.clone();
    let c = cluster_mut(ctx, &id)?;
    c.info.start_time = now;
    c.info.terminated_time = None;
    c.info.termination_reason = None;
    c.info.state_message = PENDING_MESSAGE.to_owned();
    c.info.event(now, "STARTING", json!({ "user": user }));
    ctx.state
        .clusters
        .transition(&id, now, ClusterState::Pending, Some(ClusterState::Running));
    Ok(Reply::empty())
}

/// `POST clusters/restart`: `RUNNING` → `RESTARTING` → `RUNNING` with a new Spark context.
fn restart(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (id, c) = target(&ctx.view())?;
    require(&ctx.view(), c, ClusterLevel::CanRestart)?;
    let state = c.state();
    if state != ClusterState::Running {
        return Err(unexpected_state(&id, state));
    }
    let now = ctx.now_ms;
    let user = ctx
        .params
        .opt_str("restart_user")?
        .unwrap_or(&ctx.caller.user_name)
        .to_owned();
    let c = cluster_mut(ctx, &id)?;
    c.info.state_message = "Restarting Spark".to_owned();
    c.info.event(now, "RESTARTING", json!({ "user": user }));
    ctx.state.clusters.transition(
        &id,
        now,
        ClusterState::Restarting,
        Some(ClusterState::Running),
    );
    Ok(Reply::empty())
}

/// `POST clusters/resize`: `RUNNING` → `RESIZING` → `RUNNING` at the new size.
///
/// The request must carry the new size. `databricksapi` 1.1.8's `resizeCluster(id, n,
/// 'workers')` sends only `{"cluster_id": n}` (docs/mapping.md): that is rejected before the
/// cluster is looked up, with a message saying what is missing, and nothing changes.
fn resize(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    #[derive(Deserialize)]
    struct Req {
        num_workers: Option<i64>,
        autoscale: Option<AutoScale>,
    }
    let has_size = ctx.params.has("num_workers") || ctx.params.has("autoscale");
    if !has_size {
        let mut msg = "Missing required field: num_workers or autoscale. A resize needs the new \
                       size: num_workers (a fixed number of workers) or autoscale \
                       (min_workers and max_workers)."
            .to_owned();
        if let Some(Value::Number(n)) = ctx.params.value("cluster_id") {
            msg.push_str(&format!(
                " The request's cluster_id is the number {n}: was the worker count sent as \
                 cluster_id?"
            ));
        }
        return Err(invalid(msg));
    }
    let req: Req = ctx.decode()?;
    check_size(req.num_workers, req.autoscale.as_ref())?;
    let (id, c) = target(&ctx.view())?;
    require(&ctx.view(), c, ClusterLevel::CanManage)?;
    let state = c.state();
    if state != ClusterState::Running {
        return Err(unexpected_state(&id, state));
    }
    let now = ctx.now_ms;
    let user = ctx.caller.user_name.clone();
    let c = cluster_mut(ctx, &id)?;
    let previous = Size::of_spec(&c.info.spec);
    let size = match (req.num_workers, req.autoscale) {
        (Some(n), _) => {
            c.info.spec.remove("autoscale");
            c.info.spec.insert("num_workers".into(), json!(n));
            Size::Fixed(n)
        }
        (
            None,
            Some(AutoScale {
                min_workers: Some(min),
                max_workers: Some(max),
            }),
        ) => {
            c.info.spec.remove("num_workers");
            c.info.spec.insert(
                "autoscale".into(),
                json!({"min_workers": min, "max_workers": max}),
            );
            Size::Autoscale { min, max }
        }
        _ => return Err(invalid("A resize needs num_workers or autoscale.")),
    };
    let current = c.info.current_workers;
    let target_workers = match size {
        Size::Fixed(n) => n,
        Size::Autoscale { min, max } => current.clamp(min, max),
    };
    c.info.state_message = "Resizing cluster".to_owned();
    c.info.event(
        now,
        "RESIZING",
        json!({
            "current_num_workers": current,
            "target_num_workers": target_workers,
            "cluster_size": size.to_json(),
            "previous_cluster_size": previous.to_json(),
            "cause": "USER_REQUEST",
            "user": user,
        }),
    );
    ctx.state.clusters.transition(
        &id,
        now,
        ClusterState::Resizing,
        Some(ClusterState::Running),
    );
    Ok(Reply::empty())
}

/// `POST clusters/delete` (terminate): → `TERMINATING` → `TERMINATED`; a no-op when already
/// terminating or terminated.
fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (id, c) = target(&ctx.view())?;
    require(&ctx.view(), c, ClusterLevel::CanRestart)?;
    if matches!(
        c.state(),
        ClusterState::Terminating | ClusterState::Terminated
    ) {
        return Ok(Reply::empty());
    }
    let now = ctx.now_ms;
    let user = ctx.caller.user_name.clone();
    let c = cluster_mut(ctx, &id)?;
    let reason = json!({
        "code": "USER_REQUEST",
        "type": "SUCCESS",
        "parameters": {"username": user},
    });
    c.info.termination_reason = Some(reason.clone());
    c.info.state_message = format!("Termination requested by {user}");
    c.info
        .event(now, "TERMINATING", json!({"reason": reason, "user": user}));
    ctx.state.clusters.transition(
        &id,
        now,
        ClusterState::Terminating,
        Some(ClusterState::Terminated),
    );
    Ok(Reply::empty())
}

/// `POST clusters/permanent-delete`: the cluster disappears from `get` and `list`; a pinned one
/// must be unpinned first.
fn permanent_delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (id, c) = target(&ctx.view())?;
    require(&ctx.view(), c, ClusterLevel::CanManage)?;
    if c.info.pinned {
        return Err(ApiError::new(
            ErrorCode::InvalidState,
            format!(
                "Cluster {id} is pinned and cannot be deleted. Please unpin the cluster first."
            ),
        ));
    }
    ctx.state.clusters.remove(&id);
    Ok(Reply::empty())
}

/// `GET clusters/get` → `ClusterDetails` with `spec`.
fn get(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let (_, c) = target(ctx)?;
    Ok(Reply::json(details(c, true)))
}

fn set_pinned(ctx: &mut Ctx<'_>, pinned: bool) -> Result<Reply, ApiError> {
    let (id, _) = target(&ctx.view())?;
    require_admin(
        &ctx.view(),
        if pinned {
            "pin clusters"
        } else {
            "unpin clusters"
        },
    )?;
    let now = ctx.now_ms;
    let user = ctx.caller.user_name.clone();
    let c = cluster_mut(ctx, &id)?;
    if c.info.pinned != pinned {
        c.info.pinned = pinned;
        let kind = if pinned { "PINNED" } else { "UNPINNED" };
        c.info.event(now, kind, json!({ "user": user }));
    }
    Ok(Reply::empty())
}

/// `POST clusters/pin` (admins; idempotent).
fn pin(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    set_pinned(ctx, true)
}

/// `POST clusters/unpin` (admins; idempotent).
fn unpin(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    set_pinned(ctx, false)
}

/// `POST clusters/change-owner` (admins; the cluster must be terminated).
fn change_owner(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (id, c) = target(&ctx.view())?;
    require_admin(&ctx.view(), "change the owner of a cluster")?;
    let state = c.state();
    let owner = ctx.params.str("owner_username")?.to_owned();
    let owner = ctx
        .state
        .identity
        .principal_by_name(&owner)
        .map(|p| p.user_name.clone())
        .ok_or_else(|| invalid(format!("User {owner} does not exist.")))?;
    if state != ClusterState::Terminated {
        return Err(unexpected_state(&id, state));
    }
    let c = cluster_mut(ctx, &id)?;
    let old = std::mem::replace(&mut c.info.creator_user_name, owner.clone());
    if c.info.grants.get(&old).map(|g| g.level) == Some(ClusterLevel::CanManage) {
        c.info.grants.remove(&old);
    }
    c.info.grants.set(&owner, ClusterLevel::CanManage);
    Ok(Reply::empty())
}

/// The 2.1 `list` filter (`filter_by`).
#[derive(Debug, Default, Deserialize)]
struct ListFilter {
    cluster_sources: Option<Vec<String>>,
    cluster_states: Option<Vec<String>>,
    is_pinned: Option<bool>,
    policy_id: Option<String>,
}

/// The 2.1 `list` order (`sort_by`).
#[derive(Debug, Default, Deserialize)]
struct ListSort {
    direction: Option<Direction>,
    field: Option<SortField>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum Direction {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum SortField {
    ClusterName,
    Default,
}

/// A nested list parameter given as a JSON object (`{"filter_by": {..}}`) or flattened in the
/// query string (`filter_by.cluster_states=RUNNING&filter_by.is_pinned=true`).
fn nested<T: serde::de::DeserializeOwned + Default>(
    params: &Params,
    name: &str,
) -> Result<T, ApiError> {
    if let Some(obj) = params.opt_object(name)? {
        return obj.decode();
    }
    let prefix = format!("{name}.");
    let text: Vec<(String, String)> = params
        .map()
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_owned(), v)))
        .flat_map(|(k, v)| match v {
            Value::Array(items) => items
                .iter()
                .map(|i| (k.clone(), text_of(i)))
                .collect::<Vec<_>>(),
            other => vec![(k, text_of(other))],
        })
        .collect();
    if text.is_empty() {
        return Ok(T::default());
    }
    Params::merge(Map::new(), text).decode()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The order of `DEFAULT`: active clusters before terminated ones, then the most recently
/// started first, then by id.
fn default_key(c: &Cluster) -> (bool, std::cmp::Reverse<i64>, &str) {
    (
        c.state() == ClusterState::Terminated,
        std::cmp::Reverse(c.info.start_time),
        c.info.cluster_id.as_str(),
    )
}

/// `GET clusters/list`: 2.0 every cluster; 2.1 a page of the filtered, sorted clusters.
fn list(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let mut all: Vec<&Cluster> = ctx.state.clusters.iter().collect();
    if ctx.version == "2.0" {
        all.sort_by_cached_key(|c| default_key(c));
        let clusters: Vec<Value> = all.into_iter().map(|c| details(c, false)).collect();
        return Ok(Reply::json(json!({ "clusters": clusters })));
    }
    let filter: ListFilter = nested(ctx.params, "filter_by")?;
    let sort: ListSort = nested(ctx.params, "sort_by")?;
    let states: Option<Vec<ClusterState>> = match &filter.cluster_states {
        None => None,
        Some(names) => Some(
            names
                .iter()
                .map(|n| {
                    ClusterState::ALL
                        .into_iter()
                        .find(|s| s.as_str() == n)
                        .ok_or_else(|| {
                            invalid(format!(
                                "Invalid value for field 'filter_by.cluster_states': {n}"
                            ))
                        })
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    all.retain(|c| {
        states
            .as_ref()
            .is_none_or(|s| s.is_empty() || s.contains(&c.state()))
            && filter
                .cluster_sources
                .as_ref()
                .is_none_or(|s| s.is_empty() || s.contains(&c.info.cluster_source))
            && filter.is_pinned.is_none_or(|p| p == c.info.pinned)
            && filter.policy_id.as_ref().is_none_or(|p| {
                c.info.spec.get("policy_id").and_then(Value::as_str) == Some(p.as_str())
            })
    });
    // Keys are computed once per cluster and sorted in a compact vector: comparing through
    // the clusters themselves would touch scattered memory on every comparison (10,000
    // clusters: ~15 ms instead of ~1 ms).
    match sort.field.unwrap_or(SortField::Default) {
        SortField::Default => all.sort_by_cached_key(|c| default_key(c)),
        SortField::ClusterName => all.sort_by_cached_key(|c| {
            (
                c.info
                    .spec
                    .get("cluster_name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_lowercase(),
                c.info.cluster_id.as_str(),
            )
        }),
    }
    if sort.direction == Some(Direction::Desc) {
        all.reverse();
    }
    let size = match ctx.params.opt_i64("page_size")? {
        None | Some(0) => LIST_PAGE_DEFAULT,
        Some(n) if n < 0 => {
            return Err(invalid(format!("page_size must be non-negative, got {n}.")))
        }
        Some(n) => usize::try_from(n)
            .unwrap_or(LIST_PAGE_MAX)
            .min(LIST_PAGE_MAX),
    };
    let offset = match ctx.params.opt_str("page_token")? {
        None | Some("") => 0,
        Some(t) => decode_token(t).ok_or_else(|| invalid(format!("Invalid page token: {t}")))?,
    };
    let end = offset.saturating_add(size).min(all.len());
    let page: Vec<Value> = all
        .get(offset.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(|c| details(c, false))
        .collect();
    let mut out = Map::new();
    out.insert("clusters".into(), Value::Array(page));
    if end < all.len() {
        out.insert("next_page_token".into(), json!(encode_token(end)));
    }
    if offset > 0 {
        out.insert(
            "prev_page_token".into(),
            json!(encode_token(offset.saturating_sub(size))),
        );
    }
    Ok(Reply::json(Value::Object(out)))
}

/// An opaque page token for `offset`.
fn encode_token(offset: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("clusters:{offset}"))
}

fn decode_token(token: &str) -> Option<usize> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("clusters:")?
        .parse()
        .ok()
}

/// `POST clusters/events` request (<https://docs.databricks.com/api/workspace/clusters>).
#[derive(Debug, Deserialize)]
struct EventsReq {
    cluster_id: String,
    start_time: Option<i64>,
    end_time: Option<i64>,
    order: Option<Direction>,
    event_types: Option<Vec<String>>,
    offset: Option<i64>,
    limit: Option<i64>,
    page_size: Option<i64>,
    page_token: Option<String>,
}

/// A page token of `events`: where the page starts and the `end_time` the listing is pinned to.
fn encode_events_token(offset: usize, end_time: i64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("events:{offset}:{end_time}"))
}

fn decode_events_token(token: &str) -> Option<(usize, i64)> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (offset, end) = text.strip_prefix("events:")?.split_once(':')?;
    Some((offset.parse().ok()?, end.parse().ok()?))
}

/// `POST clusters/events`, newest first unless `order` is `ASC`, in either paging scheme:
///
/// - `offset`/`limit` (the original one, which the official SDKs follow): the answer has
///   `total_count` and, when more remain, `next_page`, the whole request for the next page
///   (pinned to an `end_time`), which the SDK re-POSTs as is;
/// - `page_size`/`page_token` (docs.databricks.com "Cluster events API pagination changes"):
///   `next_page_token` / `prev_page_token` (omitted when there is none), no `total_count`.
///
/// Answers in the first scheme carry the tokens too, so a client may switch.
fn events(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let req: EventsReq = ctx.decode()?;
    let c = ctx
        .state
        .clusters
        .get(&req.cluster_id)
        .ok_or_else(|| does_not_exist(&req.cluster_id))?;
    if let Some(types) = &req.event_types {
        if let Some(bad) = types.iter().find(|t| !EVENT_TYPES.contains(&t.as_str())) {
            return Err(invalid(format!(
                "Invalid value for field 'event_types': {bad}"
            )));
        }
    }
    let order = req.order.unwrap_or(Direction::Desc);
    let token_mode = req.page_token.is_some() || (req.page_size.is_some() && req.limit.is_none());
    let (offset, end_time) = match req.page_token.as_deref() {
        Some("") | None => {
            let offset = req.offset.unwrap_or(0);
            if offset < 0 {
                return Err(invalid(format!(
                    "offset must be non-negative, got {offset}."
                )));
            }
            if offset > 0 && order == Direction::Desc && req.end_time.is_none() {
                return Err(invalid(
                    "end_time is required when offset is given and events are listed in descending order.",
                ));
            }
            (usize::try_from(offset).unwrap_or(usize::MAX), req.end_time)
        }
        Some(t) => {
            let (offset, end) = decode_events_token(t)
                .ok_or_else(|| invalid(format!("Invalid page token: {t}")))?;
            (offset, Some(end))
        }
    };
    let limit = if token_mode {
        // "If the value is outside the range, the server enforces 0 or 500"; 0: the default.
        match req.page_size.unwrap_or(0).clamp(0, EVENTS_LIMIT_MAX) {
            0 => EVENTS_LIMIT_DEFAULT,
            n => n,
        }
    } else {
        match req.limit {
            None | Some(0) => EVENTS_LIMIT_DEFAULT,
            Some(n) if !(1..=EVENTS_LIMIT_MAX).contains(&n) => {
                return Err(invalid(format!(
                    "limit must be between 1 and {EVENTS_LIMIT_MAX}, got {n}."
                )))
            }
            Some(n) => n,
        }
    };
    let limit = usize::try_from(limit).unwrap_or(0);
    let mut matching: Vec<&crate::state::clusters::ClusterEvent> = c
        .info
        .events
        .iter()
        .filter(|e| req.start_time.is_none_or(|t| e.timestamp >= t))
        .filter(|e| end_time.is_none_or(|t| e.timestamp <= t))
        .filter(|e| {
            req.event_types
                .as_ref()
                .is_none_or(|t| t.is_empty() || t.iter().any(|x| x == e.kind))
        })
        .collect();
    if order == Direction::Desc {
        matching.reverse();
    }
    let total = matching.len();
    let start = offset.min(total);
    let end = start.saturating_add(limit).min(total);
    let page: Vec<Value> = matching[start..end]
        .iter()
        .map(|e| {
            json!({
                "cluster_id": req.cluster_id,
                "timestamp": e.timestamp,
                "type": e.kind,
                "details": e.details,
            })
        })
        .collect();
    // Later pages are pinned to this end time so that new events do not shift them.
    let pinned_end = end_time.unwrap_or(ctx.now_ms);
    let mut out = Map::new();
    out.insert("events".into(), Value::Array(page));
    if end < total {
        out.insert(
            "next_page_token".into(),
            json!(encode_events_token(end, pinned_end)),
        );
    }
    if start > 0 {
        out.insert(
            "prev_page_token".into(),
            json!(encode_events_token(start.saturating_sub(limit), pinned_end)),
        );
    }
    if !token_mode {
        if end < total {
            let mut next = Map::new();
            next.insert("cluster_id".into(), json!(req.cluster_id));
            if let Some(t) = req.start_time {
                next.insert("start_time".into(), json!(t));
            }
            next.insert("end_time".into(), json!(pinned_end));
            let order_name = if order == Direction::Asc {
                "ASC"
            } else {
                "DESC"
            };
            next.insert("order".into(), json!(order_name));
            if let Some(t) = &req.event_types {
                next.insert("event_types".into(), json!(t));
            }
            next.insert("offset".into(), json!(end));
            next.insert("limit".into(), json!(limit));
            out.insert("next_page".into(), Value::Object(next));
        }
        out.insert("total_count".into(), json!(total));
    }
    Ok(Reply::json(Value::Object(out)))
}

/// `GET clusters/spark-versions`.
fn spark_versions(_: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    Reply::typed(&json!({ "versions": catalogue::SPARK_VERSIONS }))
}

/// `GET clusters/list-zones`.
fn list_zones(_: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::json(json!({
        "zones": catalogue::ZONES,
        "default_zone": catalogue::DEFAULT_ZONE,
    })))
}

/// `GET clusters/list-node-types`: the fields the official SDKs' `select_node_type` reads.
fn list_node_types(_: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let types: Vec<Value> = catalogue::NODE_TYPES
        .iter()
        .enumerate()
        .map(|(i, n)| {
            // Every disk field is present (the official SDK sorts on all four); the local
            // disks are counted once, as `local_disks`.
            let instance = json!({
                "instance_type_id": n.id,
                "local_disks": n.local_disks,
                "local_disk_size_gb": n.local_disk_size_gb,
                "local_nvme_disks": 0,
                "local_nvme_disk_size_gb": 0,
            });
            json!({
                "node_type_id": n.id,
                "instance_type_id": n.id,
                "description": n.id,
                "memory_mb": n.memory_mb,
                "num_cores": n.cores,
                "num_gpus": n.gpus,
                "category": n.category,
                "is_deprecated": n.deprecated,
                "is_hidden": false,
                "is_graviton": n.graviton,
                "is_io_cache_enabled": n.local_disks > 0,
                "is_encrypted_in_transit": false,
                "photon_driver_capable": n.photon,
                "photon_worker_capable": n.photon,
                "support_ebs_volumes": true,
                "support_cluster_tags": true,
                "support_port_forwarding": true,
                "display_order": i,
                "node_instance_type": instance,
            })
        })
        .collect();
    Ok(Reply::json(json!({ "node_types": types })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_clock() {
        // 2024-01-24 16:53:13 UTC
        let id = new_cluster_id(1_706_115_193_000, |_| false);
        assert!(id.starts_with("0124-165313-"), "{id}");
        assert_eq!(id.len(), "0124-165313-5fpp2uv9".len());
        assert_eq!(month_day(0), (1, 1));
        assert_eq!(month_day(59), (3, 1));
    }

    #[test]
    fn page_tokens_round_trip() {
        assert_eq!(decode_token(&encode_token(300)), Some(300));
        assert_eq!(decode_token("nonsense"), None);
    }
}
