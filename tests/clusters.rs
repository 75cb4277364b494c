//! Contract scenarios for the Clusters API: dbx-clusters against the emulator.
//!
//! Every endpoint's exact request and response JSON is pinned by a snapshot (cluster ids, node
//! ids, Spark context ids and times redacted); the call × state table of <https://docs.databricks.com/api/workspace/clusters> is
//! checked call by call; waiters run on the emulator's clock (frozen and advanced, or following
//! tokio's paused clock), and events are paged both ways.
//!
//! Portable scenarios create real clusters on a real workspace (small ones, terminated at once
//! or after a short run, and always permanently deleted); in-process they freeze the emulator's
//! clock so that ids aside every answer is deterministic, and finish the cluster transitions
//! before each wait.

use std::time::Duration;

use dbx_clusters::{
    AutoScale, ClusterDetails, ClusterError, ClusterEvent, ClusterId, ClusterSource, ClusterSpec,
    ClustersApi, EventOrder, EventType, NodeTypeQuery, SortDirection, SortField, SparkVersionQuery,
    State, TerminationCode, TerminationType,
};
use dbx_contract_tests::{portable, redact_cluster_ids, snapshot, Harness};
use dbx_core::wait::PollPolicy;
use dbx_core::{Error, Request};
use dbx_mock_server::{ClockMode, ClusterDelays, ClusterLevel, Emulator};
use futures::TryStreamExt;
use serde_json::{json, Map, Value};

fn status(e: &Error) -> u16 {
    e.status().map(|s| s.as_u16()).unwrap_or(0)
}

/// `(status, error_code)` of an error.
fn code(e: &Error) -> (u16, &str) {
    (status(e), e.error_code().unwrap_or(""))
}

fn message(e: &Error) -> String {
    e.api().map(|a| a.message.clone()).unwrap_or_default()
}

/// The answer's keys whose values change from run to run.
const TIME_KEYS: &[&str] = &[
    "start_time",
    "terminated_time",
    "last_restarted_time",
    "last_state_loss_time",
    "timestamp",
    "start_timestamp",
    "end_time",
    "last_attempted",
];
const NODE_KEYS: &[&str] = &["node_id", "instance_id", "private_ip", "host_private_ip"];

/// Redact what changes per run: cluster ids (numbered in order of appearance, also inside
/// messages and tags), times, node identities and Spark context ids.
fn scrub(v: Value) -> Value {
    let mut ids: Vec<String> = Vec::new();
    scrub_value(v, &mut ids)
}

fn scrub_value(v: Value, ids: &mut Vec<String>) -> Value {
    match v {
        Value::Object(m) => {
            let out: Map<String, Value> = m
                .into_iter()
                .map(|(k, v)| {
                    let v = if TIME_KEYS.contains(&k.as_str()) && v.is_number() {
                        json!("[time]")
                    } else if NODE_KEYS.contains(&k.as_str()) && v.is_string() {
                        json!("[node]")
                    } else if k == "spark_context_id" && v.is_number() {
                        json!("[spark_context_id]")
                    } else {
                        scrub_value(v, ids)
                    };
                    (k, v)
                })
                .collect();
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|v| scrub_value(v, ids)).collect()),
        Value::String(s) => Value::String(redact_cluster_ids(&s, ids)),
        other => other,
    }
}

/// Pin the captured exchanges, scrubbed, as snapshot `$name` (in-process only).
macro_rules! snap {
    ($h:expr, $name:expr) => {
        snapshot!($h, $name, scrub($h.take_exchanges()))
    };
}

/// The API over the harness' admin, polling quickly (a real workspace still gets a 20-minute
/// deadline and at most 10 s between polls).
fn api(h: &Harness) -> ClustersApi {
    ClustersApi::new(h.admin.clone()).with_wait_policy(
        PollPolicy::new(Duration::from_secs(20 * 60))
            .interval(Duration::from_millis(250))
            .max_interval(Duration::from_secs(10)),
    )
}

/// In-process: freeze the emulator's clock, so that nothing moves unless the scenario says so.
fn freeze(h: &Harness) {
    if let Some(emu) = h.emulator() {
        emu.clock().freeze();
    }
}

/// In-process: let a second pass on the frozen clock (as it would between two calls on a
/// workspace), then finish every cluster transition (a waiter's first poll then sees the end
/// state); elsewhere the waiter waits for real.
fn settle(h: &Harness) {
    if let Some(emu) = h.emulator() {
        emu.clock().advance(Duration::from_secs(1));
        emu.finish_cluster_transitions();
    }
}

/// Permanently delete `id` when the scenario ends.
fn cleanup_cluster(h: &Harness, id: &ClusterId) {
    let api = ClustersApi::new(h.admin.clone());
    let id = id.clone();
    h.defer(format!("permanently delete cluster {id}"), async move {
        // A pinned cluster cannot be deleted.
        api.unpin(&id).await?;
        api.permanent_delete(&id).await
    });
}

/// A small cluster spec for any workspace: the latest LTS runtime and the smallest node type
/// with a local disk, one worker, autotermination after 10 minutes.
async fn small_spec(h: &Harness, name: &str) -> ClusterSpec {
    let api = api(h);
    let version = api
        .select_spark_version(&SparkVersionQuery::new().lts())
        .await
        .expect("LTS runtime");
    let node = api
        .select_node_type(&NodeTypeQuery::new().local_disk())
        .await
        .expect("node type");
    h.clear_exchanges();
    ClusterSpec::new(version)
        .cluster_name(h.name(name))
        .node_type_id(node)
        .num_workers(1)
        .autotermination_minutes(10)
        .custom_tag("purpose", "dbx-rs contract test")
}

portable!(
    catalogue_endpoints,
    cluster_lifecycle,
    list_filters_sorting_and_pages,
    cluster_errors,
);

async fn catalogue_endpoints(h: &Harness) {
    let api = api(h);
    let versions = api.spark_versions().await.expect("spark versions");
    assert!(
        versions.iter().any(|v| v.name.contains("LTS")),
        "{versions:?}"
    );
    snap!(h, "spark_versions");

    let types = api.list_node_types().await.expect("node types");
    assert!(types.iter().all(|t| !t.node_type_id.is_empty()));
    assert!(types.iter().any(|t| t.memory_mb > 0 && t.num_cores > 0.0));
    snap!(h, "list_node_types");

    // Zones are an AWS notion; elsewhere the call may be refused.
    match api.list_zones().await {
        Ok(z) => {
            if let Some(d) = &z.default_zone {
                assert!(z.zones.contains(d), "{z:?}");
            }
        }
        Err(e) => assert!(h.emulator().is_none(), "list-zones: {e}"),
    }
    snap!(h, "list_zones");

    // The selectors pick from these lists, and say so when nothing matches.
    let lts = api
        .select_spark_version(&SparkVersionQuery::new().lts())
        .await
        .expect("LTS");
    assert!(
        versions
            .iter()
            .any(|v| v.key == lts && v.name.contains("LTS")),
        "{lts}"
    );
    let ml = api
        .select_spark_version(&SparkVersionQuery::new().lts().ml())
        .await
        .expect("ML LTS");
    assert!(ml.contains("-ml-"), "{ml}");
    let smallest = api
        .select_node_type(&NodeTypeQuery::new())
        .await
        .expect("smallest node type");
    let bigger = api
        .select_node_type(&NodeTypeQuery::new().min_memory_gb(32).min_cores(8))
        .await
        .expect("32 GiB, 8 cores");
    let find = |id: &str| types.iter().find(|t| t.node_type_id == id).cloned();
    let (small, big) = (
        find(&smallest).expect("listed"),
        find(&bigger).expect("listed"),
    );
    assert!(
        big.memory_mb >= 32 * 1024 && big.num_cores >= 8.0,
        "{big:?}"
    );
    assert!(small.num_cores <= big.num_cores, "{small:?} vs {big:?}");
    let none = api
        .select_spark_version(&SparkVersionQuery::new().scala("9.99"))
        .await
        .expect_err("no Scala 9.99");
    assert!(matches!(none, ClusterError::NoMatch(_)), "{none}");
    if h.emulator().is_some() {
        let picks = json!({
            "lts": lts,
            "ml_lts": ml,
            "gpu_ml": api.select_spark_version(&SparkVersionQuery::new().ml().gpu()).await.expect("gpu ml"),
            "photon": api.select_spark_version(&SparkVersionQuery::new().photon()).await.expect("photon"),
            "latest": api.select_spark_version(&SparkVersionQuery::new()).await.expect("latest"),
            "spark_3_4": api.select_spark_version(&SparkVersionQuery::new().spark_version("3.4")).await.expect("3.4"),
            "smallest": smallest,
            "min_32gb_8cores": bigger,
            "gpu": api.select_node_type(&NodeTypeQuery::new().min_gpus(1)).await.expect("gpu"),
            "local_disk": api.select_node_type(&NodeTypeQuery::new().local_disk()).await.expect("disk"),
            "photon_node": api.select_node_type(&NodeTypeQuery::new().photon()).await.expect("photon node"),
            "graviton": api.select_node_type(&NodeTypeQuery::new().graviton()).await.expect("graviton"),
            "memory_optimized": api.select_node_type(&NodeTypeQuery::new().category("Memory Optimized")).await.expect("memory"),
        });
        h.clear_exchanges();
        snapshot!(h, "selector_picks", picks);
    }
}

async fn cluster_lifecycle(h: &Harness) {
    freeze(h);
    let api = api(h);
    let spec = small_spec(h, "lifecycle").await;

    // create: PENDING at once.
    let id = api.create(&spec).await.expect("create");
    cleanup_cluster(h, &id);
    snap!(h, "create");
    let got = api.get(&id).await.expect("get");
    assert_eq!(got.cluster_id.as_ref(), Some(&id));
    assert_eq!(got.cluster_source, Some(ClusterSource::Api));
    assert_eq!(got.cluster_name, spec.cluster_name);
    assert_eq!(got.num_workers, Some(1));
    assert_eq!(
        got.custom_tags
            .as_ref()
            .and_then(|t| t.get("purpose"))
            .map(String::as_str),
        Some("dbx-rs contract test")
    );
    let tags = got.default_tags.clone().unwrap_or_default();
    assert_eq!(tags.get("ClusterId"), Some(&id.0));
    assert!(
        matches!(got.state(), State::Pending | State::Running),
        "{:?}",
        got.state
    );
    snap!(h, "get_pending");

    // wait: RUNNING, with nodes.
    settle(h);
    let running = api.wait_running(&id).await.expect("running");
    assert_eq!(running.state(), State::Running);
    assert!(running.driver.is_some() && running.spark_context_id.is_some());
    assert!(running.cluster_memory_mb.unwrap_or(0) > 0);
    snap!(h, "wait_running");

    // start while running: INVALID_STATE, with the service's words.
    let e = api.start(&id).await.expect_err("already running");
    assert_eq!(code(&e), (400, "INVALID_STATE"));
    assert_eq!(
        message(&e),
        format!("Cluster {id} is in unexpected state Running.")
    );
    snap!(h, "start_while_running");

    // resize to 2 workers, then to autoscaling.
    api.resize(&id, 2).await.expect("resize");
    snap!(h, "resize");
    settle(h);
    let resized = api.wait_running(&id).await.expect("resized");
    assert_eq!(resized.num_workers, Some(2));
    h.clear_exchanges();
    api.resize(&id, AutoScale::new(1, 2))
        .await
        .expect("autoscale");
    settle(h);
    let scaled = api.wait_running(&id).await.expect("autoscaled");
    assert_eq!(scaled.autoscale, Some(AutoScale::new(1, 2)));
    h.clear_exchanges();

    // restart: a new Spark context.
    api.restart(&id).await.expect("restart");
    snap!(h, "restart");
    settle(h);
    let restarted = api.wait_running(&id).await.expect("restarted");
    assert_ne!(restarted.spark_context_id, running.spark_context_id);
    assert!(restarted.last_restarted_time.is_some());
    h.clear_exchanges();

    // get → change → edit: the rest of the settings stay.
    let current = api.get(&id).await.expect("get");
    let spec2 = current
        .to_spec()
        .num_workers(1)
        .autotermination_minutes(20)
        .spark_conf("spark.speculation", "true");
    api.edit(&id, &spec2).await.expect("edit");
    snap!(h, "get_change_edit");
    settle(h);
    let edited = api.wait_running(&id).await.expect("edited");
    assert_eq!(edited.autotermination_minutes, Some(20));
    assert_eq!(edited.num_workers, Some(1));
    assert_eq!(edited.autoscale, None);
    assert_eq!(edited.custom_tags, current.custom_tags);
    assert_eq!(
        edited
            .spark_conf
            .as_ref()
            .and_then(|c| c.get("spark.speculation"))
            .map(String::as_str),
        Some("true")
    );
    h.clear_exchanges();

    // update: only the masked field changes.
    api.update(
        &id,
        &["autotermination_minutes"],
        &ClusterSpec::default()
            .autotermination_minutes(30)
            .cluster_name("ignored: not in the mask"),
    )
    .await
    .expect("update");
    snap!(h, "update");
    settle(h);
    let updated = api.wait_running(&id).await.expect("updated");
    assert_eq!(updated.autotermination_minutes, Some(30));
    assert_eq!(updated.cluster_name, spec.cluster_name);
    h.clear_exchanges();

    // delete (terminate): TERMINATED with the user's reason.
    api.delete(&id).await.expect("terminate");
    snap!(h, "delete");
    settle(h);
    let terminated = api.wait_terminated(&id).await.expect("terminated");
    let reason = terminated.termination_reason.clone().expect("reason");
    assert_eq!(reason.code, Some(TerminationCode::UserRequest));
    assert_eq!(reason.kind, Some(TerminationType::Success));
    assert!(terminated.terminated_time.is_some());
    snap!(h, "wait_terminated");
    // A second terminate is a no-op.
    api.delete(&id).await.expect("terminate again");
    h.clear_exchanges();

    // start again, wait, terminate and wait in one call each.
    settle(h);
    let started = api.start(&id).await;
    started.expect("start");
    let again = api.get(&id).await.expect("get");
    assert!(matches!(again.state(), State::Pending | State::Running));
    settle(h);
    api.wait_running(&id).await.expect("running again");
    h.clear_exchanges();
    settle(h);
    // In-process the terminate finishes only when told: do it from the clock's side.
    let stopped = if h.emulator().is_some() {
        api.delete(&id).await.expect("terminate");
        settle(h);
        api.wait_terminated(&id).await
    } else {
        api.delete_and_wait(&id).await
    };
    assert_eq!(stopped.expect("terminated").state(), State::Terminated);
    h.clear_exchanges();

    // Events, both ways, page by page (the server's next_page sent back as is).
    let asc: Vec<ClusterEvent> = api
        .events(&id)
        .order(EventOrder::Asc)
        .limit(3)
        .stream()
        .try_collect()
        .await
        .expect("events ASC");
    snap!(h, "events_asc_pages");
    let desc: Vec<ClusterEvent> = api
        .events(&id)
        .limit(4)
        .stream()
        .try_collect()
        .await
        .expect("events DESC");
    h.clear_exchanges();
    let first = api
        .events(&id)
        .order(EventOrder::Asc)
        .page()
        .await
        .expect("page");
    assert_eq!(first.total_count, Some(asc.len() as i64));
    h.clear_exchanges();
    assert_eq!(asc.len(), desc.len());
    let ts = |e: &ClusterEvent| e.timestamp.unwrap_or(0);
    assert!(asc.windows(2).all(|w| ts(&w[0]) <= ts(&w[1])));
    assert!(desc.windows(2).all(|w| ts(&w[0]) >= ts(&w[1])));
    let mut kinds_asc: Vec<String> = asc
        .iter()
        .filter_map(|e| e.kind.as_ref().map(|k| k.to_string()))
        .collect();
    let mut kinds_desc: Vec<String> = desc
        .iter()
        .filter_map(|e| e.kind.as_ref().map(|k| k.to_string()))
        .collect();
    assert_eq!(
        asc.first().and_then(|e| e.kind.clone()),
        Some(EventType::Creating)
    );
    for wanted in [
        "CREATING",
        "RUNNING",
        "RESIZING",
        "RESTARTING",
        "EDITED",
        "TERMINATING",
        "STARTING",
    ] {
        assert!(
            kinds_asc.iter().any(|k| k == wanted),
            "{wanted} in {kinds_asc:?}"
        );
    }
    if h.emulator().is_some() {
        // Exactly reversed in-process (a workspace may order events of the same millisecond
        // either way).
        let mut rev = kinds_desc.clone();
        rev.reverse();
        assert_eq!(rev, kinds_asc);
        snapshot!(h, "event_types_asc", json!(kinds_asc));
    }
    kinds_asc.sort();
    kinds_desc.sort();
    assert_eq!(kinds_asc, kinds_desc);
    let terminating = asc
        .iter()
        .find(|e| e.kind == Some(EventType::Terminating))
        .and_then(|e| e.details.clone())
        .and_then(|d| d.reason)
        .expect("TERMINATING has a reason");
    assert_eq!(terminating.code, Some(TerminationCode::UserRequest));

    // pin and unpin: a pinned cluster cannot be permanently deleted.
    api.pin(&id).await.expect("pin");
    api.pin(&id).await.expect("pin is idempotent");
    snap!(h, "pin");
    let e = api.permanent_delete(&id).await.expect_err("pinned");
    assert!(message(&e).contains("unpin the cluster first"), "{e}");
    snap!(h, "permanent_delete_pinned");
    api.unpin(&id).await.expect("unpin");
    snap!(h, "unpin");

    // permanent-delete: gone from get and list.
    api.permanent_delete(&id).await.expect("permanent delete");
    let e = api.get(&id).await.expect_err("gone");
    assert!(e.is_not_found(), "{e}");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    assert_eq!(message(&e), format!("Cluster {id} does not exist"));
    snap!(h, "permanent_delete");
    let listed: Vec<ClusterDetails> = api.list().items().try_collect().await.expect("list");
    assert!(listed.iter().all(|c| c.cluster_id.as_ref() != Some(&id)));
    h.clear_exchanges();
}

async fn list_filters_sorting_and_pages(h: &Harness) {
    freeze(h);
    let api = api(h);
    let base = small_spec(h, "unused").await;
    // Three clusters, terminated at once (listed as TERMINATING or TERMINATED).
    let mut ids = Vec::new();
    for name in ["list-b", "list-c", "list-a"] {
        let spec = base.clone().cluster_name(h.name(name));
        let id = api.create(&spec).await.expect("create");
        cleanup_cluster(h, &id);
        api.delete(&id).await.expect("terminate");
        ids.push(id);
    }
    h.clear_exchanges();
    let ours = |all: &[ClusterDetails]| -> Vec<String> {
        all.iter()
            .filter(|c| c.cluster_id.as_ref().is_some_and(|id| ids.contains(id)))
            .filter_map(|c| c.cluster_name.clone())
            .collect()
    };

    // By name, two per page: the stream follows next_page_token.
    let by_name: Vec<ClusterDetails> = api
        .list()
        .sort_by(SortField::ClusterName, SortDirection::Asc)
        .page_size(2)
        .items()
        .try_collect()
        .await
        .expect("by name");
    assert_eq!(
        ours(&by_name),
        [h.name("list-a"), h.name("list-b"), h.name("list-c")]
    );
    snap!(h, "list_by_name_two_per_page");
    let pages: Vec<Vec<ClusterDetails>> = api
        .list()
        .sort_by(SortField::ClusterName, SortDirection::Desc)
        .page_size(2)
        .pages()
        .try_collect()
        .await
        .expect("pages");
    assert!(pages.iter().all(|p| p.len() <= 2));
    let flat: Vec<ClusterDetails> = pages.into_iter().flatten().collect();
    assert_eq!(
        ours(&flat),
        [h.name("list-c"), h.name("list-b"), h.name("list-a")]
    );
    h.clear_exchanges();

    // Filters: states, pinned, source.
    let stopped: Vec<ClusterDetails> = api
        .list()
        .states([State::Terminating, State::Terminated])
        // The default order ties on the frozen clock's start times; names decide.
        .sort_by(SortField::ClusterName, SortDirection::Asc)
        .items()
        .try_collect()
        .await
        .expect("stopped");
    assert_eq!(ours(&stopped).len(), 3);
    snap!(h, "list_filter_states");
    let running: Vec<ClusterDetails> = api
        .list()
        .states([State::Running])
        .items()
        .try_collect()
        .await
        .expect("running");
    assert!(ours(&running).is_empty());
    let from_ui: Vec<ClusterDetails> = api
        .list()
        .sources([ClusterSource::Ui])
        .items()
        .try_collect()
        .await
        .expect("ui");
    assert!(ours(&from_ui).is_empty());
    h.clear_exchanges();

    api.pin(&ids[0]).await.expect("pin");
    let pinned: Vec<ClusterDetails> = api
        .list()
        .pinned(true)
        .items()
        .try_collect()
        .await
        .expect("pinned");
    assert_eq!(ours(&pinned), [h.name("list-b")]);
    snap!(h, "list_filter_pinned");
    let unpinned: Vec<ClusterDetails> = api
        .list()
        .pinned(false)
        .items()
        .try_collect()
        .await
        .expect("unpinned");
    assert_eq!(ours(&unpinned).len(), 2);
    api.unpin(&ids[0]).await.expect("unpin");
    h.clear_exchanges();
}

async fn cluster_errors(h: &Harness) {
    let api = api(h);
    let spec = small_spec(h, "never-created").await;

    // An unknown cluster: 400 INVALID_PARAMETER_VALUE "... does not exist", a not-found.
    let nope = ClusterId::from("0101-000000-nope0000");
    let e = api.get(&nope).await.expect_err("unknown");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    assert!(e.is_not_found(), "{e}");
    assert!(message(&e).contains("does not exist"), "{e}");
    for (what, r) in [
        ("start", api.start(&nope).await),
        ("delete", api.delete(&nope).await),
        ("pin", api.pin(&nope).await),
        ("events", api.events(&nope).page().await.map(drop)),
    ] {
        let e = r.expect_err(what);
        assert!(e.is_not_found(), "{what}: {e}");
    }
    snap!(h, "unknown_cluster");

    // Invalid settings: nothing is created.
    let bad = [
        (
            "bad_spark_version",
            spec.clone().spark_version("0.0.x-nope"),
        ),
        (
            "autotermination_too_short",
            spec.clone().autotermination_minutes(5),
        ),
        (
            "autoscale_min_above_max",
            spec.clone().autoscale(AutoScale::new(3, 1)),
        ),
        (
            "bad_node_type",
            spec.clone().node_type_id("no-such-node.type"),
        ),
    ];
    for (what, s) in bad {
        let e = api.create(&s).await.expect_err(what);
        assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{what}: {e}");
        let name = format!("create_{what}");
        snap!(h, name.as_str());
    }
    let named: Vec<ClusterDetails> = api.list().items().try_collect().await.expect("list");
    assert!(named.iter().all(|c| c.cluster_name != spec.cluster_name));
    h.clear_exchanges();

    // The original package's resizeCluster(id, n, 'workers') sends only {"cluster_id": n}.
    let req = Request::post("/api/2.0/clusters/resize")
        .json(&json!({"cluster_id": 3}))
        .expect("body");
    let e = h.admin.call::<Value>(req).await.expect_err("no size");
    assert_eq!(status(&e), 400, "{e}");
    if h.emulator().is_some() {
        assert_eq!(e.error_code(), Some("INVALID_PARAMETER_VALUE"));
        let m = message(&e);
        assert!(m.contains("num_workers or autoscale"), "{m}");
        assert!(m.contains("was the worker count sent as cluster_id"), "{m}");
    }
    snap!(h, "resize_bug_of_the_original_package");

    // update without a mask is refused before anything is sent.
    let e = api
        .update(&nope, &[], &ClusterSpec::default())
        .await
        .expect_err("no mask");
    assert!(matches!(e, Error::InvalidRequest(_)));
    assert_eq!(h.take_exchanges(), json!([]));
}

// ---------------------------------------------------------------------------------------------
// Emulator-only: the clock, unknown fields, permissions, the state table.

/// A cluster spec the emulator's catalogue knows.
fn emu_spec(name: &str) -> ClusterSpec {
    ClusterSpec::new("16.4.x-scala2.12")
        .cluster_name(name)
        .node_type_id("m5d.large")
        .num_workers(1)
}

#[tokio::test(start_paused = true)]
async fn create_and_wait_follows_the_clock_with_backoff() {
    let Some(h) = Harness::emulator_only_with("needs the emulator clock", || {
        Emulator::builder().clock_mode(ClockMode::Tokio).build()
    }) else {
        return;
    };
    // The default policy: 1 s, growing 1.5×; the default start delay is 2 s.
    let api = ClustersApi::new(h.admin.clone());
    let started = tokio::time::Instant::now();
    let c = api
        .create_and_wait(&emu_spec("waited"))
        .await
        .expect("running");
    assert_eq!(c.state(), State::Running);
    // Polls at 0 s (PENDING), 1 s (PENDING), 2.5 s (RUNNING).
    assert_eq!(started.elapsed(), Duration::from_millis(2500));
    snap!(h, "create_and_wait_polls");

    let id = c.id();
    let started = tokio::time::Instant::now();
    api.restart_and_wait(&id).await.expect("restarted");
    api.resize_and_wait(&id, 3).await.expect("resized");
    let stopped = api.delete_and_wait(&id).await.expect("terminated");
    assert_eq!(stopped.state(), State::Terminated);
    let c = api.ensure_running(&id).await.expect("ensured");
    assert_eq!(c.state(), State::Running);
    // restart 2 s → 2.5; resize 1 s → 1; terminate 1 s → 1; start 2 s → 2.5.
    assert_eq!(started.elapsed(), Duration::from_millis(7000));
    h.clear_exchanges();
}

#[tokio::test(start_paused = true)]
async fn waiting_for_running_fails_fast_when_the_cluster_terminates() {
    let Some(h) = Harness::emulator_only_with("needs the emulator clock", || {
        Emulator::builder().clock_mode(ClockMode::Tokio).build()
    }) else {
        return;
    };
    let api = ClustersApi::new(h.admin.clone());
    let id = api.create(&emu_spec("doomed")).await.expect("create");
    let terminate = async {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        api.delete(&id).await
    };
    let (waited, deleted) = tokio::join!(api.wait_running(&id), terminate);
    deleted.expect("terminate");
    let e = waited.expect_err("terminated while pending");
    assert!(e.is_failed(), "{e}");
    // Terminated at 1.2 s, TERMINATED at 2.2 s, seen by the poll at 2.5 s.
    assert_eq!(e.state(), Some(&State::Terminated));
    let reason = e.termination_reason().expect("reason");
    assert_eq!(reason.code, Some(TerminationCode::UserRequest));
    assert_eq!(
        reason.parameters.get("username"),
        Some(&h.emu().admin_user_name())
    );
    let text = e.to_string();
    assert!(text.contains("Termination requested by"), "{text}");
    assert!(text.contains("USER_REQUEST"), "{text}");
    h.clear_exchanges();
}

#[tokio::test(start_paused = true)]
async fn a_wait_times_out_naming_the_last_state() {
    let Some(h) = Harness::emulator_only_with("needs the emulator clock", || {
        Emulator::builder()
            .clock_mode(ClockMode::Tokio)
            .cluster_delays(ClusterDelays {
                start: Duration::from_secs(3 * 3600),
                ..ClusterDelays::default()
            })
            .build()
    }) else {
        return;
    };
    let api = ClustersApi::new(h.admin.clone());
    let id = api.create(&emu_spec("slow")).await.expect("create");
    let started = tokio::time::Instant::now();
    let e = api.wait_running(&id).await.expect_err("timeout");
    let waited = started.elapsed();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(e.state(), Some(&State::Pending));
    assert!(
        waited <= Duration::from_secs(20 * 60) && waited > Duration::from_secs(19 * 60),
        "{waited:?}"
    );
    let text = e.to_string();
    assert!(text.contains("last state seen: PENDING"), "{text}");
    // A shorter deadline of the caller's choosing.
    let quick = api.with_wait_policy(PollPolicy::new(Duration::from_secs(30)));
    let started = tokio::time::Instant::now();
    let e = quick.wait_running(&id).await.expect_err("timeout");
    assert!(e.is_timeout() && started.elapsed() <= Duration::from_secs(30));
    h.clear_exchanges();
}

#[tokio::test(start_paused = true)]
async fn waiters_hold_still_on_a_frozen_clock_until_it_is_advanced() {
    let Some(h) = Harness::emulator_only("needs the emulator clock") else {
        return;
    };
    let emu = h.emu().clone();
    emu.clock().freeze();
    let api = ClustersApi::new(h.admin.clone());
    let id = api.create(&emu_spec("frozen")).await.expect("create");
    let advance = async {
        // Polls at 0, 1, 2.5, 4.75 s see PENDING whatever the real time.
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(api.get(&id).await.expect("get").state(), State::Pending);
        emu.clock().advance(Duration::from_secs(2));
    };
    let started = tokio::time::Instant::now();
    let (c, ()) = tokio::join!(api.wait_running(&id), advance);
    assert_eq!(c.expect("running").state(), State::Running);
    // The next poll after the advance: 4.75 + 3.375 s.
    assert_eq!(started.elapsed(), Duration::from_millis(8125));

    // ensure_running from TERMINATING: waits for TERMINATED, starts, waits for RUNNING.
    api.delete(&id).await.expect("terminate");
    let advance = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        emu.clock().advance(Duration::from_secs(1)); // → TERMINATED
        tokio::time::sleep(Duration::from_secs(3)).await;
        emu.clock().advance(Duration::from_secs(2)); // → RUNNING
    };
    let (c, ()) = tokio::join!(api.ensure_running(&id), advance);
    assert_eq!(c.expect("running").state(), State::Running);
    let events: Vec<ClusterEvent> = api
        .events(&id)
        .order(EventOrder::Asc)
        .event_types([
            EventType::Terminating,
            EventType::Starting,
            EventType::Running,
        ])
        .stream()
        .try_collect()
        .await
        .expect("events");
    let kinds: Vec<EventType> = events.into_iter().filter_map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventType::Running,
            EventType::Terminating,
            EventType::Starting,
            EventType::Running
        ]
    );
    h.clear_exchanges();
}

#[tokio::test]
async fn autotermination_on_the_clock() {
    let Some(h) = Harness::emulator_only("needs the emulator clock") else {
        return;
    };
    let emu = h.emu();
    emu.clock().freeze();
    let api = ClustersApi::new(h.admin.clone());
    let id = api
        .create(&emu_spec("idle").autotermination_minutes(10))
        .await
        .expect("create");
    emu.clock().advance(Duration::from_secs(60));
    assert_eq!(api.get(&id).await.expect("get").state(), State::Running);
    emu.clock().advance(Duration::from_secs(10 * 60));
    let c = api.wait_terminated(&id).await.expect("idle → terminated");
    let reason = c.termination_reason.clone().expect("reason");
    assert_eq!(reason.code, Some(TerminationCode::Inactivity));
    h.clear_exchanges();
    let c = api.get(&id).await.expect("get");
    assert_eq!(c.state(), State::Terminated);
    snap!(h, "autoterminated");
}

#[tokio::test]
async fn unknown_fields_survive_get_change_edit() {
    let Some(h) = Harness::emulator_only("needs settings the service does not have yet") else {
        return;
    };
    h.emu().clock().freeze();
    let api = ClustersApi::new(h.admin.clone());
    // Fields from a future version of the API, at the top and inside a nested object.
    let spec = emu_spec("future")
        .field(
            "a_future_setting",
            json!({"mode": "FAST", "levels": [1, 2]}),
        )
        .aws_attributes(dbx_clusters::AwsAttributes {
            extra: [("a_future_aws_knob".to_owned(), json!(true))]
                .into_iter()
                .collect(),
            ..Default::default()
        });
    let id = api.create(&spec).await.expect("create");
    h.emu().finish_cluster_transitions();
    let got = api.get(&id).await.expect("get");
    let server_spec = got.spec.clone().expect("get carries spec");
    assert_eq!(
        server_spec.extra.get("a_future_setting"),
        Some(&json!({"mode": "FAST", "levels": [1, 2]}))
    );
    let changed = got.to_spec().num_workers(2);
    h.clear_exchanges();
    api.edit(&id, &changed).await.expect("edit");
    let sent = h.exchanges();
    assert_eq!(
        sent[0]["request"]["body"]["a_future_setting"],
        json!({"mode": "FAST", "levels": [1, 2]})
    );
    assert_eq!(
        sent[0]["request"]["body"]["aws_attributes"]["a_future_aws_knob"],
        json!(true)
    );
    h.emu().finish_cluster_transitions();
    let after = api.get(&id).await.expect("get");
    assert_eq!(after.num_workers, Some(2));
    assert_eq!(
        after.extra.get("a_future_setting"),
        Some(&json!({"mode": "FAST", "levels": [1, 2]}))
    );
    snap!(h, "unknown_fields_round_trip");
}

#[tokio::test]
async fn who_may_do_what() {
    let Some(h) = Harness::emulator_only("needs users made out of thin air") else {
        return;
    };
    h.emu().clock().freeze();
    let admin = ClustersApi::new(h.admin.clone());
    let alice = ClustersApi::new(h.user("alice@example.com"));
    let bob = ClustersApi::new(h.user("bob@example.com"));

    // Creating needs the allow-cluster-create entitlement.
    let e = alice
        .create(&emu_spec("alice's"))
        .await
        .expect_err("no entitlement");
    assert!(e.is_permission_denied(), "{e}");
    snap!(h, "create_without_entitlement");
    h.emu()
        .set_entitlement("alice@example.com", "allow-cluster-create", true)
        .expect("entitle");
    let id = alice.create(&emu_spec("alice's")).await.expect("create");
    h.emu().finish_cluster_transitions();
    // The creator manages it; others may not touch it, until granted.
    let e = bob.delete(&id).await.expect_err("not bob's");
    assert!(e.is_permission_denied(), "{e}");
    snap!(h, "terminate_someone_elses_cluster");
    h.emu()
        .set_cluster_permission(id.as_str(), "bob@example.com", ClusterLevel::CanRestart)
        .expect("grant");
    bob.restart(&id).await.expect("bob may restart now");
    let e = bob
        .resize(&id, 3)
        .await
        .expect_err("resize needs CAN_MANAGE");
    assert!(e.is_permission_denied(), "{e}");
    // Only admins pin, unpin and change owners.
    let e = alice.pin(&id).await.expect_err("not an admin");
    assert!(e.is_permission_denied(), "{e}");
    h.clear_exchanges();
    alice.delete(&id).await.expect("terminate");
    h.emu().finish_cluster_transitions();
    let e = alice
        .change_owner(&id, "bob@example.com")
        .await
        .expect_err("not an admin");
    assert!(e.is_permission_denied(), "{e}");
    admin
        .change_owner(&id, "bob@example.com")
        .await
        .expect("admin changes the owner");
    snap!(h, "change_owner");
    let c = admin.get(&id).await.expect("get");
    assert_eq!(c.creator_user_name.as_deref(), Some("bob@example.com"));
    h.clear_exchanges();
}

/// Put a new cluster in `state` on the frozen clock.
async fn cluster_in(h: &Harness, api: &ClustersApi, state: &State) -> ClusterId {
    let emu = h.emu();
    let id = api.create(&emu_spec("table")).await.expect("create");
    let finish = || {
        emu.finish_cluster_transitions();
    };
    match state {
        State::Pending => {}
        State::Running => finish(),
        State::Restarting => {
            finish();
            api.restart(&id).await.expect("restart");
        }
        State::Resizing => {
            finish();
            api.resize(&id, 2).await.expect("resize");
        }
        State::Terminating => api.delete(&id).await.expect("terminate"),
        State::Terminated => {
            api.delete(&id).await.expect("terminate");
            finish();
        }
        other => panic!("no way to {other}"),
    }
    assert_eq!(&api.get(&id).await.expect("get").state(), state);
    id
}

#[tokio::test]
async fn every_call_in_every_state_follows_the_state_table() {
    let Some(h) = Harness::emulator_only("needs the emulator clock to hold states") else {
        return;
    };
    h.emu().clock().freeze();
    let api = ClustersApi::new(h.admin.clone());
    let states = [
        State::Pending,
        State::Running,
        State::Restarting,
        State::Resizing,
        State::Terminating,
        State::Terminated,
    ];
    let calls = [
        "start",
        "restart",
        "resize",
        "edit",
        "delete",
        "pin",
        "unpin",
        "get",
        "events",
        "permanent-delete",
    ];
    let mut table = Map::new();
    for call in calls {
        let mut row = Map::new();
        for state in &states {
            let id = cluster_in(&h, &api, state).await;
            let result = match call {
                "start" => api.start(&id).await,
                "restart" => api.restart(&id).await,
                "resize" => api.resize(&id, 3).await,
                "edit" => api.edit(&id, &emu_spec("table").num_workers(2)).await,
                "delete" => api.delete(&id).await,
                "pin" => api.pin(&id).await,
                "unpin" => api.unpin(&id).await,
                "get" => api.get(&id).await.map(drop),
                "events" => api.events(&id).page().await.map(drop),
                _ => api.permanent_delete(&id).await,
            };
            let cell = match result {
                Ok(()) if call == "permanent-delete" => {
                    let e = api.get(&id).await.expect_err("gone");
                    assert!(e.is_not_found());
                    "ok → gone".to_owned()
                }
                Ok(()) => format!("ok → {}", api.get(&id).await.expect("get").state()),
                Err(e) => {
                    assert_eq!(code(&e), (400, "INVALID_STATE"), "{call} in {state}: {e}");
                    assert_eq!(
                        message(&e),
                        format!("Cluster {id} is in unexpected state {}.", title(state)),
                    );
                    "INVALID_STATE".to_owned()
                }
            };
            row.insert(state.to_string(), json!(cell));
        }
        table.insert(call.to_owned(), Value::Object(row));
    }
    h.clear_exchanges();
    // Catalogue §5.5.
    let expected = json!({
        "start": {"PENDING": "INVALID_STATE", "RUNNING": "INVALID_STATE", "RESTARTING": "INVALID_STATE",
                  "RESIZING": "INVALID_STATE", "TERMINATING": "INVALID_STATE", "TERMINATED": "ok → PENDING"},
        "restart": {"PENDING": "INVALID_STATE", "RUNNING": "ok → RESTARTING", "RESTARTING": "INVALID_STATE",
                    "RESIZING": "INVALID_STATE", "TERMINATING": "INVALID_STATE", "TERMINATED": "INVALID_STATE"},
        "resize": {"PENDING": "INVALID_STATE", "RUNNING": "ok → RESIZING", "RESTARTING": "INVALID_STATE",
                   "RESIZING": "INVALID_STATE", "TERMINATING": "INVALID_STATE", "TERMINATED": "INVALID_STATE"},
        "edit": {"PENDING": "INVALID_STATE", "RUNNING": "ok → RESTARTING", "RESTARTING": "INVALID_STATE",
                 "RESIZING": "INVALID_STATE", "TERMINATING": "INVALID_STATE", "TERMINATED": "ok → TERMINATED"},
        "delete": {"PENDING": "ok → TERMINATING", "RUNNING": "ok → TERMINATING", "RESTARTING": "ok → TERMINATING",
                   "RESIZING": "ok → TERMINATING", "TERMINATING": "ok → TERMINATING", "TERMINATED": "ok → TERMINATED"},
        "pin": {"PENDING": "ok → PENDING", "RUNNING": "ok → RUNNING", "RESTARTING": "ok → RESTARTING",
                "RESIZING": "ok → RESIZING", "TERMINATING": "ok → TERMINATING", "TERMINATED": "ok → TERMINATED"},
        "unpin": {"PENDING": "ok → PENDING", "RUNNING": "ok → RUNNING", "RESTARTING": "ok → RESTARTING",
                  "RESIZING": "ok → RESIZING", "TERMINATING": "ok → TERMINATING", "TERMINATED": "ok → TERMINATED"},
        "get": {"PENDING": "ok → PENDING", "RUNNING": "ok → RUNNING", "RESTARTING": "ok → RESTARTING",
                "RESIZING": "ok → RESIZING", "TERMINATING": "ok → TERMINATING", "TERMINATED": "ok → TERMINATED"},
        "events": {"PENDING": "ok → PENDING", "RUNNING": "ok → RUNNING", "RESTARTING": "ok → RESTARTING",
                   "RESIZING": "ok → RESIZING", "TERMINATING": "ok → TERMINATING", "TERMINATED": "ok → TERMINATED"},
        "permanent-delete": {"PENDING": "ok → gone", "RUNNING": "ok → gone", "RESTARTING": "ok → gone",
                             "RESIZING": "ok → gone", "TERMINATING": "ok → gone", "TERMINATED": "ok → gone"},
    });
    assert_eq!(Value::Object(table), expected);
}

/// The state as the service's messages spell it (`Running`).
fn title(state: &State) -> String {
    let s = state.as_str();
    let mut out = s[..1].to_owned();
    out.push_str(&s[1..].to_lowercase());
    out
}
