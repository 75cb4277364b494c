//! Keeping and seeding state, in-process: the example fixture file (every family, checked over
//! the API), bad fixtures, the `GET`/`PUT /__mock/state` round trip, unknown format versions,
//! and time-driven resources and id counters continuing after a load.

#[path = "emulator/support.rs"]
#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use dbx_mock_server::{BuildError, Emulator, Fixtures};
use serde_json::{json, Value};
use support::{Api, ADMIN};

const ALICE: &str = "dapi-fixture-alice-0000000000000001";
const CI: &str = "dapi-fixture-ci-00000000000000000002";

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/example.json")
}

fn example() -> Emulator {
    let fixtures = Fixtures::from_path(example_path()).expect("the example parses");
    Emulator::builder()
        .fixtures(fixtures)
        .try_build()
        .expect("the example applies")
}

/// The fixture error of `text`, parsed and applied to a fresh emulator.
fn fixture_error(text: &str) -> String {
    match text.parse::<Fixtures>() {
        Err(e) => e.to_string(),
        Ok(f) => match Emulator::builder().fixtures(f).try_build() {
            Err(BuildError::Fixtures(e)) => e.to_string(),
            Err(e) => panic!("not a fixture error: {e}"),
            Ok(_) => panic!("fixtures applied: {text}"),
        },
    }
}

fn unb64(v: &Value) -> Vec<u8> {
    STANDARD
        .decode(v.as_str().expect("base64 string"))
        .expect("base64")
}

/// `/api/...?query` with percent-encoded values.
fn q(path: &str, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[tokio::test]
async fn the_example_fixture_seeds_every_family() {
    let api = Api::with(example());
    // Applying fixtures leaves no trace in the request journal.
    assert!(api.emu.journal().is_empty());

    // Identity: users, admin flag, inactive user, service principal, groups and nesting.
    let me = api.get("/api/2.0/preview/scim/v2/Me", ALICE).await;
    assert_eq!(me.status, 200, "{}", me.json);
    assert_eq!(me.json["userName"], "alice@example.com");
    assert_eq!(me.json["displayName"], "Alice Analyst");
    let r = api
        .get(
            &q(
                "/api/2.0/groups/list-members",
                &[("group_name", "data-eng")],
            ),
            ADMIN,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let members = r.json["members"].to_string();
    assert!(members.contains("alice@example.com"), "{members}");
    assert!(
        members.contains("6b2e0a51-3a8c-4f8e-9f0e-2d1c0b9a7e11"),
        "{members}"
    );
    let r = api
        .get(
            &q(
                "/api/2.0/groups/list-parents",
                &[("group_name", "data-eng")],
            ),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["group_names"], json!(["analysts"]));
    let r = api
        .get(
            &q(
                "/api/2.0/groups/list-parents",
                &[("user_name", "bob@example.com")],
            ),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["group_names"], json!(["admins"]));
    let r = api
        .get(
            &q(
                "/api/2.0/preview/scim/v2/Users",
                &[("filter", "userName eq \"carol@example.com\"")],
            ),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["Resources"][0]["active"], false, "{}", r.json);
    // Home folders, as for any new user.
    let r = api
        .get(
            &q(
                "/api/2.0/workspace/get-status",
                &[("path", "/Users/alice@example.com")],
            ),
            ADMIN,
        )
        .await;
    assert_eq!(r.json["object_type"], "DIRECTORY", "{}", r.json);

    // Tokens with fixed values authenticate their owners.
    let r = api.get("/api/2.0/token/list", ALICE).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["token_infos"][0]["comment"], "alice's laptop");
    let r = api.get("/api/2.0/preview/scim/v2/Me", CI).await;
    assert_eq!(r.json["displayName"], "ci-pipeline", "{}", r.json);

    // Instance profiles.
    let r = api.get("/api/2.0/instance-profiles/list", ADMIN).await;
    assert_eq!(
        r.json["instance_profiles"][0]["instance_profile_arn"],
        "arn:aws:iam::123456789012:instance-profile/fixture-profile"
    );

    // Secrets: scopes, ACLs (alice reads through data-eng), values.
    let r = api
        .get(
            &q(
                "/api/2.0/secrets/get",
                &[("scope", "app"), ("key", "db-password")],
            ),
            ALICE,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(unb64(&r.json["value"]), b"s3cr3t");
    let r = api
        .get(
            &q(
                "/api/2.0/secrets/get",
                &[("scope", "ci"), ("key", "deploy-key")],
            ),
            ADMIN,
        )
        .await;
    assert_eq!(unb64(&r.json["value"]), [0, 1, 2, 3, 4]);
    let r = api
        .get(&q("/api/2.0/secrets/acls/list", &[("scope", "ci")]), ADMIN)
        .await;
    assert!(r.json.to_string().contains("\"users\""), "{}", r.json);

    // Workspace: inline notebooks and file, a folder's notebooks (by header) and files.
    for (path, kind, language) in [
        ("/Shared/hello", "NOTEBOOK", Some("PYTHON")),
        ("/Shared/queries/top", "NOTEBOOK", Some("SQL")),
        ("/Shared/config.json", "FILE", None),
        ("/Shared/project/etl/ingest", "NOTEBOOK", Some("PYTHON")),
        ("/Shared/project/etl/lookup.csv", "FILE", None),
    ] {
        let r = api
            .get(
                &q("/api/2.0/workspace/get-status", &[("path", path)]),
                ADMIN,
            )
            .await;
        assert_eq!(r.json["object_type"], kind, "{path}: {}", r.json);
        if let Some(l) = language {
            assert_eq!(r.json["language"], l, "{path}");
        }
    }
    let r = api
        .get(
            &q(
                "/api/2.0/workspace/export",
                &[("path", "/Shared/hello"), ("format", "SOURCE")],
            ),
            ADMIN,
        )
        .await;
    let source = String::from_utf8(unb64(&r.json["content"])).expect("utf-8");
    assert!(source.contains("print('hello from a fixture')"), "{source}");

    // DBFS: inline text and bytes, a folder.
    for (path, want) in [
        ("/FileStore/fixtures/hello.txt", b"hello, DBFS".to_vec()),
        ("/FileStore/fixtures/blob.bin", vec![0, 1, 2, 255]),
        (
            "/FileStore/fixtures/readme.txt",
            b"hello from a fixture file\n".to_vec(),
        ),
        (
            "/FileStore/fixtures/raw/events.json",
            b"{\"event\":\"start\",\"ts\":1}\n{\"event\":\"stop\",\"ts\":2}\n".to_vec(),
        ),
    ] {
        let r = api
            .get(&q("/api/2.0/dbfs/read", &[("path", path)]), ADMIN)
            .await;
        assert_eq!(r.status, 200, "{path}: {}", r.json);
        assert_eq!(unb64(&r.json["data"]), want, "{path}");
    }

    // Clusters in the states asked for.
    let r = api.get("/api/2.1/clusters/list", ADMIN).await;
    let states: Vec<(String, String)> = r.json["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .map(|c| {
            (
                c["cluster_name"].as_str().unwrap_or_default().to_owned(),
                c["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        states.contains(&("shared-running".into(), "RUNNING".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("stopped".into(), "TERMINATED".into())),
        "{states:?}"
    );

    // Jobs.
    let r = api.get("/api/2.1/jobs/list", ADMIN).await;
    assert_eq!(
        r.json["jobs"][0]["settings"]["name"], "nightly-ingest",
        "{}",
        r.json
    );
}

#[test]
fn bad_fixtures_name_the_file_the_entry_and_the_reason() {
    assert_eq!(
        fixture_error(
            r#"{"secret_scopes": [{"name": "y"}],
                "secrets": [{"scope": "y", "key": "a", "string_value": "1"},
                            {"scope": "y", "key": "b", "string_value": "2"},
                            {"scope": "x", "key": "k", "string_value": "3"}]}"#
        ),
        r#"fixtures: secrets[2] (scope "x", key "k"): scope "x" is not defined"#
    );
    assert_eq!(
        fixture_error(
            r#"{"users": [{"user_name": "a@example.com"}, {"user_name": "A@example.com"}]}"#
        ),
        r#"fixtures: users[1] (user_name "A@example.com"): duplicate user "A@example.com" (also users[0] (user_name "a@example.com"))"#
    );
    // The admin user exists before the fixtures: the API's own refusal, with its code.
    assert_eq!(
        fixture_error(r#"{"users": [{"user_name": "admin@example.com"}]}"#),
        r#"fixtures: users[0] (user_name "admin@example.com"): RESOURCE_ALREADY_EXISTS: User with username admin@example.com already exists."#
    );
    assert_eq!(
        fixture_error(
            "{\"users\": [\n  {\"user_name\": \"a@example.com\"},\n  {\"user_name\" \"b\"}\n]}"
        ),
        "fixtures: users[1]: expected `:` at line 3 column 16"
    );
    assert_eq!(
        fixture_error(r#"{"user": []}"#),
        "fixtures: user: unknown field `user`, expected one of `$comment`, `users`, `service_principals`, `groups`, `tokens`, `instance_profiles`, `secret_scopes`, `secrets`, `workspace`, `dbfs`, `clusters`, `jobs` at line 1 column 7"
    );
    let e = fixture_error(
        r#"{"clusters": [{"cluster_name": "c", "num_workers": 1, "state": "RUNNING"}]}"#,
    );
    assert_eq!(
        e,
        r#"fixtures: clusters[0] (cluster_name "c"): INVALID_PARAMETER_VALUE: Missing required field: spark_version"#
    );

    // From a file: the file's name, and a failing local folder.
    let dir = std::env::temp_dir().join(format!("dbx-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("fixtures.json");
    std::fs::write(
        &file,
        r#"{"dbfs": [{"path": "/x", "from_dir": "missing"}]}"#,
    )
    .expect("write");
    let f = Fixtures::from_path(&file).expect("parses");
    let e = Emulator::builder()
        .fixtures(f)
        .try_build()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.starts_with(&format!(
            "{}: dbfs[0] (path \"/x\"): cannot read {}",
            file.display(),
            dir.join("missing").display()
        )),
        "{e}"
    );
    std::fs::write(
        &file,
        "{\"secrets\": [{\"scope\": \"x\", \"key\": \"k\", \"string_value\": \"v\"}]}",
    )
    .expect("write");
    let e = Fixtures::from_path(&file).err().map(|e| e.to_string());
    assert_eq!(
        e,
        Some(format!(
            "{}: secrets[0] (scope \"x\", key \"k\"): scope \"x\" is not defined",
            file.display()
        ))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn put_state(api: &Api, body: impl Into<Bytes>) -> support::Resp {
    api.send("PUT", "/__mock/state", None, Some("application/json"), body)
        .await
}

/// The document without the fields that name when it was written.
fn comparable(doc: &[u8]) -> Value {
    let mut v: Value = serde_json::from_slice(doc).expect("json");
    v["saved_at_ms"] = Value::Null;
    v
}

#[tokio::test]
async fn get_and_put_state_round_trip_and_a_bad_document_changes_nothing() {
    let seeded = Api::with(example());
    seeded.emu.clock().freeze();
    let r = seeded.get("/__mock/state", ADMIN).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json["format_version"], 1);
    let doc = r.body.clone();

    let fresh = Api::new();
    let r = put_state(&fresh, doc.clone()).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let again = fresh.get("/__mock/state", ADMIN).await;
    assert_eq!(comparable(&again.body), comparable(&doc));
    // The loaded state works: tokens, secrets, files.
    let r = fresh
        .get(
            &q(
                "/api/2.0/secrets/get",
                &[("scope", "app"), ("key", "db-password")],
            ),
            ALICE,
        )
        .await;
    assert_eq!(unb64(&r.json["value"]), b"s3cr3t");
    let r = fresh
        .get(
            &q(
                "/api/2.0/dbfs/read",
                &[("path", "/FileStore/fixtures/blob.bin")],
            ),
            ALICE,
        )
        .await;
    assert_eq!(unb64(&r.json["data"]), [0, 1, 2, 255]);

    // Bad documents: 400 with a clear message, the state unchanged.
    let before = comparable(&fresh.get("/__mock/state", ADMIN).await.body);
    for (body, want) in [
        ("{\"format_version\": 1, \"clock\": ", "state document: not JSON: EOF while parsing a value at line 1 column 31"),
        ("[1]", "state document: not a dbx-mock-server state document (expected a JSON object)"),
        ("{\"a\": 1}", "state document: not a dbx-mock-server state document (no format_version)"),
        (
            "{\"format_version\": 1, \"clock\": {\"now_ms\": 1, \"frozen\": true}, \"state\": {\"identity\": 3}}",
            "state document: at state.identity: invalid type: integer `3`, expected struct Identity",
        ),
    ] {
        let r = put_state(&fresh, body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.json);
        if r.json["error_code"] == "INVALID_PARAMETER_VALUE" {
            assert_eq!(r.json["message"], want, "{body}");
        } else {
            // The dispatcher may refuse a body that is not JSON before the handler sees it.
            assert_eq!(r.json["error_code"], "MALFORMED_REQUEST", "{body}: {}", r.json);
        }
    }
    let after = comparable(&fresh.get("/__mock/state", ADMIN).await.body);
    assert_eq!(before, after);
}

#[tokio::test]
async fn an_unknown_format_version_is_refused_with_both_versions() {
    let api = Api::new();
    let doc = r#"{"format_version": 7, "emulator_version": "9.9.9", "clock": {"now_ms": 1, "frozen": false}, "state": {}}"#;
    let r = put_state(&api, doc).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json["message"],
        format!(
            "state document: state format version 7 is not supported: this dbx-mock-server ({}) reads version 1 (it was written by a newer dbx-mock-server: upgrade this one)",
            env!("CARGO_PKG_VERSION")
        )
    );
    let r = put_state(&api, "{\"format_version\": 0, \"state\": {}}").await;
    assert!(
        r.json["message"].as_str().is_some_and(|m| m
            .contains("state format version 0 is not supported")
            && m.contains("predates")),
        "{}",
        r.json
    );

    // From a state directory: the builder names the file.
    let dir = std::env::temp_dir().join(format!("dbx-state-version-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("state.json"),
        "{\"format_version\": 2, \"state\": {}}",
    )
    .expect("write");
    let e = Emulator::builder()
        .state_dir(&dir)
        .try_build()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.starts_with(&format!(
            "{}: state format version 2 is not supported",
            dir.join("state.json").display()
        )),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn cluster_state(api: &Api, id: &str) -> String {
    let r = api
        .get(&q("/api/2.1/clusters/get", &[("cluster_id", id)]), ADMIN)
        .await;
    r.json["state"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn timelines_agendas_and_id_counters_continue_after_a_load() {
    let a = Api::new();
    a.emu.clock().freeze();
    let cluster = json!({"cluster_name": "c", "spark_version": "15.4.x-scala2.12",
                         "node_type_id": "i3.xlarge", "num_workers": 1});
    let r = a
        .post("/api/2.1/clusters/create", ADMIN, cluster.clone())
        .await;
    let id = r.json["cluster_id"].as_str().expect("id").to_owned();
    let job = json!({"name": "j", "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": "/Shared/nb"},
                     "existing_cluster_id": id}]});
    let r = a.post("/api/2.1/jobs/create", ADMIN, job.clone()).await;
    let job_id = r.json["job_id"].as_i64().expect("job id");
    let r = a
        .post("/api/2.1/jobs/run-now", ADMIN, json!({"job_id": job_id}))
        .await;
    let run_id = r.json["run_id"].as_i64().expect("run id");
    let last_user = a.emu.create_user("last@example.com", false).expect("user");
    let saved_at = a.emu.clock().now_ms();
    let doc = a.emu.export_state().expect("export");

    let b = Api::new();
    b.emu.import_state(&doc).expect("import");
    assert!(b.emu.clock().is_frozen());
    assert_eq!(b.emu.clock().now_ms(), saved_at);
    assert_eq!(cluster_state(&b, &id).await, "PENDING");
    b.emu.clock().advance(Duration::from_secs(3));
    assert_eq!(
        cluster_state(&b, &id).await,
        "RUNNING",
        "the planned transition happened after the load"
    );
    // The run moves on too, to the end.
    b.emu.clock().advance(Duration::from_secs(60));
    let r = b
        .get(
            &q("/api/2.1/jobs/runs/get", &[("run_id", &run_id.to_string())]),
            ADMIN,
        )
        .await;
    assert_eq!(
        r.json["state"]["life_cycle_state"], "TERMINATED",
        "{}",
        r.json
    );
    // Counters continue: new ids are above the loaded ones.
    let r = b.post("/api/2.1/jobs/create", ADMIN, job).await;
    assert!(r.json["job_id"].as_i64().expect("job id") > job_id);
    let r = b
        .post("/api/2.1/jobs/run-now", ADMIN, json!({"job_id": job_id}))
        .await;
    assert!(r.json["run_id"].as_i64().expect("run id") > run_id);
    let u = b.emu.create_user("new@example.com", false).expect("user");
    let num = |id: &str| id.parse::<u64>().expect("numeric id");
    assert!(num(&u.id) > num(&last_user.id));
}

#[tokio::test]
async fn a_running_clock_never_moves_back_and_the_admin_token_keeps_working() {
    let a = Emulator::builder().admin_token("dapi-old-admin").build();
    a.clock().advance(Duration::from_secs(3_600));
    let ahead = a.clock().now_ms();
    let doc = a.export_state().expect("export");
    // Another emulator, another admin token: the document's admin token and its own work.
    let b = Api::with(Emulator::builder().admin_token(ADMIN).build());
    b.emu.import_state(&doc).expect("import");
    assert!(!b.emu.clock().is_frozen());
    assert!(b.emu.clock().now_ms() >= ahead);
    assert_eq!(b.get("/api/2.0/token/list", ADMIN).await.status, 200);
    assert_eq!(
        b.get("/api/2.0/token/list", "dapi-old-admin").await.status,
        200
    );
}
