//! The fuzz loop and the consistency check that follows it.

use std::time::Duration;

use dbx_mock_server::{route_table, RouteInfo};
use http::Method;
use serde_json::{json, Value};

use super::mutate::{mutate, mutate_as, Sizes};
use super::samples::sample;
use super::{check_answer, route_key, Env, Resp, Rng};

/// One broken invariant, with what reproduces it.
#[derive(Debug, Clone)]
pub struct Failure {
    pub route: String,
    pub kind: &'static str,
    /// The case's own seed: `replay(env, route, seed)` sends the same request again.
    pub case_seed: u64,
    pub what: String,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub cases: u64,
    pub failures: Vec<Failure>,
    pub setup_failures: u64,
    pub slowest: Duration,
    pub slowest_case: String,
}

/// The seed of case `i` of a run seeded with `seed`.
pub fn case_seed(seed: u64, i: u64) -> u64 {
    Rng::new(seed ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D)).next_u64()
}

/// Run case `case_seed` against `r`: a valid sample set up, then one mutation of it sent.
pub async fn run_case(
    env: &Env,
    r: &RouteInfo,
    case_seed: u64,
    kind: Option<&'static str>,
    sizes: Sizes,
    report: &mut Report,
) {
    let mut rng = Rng::new(case_seed);
    let s = match sample(env, r).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            report.failures.push(Failure {
                route: route_key(r),
                kind: "no-sample",
                case_seed,
                what: "no sample for the route".into(),
            });
            return;
        }
        Err(_) => {
            report.setup_failures += 1;
            return;
        }
    };
    let m = match kind {
        Some(k) => mutate_as(&mut rng, k, &s, &env.emu.admin_token(), sizes),
        None => mutate(&mut rng, &s, &env.emu.admin_token(), sizes),
    };
    report.cases += 1;
    let Some(resp) = env.send_raw(&m.req).await else {
        return; // not a sendable HTTP request (an invalid URI or header value)
    };
    if r.area == "admin" {
        // Faults must stay off for the 5xx check.
        env.emu.clear_faults();
    }
    if resp.elapsed > report.slowest {
        report.slowest = resp.elapsed;
        report.slowest_case = format!("{} {} (case {case_seed:#x})", route_key(r), m.kind);
    }
    let verdict = if m.req.method == Method::HEAD {
        // A HEAD answer has headers only (axum drops the body): no 5xx and a request id.
        check_answer(
            &Resp {
                body: bytes::Bytes::new(),
                json: Value::Null,
                status: resp.status.min(399),
                ..resp.clone()
            },
            r.area,
            false,
            false,
        )
        .and(if resp.status >= 500 {
            Err(format!("status {}", resp.status))
        } else {
            Ok(())
        })
    } else {
        check_answer(&resp, r.area, r.scim_errors, m.routed)
    };
    if let Err(what) = verdict {
        report.failures.push(Failure {
            route: route_key(r),
            kind: m.kind,
            case_seed,
            what: format!(
                "{what}; request {} {} body {:?}",
                m.req.method,
                m.req.target.chars().take(200).collect::<String>(),
                String::from_utf8_lossy(&m.req.body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ),
        });
    }
}

/// `cases` fuzz cases over every route of the table, chosen by `seed`; the state is checked
/// for consistency (and then reset) every `epoch` cases and at the end.
pub async fn fuzz(env: &Env, seed: u64, cases: u64, epoch: u64, sizes: Sizes) -> Report {
    let routes = route_table();
    let mut report = Report::default();
    let mut rng = Rng::new(seed);
    for i in 0..cases {
        let r = rng.pick(&routes);
        run_case(env, r, case_seed(seed, i), None, sizes, &mut report).await;
        if (i + 1) % epoch == 0 || i + 1 == cases {
            for what in consistency(env).await {
                report.failures.push(Failure {
                    route: "consistency".into(),
                    kind: "after-fuzz",
                    case_seed: case_seed(seed, i),
                    what,
                });
            }
            env.emu.reset();
        }
    }
    report
}

async fn step(env: &Env, out: &mut Vec<String>, m: Method, path: &str, p: Value) -> Value {
    match env.admin(m, path, p).await {
        Ok(v) => v,
        Err(e) => {
            out.push(e);
            Value::Null
        }
    }
}

fn has(list: &Value, key: &str, field: &str, want: &Value) -> bool {
    list[key]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| &x[field] == want))
}

/// Every family still answers a create/get/list/delete round trip, and listings' counts match
/// what they return. Returns what went wrong.
pub async fn consistency(env: &Env) -> Vec<String> {
    let mut out = Vec::new();
    let o = &mut out;
    let api = |p: &str| format!("/api/2.0/{p}");
    // The clock may have been moved anywhere: bring it back and let time-driven state settle.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    step(
        env,
        o,
        Method::POST,
        "/__mock/clock",
        json!({"set_ms": now_ms, "freeze": false}),
    )
    .await;
    let n = env.uniq("consistency-");

    // Tokens.
    let t = step(
        env,
        o,
        Method::POST,
        &api("token/create"),
        json!({"comment": n}),
    )
    .await;
    let id = t["token_info"]["token_id"].clone();
    let l = step(env, o, Method::GET, &api("token/list"), json!({})).await;
    if !has(&l, "token_infos", "token_id", &id) {
        o.push(format!("token {id} not listed"));
    }
    step(
        env,
        o,
        Method::POST,
        &api("token/delete"),
        json!({ "token_id": id }),
    )
    .await;

    // SCIM users: create, get, list (count = returned), delete.
    let u = step(
        env,
        o,
        Method::POST,
        &api("preview/scim/v2/Users"),
        json!({"userName": format!("{n}@example.com")}),
    )
    .await;
    let uid = u["id"].as_str().unwrap_or("none").to_owned();
    step(
        env,
        o,
        Method::GET,
        &api(&format!("preview/scim/v2/Users/{uid}")),
        json!({}),
    )
    .await;
    for kind in ["Users", "Groups", "ServicePrincipals"] {
        let l = step(
            env,
            o,
            Method::GET,
            &api(&format!("preview/scim/v2/{kind}")),
            json!({"count": 10000}),
        )
        .await;
        let returned = l["Resources"].as_array().map_or(0, Vec::len);
        if l["totalResults"].as_u64() != Some(returned as u64) {
            o.push(format!(
                "SCIM {kind}: totalResults {} but {returned} returned",
                l["totalResults"]
            ));
        }
    }
    step(
        env,
        o,
        Method::DELETE,
        &api(&format!("preview/scim/v2/Users/{uid}")),
        json!({}),
    )
    .await;

    // Groups 2.0.
    step(
        env,
        o,
        Method::POST,
        &api("groups/create"),
        json!({ "group_name": n }),
    )
    .await;
    let l = step(env, o, Method::GET, &api("groups/list"), json!({})).await;
    if !l["group_names"]
        .as_array()
        .is_some_and(|a| a.contains(&json!(n)))
    {
        o.push(format!("group {n} not listed"));
    }
    step(
        env,
        o,
        Method::POST,
        &api("groups/delete"),
        json!({ "group_name": n }),
    )
    .await;

    // Secrets.
    step(
        env,
        o,
        Method::POST,
        &api("secrets/scopes/create"),
        json!({ "scope": n }),
    )
    .await;
    step(
        env,
        o,
        Method::POST,
        &api("secrets/put"),
        json!({"scope": n, "key": "k", "string_value": "v"}),
    )
    .await;
    let l = step(
        env,
        o,
        Method::GET,
        &api("secrets/list"),
        json!({ "scope": n }),
    )
    .await;
    if !has(&l, "secrets", "key", &json!("k")) {
        o.push("secret k not listed".into());
    }
    step(
        env,
        o,
        Method::POST,
        &api("secrets/scopes/delete"),
        json!({ "scope": n }),
    )
    .await;

    // DBFS.
    let path = format!("/consistency/{n}");
    step(
        env,
        o,
        Method::POST,
        &api("dbfs/put"),
        json!({"path": path, "contents": "aGk=", "overwrite": true}),
    )
    .await;
    let r = step(
        env,
        o,
        Method::GET,
        &api("dbfs/read"),
        json!({ "path": path }),
    )
    .await;
    if r["data"] != json!("aGk=") {
        o.push(format!("dbfs read {path}: {r}"));
    }
    let l = step(
        env,
        o,
        Method::GET,
        &api("dbfs/list"),
        json!({"path": "/consistency"}),
    )
    .await;
    if !has(&l, "files", "path", &json!(path)) {
        o.push(format!("dbfs {path} not listed"));
    }
    step(
        env,
        o,
        Method::POST,
        &api("dbfs/delete"),
        json!({ "path": path }),
    )
    .await;

    // Workspace.
    let nb = format!("/Shared/{n}");
    step(
        env,
        o,
        Method::POST,
        &api("workspace/import"),
        json!({"path": nb, "format": "SOURCE",
        "language": "PYTHON", "content": "cHJpbnQoMSk="}),
    )
    .await;
    step(
        env,
        o,
        Method::GET,
        &api("workspace/get-status"),
        json!({ "path": nb }),
    )
    .await;
    let l = step(
        env,
        o,
        Method::GET,
        &api("workspace/list"),
        json!({"path": "/Shared"}),
    )
    .await;
    if !has(&l, "objects", "path", &json!(nb)) {
        o.push(format!("workspace {nb} not listed"));
    }
    step(
        env,
        o,
        Method::POST,
        &api("workspace/delete"),
        json!({ "path": nb }),
    )
    .await;

    // Clusters and libraries.
    let c = step(
        env,
        o,
        Method::POST,
        &api("clusters/create"),
        json!({"cluster_name": n,
        "spark_version": "15.4.x-scala2.12", "node_type_id": "m5d.large", "num_workers": 1}),
    )
    .await;
    let cid = c["cluster_id"].clone();
    step(
        env,
        o,
        Method::GET,
        &api("clusters/get"),
        json!({ "cluster_id": cid }),
    )
    .await;
    let l = step(env, o, Method::GET, &api("clusters/list"), json!({})).await;
    if !has(&l, "clusters", "cluster_id", &cid) {
        o.push(format!("cluster {cid} not listed"));
    }
    step(
        env,
        o,
        Method::GET,
        &api("libraries/cluster-status"),
        json!({ "cluster_id": cid }),
    )
    .await;
    step(
        env,
        o,
        Method::POST,
        &api("clusters/permanent-delete"),
        json!({ "cluster_id": cid }),
    )
    .await;

    // Instance profiles.
    let arn = format!("arn:aws:iam::123456789012:instance-profile/{n}");
    step(
        env,
        o,
        Method::POST,
        &api("instance-profiles/add"),
        json!({"instance_profile_arn": arn, "skip_validation": true}),
    )
    .await;
    let l = step(
        env,
        o,
        Method::GET,
        &api("instance-profiles/list"),
        json!({}),
    )
    .await;
    if !has(&l, "instance_profiles", "instance_profile_arn", &json!(arn)) {
        o.push(format!("instance profile {arn} not listed"));
    }
    step(
        env,
        o,
        Method::POST,
        &api("instance-profiles/remove"),
        json!({ "instance_profile_arn": arn }),
    )
    .await;

    // Jobs: create, get, list every page (the pages' union counts every job once), delete.
    let j = step(
        env,
        o,
        Method::POST,
        "/api/2.1/jobs/create",
        json!({"name": n, "tasks": [
        {"task_key": "t", "notebook_task": {"notebook_path": "/Shared/x"},
         "new_cluster": {"spark_version": "15.4.x-scala2.12", "node_type_id": "m5d.large",
                         "num_workers": 1}}]}),
    )
    .await;
    let jid = j["job_id"].clone();
    step(
        env,
        o,
        Method::GET,
        "/api/2.1/jobs/get",
        json!({ "job_id": jid }),
    )
    .await;
    let mut seen = std::collections::BTreeSet::new();
    let mut page = json!({"limit": 25});
    for _ in 0..10_000 {
        let l = step(env, o, Method::GET, "/api/2.1/jobs/list", page.clone()).await;
        for job in l["jobs"].as_array().into_iter().flatten() {
            if !seen.insert(job["job_id"].to_string()) {
                o.push(format!("job {} listed twice", job["job_id"]));
            }
        }
        match l["next_page_token"].as_str() {
            Some(t) if l["has_more"] == json!(true) => page = json!({"limit": 25, "page_token": t}),
            _ => break,
        }
    }
    if !seen.contains(&jid.to_string()) {
        o.push(format!("job {jid} not listed"));
    }
    step(
        env,
        o,
        Method::POST,
        "/api/2.1/jobs/delete",
        json!({ "job_id": jid }),
    )
    .await;
    out
}
