//! Unit tests against a replay transport: request shapes, decoding, paging, waiters, selectors.

use std::time::Duration;

use dbx_core::testing::{RecordedRequest, ReplayTransport};
use dbx_core::wait::PollPolicy;
use dbx_core::{Client, Config};
use futures::TryStreamExt;
use serde_json::{json, Value};

use super::*;

fn api(t: &ReplayTransport) -> ClustersApi {
    let config = Config::builder()
        .host("https://example.cloud.databricks.com")
        .token("dapi-test")
        .build()
        .expect("config");
    ClustersApi::new(Client::with_transport(config, t.clone()))
}

fn ok(n: usize) -> ReplayTransport {
    (0..n).fold(ReplayTransport::new(), |t, _| {
        t.respond_json(200, json!({}))
    })
}

fn id() -> ClusterId {
    ClusterId::from("0124-165313-5fpp2uv9")
}

fn cluster(state: &str) -> Value {
    json!({"cluster_id": "0124-165313-5fpp2uv9", "state": state, "state_message": ""})
}

fn sent(r: &RecordedRequest) -> (String, String, Value) {
    (r.method.to_string(), r.path.clone(), r.json())
}

#[tokio::test]
async fn create_sends_the_spec_and_returns_the_id() {
    let t = ReplayTransport::new().respond_json(200, json!({"cluster_id": "0124-165313-5fpp2uv9"}));
    let spec = ClusterSpec::new("13.3.x-scala2.12")
        .cluster_name("etl")
        .node_type_id("i3.xlarge")
        .num_workers(2)
        .autotermination_minutes(30)
        .spark_conf("spark.speculation", "true")
        .custom_tag("team", "data")
        .cluster_log_conf(ClusterLogConf::dbfs("dbfs:/logs"))
        .init_script(InitScriptInfo::workspace("/Shared/init.sh"))
        .aws_attributes(AwsAttributes {
            availability: Some(AwsAvailability::SpotWithFallback),
            ebs_volume_type: Some(EbsVolumeType::GeneralPurposeSsd),
            ebs_volume_count: Some(1),
            ..AwsAttributes::default()
        })
        .runtime_engine(RuntimeEngine::Photon)
        .data_security_mode(DataSecurityMode::SingleUser)
        .single_user_name("me@example.com");
    let got = api(&t).create(&spec).await.expect("create");
    assert_eq!(got, id());
    let r = t.requests();
    assert_eq!(r.len(), 1);
    assert_eq!(
        sent(&r[0]),
        (
            "POST".into(),
            "/api/2.1/clusters/create".into(),
            json!({
                "spark_version": "13.3.x-scala2.12",
                "cluster_name": "etl",
                "node_type_id": "i3.xlarge",
                "num_workers": 2,
                "autotermination_minutes": 30,
                "spark_conf": {"spark.speculation": "true"},
                "custom_tags": {"team": "data"},
                "cluster_log_conf": {"dbfs": {"destination": "dbfs:/logs"}},
                "init_scripts": [{"workspace": {"destination": "/Shared/init.sh"}}],
                "aws_attributes": {"availability": "SPOT_WITH_FALLBACK",
                                   "ebs_volume_type": "GENERAL_PURPOSE_SSD", "ebs_volume_count": 1},
                "runtime_engine": "PHOTON",
                "data_security_mode": "SINGLE_USER",
                "single_user_name": "me@example.com"
            })
        )
    );
}

#[tokio::test]
async fn create_is_not_retried_after_a_timeout_unless_it_has_an_idempotency_token() {
    use dbx_core::TransportErrorKind;
    let t = ReplayTransport::new()
        .fail(TransportErrorKind::Timeout, "slow")
        .respond_json(200, json!({"cluster_id": "x"}));
    let e = api(&t)
        .create(&ClusterSpec::new("13.3.x-scala2.12"))
        .await
        .expect_err("not retried");
    assert!(e.is_timeout(), "{e}");
    assert_eq!(t.requests().len(), 1);

    let t = ReplayTransport::new()
        .fail(TransportErrorKind::Timeout, "slow")
        .respond_json(200, json!({"cluster_id": "x"}));
    let a = api(&t).with_options(dbx_core::CallOptions::default().with_retry(
        dbx_core::RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            ..dbx_core::RetryPolicy::default()
        },
    ));
    let got = a
        .create(&ClusterSpec::new("13.3.x-scala2.12").idempotency_token("run-42"))
        .await
        .expect("retried");
    assert_eq!(got.as_str(), "x");
    assert_eq!(t.requests().len(), 2);
    assert_eq!(t.requests()[1].json()["idempotency_token"], "run-42");
}

#[tokio::test]
async fn get_change_edit_keeps_fields_this_crate_does_not_model() {
    // With the server's `spec`: the spec as given, unknown fields at every level.
    let details = json!({
        "cluster_id": "0124-165313-5fpp2uv9",
        "state": "TERMINATED",
        "spark_version": "13.3.x-scala2.12",
        "num_workers": 1,
        "cluster_memory_mb": 31232,
        "a_new_read_only_field": 7,
        "spec": {
            "spark_version": "13.3.x-scala2.12",
            "num_workers": 1,
            "node_type_id": "i3.xlarge",
            "a_new_setting": {"nested": [1, 2]},
            "aws_attributes": {"availability": "SPOT", "a_new_aws_knob": "x"},
            "cluster_log_conf": {"dbfs": {"destination": "dbfs:/l"}, "new_sink": {"destination": "z"}},
            "runtime_engine": "SOME_FUTURE_ENGINE"
        }
    });
    let t = ReplayTransport::new()
        .respond_json(200, details.clone())
        .respond_json(200, json!({}));
    let a = api(&t);
    let got = a.get(&id()).await.expect("get");
    assert_eq!(got.extra["a_new_read_only_field"], 7);
    assert_eq!(
        got.spec.as_ref().and_then(|s| s.runtime_engine.clone()),
        Some(RuntimeEngine::Unknown("SOME_FUTURE_ENGINE".into()))
    );
    let spec = got.to_spec().num_workers(3).autotermination_minutes(60);
    a.edit(&id(), &spec).await.expect("edit");
    let body = t.requests()[1].json();
    assert_eq!(t.requests()[1].path, "/api/2.1/clusters/edit");
    assert_eq!(
        body,
        json!({
            "cluster_id": "0124-165313-5fpp2uv9",
            "spark_version": "13.3.x-scala2.12",
            "num_workers": 3,
            "autotermination_minutes": 60,
            "node_type_id": "i3.xlarge",
            "a_new_setting": {"nested": [1, 2]},
            "aws_attributes": {"availability": "SPOT", "a_new_aws_knob": "x"},
            "cluster_log_conf": {"dbfs": {"destination": "dbfs:/l"}, "new_sink": {"destination": "z"}},
            "runtime_engine": "SOME_FUTURE_ENGINE"
        })
    );

    // Without `spec` (list answers): the settings fields and every unknown field.
    let mut no_spec = details;
    if let Some(m) = no_spec.as_object_mut() {
        m.remove("spec");
    }
    let d: ClusterDetails = serde_json::from_value(no_spec).expect("decode");
    let body = serde_json::to_value(d.to_spec()).expect("encode");
    assert_eq!(
        body,
        json!({"spark_version": "13.3.x-scala2.12", "num_workers": 1, "a_new_read_only_field": 7})
    );
}

#[test]
fn details_decode_every_documented_field_and_round_trip() {
    let wire = json!({
        "cluster_id": "0124-165313-5fpp2uv9",
        "creator_user_name": "me@example.com",
        "state": "TERMINATED",
        "state_message": "Termination requested by me@example.com",
        "start_time": 1706114000000i64,
        "terminated_time": 1706115000000i64,
        "last_restarted_time": 1706114500000i64,
        "termination_reason": {"code": "USER_REQUEST", "type": "SUCCESS", "parameters": {"username": "me@example.com"}},
        "driver": {"node_id": "n1", "private_ip": "10.0.0.1", "start_timestamp": 1706114000000i64},
        "executors": [{"node_id": "n2"}],
        "spark_context_id": 4020997813441462000i64,
        "jdbc_port": 10000,
        "cluster_memory_mb": 62464,
        "cluster_cores": 8.0,
        "default_tags": {"Vendor": "Databricks", "ClusterId": "0124-165313-5fpp2uv9"},
        "cluster_source": "API",
        "cluster_log_status": {"last_attempted": 1706114600000i64},
        "spark_version": "13.3.x-scala2.12",
        "autoscale": {"min_workers": 1, "max_workers": 3},
        "num_workers": 1,
        "node_type_id": "i3.xlarge",
        "driver_node_type_id": "i3.xlarge",
        "enable_elastic_disk": true,
        "data_security_mode": "NONE",
        "kind": "CLASSIC_PREVIEW"
    });
    let d: ClusterDetails = serde_json::from_value(wire.clone()).expect("decode");
    assert_eq!(d.state(), State::Terminated);
    assert_eq!(d.cluster_source, Some(ClusterSource::Api));
    let reason = d.termination_reason.clone().expect("reason");
    assert_eq!(reason.code, Some(TerminationCode::UserRequest));
    assert_eq!(
        reason.to_string(),
        "USER_REQUEST (SUCCESS) [username=me@example.com]"
    );
    assert_eq!(d.kind, Some(Kind::ClassicPreview));
    assert!(d.extra.is_empty(), "{:?}", d.extra);
    assert_eq!(serde_json::to_value(&d).expect("encode"), wire);
    // Autoscale wins over the target count when building a spec.
    assert_eq!(
        d.to_spec().workers_value(),
        Some(Workers::Autoscale(AutoScale::new(1, 3)))
    );
}

#[test]
fn every_enum_is_open() {
    let s: State = serde_json::from_value(json!("HIBERNATING")).expect("state");
    assert_eq!(s, State::Unknown("HIBERNATING".into()));
    assert_eq!(serde_json::to_value(&s).expect("ser"), json!("HIBERNATING"));
    let u: State = serde_json::from_value(json!("UNKNOWN")).expect("unknown");
    assert_eq!(u, State::UnknownState);
    let c: TerminationCode = serde_json::from_value(json!("INACTIVITY")).expect("code");
    assert_eq!(c, TerminationCode::Inactivity);
    let e: EventType = serde_json::from_value(json!("UPSIZE_COMPLETED")).expect("event");
    assert_eq!(e, EventType::UpsizeCompleted);
    let e: EventType = serde_json::from_value(json!("SOMETHING_NEW")).expect("event");
    assert_eq!(e.as_str(), "SOMETHING_NEW");
}

#[tokio::test]
async fn calls_with_an_id_send_it_in_the_body() {
    let t = ok(9);
    let a = api(&t);
    a.start(&id()).await.expect("start");
    a.restart(&id()).await.expect("restart");
    a.resize(&id(), 5).await.expect("resize");
    a.resize(&id(), AutoScale::new(2, 6))
        .await
        .expect("autoscale");
    a.delete(&id()).await.expect("delete");
    a.permanent_delete(&id()).await.expect("permanent");
    a.pin(&id()).await.expect("pin");
    a.unpin(&id()).await.expect("unpin");
    a.change_owner(&id(), "new@example.com")
        .await
        .expect("owner");
    let got: Vec<(String, String, Value)> = t.requests().iter().map(sent).collect();
    let cid = "0124-165313-5fpp2uv9";
    let post = |p: &str, b: Value| ("POST".to_string(), format!("/api/2.1/clusters/{p}"), b);
    assert_eq!(
        got,
        vec![
            post("start", json!({"cluster_id": cid})),
            post("restart", json!({"cluster_id": cid})),
            post("resize", json!({"cluster_id": cid, "num_workers": 5})),
            post(
                "resize",
                json!({"cluster_id": cid, "autoscale": {"min_workers": 2, "max_workers": 6}})
            ),
            post("delete", json!({"cluster_id": cid})),
            post("permanent-delete", json!({"cluster_id": cid})),
            post("pin", json!({"cluster_id": cid})),
            post("unpin", json!({"cluster_id": cid})),
            post(
                "change-owner",
                json!({"cluster_id": cid, "owner_username": "new@example.com"})
            ),
        ]
    );
}

#[tokio::test]
async fn update_sends_the_mask_and_refuses_an_empty_one() {
    let t = ok(1);
    let a = api(&t);
    let e = a
        .update(&id(), &[], &ClusterSpec::default())
        .await
        .expect_err("empty mask");
    assert!(matches!(e, dbx_core::Error::InvalidRequest(_)));
    assert!(t.requests().is_empty());
    a.update(
        &id(),
        &["num_workers", "spark_conf"],
        &ClusterSpec::default().num_workers(4),
    )
    .await
    .expect("update");
    assert_eq!(
        sent(&t.requests()[0]),
        (
            "POST".into(),
            "/api/2.1/clusters/update".into(),
            json!({"cluster_id": "0124-165313-5fpp2uv9", "update_mask": "num_workers,spark_conf",
                   "cluster": {"num_workers": 4}})
        )
    );
}

#[tokio::test]
async fn reads_use_get_with_query_parameters() {
    let t = ReplayTransport::new()
        .respond_json(200, cluster("RUNNING"))
        .respond_json(
            200,
            json!({"node_types": [{"node_type_id": "i3.xlarge", "memory_mb": 31232,
            "num_cores": 4.0, "description": "i3.xlarge", "instance_type_id": "i3.xlarge",
            "category": "Storage Optimized", "node_instance_type": {"instance_type_id": "i3.xlarge",
            "local_disks": 1, "local_disk_size_gb": 950}}]}),
        )
        .respond_json(
            200,
            json!({"zones": ["us-west-2a", "us-west-2b"], "default_zone": "us-west-2a"}),
        )
        .respond_json(
            200,
            json!({"versions": [{"key": "13.3.x-scala2.12",
            "name": "13.3 LTS (includes Apache Spark 3.4.1, Scala 2.12)"}]}),
        )
        .respond_json(200, json!({}))
        .respond_json(200, json!({}));
    let a = api(&t);
    assert_eq!(a.get(&id()).await.expect("get").state(), State::Running);
    let types = a.list_node_types().await.expect("types");
    assert_eq!(
        types[0]
            .node_instance_type
            .as_ref()
            .and_then(|i| i.local_disk_size_gb),
        Some(950)
    );
    let zones = a.list_zones().await.expect("zones");
    assert_eq!(zones.default_zone.as_deref(), Some("us-west-2a"));
    assert_eq!(
        a.spark_versions().await.expect("versions")[0].key,
        "13.3.x-scala2.12"
    );
    // Missing list keys mean empty lists.
    assert!(a.list_node_types().await.expect("empty").is_empty());
    assert!(a.spark_versions().await.expect("empty").is_empty());
    let r = t.requests();
    assert_eq!(r[0].path, "/api/2.1/clusters/get");
    assert_eq!(
        r[0].query.as_deref(),
        Some("cluster_id=0124-165313-5fpp2uv9")
    );
    assert_eq!(r[1].path, "/api/2.1/clusters/list-node-types");
    assert_eq!(r[2].path, "/api/2.1/clusters/list-zones");
    assert_eq!(r[3].path, "/api/2.1/clusters/spark-versions");
    assert!(r
        .iter()
        .all(|r| r.method == http::Method::GET && r.body.is_empty()));
}

#[tokio::test]
async fn unknown_cluster_is_not_found() {
    let t = ReplayTransport::new().respond_json(
        400,
        json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "Cluster nope does not exist"}),
    );
    let e = api(&t)
        .get(&ClusterId::from("nope"))
        .await
        .expect_err("400");
    assert!(e.is_not_found() && e.is_invalid_parameter(), "{e}");
}

#[tokio::test]
async fn list_is_lazy_pages_by_token_with_filters_and_dedups() {
    let t = ReplayTransport::new()
        .respond_json(
            200,
            json!({"clusters": [cluster("RUNNING"), {"cluster_id": "b", "state": "PENDING"}],
                                  "next_page_token": "p2", "prev_page_token": ""}),
        )
        .respond_json(
            200,
            json!({"clusters": [{"cluster_id": "b", "state": "PENDING"},
                                               {"cluster_id": "c", "state": "RUNNING"}],
                                  "next_page_token": "", "prev_page_token": "p1"}),
        );
    let a = api(&t);
    let stream = a
        .list()
        .states([State::Running, State::Pending])
        .sources([ClusterSource::Api])
        .pinned(false)
        .policy_id("pol")
        .sort_by(SortField::ClusterName, SortDirection::Desc)
        .page_size(2)
        .items();
    assert!(t.requests().is_empty(), "nothing is sent before polling");
    let all: Vec<ClusterDetails> = stream.try_collect().await.expect("list");
    let ids: Vec<String> = all.iter().map(|c| c.id().0).collect();
    assert_eq!(ids, ["0124-165313-5fpp2uv9", "b", "c"]);
    let r = t.requests();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].path, "/api/2.1/clusters/list");
    assert_eq!(
        r[0].query.as_deref(),
        Some("filter_by.cluster_sources=API&filter_by.cluster_states=RUNNING&filter_by.cluster_states=PENDING&filter_by.is_pinned=false&filter_by.policy_id=pol&sort_by.field=CLUSTER_NAME&sort_by.direction=DESC&page_size=2")
    );
    assert!(r[1]
        .query
        .as_deref()
        .unwrap_or("")
        .ends_with("page_size=2&page_token=p2"));
}

#[tokio::test]
async fn list_refuses_a_repeated_token() {
    let page = json!({"clusters": [cluster("RUNNING")], "next_page_token": "same"});
    let t = ReplayTransport::new()
        .respond_json(200, page.clone())
        .respond_json(200, page);
    let e = api(&t)
        .list()
        .pages()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("loop");
    assert!(
        matches!(e, dbx_core::Error::PaginationLoop(ref t) if t == "same"),
        "{e}"
    );
}

#[tokio::test]
async fn events_stream_reposts_next_page_as_the_body() {
    let ev = |ts: i64, kind: &str| json!({"cluster_id": "0124-165313-5fpp2uv9", "timestamp": ts, "type": kind, "details": {}});
    let next = json!({"cluster_id": "0124-165313-5fpp2uv9", "order": "ASC", "offset": 2, "limit": 2,
                      "event_types": ["CREATING", "RUNNING", "TERMINATING"]});
    let t = ReplayTransport::new()
        .respond_json(
            200,
            json!({"events": [ev(1, "CREATING"), ev(2, "RUNNING")],
                                  "next_page": next, "total_count": 3}),
        )
        .respond_json(
            200,
            json!({"events": [ev(3, "TERMINATING")], "total_count": 3}),
        );
    let a = api(&t);
    let q = a
        .events(&id())
        .order(EventOrder::Asc)
        .limit(2)
        .event_types([
            EventType::Creating,
            EventType::Running,
            EventType::Terminating,
        ]);
    assert_eq!(q.body()["order"], "ASC");
    let all: Vec<ClusterEvent> = q.stream().try_collect().await.expect("events");
    let kinds: Vec<EventType> = all.iter().filter_map(|e| e.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            EventType::Creating,
            EventType::Running,
            EventType::Terminating
        ]
    );
    let r = t.requests();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].path, "/api/2.1/clusters/events");
    assert_eq!(
        r[0].json(),
        json!({"cluster_id": "0124-165313-5fpp2uv9", "order": "ASC", "limit": 2,
               "event_types": ["CREATING", "RUNNING", "TERMINATING"]})
    );
    assert_eq!(r[1].json(), next);
}

#[tokio::test]
async fn events_page_and_loop_detection() {
    let body = json!({"cluster_id": "0124-165313-5fpp2uv9"});
    let t = ReplayTransport::new()
        .respond_json(
            200,
            json!({"events": [{"cluster_id": "0124-165313-5fpp2uv9", "type": "PINNED",
            "details": {"user": "me", "a_new_detail": 1}}], "next_page": body, "total_count": 9}),
        )
        .respond_json(
            200,
            json!({"events": [{"cluster_id": "x", "type": "UNPINNED"}], "next_page": body}),
        );
    let a = api(&t);
    let page = a.events(&id()).page().await.expect("page");
    assert_eq!(page.total_count, Some(9));
    let d = page.events[0].details.clone().expect("details");
    assert_eq!(d.user.as_deref(), Some("me"));
    assert_eq!(d.extra["a_new_detail"], 1);
    // The server sends back the very request it was given: a loop.
    let e = a
        .events(&id())
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("loop");
    assert!(matches!(e, dbx_core::Error::PaginationLoop(_)), "{e}");
}

fn quick(a: ClustersApi, deadline_s: u64) -> ClustersApi {
    a.with_wait_policy(
        PollPolicy::new(Duration::from_secs(deadline_s))
            .interval(Duration::from_secs(1))
            .backoff(2.0)
            .max_interval(Duration::from_secs(4)),
    )
}

#[tokio::test(start_paused = true)]
async fn create_and_wait_polls_with_backoff_until_running() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"cluster_id": "0124-165313-5fpp2uv9"}))
        .respond_json(200, cluster("PENDING"))
        .respond_json(200, cluster("PENDING"))
        .respond_json(200, cluster("PENDING"))
        .respond_json(200, cluster("RUNNING"));
    let a = quick(api(&t), 600);
    let start = tokio::time::Instant::now();
    let c = a
        .create_and_wait(&ClusterSpec::new("13.3.x-scala2.12"))
        .await
        .expect("running");
    assert_eq!(c.state(), State::Running);
    // Probes at 0, 1, 3, 7 s (waits 1, 2, 4).
    assert_eq!(start.elapsed(), Duration::from_secs(7));
    assert_eq!(t.requests().len(), 5);
    assert_eq!(t.remaining(), 0);
}

#[tokio::test(start_paused = true)]
async fn waiting_for_running_fails_fast_on_terminated_with_the_reason() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({}))
        .respond_json(200, cluster("PENDING"))
        .respond_json(200, json!({"cluster_id": "0124-165313-5fpp2uv9", "state": "TERMINATED",
            "state_message": "Instances could not be acquired",
            "termination_reason": {"code": "CLOUD_PROVIDER_LAUNCH_FAILURE", "type": "CLOUD_FAILURE",
                                   "parameters": {"aws_error_message": "InsufficientInstanceCapacity"}}}));
    let e = quick(api(&t), 600)
        .start_and_wait(&id())
        .await
        .expect_err("terminated");
    assert!(e.is_failed(), "{e}");
    assert_eq!(e.state(), Some(&State::Terminated));
    let reason = e.termination_reason().expect("reason");
    assert_eq!(
        reason.code,
        Some(TerminationCode::CloudProviderLaunchFailure)
    );
    assert_eq!(reason.kind, Some(TerminationType::CloudFailure));
    let text = e.to_string();
    assert!(text.contains("Instances could not be acquired"), "{text}");
    assert!(text.contains("CLOUD_PROVIDER_LAUNCH_FAILURE"), "{text}");
    assert!(text.contains("InsufficientInstanceCapacity"), "{text}");
    assert_eq!(t.remaining(), 0);
}

#[tokio::test(start_paused = true)]
async fn terminating_also_ends_a_wait_for_running() {
    let t = ReplayTransport::new().respond_json(200, cluster("TERMINATING"));
    let e = quick(api(&t), 600)
        .wait_running(&id())
        .await
        .expect_err("stopping");
    assert_eq!(e.state(), Some(&State::Terminating));
}

#[tokio::test(start_paused = true)]
async fn a_timeout_names_the_last_state_seen() {
    let t = (0..20).fold(ReplayTransport::new(), |t, _| {
        t.respond_json(
            200,
            json!({"cluster_id": "0124-165313-5fpp2uv9", "state": "RESIZING",
                                   "state_message": "Adding 3 nodes"}),
        )
    });
    let start = tokio::time::Instant::now();
    let e = quick(api(&t), 10)
        .wait_running(&id())
        .await
        .expect_err("timeout");
    assert!(e.is_timeout(), "{e}");
    assert_eq!(e.state(), Some(&State::Resizing));
    let text = e.to_string();
    assert!(
        text.contains("last state seen: RESIZING: Adding 3 nodes"),
        "{text}"
    );
    // Probes at 0, 1, 3, 7; the next wait (4 s) would pass 10 s.
    assert_eq!(t.requests().len(), 4);
    assert_eq!(start.elapsed(), Duration::from_secs(7));
}

#[tokio::test(start_paused = true)]
async fn the_default_deadline_is_twenty_minutes() {
    let t = (0..200).fold(ReplayTransport::new(), |t, _| {
        t.respond_json(200, cluster("PENDING"))
    });
    let a = api(&t);
    assert_eq!(a.wait_policy().deadline, Duration::from_secs(20 * 60));
    let start = tokio::time::Instant::now();
    let e = a.wait_running(&id()).await.expect_err("timeout");
    assert!(e.is_timeout());
    let waited = start.elapsed();
    assert!(
        waited <= Duration::from_secs(20 * 60) && waited > Duration::from_secs(19 * 60),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn waiting_for_terminated_fails_on_error_only() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({}))
        .respond_json(200, cluster("TERMINATING"))
        .respond_json(200, cluster("TERMINATED"))
        .respond_json(200, json!({}))
        .respond_json(200, cluster("ERROR"));
    let a = quick(api(&t), 600);
    assert_eq!(
        a.delete_and_wait(&id()).await.expect("terminated").state(),
        State::Terminated
    );
    let e = a.delete_and_wait(&id()).await.expect_err("error");
    assert_eq!(e.state(), Some(&State::Error));
}

#[tokio::test(start_paused = true)]
async fn a_waiter_is_cancel_safe() {
    let t = (0..50).fold(ReplayTransport::new(), |t, _| {
        t.respond_json(200, cluster("PENDING"))
    });
    let a = quick(api(&t), 600);
    let cut = tokio::time::timeout(Duration::from_millis(3500), a.wait_running(&id())).await;
    assert!(cut.is_err(), "cut short");
    let polled = t.requests().len();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        t.requests().len(),
        polled,
        "nothing polls after the waiter is dropped"
    );
}

#[tokio::test(start_paused = true)]
async fn ensure_running_covers_every_state() {
    // RUNNING: one call.
    let t = ReplayTransport::new().respond_json(200, cluster("RUNNING"));
    quick(api(&t), 600)
        .ensure_running(&id())
        .await
        .expect("running");
    assert_eq!(t.requests().len(), 1);

    // TERMINATED: start, then wait.
    let t = ReplayTransport::new()
        .respond_json(200, cluster("TERMINATED"))
        .respond_json(200, json!({}))
        .respond_json(200, cluster("PENDING"))
        .respond_json(200, cluster("RUNNING"));
    quick(api(&t), 600)
        .ensure_running(&id())
        .await
        .expect("started");
    let paths: Vec<String> = t.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths[1], "/api/2.1/clusters/start");
    assert_eq!(t.remaining(), 0);

    // TERMINATING: wait for TERMINATED, start, wait.
    let t = ReplayTransport::new()
        .respond_json(200, cluster("TERMINATING"))
        .respond_json(200, cluster("TERMINATING"))
        .respond_json(200, cluster("TERMINATED"))
        .respond_json(200, json!({}))
        .respond_json(200, cluster("RUNNING"));
    quick(api(&t), 600)
        .ensure_running(&id())
        .await
        .expect("restarted");
    assert_eq!(t.requests()[3].path, "/api/2.1/clusters/start");

    // RESTARTING: just wait.
    let t = ReplayTransport::new()
        .respond_json(200, cluster("RESTARTING"))
        .respond_json(200, cluster("RESTARTING"))
        .respond_json(200, cluster("RUNNING"));
    quick(api(&t), 600)
        .ensure_running(&id())
        .await
        .expect("waited");
    assert!(t.requests().iter().all(|r| r.method == http::Method::GET));

    // Someone else started it between our get and our start: look again.
    let t = ReplayTransport::new()
        .respond_json(200, cluster("TERMINATED"))
        .respond_json(
            400,
            json!({"error_code": "INVALID_STATE",
            "message": "Cluster 0124-165313-5fpp2uv9 is in unexpected state Pending."}),
        )
        .respond_json(200, cluster("PENDING"))
        .respond_json(200, cluster("RUNNING"));
    quick(api(&t), 600)
        .ensure_running(&id())
        .await
        .expect("raced");
    assert_eq!(t.remaining(), 0);

    // ERROR: fails.
    let t = ReplayTransport::new().respond_json(200, cluster("ERROR"));
    let e = quick(api(&t), 600)
        .ensure_running(&id())
        .await
        .expect_err("error");
    assert!(e.is_failed());
}

#[tokio::test]
async fn selectors_read_the_catalogue_and_say_when_nothing_matches() {
    let versions = json!({"versions": [
        {"key": "12.2.x-scala2.12", "name": "12.2 LTS (includes Apache Spark 3.3.2, Scala 2.12)"},
        {"key": "13.3.x-scala2.12", "name": "13.3 LTS (includes Apache Spark 3.4.1, Scala 2.12)"},
        {"key": "13.3.x-photon-scala2.12", "name": "13.3 LTS Photon (includes Apache Spark 3.4.1, Scala 2.12)"},
        {"key": "13.3.x-gpu-ml-scala2.12", "name": "13.3 LTS ML (includes Apache Spark 3.4.1, GPU, Scala 2.12)"},
        {"key": "13.3.x-cpu-ml-scala2.12", "name": "13.3 LTS ML (includes Apache Spark 3.4.1, Scala 2.12)"},
        {"key": "15.0.x-scala2.12", "name": "15.0 (includes Apache Spark 3.5.0, Scala 2.12)"},
        {"key": "15.1.x-scala2.12", "name": "15.1 Beta (includes Apache Spark 3.5.0, Scala 2.12)"},
        {"key": "14.3.x-scala2.12", "name": "14.3 LTS (includes Apache Spark 3.5.0, Scala 2.12)"},
        {"key": "14.3.x-aarch64-scala2.12", "name": "14.3 LTS aarch64 (includes Apache Spark 3.5.0, Scala 2.12)"},
        {"key": "apache-spark-2.4.x-scala2.11", "name": "Light 2.4 (includes Apache Spark 2.4, Scala 2.11)"},
        {"key": "16.0.x-scala2.13", "name": "16.0 (includes Apache Spark 3.5.2, Scala 2.13)"}
    ]});
    let t = (0..8).fold(ReplayTransport::new(), |t, _| {
        t.respond_json(200, versions.clone())
    });
    let a = api(&t);
    let pick = |q: SparkVersionQuery| {
        let a = a.clone();
        async move { a.select_spark_version(&q).await }
    };
    assert_eq!(
        pick(SparkVersionQuery::new()).await.expect("latest"),
        "15.0.x-scala2.12"
    );
    assert_eq!(
        pick(SparkVersionQuery::new().lts()).await.expect("lts"),
        "14.3.x-scala2.12"
    );
    assert_eq!(
        pick(SparkVersionQuery::new().ml().gpu())
            .await
            .expect("gpu ml"),
        "13.3.x-gpu-ml-scala2.12"
    );
    assert_eq!(
        pick(SparkVersionQuery::new().photon())
            .await
            .expect("photon"),
        "13.3.x-photon-scala2.12"
    );
    assert_eq!(
        pick(SparkVersionQuery::new().graviton())
            .await
            .expect("arm"),
        "14.3.x-aarch64-scala2.12"
    );
    assert_eq!(
        pick(SparkVersionQuery::new().scala("2.13"))
            .await
            .expect("2.13"),
        "16.0.x-scala2.13"
    );
    assert_eq!(
        pick(SparkVersionQuery::new().beta()).await.expect("beta"),
        "15.1.x-scala2.12"
    );
    let e = pick(SparkVersionQuery::new().genomics())
        .await
        .expect_err("none");
    assert!(matches!(e, ClusterError::NoMatch(_)), "{e}");
    let e = SparkVersionQuery::new()
        .lts()
        .latest(false)
        .select(&[
            SparkVersion {
                key: "13.3.x-scala2.12".into(),
                name: "13.3 LTS".into(),
            },
            SparkVersion {
                key: "14.3.x-scala2.12".into(),
                name: "14.3 LTS".into(),
            },
        ])
        .expect_err("several");
    assert!(
        e.to_string().contains("13.3.x-scala2.12, 14.3.x-scala2.12"),
        "{e}"
    );
}

#[test]
fn node_type_selection_takes_the_smallest_match() {
    let nt = |v: Value| -> NodeType { serde_json::from_value(v).expect("node type") };
    let types = vec![
        nt(
            json!({"node_type_id": "r5d.large", "memory_mb": 16384, "num_cores": 2.0, "category": "Memory Optimized",
            "instance_type_id": "r5d.large", "photon_worker_capable": true, "photon_driver_capable": true,
            "node_instance_type": {"instance_type_id": "r5d.large", "local_disks": 1, "local_disk_size_gb": 75}}),
        ),
        nt(
            json!({"node_type_id": "m5.large", "memory_mb": 8192, "num_cores": 2.0, "category": "General Purpose",
            "instance_type_id": "m5.large"}),
        ),
        nt(
            json!({"node_type_id": "m4.large", "memory_mb": 8192, "num_cores": 2.0, "category": "General Purpose",
            "instance_type_id": "m4.large", "is_deprecated": true}),
        ),
        nt(
            json!({"node_type_id": "m6gd.large", "memory_mb": 8192, "num_cores": 2.0, "category": "General Purpose",
            "instance_type_id": "m6gd.large", "is_graviton": true,
            "node_instance_type": {"instance_type_id": "m6gd.large", "local_nvme_disks": 1, "local_nvme_disk_size_gb": 118}}),
        ),
        nt(
            json!({"node_type_id": "g4dn.xlarge", "memory_mb": 16384, "num_cores": 4.0, "num_gpus": 1,
            "category": "GPU Accelerated", "instance_type_id": "g4dn.xlarge"}),
        ),
        nt(
            json!({"node_type_id": "c5.large", "memory_mb": 4096, "num_cores": 2.0, "category": "Compute Optimized",
            "instance_type_id": "c5.large", "node_info": {"status": ["NotAvailableInRegion"]}}),
        ),
        nt(
            json!({"node_type_id": "i3.2xlarge", "memory_mb": 62464, "num_cores": 8.0, "category": "Storage Optimized",
            "instance_type_id": "i3.2xlarge", "is_io_cache_enabled": true,
            "node_instance_type": {"instance_type_id": "i3.2xlarge", "local_disks": 1, "local_disk_size_gb": 1900}}),
        ),
    ];
    let pick = |q: NodeTypeQuery| q.select(&types).map_err(|e| e.to_string());
    // c5.large is smaller but not in the region; m4.large is deprecated.
    assert_eq!(pick(NodeTypeQuery::new()), Ok("m5.large".into()));
    assert_eq!(
        pick(NodeTypeQuery::new().min_memory_gb(16)),
        Ok("r5d.large".into())
    );
    assert_eq!(
        pick(NodeTypeQuery::new().min_gpus(1)),
        Ok("g4dn.xlarge".into())
    );
    assert_eq!(
        pick(
            NodeTypeQuery::new()
                .min_memory_gb(16)
                .min_gpus(0)
                .min_cores(4)
        ),
        Ok("i3.2xlarge".into())
    );
    assert_eq!(
        pick(NodeTypeQuery::new().local_disk()),
        Ok("m6gd.large".into())
    );
    assert_eq!(
        pick(NodeTypeQuery::new().local_disk_min_size(500)),
        Ok("i3.2xlarge".into())
    );
    assert_eq!(
        pick(NodeTypeQuery::new().category("memory optimized")),
        Ok("r5d.large".into())
    );
    assert_eq!(pick(NodeTypeQuery::new().photon()), Ok("r5d.large".into()));
    assert_eq!(
        pick(NodeTypeQuery::new().graviton()),
        Ok("m6gd.large".into())
    );
    assert_eq!(
        pick(NodeTypeQuery::new().io_cache()),
        Ok("i3.2xlarge".into())
    );
    assert_eq!(
        pick(NodeTypeQuery::new().gb_per_core(8)),
        Ok("r5d.large".into())
    );
    assert_eq!(
        pick(NodeTypeQuery::new().fleet("m4")),
        Ok("m4.large".into())
    );
    assert!(pick(NodeTypeQuery::new().min_cores(64)).is_err());
}

#[test]
fn no_type_prints_a_docker_password() {
    let spec = ClusterSpec::new("13.3.x-scala2.12").docker_image(DockerImage {
        url: Some("registry.example.com/img:1".into()),
        basic_auth: Some(DockerBasicAuth::new("me", "hunter2-SECRET")),
    });
    let printed = format!("{spec:?} {spec:#?}");
    assert!(!printed.contains("hunter2-SECRET"), "{printed}");
    assert!(printed.contains("REDACTED"));
    // The wire carries it.
    let wire = serde_json::to_value(&spec).expect("encode");
    assert_eq!(
        wire["docker_image"]["basic_auth"]["password"],
        "hunter2-SECRET"
    );
    let back: ClusterSpec = serde_json::from_value(wire).expect("decode");
    assert_eq!(back, spec);
}
