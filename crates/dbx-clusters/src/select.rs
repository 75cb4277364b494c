//! Selectors: pick a runtime version or a node type by properties instead of hard-coding keys,
//! with the official SDKs' rules (`select_spark_version`, `select_node_type` of the Python SDK's
//! compute mixin, ported there from the Go SDK).

use std::cmp::Ordering;

use crate::{CloudProviderNodeStatus, ClusterError, ClustersApi, NodeType, SparkVersion};

/// What [`ClustersApi::select_spark_version`] looks for. The default is the latest non-ML,
/// non-GPU, non-Photon, non-beta Scala 2.12 runtime.
///
/// A version matches when its key carries `-scala<scala>`, is not an `apache-spark-` key, has
/// `-ml-`, `-hls-` (genomics), `-gpu-`, `-photon-` and `-aarch64-` (Graviton) exactly as asked,
/// and `Beta` in its name exactly as asked; with [`lts`](SparkVersionQuery::lts) its name has
/// `LTS` (or its key `-esr-`); with [`spark_version`](SparkVersionQuery::spark_version) its
/// name has `Apache Spark <prefix>`. Of several matches the highest version wins (or, with
/// `latest(false)`, several are an error).
///
/// ```
/// use dbx_clusters::{SparkVersion, SparkVersionQuery};
/// let v = |key: &str, name: &str| SparkVersion { key: key.into(), name: name.into() };
/// let versions = [
///     v("13.3.x-scala2.12", "13.3 LTS (includes Apache Spark 3.4.1, Scala 2.12)"),
///     v("14.3.x-scala2.12", "14.3 LTS (includes Apache Spark 3.5.0, Scala 2.12)"),
///     v("15.1.x-scala2.12", "15.1 (includes Apache Spark 3.5.0, Scala 2.12)"),
///     v("14.3.x-cpu-ml-scala2.12", "14.3 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)"),
/// ];
/// assert_eq!(SparkVersionQuery::new().select(&versions).unwrap(), "15.1.x-scala2.12");
/// assert_eq!(SparkVersionQuery::new().lts().select(&versions).unwrap(), "14.3.x-scala2.12");
/// assert_eq!(SparkVersionQuery::new().ml().select(&versions).unwrap(), "14.3.x-cpu-ml-scala2.12");
/// assert_eq!(SparkVersionQuery::new().spark_version("3.4").select(&versions).unwrap(), "13.3.x-scala2.12");
/// assert!(SparkVersionQuery::new().gpu().select(&versions).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparkVersionQuery {
    /// Long-term support only.
    pub long_term_support: bool,
    /// Beta runtimes (and only those).
    pub beta: bool,
    /// Of several matches take the highest; `false` makes several matches an error.
    pub latest: bool,
    /// Machine learning runtimes.
    pub ml: bool,
    /// Genomics runtimes.
    pub genomics: bool,
    /// GPU runtimes.
    pub gpu: bool,
    /// Scala version, `2.12` by default.
    pub scala: String,
    /// Apache Spark version prefix, e.g. `3.5`.
    pub spark_version: Option<String>,
    /// Photon runtimes.
    pub photon: bool,
    /// Graviton (aarch64) runtimes.
    pub graviton: bool,
}

impl Default for SparkVersionQuery {
    fn default() -> Self {
        Self {
            long_term_support: false,
            beta: false,
            latest: true,
            ml: false,
            genomics: false,
            gpu: false,
            scala: "2.12".into(),
            spark_version: None,
            photon: false,
            graviton: false,
        }
    }
}

impl SparkVersionQuery {
    /// The latest standard Scala 2.12 runtime.
    pub fn new() -> Self {
        Self::default()
    }

    /// Long-term support runtimes only.
    pub fn lts(mut self) -> Self {
        self.long_term_support = true;
        self
    }

    /// Beta runtimes only.
    pub fn beta(mut self) -> Self {
        self.beta = true;
        self
    }

    /// Whether several matches pick the highest (`true`, the default) or are an error.
    pub fn latest(mut self, latest: bool) -> Self {
        self.latest = latest;
        self
    }

    /// ML runtimes only.
    pub fn ml(mut self) -> Self {
        self.ml = true;
        self
    }

    /// Genomics runtimes only.
    pub fn genomics(mut self) -> Self {
        self.genomics = true;
        self
    }

    /// GPU runtimes only (combine with [`ml`](Self::ml) for GPU ML).
    pub fn gpu(mut self) -> Self {
        self.gpu = true;
        self
    }

    /// Photon runtimes only.
    pub fn photon(mut self) -> Self {
        self.photon = true;
        self
    }

    /// Graviton (aarch64) runtimes only.
    pub fn graviton(mut self) -> Self {
        self.graviton = true;
        self
    }

    /// This Scala version (default `2.12`).
    pub fn scala(mut self, scala: impl Into<String>) -> Self {
        self.scala = scala.into();
        self
    }

    /// Runtimes whose Apache Spark version starts with `prefix` (e.g. `3.5`).
    pub fn spark_version(mut self, prefix: impl Into<String>) -> Self {
        self.spark_version = Some(prefix.into());
        self
    }

    /// Whether `v` matches.
    pub fn matches(&self, v: &SparkVersion) -> bool {
        let key = &v.key;
        if !key.contains(&format!("-scala{}", self.scala)) {
            return false;
        }
        let mut ok = !key.contains("apache-spark-")
            && key.contains("-ml-") == self.ml
            && key.contains("-hls-") == self.genomics
            && key.contains("-gpu-") == self.gpu
            && key.contains("-photon-") == self.photon
            && key.contains("-aarch64-") == self.graviton
            && v.name.contains("Beta") == self.beta;
        if ok && self.long_term_support {
            ok = v.name.contains("LTS") || key.contains("-esr-");
        }
        if ok {
            if let Some(prefix) = &self.spark_version {
                ok = v.name.contains(&format!("Apache Spark {prefix}"));
            }
        }
        ok
    }

    /// The key of the matching version among `versions` (see the type's rules).
    pub fn select(&self, versions: &[SparkVersion]) -> Result<String, ClusterError> {
        let mut found: Vec<&SparkVersion> = versions.iter().filter(|v| self.matches(v)).collect();
        if found.is_empty() {
            return Err(ClusterError::NoMatch(format!(
                "no Spark version matches {self:?} among {} versions",
                versions.len()
            )));
        }
        if found.len() > 1 && !self.latest {
            let keys: Vec<&str> = found.iter().map(|v| v.key.as_str()).collect();
            return Err(ClusterError::NoMatch(format!(
                "several Spark versions match {self:?} and latest is off: {}",
                keys.join(", ")
            )));
        }
        found.sort_by(|a, b| version_order(&b.key, &a.key));
        Ok(found[0].key.clone())
    }
}

/// Order runtime keys by version: `13.3.x-scala2.12` < `14.3.x-scala2.12`; an `x` counts as 0,
/// and equal versions compare by the rest of the key.
fn version_order(a: &str, b: &str) -> Ordering {
    fn parts(key: &str) -> (Vec<u64>, &str) {
        let (version, rest) = key.split_once('-').unwrap_or((key, ""));
        let mut nums: Vec<u64> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
        nums.resize(3, 0);
        (nums, rest)
    }
    let (va, ra) = parts(a);
    let (vb, rb) = parts(b);
    va.cmp(&vb).then_with(|| ra.cmp(rb))
}

/// What [`ClustersApi::select_node_type`] looks for: every condition set must hold, and the
/// smallest node type that meets them wins (fewest cores, then least memory, then least local
/// disk, then fewest GPUs; deprecated ones last; those not available in the region skipped).
///
/// ```
/// use dbx_clusters::{NodeType, NodeTypeQuery};
/// let t = |id: &str, mem_gb: i64, cores: f64, gpus: i32| NodeType {
///     node_type_id: id.into(), memory_mb: mem_gb * 1024, num_cores: cores,
///     num_gpus: Some(gpus), category: "General Purpose".into(), ..NodeType::default()
/// };
/// let types = [t("m5d.2xlarge", 32, 8.0, 0), t("m5d.large", 8, 2.0, 0), t("g4dn.xlarge", 16, 4.0, 1)];
/// assert_eq!(NodeTypeQuery::new().select(&types).unwrap(), "m5d.large");
/// assert_eq!(NodeTypeQuery::new().min_memory_gb(16).select(&types).unwrap(), "g4dn.xlarge");
/// assert_eq!(NodeTypeQuery::new().min_memory_gb(16).min_gpus(0).select(&types).unwrap(), "m5d.2xlarge");
/// assert!(NodeTypeQuery::new().min_cores(64).select(&types).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeTypeQuery {
    /// At least this much memory, GiB.
    pub min_memory_gb: Option<i64>,
    /// At least this much memory per core, GiB.
    pub gb_per_core: Option<i64>,
    /// At least this many cores.
    pub min_cores: Option<i64>,
    /// At least this many GPUs; `Some(0)` means no GPUs at all.
    pub min_gpus: Option<i32>,
    /// Has a local disk.
    pub local_disk: bool,
    /// At least this much local disk in all, GB (implies a local disk).
    pub local_disk_min_size: Option<i64>,
    /// This category (case-insensitive), e.g. `Memory Optimized`.
    pub category: Option<String>,
    /// Can be a Photon worker.
    pub photon_worker_capable: bool,
    /// Can be a Photon driver.
    pub photon_driver_capable: bool,
    /// A Graviton (ARM) type.
    pub graviton: bool,
    /// Has the disk cache.
    pub is_io_cache_enabled: bool,
    /// Supports port forwarding.
    pub support_port_forwarding: bool,
    /// The id contains this (a fleet, e.g. `rgd-fleet`).
    pub fleet: Option<String>,
}

impl NodeTypeQuery {
    /// The smallest node type, no conditions.
    pub fn new() -> Self {
        Self::default()
    }

    /// At least `gb` GiB of memory.
    pub fn min_memory_gb(mut self, gb: i64) -> Self {
        self.min_memory_gb = Some(gb);
        self
    }

    /// At least `gb` GiB of memory per core.
    pub fn gb_per_core(mut self, gb: i64) -> Self {
        self.gb_per_core = Some(gb);
        self
    }

    /// At least `n` cores.
    pub fn min_cores(mut self, n: i64) -> Self {
        self.min_cores = Some(n);
        self
    }

    /// At least `n` GPUs (0: no GPU).
    pub fn min_gpus(mut self, n: i32) -> Self {
        self.min_gpus = Some(n);
        self
    }

    /// A local disk.
    pub fn local_disk(mut self) -> Self {
        self.local_disk = true;
        self
    }

    /// At least `gb` GB of local disk.
    pub fn local_disk_min_size(mut self, gb: i64) -> Self {
        self.local_disk_min_size = Some(gb);
        self
    }

    /// This category, e.g. `General Purpose`, `Memory Optimized`, `GPU Accelerated`.
    pub fn category(mut self, category: impl Into<String>) -> Self {
        self.category = Some(category.into());
        self
    }

    /// Photon-capable as worker and driver.
    pub fn photon(mut self) -> Self {
        self.photon_worker_capable = true;
        self.photon_driver_capable = true;
        self
    }

    /// Photon-capable as worker.
    pub fn photon_worker_capable(mut self) -> Self {
        self.photon_worker_capable = true;
        self
    }

    /// Photon-capable as driver.
    pub fn photon_driver_capable(mut self) -> Self {
        self.photon_driver_capable = true;
        self
    }

    /// A Graviton type.
    pub fn graviton(mut self) -> Self {
        self.graviton = true;
        self
    }

    /// With the disk cache.
    pub fn io_cache(mut self) -> Self {
        self.is_io_cache_enabled = true;
        self
    }

    /// With port forwarding.
    pub fn port_forwarding(mut self) -> Self {
        self.support_port_forwarding = true;
        self
    }

    /// Ids containing `fleet`.
    pub fn fleet(mut self, fleet: impl Into<String>) -> Self {
        self.fleet = Some(fleet.into());
        self
    }

    /// Whether `nt` meets every condition.
    pub fn matches(&self, nt: &NodeType) -> bool {
        if unavailable(nt) {
            return false;
        }
        let gbs = nt.memory_mb / 1024;
        let cores = nt.num_cores;
        let gpus = nt.num_gpus.unwrap_or(0);
        if let Some(f) = &self.fleet {
            if !nt.node_type_id.contains(f.as_str()) {
                return false;
            }
        }
        if self.min_memory_gb.is_some_and(|m| gbs < m) {
            return false;
        }
        if let Some(per) = self.gb_per_core {
            if cores <= 0.0 || ((gbs as f64) / cores).floor() < per as f64 {
                return false;
            }
        }
        if self.min_cores.is_some_and(|m| cores < m as f64) {
            return false;
        }
        match self.min_gpus {
            Some(0) if gpus > 0 => return false,
            Some(m) if gpus < m => return false,
            _ => {}
        }
        if self.local_disk || self.local_disk_min_size.is_some() {
            let Some(it) = &nt.node_instance_type else {
                return false;
            };
            if it.local_disks.unwrap_or(0) < 1 && it.local_nvme_disks.unwrap_or(0) < 1 {
                return false;
            }
            // The size of one disk of each kind, as the official SDKs add them.
            let size = i64::from(it.local_disk_size_gb.unwrap_or(0))
                + i64::from(it.local_nvme_disk_size_gb.unwrap_or(0));
            if self.local_disk_min_size.is_some_and(|m| size < m) {
                return false;
            }
        }
        if let Some(c) = &self.category {
            if !nt.category.eq_ignore_ascii_case(c) {
                return false;
            }
        }
        let flag = |wanted: bool, have: Option<bool>| !wanted || have == Some(true);
        flag(self.is_io_cache_enabled, nt.is_io_cache_enabled)
            && flag(self.support_port_forwarding, nt.support_port_forwarding)
            && flag(self.photon_driver_capable, nt.photon_driver_capable)
            && flag(self.photon_worker_capable, nt.photon_worker_capable)
            && flag(self.graviton, nt.is_graviton)
    }

    /// The id of the smallest matching node type among `types`.
    pub fn select(&self, types: &[NodeType]) -> Result<String, ClusterError> {
        let mut sorted: Vec<&NodeType> = types.iter().collect();
        sorted.sort_by(|a, b| node_order(a, b));
        sorted
            .into_iter()
            .find(|nt| self.matches(nt))
            .map(|nt| nt.node_type_id.clone())
            .ok_or_else(|| {
                ClusterError::NoMatch(format!(
                    "no node type matches {self:?} among {} node types",
                    types.len()
                ))
            })
    }
}

fn unavailable(nt: &NodeType) -> bool {
    nt.node_info.as_ref().is_some_and(|info| {
        info.status.iter().any(|s| {
            matches!(
                s,
                CloudProviderNodeStatus::NotAvailableInRegion
                    | CloudProviderNodeStatus::NotEnabledOnSubscription
            )
        })
    })
}

/// The official SDKs' order: deprecated last, then cores, memory, local disks, local disk size,
/// NVMe disks, NVMe size, GPUs, instance type.
fn node_order(a: &NodeType, b: &NodeType) -> Ordering {
    let disks = |nt: &NodeType| {
        nt.node_instance_type
            .as_ref()
            .map(|i| {
                (
                    i.local_disks.unwrap_or(0),
                    i.local_disk_size_gb.unwrap_or(0),
                    i.local_nvme_disks.unwrap_or(0),
                    i.local_nvme_disk_size_gb.unwrap_or(0),
                )
            })
            .unwrap_or_default()
    };
    a.is_deprecated
        .unwrap_or(false)
        .cmp(&b.is_deprecated.unwrap_or(false))
        .then_with(|| a.num_cores.total_cmp(&b.num_cores))
        .then_with(|| a.memory_mb.cmp(&b.memory_mb))
        .then_with(|| disks(a).cmp(&disks(b)))
        .then_with(|| a.num_gpus.unwrap_or(0).cmp(&b.num_gpus.unwrap_or(0)))
        .then_with(|| a.instance_type_id.cmp(&b.instance_type_id))
}

impl ClustersApi {
    /// The key of the runtime version matching `query`, from
    /// [`spark_versions`](ClustersApi::spark_versions). Fails with [`ClusterError::NoMatch`] when
    /// nothing matches.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi) -> Result<(), dbx_clusters::ClusterError> {
    /// use dbx_clusters::SparkVersionQuery;
    /// let lts = clusters.select_spark_version(&SparkVersionQuery::new().lts()).await?;
    /// let gpu_ml = clusters.select_spark_version(&SparkVersionQuery::new().ml().gpu()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn select_spark_version(
        &self,
        query: &SparkVersionQuery,
    ) -> Result<String, ClusterError> {
        let versions = self.spark_versions().await?;
        query.select(&versions)
    }

    /// The id of the smallest node type matching `query`, from
    /// [`list_node_types`](ClustersApi::list_node_types). Fails with [`ClusterError::NoMatch`]
    /// when nothing matches.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi) -> Result<(), dbx_clusters::ClusterError> {
    /// use dbx_clusters::NodeTypeQuery;
    /// let node = clusters.select_node_type(&NodeTypeQuery::new().min_memory_gb(16).local_disk()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn select_node_type(&self, query: &NodeTypeQuery) -> Result<String, ClusterError> {
        let types = self.list_node_types().await?;
        query.select(&types)
    }
}
