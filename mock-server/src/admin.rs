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
//! | `GET /__mock/clock` | | `{now_ms, frozen}` |
//! | `POST /__mock/clock` | `{set_ms?, advance_ms?, freeze?}` (applied in that order) | `{now_ms, frozen}` |
//! | `GET /__mock/faults` | | `{faults:[{id, ..fault, fired}]}` |
//! | `POST /__mock/faults` | a [`crate::Fault`] | `{id}` |
//! | `DELETE /__mock/faults` | | `{}` |
//! | `DELETE /__mock/faults/{id}` | | `{}` (404 if unknown) |
//! | `GET /__mock/journal` | | `{entries:[..]}` |
//! | `DELETE /__mock/journal` | | `{}` |
//! | `POST /__mock/reset` | | `{}` |

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::Method;
use serde_json::{json, Value};

use crate::emulator::Emulator;
use crate::error::ApiError;
use crate::faults::Fault;
use crate::params::{parse_json_object, Params};
use crate::router::{ok_json, read_body};

/// Handle one `/__mock` request.
pub(crate) async fn handle(emu: &Emulator, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    let result = match read_body(body, &parts.headers, emu.inner.config.max_body_bytes).await {
        Ok(body) => parse_json_object(&body).and_then(|map| {
            let value = Value::Object(map.clone());
            let params = Params::merge(map, Params::query_pairs(parts.uri.query()));
            route(emu, &method, &path, &params, value)
        }),
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => ok_json(&v),
        Err(e) => e.into_response(),
    }
}

fn clock_json(emu: &Emulator) -> Value {
    json!({"now_ms": emu.clock().now_ms(), "frozen": emu.clock().is_frozen()})
}

fn route(
    emu: &Emulator,
    method: &Method,
    path: &str,
    p: &Params,
    body: Value,
) -> Result<Value, ApiError> {
    match (method, path.trim_end_matches('/')) {
        (&Method::GET, "/__mock/health") => Ok(json!({"status": "ok"})),
        (&Method::POST, "/__mock/users") => {
            let user = emu.create_user_named(
                p.str("user_name")?,
                p.opt_str("display_name")?,
                p.opt_bool("admin")?.unwrap_or(false),
            )?;
            to_json(&user)
        }
        (&Method::POST, "/__mock/service-principals") => {
            let sp = emu.create_service_principal(
                p.str("display_name")?,
                p.opt_bool("admin")?.unwrap_or(false),
            )?;
            to_json(&sp)
        }
        (&Method::POST, "/__mock/tokens") => {
            let token = emu.create_token_secs(
                p.str("principal")?,
                p.opt_i64("lifetime_seconds")?,
                p.opt_str("comment")?,
            )?;
            to_json(&token)
        }
        (&Method::POST, "/__mock/groups") => to_json(&emu.create_group(p.str("name")?)?),
        (&Method::POST, "/__mock/groups/members") => {
            emu.add_group_member(p.str("group")?, p.str("member")?)?;
            Ok(json!({}))
        }
        (&Method::GET, "/__mock/clock") => Ok(clock_json(emu)),
        (&Method::POST, "/__mock/clock") => {
            let set = p.opt_i64("set_ms")?;
            let advance = p.opt_i64("advance_ms")?;
            let freeze = p.opt_bool("freeze")?;
            if advance.is_some_and(|a| a < 0) {
                return Err(ApiError::invalid_parameter(
                    "advance_ms must not be negative",
                ));
            }
            if let Some(t) = set {
                emu.clock().set_ms(t);
            }
            if let Some(a) = advance {
                emu.clock().shift_ms(a);
            }
            match freeze {
                Some(true) => emu.clock().freeze(),
                Some(false) => emu.clock().unfreeze(),
                None => {}
            }
            Ok(clock_json(emu))
        }
        (&Method::GET, "/__mock/faults") => Ok(json!({ "faults": emu.faults() })),
        (&Method::POST, "/__mock/faults") => {
            let fault: Fault = serde_json::from_value(body)
                .map_err(|e| ApiError::invalid_parameter(format!("Invalid fault: {e}")))?;
            fault.validate()?;
            Ok(json!({ "id": emu.add_fault(fault) }))
        }
        (&Method::DELETE, "/__mock/faults") => {
            emu.clear_faults();
            Ok(json!({}))
        }
        (&Method::DELETE, p) if p.starts_with("/__mock/faults/") => {
            let id = p
                .trim_start_matches("/__mock/faults/")
                .parse::<u64>()
                .ok()
                .filter(|id| emu.remove_fault(*id));
            match id {
                Some(_) => Ok(json!({})),
                None => Err(ApiError::does_not_exist(format!("No fault at {p}"))),
            }
        }
        (&Method::GET, "/__mock/journal") => Ok(json!({ "entries": emu.journal() })),
        (&Method::DELETE, "/__mock/journal") => {
            emu.clear_journal();
            Ok(json!({}))
        }
        (&Method::POST, "/__mock/reset") => {
            emu.reset();
            Ok(json!({}))
        }
        _ => Err(ApiError::endpoint_not_found(method.as_str(), path)),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::internal(e.to_string()))
}
