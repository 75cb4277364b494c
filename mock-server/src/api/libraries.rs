//! Libraries API — `/api/2.0/libraries/*` (<https://docs.databricks.com/api/workspace/instanceprofiles>), and the `/__mock/libraries/*` admin
//! routes that make installs fail.
//!
//! | route | request | answer |
//! |---|---|---|
//! | `GET libraries/all-cluster-statuses` | – | `{"statuses": [{"cluster_id", "library_statuses"}]}`, every cluster that has libraries |
//! | `GET libraries/cluster-status` | `cluster_id` | `{"cluster_id", "library_statuses": [LibraryFullStatus]}` |
//! | `POST libraries/install` | `cluster_id`, `libraries` | `{}`; the install runs on the clock |
//! | `POST libraries/uninstall` | `cluster_id`, `libraries` | `{}`; removal at the next restart |
//!
//! `cluster-status` lists the libraries to install in the order they were added, then those
//! marked for removal (the order the docs give: docs.databricks.com "libraries
//! cluster-status"). Each status carries `library` as it was sent, `status`, `messages` when
//! there are any, and `is_library_for_all_clusters: false` (libraries for every cluster, set in
//! the UI, are not emulated).
//!
//! Validation, with the codes of the rest of the service (the messages are ours [inf]): each
//! library names exactly one of `jar`, `egg`, `whl`, `requirements`, `pypi`, `maven`, `cran`
//! (otherwise `INVALID_PARAMETER_VALUE`); Maven `coordinates` are `group:artifact:version`;
//! PyPI and CRAN `package`s are not empty; `jar`, `egg` and `whl` are workspace files
//! (`/Workspace/...`), Unity Catalog volume files (`/Volumes/...`) or object-storage / DBFS URIs
//! (`dbfs:/`, `s3://`, `s3a://`, `abfss://`, `wasbs://`, `gs://`, `adl://`), and a
//! `requirements` file is a workspace or volume file (the Python SDK's `Library` docs). Fields
//! of the wrong JSON type are `MALFORMED_REQUEST`; unknown keys of a library are ignored. An
//! unknown cluster is 400 `INVALID_PARAMETER_VALUE` "Cluster <id> does not exist", as the
//! Clusters API answers (<https://docs.databricks.com/api/workspace/introduction>). Installing and uninstalling need `CAN_MANAGE` on the
//! cluster ("Attach library to cluster" in the cluster permission table); reads are open to
//! every user. `install` of an identical spec twice changes nothing; `uninstall` of a library
//! the cluster does not have is ignored (the API reference says so).
//!
//! Admin routes (no authentication):
//!
//! | route | body | answer |
//! |---|---|---|
//! | `GET /__mock/libraries/failures` | | `{"failures": [{pattern, kind, message?}]}` |
//! | `POST /__mock/libraries/failures` | `{pattern, kind?: "FAILED"\|"SKIPPED", message?}` | `{}`: matching installs end so from now on |
//! | `DELETE /__mock/libraries/failures` | | `{}` |
//! | `GET /__mock/libraries/delays` | | `{resolve_ms, install_ms, finish_ms}` |
//! | `POST /__mock/libraries/delays` | any of `{resolve_ms, install_ms, finish_ms}` | the delays now in force |

use std::time::Duration;

use http::Method;
use serde_json::{json, Map, Value};

use super::{Access, Area, Ctx, EmuCtx, ReadCtx, Reply, Route};
use crate::emulator::Emulator;
use crate::error::{ApiError, ErrorCode};
use crate::state::clusters::{ClusterLevel, ClusterState};
use crate::state::libraries::{Entry, FailureKind, LibraryDelays, LibraryFailure};

/// The library kinds, in the order messages name them.
const KINDS: &[&str] = &["jar", "egg", "whl", "requirements", "pypi", "maven", "cran"];
/// The URI prefixes accepted for `jar`, `egg` and `whl`.
const FILE_PREFIXES: &[&str] = &[
    "/Workspace/",
    "/Volumes/",
    "dbfs:/",
    "s3://",
    "s3a://",
    "abfss://",
    "wasbs://",
    "gs://",
    "adl://",
];
/// The prefixes accepted for `requirements`.
const REQUIREMENTS_PREFIXES: &[&str] = &["/Workspace/", "/Volumes/"];

/// The Libraries API routes (2.0) and their admin routes.
pub(crate) fn routes() -> Vec<Route> {
    const V: &[&str] = &["2.0"];
    let admin = |method, path, handler| Route::outside_api(Area::Admin, method, path, handler);
    vec![
        Route::read(
            Method::GET,
            "libraries/all-cluster-statuses",
            V,
            all_cluster_statuses,
        )
        .access(Access::AnyUser),
        Route::read(Method::GET, "libraries/cluster-status", V, cluster_status)
            .access(Access::AnyUser),
        Route::new(Method::POST, "libraries/install", V, install).access(Access::DENIED),
        Route::new(Method::POST, "libraries/uninstall", V, uninstall).access(Access::DENIED),
        admin(Method::GET, "__mock/libraries/failures", list_failures),
        admin(Method::POST, "__mock/libraries/failures", add_failure),
        admin(Method::DELETE, "__mock/libraries/failures", |ctx| {
            ctx.emu.clear_library_failures();
            Ok(Reply::empty())
        }),
        admin(Method::GET, "__mock/libraries/delays", |ctx| {
            Ok(delays_json(ctx.emu.library_delays()))
        }),
        admin(Method::POST, "__mock/libraries/delays", set_delays),
    ]
}

// ---------------------------------------------------------------------------------------------
// Validation

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameterValue, msg)
}

/// `v` without its `null` members, recursively (`null` counts as absent).
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The string at `obj[key]`, named `path` in errors; `None` when absent.
fn opt_string<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, ApiError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::wrong_type(path, "string")),
    }
}

/// The required, non-empty string at `obj[key]`.
fn required_string<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a str, ApiError> {
    let s = opt_string(obj, key, path)?.ok_or_else(|| ApiError::missing_field(path))?;
    if s.trim().is_empty() {
        return Err(invalid(format!("{path} must not be empty.")));
    }
    Ok(s)
}

/// Check one library (`libraries[i]`) and return it as stored (known kind only, no nulls) with
/// its name.
fn check_library(v: &Value, index: usize) -> Result<Checked, ApiError> {
    let at = format!("libraries[{index}]");
    let Value::Object(obj) = without_nulls(v) else {
        return Err(ApiError::wrong_type(&at, "object"));
    };
    let kinds: Vec<&str> = KINDS
        .iter()
        .copied()
        .filter(|k| obj.contains_key(*k))
        .collect();
    let kind = match kinds.as_slice() {
        [one] => *one,
        [] => {
            let others: Vec<&str> = obj.keys().map(String::as_str).collect();
            let unknown = if others.is_empty() {
                String::new()
            } else {
                format!(" ({} is not a library kind)", others.join(", "))
            };
            return Err(invalid(format!(
                "{at} must specify exactly one of jar, egg, whl, requirements, pypi, maven or \
                 cran; it specifies none{unknown}."
            )));
        }
        many => {
            return Err(invalid(format!(
                "{at} must specify exactly one of jar, egg, whl, requirements, pypi, maven or \
                 cran; it specifies {}.",
                many.join(", ")
            )))
        }
    };
    let path = format!("{at}.{kind}");
    let value = obj.get(kind).cloned().unwrap_or(Value::Null);
    let name = match kind {
        "jar" | "egg" | "whl" | "requirements" => {
            let Value::String(uri) = &value else {
                return Err(ApiError::wrong_type(&path, "string"));
            };
            let (allowed, what) = if kind == "requirements" {
                (
                    REQUIREMENTS_PREFIXES,
                    "a workspace file (/Workspace/...) or a Unity Catalog volume file \
                     (/Volumes/...)",
                )
            } else {
                (
                    FILE_PREFIXES,
                    "a workspace file (/Workspace/...), a Unity Catalog volume file \
                     (/Volumes/...) or a DBFS or cloud storage URI (dbfs:/, s3://, s3a://, \
                     abfss://, wasbs://, gs://, adl://)",
                )
            };
            if uri.trim().is_empty() {
                return Err(invalid(format!("{path} must not be empty.")));
            }
            if !allowed.iter().any(|p| uri.starts_with(p)) {
                return Err(invalid(format!(
                    "Invalid {kind} path {uri} in {path}: it must be {what}."
                )));
            }
            uri.clone()
        }
        "pypi" | "cran" | "maven" => {
            let Value::Object(spec) = &value else {
                return Err(ApiError::wrong_type(&path, "object"));
            };
            let main = if kind == "maven" {
                "coordinates"
            } else {
                "package"
            };
            let name = required_string(spec, main, &format!("{path}.{main}"))?.to_owned();
            opt_string(spec, "repo", &format!("{path}.repo"))?;
            if kind == "maven" {
                let parts: Vec<&str> = name.split(':').collect();
                let well_formed = parts.len() == 3
                    && parts
                        .iter()
                        .all(|p| !p.is_empty() && !p.chars().any(char::is_whitespace));
                if !well_formed {
                    return Err(invalid(format!(
                        "Invalid Maven coordinates {name} in {path}.coordinates: expected \
                         groupId:artifactId:version, e.g. org.jsoup:jsoup:1.7.2."
                    )));
                }
                match spec.get("exclusions") {
                    None => {}
                    Some(Value::Array(items)) => {
                        for (j, x) in items.iter().enumerate() {
                            if !x.is_string() {
                                return Err(ApiError::wrong_type(
                                    &format!("{path}.exclusions[{j}]"),
                                    "string",
                                ));
                            }
                        }
                    }
                    Some(_) => {
                        return Err(ApiError::wrong_type(&format!("{path}.exclusions"), "array"))
                    }
                }
            }
            name
        }
        _ => return Err(ApiError::internal("unhandled library kind")),
    };
    // Empty lists are not part of a library's identity (answers omit them).
    let mut value = value;
    if let Value::Object(spec) = &mut value {
        spec.retain(|_, v| !matches!(v, Value::Array(a) if a.is_empty()));
    }
    let mut stored = Map::new();
    stored.insert(kind.to_owned(), value);
    Ok((stored, name))
}

/// A checked library: as stored, and its name.
type Checked = (Map<String, Value>, String);

/// An install or uninstall request, checked.
struct InstallRequest {
    cluster_id: String,
    libraries: Vec<Checked>,
    /// The cluster is `RUNNING` or `RESIZING`.
    nodes_up: bool,
}

/// The request's `cluster_id` and checked `libraries`; then the cluster's existence and the
/// caller's `CAN_MANAGE` on it.
fn install_request(ctx: &ReadCtx<'_>) -> Result<InstallRequest, ApiError> {
    let id = ctx.params.str("cluster_id")?.to_owned();
    let libraries = match ctx.params.value("libraries") {
        None => return Err(ApiError::missing_field("libraries")),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| check_library(v, i))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(ApiError::wrong_type("libraries", "array")),
    };
    let cluster = ctx
        .state
        .clusters
        .get(&id)
        .ok_or_else(|| invalid(format!("Cluster {id} does not exist")))?;
    if !cluster
        .info
        .grants
        .allows(&ctx.state.identity, ctx.caller, ClusterLevel::CanManage)
    {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!(
                "User {} does not have {} permission on cluster {id}.",
                ctx.caller.user_name,
                ClusterLevel::CanManage.as_str(),
            ),
        ));
    }
    let up = matches!(
        cluster.state(),
        ClusterState::Running | ClusterState::Resizing
    );
    Ok(InstallRequest {
        cluster_id: id,
        libraries,
        nodes_up: up,
    })
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// `POST libraries/install`.
fn install(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let req = install_request(&ctx.view())?;
    let now = ctx.now_ms;
    for (library, name) in req.libraries {
        ctx.state
            .libraries
            .install(&req.cluster_id, library, name, now, req.nodes_up);
    }
    Ok(Reply::empty())
}

/// `POST libraries/uninstall`.
fn uninstall(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let req = install_request(&ctx.view())?;
    let now = ctx.now_ms;
    for (library, _) in req.libraries {
        ctx.state
            .libraries
            .uninstall(&req.cluster_id, &library, now);
    }
    Ok(Reply::empty())
}

fn full_status(e: &Entry) -> Value {
    let mut s = json!({
        "library": Value::Object(e.library.clone()),
        "status": e.status().as_str(),
        "is_library_for_all_clusters": false,
    });
    if !e.messages.is_empty() {
        s["messages"] = json!(e.messages);
    }
    s
}

fn cluster_statuses(ctx: &ReadCtx<'_>, id: &str) -> Value {
    let statuses: Vec<Value> = ctx
        .state
        .libraries
        .of(id)
        .into_iter()
        .map(full_status)
        .collect();
    json!({ "cluster_id": id, "library_statuses": statuses })
}

/// `GET libraries/cluster-status`.
fn cluster_status(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let id = ctx.params.str("cluster_id")?.to_owned();
    if !ctx.state.clusters.contains(&id) {
        return Err(invalid(format!("Cluster {id} does not exist")));
    }
    Ok(Reply::json(cluster_statuses(ctx, &id)))
}

/// `GET libraries/all-cluster-statuses`: every cluster that has libraries.
fn all_cluster_statuses(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let ids: Vec<String> = ctx
        .state
        .libraries
        .cluster_ids()
        .filter(|id| ctx.state.clusters.contains(id))
        .cloned()
        .collect();
    let statuses: Vec<Value> = ids.iter().map(|id| cluster_statuses(ctx, id)).collect();
    Ok(Reply::json(json!({ "statuses": statuses })))
}

// ---------------------------------------------------------------------------------------------
// Admin

fn failure_json(f: &LibraryFailure) -> Value {
    let mut v = json!({
        "pattern": f.pattern,
        "kind": match f.kind { FailureKind::Failed => "FAILED", FailureKind::Skipped => "SKIPPED" },
    });
    if let Some(m) = &f.message {
        v["message"] = json!(m);
    }
    v
}

fn list_failures(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    let rules: Vec<Value> = ctx
        .emu
        .library_failures()
        .iter()
        .map(failure_json)
        .collect();
    Ok(Reply::json(json!({ "failures": rules })))
}

fn add_failure(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    let p = ctx.params;
    let mut rule = LibraryFailure::new(p.str("pattern")?);
    match p.opt_str("kind")? {
        None | Some("FAILED") => {}
        Some("SKIPPED") => rule = rule.skipped(),
        Some(other) => {
            return Err(invalid(format!(
                "kind must be FAILED or SKIPPED, not {other}."
            )))
        }
    }
    if let Some(m) = p.opt_str("message")? {
        rule = rule.message(m);
    }
    ctx.emu.add_library_failure(rule);
    Ok(Reply::empty())
}

fn delays_json(d: LibraryDelays) -> Reply {
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    Reply::json(json!({
        "resolve_ms": ms(d.resolve),
        "install_ms": ms(d.install),
        "finish_ms": ms(d.finish),
    }))
}

fn set_delays(ctx: &mut EmuCtx<'_>) -> Result<Reply, ApiError> {
    let p = ctx.params;
    let mut d = ctx.emu.library_delays();
    let get = |name: &str| -> Result<Option<Duration>, ApiError> {
        match p.opt_i64(name)? {
            None => Ok(None),
            Some(v) if v >= 0 => Ok(Some(Duration::from_millis(v.unsigned_abs()))),
            Some(_) => Err(invalid(format!("{name} must not be negative."))),
        }
    };
    if let Some(v) = get("resolve_ms")? {
        d.resolve = v;
    }
    if let Some(v) = get("install_ms")? {
        d.install = v;
    }
    if let Some(v) = get("finish_ms")? {
        d.finish = v;
    }
    ctx.emu.set_library_delays(d);
    Ok(delays_json(d))
}

impl Emulator {
    /// Make matching library installs fail from now on (see [`LibraryFailure`]); also
    /// `POST /__mock/libraries/failures`. [`Emulator::reset`] forgets the rules.
    ///
    /// ```
    /// let emu = dbx_mock_server::Emulator::new();
    /// emu.add_library_failure(dbx_mock_server::LibraryFailure::new("broken-*"));
    /// assert_eq!(emu.library_failures().len(), 1);
    /// ```
    pub fn add_library_failure(&self, rule: LibraryFailure) {
        self.inner.state.write().libraries.failures.push(rule);
    }

    /// The rules that make installs fail.
    pub fn library_failures(&self) -> Vec<LibraryFailure> {
        self.inner.state.read().libraries.failures.clone()
    }

    /// Forget every library failure rule.
    pub fn clear_library_failures(&self) {
        self.inner.state.write().libraries.failures.clear();
    }

    /// The library install step delays in force.
    pub fn library_delays(&self) -> LibraryDelays {
        self.inner.state.read().libraries.delays
    }

    /// Change the library install step delays (installs under way keep their times).
    /// [`Emulator::reset`] restores the defaults.
    pub fn set_library_delays(&self, delays: LibraryDelays) {
        self.inner.state.write().libraries.delays = delays;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libraries_are_checked() {
        let ok = |v: Value| check_library(&v, 0).map(|(m, n)| (Value::Object(m), n));
        let err = |v: Value| {
            check_library(&v, 0)
                .err()
                .and_then(|e| e.message().map(str::to_owned))
                .unwrap_or_default()
        };
        assert_eq!(
            ok(json!({"pypi": {"package": "simplejson==3.8.0", "repo": null}, "x": 1}))
                .expect("pypi"),
            (
                json!({"pypi": {"package": "simplejson==3.8.0"}}),
                "simplejson==3.8.0".to_owned()
            )
        );
        assert!(
            ok(json!({"maven": {"coordinates": "org.jsoup:jsoup:1.7.2", "exclusions": []}}))
                .is_ok()
        );
        assert!(ok(json!({"jar": "dbfs:/FileStore/a.jar"})).is_ok());
        assert!(err(json!({})).contains("it specifies none"));
        assert!(err(json!({"jar": "dbfs:/a.jar", "whl": "dbfs:/a.whl"})).contains("jar, whl"));
        assert!(err(json!({"maven": {"coordinates": "org.jsoup:jsoup"}})).contains("groupId"));
        assert!(err(json!({"pypi": {"package": " "}})).contains("must not be empty"));
        assert!(
            err(json!({"cran": {}})).contains("Missing required field: libraries[0].cran.package")
        );
        assert!(err(json!({"requirements": "dbfs:/r.txt"})).contains("Invalid requirements path"));
        assert!(err(json!({"whl": "http://x/a.whl"})).contains("Invalid whl path"));
    }
}
