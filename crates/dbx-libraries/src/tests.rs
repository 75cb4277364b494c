//! Unit tests against a replay transport: request shapes, the `Library` wire form, the waiter.

use std::time::Duration;

use dbx_core::testing::ReplayTransport;
use dbx_core::wait::PollPolicy;
use dbx_core::{Client, Config};
use serde_json::{json, Value};

use super::*;

fn api(t: &ReplayTransport) -> LibrariesApi {
    let config = Config::builder()
        .host("https://example.cloud.databricks.com")
        .token("dapi-test")
        .build()
        .expect("config");
    LibrariesApi::new(Client::with_transport(config, t.clone()))
        .with_wait_policy(PollPolicy::new(Duration::from_secs(60)).interval(Duration::from_secs(1)))
}

fn id() -> ClusterId {
    ClusterId::from("0124-165313-5fpp2uv9")
}

fn status(library: Value, status: &str) -> Value {
    json!({"library": library, "status": status, "is_library_for_all_clusters": false})
}

#[test]
fn every_kind_is_a_one_key_object_and_unknown_ones_round_trip() {
    let libs = vec![
        Library::jar("/Volumes/main/default/libs/a.jar"),
        Library::egg("dbfs:/libs/a.egg"),
        Library::whl("/Workspace/Shared/a-1.0-py3-none-any.whl"),
        Library::requirements("/Workspace/Shared/requirements.txt"),
        Library::pypi(PythonPyPiLibrary::new("simplejson==3.8.0").repo("https://pypi.example")),
        Library::maven(
            MavenLibrary::new("org.jsoup:jsoup:1.7.2")
                .repo("https://maven.example")
                .exclusion("slf4j:slf4j"),
        ),
        Library::cran("ggplot2"),
    ];
    let wire = serde_json::to_value(&libs).expect("serialize");
    assert_eq!(
        wire,
        json!([
            {"jar": "/Volumes/main/default/libs/a.jar"},
            {"egg": "dbfs:/libs/a.egg"},
            {"whl": "/Workspace/Shared/a-1.0-py3-none-any.whl"},
            {"requirements": "/Workspace/Shared/requirements.txt"},
            {"pypi": {"package": "simplejson==3.8.0", "repo": "https://pypi.example"}},
            {"maven": {"coordinates": "org.jsoup:jsoup:1.7.2", "repo": "https://maven.example",
                       "exclusions": ["slf4j:slf4j"]}},
            {"cran": {"package": "ggplot2"}},
        ])
    );
    let back: Vec<Library> = serde_json::from_value(wire).expect("deserialize");
    assert_eq!(back, libs);
    // Unknown kinds, and known kinds with unknown fields, come back as they went.
    for v in [
        json!({"conda": {"package": "numpy"}}),
        json!({"pypi": {"package": "x", "index_flags": ["--pre"]}}),
        json!({"jar": "dbfs:/a.jar", "whl": "dbfs:/b.whl"}),
    ] {
        let lib: Library = serde_json::from_value(v.clone()).expect("deserialize");
        assert_eq!(serde_json::to_value(&lib).expect("serialize"), v);
    }
    assert_eq!(
        serde_json::from_value::<Library>(
            json!({"pypi": {"package": "x", "repo": null}, "jar": null})
        )
        .expect("nulls are absent"),
        Library::pypi("x")
    );
    assert!(serde_json::from_value::<Library>(json!({"jar": 3})).is_err());
    assert_eq!(Library::maven("a:b:1").to_string(), "maven a:b:1");
    let s: LibraryInstallStatus = serde_json::from_value(json!("WARMING_UP")).expect("open");
    assert_eq!(s, LibraryInstallStatus::Unknown("WARMING_UP".into()));
}

#[tokio::test]
async fn calls_have_the_documented_shapes() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({}))
        .respond_json(200, json!({}))
        .respond_json(
            200,
            json!({"cluster_id": id().0, "library_statuses": [status(json!({"cran": {"package": "x"}}), "INSTALLED")]}),
        )
        .respond_json(200, json!({}));
    let api = api(&t);
    let libs = [Library::pypi("simplejson"), Library::jar("dbfs:/a.jar")];
    api.install(&id(), &libs).await.expect("install");
    api.uninstall(&id(), &libs[..1]).await.expect("uninstall");
    let st = api.cluster_status(&id()).await.expect("status");
    assert_eq!(st.library_statuses[0].library, Library::cran("x"));
    assert!(st.library_statuses[0].status.is_installed());
    assert!(api.all_cluster_statuses().await.expect("all").is_empty());
    let sent: Vec<(String, String, Option<String>, Value)> = t
        .requests()
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.path.clone(),
                r.query.clone(),
                r.json(),
            )
        })
        .collect();
    let body = |libs: Value| json!({"cluster_id": "0124-165313-5fpp2uv9", "libraries": libs});
    assert_eq!(
        sent,
        vec![
            (
                "POST".into(),
                "/api/2.0/libraries/install".into(),
                None,
                body(json!([{"pypi": {"package": "simplejson"}}, {"jar": "dbfs:/a.jar"}]))
            ),
            (
                "POST".into(),
                "/api/2.0/libraries/uninstall".into(),
                None,
                body(json!([{"pypi": {"package": "simplejson"}}]))
            ),
            (
                "GET".into(),
                "/api/2.0/libraries/cluster-status".into(),
                Some("cluster_id=0124-165313-5fpp2uv9".into()),
                Value::Null
            ),
            (
                "GET".into(),
                "/api/2.0/libraries/all-cluster-statuses".into(),
                None,
                Value::Null
            ),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_waiter_waits_for_every_library_and_lists_every_failure() {
    let a = json!({"pypi": {"package": "a"}});
    let b = json!({"maven": {"coordinates": "g:b:1"}});
    let other = json!({"jar": "dbfs:/other.jar"});
    let answer = |sa: &str, sb: &str, msgs: Value| {
        let mut fb = status(b.clone(), sb);
        fb["messages"] = msgs;
        json!({"cluster_id": id().0, "library_statuses": [status(other.clone(), "FAILED"), status(a.clone(), sa), fb]})
    };
    let t = ReplayTransport::new()
        .respond_json(200, json!({}))
        .respond_json(200, answer("PENDING", "RESOLVING", json!([])))
        .respond_json(200, answer("INSTALLED", "INSTALLING", json!([])))
        .respond_json(
            200,
            answer("INSTALLED", "FAILED", json!(["no such artifact", "twice"])),
        );
    let libs = [Library::pypi("a"), Library::maven("g:b:1")];
    let e = api(&t)
        .install_and_wait(&id(), &libs)
        .await
        .expect_err("b failed");
    assert!(e.is_failed(), "{e}");
    // Only the requested libraries: the other cluster library's failure is not ours.
    assert_eq!(e.failures().len(), 1);
    assert_eq!(e.failures()[0].library, libs[1]);
    assert_eq!(
        e.to_string(),
        "libraries failed to install on cluster 0124-165313-5fpp2uv9: maven g:b:1: FAILED (no such artifact; twice)"
    );
    assert_eq!(t.remaining(), 0);

    let t = ReplayTransport::new().respond_json(200, answer("INSTALLED", "INSTALLED", json!([])));
    let ok = api(&t)
        .wait_installed(&id(), &libs)
        .await
        .expect("installed");
    assert_eq!(
        ok.iter().map(|s| s.library.clone()).collect::<Vec<_>>(),
        libs
    );

    let t = ReplayTransport::new().respond_json(200, answer("INSTALLED", "INSTALLED", json!([])));
    let e = api(&t)
        .wait_installed(&id(), &[Library::cran("zzz")])
        .await
        .expect_err("not there");
    assert!(
        matches!(&e, LibrariesError::NotOnCluster { libraries, .. } if libraries == &[Library::cran("zzz")]),
        "{e}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_waiter_times_out_naming_what_is_still_in_progress() {
    let a = json!({"pypi": {"package": "a"}});
    let t = (0..100).fold(ReplayTransport::new(), |t, _| {
        t.respond_json(
            200,
            json!({"cluster_id": id().0, "library_statuses": [status(a.clone(), "PENDING")]}),
        )
    });
    let started = tokio::time::Instant::now();
    let e = api(&t)
        .wait_installed(&id(), &[Library::pypi("a")])
        .await
        .expect_err("timeout");
    assert!(e.is_timeout(), "{e}");
    assert!(started.elapsed() <= Duration::from_secs(60));
    assert!(
        e.to_string().contains("still in progress: pypi a: PENDING"),
        "{e}"
    );
}
