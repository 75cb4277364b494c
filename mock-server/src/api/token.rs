//! Token API — `/api/2.0/token` (<https://docs.databricks.com/api/workspace/tokens>): the caller's own personal access tokens.

use http::Method;
use serde::{Deserialize, Serialize};

use super::{Access, Ctx, ReadCtx, Reply, Route};
use crate::error::{ApiError, ErrorCode};
use crate::state::TokenRecord;

/// The Token API routes (2.0 only).
pub(crate) fn routes() -> Vec<Route> {
    const V: &[&str] = &["2.0"];
    vec![
        Route::new(Method::POST, "token/create", V, create).access(Access::AnyUser),
        Route::read(Method::GET, "token/list", V, list).access(Access::AnyUser),
        Route::new(Method::POST, "token/delete", V, delete).access(Access::Resource {
            status: 404,
            error_code: "RESOURCE_DOES_NOT_EXIST",
        }),
        Route::new(Method::PATCH, "token/{token_id}", V, update).access(Access::Resource {
            status: 404,
            error_code: "NOT_FOUND",
        }),
    ]
}

/// `PublicTokenInfo`: `expiry_time` -1 means never; absent comment/scopes are omitted.
#[derive(Debug, Serialize)]
struct TokenInfo<'a> {
    token_id: &'a str,
    creation_time: i64,
    expiry_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<&'a [String]>,
}

impl<'a> TokenInfo<'a> {
    fn of(token_id: &'a str, t: &'a TokenRecord) -> Self {
        Self {
            token_id,
            creation_time: t.creation_time,
            expiry_time: t.expiry_time.unwrap_or(-1),
            comment: t.comment.as_deref(),
            scopes: t.scopes.as_deref(),
        }
    }
}

/// `POST token/create` request.
#[derive(Debug, Deserialize)]
struct CreateRequest {
    lifetime_seconds: Option<i64>,
    comment: Option<String>,
    scopes: Option<Vec<String>>,
    /// Accepted for compatibility with newer clients; the emulator does not infer scopes.
    #[allow(dead_code)]
    autoscope_enabled: Option<bool>,
}

/// `POST token/create`.
fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let req: CreateRequest = ctx.decode()?;
    let (value, id) = ctx.state.tokens.create_pat(
        &ctx.caller.id,
        ctx.now_ms,
        req.lifetime_seconds,
        req.comment,
        req.scopes,
        ctx.limits,
    )?;
    let pats = ctx.state.tokens.live_pats_of(&ctx.caller.id, ctx.now_ms);
    let info = pats
        .into_iter()
        .find(|(tid, _)| *tid == id)
        .map(|(tid, t)| TokenInfo::of(tid, t))
        .ok_or_else(|| ApiError::internal("token vanished after creation"))?;
    #[derive(Serialize)]
    struct Created<'a> {
        token_value: String,
        token_info: TokenInfo<'a>,
    }
    Reply::typed(&Created {
        token_value: value,
        token_info: info,
    })
}

/// `GET token/list`: the caller's live PATs, oldest first.
///
/// The answer is written by hand ([`write_list`]): every SDK and tool calls this to check its
/// token, and it is the emulator's throughput benchmark (issue 14).
fn list(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let pats = ctx.state.tokens.live_pats_of(&ctx.caller.id, ctx.now_ms);
    let json = crate::json_text::with_scratch(|out| {
        write_list(out, &pats);
        Ok::<(), ApiError>(())
    })?;
    Reply::json_text(json)
}

/// `{"token_infos":[..]}` with each [`TokenInfo`] as serde_json writes it (same keys, order and
/// escapes; a test compares the two).
fn write_list(out: &mut Vec<u8>, pats: &[(&str, &TokenRecord)]) {
    use crate::json_text::{write_i64, write_str};
    out.extend_from_slice(br#"{"token_infos":["#);
    for (i, (id, t)) in pats.iter().enumerate() {
        let info = TokenInfo::of(id, t);
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"token_id":"#);
        write_str(out, info.token_id);
        out.extend_from_slice(br#","creation_time":"#);
        write_i64(out, info.creation_time);
        out.extend_from_slice(br#","expiry_time":"#);
        write_i64(out, info.expiry_time);
        if let Some(comment) = info.comment {
            out.extend_from_slice(br#","comment":"#);
            write_str(out, comment);
        }
        if let Some(scopes) = info.scopes {
            out.extend_from_slice(br#","scopes":["#);
            for (j, scope) in scopes.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                write_str(out, scope);
            }
            out.push(b']');
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
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
/// The official reference documents the `{}` answer (a `{token_info}` answer, which some
/// references show, is not what the server sends).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::TokenStore;

    /// The hand-written list is the text serde_json writes for the same `TokenInfo`s: no
    /// token, one, several, with and without comments and scopes, and strings to escape.
    #[test]
    fn the_written_list_is_what_serde_json_writes() {
        #[derive(Serialize)]
        struct Expected<'a> {
            token_infos: Vec<TokenInfo<'a>>,
        }
        /// A token's comment, scopes and expiry time.
        type Case<'c> = (Option<&'c str>, Option<Vec<&'c str>>, Option<i64>);
        let mut store = TokenStore::default();
        let cases: Vec<Case<'_>> = vec![
            (None, None, None),
            (Some("dbx-mock-server admin token"), None, Some(2_000)),
            (Some(""), Some(vec![]), None),
            (
                Some("quote \" back \\ tab \t nl \n nul \u{0} é 😀"),
                None,
                None,
            ),
            (None, Some(vec!["all-apis", "sql \"x\""]), Some(-5)),
        ];
        for (i, (comment, scopes, expiry)) in cases.into_iter().enumerate() {
            let pats = store.live_pats_of("owner", 0);
            let mut out = Vec::new();
            write_list(&mut out, &pats);
            let expected = Expected {
                token_infos: pats.iter().map(|(id, t)| TokenInfo::of(id, t)).collect(),
            };
            let expected = serde_json::to_vec(&expected).expect("serde_json");
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&expected),
                "after {i} tokens"
            );
            store.insert_pat(
                &format!("dapi{i:032}"),
                "owner",
                i64::try_from(i).unwrap_or(0),
                expiry,
                comment.map(str::to_owned),
                scopes.map(|s| s.into_iter().map(str::to_owned).collect()),
            );
        }
    }
}
