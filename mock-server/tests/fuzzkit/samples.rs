//! A valid request for every route, with the resources it acts on created first (as the admin).
//! A route of the table with no entry here fails the fuzzer and the auth matrix.

use dbx_mock_server::RouteInfo;
use http::Method;
use serde_json::{json, Value};

use super::{Enc, Env, Sample};

const SPARK: &str = "15.4.x-scala2.12";
const NODE: &str = "m5d.large";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

type Setup = Result<Value, String>;

fn s(v: &Value, key: &str) -> Result<String, String> {
    match &v[key] {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("no {key} in setup answer: {other} ({v})")),
    }
}

fn i(v: &Value, key: &str) -> Result<i64, String> {
    v[key]
        .as_i64()
        .ok_or_else(|| format!("no {key} in setup answer: {v}"))
}

/// A running cluster's id.
async fn cluster(env: &Env) -> Result<String, String> {
    let v = env
        .admin(
            Method::POST,
            "/api/2.0/clusters/create",
            json!({"cluster_name": env.uniq("fuzz-"), "spark_version": SPARK,
                   "node_type_id": NODE, "num_workers": 1}),
        )
        .await?;
    env.admin(Method::POST, "/__mock/clusters/finish", json!({}))
        .await?;
    s(&v, "cluster_id")
}

/// A terminated cluster's id.
async fn terminated_cluster(env: &Env) -> Result<String, String> {
    let id = cluster(env).await?;
    env.admin(
        Method::POST,
        "/api/2.0/clusters/delete",
        json!({ "cluster_id": id }),
    )
    .await?;
    env.admin(Method::POST, "/__mock/clusters/finish", json!({}))
        .await?;
    Ok(id)
}

fn job_settings(name: &str, cluster_id: &str) -> Value {
    json!({"name": name, "tasks": [{"task_key": "t", "existing_cluster_id": cluster_id,
           "notebook_task": {"notebook_path": "/Shared/fuzz-notebook"}}]})
}

async fn job(env: &Env) -> Result<(i64, String), String> {
    let c = cluster(env).await?;
    let v = env
        .admin(
            Method::POST,
            "/api/2.1/jobs/create",
            job_settings(&env.uniq("fuzz-job-"), &c),
        )
        .await?;
    Ok((i(&v, "job_id")?, c))
}

/// A run of a new job, still active (`ended`: run to its end).
async fn run(env: &Env, ended: bool) -> Result<i64, String> {
    let (job_id, _) = job(env).await?;
    if ended {
        env.admin(
            Method::POST,
            "/__mock/jobs/delays",
            json!({"pending_ms": 0, "task_ms": 0, "cleanup_ms": 0}),
        )
        .await?;
    } else {
        env.admin(
            Method::POST,
            "/__mock/jobs/delays",
            json!({"pending_ms": 600_000, "task_ms": 600_000, "cleanup_ms": 1000}),
        )
        .await?;
    }
    let v = env
        .admin(
            Method::POST,
            "/api/2.1/jobs/run-now",
            json!({ "job_id": job_id }),
        )
        .await?;
    let run_id = i(&v, "run_id")?;
    if ended {
        for _ in 0..10 {
            env.admin(Method::POST, "/__mock/clock", json!({"advance_ms": 1000}))
                .await?;
            let r = env
                .admin(
                    Method::GET,
                    "/api/2.1/jobs/runs/get",
                    json!({ "run_id": run_id }),
                )
                .await?;
            let life = r["state"]["life_cycle_state"].as_str().unwrap_or("");
            if matches!(life, "TERMINATED" | "INTERNAL_ERROR" | "SKIPPED") {
                return Ok(run_id);
            }
        }
        return Err(format!("run {run_id} did not end"));
    }
    Ok(run_id)
}

/// The run id of the (only) task of an ended job run.
async fn task_run(env: &Env) -> Result<i64, String> {
    let run_id = run(env, true).await?;
    let r = env
        .admin(
            Method::GET,
            "/api/2.1/jobs/runs/get",
            json!({ "run_id": run_id }),
        )
        .await?;
    r["tasks"][0]["run_id"]
        .as_i64()
        .ok_or_else(|| format!("no task run in {r}"))
}

async fn scim_user(env: &Env) -> Result<(String, String), String> {
    let name = format!("{}@example.com", env.uniq("fuzz-user-"));
    let v = env
        .admin(
            Method::POST,
            "/api/2.0/preview/scim/v2/Users",
            json!({"schemas": [USER_SCHEMA], "userName": name}),
        )
        .await?;
    Ok((s(&v, "id")?, name))
}

async fn scim_sp(env: &Env) -> Result<(String, String), String> {
    let v = env
        .admin(
            Method::POST,
            "/api/2.0/preview/scim/v2/ServicePrincipals",
            json!({"displayName": env.uniq("fuzz-sp-")}),
        )
        .await?;
    Ok((s(&v, "id")?, s(&v, "applicationId")?))
}

async fn scim_group(env: &Env) -> Result<(String, String), String> {
    let name = env.uniq("fuzz-group-");
    let v = env
        .admin(
            Method::POST,
            "/api/2.0/preview/scim/v2/Groups",
            json!({ "displayName": name }),
        )
        .await?;
    Ok((s(&v, "id")?, name))
}

async fn scope(env: &Env) -> Result<String, String> {
    let scope = env.uniq("fuzz-scope-");
    env.admin(
        Method::POST,
        "/api/2.0/secrets/scopes/create",
        json!({ "scope": scope }),
    )
    .await?;
    Ok(scope)
}

async fn secret(env: &Env) -> Result<(String, String), String> {
    let scope = scope(env).await?;
    env.admin(
        Method::POST,
        "/api/2.0/secrets/put",
        json!({"scope": scope, "key": "k", "string_value": "v"}),
    )
    .await?;
    Ok((scope, "k".into()))
}

async fn dbfs_file(env: &Env) -> Result<String, String> {
    let path = format!("/fuzz/{}", env.uniq("f"));
    env.admin(
        Method::POST,
        "/api/2.0/dbfs/put",
        json!({"path": path, "contents": "aGVsbG8=", "overwrite": true}),
    )
    .await?;
    Ok(path)
}

async fn dbfs_handle(env: &Env) -> Result<i64, String> {
    let v = env
        .admin(
            Method::POST,
            "/api/2.0/dbfs/create",
            json!({"path": format!("/fuzz/{}", env.uniq("h")), "overwrite": true}),
        )
        .await?;
    i(&v, "handle")
}

async fn ws_dir(env: &Env) -> Result<String, String> {
    let path = format!("/Shared/{}", env.uniq("fuzz-dir-"));
    env.admin(
        Method::POST,
        "/api/2.0/workspace/mkdirs",
        json!({ "path": path }),
    )
    .await?;
    Ok(path)
}

async fn notebook(env: &Env) -> Result<String, String> {
    let path = format!("/Shared/{}", env.uniq("fuzz-nb-"));
    env.admin(
        Method::POST,
        "/api/2.0/workspace/import",
        json!({"path": path, "format": "SOURCE", "language": "PYTHON",
               "content": "cHJpbnQoMSk=", "overwrite": true}),
    )
    .await?;
    Ok(path)
}

async fn instance_profile(env: &Env) -> Result<String, String> {
    let arn = format!(
        "arn:aws:iam::123456789012:instance-profile/{}",
        env.uniq("fuzz-")
    );
    env.admin(
        Method::POST,
        "/api/2.0/instance-profiles/add",
        json!({"instance_profile_arn": arn, "skip_validation": true}),
    )
    .await?;
    Ok(arn)
}

async fn pat(env: &Env) -> Result<String, String> {
    let v = env
        .admin(
            Method::POST,
            "/api/2.0/token/create",
            json!({"lifetime_seconds": 3600, "comment": "fuzz"}),
        )
        .await?;
    s(&v["token_info"], "token_id")
}

/// The version a sample uses for `r`: 2.1 where it answers (Jobs' 2.1 request shape), else
/// the first.
pub fn version(r: &RouteInfo) -> &'static str {
    if r.versions.contains(&"2.1") {
        "2.1"
    } else {
        r.versions.first().copied().unwrap_or("2.0")
    }
}

/// A valid request for `r`, after creating what it acts on; `Ok(None)`: no sample is
/// declared for the route (a test failure); `Err`: setting it up failed.
pub async fn sample(env: &Env, r: &RouteInfo) -> Result<Option<Sample>, String> {
    let mut path_params: Vec<(&str, String)> = Vec::new();
    let params: Setup = match (r.method.as_str(), r.area, r.path) {
        // Token
        ("POST", "api", "token/create") => Ok(json!({"lifetime_seconds": 3600, "comment": "c"})),
        ("GET", "api", "token/list") => Ok(json!({})),
        ("POST", "api", "token/delete") => Ok(json!({ "token_id": pat(env).await? })),
        ("PATCH", "api", "token/{token_id}") => {
            path_params.push(("token_id", pat(env).await?));
            Ok(json!({"token": {"comment": "new"}, "update_mask": "comment"}))
        }
        // SCIM
        ("GET", "api", "preview/scim/v2/Me") => Ok(json!({})),
        (
            "GET",
            "api",
            "preview/scim/v2/Users"
            | "preview/scim/v2/ServicePrincipals"
            | "preview/scim/v2/Groups",
        ) => Ok(json!({})),
        ("POST", "api", "preview/scim/v2/Users") => Ok(json!({"schemas": [USER_SCHEMA],
            "userName": format!("{}@example.com", env.uniq("fuzz-new-"))})),
        ("POST", "api", "preview/scim/v2/ServicePrincipals") => {
            Ok(json!({"displayName": env.uniq("fuzz-new-sp-")}))
        }
        ("POST", "api", "preview/scim/v2/Groups") => {
            Ok(json!({"displayName": env.uniq("fuzz-new-group-")}))
        }
        (m, "api", "preview/scim/v2/Users/{id}") => {
            let (id, name) = scim_user(env).await?;
            path_params.push(("id", id));
            Ok(match m {
                "PUT" => json!({"schemas": [USER_SCHEMA], "userName": name, "displayName": "D"}),
                "PATCH" => json!({"schemas": [PATCH_OP], "Operations":
                    [{"op": "replace", "path": "displayName", "value": "D"}]}),
                _ => json!({}),
            })
        }
        (m, "api", "preview/scim/v2/ServicePrincipals/{id}") => {
            let (id, app) = scim_sp(env).await?;
            path_params.push(("id", id));
            Ok(match m {
                "PUT" => json!({"applicationId": app, "displayName": "D"}),
                "PATCH" => json!({"schemas": [PATCH_OP], "Operations":
                    [{"op": "replace", "path": "displayName", "value": "D"}]}),
                _ => json!({}),
            })
        }
        (m, "api", "preview/scim/v2/Groups/{id}") => {
            let (id, name) = scim_group(env).await?;
            path_params.push(("id", id));
            Ok(match m {
                "PUT" => json!({ "displayName": name }),
                "PATCH" => {
                    let (uid, _) = scim_user(env).await?;
                    json!({"schemas": [PATCH_OP], "Operations":
                        [{"op": "add", "path": "members", "value": [{"value": uid}]}]})
                }
                _ => json!({}),
            })
        }
        // Groups 2.0
        ("POST", "api", "groups/create") => Ok(json!({"group_name": env.uniq("fuzz-g-")})),
        ("POST", "api", "groups/add-member") => {
            let (_, g) = scim_group(env).await?;
            let (_, u) = scim_user(env).await?;
            Ok(json!({"user_name": u, "parent_name": g}))
        }
        ("POST", "api", "groups/remove-member") => {
            let (_, g) = scim_group(env).await?;
            let (_, u) = scim_user(env).await?;
            env.admin(
                Method::POST,
                "/api/2.0/groups/add-member",
                json!({"user_name": u, "parent_name": g}),
            )
            .await?;
            Ok(json!({"user_name": u, "parent_name": g}))
        }
        ("GET", "api", "groups/list") => Ok(json!({})),
        ("GET", "api", "groups/list-members") => {
            Ok(json!({"group_name": scim_group(env).await?.1}))
        }
        ("GET", "api", "groups/list-parents") => Ok(json!({"user_name": scim_user(env).await?.1})),
        ("POST", "api", "groups/delete") => Ok(json!({"group_name": scim_group(env).await?.1})),
        // Secrets
        ("POST", "api", "secrets/scopes/create") => {
            Ok(json!({"scope": env.uniq("fuzz-new-scope-")}))
        }
        ("POST", "api", "secrets/scopes/delete") => Ok(json!({"scope": scope(env).await?})),
        ("GET", "api", "secrets/scopes/list") => Ok(json!({})),
        ("POST", "api", "secrets/put") => {
            Ok(json!({"scope": scope(env).await?, "key": "k", "string_value": "v"}))
        }
        ("POST", "api", "secrets/delete") | ("GET", "api", "secrets/get") => {
            let (scope, key) = secret(env).await?;
            Ok(json!({"scope": scope, "key": key}))
        }
        ("GET", "api", "secrets/list" | "secrets/acls/list") => {
            Ok(json!({"scope": scope(env).await?}))
        }
        ("POST", "api", "secrets/acls/put") => {
            Ok(json!({"scope": scope(env).await?, "principal": "users", "permission": "READ"}))
        }
        ("POST", "api", "secrets/acls/delete") | ("GET", "api", "secrets/acls/get") => {
            let scope = scope(env).await?;
            env.admin(
                Method::POST,
                "/api/2.0/secrets/acls/put",
                json!({"scope": scope, "principal": "users", "permission": "READ"}),
            )
            .await?;
            Ok(json!({"scope": scope, "principal": "users"}))
        }
        // DBFS
        ("POST", "api", "dbfs/create") => {
            Ok(json!({"path": format!("/fuzz/{}", env.uniq("c")), "overwrite": true}))
        }
        ("POST", "api", "dbfs/add-block") => {
            Ok(json!({"handle": dbfs_handle(env).await?, "data": "aGVsbG8="}))
        }
        ("POST", "api", "dbfs/close") => Ok(json!({"handle": dbfs_handle(env).await?})),
        ("POST", "api", "dbfs/put") => Ok(json!({"path": format!("/fuzz/{}", env.uniq("p")),
            "contents": "aGVsbG8=", "overwrite": true})),
        ("GET", "api", "dbfs/read") => {
            Ok(json!({"path": dbfs_file(env).await?, "offset": 0, "length": 5}))
        }
        ("GET", "api", "dbfs/get-status") => Ok(json!({"path": dbfs_file(env).await?})),
        ("GET", "api", "dbfs/list") => {
            dbfs_file(env).await?;
            Ok(json!({"path": "/fuzz"}))
        }
        ("POST", "api", "dbfs/mkdirs") => Ok(json!({"path": format!("/fuzz/{}", env.uniq("d"))})),
        ("POST", "api", "dbfs/move") => Ok(json!({"source_path": dbfs_file(env).await?,
            "destination_path": format!("/fuzz/{}", env.uniq("m"))})),
        ("POST", "api", "dbfs/delete") => Ok(json!({"path": dbfs_file(env).await?})),
        // Workspace
        ("GET", "api", "workspace/list") => Ok(json!({"path": ws_dir(env).await?})),
        ("GET", "api", "workspace/get-status") => Ok(json!({"path": notebook(env).await?})),
        ("POST", "api", "workspace/mkdirs") => {
            Ok(json!({"path": format!("/Shared/{}", env.uniq("fuzz-mk-"))}))
        }
        ("POST", "api", "workspace/import") => Ok(json!({
            "path": format!("/Shared/{}", env.uniq("fuzz-im-")), "format": "SOURCE",
            "language": "PYTHON", "content": "cHJpbnQoMSk=", "overwrite": true})),
        ("GET", "api", "workspace/export") => {
            Ok(json!({"path": notebook(env).await?, "format": "SOURCE"}))
        }
        ("POST", "api", "workspace/delete") => Ok(json!({"path": ws_dir(env).await?})),
        // Clusters
        ("POST", "api", "clusters/create") => Ok(json!({"cluster_name": env.uniq("fuzz-new-"),
            "spark_version": SPARK, "node_type_id": NODE, "num_workers": 1})),
        ("POST", "api", "clusters/edit") => Ok(json!({"cluster_id": cluster(env).await?,
            "cluster_name": "edited", "spark_version": SPARK, "node_type_id": NODE,
            "num_workers": 2})),
        ("POST", "api", "clusters/update") => Ok(json!({"cluster_id": cluster(env).await?,
            "update_mask": "num_workers", "cluster": {"num_workers": 2}})),
        ("POST", "api", "clusters/start") => {
            Ok(json!({"cluster_id": terminated_cluster(env).await?}))
        }
        ("POST", "api", "clusters/resize") => {
            Ok(json!({"cluster_id": cluster(env).await?, "num_workers": 3}))
        }
        ("POST", "api", "clusters/change-owner") => {
            let (_, user) = scim_user(env).await?;
            Ok(json!({"cluster_id": terminated_cluster(env).await?, "owner_username": user}))
        }
        (
            "GET",
            "api",
            "clusters/list"
            | "clusters/list-node-types"
            | "clusters/list-zones"
            | "clusters/spark-versions",
        ) => Ok(json!({})),
        (
            _,
            "api",
            "clusters/restart"
            | "clusters/delete"
            | "clusters/permanent-delete"
            | "clusters/get"
            | "clusters/pin"
            | "clusters/unpin"
            | "clusters/events",
        ) => Ok(json!({"cluster_id": cluster(env).await?})),
        // Instance profiles
        ("POST", "api", "instance-profiles/add") => Ok(json!({"instance_profile_arn":
            format!("arn:aws:iam::123456789012:instance-profile/{}", env.uniq("fuzz-new-")),
            "skip_validation": true})),
        ("POST", "api", "instance-profiles/edit") => Ok(json!({
            "instance_profile_arn": instance_profile(env).await?,
            "iam_role_arn": "arn:aws:iam::123456789012:role/fuzz"})),
        ("GET", "api", "instance-profiles/list") => Ok(json!({})),
        ("POST", "api", "instance-profiles/remove") => {
            Ok(json!({"instance_profile_arn": instance_profile(env).await?}))
        }
        // Libraries
        ("GET", "api", "libraries/all-cluster-statuses") => Ok(json!({})),
        ("GET", "api", "libraries/cluster-status") => {
            Ok(json!({"cluster_id": cluster(env).await?}))
        }
        ("POST", "api", "libraries/install") => Ok(json!({"cluster_id": cluster(env).await?,
            "libraries": [{"pypi": {"package": "simplejson"}}]})),
        ("POST", "api", "libraries/uninstall") => {
            let c = cluster(env).await?;
            let libs = json!([{"pypi": {"package": "simplejson"}}]);
            env.admin(
                Method::POST,
                "/api/2.0/libraries/install",
                json!({"cluster_id": c, "libraries": libs}),
            )
            .await?;
            Ok(json!({"cluster_id": c, "libraries": libs}))
        }
        // Jobs
        ("POST", "api", "jobs/create") => Ok(job_settings(
            &env.uniq("fuzz-new-job-"),
            &cluster(env).await?,
        )),
        ("GET", "api", "jobs/list" | "jobs/runs/list") => Ok(json!({})),
        ("GET", "api", "jobs/get")
        | ("POST", "api", "jobs/delete" | "jobs/run-now" | "jobs/runs/cancel-all") => {
            Ok(json!({"job_id": job(env).await?.0}))
        }
        ("POST", "api", "jobs/reset") => {
            let (id, c) = job(env).await?;
            Ok(json!({"job_id": id, "new_settings": job_settings("reset", &c)}))
        }
        ("POST", "api", "jobs/update") => {
            Ok(json!({"job_id": job(env).await?.0, "new_settings": {"name": "updated"}}))
        }
        ("POST", "api", "jobs/runs/submit") => {
            let c = cluster(env).await?;
            Ok(
                json!({"run_name": env.uniq("fuzz-run-"), "tasks": [{"task_key": "t",
                "existing_cluster_id": c,
                "notebook_task": {"notebook_path": "/Shared/fuzz-notebook"}}]}),
            )
        }
        ("GET", "api", "jobs/runs/get") => Ok(json!({"run_id": run(env, false).await?})),
        ("POST", "api", "jobs/runs/cancel") => Ok(json!({"run_id": run(env, false).await?})),
        ("GET", "api", "jobs/runs/get-output" | "jobs/runs/export") => {
            Ok(json!({"run_id": task_run(env).await?}))
        }
        ("POST", "api", "jobs/runs/delete") => Ok(json!({"run_id": run(env, true).await?})),
        ("POST", "api", "jobs/runs/repair") => {
            Ok(json!({"run_id": run(env, true).await?, "rerun_tasks": ["t"]}))
        }
        // OAuth and discovery
        (
            "GET",
            "oidc",
            "oidc/.well-known/oauth-authorization-server" | ".well-known/databricks-config",
        ) => Ok(json!({})),
        ("POST", "oidc", "oidc/v1/token") => {
            let sp = env
                .emu
                .create_service_principal(&env.uniq("fuzz-oauth-"), false)
                .map_err(|e| e.to_string())?;
            Ok(
                json!({"grant_type": "client_credentials", "client_id": sp.application_id,
                      "client_secret": sp.client_secret}),
            )
        }
        // Admin
        (
            "GET",
            "admin",
            "__mock/health"
            | "__mock/clock"
            | "__mock/clusters/delays"
            | "__mock/jobs/delays"
            | "__mock/jobs/outcomes"
            | "__mock/faults"
            | "__mock/journal"
            | "__mock/libraries/failures"
            | "__mock/libraries/delays"
            | "__mock/state",
        ) => Ok(json!({})),
        // The state document as exported: importing it back is the valid request. Without a
        // state directory a snapshot is refused (400), which is the documented answer.
        ("PUT", "admin", "__mock/state") => {
            env.admin(Method::GET, "/__mock/state", json!({})).await
        }
        ("POST", "admin", "__mock/snapshot") => Ok(json!({})),
        (
            "DELETE",
            "admin",
            "__mock/jobs/outcomes"
            | "__mock/faults"
            | "__mock/journal"
            | "__mock/libraries/failures",
        ) => Ok(json!({})),
        ("POST", "admin", "__mock/settle" | "__mock/clusters/finish" | "__mock/reset") => {
            Ok(json!({}))
        }
        ("POST", "admin", "__mock/users") => {
            Ok(json!({"user_name": format!("{}@example.com", env.uniq("fuzz-mock-"))}))
        }
        ("POST", "admin", "__mock/service-principals") => {
            Ok(json!({"display_name": env.uniq("fuzz-mock-sp-")}))
        }
        ("POST", "admin", "__mock/tokens") => {
            Ok(json!({"principal": env.emu.admin_user_name(), "lifetime_seconds": 60}))
        }
        ("POST", "admin", "__mock/groups") => Ok(json!({"name": env.uniq("fuzz-mock-g-")})),
        ("POST", "admin", "__mock/groups/members") => {
            let (_, g) = scim_group(env).await?;
            Ok(json!({"group": g, "member": env.emu.admin_user_name()}))
        }
        ("POST", "admin", "__mock/clock") => Ok(json!({"advance_ms": 0})),
        ("POST", "admin", "__mock/clusters/delays") => Ok(json!({"start_ms": 1000})),
        ("POST", "admin", "__mock/jobs/delays") => Ok(json!({"task_ms": 1000})),
        ("POST", "admin", "__mock/jobs/outcomes") => {
            Ok(json!({"run_name": "never-matches", "result_state": "FAILED", "times": 1}))
        }
        ("POST", "admin", "__mock/faults") => {
            Ok(json!({"path": "/api/2.0/never/*", "status": 429, "count": 1}))
        }
        ("DELETE", "admin", "__mock/faults/{id}") => {
            let v = env
                .admin(
                    Method::POST,
                    "/__mock/faults",
                    json!({"path": "/api/2.0/never/*", "status": 429, "count": 1}),
                )
                .await?;
            path_params.push(("id", s(&v, "id")?));
            Ok(json!({}))
        }
        ("POST", "admin", "__mock/libraries/failures") => {
            Ok(json!({"pattern": "never-matches*", "kind": "SKIPPED"}))
        }
        ("POST", "admin", "__mock/libraries/delays") => Ok(json!({"resolve_ms": 1000})),
        _ => return Ok(None),
    };
    let Value::Object(params) = params? else {
        return Err("sample params must be an object".into());
    };
    let mut path = r.path.to_owned();
    for (name, value) in &path_params {
        path = path.replace(&format!("{{{name}}}"), value);
    }
    let path = match r.area {
        "api" => format!("/api/{}/{path}", version(r)),
        _ => format!("/{path}"),
    };
    let enc = match (r.area, r.method.as_str()) {
        ("oidc", "POST") => Enc::Form,
        (_, "GET" | "DELETE") => Enc::Query,
        _ => Enc::Json,
    };
    Ok(Some(Sample {
        method: r.method.clone(),
        path,
        params,
        enc,
    }))
}
