//! State limits (`limits.rs`): each one is reached and answered with its error code, and the
//! refused request changes nothing. The admin-route protection of the builder.

use base64::Engine as _;
use dbx_mock_server::{Emulator, StateLimits};
use serde_json::{json, Value};

use crate::support::{Api, ADMIN};

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn api(limits: StateLimits) -> Api {
    Api::with(Emulator::builder().state_limits(limits).build())
}

#[tokio::test]
async fn saved_jobs_stop_at_the_quota_with_quota_exceeded() {
    let api = api(StateLimits {
        max_jobs: 2,
        ..StateLimits::default()
    });
    for name in ["a", "b"] {
        let r = api
            .post("/api/2.1/jobs/create", ADMIN, json!({ "name": name }))
            .await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    let r = api
        .post("/api/2.1/jobs/create", ADMIN, json!({"name": "c"}))
        .await;
    assert_eq!(
        r.error(),
        (
            400,
            json!("QUOTA_EXCEEDED"),
            json!("The quota for the number of jobs has been reached. The current quota is 2.")
        )
    );
    let r = api.get("/api/2.1/jobs/list", ADMIN).await;
    assert_eq!(r.json["jobs"].as_array().map(Vec::len), Some(2));
    // Deleting one makes room.
    let id = r.json["jobs"][0]["job_id"].clone();
    let r = api
        .post("/api/2.1/jobs/delete", ADMIN, json!({ "job_id": id }))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api
        .post("/api/2.1/jobs/create", ADMIN, json!({"name": "c"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
}

#[tokio::test]
async fn job_runs_kept_are_capped() {
    let api = api(StateLimits {
        max_job_runs: 2,
        ..StateLimits::default()
    });
    let r = api
        .post("/api/2.1/jobs/create", ADMIN, json!({"name": "j"}))
        .await;
    let job_id = r.json["job_id"].clone();
    for _ in 0..2 {
        let r = api
            .post("/api/2.1/jobs/run-now", ADMIN, json!({ "job_id": job_id }))
            .await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    let r = api
        .post("/api/2.1/jobs/run-now", ADMIN, json!({ "job_id": job_id }))
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED"))
    );
    let r = api
        .post(
            "/api/2.1/jobs/runs/submit",
            ADMIN,
            json!({"run_name": "r", "tasks": [{"task_key": "t",
                "notebook_task": {"notebook_path": "/Shared/nb"},
                "new_cluster": {"spark_version": "15.4.x-scala2.12",
                                "node_type_id": "i3.xlarge", "num_workers": 1}}]}),
        )
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED")),
        "{}",
        r.json
    );
    let r = api
        .get(&format!("/api/2.1/jobs/runs/list?job_id={job_id}"), ADMIN)
        .await;
    assert_eq!(r.json["runs"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn clusters_are_capped() {
    let api = api(StateLimits {
        max_clusters: 1,
        ..StateLimits::default()
    });
    let spec = json!({"cluster_name": "c", "spark_version": "15.4.x-scala2.12",
                      "node_type_id": "i3.xlarge", "num_workers": 1});
    let r = api
        .post("/api/2.1/clusters/create", ADMIN, spec.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api.post("/api/2.1/clusters/create", ADMIN, spec).await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED"))
    );
    let r = api.get("/api/2.0/clusters/list", ADMIN).await;
    assert_eq!(r.json["clusters"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn principals_and_groups_are_capped() {
    // The admin user and the built-in `admins` and `users` groups count.
    let api = api(StateLimits {
        max_principals: 2,
        max_groups: 3,
        ..StateLimits::default()
    });
    let scim = "/api/2.0/preview/scim/v2";
    let r = api
        .post(
            &format!("{scim}/Users"),
            ADMIN,
            json!({"userName": "a@example.com"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    for (path, body) in [
        ("Users", json!({"userName": "b@example.com"})),
        ("ServicePrincipals", json!({"displayName": "bot"})),
    ] {
        let r = api.post(&format!("{scim}/{path}"), ADMIN, body).await;
        assert_eq!(r.status, 400, "{path}: {}", r.json);
        assert_eq!(r.json["status"], "400", "{}", r.json);
        let detail = r.json["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("limit of 2 users and service principals"),
            "{detail}"
        );
    }
    let r = api
        .post("/api/2.0/groups/create", ADMIN, json!({"group_name": "g"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api
        .post("/api/2.0/groups/create", ADMIN, json!({"group_name": "h"}))
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED"))
    );
    let r = api
        .post(
            &format!("{scim}/Groups"),
            ADMIN,
            json!({"displayName": "h"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.json);
    let r = api.get(&format!("{scim}/Groups"), ADMIN).await;
    assert_eq!(r.json["totalResults"], 3);
}

#[tokio::test]
async fn dbfs_bytes_and_nodes_are_capped() {
    let api = api(StateLimits {
        max_dbfs_bytes: 10,
        ..StateLimits::default()
    });
    let put = |path: &str, data: &[u8], overwrite: bool| json!({"path": path, "contents": b64(data), "overwrite": overwrite});
    let r = api
        .post(
            "/api/2.0/dbfs/put",
            ADMIN,
            put("/tmp/a", b"12345678", false),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api
        .post("/api/2.0/dbfs/put", ADMIN, put("/tmp/b", b"123", false))
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED")),
        "{}",
        r.json
    );
    let r = api.get("/api/2.0/dbfs/get-status?path=/tmp/b", ADMIN).await;
    assert_eq!(r.status, 404, "nothing written: {}", r.json);
    // Overwriting frees what it replaces.
    let r = api
        .post(
            "/api/2.0/dbfs/put",
            ADMIN,
            put("/tmp/a", b"1234567890", true),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api
        .post("/api/2.0/dbfs/put", ADMIN, put("/tmp/a", b"1", true))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    // Streams count while they are open.
    let r = api
        .post("/api/2.0/dbfs/create", ADMIN, json!({"path": "/tmp/s"}))
        .await;
    let handle: Value = r.json["handle"].clone();
    let block = |data: &[u8]| json!({"handle": handle, "data": b64(data)});
    let r = api
        .post("/api/2.0/dbfs/add-block", ADMIN, block(b"123456789"))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api
        .post("/api/2.0/dbfs/add-block", ADMIN, block(b"1"))
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED"))
    );

    // Nodes: the seven standard folders count (`/FileStore`, `/databricks-datasets`,
    // `/databricks-results`, `/tmp`, `/user`, `/user/hive`, `/user/hive/warehouse`).
    let api = api_nodes(7 + 2);
    let r = api
        .post("/api/2.0/dbfs/mkdirs", ADMIN, json!({"path": "/tmp/x/y/z"}))
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED"))
    );
    let r = api
        .post("/api/2.0/dbfs/mkdirs", ADMIN, json!({"path": "/tmp/x/y"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api
        .post("/api/2.0/dbfs/put", ADMIN, put("/tmp/x/f", b"1", false))
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED"))
    );
    let r = api
        .post("/api/2.0/dbfs/create", ADMIN, json!({"path": "/tmp/x/g"}))
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED"))
    );
}

fn api_nodes(max_dbfs_nodes: usize) -> Api {
    api(StateLimits {
        max_dbfs_nodes,
        ..StateLimits::default()
    })
}

#[tokio::test]
async fn the_dbfs_byte_limit_is_a_builder_option() {
    let emu = Emulator::builder().max_dbfs_bytes(3).build();
    assert_eq!(emu.state_limits().max_dbfs_bytes, 3);
    let api = Api::with(emu);
    let r = api
        .post(
            "/api/2.0/dbfs/put",
            ADMIN,
            json!({"path": "/tmp/a", "contents": b64(b"1234")}),
        )
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED"))
    );
}

#[tokio::test]
async fn workspace_objects_are_capped() {
    let base = Api::new();
    // `/`, `/Users`, `/Users/admin@example.com`, `/Shared`.
    let r = base.get("/api/2.0/workspace/list?path=/", ADMIN).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let api = api(StateLimits {
        max_workspace_objects: 6,
        ..StateLimits::default()
    });
    let r = api
        .post(
            "/api/2.0/workspace/mkdirs",
            ADMIN,
            json!({"path": "/Shared/a/b/c"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED")),
        "{}",
        r.json
    );
    let r = api
        .post(
            "/api/2.0/workspace/mkdirs",
            ADMIN,
            json!({"path": "/Shared/a"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api
        .post(
            "/api/2.0/workspace/mkdirs",
            ADMIN,
            json!({"path": "/Shared/a"}),
        )
        .await;
    assert_eq!(
        r.status, 200,
        "an existing folder needs no room: {}",
        r.json
    );
    let import = |path: &str| json!({"path": path, "format": "AUTO", "content": b64(b"x = 1")});
    let r = api
        .post(
            "/api/2.0/workspace/import",
            ADMIN,
            import("/Shared/a/f.txt"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api
        .post(
            "/api/2.0/workspace/import",
            ADMIN,
            import("/Shared/a/g.txt"),
        )
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("RESOURCE_LIMIT_EXCEEDED")),
        "{}",
        r.json
    );
    let r = api
        .get("/api/2.0/workspace/get-status?path=/Shared/a/g.txt", ADMIN)
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn protected_admin_routes_need_the_admin_token() {
    let open = Api::new();
    assert!(!open.emu.admin_routes_protected());
    assert_eq!(
        open.send("GET", "/__mock/clock", None, None, "")
            .await
            .status,
        200
    );

    let api = Api::with(Emulator::builder().protect_admin_routes(true).build());
    assert!(api.emu.admin_routes_protected());
    let r = api.send("GET", "/__mock/clock", None, None, "").await;
    assert_eq!(r.error().0, 401);
    assert_eq!(r.error().1, json!("UNAUTHENTICATED"));
    let r = api
        .send("POST", "/__mock/reset", Some("not-it"), None, "")
        .await;
    assert_eq!(r.error().0, 403);
    assert_eq!(r.error().1, json!("PERMISSION_DENIED"));
    let r = api
        .send("GET", "/__mock/clock", Some(ADMIN), None, "")
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api.send("GET", "/__mock/health", None, None, "").await;
    assert_eq!(r.status, 200);
    // The API itself is unchanged.
    let r = api.get("/api/2.0/token/list", ADMIN).await;
    assert_eq!(r.status, 200);
    // Revoking the admin PAT through the API does not lock the admin routes.
    let r = api
        .send("POST", "/__mock/reset", Some(ADMIN), None, "")
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn live_tokens_are_capped_for_pats_and_oauth() {
    // The admin token is one of the three.
    let api = api(StateLimits {
        max_tokens: 3,
        ..StateLimits::default()
    });
    let r = api
        .post("/api/2.0/token/create", ADMIN, json!({"comment": "a"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let sp = api
        .emu
        .create_service_principal("bot", false)
        .expect("service principal");
    let form = format!(
        "grant_type=client_credentials&scope=all-apis&client_id={}&client_secret={}",
        sp.application_id, sp.client_secret
    );
    let oauth = || {
        let req = http::Request::post(format!("{}/oidc/v1/token", api.emu.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(bytes::Bytes::from(form.clone()))
            .expect("request");
        api.raw(req)
    };
    let r = oauth().await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = oauth().await;
    assert_eq!(r.status, 503, "{}", r.json);
    assert_eq!(r.json["error"], "temporarily_unavailable");
    let r = api
        .post("/api/2.0/token/create", ADMIN, json!({"comment": "b"}))
        .await;
    assert_eq!(
        (r.status, r.json["error_code"].clone()),
        (400, json!("QUOTA_EXCEEDED")),
        "{}",
        r.json
    );
    // The OAuth token expires within the hour; then there is room again.
    api.emu
        .clock()
        .advance(std::time::Duration::from_secs(3601));
    let r = api
        .post("/api/2.0/token/create", ADMIN, json!({"comment": "b"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
}
