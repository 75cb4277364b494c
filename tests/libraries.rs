//! Contract scenarios for the Libraries API: dbx-libraries against the emulator.
//!
//! Every endpoint's exact request and response JSON is pinned by a snapshot (cluster ids
//! redacted). A library's life follows its cluster's: installed on a terminated cluster it waits
//! `PENDING` until the cluster runs; an uninstall waits for the restart; a permanently deleted
//! cluster takes its libraries with it. Those steps are checked instant by instant on a frozen
//! clock.
//!
//! The portable scenario creates one small real cluster on a real workspace (autoterminating,
//! always permanently deleted) and installs two small public packages on it.

use std::time::Duration;

use dbx_clusters::{ClusterId, ClusterSpec, ClustersApi, NodeTypeQuery, SparkVersionQuery};
use dbx_contract_tests::{portable, redact_cluster_ids, snapshot, Harness};
use dbx_core::wait::PollPolicy;
use dbx_core::Error;
use dbx_libraries::{
    LibrariesApi, LibrariesError, Library, LibraryInstallStatus, MavenLibrary, PythonPyPiLibrary,
};
use dbx_mock_server::{ClockMode, ClusterLevel, Emulator, LibraryFailure};
use serde_json::{json, Map, Value};

/// `(status, error_code)` of an error.
fn code(e: &Error) -> (u16, &str) {
    (
        e.status().map(|s| s.as_u16()).unwrap_or(0),
        e.error_code().unwrap_or(""),
    )
}

fn message(e: &Error) -> String {
    e.api().map(|a| a.message.clone()).unwrap_or_default()
}

/// Redact cluster ids (numbered in order of appearance, inside strings too).
fn scrub(v: Value) -> Value {
    fn walk(v: Value, ids: &mut Vec<String>) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, v)| (k, walk(v, ids)))
                    .collect::<Map<_, _>>(),
            ),
            Value::Array(a) => Value::Array(a.into_iter().map(|v| walk(v, ids)).collect()),
            Value::String(s) => Value::String(redact_cluster_ids(&s, ids)),
            other => other,
        }
    }
    walk(v, &mut Vec::new())
}

/// Pin the captured exchanges, scrubbed, as snapshot `$name` (in-process only).
macro_rules! snap {
    ($h:expr, $name:expr) => {
        snapshot!($h, $name, scrub($h.take_exchanges()))
    };
}

fn policy() -> PollPolicy {
    PollPolicy::new(Duration::from_secs(30 * 60))
        .interval(Duration::from_millis(250))
        .max_interval(Duration::from_secs(10))
}

fn clusters(h: &Harness) -> ClustersApi {
    ClustersApi::new(h.admin.clone()).with_wait_policy(policy())
}

fn libraries(h: &Harness) -> LibrariesApi {
    LibrariesApi::new(h.admin.clone()).with_wait_policy(policy())
}

/// In-process: move the frozen clock by `secs` and finish the cluster transitions (a waiter's
/// first poll then sees the end state); elsewhere nothing (the waiters wait for real).
fn pass(h: &Harness, secs: u64) {
    if let Some(emu) = h.emulator() {
        emu.clock().advance(Duration::from_secs(secs));
        emu.finish_cluster_transitions();
    }
}

/// Permanently delete `id` when the scenario ends.
fn cleanup_cluster(h: &Harness, id: &ClusterId) {
    let api = ClustersApi::new(h.admin.clone());
    let id = id.clone();
    h.defer(format!("permanently delete cluster {id}"), async move {
        api.permanent_delete(&id).await
    });
}

/// The statuses of the cluster's libraries, as `(library, status)`.
async fn statuses(api: &LibrariesApi, id: &ClusterId) -> Vec<(Library, LibraryInstallStatus)> {
    api.cluster_status(id)
        .await
        .expect("cluster-status")
        .library_statuses
        .into_iter()
        .map(|s| (s.library, s.status))
        .collect()
}

portable!(libraries_through_a_cluster_life, unknown_cluster);

async fn libraries_through_a_cluster_life(h: &Harness) {
    if let Some(emu) = h.emulator() {
        emu.clock().freeze();
    }
    let (clusters, api) = (clusters(h), libraries(h));
    let version = clusters
        .select_spark_version(&SparkVersionQuery::new().lts())
        .await
        .expect("LTS runtime");
    let node = clusters
        .select_node_type(&NodeTypeQuery::new().local_disk())
        .await
        .expect("node type");
    let spec = ClusterSpec::new(version)
        .cluster_name(h.name("libraries"))
        .node_type_id(node)
        .num_workers(0)
        .spark_conf("spark.master", "local[*, 4]")
        .spark_conf("spark.databricks.cluster.profile", "singleNode")
        .custom_tag("ResourceClass", "SingleNode")
        .autotermination_minutes(10);
    let id = clusters.create(&spec).await.expect("create");
    cleanup_cluster(h, &id);
    h.clear_exchanges();

    // Installed on a cluster that is still starting: PENDING until it runs.
    let pypi = Library::pypi("simplejson==3.8.0");
    let maven = Library::maven(MavenLibrary::new("org.jsoup:jsoup:1.7.2"));
    api.install(&id, &[pypi.clone(), maven.clone()])
        .await
        .expect("install");
    snap!(h, "install");
    let now = statuses(&api, &id).await;
    assert_eq!(
        now.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>(),
        [pypi.clone(), maven.clone()],
        "in the order they were added"
    );
    if h.emulator().is_some() {
        assert!(now.iter().all(|(_, s)| *s == LibraryInstallStatus::Pending));
    }
    snap!(h, "cluster_status_pending");

    // The cluster runs; the libraries install.
    pass(h, 3);
    clusters.wait_running(&id).await.expect("running");
    pass(h, 2);
    h.clear_exchanges();
    let installed = api
        .wait_installed(&id, &[pypi.clone(), maven.clone()])
        .await
        .expect("installed");
    assert!(installed.iter().all(|s| s.status.is_installed()));
    assert!(installed.iter().all(|s| !s.is_library_for_all_clusters));
    snap!(h, "cluster_status_installed");

    // Installing an identical spec again changes nothing.
    api.install(&id, &[Library::pypi("simplejson==3.8.0")])
        .await
        .expect("install again");
    assert_eq!(statuses(&api, &id).await.len(), 2);
    h.clear_exchanges();

    // Uninstall waits for the restart, listed after the libraries that stay.
    api.uninstall(&id, std::slice::from_ref(&pypi))
        .await
        .expect("uninstall");
    api.uninstall(&id, &[Library::cran("not-installed-here")])
        .await
        .expect("uninstalling what the cluster lacks is ignored");
    assert_eq!(
        statuses(&api, &id).await,
        [
            (maven.clone(), LibraryInstallStatus::Installed),
            (pypi.clone(), LibraryInstallStatus::UninstallOnRestart),
        ]
    );
    snap!(h, "uninstall");
    let all = api.all_cluster_statuses().await.expect("all");
    let ours = all
        .iter()
        .find(|c| c.cluster_id == id)
        .expect("our cluster is listed");
    assert_eq!(ours.library_statuses.len(), 2);
    if h.emulator().is_some() {
        snap!(h, "all_cluster_statuses");
    } else {
        h.clear_exchanges();
    }

    // The restart removes it; the other is installed again.
    clusters.restart(&id).await.expect("restart");
    pass(h, 3);
    clusters.wait_running(&id).await.expect("running again");
    pass(h, 2);
    api.wait_installed(&id, std::slice::from_ref(&maven))
        .await
        .expect("installed again");
    h.clear_exchanges();
    assert_eq!(
        statuses(&api, &id).await,
        [(maven.clone(), LibraryInstallStatus::Installed)]
    );
    snap!(h, "after_restart");
    let e = api
        .wait_installed(&id, std::slice::from_ref(&pypi))
        .await
        .expect_err("removed");
    assert!(matches!(e, LibrariesError::NotOnCluster { .. }), "{e}");
    h.clear_exchanges();
}

async fn unknown_cluster(h: &Harness) {
    let api = libraries(h);
    let id = ClusterId::from("0101-000000-dbxrs000");
    let e = api.cluster_status(&id).await.expect_err("unknown");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    assert!(message(&e).contains("0101-000000-dbxrs000"), "{e}");
    let e = api
        .install(&id, &[Library::pypi("simplejson")])
        .await
        .expect_err("unknown");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    let e = api
        .uninstall(&id, &[Library::pypi("simplejson")])
        .await
        .expect_err("unknown");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    snap!(h, "unknown_cluster");
}

// ---------------------------------------------------------------------------------------------
// Emulator-only: the clock, validation messages, failure rules, permissions.

fn emu_spec(name: &str) -> ClusterSpec {
    ClusterSpec::new("16.4.x-scala2.12")
        .cluster_name(name)
        .node_type_id("m5d.large")
        .num_workers(1)
}

#[tokio::test]
async fn library_state_follows_the_cluster_on_a_frozen_clock() {
    let Some(h) = Harness::emulator_only("needs the emulator clock") else {
        return;
    };
    let emu = h.emu().clone();
    emu.clock().freeze();
    let (clusters, api) = (clusters(&h), libraries(&h));
    let id = clusters.create(&emu_spec("clock")).await.expect("create");
    emu.finish_cluster_transitions();
    clusters.delete(&id).await.expect("terminate");
    emu.finish_cluster_transitions();
    let (a, b) = (Library::pypi("a"), Library::jar("dbfs:/FileStore/b.jar"));
    api.install(&id, &[a.clone(), b.clone()])
        .await
        .expect("install on a terminated cluster");

    // A timeline: (what happened, the statuses after it).
    let mut seen: Vec<Value> = Vec::new();
    let mut look = |what: &str, now: Vec<(Library, LibraryInstallStatus)>| {
        let row: Vec<String> = now.into_iter().map(|(l, s)| format!("{l}: {s}")).collect();
        seen.push(json!([what, row]));
    };
    look("installed on TERMINATED", statuses(&api, &id).await);
    emu.clock().advance(Duration::from_secs(600));
    look("10 minutes later", statuses(&api, &id).await);
    clusters.start(&id).await.expect("start");
    emu.clock().advance(Duration::from_millis(1999));
    look(
        "started, 1.999 s later (PENDING)",
        statuses(&api, &id).await,
    );
    emu.clock().advance(Duration::from_millis(1));
    look("RUNNING", statuses(&api, &id).await);
    for step in ["+0.5 s", "+1.0 s", "+1.5 s"] {
        emu.clock().advance(Duration::from_millis(500));
        look(step, statuses(&api, &id).await);
    }
    api.uninstall(&id, std::slice::from_ref(&a))
        .await
        .expect("uninstall");
    look("uninstall a", statuses(&api, &id).await);
    clusters.delete(&id).await.expect("terminate");
    emu.clock().advance(Duration::from_secs(5));
    look("terminated", statuses(&api, &id).await);
    // Installing it again before the restart cancels the removal.
    api.install(&id, std::slice::from_ref(&a))
        .await
        .expect("install again");
    look("a installed again", statuses(&api, &id).await);
    api.uninstall(&id, std::slice::from_ref(&a))
        .await
        .expect("uninstall");
    clusters.start(&id).await.expect("start");
    look("started again", statuses(&api, &id).await);
    emu.clock().advance(Duration::from_secs(4));
    look("running 2 s", statuses(&api, &id).await);
    // Resizing keeps the nodes: nothing is reinstalled.
    clusters.resize(&id, 2).await.expect("resize");
    emu.clock().advance(Duration::from_secs(2));
    look("resized", statuses(&api, &id).await);
    h.clear_exchanges();
    snapshot!(h, "timeline", json!(seen));

    // A permanently deleted cluster takes its libraries with it.
    clusters.permanent_delete(&id).await.expect("delete");
    let e = api.cluster_status(&id).await.expect_err("gone");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    assert_eq!(message(&e), format!("Cluster {id} does not exist"));
    assert!(api.all_cluster_statuses().await.expect("all").is_empty());
    snap!(h, "permanently_deleted");
}

#[tokio::test]
async fn invalid_libraries_are_refused_with_the_service_codes() {
    let Some(h) = Harness::emulator_only("the messages are the emulator's") else {
        return;
    };
    h.emu().clock().freeze();
    let id = clusters(&h)
        .create(&emu_spec("validation"))
        .await
        .expect("create");
    h.clear_exchanges();
    let api = libraries(&h);
    let unknown: Library =
        serde_json::from_value(json!({"conda": {"package": "x"}})).expect("unknown kind");
    let two: Library = serde_json::from_value(json!({"jar": "dbfs:/a.jar", "whl": "dbfs:/b.whl"}))
        .expect("two kinds");
    let cases = [
        unknown,
        two,
        Library::maven("org.jsoup:jsoup"),
        Library::maven("org.jsoup:jsoup:1.7.2:extra"),
        Library::pypi(""),
        Library::cran(" "),
        Library::jar("https://example.com/a.jar"),
        Library::whl("relative/a.whl"),
        Library::requirements("dbfs:/requirements.txt"),
        Library::Unknown(Map::new()),
    ];
    for lib in cases {
        let e = api
            .install(&id, &[Library::pypi("fine"), lib.clone()])
            .await
            .expect_err("refused");
        assert_eq!(e.status().map(|s| s.as_u16()), Some(400), "{lib}: {e}");
        assert!(
            message(&e).contains("libraries[1]"),
            "{lib}: names the library: {e}"
        );
    }
    // Nothing was installed by the refused requests.
    assert!(statuses(&api, &id).await.is_empty());
    snap!(h, "invalid_libraries");
    // Accepted forms.
    api.install(
        &id,
        &[
            Library::jar("/Volumes/main/default/libs/a.jar"),
            Library::whl("/Workspace/Shared/a-1.0-py3-none-any.whl"),
            Library::egg("s3://bucket/a.egg"),
            Library::requirements("/Workspace/Shared/requirements.txt"),
            Library::pypi(PythonPyPiLibrary::new("x").repo("https://pypi.example/simple")),
            Library::cran("ggplot2"),
        ],
    )
    .await
    .expect("accepted");
    assert_eq!(statuses(&api, &id).await.len(), 6);
    h.clear_exchanges();
}

#[tokio::test(start_paused = true)]
async fn failure_rules_make_installs_fail_with_messages() {
    let Some(h) = Harness::emulator_only_with("needs the emulator's failure rules", || {
        Emulator::builder().clock_mode(ClockMode::Tokio).build()
    }) else {
        return;
    };
    let emu = h.emu().clone();
    emu.add_library_failure(
        LibraryFailure::new("broken-*").message("ERROR: No matching distribution found"),
    );
    emu.add_library_failure(LibraryFailure::new("*_2.10:*").skipped());
    let clusters = ClustersApi::new(h.admin.clone());
    let api = LibrariesApi::new(h.admin.clone());
    let id = clusters
        .create_and_wait(&emu_spec("failing"))
        .await
        .expect("running")
        .id();
    let wanted = [
        Library::pypi("fine"),
        Library::pypi("broken-package==1.0"),
        Library::maven("com.example:old_2.10:1.0"),
    ];
    let started = tokio::time::Instant::now();
    let e = api
        .install_and_wait(&id, &wanted)
        .await
        .expect_err("two fail");
    // Three steps of 0.5 s; polls at 0, 1, 2.5 s.
    assert_eq!(started.elapsed(), Duration::from_millis(2500));
    let LibrariesError::Failed {
        failures,
        installed,
        ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(installed.len(), 1);
    let got: Vec<(String, LibraryInstallStatus, usize)> = failures
        .iter()
        .map(|f| (f.library.to_string(), f.status.clone(), f.messages.len()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "pypi broken-package==1.0".to_owned(),
                LibraryInstallStatus::Failed,
                1
            ),
            (
                "maven com.example:old_2.10:1.0".to_owned(),
                LibraryInstallStatus::Skipped,
                1
            ),
        ]
    );
    assert_eq!(
        failures[0].messages,
        ["ERROR: No matching distribution found"]
    );
    let text = e.to_string();
    assert!(
        text.contains("ERROR: No matching distribution found"),
        "{text}"
    );
    h.clear_exchanges();
    let st = api.cluster_status(&id).await.expect("status");
    assert_eq!(st.library_statuses.len(), 3);
    snap!(h, "failed_and_skipped");

    // Without the rules, the next start installs them.
    emu.clear_library_failures();
    clusters.restart_and_wait(&id).await.expect("restarted");
    let ok = api.wait_installed(&id, &wanted).await.expect("installed");
    assert_eq!(ok.len(), 3);
    h.clear_exchanges();
}

#[tokio::test]
async fn installing_needs_can_manage_and_reading_is_open() {
    let Some(h) = Harness::emulator_only("needs users made out of thin air") else {
        return;
    };
    h.emu().clock().freeze();
    let id = clusters(&h)
        .create(&emu_spec("permissions"))
        .await
        .expect("create");
    let admin = libraries(&h);
    admin
        .install(&id, &[Library::pypi("a")])
        .await
        .expect("admin installs");
    let alice = LibrariesApi::new(h.user("alice@example.com"));
    h.clear_exchanges();
    let e = alice
        .install(&id, &[Library::pypi("b")])
        .await
        .expect_err("no CAN_MANAGE");
    assert!(e.is_permission_denied(), "{e}");
    assert_eq!(
        message(&e),
        format!("User alice@example.com does not have CAN_MANAGE permission on cluster {id}.")
    );
    snap!(h, "install_without_can_manage");
    let e = alice
        .uninstall(&id, &[Library::pypi("a")])
        .await
        .expect_err("no CAN_MANAGE");
    assert!(e.is_permission_denied(), "{e}");
    assert_eq!(
        alice
            .cluster_status(&id)
            .await
            .expect("read")
            .library_statuses
            .len(),
        1
    );
    assert_eq!(alice.all_cluster_statuses().await.expect("read").len(), 1);
    h.emu()
        .set_cluster_permission(id.as_str(), "alice@example.com", ClusterLevel::CanRestart)
        .expect("grant");
    assert!(alice
        .install(&id, &[Library::pypi("b")])
        .await
        .expect_err("CAN_RESTART is not enough")
        .is_permission_denied());
    h.emu()
        .set_cluster_permission(id.as_str(), "alice@example.com", ClusterLevel::CanManage)
        .expect("grant");
    alice
        .install(&id, &[Library::pypi("b")])
        .await
        .expect("alice installs now");
    assert_eq!(statuses(&admin, &id).await.len(), 2);
    h.clear_exchanges();
}

#[tokio::test]
async fn edits_and_autotermination_reach_the_libraries_too() {
    let Some(h) = Harness::emulator_only("needs the emulator clock") else {
        return;
    };
    let emu = h.emu().clone();
    emu.clock().freeze();
    let (clusters, api) = (clusters(&h), libraries(&h));
    let id = clusters
        .create(&emu_spec("edited").autotermination_minutes(10))
        .await
        .expect("create");
    let lib = Library::cran("ggplot2");
    api.install(&id, std::slice::from_ref(&lib))
        .await
        .expect("install");
    let status = || async { statuses(&api, &id).await[0].1.clone() };
    emu.clock().advance(Duration::from_millis(3500)); // RUNNING at 2 s, installed at 3.5 s
    assert_eq!(status().await, LibraryInstallStatus::Installed);
    // An edit of a running cluster restarts it: installed again once it runs.
    let spec = clusters
        .get(&id)
        .await
        .expect("get")
        .to_spec()
        .num_workers(2);
    clusters.edit(&id, &spec).await.expect("edit");
    assert_eq!(status().await, LibraryInstallStatus::Pending);
    emu.clock().advance(Duration::from_millis(2500)); // RUNNING at +2 s, RESOLVING at +2.5 s
    assert_eq!(status().await, LibraryInstallStatus::Resolving);
    emu.clock().advance(Duration::from_secs(1));
    assert_eq!(status().await, LibraryInstallStatus::Installed);
    // Autotermination takes the nodes: PENDING until the next start.
    emu.clock().advance(Duration::from_secs(11 * 60));
    assert_eq!(status().await, LibraryInstallStatus::Pending);
    assert_eq!(
        clusters.get(&id).await.expect("get").state(),
        dbx_clusters::State::Terminated
    );
    h.clear_exchanges();
}
