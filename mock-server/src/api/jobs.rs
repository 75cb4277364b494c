//! Jobs API — `/api/2.0/jobs/*`, `/api/2.1/jobs/*` and `/api/2.2/jobs/*` (<https://docs.databricks.com/api/workspace/jobs>).
//!
//! Every endpoint answers on the three versions with the differences of <https://docs.databricks.com/api/workspace/jobs>: the 2.0
//! single-task form is accepted on 2.0 only, and a job is answered on 2.0 in the form it was
//! created in (on 2.1/2.2 always as `tasks`, with `format` saying which form it has); `list`
//! answers everything at once on 2.0, pages with `offset`/`limit`/`has_more` and page tokens on
//! 2.1 and 2.2; 2.2 pages `get` and `runs/get` over arrays of more than 100 tasks (or job
//! clusters, parameters, ...) and caps them at 100 in listings with a per-item `has_more`;
//! `runs/repair` is not on 2.0; jobs created through 2.2 queue by default.
//!
//! Runs move on the emulator clock (`state/jobs.rs`). Unknown jobs and runs are 400
//! `INVALID_PARAMETER_VALUE` "Job <id> does not exist." / "Run <id> does not exist.". Owners
//! (creators) and admins may change, delete and run a job and cancel, delete and repair its runs
//! (a one-time run: its creator); others get `PERMISSION_DENIED`.

mod validate;

use std::ops::Bound;

use http::Method;
use serde_json::{json, Map, Value};

use super::{Access, Ctx, ReadCtx, Reply, Route};
use crate::error::{ApiError, ErrorCode};
use crate::state::clusters::Clusters;
use crate::state::jobs::{
    concurrency, job_parameters, multi_task_form, Job, Life, NewRun, Run, TaskRun,
    MAX_NOTEBOOK_RESULT_BYTES,
};
use crate::state::workspace::Kind;

const ALL: &[&str] = &["2.0", "2.1", "2.2"];
const NEW: &[&str] = &["2.1", "2.2"];
/// Size of one page of a job's or run's arrays on 2.2 (<https://docs.databricks.com/api/workspace/jobs>).
const ARRAY_PAGE: usize = 100;
/// Largest JSON size of one run-now parameter field (<https://docs.databricks.com/api/workspace/jobs>).
const MAX_PARAM_BYTES: usize = 10_000;
/// Longest idempotency token.
const MAX_TOKEN_CHARS: usize = 64;
/// The run-now fields that override task parameters (they make `overriding_parameters`).
const PARAM_FIELDS: &[&str] = &[
    "jar_params",
    "notebook_params",
    "python_params",
    "spark_submit_params",
    "python_named_params",
    "sql_params",
    "dbt_commands",
    "pipeline_params",
];

/// The Jobs API routes.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::POST, "jobs/create", ALL, create).access(Access::AnyUser),
        Route::read(Method::GET, "jobs/list", ALL, list).access(Access::AnyUser),
        Route::read(Method::GET, "jobs/get", ALL, get).access(Access::AnyUser),
        Route::new(Method::POST, "jobs/reset", ALL, reset).access(Access::DENIED),
        Route::new(Method::POST, "jobs/update", ALL, update).access(Access::DENIED),
        Route::new(Method::POST, "jobs/delete", ALL, delete).access(Access::DENIED),
        Route::new(Method::POST, "jobs/run-now", ALL, run_now).access(Access::DENIED),
        Route::new(Method::POST, "jobs/runs/submit", ALL, submit).access(Access::AnyUser),
        Route::read(Method::GET, "jobs/runs/list", ALL, runs_list).access(Access::AnyUser),
        // Run reads are open to every user, as job reads are; cancelling, deleting and
        // repairing a run need Manage on its job (or, for a one-time run, to be its creator).
        Route::read(Method::GET, "jobs/runs/get", ALL, runs_get).access(Access::AnyUser),
        Route::read(Method::GET, "jobs/runs/get-output", ALL, runs_get_output)
            .access(Access::AnyUser),
        Route::read(Method::GET, "jobs/runs/export", ALL, runs_export).access(Access::AnyUser),
        Route::new(Method::POST, "jobs/runs/cancel", ALL, runs_cancel).access(Access::DENIED),
        Route::new(Method::POST, "jobs/runs/cancel-all", ALL, runs_cancel_all)
            .access(Access::DENIED),
        Route::new(Method::POST, "jobs/runs/delete", ALL, runs_delete).access(Access::DENIED),
        Route::new(Method::POST, "jobs/runs/repair", NEW, runs_repair).access(Access::DENIED),
    ]
}

// ---------------------------------------------------------------------------------------------
// Errors, look-ups, tokens

pub(crate) fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameterValue, msg)
}

fn job_missing(id: i64) -> ApiError {
    invalid(format!("Job {id} does not exist."))
}

fn run_missing(id: i64) -> ApiError {
    invalid(format!("Run {id} does not exist."))
}

fn required_i64(ctx: &ReadCtx<'_>, name: &str) -> Result<i64, ApiError> {
    ctx.params
        .opt_i64(name)?
        .ok_or_else(|| ApiError::missing_field(name))
}

/// The `job_id` parameter and its job.
fn target_job<'s>(ctx: &ReadCtx<'s>) -> Result<&'s Job, ApiError> {
    let id = required_i64(ctx, "job_id")?;
    ctx.state.jobs.jobs.get(&id).ok_or_else(|| job_missing(id))
}

/// Fail unless the caller owns `job` or is an admin.
fn require_owner(ctx: &ReadCtx<'_>, job: &Job) -> Result<(), ApiError> {
    if job.creator_user_name == ctx.caller.user_name || ctx.state.identity.is_admin(&ctx.caller.id)
    {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::PermissionDenied,
        format!(
            "User {} does not have Manage permissions on job {}.",
            ctx.caller.user_name, job.job_id
        ),
    ))
}

/// Fail unless the caller may manage `run` (cancel, delete, repair): for a run of a job, whoever
/// may manage the job ([`require_owner`]); for a one-time run (`runs/submit`) or a run whose job
/// is gone, the user who started it, or an admin.
fn require_run_manager(ctx: &ReadCtx<'_>, run: &Run) -> Result<(), ApiError> {
    if let Some(job) = run.job_id.and_then(|j| ctx.state.jobs.jobs.get(&j)) {
        return require_owner(ctx, job);
    }
    if run.creator_user_name == ctx.caller.user_name || ctx.state.identity.is_admin(&ctx.caller.id)
    {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::PermissionDenied,
        format!(
            "User {} does not have Manage permissions on run {}.",
            ctx.caller.user_name, run.run_id
        ),
    ))
}

fn encode_token(kind: &str, a: i64, b: i64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{a}:{b}"))
}

fn decode_token(token: &str) -> Result<(String, i64, i64), ApiError> {
    use base64::Engine as _;
    let bad = || invalid(format!("Invalid page token: {token}"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = text.splitn(3, ':');
    let kind = parts.next().ok_or_else(bad)?.to_owned();
    let a = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let b = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    Ok((kind, a, b))
}

/// The 2.2 array page a `get` / `runs/get` `page_token` names (0 without one).
fn array_page(ctx: &ReadCtx<'_>) -> Result<usize, ApiError> {
    match ctx.params.opt_str("page_token")? {
        None | Some("") => Ok(0),
        Some(t) => match decode_token(t)? {
            (k, p, _) if k == "page" && p >= 0 => {
                usize::try_from(p).map_err(|_| invalid("Invalid page token"))
            }
            _ => Err(invalid(format!("Invalid page token: {t}"))),
        },
    }
}

/// Cut the arrays `keys` of `obj` to page `page`; true when any has more after it.
fn page_arrays(obj: &mut Map<String, Value>, keys: &[&str], page: usize) -> bool {
    let mut more = false;
    for k in keys {
        if let Some(Value::Array(items)) = obj.get_mut(*k) {
            let start = (page * ARRAY_PAGE).min(items.len());
            let end = (start + ARRAY_PAGE).min(items.len());
            more |= items.len() > end;
            *items = items[start..end].to_vec();
        }
    }
    more
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// A job as `get` answers it on `version` (`expand`: with tasks and job clusters).
fn job_json(job: &Job, version: &str, expand: bool, page: usize) -> (Value, bool) {
    let mut settings = if version == "2.0" && job.single_task {
        job.settings.clone()
    } else {
        multi_task_form(&job.settings).0
    };
    settings.insert(
        "format".into(),
        json!(if job.single_task {
            "SINGLE_TASK"
        } else {
            "MULTI_TASK"
        }),
    );
    if !expand {
        settings.remove("tasks");
        settings.remove("job_clusters");
    }
    let more = version == "2.2"
        && page_arrays(
            &mut settings,
            &["tasks", "job_clusters", "parameters", "environments"],
            page,
        );
    let v = json!({
        "job_id": job.job_id,
        "creator_user_name": job.creator_user_name,
        "run_as_user_name": job.creator_user_name,
        "created_time": job.created_time,
        "settings": Value::Object(settings),
    });
    (v, more)
}

fn run_page_url(job_id: Option<i64>, run_id: i64) -> String {
    let ws = crate::auth::WORKSPACE_ID;
    match job_id {
        Some(j) => format!("https://dbx-emulator.invalid/?o={ws}#job/{j}/run/{run_id}"),
        None => format!("https://dbx-emulator.invalid/?o={ws}#job/run/{run_id}"),
    }
}

fn state_json(
    life: Life,
    result: Option<&str>,
    message: &str,
    cancelled: bool,
    queue_reason: Option<&str>,
) -> Value {
    let mut s = json!({
        "life_cycle_state": life.as_str(),
        "state_message": message,
        "user_cancelled_or_timedout": cancelled,
    });
    if !life.is_active() {
        if let Some(r) = result {
            s["result_state"] = json!(r);
        }
    }
    if let Some(q) = queue_reason {
        s["queue_reason"] = json!(q);
    }
    s
}

fn status_json(life: Life, code: Option<&str>, message: &str) -> Value {
    let mut s = json!({ "state": life.status() });
    if life == Life::Queued {
        s["queue_details"] = json!({"code": "ACTIVE_RUNS_LIMIT_REACHED", "message": message});
    }
    if !life.is_active() {
        let code = code.unwrap_or("SUCCESS");
        let kind = match code {
            "SUCCESS" | "USER_CANCELED" | "SUCCESS_WITH_FAILURES" => "SUCCESS",
            "INTERNAL_ERROR" => "INTERNAL_ERROR",
            _ => "CLIENT_ERROR",
        };
        let code = if code == "SUCCESS_WITH_FAILURES" {
            "SUCCESS"
        } else {
            code
        };
        s["termination_details"] = json!({"code": code, "type": kind, "message": message});
    }
    s
}

fn cluster_instance(clusters: &Clusters, id: Option<&String>) -> Option<Value> {
    let id = id?;
    let mut v = json!({ "cluster_id": id });
    if let Some(sc) = clusters.get(id).and_then(|c| c.info.spark_context_id) {
        v["spark_context_id"] = json!(sc.to_string());
    }
    Some(v)
}

fn task_result_code(t: &TaskRun) -> &'static str {
    match t.result {
        Some("SUCCESS") | Some("EXCLUDED") | Some("DISABLED") => "SUCCESS",
        Some("CANCELED") | Some("UPSTREAM_CANCELED") => "USER_CANCELED",
        _ if t.life == Life::InternalError => "INTERNAL_ERROR",
        _ => "RUN_EXECUTION_ERROR",
    }
}

fn task_json(run: &Run, t: &TaskRun, clusters: &Clusters, now: i64) -> Value {
    let mut v = Value::Object(t.spec.clone());
    let started = t.start_time > 0 && !matches!(t.life, Life::Pending | Life::Blocked);
    let exec = if !started {
        0
    } else if t.end_time > 0 {
        t.end_time - t.start_time
    } else {
        now - t.start_time
    };
    let code = (!t.life.is_active()).then(|| task_result_code(t));
    v["run_id"] = json!(t.run_id);
    v["state"] = state_json(
        t.life,
        t.result,
        &t.message,
        run.user_cancelled_or_timedout && t.result == Some("CANCELED"),
        None,
    );
    v["status"] = status_json(t.life, code, &t.message);
    v["attempt_number"] = json!(t.attempt_number);
    v["start_time"] = json!(if started { t.start_time } else { 0 });
    v["setup_duration"] = json!(0);
    v["execution_duration"] = json!(exec);
    v["cleanup_duration"] = json!(0);
    v["end_time"] = json!(t.end_time);
    v["run_duration"] = json!(exec);
    v["run_page_url"] = json!(run_page_url(run.job_id, t.run_id));
    if started {
        if let Some(ci) = cluster_instance(clusters, t.cluster_id.as_ref()) {
            v["cluster_instance"] = ci;
        }
    }
    v
}

/// A run as `runs/get` answers it on `version`; `tasks`: with its task runs; returns whether
/// 2.2 has more pages of its arrays.
fn run_json(
    run: &Run,
    version: &str,
    tasks: bool,
    history: bool,
    page: usize,
    clusters: &Clusters,
    now: i64,
) -> (Value, bool) {
    let mut v = Map::new();
    if let Some(j) = run.job_id {
        v.insert("job_id".into(), json!(j));
    }
    v.insert("run_id".into(), json!(run.run_id));
    v.insert("number_in_job".into(), json!(run.run_id));
    v.insert("original_attempt_run_id".into(), json!(run.run_id));
    v.insert("attempt_number".into(), json!(0));
    v.insert("creator_user_name".into(), json!(run.creator_user_name));
    v.insert("run_name".into(), json!(run.run_name));
    v.insert("run_type".into(), json!(run.run_type));
    v.insert("trigger".into(), json!(run.trigger));
    v.insert(
        "run_page_url".into(),
        json!(run_page_url(run.job_id, run.run_id)),
    );
    v.insert(
        "state".into(),
        state_json(
            run.life,
            run.result,
            &run.message,
            run.user_cancelled_or_timedout,
            run.queue_reason.as_deref(),
        ),
    );
    v.insert(
        "status".into(),
        status_json(run.life, run.termination_code, &run.message),
    );
    v.insert("start_time".into(), json!(run.start_time));
    v.insert("end_time".into(), json!(run.end_time));
    let ended = !run.life.is_active();
    let run_duration = if ended {
        run.end_time - run.start_time
    } else {
        now - run.start_time
    };
    if let Some(s) = run.started_at.filter(|s| *s > run.start_time) {
        v.insert("queue_duration".into(), json!(s - run.start_time));
    }
    v.insert(
        "format".into(),
        json!(if run.single_task {
            "SINGLE_TASK"
        } else {
            "MULTI_TASK"
        }),
    );
    if run.trigger == "PERIODIC" {
        if let Some(s) = run.settings.get("schedule") {
            v.insert("schedule".into(), s.clone());
        }
    }
    if let Some(p) = &run.overriding_parameters {
        v.insert("overriding_parameters".into(), p.clone());
    }
    if !run.job_parameters.is_empty() {
        v.insert("job_parameters".into(), json!(run.job_parameters));
    }
    if let Some(g) = run.settings.get("git_source") {
        v.insert("git_source".into(), g.clone());
    }
    let single_form = version == "2.0" && run.single_task;
    match (single_form, run.tasks.first()) {
        (true, Some(t)) => {
            // 2.0 single-task shape: the task and its cluster at the top level.
            let mut task = Map::new();
            let mut spec = Map::new();
            for (k, val) in &t.spec {
                if k.ends_with("_task") {
                    task.insert(k.clone(), val.clone());
                } else if matches!(
                    k.as_str(),
                    "existing_cluster_id" | "new_cluster" | "libraries"
                ) {
                    spec.insert(k.clone(), val.clone());
                }
            }
            v.insert("task".into(), Value::Object(task));
            v.insert("cluster_spec".into(), Value::Object(spec));
            if let Some(ci) = cluster_instance(clusters, t.cluster_id.as_ref()) {
                v.insert("cluster_instance".into(), ci);
            }
            let setup = run
                .running_since
                .zip(run.started_at)
                .map_or(0, |(r, s)| r - s);
            let exec = if t.end_time > 0 {
                t.end_time - t.start_time
            } else {
                0
            };
            let cleanup = if ended {
                (run.end_time - t.end_time).max(0)
            } else {
                0
            };
            v.insert("setup_duration".into(), json!(setup));
            v.insert("execution_duration".into(), json!(exec));
            v.insert("cleanup_duration".into(), json!(cleanup));
            v.insert("attempt_number".into(), json!(t.attempt_number));
        }
        _ => {
            v.insert("setup_duration".into(), json!(0));
            v.insert("execution_duration".into(), json!(0));
            v.insert("cleanup_duration".into(), json!(0));
            v.insert("run_duration".into(), json!(run_duration));
            if tasks {
                let ts: Vec<Value> = run
                    .tasks
                    .iter()
                    .map(|t| task_json(run, t, clusters, now))
                    .collect();
                v.insert("tasks".into(), Value::Array(ts));
                if let Some(jc) = run.settings.get("job_clusters") {
                    v.insert("job_clusters".into(), jc.clone());
                }
            }
        }
    }
    if history && !run.repairs.is_empty() {
        let h: Vec<Value> = run
            .repairs
            .iter()
            .map(|r| {
                json!({
                    "type": if r.original { "ORIGINAL" } else { "REPAIR" },
                    "id": r.id,
                    "start_time": r.start_time,
                    "end_time": r.end_time,
                    "state": state_json(r.life, r.result, &r.message, false, None),
                    "status": status_json(r.life, None, &r.message),
                    "task_run_ids": r.task_run_ids,
                })
            })
            .collect();
        v.insert("repair_history".into(), Value::Array(h));
    }
    let more = version == "2.2"
        && page_arrays(
            &mut v,
            &["tasks", "job_clusters", "job_parameters", "repair_history"],
            page,
        );
    (Value::Object(v), more)
}

/// Task run `t` of `run` as a run of its own (`runs/get` and `get-output` of a task run).
fn task_as_run(run: &Run, t: &TaskRun, clusters: &Clusters, now: i64) -> Value {
    let mut v = task_json(run, t, clusters, now);
    if let Some(j) = run.job_id {
        v["job_id"] = json!(j);
    }
    v["number_in_job"] = json!(t.run_id);
    v["original_attempt_run_id"] = json!(t.original_attempt_run_id);
    v["creator_user_name"] = json!(run.creator_user_name);
    v["run_name"] = json!(run.run_name);
    v["run_type"] = json!(run.run_type);
    v["trigger"] = json!(run.trigger);
    v["parent_run_id"] = json!(run.run_id);
    v
}

// ---------------------------------------------------------------------------------------------
// Jobs

/// `POST jobs/create` → `{"job_id"}`.
fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let raw = ctx.params.map().clone();
    let (mut settings, single) = validate::settings(ctx, &raw, false)?;
    settings.remove("access_control_list");
    settings.entry("name").or_insert_with(|| json!("Untitled"));
    if ctx.version == "2.2" {
        // Jobs created through 2.2 queue by default (<https://docs.databricks.com/api/workspace/jobs>).
        settings
            .entry("queue")
            .or_insert_with(|| json!({"enabled": true}));
    }
    ctx.limits.state.check_new_job(ctx.state.jobs.jobs.len())?;
    let now = ctx.now_ms;
    let jobs = &mut ctx.state.jobs;
    let job_id = jobs.alloc_job_id();
    let job = Job {
        job_id,
        creator_user_name: ctx.caller.user_name.clone(),
        created_time: now,
        settings,
        single_task: single,
        next_fire: None,
    };
    jobs.put_job(job, now);
    Ok(Reply::json(json!({ "job_id": job_id })))
}

/// `GET jobs/get`.
fn get(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let page = if ctx.version == "2.2" {
        array_page(ctx)?
    } else {
        0
    };
    let job = target_job(ctx)?;
    let (mut v, more) = job_json(job, ctx.version, true, page);
    if more {
        v["next_page_token"] = json!(encode_token(
            "page",
            i64::try_from(page + 1).unwrap_or(0),
            0
        ));
    }
    Ok(Reply::json(v))
}

/// `GET jobs/list`: every job on 2.0; pages newest first on 2.1/2.2.
fn list(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let jobs = &ctx.state.jobs.jobs;
    if ctx.version == "2.0" {
        let all: Vec<Value> = jobs
            .values()
            .rev()
            .map(|j| job_json(j, "2.0", true, 0).0)
            .collect();
        return Ok(Reply::json(json!({ "jobs": all, "has_more": false })));
    }
    let limit = match ctx.params.opt_i64("limit")? {
        None | Some(0) => 20,
        Some(n) if (1..=100).contains(&n) => n as usize,
        Some(n) => {
            return Err(invalid(format!(
                "limit must be between 1 and 100; got {n}."
            )))
        }
    };
    let offset = ctx.params.opt_i64("offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(invalid(format!(
            "offset must be non-negative; got {offset}."
        )));
    }
    let expand = ctx.params.opt_bool("expand_tasks")?.unwrap_or(false);
    let name = ctx.params.opt_str("name")?.map(str::to_lowercase);
    let matches = |j: &&Job| {
        name.as_deref().is_none_or(|n| {
            j.settings
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|jn| jn.to_lowercase() == n)
        })
    };
    let token = match ctx.params.opt_str("page_token")? {
        None | Some("") => None,
        Some(t) => Some(decode_token(t)?),
    };
    let mut page: Vec<&Job> = match &token {
        Some((k, id, _)) if k == "jobs-prev" => {
            let mut p: Vec<&Job> = jobs
                .range((Bound::Excluded(*id), Bound::Unbounded))
                .map(|(_, j)| j)
                .filter(matches)
                .take(limit)
                .collect();
            p.reverse();
            p
        }
        Some((k, id, _)) if k == "jobs-next" => jobs
            .range(..*id)
            .rev()
            .map(|(_, j)| j)
            .filter(matches)
            .take(limit + 1)
            .collect(),
        Some(_) => return Err(invalid("Invalid page token")),
        None => jobs
            .values()
            .rev()
            .filter(matches)
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit + 1)
            .collect(),
    };
    let is_prev = matches!(&token, Some((k, _, _)) if k == "jobs-prev");
    let has_more = if is_prev {
        page.last().is_some_and(|last| {
            jobs.range(..last.job_id)
                .rev()
                .map(|(_, j)| j)
                .any(|j| matches(&j))
        })
    } else {
        let more = page.len() > limit;
        page.truncate(limit);
        more
    };
    let first_page = token.is_none() && offset == 0
        || page.first().is_some_and(|f| {
            !jobs
                .range((Bound::Excluded(f.job_id), Bound::Unbounded))
                .map(|(_, j)| j)
                .any(|j| matches(&j))
        });
    let items: Vec<Value> = page
        .iter()
        .map(|j| {
            let (mut v, more) = job_json(j, ctx.version, expand, 0);
            if ctx.version == "2.2" && expand {
                v["has_more"] = json!(more);
            }
            v
        })
        .collect();
    let mut out = json!({ "jobs": items, "has_more": has_more });
    if has_more {
        if let Some(last) = page.last() {
            out["next_page_token"] = json!(encode_token("jobs-next", last.job_id, 0));
        }
    }
    if !first_page {
        if let Some(first) = page.first() {
            out["prev_page_token"] = json!(encode_token("jobs-prev", first.job_id, 0));
        }
    }
    Ok(Reply::json(out))
}

/// Replace job `job_id`'s settings with `settings` (validated), keeping the rest.
fn store_settings(
    ctx: &mut Ctx<'_>,
    job_id: i64,
    mut settings: Map<String, Value>,
    single: bool,
) -> Result<Reply, ApiError> {
    settings.remove("access_control_list");
    settings.entry("name").or_insert_with(|| json!("Untitled"));
    let now = ctx.now_ms;
    let jobs = &mut ctx.state.jobs;
    let Some(old) = jobs.jobs.get(&job_id).cloned() else {
        return Err(job_missing(job_id));
    };
    let job = Job {
        settings,
        single_task: single,
        ..old
    };
    jobs.put_job(job, now);
    Ok(Reply::empty())
}

/// `POST jobs/reset`: `job_id` + the whole `new_settings`.
fn reset(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let job = target_job(&ctx.view())?;
    require_owner(&ctx.view(), job)?;
    let job_id = job.job_id;
    let raw = match ctx.params.value("new_settings") {
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::wrong_type("new_settings", "object")),
        None => return Err(ApiError::missing_field("new_settings")),
    };
    let (mut settings, single) = validate::settings(ctx, &raw, false)?;
    if ctx.version == "2.2" {
        settings
            .entry("queue")
            .or_insert_with(|| json!({"enabled": true}));
    }
    store_settings(ctx, job_id, settings, single)
}

/// Merge array `key` of `patch` into `base` by `id_field` (<https://docs.databricks.com/api/workspace/jobs> `update`).
fn merge_by_key(base: &mut Map<String, Value>, patch: &Value, key: &str, id_field: &str) {
    let Some(new_items) = patch.as_array() else {
        base.insert(key.to_owned(), patch.clone());
        return;
    };
    let mut items: Vec<Value> = base
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for item in new_items {
        let id = item.get(id_field);
        match items
            .iter_mut()
            .find(|i| id.is_some() && i.get(id_field) == id)
        {
            Some(existing) => *existing = item.clone(),
            None => items.push(item.clone()),
        }
    }
    base.insert(key.to_owned(), Value::Array(items));
}

/// `POST jobs/update`: top-level fields of `new_settings` replace the job's; `tasks`,
/// `job_clusters`, `parameters` and `environments` are merged by key; `fields_to_remove` drops
/// top-level fields or keyed items (`tasks/<task_key>`, `job_clusters/<key>`).
fn update(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let job = target_job(&ctx.view())?;
    require_owner(&ctx.view(), job)?;
    let job_id = job.job_id;
    let mut base = if ctx.version != "2.0" && job.single_task {
        multi_task_form(&job.settings).0
    } else {
        job.settings.clone()
    };
    let patch = match ctx.params.value("new_settings") {
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::wrong_type("new_settings", "object")),
        None => Map::new(),
    };
    let remove = ctx
        .params
        .opt_str_list("fields_to_remove")?
        .unwrap_or_default();
    for (k, v) in &patch {
        match k.as_str() {
            "tasks" => merge_by_key(&mut base, v, "tasks", "task_key"),
            "job_clusters" => merge_by_key(&mut base, v, "job_clusters", "job_cluster_key"),
            "parameters" => merge_by_key(&mut base, v, "parameters", "name"),
            "environments" => merge_by_key(&mut base, v, "environments", "environment_key"),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    for f in &remove {
        match f.split_once('/') {
            Some((arr, key)) => {
                let id_field = match arr {
                    "tasks" => "task_key",
                    "job_clusters" => "job_cluster_key",
                    "parameters" => "name",
                    "environments" => "environment_key",
                    _ => return Err(invalid(format!("Invalid field to remove: {f}"))),
                };
                if let Some(Value::Array(items)) = base.get_mut(arr) {
                    items.retain(|i| i.get(id_field).and_then(Value::as_str) != Some(key));
                }
            }
            None => {
                base.remove(f.as_str());
            }
        }
    }
    let (settings, single) = validate::settings(ctx, &base, false)?;
    store_settings(ctx, job_id, settings, single)
}

/// `POST jobs/delete`: active runs are cancelled; ended runs stay readable.
fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let job = target_job(&ctx.view())?;
    require_owner(&ctx.view(), job)?;
    let job_id = job.job_id;
    let now = ctx.now_ms;
    let state = &mut *ctx.state;
    for run_id in state.jobs.active_runs(Some(job_id), true) {
        state
            .jobs
            .cancel(run_id, now, &mut state.clusters, &state.workspace);
    }
    state.jobs.jobs.remove(&job_id);
    Ok(Reply::empty())
}

// ---------------------------------------------------------------------------------------------
// Runs

fn check_token(ctx: &ReadCtx<'_>) -> Result<Option<String>, ApiError> {
    let token = ctx.params.opt_str("idempotency_token")?.map(str::to_owned);
    if let Some(t) = &token {
        if t.chars().count() > MAX_TOKEN_CHARS {
            return Err(invalid(format!(
                "idempotency_token must be at most {MAX_TOKEN_CHARS} characters long."
            )));
        }
    }
    Ok(token)
}

/// Apply run-now parameters to the tasks they override.
fn apply_params(tasks: &mut [Map<String, Value>], params: &Map<String, Value>) {
    for t in tasks {
        let set = |t: &mut Map<String, Value>, kind: &str, field: &str, v: &Value, merge: bool| {
            if let Some(Value::Object(body)) = t.get_mut(kind) {
                match (merge, body.get_mut(field), v) {
                    (true, Some(Value::Object(old)), Value::Object(new)) => {
                        old.extend(new.clone());
                    }
                    _ => {
                        body.insert(field.to_owned(), v.clone());
                    }
                }
            }
        };
        for (p, kind, field, merge) in [
            ("notebook_params", "notebook_task", "base_parameters", true),
            ("jar_params", "spark_jar_task", "parameters", false),
            ("python_params", "spark_python_task", "parameters", false),
            (
                "spark_submit_params",
                "spark_submit_task",
                "parameters",
                false,
            ),
            (
                "python_named_params",
                "python_wheel_task",
                "named_parameters",
                false,
            ),
            ("sql_params", "sql_task", "parameters", true),
            ("dbt_commands", "dbt_task", "commands", false),
        ] {
            if let Some(v) = params.get(p) {
                set(t, kind, field, v, merge);
            }
        }
    }
}

/// `POST jobs/run-now` → `{"run_id", "number_in_job"}`.
fn run_now(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let job = target_job(&ctx.view())?;
    require_owner(&ctx.view(), job)?;
    let job = job.clone();
    let p = ctx.params;
    if p.has("jar_params") && p.has("notebook_params") {
        return Err(invalid(
            "jar_params and notebook_params are mutually exclusive: set only one of them.",
        ));
    }
    let mut overriding = Map::new();
    for f in PARAM_FIELDS {
        if let Some(v) = p.value(f) {
            let size = serde_json::to_vec(v).map(|b| b.len()).unwrap_or(0);
            if size > MAX_PARAM_BYTES {
                return Err(invalid(format!(
                    "The size of {f} ({size} bytes) exceeds the limit of {MAX_PARAM_BYTES} bytes."
                )));
            }
            if matches!(*f, "python_params" | "spark_submit_params") && !v.to_string().is_ascii() {
                return Err(invalid(format!("{f} must contain only ASCII characters.")));
            }
            overriding.insert((*f).to_owned(), v.clone());
        }
    }
    let new_only = ctx.version != "2.0";
    let job_params = match p.value("job_parameters") {
        Some(Value::Object(m)) if new_only => Some(m.clone()),
        Some(_) if new_only => return Err(ApiError::wrong_type("job_parameters", "object")),
        _ => None,
    };
    let only = if new_only {
        p.opt_str_list("only")?
    } else {
        None
    };
    let token = check_token(&ctx.view())?;
    if let Some(t) = &token {
        if let Some(id) = ctx.state.jobs.idempotency.get(t) {
            return Ok(Reply::json(json!({"run_id": id, "number_in_job": id})));
        }
    }
    let (settings, mut tasks) = multi_task_form(&job.settings);
    if let Some(only) = &only {
        for k in only {
            if !tasks
                .iter()
                .any(|t| t.get("task_key").and_then(Value::as_str) == Some(k))
            {
                return Err(invalid(format!(
                    "Task {k} is not a task of job {}.",
                    job.job_id
                )));
            }
        }
        tasks.retain(|t| {
            t.get("task_key")
                .and_then(Value::as_str)
                .is_some_and(|k| only.iter().any(|o| o == k))
        });
    }
    apply_params(&mut tasks, &overriding);
    let (max, mut queue) = concurrency(&settings);
    if new_only {
        if let Some(q) = p
            .value("queue")
            .and_then(|q| q.get("enabled"))
            .and_then(Value::as_bool)
        {
            queue = q;
        }
    }
    let new = NewRun {
        job_id: Some(job.job_id),
        run_name: settings
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("Untitled")
            .to_owned(),
        run_type: "JOB_RUN",
        trigger: "ONE_TIME",
        creator_user_name: ctx.caller.user_name.clone(),
        single_task: job.single_task,
        job_parameters: job_parameters(&settings, job_params.as_ref()),
        settings,
        tasks,
        overriding_parameters: (!overriding.is_empty()).then_some(Value::Object(overriding)),
        idempotency_token: token,
        concurrency: Some((max, queue)),
    };
    ctx.limits.state.check_new_run(ctx.state.jobs.runs.len())?;
    let now = ctx.now_ms;
    let state = &mut *ctx.state;
    let id = state
        .jobs
        .create_run(new, now, &mut state.clusters, &state.workspace);
    Ok(Reply::json(json!({"run_id": id, "number_in_job": id})))
}

/// `POST jobs/runs/submit` → `{"run_id"}`: a one-time run (`SUBMIT_RUN`).
fn submit(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut raw = ctx.params.map().clone();
    raw.remove("idempotency_token");
    raw.remove("access_control_list");
    let (settings, single) = validate::settings(ctx, &raw, true)?;
    let token = check_token(&ctx.view())?;
    if let Some(t) = &token {
        if let Some(id) = ctx.state.jobs.idempotency.get(t) {
            return Ok(Reply::json(json!({ "run_id": id })));
        }
    }
    let (settings, tasks) = multi_task_form(&settings);
    let new = NewRun {
        job_id: None,
        run_name: settings
            .get("run_name")
            .and_then(Value::as_str)
            .unwrap_or("Untitled")
            .to_owned(),
        run_type: "SUBMIT_RUN",
        trigger: "ONE_TIME",
        creator_user_name: ctx.caller.user_name.clone(),
        single_task: single,
        settings,
        tasks,
        overriding_parameters: None,
        job_parameters: Vec::new(),
        idempotency_token: token,
        concurrency: None,
    };
    ctx.limits.state.check_new_run(ctx.state.jobs.runs.len())?;
    let now = ctx.now_ms;
    let state = &mut *ctx.state;
    let id = state
        .jobs
        .create_run(new, now, &mut state.clusters, &state.workspace);
    Ok(Reply::json(json!({ "run_id": id })))
}

/// `GET jobs/runs/list`: newest first; `offset`/`limit`/`has_more` and page tokens.
fn runs_list(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let p = ctx.params;
    let job_id = p.opt_i64("job_id")?;
    let active_only = p.opt_bool("active_only")?.unwrap_or(false);
    let completed_only = p.opt_bool("completed_only")?.unwrap_or(false);
    if active_only && completed_only {
        return Err(invalid(
            "active_only and completed_only cannot both be true.",
        ));
    }
    let run_type = p.opt_str("run_type")?;
    if let Some(t) = run_type {
        if !matches!(t, "JOB_RUN" | "WORKFLOW_RUN" | "SUBMIT_RUN") {
            return Err(invalid(format!(
                "Invalid run_type {t}: expected JOB_RUN, WORKFLOW_RUN or SUBMIT_RUN."
            )));
        }
    }
    let max = if ctx.version == "2.0" { 1000 } else { 25 };
    let limit = match p.opt_i64("limit")? {
        None => 20,
        Some(0) => max,
        Some(n) if (1..=max).contains(&(n as usize)) => n as usize,
        Some(n) => {
            return Err(invalid(format!(
                "limit must be between 0 and {max}; got {n}."
            )))
        }
    };
    let offset = p.opt_i64("offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(invalid(format!(
            "offset must be non-negative; got {offset}."
        )));
    }
    let expand = ctx.version == "2.0" || p.opt_bool("expand_tasks")?.unwrap_or(false);
    let from = p.opt_i64("start_time_from")?;
    let to = p.opt_i64("start_time_to")?;
    let token = match p.opt_str("page_token")? {
        None | Some("") => None,
        Some(t) if ctx.version != "2.0" => Some(decode_token(t)?),
        Some(_) => None,
    };
    let jobs = &ctx.state.jobs;
    let keep = |key: &&(i64, i64)| {
        let (start, id) = **key;
        if from.is_some_and(|f| start < f) || to.is_some_and(|t| start > t) {
            return false;
        }
        let Some(r) = jobs.runs.get(&id) else {
            return false;
        };
        job_id.is_none_or(|j| r.job_id == Some(j))
            && run_type.is_none_or(|t| t == r.run_type)
            && (!active_only || r.life.is_active())
            && (!completed_only || !r.life.is_active())
    };
    let (mut keys, is_prev): (Vec<(i64, i64)>, bool) = match &token {
        Some((k, s, id)) if k == "runs-next" => (
            jobs.order
                .range(..(*s, *id))
                .rev()
                .filter(keep)
                .take(limit + 1)
                .copied()
                .collect(),
            false,
        ),
        Some((k, s, id)) if k == "runs-prev" => {
            let mut v: Vec<(i64, i64)> = jobs
                .order
                .range((Bound::Excluded((*s, *id)), Bound::Unbounded))
                .filter(keep)
                .take(limit)
                .copied()
                .collect();
            v.reverse();
            (v, true)
        }
        Some(_) => return Err(invalid("Invalid page token")),
        None => (
            jobs.order
                .iter()
                .rev()
                .filter(keep)
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(limit + 1)
                .copied()
                .collect(),
            false,
        ),
    };
    let has_more = if is_prev {
        keys.last()
            .is_some_and(|k| jobs.order.range(..*k).rev().any(|k| keep(&k)))
    } else {
        let more = keys.len() > limit;
        keys.truncate(limit);
        more
    };
    let first_page = keys.first().is_none_or(|k| {
        !jobs
            .order
            .range((Bound::Excluded(*k), Bound::Unbounded))
            .any(|k| keep(&k))
    });
    let now = ctx.now_ms;
    let runs: Vec<Value> = keys
        .iter()
        .filter_map(|(_, id)| jobs.runs.get(id))
        .map(|r| {
            let (mut v, more) =
                run_json(r, ctx.version, expand, false, 0, &ctx.state.clusters, now);
            if ctx.version == "2.2" && expand {
                v["has_more"] = json!(more);
            }
            v
        })
        .collect();
    let mut out = json!({ "runs": runs, "has_more": has_more });
    if ctx.version != "2.0" {
        if has_more {
            if let Some((s, id)) = keys.last() {
                out["next_page_token"] = json!(encode_token("runs-next", *s, *id));
            }
        }
        if !first_page {
            if let Some((s, id)) = keys.first() {
                out["prev_page_token"] = json!(encode_token("runs-prev", *s, *id));
            }
        }
    }
    Ok(Reply::json(out))
}

/// The `run_id` parameter: the top-level run and, for a task run id, the task's index.
fn target_run<'s>(ctx: &ReadCtx<'s>) -> Result<(i64, &'s Run, Option<usize>), ApiError> {
    let id = required_i64(ctx, "run_id")?;
    let (run, task) = ctx.state.jobs.locate(id).ok_or_else(|| run_missing(id))?;
    Ok((id, run, task))
}

/// `GET jobs/runs/get`.
fn runs_get(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let page = if ctx.version == "2.2" {
        array_page(ctx)?
    } else {
        0
    };
    let history = ctx.params.opt_bool("include_history")?.unwrap_or(false);
    let (_, run, task) = target_run(ctx)?;
    let now = ctx.now_ms;
    let clusters = &ctx.state.clusters;
    if let Some(i) = task {
        return Ok(Reply::json(task_as_run(run, &run.tasks[i], clusters, now)));
    }
    let (mut v, more) = run_json(run, ctx.version, true, history, page, clusters, now);
    if more {
        v["next_page_token"] = json!(encode_token(
            "page",
            i64::try_from(page + 1).unwrap_or(0),
            0
        ));
    }
    Ok(Reply::json(v))
}

/// `GET jobs/runs/get-output`: the output of a task run (or of a run with one task).
fn runs_get_output(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let (id, run, task) = target_run(ctx)?;
    let now = ctx.now_ms;
    let clusters = &ctx.state.clusters;
    let (t, metadata) = match task {
        Some(i) => (&run.tasks[i], task_as_run(run, &run.tasks[i], clusters, now)),
        None if run.tasks.len() == 1 => (
            &run.tasks[0],
            run_json(run, ctx.version, true, false, 0, clusters, now).0,
        ),
        None => {
            return Err(invalid(format!(
                "Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead. Run {id} has {} tasks.",
                run.tasks.len()
            )))
        }
    };
    let mut out = json!({ "metadata": metadata });
    if !t.life.is_active() {
        let o = &t.output;
        if t.spec.contains_key("notebook_task") && o.result == "SUCCESS" {
            let mut nb = json!({ "truncated": false });
            if let Some(r) = &o.notebook_result {
                if r.len() > MAX_NOTEBOOK_RESULT_BYTES {
                    let mut cut = MAX_NOTEBOOK_RESULT_BYTES;
                    while !r.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    nb = json!({"result": &r[..cut], "truncated": true});
                } else {
                    nb["result"] = json!(r);
                }
            }
            out["notebook_output"] = nb;
        } else if !t.spec.contains_key("notebook_task") && o.result == "SUCCESS" {
            out["logs"] = json!("");
            out["logs_truncated"] = json!(false);
        }
        if let Some(e) = &o.error {
            out["error"] = json!(e);
        }
        if let Some(e) = &o.error_trace {
            out["error_trace"] = json!(e);
        }
    }
    Ok(Reply::json(out))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET jobs/runs/export`: an HTML view of a notebook task run's notebook.
fn runs_export(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let views = ctx
        .params
        .opt_str("views_to_export")?
        .unwrap_or("CODE")
        .to_owned();
    if !matches!(views.as_str(), "CODE" | "DASHBOARDS" | "ALL") {
        return Err(invalid(format!(
            "Invalid views_to_export {views}: expected CODE, DASHBOARDS or ALL."
        )));
    }
    let (id, run, task) = target_run(ctx)?;
    let t = match task {
        Some(i) => &run.tasks[i],
        None if run.tasks.len() == 1 => &run.tasks[0],
        None => {
            return Err(invalid(format!(
                "Exporting runs with multiple tasks is not supported: export each task run of run {id}."
            )))
        }
    };
    let Some(path) = t
        .spec
        .get("notebook_task")
        .and_then(|n| n.get("notebook_path"))
        .and_then(Value::as_str)
    else {
        return Err(invalid(format!(
            "Run {id} is not a notebook run: only notebook runs can be exported."
        )));
    };
    if views == "DASHBOARDS" {
        return Ok(Reply::json(json!({ "views": [] })));
    }
    let name = crate::state::workspace::name_of(path).to_owned();
    let body = match ctx.state.workspace.get(path).map(|n| &n.kind) {
        Some(Kind::Notebook(nb)) => nb
            .cells
            .iter()
            .map(|c| format!("<div class=\"cell\"><pre>{}</pre></div>", html_escape(c)))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    let html = format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{body}\n</body>\n</html>\n",
        html_escape(&name)
    );
    Ok(Reply::json(json!({
        "views": [{"content": html, "name": name, "type": "NOTEBOOK"}]
    })))
}

/// `POST jobs/runs/cancel`: asynchronous; a no-op on a run that has ended.
fn runs_cancel(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (_, run, _) = target_run(&ctx.view())?;
    require_run_manager(&ctx.view(), run)?;
    let run_id = run.run_id;
    let now = ctx.now_ms;
    let state = &mut *ctx.state;
    state
        .jobs
        .cancel(run_id, now, &mut state.clusters, &state.workspace);
    Ok(Reply::empty())
}

/// `POST jobs/runs/cancel-all`: every active run of `job_id`, or with `all_queued_runs` every
/// queued run (of the job, or of the workspace without `job_id`).
fn runs_cancel_all(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let job_id = ctx.params.opt_i64("job_id")?;
    let all_queued = ctx.params.opt_bool("all_queued_runs")?.unwrap_or(false);
    let ids = match job_id {
        Some(j) => {
            let job = ctx.state.jobs.jobs.get(&j).ok_or_else(|| job_missing(j))?;
            require_owner(&ctx.view(), job)?;
            ctx.state.jobs.active_runs(Some(j), true)
        }
        None if all_queued => ctx.state.jobs.active_runs(None, true),
        None => return Err(invalid("Either job_id or all_queued_runs must be set.")),
    };
    let now = ctx.now_ms;
    let state = &mut *ctx.state;
    for id in ids {
        state
            .jobs
            .cancel(id, now, &mut state.clusters, &state.workspace);
    }
    Ok(Reply::empty())
}

/// `POST jobs/runs/delete`: only a run that has ended.
fn runs_delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (id, run, task) = target_run(&ctx.view())?;
    require_run_manager(&ctx.view(), run)?;
    if task.is_some() {
        return Err(invalid(format!(
            "Run {id} is a task run: delete its job run {} instead.",
            run.run_id
        )));
    }
    if run.life.is_active() {
        return Err(ApiError::new(
            ErrorCode::InvalidState,
            format!("Run {id} is still active: only runs that have ended can be deleted."),
        ));
    }
    ctx.state.jobs.delete_run(id);
    Ok(Reply::empty())
}

/// `POST jobs/runs/repair` (2.1+) → `{"repair_id"}`: re-run some tasks of an ended run.
fn runs_repair(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (id, run, task) = target_run(&ctx.view())?;
    require_run_manager(&ctx.view(), run)?;
    if task.is_some() {
        return Err(invalid(format!(
            "Run {id} is a task run: repair its job run instead."
        )));
    }
    if run.life.is_active() {
        return Err(ApiError::new(
            ErrorCode::InvalidState,
            format!("Run {id} is still active and cannot be repaired."),
        ));
    }
    let latest = run.repairs.last().filter(|r| !r.original).map(|r| r.id);
    let given = ctx.params.opt_i64("latest_repair_id")?;
    if given != latest && (given.is_some() || latest.is_some()) {
        return Err(invalid(match latest {
            Some(l) => format!(
                "The latest_repair_id {} does not match the latest repair {l} of run {id}.",
                given.map_or("(none)".to_owned(), |g| g.to_string())
            ),
            None => format!("Run {id} has not been repaired: latest_repair_id must not be set."),
        }));
    }
    let rerun_tasks = ctx.params.opt_str_list("rerun_tasks")?.unwrap_or_default();
    let all_failed = ctx
        .params
        .opt_bool("rerun_all_failed_tasks")?
        .unwrap_or(false);
    let dependents = ctx
        .params
        .opt_bool("rerun_dependent_tasks")?
        .unwrap_or(false);
    if rerun_tasks.is_empty() && !all_failed {
        return Err(invalid(
            "One of rerun_tasks or rerun_all_failed_tasks must be set.",
        ));
    }
    let mut chosen: Vec<usize> = Vec::new();
    for k in &rerun_tasks {
        let i = run
            .tasks
            .iter()
            .position(|t| &t.task_key == k)
            .ok_or_else(|| invalid(format!("Task {k} is not a task of run {id}.")))?;
        chosen.push(i);
    }
    if all_failed {
        for (i, t) in run.tasks.iter().enumerate() {
            let failed = !matches!(t.result, Some("SUCCESS" | "EXCLUDED" | "DISABLED"));
            if failed && !chosen.contains(&i) {
                chosen.push(i);
            }
        }
    }
    if dependents {
        loop {
            let before = chosen.len();
            for (i, t) in run.tasks.iter().enumerate() {
                let depends = t
                    .depends_on
                    .iter()
                    .any(|d| chosen.iter().any(|c| &run.tasks[*c].task_key == d));
                if depends && !chosen.contains(&i) {
                    chosen.push(i);
                }
            }
            if chosen.len() == before {
                break;
            }
        }
    }
    chosen.sort_unstable();
    let run_id = run.run_id;
    let now = ctx.now_ms;
    let state = &mut *ctx.state;
    let repair_id = state
        .jobs
        .repair(run_id, &chosen, now, &mut state.clusters, &state.workspace);
    Ok(Reply::json(json!({ "repair_id": repair_id })))
}
