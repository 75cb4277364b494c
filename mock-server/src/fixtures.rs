//! Fixtures: a declarative JSON description of a workspace to start from (`--fixtures FILE`,
//! [`crate::EmulatorBuilder::fixtures`]). The format, with an example, is in `docs/emulator.md`
//! ("Fixtures"); `mock-server/fixtures/example.json` covers every family.
//!
//! A fixture file is checked as a whole first (JSON syntax with line and column, unknown fields,
//! references between entries: a secret's scope, a workspace entry's single source); then it is
//! applied in a fixed order, each entry through the operation the API uses, so the invariants
//! hold as for any API call (home folders, ACLs, ids, validation):
//!
//! | section | applied with |
//! |---|---|
//! | `users`, `service_principals`, `groups` (and `members`) | the identity operations behind SCIM (`State::add_user`, ...) |
//! | `tokens` | the token store, with the given value (the API makes random ones) |
//! | `instance_profiles` | `POST /api/2.0/instance-profiles/add` |
//! | `secret_scopes` (and `acls`), `secrets` | `secrets/scopes/create`, `secrets/acls/put`, `secrets/put` |
//! | `workspace` | `workspace/mkdirs` and `workspace/import` (`SOURCE` notebooks, `RAW` files, `AUTO` for a folder's files) |
//! | `dbfs` | the DBFS tree's `write_file`, as `dbfs/put` (no 1 MB limit) |
//! | `clusters` | `clusters/create`, then the transitions finished (`RUNNING`) or `clusters/delete` (`TERMINATED`) |
//! | `jobs` | `jobs/create` (API 2.1) |
//!
//! API calls are made as the admin user, in-process through the emulator's own router; they do
//! not stay in the request journal. An error names the file, the entry and the reason, as in
//! `fixtures.json: secrets[2] (scope "x", key "k"): scope "x" is not defined`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tower::ServiceExt;

use crate::emulator::Emulator;
use crate::state::dbfs::Content;
use crate::state::hash_secret;

/// A fixture file could not be read, parsed or applied.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {}{message}", entry.as_deref().map(|e| format!("{e}: ")).unwrap_or_default())]
pub struct FixtureError {
    /// The fixture file (or `fixtures` for a document given as a string).
    pub origin: String,
    /// The entry, such as `secrets[2] (scope "x", key "k")`, when one is at fault.
    pub entry: Option<String>,
    /// The reason.
    pub message: String,
}

/// A parsed and checked fixture document, ready to seed an emulator
/// ([`crate::EmulatorBuilder::fixtures`]). Read one with [`Fixtures::from_path`] (relative
/// `from_file` / `from_dir` paths are then relative to the file's folder) or
/// [`str::parse`] (relative to the current directory).
#[derive(Clone)]
pub struct Fixtures {
    origin: String,
    base: PathBuf,
    doc: Doc,
}

impl fmt::Debug for Fixtures {
    /// Names and counts only: fixtures hold token values and secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixtures")
            .field("origin", &self.origin)
            .field("users", &self.doc.users.len())
            .field("tokens", &self.doc.tokens.len())
            .field("secrets", &self.doc.secrets.len())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    /// Free text, ignored.
    #[serde(default, rename = "$comment")]
    _comment: Option<Value>,
    #[serde(default)]
    users: Vec<UserFx>,
    #[serde(default)]
    service_principals: Vec<SpFx>,
    #[serde(default)]
    groups: Vec<GroupFx>,
    #[serde(default)]
    tokens: Vec<TokenFx>,
    #[serde(default)]
    instance_profiles: Vec<Map<String, Value>>,
    #[serde(default)]
    secret_scopes: Vec<ScopeFx>,
    #[serde(default)]
    secrets: Vec<SecretFx>,
    #[serde(default)]
    workspace: Vec<ObjectFx>,
    #[serde(default)]
    dbfs: Vec<ObjectFx>,
    #[serde(default)]
    clusters: Vec<ClusterFx>,
    #[serde(default)]
    jobs: Vec<Map<String, Value>>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFx {
    user_name: String,
    display_name: Option<String>,
    #[serde(default)]
    admin: bool,
    active: Option<bool>,
    #[serde(default)]
    entitlements: Vec<String>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpFx {
    application_id: Option<String>,
    display_name: String,
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    entitlements: Vec<String>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFx {
    name: String,
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFx {
    principal: String,
    value: String,
    comment: Option<String>,
    lifetime_seconds: Option<i64>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeFx {
    name: String,
    initial_manage_principal: Option<String>,
    #[serde(default)]
    acls: Vec<AclFx>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AclFx {
    principal: String,
    permission: String,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretFx {
    scope: String,
    key: String,
    string_value: Option<String>,
    bytes_value: Option<String>,
}

/// A workspace object or DBFS file: inline `content` (text) or `content_base64`, a local
/// `from_file`, or every file of a local `from_dir` under `path`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectFx {
    path: String,
    /// Workspace only: makes the object a notebook in this language (`PYTHON`, `SCALA`,
    /// `SQL`, `R`).
    language: Option<String>,
    content: Option<String>,
    content_base64: Option<String>,
    from_file: Option<String>,
    from_dir: Option<String>,
}

#[derive(Clone, Deserialize)]
struct ClusterFx {
    /// `RUNNING` (default) or `TERMINATED`.
    state: Option<String>,
    /// The `clusters/create` body.
    #[serde(flatten)]
    spec: Map<String, Value>,
}

impl FromStr for Fixtures {
    type Err = FixtureError;

    /// Parse and check a fixture document; relative local paths are relative to the current
    /// directory.
    fn from_str(text: &str) -> Result<Self, FixtureError> {
        Self::parse(text, "fixtures".to_owned(), PathBuf::from("."))
    }
}

impl Fixtures {
    /// Read, parse and check the fixture file `path`.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, FixtureError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| FixtureError {
            origin: origin.clone(),
            entry: None,
            message: format!("cannot read: {e}"),
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Self::parse(&text, origin, base)
    }

    fn parse(text: &str, origin: String, base: PathBuf) -> Result<Self, FixtureError> {
        let fail = |message: String| FixtureError {
            origin: origin.clone(),
            entry: None,
            message,
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let doc: Doc = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            if path == "." || path.is_empty() {
                fail(e.inner().to_string())
            } else {
                fail(format!("{path}: {}", e.inner()))
            }
        })?;
        de.end().map_err(|e| fail(e.to_string()))?;
        let f = Self { origin, base, doc };
        f.check()?;
        Ok(f)
    }

    fn err(&self, entry: String, message: impl Into<String>) -> FixtureError {
        FixtureError {
            origin: self.origin.clone(),
            entry: Some(entry),
            message: message.into(),
        }
    }

    /// The checks that need no emulator.
    fn check(&self) -> Result<(), FixtureError> {
        let d = &self.doc;
        let mut names: HashMap<String, String> = HashMap::new();
        let mut unique = |name: &str, entry: &str, what: &str| {
            let key = name.trim().to_lowercase();
            if key.is_empty() {
                return Err(self.err(entry.to_owned(), format!("{what} must not be empty")));
            }
            if let Some(first) = names.get(&key) {
                return Err(self.err(
                    entry.to_owned(),
                    format!("duplicate {what} {name:?} (also {first})"),
                ));
            }
            names.insert(key, entry.to_owned());
            Ok(())
        };
        for (i, u) in d.users.iter().enumerate() {
            let entry = user_entry(i, u);
            unique(&u.user_name, &entry, "user")?;
        }
        for (i, sp) in d.service_principals.iter().enumerate() {
            if let Some(app) = &sp.application_id {
                unique(app, &sp_entry(i, sp), "service principal")?;
            }
        }
        for (i, g) in d.groups.iter().enumerate() {
            unique(
                &g.name,
                &format!("groups[{i}] (name {:?})", g.name),
                "group",
            )?;
        }
        for (i, t) in d.tokens.iter().enumerate() {
            if t.value.trim().is_empty() {
                return Err(self.err(token_entry(i, t), "value must not be empty"));
            }
        }
        let mut scopes: HashMap<String, usize> = HashMap::new();
        for (i, s) in d.secret_scopes.iter().enumerate() {
            let entry = format!("secret_scopes[{i}] (name {:?})", s.name);
            if let Some(first) = scopes.insert(s.name.to_lowercase(), i) {
                return Err(self.err(
                    entry,
                    format!("duplicate scope {:?} (also secret_scopes[{first}])", s.name),
                ));
            }
        }
        for (i, s) in d.secrets.iter().enumerate() {
            let entry = secret_entry(i, s);
            if !scopes.contains_key(&s.scope.to_lowercase()) {
                return Err(self.err(entry, format!("scope {:?} is not defined", s.scope)));
            }
            if s.string_value.is_some() == s.bytes_value.is_some() {
                return Err(self.err(entry, "give exactly one of string_value and bytes_value"));
            }
        }
        for (section, list) in [("workspace", &d.workspace), ("dbfs", &d.dbfs)] {
            for (i, o) in list.iter().enumerate() {
                let entry = format!("{section}[{i}] (path {:?})", o.path);
                let sources = [
                    o.content.is_some(),
                    o.content_base64.is_some(),
                    o.from_file.is_some(),
                    o.from_dir.is_some(),
                ];
                if sources.iter().filter(|s| **s).count() != 1 {
                    return Err(self.err(
                        entry,
                        "give exactly one of content, content_base64, from_file and from_dir",
                    ));
                }
                if !o.path.starts_with('/') && !o.path.starts_with("dbfs:/") {
                    return Err(self.err(entry, "path must be absolute"));
                }
                if section == "dbfs" && o.language.is_some() {
                    return Err(self.err(entry, "language is for workspace notebooks only"));
                }
                if o.from_dir.is_some() && o.language.is_some() {
                    return Err(self.err(
                        entry,
                        "a folder's notebooks are recognised by extension and header; language is for one notebook",
                    ));
                }
            }
        }
        for (i, c) in d.clusters.iter().enumerate() {
            if let Some(s) = c
                .state
                .as_deref()
                .filter(|s| !matches!(*s, "RUNNING" | "TERMINATED"))
            {
                return Err(self.err(
                    cluster_entry(i, c),
                    format!("state {s:?} is not RUNNING or TERMINATED"),
                ));
            }
        }
        Ok(())
    }

    /// Seed `emu` (a fresh emulator) with these fixtures.
    pub(crate) fn apply(&self, emu: &Emulator) -> Result<(), FixtureError> {
        let d = &self.doc;
        let api = Api {
            emu,
            router: emu.router(),
        };
        // Identities, through the operations SCIM uses.
        for (i, u) in d.users.iter().enumerate() {
            let entry = || user_entry(i, u);
            let user = emu
                .create_user_named(&u.user_name, u.display_name.as_deref(), u.admin)
                .map_err(|e| self.err(entry(), api_message(&e)))?;
            self.finish_principal(emu, &user.user_name, &u.entitlements, u.active, &entry)?;
        }
        for (i, sp) in d.service_principals.iter().enumerate() {
            let entry = || sp_entry(i, sp);
            let p = {
                let mut state = emu.inner.state.write();
                let p = state
                    .add_scim_service_principal(sp.application_id.as_deref(), &sp.display_name)
                    .map_err(|e| self.err(entry(), api_message(&e)))?;
                if sp.admin {
                    state
                        .identity
                        .add_member(crate::state::ADMINS_GROUP, &p.user_name)
                        .map_err(|e| self.err(entry(), api_message(&e)))?;
                }
                p
            };
            self.finish_principal(emu, &p.user_name, &sp.entitlements, None, &entry)?;
        }
        for (i, g) in d.groups.iter().enumerate() {
            emu.create_group(&g.name).map_err(|e| {
                self.err(format!("groups[{i}] (name {:?})", g.name), api_message(&e))
            })?;
        }
        for (i, g) in d.groups.iter().enumerate() {
            for (j, m) in g.members.iter().enumerate() {
                emu.add_group_member(&g.name, m).map_err(|e| {
                    self.err(
                        format!(
                            "groups[{i}].members[{j}] (group {:?}, member {m:?})",
                            g.name
                        ),
                        api_message(&e),
                    )
                })?;
            }
        }
        for (i, t) in d.tokens.iter().enumerate() {
            self.add_token(emu, t)
                .map_err(|m| self.err(token_entry(i, t), m))?;
        }
        // Everything else through the API, as the admin.
        for (i, p) in d.instance_profiles.iter().enumerate() {
            let arn = p
                .get("instance_profile_arn")
                .and_then(Value::as_str)
                .unwrap_or("");
            api.post("2.0", "instance-profiles/add", Value::Object(p.clone()))
                .map_err(|m| self.err(format!("instance_profiles[{i}] (arn {arn:?})"), m))?;
        }
        for (i, s) in d.secret_scopes.iter().enumerate() {
            let entry = || format!("secret_scopes[{i}] (name {:?})", s.name);
            let mut body = json!({ "scope": s.name });
            if let Some(p) = &s.initial_manage_principal {
                body["initial_manage_principal"] = json!(p);
            }
            api.post("2.0", "secrets/scopes/create", body)
                .map_err(|m| self.err(entry(), m))?;
            for (j, acl) in s.acls.iter().enumerate() {
                api.post(
                    "2.0",
                    "secrets/acls/put",
                    json!({"scope": s.name, "principal": acl.principal, "permission": acl.permission}),
                )
                .map_err(|m| {
                    self.err(
                        format!("secret_scopes[{i}].acls[{j}] (scope {:?}, principal {:?})", s.name, acl.principal),
                        m,
                    )
                })?;
            }
        }
        for (i, s) in d.secrets.iter().enumerate() {
            let mut body = json!({"scope": s.scope, "key": s.key});
            if let Some(v) = &s.string_value {
                body["string_value"] = json!(v);
            }
            if let Some(v) = &s.bytes_value {
                body["bytes_value"] = json!(v);
            }
            api.post("2.0", "secrets/put", body)
                .map_err(|m| self.err(secret_entry(i, s), m))?;
        }
        for (i, o) in d.workspace.iter().enumerate() {
            self.add_workspace(&api, o)
                .map_err(|m| self.err(format!("workspace[{i}] (path {:?})", o.path), m))?;
        }
        for (i, o) in d.dbfs.iter().enumerate() {
            self.add_dbfs(emu, o)
                .map_err(|m| self.err(format!("dbfs[{i}] (path {:?})", o.path), m))?;
        }
        self.add_clusters(&api)?;
        for (i, job) in d.jobs.iter().enumerate() {
            let name = job.get("name").and_then(Value::as_str).unwrap_or("");
            api.post("2.1", "jobs/create", Value::Object(job.clone()))
                .map_err(|m| self.err(format!("jobs[{i}] (name {name:?})"), m))?;
        }
        Ok(())
    }

    fn finish_principal(
        &self,
        emu: &Emulator,
        name: &str,
        entitlements: &[String],
        active: Option<bool>,
        entry: &dyn Fn() -> String,
    ) -> Result<(), FixtureError> {
        for e in entitlements {
            emu.set_entitlement(name, e, true)
                .map_err(|e| self.err(entry(), api_message(&e)))?;
        }
        if active == Some(false) {
            let mut state = emu.inner.state.write();
            let id = state.identity.principal_by_name(name).map(|p| p.id.clone());
            if let Some(id) = id {
                state.identity.set_active(&id, false);
            }
        }
        Ok(())
    }

    fn add_token(&self, emu: &Emulator, t: &TokenFx) -> Result<(), String> {
        let now = emu.inner.clock.now_ms();
        let mut state = emu.inner.state.write();
        let owner = state
            .identity
            .principal_by_name(&t.principal)
            .map(|p| p.id.clone())
            .ok_or_else(|| format!("principal {:?} is not defined", t.principal))?;
        if state.tokens.live(&hash_secret(&t.value), now).is_some() {
            return Err("this token value is already in use".to_owned());
        }
        let expiry = t
            .lifetime_seconds
            .filter(|s| *s > 0)
            .map(|s| now.saturating_add(s.saturating_mul(1000)));
        state
            .tokens
            .insert_pat(&t.value, &owner, now, expiry, t.comment.clone(), None);
        Ok(())
    }

    /// The bytes of an object with one source (not `from_dir`).
    fn content_of(&self, o: &ObjectFx) -> Result<Vec<u8>, String> {
        if let Some(c) = &o.content {
            return Ok(c.as_bytes().to_vec());
        }
        if let Some(c) = &o.content_base64 {
            return STANDARD
                .decode(c.as_bytes())
                .map_err(|e| format!("content_base64 is not base64: {e}"));
        }
        match &o.from_file {
            Some(f) => {
                let p = self.base.join(f);
                std::fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
            }
            None => Err("no content".to_owned()),
        }
    }

    /// Every file under the local folder `dir`, as (path below it with `/`, bytes), in order.
    fn files_of(&self, dir: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
        let root = self.base.join(dir);
        let mut out = Vec::new();
        let mut todo = vec![(root.clone(), String::new())];
        while let Some((at, rel)) = todo.pop() {
            let entries =
                std::fs::read_dir(&at).map_err(|e| format!("cannot read {}: {e}", at.display()))?;
            for entry in entries {
                let entry = entry.map_err(|e| format!("cannot read {}: {e}", at.display()))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let child = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                let path = entry.path();
                if path.is_dir() {
                    todo.push((path, child));
                } else {
                    let bytes = std::fs::read(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    out.push((child, bytes));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn add_workspace(&self, api: &Api<'_>, o: &ObjectFx) -> Result<(), String> {
        let base = o.path.trim_end_matches('/');
        let import = |path: &str, bytes: &[u8], format: &str, language: Option<&str>| {
            if let Some(parent) = path
                .rsplit_once('/')
                .map(|(p, _)| p)
                .filter(|p| !p.is_empty())
            {
                api.post("2.0", "workspace/mkdirs", json!({ "path": parent }))?;
            }
            let mut body =
                json!({"path": path, "format": format, "content": STANDARD.encode(bytes)});
            if let Some(l) = language {
                body["language"] = json!(l);
            }
            api.post("2.0", "workspace/import", body).map(|_| ())
        };
        match &o.from_dir {
            Some(dir) => {
                api.post("2.0", "workspace/mkdirs", json!({ "path": base }))?;
                for (rel, bytes) in self.files_of(dir)? {
                    import(&format!("{base}/{rel}"), &bytes, "AUTO", None)
                        .map_err(|m| format!("{rel}: {m}"))?;
                }
                Ok(())
            }
            None => {
                let bytes = self.content_of(o)?;
                match o.language.as_deref() {
                    Some(l) => import(base, &bytes, "SOURCE", Some(l)),
                    None => import(base, &bytes, "RAW", None),
                }
            }
        }
    }

    fn add_dbfs(&self, emu: &Emulator, o: &ObjectFx) -> Result<(), String> {
        let base = o.path.strip_prefix("dbfs:").unwrap_or(&o.path);
        let base = base.trim_end_matches('/');
        let files = match &o.from_dir {
            Some(dir) => self
                .files_of(dir)?
                .into_iter()
                .map(|(rel, bytes)| (format!("{base}/{rel}"), bytes))
                .collect(),
            None => vec![(base.to_owned(), self.content_of(o)?)],
        };
        let now = emu.inner.clock.now_ms();
        let mut state = emu.inner.state.write();
        for (path, bytes) in files {
            if path.split('/').any(|s| s == ".." || s == ".") || path.contains("//") {
                return Err(format!("{path}: not a normalised absolute path"));
            }
            let mut content = Content::default();
            content.push(Bytes::from(bytes));
            state
                .dbfs
                .write_file(&path, content, false, now)
                .map_err(|e| format!("{path}: {}", api_message(&e)))?;
        }
        Ok(())
    }

    /// Create the clusters, bring them all to `RUNNING`, then terminate those wanted
    /// `TERMINATED`.
    fn add_clusters(&self, api: &Api<'_>) -> Result<(), FixtureError> {
        let mut terminate = Vec::new();
        for (i, c) in self.doc.clusters.iter().enumerate() {
            let created = api
                .post("2.1", "clusters/create", Value::Object(c.spec.clone()))
                .map_err(|m| self.err(cluster_entry(i, c), m))?;
            let id = created
                .get("cluster_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if c.state.as_deref() == Some("TERMINATED") {
                terminate.push((i, id));
            }
        }
        api.emu.finish_cluster_transitions();
        for (i, id) in terminate {
            api.post("2.1", "clusters/delete", json!({ "cluster_id": id }))
                .map_err(|m| self.err(cluster_entry(i, &self.doc.clusters[i]), m))?;
        }
        api.emu.finish_cluster_transitions();
        Ok(())
    }
}

fn user_entry(i: usize, u: &UserFx) -> String {
    format!("users[{i}] (user_name {:?})", u.user_name)
}

fn sp_entry(i: usize, sp: &SpFx) -> String {
    format!(
        "service_principals[{i}] (display_name {:?})",
        sp.display_name
    )
}

fn token_entry(i: usize, t: &TokenFx) -> String {
    format!("tokens[{i}] (principal {:?})", t.principal)
}

fn secret_entry(i: usize, s: &SecretFx) -> String {
    format!("secrets[{i}] (scope {:?}, key {:?})", s.scope, s.key)
}

fn cluster_entry(i: usize, c: &ClusterFx) -> String {
    let name = c
        .spec
        .get("cluster_name")
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("clusters[{i}] (cluster_name {name:?})")
}

/// `ERROR_CODE: message` of an emulator error.
fn api_message(e: &crate::error::ApiError) -> String {
    let message = e.message().unwrap_or_default();
    match e.error_code() {
        Some(code) => format!("{code}: {message}"),
        None => message.to_owned(),
    }
}

/// API calls as the admin, in-process, answered synchronously (handlers never wait on I/O and
/// a fresh emulator has no faults to delay them).
struct Api<'a> {
    emu: &'a Emulator,
    router: axum::Router,
}

impl Api<'_> {
    /// `POST /api/{version}/{path}` with `body`; the answer, or `ERROR_CODE: message`.
    fn post(&self, version: &str, path: &str, body: Value) -> Result<Value, String> {
        let req = http::Request::post(format!("/api/{version}/{path}"))
            .header(
                "authorization",
                format!("Bearer {}", self.emu.inner.config.admin_token),
            )
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let router = self.router.clone();
        let (status, bytes) = futures::executor::block_on(async move {
            let resp = match router.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let status = resp.status();
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            (status, bytes)
        });
        let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer);
        }
        let code = answer.get("error_code").and_then(Value::as_str);
        let message = answer.get("message").and_then(Value::as_str);
        Err(match (code, message) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            _ => format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)),
        })
    }
}
