//! `/__mock/*`: the emulator's own control API (JSON in/out, no authentication, no faults, not
//! journaled). Errors use the Databricks envelope.
//!
//! | Route | Body | Answer |
//! |---|---|---|
//! | `GET /__mock/health` | | `{"status":"ok"}` |
//! | `POST /__mock/users` | `{user_name, display_name?, admin?}` | the user |
//! | `POST /__mock/service-principals` | `{display_name, admin?}` | `{id, application_id, display_name, client_secret}` |
//! | `POST /__mock/tokens` | `{principal, lifetime_seconds?, comment?}` | `{token_value, token_id}` |
//! | `POST /__mock/groups` | `{name}` | `{id, display_name}` |
//! | `POST /__mock/groups/members` | `{group, member}` | `{}` |
//! | `GET /__mock/clock` | | `{now_ms, frozen, mode}` |
//! | `POST /__mock/clock` | `{set_ms?, advance_ms?, freeze?}` (applied in that order) | `{now_ms, frozen, mode}` |
//! | `GET /__mock/faults` | | `{faults:[{id, ..fault, fired}]}` |
//! | `POST /__mock/faults` | a [`crate::Fault`] | `{id}` |
//! | `DELETE /__mock/faults` | | `{}` |
//! | `DELETE /__mock/faults/{id}` | | `{}` (404 if unknown) |
//! | `GET /__mock/journal` | | `{entries:[..]}` |
//! | `DELETE /__mock/journal` | | `{}` |
//! | `POST /__mock/settle` | | `{now_ms}`: every time-driven resource settled to the clock now |
//! | `GET /__mock/clusters/delays` | | `{start_ms, restart_ms, resize_ms, terminate_ms}` |
//! | `POST /__mock/clusters/delays` | any of `{start_ms, restart_ms, resize_ms, terminate_ms}` | the delays now in force |
//! | `POST /__mock/clusters/finish` | | `{now_ms, moved}`: every cluster transition finished now (autotermination stays planned) |
//! | `GET /__mock/jobs/delays` | | `{pending_ms, task_ms, cleanup_ms}` |
//! | `POST /__mock/jobs/delays` | any of `{pending_ms, task_ms, cleanup_ms}` | the delays now in force |
//! | `GET /__mock/jobs/outcomes` | | `{outcomes:[..]}`: the scripted task outcomes, in the order they are tried |
//! | `POST /__mock/jobs/outcomes` | a [`crate::ScriptedOutcome`] | `{}`: tried after those already there |
//! | `DELETE /__mock/jobs/outcomes` | | `{}` |
//! | `POST /__mock/reset` | | `{}` |
//! | `GET /__mock/state` | | the state document (`persist.rs`; holds secrets) |
//! | `PUT /__mock/state` | a state document | `{}`; a bad document is 400 and changes nothing |
//! | `POST /__mock/snapshot` | | `{"path"}`: the state written to the state directory (400 without `--state-dir`) |

use std::time::Duration;

use http::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{Area, EmuCtx, Reply, Route};
use crate::error::ApiError;
use crate::faults::Fault;
use crate::persist::StateError;
use crate::state::clusters::ClusterDelays;
use crate::state::jobs::{JobDelays, ScriptedOutcome};

/// The largest state document `PUT /__mock/state` accepts (DBFS contents are base64 in it, so
/// a state is larger than the usual request body limit allows).
const MAX_STATE_DOCUMENT_BYTES: usize = 1024 * 1024 * 1024;

/// The `/__mock` routes.
pub(crate) fn routes() -> Vec<Route> {
    let route = |method, path, handler| Route::outside_api(Area::Admin, method, path, handler);
    vec![
        route(Method::GET, "__mock/health", |_| {
            Ok(Reply::json(json!({"status": "ok"})))
        }),
        route(Method::POST, "__mock/users", create_user),
        route(Method::POST, "__mock/service-principals", create_sp),
        route(Method::POST, "__mock/tokens", create_token),
        route(Method::POST, "__mock/groups", |ctx| {
            to_json(&ctx.emu.create_group(ctx.params.str("name")?)?)
        }),
        route(Method::POST, "__mock/groups/members", |ctx| {
            let p = ctx.params;
            ctx.emu
                .add_group_member(p.str("group")?, p.str("member")?)?;
            Ok(Reply::empty())
        }),
        route(Method::GET, "__mock/clock", |ctx| Ok(clock_json(ctx))),
        route(Method::POST, "__mock/clock", set_clock),
        route(Method::POST, "__mock/settle", |ctx| {
            let now_ms = ctx.emu.settle();
            Ok(Reply::json(json!({ "now_ms": now_ms })))
        }),
        route(Method::GET, "__mock/clusters/delays", |ctx| {
            Ok(delays_json(ctx.emu.cluster_delays()))
        }),
        route(Method::POST, "__mock/clusters/delays", set_cluster_delays),
        route(Method::POST, "__mock/clusters/finish", |ctx| {
            let moved = ctx.emu.finish_cluster_transitions();
            let now_ms = ctx.emu.clock().now_ms();
            Ok(Reply::json(json!({ "now_ms": now_ms, "moved": moved })))
        }),
        route(Method::GET, "__mock/jobs/delays", |ctx| {
            Ok(job_delays_json(ctx.emu.job_delays()))
        }),
        route(Method::POST, "__mock/jobs/delays", set_job_delays),
        route(Method::GET, "__mock/jobs/outcomes", |ctx| {
            Ok(Reply::json(json!({ "outcomes": ctx.emu.task_outcomes() })))
        }),
        route(Method::POST, "__mock/jobs/outcomes", add_task_outcome),
        route(Method::DELETE, "__mock/jobs/outcomes", |ctx| {
            ctx.emu.clear_task_outcomes();
            Ok(Reply::empty())
        }),
        route(Method::GET, "__mock/faults", |ctx| {
            Ok(Reply::json(json!({ "faults": ctx.emu.faults() })))
        }),
        route(Method::POST, "__mock/faults", add_fault),
        route(Method::DELETE, "__mock/faults", |ctx| {
            ctx.emu.clear_faults();
            Ok(Reply::empty())
        }),
        route(Method::DELETE, "__mock/faults/{id}", remove_fault),
        route(Method::GET, "__mock/journal", |ctx| {
            Ok(Reply::json(json!({ "entries": ctx.emu.journal() })))
        }),
        route(Method::DELETE, "__mock/journal", |ctx| {
            ctx.emu.clear_journal();
            Ok(Reply::empty())
        }),
        route(Method::POST, "__mock/reset", |ctx| {
            ctx.emu.reset();
            Ok(Reply::empty())
        }),
        route(Method::GET, "__mock/state", |ctx| {
            let doc = ctx.emu.export_state().map_err(state_error)?;
            Ok(Reply::bytes("application/json", doc.into()))
        }),
        route(Method::PUT, "__mock/state", |ctx| {
            ctx.emu.import_state(ctx.body).map_err(state_error)?;
            Ok(Reply::empty())
        })
        .with_max_body(MAX_STATE_DOCUMENT_BYTES),
        route(Method::POST, "__mock/snapshot", |ctx| {
            let path = ctx.emu.snapshot().map_err(state_error)?;
            Ok(Reply::json(json!({ "path": path.display().to_string() })))
        }),
    ]
}

/// `POST /__mock/users`.
fn create_user(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    #[derive(Deserialize)]
    struct Body {
        user_name: String,
        display_name: Option<String>,
        admin: Option<bool>,
    }
    let b: Body = ctx.params.decode()?;
    let user = ctx.emu.create_user_named(
        &b.user_name,
        b.display_name.as_deref(),
        b.admin.unwrap_or(false),
    )?;
    to_json(&user)
}

/// `POST /__mock/service-principals`.
fn create_sp(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    #[derive(Deserialize)]
    struct Body {
        display_name: String,
        admin: Option<bool>,
    }
    let b: Body = ctx.params.decode()?;
    to_json(
        &ctx.emu
            .create_service_principal(&b.display_name, b.admin.unwrap_or(false))?,
    )
}

/// `POST /__mock/tokens`.
fn create_token(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    #[derive(Deserialize)]
    struct Body {
        principal: String,
        lifetime_seconds: Option<i64>,
        comment: Option<String>,
    }
    let b: Body = ctx.params.decode()?;
    to_json(
        &ctx.emu
            .create_token_secs(&b.principal, b.lifetime_seconds, b.comment.as_deref())?,
    )
}

fn clock_json(ctx: &EmuCtx<'_>) -> Reply {
    let clock = ctx.emu.clock();
    Reply::json(json!({
        "now_ms": clock.now_ms(),
        "frozen": clock.is_frozen(),
        "mode": clock.mode().as_str(),
    }))
}

/// The latest time `POST /__mock/clock` sets: 9999-12-31T23:59:59.999Z.
const MAX_CLOCK_MS: i64 = 253_402_300_799_999;

/// `POST /__mock/clock`.
fn set_clock(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    #[derive(Deserialize)]
    struct Body {
        set_ms: Option<i64>,
        advance_ms: Option<i64>,
        freeze: Option<bool>,
    }
    let b: Body = ctx.params.decode()?;
    if b.advance_ms.is_some_and(|a| a < 0) {
        return Err(ApiError::invalid_parameter(
            "advance_ms must not be negative",
        ));
    }
    let clock = ctx.emu.clock();
    // The clock stays within 1970..=9999 so that timestamps plus lifetimes and delays keep
    // their meaning: at `i64::MAX` a token with a lifetime expired the instant it was made and
    // `token/create` answered 500 (found by `mock-server/tests/fuzz.rs`, regression test
    // `the_clock_stays_within_years_1970_to_9999`).
    let target = b
        .set_ms
        .unwrap_or_else(|| clock.now_ms())
        .saturating_add(b.advance_ms.unwrap_or(0));
    if b.set_ms.is_some_and(|t| !(0..=MAX_CLOCK_MS).contains(&t)) || target > MAX_CLOCK_MS {
        return Err(ApiError::invalid_parameter(format!(
            "The clock must stay between 0 and {MAX_CLOCK_MS} ms since the epoch \
             (1970-01-01 to 9999-12-31)."
        )));
    }
    if let Some(t) = b.set_ms {
        clock.set_ms(t);
    }
    if let Some(a) = b.advance_ms {
        clock.shift_ms(a);
    }
    match b.freeze {
        Some(true) => clock.freeze(),
        Some(false) => clock.unfreeze(),
        None => {}
    }
    Ok(clock_json(ctx))
}

fn delays_json(d: ClusterDelays) -> Reply {
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    Reply::json(json!({
        "start_ms": ms(d.start),
        "restart_ms": ms(d.restart),
        "resize_ms": ms(d.resize),
        "terminate_ms": ms(d.terminate),
    }))
}

/// `POST /__mock/clusters/delays`: change the given delays, keep the others.
fn set_cluster_delays(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    #[derive(Deserialize)]
    struct Body {
        start_ms: Option<u64>,
        restart_ms: Option<u64>,
        resize_ms: Option<u64>,
        terminate_ms: Option<u64>,
    }
    let b: Body = ctx.params.decode()?;
    let mut d = ctx.emu.cluster_delays();
    for (slot, v) in [
        (&mut d.start, b.start_ms),
        (&mut d.restart, b.restart_ms),
        (&mut d.resize, b.resize_ms),
        (&mut d.terminate, b.terminate_ms),
    ] {
        if let Some(ms) = v {
            *slot = Duration::from_millis(ms);
        }
    }
    ctx.emu.set_cluster_delays(d);
    Ok(delays_json(d))
}

fn job_delays_json(d: JobDelays) -> Reply {
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    Reply::json(json!({
        "pending_ms": ms(d.pending),
        "task_ms": ms(d.task),
        "cleanup_ms": ms(d.cleanup),
    }))
}

/// `POST /__mock/jobs/delays`: change the given delays, keep the others.
fn set_job_delays(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    #[derive(Deserialize)]
    struct Body {
        pending_ms: Option<u64>,
        task_ms: Option<u64>,
        cleanup_ms: Option<u64>,
    }
    let b: Body = ctx.params.decode()?;
    let mut d = ctx.emu.job_delays();
    for (slot, v) in [
        (&mut d.pending, b.pending_ms),
        (&mut d.task, b.task_ms),
        (&mut d.cleanup, b.cleanup_ms),
    ] {
        if let Some(ms) = v {
            *slot = Duration::from_millis(ms);
        }
    }
    ctx.emu.set_job_delays(d);
    Ok(job_delays_json(d))
}

/// `POST /__mock/jobs/outcomes`.
fn add_task_outcome(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    let body = Value::Object(ctx.params.map().clone());
    let outcome: ScriptedOutcome = serde_json::from_value(body)
        .map_err(|e| ApiError::invalid_parameter(format!("Invalid task outcome: {e}")))?;
    ctx.emu.script_task_outcome(outcome);
    Ok(Reply::empty())
}

/// `POST /__mock/faults`.
fn add_fault(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    let body = Value::Object(ctx.params.map().clone());
    let fault: Fault = serde_json::from_value(body)
        .map_err(|e| ApiError::invalid_parameter(format!("Invalid fault: {e}")))?;
    fault.validate()?;
    Ok(Reply::json(json!({ "id": ctx.emu.add_fault(fault) })))
}

/// `DELETE /__mock/faults/{id}`.
fn remove_fault(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    let raw = ctx.path_param("id")?;
    match raw
        .parse::<u64>()
        .ok()
        .filter(|id| ctx.emu.remove_fault(*id))
    {
        Some(_) => Ok(Reply::empty()),
        None => Err(ApiError::does_not_exist(format!(
            "No fault at {}",
            ctx.uri.path()
        ))),
    }
}

/// A document or state-directory problem: 400 `INVALID_PARAMETER_VALUE` (the document, or no
/// state directory), 500 for a file system failure.
fn state_error(e: StateError) -> ApiError {
    match e {
        StateError::Io { .. } => ApiError::internal(e.to_string()),
        _ => ApiError::invalid_parameter(e.to_string()),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Reply, ApiError> {
    serde_json::to_value(value)
        .map(Reply::json)
        .map_err(|e| ApiError::internal(e.to_string()))
}
