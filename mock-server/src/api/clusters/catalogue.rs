//! The emulated workspace's compute catalogue: Databricks Runtime versions
//! (`GET clusters/spark-versions`), AWS node types (`GET clusters/list-node-types`) and
//! availability zones (`GET clusters/list-zones`).
//!
//! Keys and names follow the service's patterns (<https://docs.databricks.com/api/workspace/clusters>; the official SDKs'
//! `select_spark_version` reads `-ml-`, `-gpu-`, `-photon-`, `-aarch64-`, `-hls-`, `-scala2.12`
//! in keys and `LTS`, `Beta`, `Apache Spark x.y` in names; `select_node_type` reads memory,
//! cores, GPUs, local disks, category, Photon and Graviton flags and `is_deprecated`).

use serde::Serialize;

/// One Databricks Runtime version.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct SparkVersion {
    pub key: &'static str,
    pub name: &'static str,
}

const fn v(key: &'static str, name: &'static str) -> SparkVersion {
    SparkVersion { key, name }
}

/// Every runtime version the workspace offers, newest first.
pub(crate) const SPARK_VERSIONS: &[SparkVersion] = &[
    v(
        "17.0.x-scala2.13",
        "17.0 Beta (includes Apache Spark 4.0.0, Scala 2.13)",
    ),
    v(
        "16.4.x-scala2.12",
        "16.4 LTS (includes Apache Spark 3.5.2, Scala 2.12)",
    ),
    v(
        "16.4.x-scala2.13",
        "16.4 LTS (includes Apache Spark 3.5.2, Scala 2.13)",
    ),
    v(
        "16.4.x-photon-scala2.12",
        "16.4 LTS Photon (includes Apache Spark 3.5.2, Scala 2.12)",
    ),
    v(
        "16.4.x-cpu-ml-scala2.12",
        "16.4 LTS ML (includes Apache Spark 3.5.2, Scala 2.12)",
    ),
    v(
        "16.4.x-gpu-ml-scala2.12",
        "16.4 LTS ML (includes Apache Spark 3.5.2, GPU, Scala 2.12)",
    ),
    v(
        "16.3.x-scala2.12",
        "16.3 (includes Apache Spark 3.5.2, Scala 2.12)",
    ),
    v(
        "16.3.x-photon-scala2.12",
        "16.3 Photon (includes Apache Spark 3.5.2, Scala 2.12)",
    ),
    v(
        "15.4.x-scala2.12",
        "15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    v(
        "15.4.x-photon-scala2.12",
        "15.4 LTS Photon (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    v(
        "15.4.x-cpu-ml-scala2.12",
        "15.4 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    v(
        "15.4.x-gpu-ml-scala2.12",
        "15.4 LTS ML (includes Apache Spark 3.5.0, GPU, Scala 2.12)",
    ),
    v(
        "15.4.x-aarch64-scala2.12",
        "15.4 LTS aarch64 (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    v(
        "15.4.x-aarch64-photon-scala2.12",
        "15.4 LTS aarch64 Photon (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    v(
        "14.3.x-scala2.12",
        "14.3 LTS (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    v(
        "14.3.x-photon-scala2.12",
        "14.3 LTS Photon (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    v(
        "14.3.x-cpu-ml-scala2.12",
        "14.3 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    v(
        "13.3.x-scala2.12",
        "13.3 LTS (includes Apache Spark 3.4.1, Scala 2.12)",
    ),
    v(
        "13.3.x-photon-scala2.12",
        "13.3 LTS Photon (includes Apache Spark 3.4.1, Scala 2.12)",
    ),
    v(
        "13.3.x-gpu-ml-scala2.12",
        "13.3 LTS ML (includes Apache Spark 3.4.1, GPU, Scala 2.12)",
    ),
    v(
        "12.2.x-scala2.12",
        "12.2 LTS (includes Apache Spark 3.3.2, Scala 2.12)",
    ),
    v(
        "7.3.x-hls-scala2.12",
        "7.3 LTS Genomics (includes Apache Spark 3.0.1, Scala 2.12)",
    ),
];

/// The runtime version `key`, if the workspace offers it.
pub(crate) fn spark_version(key: &str) -> Option<&'static SparkVersion> {
    SPARK_VERSIONS.iter().find(|v| v.key == key)
}

/// One AWS node type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeType {
    pub id: &'static str,
    pub memory_mb: i64,
    pub cores: f64,
    pub gpus: i64,
    pub category: &'static str,
    /// Local NVMe disks and the size of each (GB).
    pub local_disks: i64,
    pub local_disk_size_gb: i64,
    pub photon: bool,
    pub graviton: bool,
    pub deprecated: bool,
}

const GENERAL: &str = "General Purpose";
const MEMORY: &str = "Memory Optimized";
const COMPUTE: &str = "Compute Optimized";
const STORAGE: &str = "Storage Optimized";
const GPU: &str = "GPU Accelerated";

#[allow(clippy::too_many_arguments)]
const fn n(
    id: &'static str,
    memory_mb: i64,
    cores: f64,
    gpus: i64,
    category: &'static str,
    local_disks: i64,
    local_disk_size_gb: i64,
    photon: bool,
    graviton: bool,
    deprecated: bool,
) -> NodeType {
    NodeType {
        id,
        memory_mb,
        cores,
        gpus,
        category,
        local_disks,
        local_disk_size_gb,
        photon,
        graviton,
        deprecated,
    }
}

/// Every node type the workspace offers.
#[rustfmt::skip]
pub(crate) const NODE_TYPES: &[NodeType] = &[
    //  id              memory   cores gpus category  disks size  photon graviton deprecated
    n("m5d.large",       8_192,   2.0, 0, GENERAL, 1,   75,  false, false, false),
    n("m5d.xlarge",     16_384,   4.0, 0, GENERAL, 1,  150,  true,  false, false),
    n("m5d.2xlarge",    32_768,   8.0, 0, GENERAL, 1,  300,  true,  false, false),
    n("m5d.4xlarge",    65_536,  16.0, 0, GENERAL, 2,  300,  true,  false, false),
    n("m5.xlarge",      16_384,   4.0, 0, GENERAL, 0,    0,  false, false, false),
    n("m4.large",        8_192,   2.0, 0, GENERAL, 0,    0,  false, false, true),
    n("m6gd.xlarge",    16_384,   4.0, 0, GENERAL, 1,  237,  true,  true,  false),
    n("m6gd.2xlarge",   32_768,   8.0, 0, GENERAL, 1,  474,  true,  true,  false),
    n("r5d.large",      16_384,   2.0, 0, MEMORY,  1,   75,  false, false, false),
    n("r5d.xlarge",     32_768,   4.0, 0, MEMORY,  1,  150,  true,  false, false),
    n("r5d.2xlarge",    65_536,   8.0, 0, MEMORY,  1,  300,  true,  false, false),
    n("r6gd.xlarge",    32_768,   4.0, 0, MEMORY,  1,  237,  true,  true,  false),
    n("c5d.xlarge",      8_192,   4.0, 0, COMPUTE, 1,  100,  false, false, false),
    n("c5d.2xlarge",    16_384,   8.0, 0, COMPUTE, 1,  200,  true,  false, false),
    n("c6gd.xlarge",     8_192,   4.0, 0, COMPUTE, 1,  237,  false, true,  false),
    n("c4.2xlarge",     15_360,   8.0, 0, COMPUTE, 0,    0,  false, false, true),
    n("i3.xlarge",      31_232,   4.0, 0, STORAGE, 1,  950,  true,  false, false),
    n("i3.2xlarge",     62_464,   8.0, 0, STORAGE, 1, 1900,  true,  false, false),
    n("i3.4xlarge",    124_928,  16.0, 0, STORAGE, 2, 1900,  true,  false, false),
    n("i3en.large",     16_384,   2.0, 0, STORAGE, 1, 1250,  false, false, false),
    n("g4dn.xlarge",    16_384,   4.0, 1, GPU,     1,  125,  false, false, false),
    n("g4dn.2xlarge",   32_768,   8.0, 1, GPU,     1,  225,  false, false, false),
    n("g5.xlarge",      16_384,   4.0, 1, GPU,     1,  250,  false, false, false),
    n("p3.2xlarge",     62_464,   8.0, 1, GPU,     0,    0,  false, false, false),
    n("p3.8xlarge",    249_856,  32.0, 4, GPU,     0,    0,  false, false, false),
];

/// The node type `id`, if the workspace offers it.
pub(crate) fn node_type(id: &str) -> Option<&'static NodeType> {
    NODE_TYPES.iter().find(|n| n.id == id)
}

/// The availability zones clusters can be created in.
pub(crate) const ZONES: &[&str] = &["us-west-2a", "us-west-2b", "us-west-2c"];
/// The zone used when a cluster names none.
pub(crate) const DEFAULT_ZONE: &str = "us-west-2a";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_large_enough_and_unique() {
        assert!(SPARK_VERSIONS.len() >= 15 && NODE_TYPES.len() >= 20);
        let mut keys: Vec<&str> = SPARK_VERSIONS.iter().map(|v| v.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), SPARK_VERSIONS.len());
        let mut ids: Vec<&str> = NODE_TYPES.iter().map(|n| n.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), NODE_TYPES.len());
        assert!(ZONES.contains(&DEFAULT_ZONE));
    }
}
