//! Wire types of the Clusters API, with the API's own field names (the official SDKs'
//! `compute` service and <https://docs.databricks.com/api/workspace/clusters>).
//!
//! Databricks keeps adding cluster fields. [`ClusterSpec`], [`ClusterDetails`] and the nested
//! attribute types keep every field they do not model in an `extra` map and send it back, so a
//! `get` → change → `edit` round trip never drops a setting this crate does not know.

use std::collections::BTreeMap;
use std::fmt;

use dbx_core::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::enums::*;

dbx_core::string_id!(
    /// A cluster id, of the form `MMDD-HHMMSS-xxxxxxxx` (e.g. `0124-165313-5fpp2uv9`).
    ///
    /// ```
    /// let id = dbx_clusters::ClusterId::from("0124-165313-5fpp2uv9");
    /// assert_eq!(id.to_string(), "0124-165313-5fpp2uv9");
    /// ```
    ClusterId
);

/// Fields this crate does not model, kept verbatim and sent back.
pub type Extra = Map<String, Value>;

/// Autoscaling bounds (`AutoScale`): the cluster keeps between `min_workers` and
/// `max_workers` workers.
///
/// ```
/// let a = dbx_clusters::AutoScale::new(2, 8);
/// assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::json!({"min_workers": 2, "max_workers": 8}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoScale {
    /// The fewest workers; the cluster starts with this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_workers: Option<i32>,
    /// The most workers; must be at least `min_workers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_workers: Option<i32>,
}

impl AutoScale {
    /// Between `min` and `max` workers.
    pub fn new(min: i32, max: i32) -> Self {
        Self {
            min_workers: Some(min),
            max_workers: Some(max),
        }
    }
}

/// The size to resize a cluster to: a fixed number of workers, or autoscaling bounds. Exactly
/// one of `num_workers` and `autoscale` is sent, next to the `cluster_id` (the original
/// package's `resizeCluster(id, n, 'workers')` overwrote the id with `n` instead).
///
/// ```
/// use dbx_clusters::{AutoScale, Workers};
/// assert_eq!(Workers::Fixed(3), Workers::from(3));
/// assert_eq!(Workers::Autoscale(AutoScale::new(1, 4)), Workers::from(AutoScale::new(1, 4)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workers {
    /// Exactly this many workers (`num_workers`; 0 is a single-node cluster).
    Fixed(i32),
    /// Autoscaling bounds (`autoscale`).
    Autoscale(AutoScale),
}

impl From<i32> for Workers {
    fn from(n: i32) -> Self {
        Workers::Fixed(n)
    }
}

impl From<AutoScale> for Workers {
    fn from(a: AutoScale) -> Self {
        Workers::Autoscale(a)
    }
}

/// AWS settings of a cluster (`AwsAttributes`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AwsAttributes {
    /// Spot, on-demand, or spot with fallback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<AwsAvailability>,
    /// The availability zone (e.g. `us-west-2a`), or `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    /// How many of the first nodes (driver first) are on-demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_on_demand: Option<i32>,
    /// Instance profile for the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_profile_arn: Option<String>,
    /// Maximum spot price, in percent of the on-demand price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_bid_price_percent: Option<i32>,
    /// Type of the extra EBS volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebs_volume_type: Option<EbsVolumeType>,
    /// Number of extra EBS volumes per instance (at most 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebs_volume_count: Option<i32>,
    /// Size of each extra EBS volume, GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebs_volume_size: Option<i32>,
    /// IOPS of each gp3 volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebs_volume_iops: Option<i32>,
    /// Throughput of each gp3 volume, MiB/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebs_volume_throughput: Option<i32>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A storage location given by a `destination` (`DbfsStorageInfo`, `WorkspaceStorageInfo`,
/// `VolumesStorageInfo`, `LocalFileInfo`, `GcsStorageInfo`, `Adlsgen2Info`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    /// Where: `dbfs:/...`, `/Workspace/...`, `/Volumes/...`, `gs://...`, `abfss://...`.
    #[serde(default)]
    pub destination: String,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Destination {
    /// A location.
    pub fn new(destination: impl Into<String>) -> Self {
        Self {
            destination: destination.into(),
            extra: Extra::new(),
        }
    }
}

/// An S3 location (`S3StorageInfo`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct S3StorageInfo {
    /// `s3://bucket/prefix`.
    #[serde(default)]
    pub destination: String,
    /// The bucket's region (this or `endpoint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The S3 endpoint (this or `region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Server-side encryption on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_encryption: Option<bool>,
    /// `sse-s3` or `sse-kms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_type: Option<String>,
    /// KMS key for `sse-kms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    /// Canned ACL, e.g. `bucket-owner-full-control`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canned_acl: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where a cluster delivers its logs (`ClusterLogConf`): one of the locations.
///
/// ```
/// let c = dbx_clusters::ClusterLogConf::dbfs("dbfs:/cluster-logs");
/// assert_eq!(serde_json::to_value(&c).unwrap(),
///            serde_json::json!({"dbfs": {"destination": "dbfs:/cluster-logs"}}));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterLogConf {
    /// A DBFS location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbfs: Option<Destination>,
    /// An S3 location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3StorageInfo>,
    /// A Unity Catalog volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Destination>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ClusterLogConf {
    /// Logs to DBFS.
    pub fn dbfs(destination: impl Into<String>) -> Self {
        Self {
            dbfs: Some(Destination::new(destination)),
            ..Self::default()
        }
    }
}

/// One init script (`InitScriptInfo`): exactly one location.
///
/// ```
/// let s = dbx_clusters::InitScriptInfo::workspace("/Shared/init.sh");
/// assert_eq!(serde_json::to_value(&s).unwrap(),
///            serde_json::json!({"workspace": {"destination": "/Shared/init.sh"}}));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InitScriptInfo {
    /// A workspace file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<Destination>,
    /// A Unity Catalog volume file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Destination>,
    /// A DBFS file (deprecated by Databricks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbfs: Option<Destination>,
    /// An S3 object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3StorageInfo>,
    /// A file on the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Destination>,
    /// A Google Cloud Storage object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcs: Option<Destination>,
    /// An ADLS Gen2 file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abfss: Option<Destination>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl InitScriptInfo {
    /// A script in the workspace.
    pub fn workspace(destination: impl Into<String>) -> Self {
        Self {
            workspace: Some(Destination::new(destination)),
            ..Self::default()
        }
    }

    /// A script in a Unity Catalog volume.
    pub fn volumes(destination: impl Into<String>) -> Self {
        Self {
            volumes: Some(Destination::new(destination)),
            ..Self::default()
        }
    }
}

/// Registry credentials of a custom container (`DockerBasicAuth`). `Debug` never shows the
/// password.
///
/// ```
/// let a = dbx_clusters::DockerBasicAuth::new("me", "hunter2");
/// assert!(!format!("{a:?}").contains("hunter2"));
/// assert_eq!(serde_json::to_value(&a).unwrap()["password"], "hunter2");
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct DockerBasicAuth {
    /// User name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password (a secret).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "expose_opt"
    )]
    pub password: Option<SecretString>,
}

impl DockerBasicAuth {
    /// Credentials.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: Some(username.into()),
            password: Some(SecretString::from(password.into())),
        }
    }
}

impl fmt::Debug for DockerBasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DockerBasicAuth")
            .field("username", &self.username)
            .field(
                "password",
                &self.password.as_ref().map(|_| dbx_core::Redacted),
            )
            .finish()
    }
}

impl PartialEq for DockerBasicAuth {
    fn eq(&self, other: &Self) -> bool {
        self.username == other.username
            && self.password.as_ref().map(|p| p.expose_secret())
                == other.password.as_ref().map(|p| p.expose_secret())
    }
}

fn expose_opt<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(secret) => s.serialize_str(secret.expose_secret()),
        None => s.serialize_none(),
    }
}

/// A custom container image (`DockerImage`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DockerImage {
    /// Image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Registry credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<DockerBasicAuth>,
}

/// The settings of a cluster (`ClusterSpec`, also the `cluster` of `update` and the
/// `attributes` of an `EDITED` event). Every field is optional on the wire; `create` and `edit`
/// need `spark_version`, and `node_type_id` unless an instance pool is given.
///
/// Build it with [`ClusterSpec::new`] and the setters, or take it from a cluster with
/// [`ClusterDetails::to_spec`] to change and `edit` it. Fields this crate does not model are in
/// [`ClusterSpec::extra`] and are sent back.
///
/// ```
/// use dbx_clusters::{AutoScale, ClusterSpec, RuntimeEngine};
/// let spec = ClusterSpec::new("13.3.x-scala2.12")
///     .cluster_name("etl")
///     .node_type_id("i3.xlarge")
///     .autoscale(AutoScale::new(1, 4))
///     .autotermination_minutes(30)
///     .spark_conf("spark.speculation", "true")
///     .custom_tag("team", "data")
///     .runtime_engine(RuntimeEngine::Photon);
/// let body = serde_json::to_value(&spec).unwrap();
/// assert_eq!(body["autoscale"]["max_workers"], 4);
/// assert_eq!(body["custom_tags"]["team"], "data");
/// assert!(body.get("num_workers").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// The Databricks Runtime version key, e.g. `13.3.x-scala2.12` (see
    /// [`ClustersApi::spark_versions`](crate::ClustersApi::spark_versions)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_version: Option<String>,
    /// A display name; not unique.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// Fixed number of workers (0: single node). Exclusive with `autoscale`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_workers: Option<i32>,
    /// Autoscaling bounds. Exclusive with `num_workers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<AutoScale>,
    /// Worker (and default driver) node type, e.g. `i3.xlarge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_type_id: Option<String>,
    /// Driver node type (default: `node_type_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_node_type_id: Option<String>,
    /// Spark configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_conf: Option<BTreeMap<String, String>>,
    /// Environment variables of the Spark processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_env_vars: Option<BTreeMap<String, String>>,
    /// Tags on the cloud resources (at most 45).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_tags: Option<BTreeMap<String, String>>,
    /// SSH public keys for the `ubuntu` user (at most 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_public_keys: Option<Vec<String>>,
    /// Minutes of inactivity before the cluster terminates (10–10000; 0 disables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autotermination_minutes: Option<i32>,
    /// Autoscale local storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_elastic_disk: Option<bool>,
    /// Encrypt local disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_local_disk_encryption: Option<bool>,
    /// Log delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_log_conf: Option<ClusterLogConf>,
    /// Init scripts, run in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_scripts: Option<Vec<InitScriptInfo>>,
    /// AWS settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_attributes: Option<AwsAttributes>,
    /// Azure settings, verbatim (`AzureAttributes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_attributes: Option<Value>,
    /// Google Cloud settings, verbatim (`GcpAttributes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp_attributes: Option<Value>,
    /// Instance pool for the workers (and the driver by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_pool_id: Option<String>,
    /// Instance pool for the driver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_instance_pool_id: Option<String>,
    /// Cluster policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// Fill unset fields from the policy's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_policy_default_values: Option<bool>,
    /// Custom container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image: Option<DockerImage>,
    /// Access mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_security_mode: Option<DataSecurityMode>,
    /// The user of a `SINGLE_USER` cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_user_name: Option<String>,
    /// Photon or standard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_engine: Option<RuntimeEngine>,
    /// Cluster kind (`CLASSIC_PREVIEW` enables the simplified fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// Simplified form: a single-node cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_single_node: Option<bool>,
    /// Simplified form: use the ML runtime of `spark_version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_ml_runtime: Option<bool>,
    /// What the cluster may run (`WorkloadType`), verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_type: Option<Value>,
    /// Legacy 2.0 `create` only: an active cluster created with the same token is returned
    /// instead of a new one (at most 64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_token: Option<String>,
    /// Fields this crate does not model, sent back as they came.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ClusterSpec {
    /// A spec with this runtime version (e.g. `13.3.x-scala2.12`).
    pub fn new(spark_version: impl Into<String>) -> Self {
        Self {
            spark_version: Some(spark_version.into()),
            ..Self::default()
        }
    }

    /// Set the runtime version.
    pub fn spark_version(mut self, v: impl Into<String>) -> Self {
        self.spark_version = Some(v.into());
        self
    }

    /// Set the display name.
    pub fn cluster_name(mut self, name: impl Into<String>) -> Self {
        self.cluster_name = Some(name.into());
        self
    }

    /// A fixed number of workers (clears `autoscale`).
    pub fn num_workers(mut self, n: i32) -> Self {
        self.num_workers = Some(n);
        self.autoscale = None;
        self
    }

    /// Autoscaling bounds (clears `num_workers`).
    pub fn autoscale(mut self, autoscale: AutoScale) -> Self {
        self.autoscale = Some(autoscale);
        self.num_workers = None;
        self
    }

    /// Workers as a [`Workers`] value.
    pub fn workers(self, workers: impl Into<Workers>) -> Self {
        match workers.into() {
            Workers::Fixed(n) => self.num_workers(n),
            Workers::Autoscale(a) => self.autoscale(a),
        }
    }

    /// Set the node type.
    pub fn node_type_id(mut self, id: impl Into<String>) -> Self {
        self.node_type_id = Some(id.into());
        self
    }

    /// Set the driver node type.
    pub fn driver_node_type_id(mut self, id: impl Into<String>) -> Self {
        self.driver_node_type_id = Some(id.into());
        self
    }

    /// Add a Spark configuration entry.
    pub fn spark_conf(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.spark_conf
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Add an environment variable.
    pub fn spark_env_var(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.spark_env_vars
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Add a custom tag.
    pub fn custom_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.custom_tags
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Add an SSH public key.
    pub fn ssh_public_key(mut self, key: impl Into<String>) -> Self {
        self.ssh_public_keys
            .get_or_insert_with(Vec::new)
            .push(key.into());
        self
    }

    /// Set the inactivity timeout, minutes (0 disables).
    pub fn autotermination_minutes(mut self, minutes: i32) -> Self {
        self.autotermination_minutes = Some(minutes);
        self
    }

    /// Autoscale local storage.
    pub fn enable_elastic_disk(mut self, on: bool) -> Self {
        self.enable_elastic_disk = Some(on);
        self
    }

    /// Set the log delivery.
    pub fn cluster_log_conf(mut self, conf: ClusterLogConf) -> Self {
        self.cluster_log_conf = Some(conf);
        self
    }

    /// Add an init script.
    pub fn init_script(mut self, script: InitScriptInfo) -> Self {
        self.init_scripts.get_or_insert_with(Vec::new).push(script);
        self
    }

    /// Set the AWS settings.
    pub fn aws_attributes(mut self, aws: AwsAttributes) -> Self {
        self.aws_attributes = Some(aws);
        self
    }

    /// Use an instance pool.
    pub fn instance_pool_id(mut self, id: impl Into<String>) -> Self {
        self.instance_pool_id = Some(id.into());
        self
    }

    /// Apply a cluster policy.
    pub fn policy_id(mut self, id: impl Into<String>) -> Self {
        self.policy_id = Some(id.into());
        self
    }

    /// Set the access mode.
    pub fn data_security_mode(mut self, mode: DataSecurityMode) -> Self {
        self.data_security_mode = Some(mode);
        self
    }

    /// Set the user of a `SINGLE_USER` cluster.
    pub fn single_user_name(mut self, user: impl Into<String>) -> Self {
        self.single_user_name = Some(user.into());
        self
    }

    /// Set the runtime engine.
    pub fn runtime_engine(mut self, engine: RuntimeEngine) -> Self {
        self.runtime_engine = Some(engine);
        self
    }

    /// Use a custom container.
    pub fn docker_image(mut self, image: DockerImage) -> Self {
        self.docker_image = Some(image);
        self
    }

    /// Set the legacy 2.0 idempotency token.
    pub fn idempotency_token(mut self, token: impl Into<String>) -> Self {
        self.idempotency_token = Some(token.into());
        self
    }

    /// Set any field by its wire name, for fields this crate does not model (a known field set
    /// this way is replaced by the typed one if both are set).
    pub fn field(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }

    /// The workers as a [`Workers`] value, when set.
    pub fn workers_value(&self) -> Option<Workers> {
        match (&self.autoscale, self.num_workers) {
            (Some(a), _) => Some(Workers::Autoscale(a.clone())),
            (None, Some(n)) => Some(Workers::Fixed(n)),
            (None, None) => None,
        }
    }
}

/// A driver or executor node (`SparkNode`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SparkNode {
    /// Node id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    /// Cloud instance id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Private IP of the Spark container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
    /// Public DNS name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_dns: Option<String>,
    /// Private IP of the host instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_private_ip: Option<String>,
    /// When the node started, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_timestamp: Option<i64>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Why a cluster terminated (`TerminationReason`).
///
/// ```
/// use dbx_clusters::{TerminationCode, TerminationReason, TerminationType};
/// let r: TerminationReason = serde_json::from_str(
///     r#"{"code": "USER_REQUEST", "type": "SUCCESS", "parameters": {"username": "me@x"}}"#).unwrap();
/// assert_eq!(r.code, Some(TerminationCode::UserRequest));
/// assert_eq!(r.kind, Some(TerminationType::Success));
/// assert_eq!(r.parameters["username"], "me@x");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminationReason {
    /// The code, e.g. `USER_REQUEST`, `INACTIVITY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<TerminationCode>,
    /// The kind (`type` on the wire).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<TerminationType>,
    /// More about it, e.g. `username`, `inactivity_duration_min`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
}

impl fmt::Display for TerminationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(c) => write!(f, "{c}")?,
            None => f.write_str("no code")?,
        }
        if let Some(k) = &self.kind {
            write!(f, " ({k})")?;
        }
        if !self.parameters.is_empty() {
            let params: Vec<String> = self
                .parameters
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            write!(f, " [{}]", params.join(", "))?;
        }
        Ok(())
    }
}

/// Log delivery status (`LogSyncStatus`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSyncStatus {
    /// Last attempt, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted: Option<i64>,
    /// Last failure, if the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_exception: Option<String>,
}

/// A cluster as `get` and `list` return it (`ClusterDetails`): the settings plus the state.
///
/// The server's own copy of the settings as the user gave them is [`ClusterDetails::spec`];
/// [`ClusterDetails::to_spec`] gives the spec to change and send back with `edit`, unknown fields
/// included.
///
/// ```
/// use dbx_clusters::{ClusterDetails, State};
/// let c: ClusterDetails = serde_json::from_value(serde_json::json!({
///     "cluster_id": "0124-165313-5fpp2uv9", "state": "RUNNING", "num_workers": 2,
///     "spark_version": "13.3.x-scala2.12", "a_field_from_the_future": {"x": 1}
/// })).unwrap();
/// assert_eq!(c.state, Some(State::Running));
/// assert_eq!(c.extra["a_field_from_the_future"]["x"], 1);
/// assert_eq!(serde_json::to_value(&c.to_spec()).unwrap()["a_field_from_the_future"]["x"], 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterDetails {
    /// The id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<ClusterId>,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_user_name: Option<String>,
    /// The state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// The state in words (e.g. why it terminated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_message: Option<String>,
    /// When it was created or last started from TERMINATED, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// When it terminated, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated_time: Option<i64>,
    /// When the driver was last lost, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_state_loss_time: Option<i64>,
    /// When it last restarted, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_restarted_time: Option<i64>,
    /// Why it terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_reason: Option<TerminationReason>,
    /// The driver node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<SparkNode>,
    /// The worker nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executors: Option<Vec<SparkNode>>,
    /// The Spark context's id; changes on every restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_context_id: Option<i64>,
    /// JDBC port of the driver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jdbc_port: Option<i32>,
    /// Total memory of the nodes, MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_memory_mb: Option<i64>,
    /// Total cores of the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_cores: Option<f64>,
    /// Tags Databricks adds (`Vendor`, `Creator`, `ClusterName`, `ClusterId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_tags: Option<BTreeMap<String, String>>,
    /// What created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_source: Option<ClusterSource>,
    /// Log delivery status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_log_status: Option<LogSyncStatus>,
    /// The settings as the user gave them (`get` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<ClusterSpec>,

    /// See [`ClusterSpec::spark_version`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_version: Option<String>,
    /// See [`ClusterSpec::cluster_name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// The target number of workers (see [`ClusterSpec::num_workers`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_workers: Option<i32>,
    /// See [`ClusterSpec::autoscale`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<AutoScale>,
    /// See [`ClusterSpec::node_type_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_type_id: Option<String>,
    /// See [`ClusterSpec::driver_node_type_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_node_type_id: Option<String>,
    /// See [`ClusterSpec::spark_conf`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_conf: Option<BTreeMap<String, String>>,
    /// See [`ClusterSpec::spark_env_vars`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_env_vars: Option<BTreeMap<String, String>>,
    /// See [`ClusterSpec::custom_tags`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_tags: Option<BTreeMap<String, String>>,
    /// See [`ClusterSpec::ssh_public_keys`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_public_keys: Option<Vec<String>>,
    /// See [`ClusterSpec::autotermination_minutes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autotermination_minutes: Option<i32>,
    /// See [`ClusterSpec::enable_elastic_disk`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_elastic_disk: Option<bool>,
    /// See [`ClusterSpec::enable_local_disk_encryption`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_local_disk_encryption: Option<bool>,
    /// See [`ClusterSpec::cluster_log_conf`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_log_conf: Option<ClusterLogConf>,
    /// See [`ClusterSpec::init_scripts`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_scripts: Option<Vec<InitScriptInfo>>,
    /// See [`ClusterSpec::aws_attributes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_attributes: Option<AwsAttributes>,
    /// See [`ClusterSpec::azure_attributes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_attributes: Option<Value>,
    /// See [`ClusterSpec::gcp_attributes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp_attributes: Option<Value>,
    /// See [`ClusterSpec::instance_pool_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_pool_id: Option<String>,
    /// See [`ClusterSpec::driver_instance_pool_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_instance_pool_id: Option<String>,
    /// See [`ClusterSpec::policy_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// See [`ClusterSpec::apply_policy_default_values`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_policy_default_values: Option<bool>,
    /// See [`ClusterSpec::docker_image`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image: Option<DockerImage>,
    /// See [`ClusterSpec::data_security_mode`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_security_mode: Option<DataSecurityMode>,
    /// See [`ClusterSpec::single_user_name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_user_name: Option<String>,
    /// See [`ClusterSpec::runtime_engine`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_engine: Option<RuntimeEngine>,
    /// See [`ClusterSpec::kind`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// See [`ClusterSpec::is_single_node`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_single_node: Option<bool>,
    /// See [`ClusterSpec::use_ml_runtime`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_ml_runtime: Option<bool>,
    /// See [`ClusterSpec::workload_type`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_type: Option<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ClusterDetails {
    /// The id (empty when the server sent none).
    pub fn id(&self) -> ClusterId {
        self.cluster_id
            .clone()
            .unwrap_or_else(|| ClusterId(String::new()))
    }

    /// The state ([`State::UnknownState`] when the server sent none).
    pub fn state(&self) -> State {
        self.state.clone().unwrap_or(State::UnknownState)
    }

    /// The settings to change and send back with
    /// [`ClustersApi::edit`](crate::ClustersApi::edit): the server's [`ClusterDetails::spec`]
    /// when it sent one (the settings as given, with every field this crate does not model), else
    /// the settings fields of the details plus every field this crate does not model.
    pub fn to_spec(&self) -> ClusterSpec {
        if let Some(spec) = &self.spec {
            return spec.clone();
        }
        ClusterSpec {
            spark_version: self.spark_version.clone(),
            cluster_name: self.cluster_name.clone(),
            num_workers: if self.autoscale.is_some() {
                None
            } else {
                self.num_workers
            },
            autoscale: self.autoscale.clone(),
            node_type_id: self.node_type_id.clone(),
            driver_node_type_id: self.driver_node_type_id.clone(),
            spark_conf: self.spark_conf.clone(),
            spark_env_vars: self.spark_env_vars.clone(),
            custom_tags: self.custom_tags.clone(),
            ssh_public_keys: self.ssh_public_keys.clone(),
            autotermination_minutes: self.autotermination_minutes,
            enable_elastic_disk: self.enable_elastic_disk,
            enable_local_disk_encryption: self.enable_local_disk_encryption,
            cluster_log_conf: self.cluster_log_conf.clone(),
            init_scripts: self.init_scripts.clone(),
            aws_attributes: self.aws_attributes.clone(),
            azure_attributes: self.azure_attributes.clone(),
            gcp_attributes: self.gcp_attributes.clone(),
            instance_pool_id: self.instance_pool_id.clone(),
            driver_instance_pool_id: self.driver_instance_pool_id.clone(),
            policy_id: self.policy_id.clone(),
            apply_policy_default_values: self.apply_policy_default_values,
            docker_image: self.docker_image.clone(),
            data_security_mode: self.data_security_mode.clone(),
            single_user_name: self.single_user_name.clone(),
            runtime_engine: self.runtime_engine.clone(),
            kind: self.kind.clone(),
            is_single_node: self.is_single_node,
            use_ml_runtime: self.use_ml_runtime,
            workload_type: self.workload_type.clone(),
            idempotency_token: None,
            extra: self.extra.clone(),
        }
    }
}

/// The cluster size in an event (`ClusterSize`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSize {
    /// Fixed workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_workers: Option<i32>,
    /// Autoscaling bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<AutoScale>,
}

/// What an event says (`EventDetails`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventDetails {
    /// Workers now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_num_workers: Option<i32>,
    /// Workers wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_num_workers: Option<i32>,
    /// The settings after an edit (or at creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<ClusterSpec>,
    /// The settings before an edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_attributes: Option<ClusterSpec>,
    /// The size after a resize.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_size: Option<ClusterSize>,
    /// The size before a resize.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_cluster_size: Option<ClusterSize>,
    /// Why a resize happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<EventCause>,
    /// Why the cluster terminates (`TERMINATING`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<TerminationReason>,
    /// The user behind the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Driver state, for driver events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_state_message: Option<String>,
    /// Disk size, for disk events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_size: Option<i64>,
    /// Instance, for node events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Job run, for job clusters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_run_name: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One cluster event (`ClusterEvent`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterEvent {
    /// The cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<ClusterId>,
    /// When, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// What kind of event (`type` on the wire).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<EventType>,
    /// What it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<EventDetails>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A page of events (`GetEventsResponse`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EventsPage {
    /// The events of this page.
    #[serde(default)]
    pub events: Vec<ClusterEvent>,
    /// The full request of the next page, to be sent as is; absent on the last page.
    #[serde(default)]
    pub next_page: Option<Map<String, Value>>,
    /// How many events match in all.
    #[serde(default)]
    pub total_count: Option<i64>,
    /// Token of the next page (newer token paging).
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// Token of the previous page (newer token paging).
    #[serde(default)]
    pub prev_page_token: Option<String>,
}

/// Local disks of a node type (`NodeInstanceType`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInstanceType {
    /// The cloud's instance type.
    #[serde(default)]
    pub instance_type_id: String,
    /// Number of local disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_disks: Option<i32>,
    /// Size of each local disk, GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_disk_size_gb: Option<i32>,
    /// Number of local NVMe disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_nvme_disks: Option<i32>,
    /// Size of each local NVMe disk, GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_nvme_disk_size_gb: Option<i32>,
}

/// Availability of a node type (`CloudProviderNodeInfo`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CloudProviderNodeInfo {
    /// Why it may not be usable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<CloudProviderNodeStatus>,
    /// Cores available in the quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_core_quota: Option<f64>,
    /// Total core quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_core_quota: Option<f64>,
}

/// A node type (`NodeType`), as `list-node-types` returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeType {
    /// The id to put in `node_type_id`, e.g. `i3.xlarge`.
    pub node_type_id: String,
    /// Memory, MiB.
    #[serde(default)]
    pub memory_mb: i64,
    /// Cores (may be fractional).
    #[serde(default)]
    pub num_cores: f64,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The cloud's instance type.
    #[serde(default)]
    pub instance_type_id: String,
    /// Category, e.g. `General Purpose`, `Memory Optimized`, `GPU Accelerated`.
    #[serde(default)]
    pub category: String,
    /// GPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_gpus: Option<i32>,
    /// Deprecated: still usable, not offered for new clusters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deprecated: Option<bool>,
    /// Hidden in the UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_hidden: Option<bool>,
    /// An ARM (Graviton) instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_graviton: Option<bool>,
    /// Disk cache available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_io_cache_enabled: Option<bool>,
    /// Traffic encrypted between nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_encrypted_in_transit: Option<bool>,
    /// Can be a Photon driver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photon_driver_capable: Option<bool>,
    /// Can be a Photon worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photon_worker_capable: Option<bool>,
    /// Supports cluster tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_cluster_tags: Option<bool>,
    /// Supports EBS volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_ebs_volumes: Option<bool>,
    /// Supports port forwarding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_port_forwarding: Option<bool>,
    /// UI order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_order: Option<i32>,
    /// Local disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_instance_type: Option<NodeInstanceType>,
    /// Availability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_info: Option<CloudProviderNodeInfo>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Databricks Runtime version (`SparkVersion`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SparkVersion {
    /// The key to put in `spark_version`, e.g. `13.3.x-scala2.12`.
    #[serde(default)]
    pub key: String,
    /// The name, e.g. `13.3 LTS (includes Apache Spark 3.4.1, Scala 2.12)`.
    #[serde(default)]
    pub name: String,
}

/// The availability zones of the workspace's region (`ListAvailableZonesResponse`, AWS only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zones {
    /// The zones, e.g. `us-west-2a`.
    #[serde(default)]
    pub zones: Vec<String>,
    /// The zone used when a cluster names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_zone: Option<String>,
}

/// Deserialize a possibly-null list as empty.
pub(crate) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}
