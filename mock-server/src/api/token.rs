//! Token API — `/api/2.0/token` (catalogue §3): the caller's own personal access tokens.

use http::Method;
use serde_json::{json, Map, Value};

use super::{Ctx, Reply, Route};
use crate::error::{ApiError, ErrorCode};
use crate::state::TokenRecord;

/// The Token API routes (2.0 only).
pub(crate) fn routes() -> Vec<Route> {
    const V: &[&str] = &["2.0"];
    vec![
        Route::new(Method::POST, "token/create", V, create),
        Route::new(Method::GET, "token/list", V, list),
        Route::new(Method::POST, "token/delete", V, delete),
        Route::new(Method::PATCH, "token/{token_id}", V, update),
    ]
}

/// PublicTokenInfo: `expiry_time` -1 means never; absent comment/scopes are omitted.
fn token_info(token_id: &str, t: &TokenRecord) -> Value {
    let mut info = Map::new();
    info.insert("token_id".into(), json!(token_id));
    info.insert("creation_time".into(), json!(t.creation_time));
    info.insert("expiry_time".into(), json!(t.expiry_time.unwrap_or(-1)));
    if let Some(c) = &t.comment {
        info.insert("comment".into(), json!(c));
    }
    if let Some(s) = &t.scopes {
        info.insert("scopes".into(), json!(s));
    }
    Value::Object(info)
}

/// `POST token/create`.
fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let lifetime = ctx.params.opt_i64("lifetime_seconds")?;
    let comment = ctx.params.opt_str("comment")?.map(str::to_owned);
    let scopes = ctx.params.opt_str_list("scopes")?;
    // Accepted for compatibility with newer clients; the emulator does not infer scopes.
    ctx.params.opt_bool("autoscope_enabled")?;
    let (value, id) = ctx.state.tokens.create_pat(
        &ctx.caller.id,
        ctx.now_ms,
        lifetime,
        comment,
        scopes,
        ctx.limits,
    )?;
    let info = ctx
        .state
        .tokens
        .live_pats_of(&ctx.caller.id, ctx.now_ms)
        .into_iter()
        .find(|(tid, _)| *tid == id)
        .map(|(tid, t)| token_info(tid, t))
        .ok_or_else(|| ApiError::internal("token vanished after creation"))?;
    Ok(Reply::json(
        json!({"token_value": value, "token_info": info}),
    ))
}

/// `GET token/list`: the caller's live PATs, oldest first.
fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let infos: Vec<Value> = ctx
        .state
        .tokens
        .live_pats_of(&ctx.caller.id, ctx.now_ms)
        .into_iter()
        .map(|(id, t)| token_info(id, t))
        .collect();
    Ok(Reply::json(json!({ "token_infos": infos })))
}

/// `POST token/delete`.
fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let token_id = ctx.params.str("token_id")?;
    if ctx
        .state
        .tokens
        .revoke_own_pat(&ctx.caller.id, token_id, ctx.now_ms)
    {
        Ok(Reply::empty())
    } else {
        Err(ApiError::does_not_exist(format!(
            "Token with id {token_id} does not exist."
        )))
    }
}

/// Fields `PATCH token/{token_id}` may change.
const UPDATABLE: [&str; 2] = ["comment", "scopes"];

/// `PATCH token/{token_id}` with `{"token":{..},"update_mask":"comment,scopes"}` → `{}`.
///
/// The official reference documents the `{}` answer (the catalogue's `{token_info}` is not
/// what the server sends).
/// Fields named in the mask are set from `token` (cleared when absent there); without a mask,
/// every updatable field present in `token` is set. `*` names every updatable field.
fn update(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let token_id = ctx.path_param("token_id")?.to_owned();
    let patch = ctx.params.opt_object("token")?.unwrap_or_default();
    let fields: Vec<&str> = match ctx.params.opt_str("update_mask")? {
        Some(mask) => {
            let mut fields = Vec::new();
            for f in mask.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                match f {
                    "*" => fields.extend(UPDATABLE),
                    f if UPDATABLE.contains(&f) => fields.push(f),
                    other => {
                        return Err(ApiError::invalid_parameter(format!(
                            "Invalid update_mask field: {other}. Updatable fields are: {}",
                            UPDATABLE.join(", ")
                        )))
                    }
                }
            }
            fields
        }
        None => UPDATABLE.into_iter().filter(|f| patch.has(f)).collect(),
    };
    // Validate before touching the token so a bad request changes nothing.
    let comment = patch.opt_str("comment")?.map(str::to_owned);
    let scopes = patch.opt_str_list("scopes")?;
    let tok = ctx
        .state
        .tokens
        .own_pat_mut(&ctx.caller.id, &token_id, ctx.now_ms)
        .ok_or_else(|| {
            ApiError::new(ErrorCode::NotFound, format!("Token {token_id} not found."))
        })?;
    if fields.contains(&"comment") {
        tok.comment = comment;
    }
    if fields.contains(&"scopes") {
        tok.scopes = scopes;
    }
    Ok(Reply::empty())
}
