//! Shared harness of the contract suite.
//!
//! Every scenario drives the real client crates through a capturing transport, so the exact
//! request and response JSON of each call can be pinned with insta snapshots. The far end is a
//! [`Target`]: the emulator in-process (the default, no socket), or any workspace reached over
//! HTTPS when [`HOST_VAR`] and [`TOKEN_VAR`] are set (see `tests/README.md`).
//!
//! Scenarios come in two kinds:
//!
//! * **portable** ones run against any target. They are plain `async fn(&Harness)`s listed in
//!   [`portable!`], which makes a `#[tokio::test]` of each and one more test that runs them all
//!   against the emulator *binary* over HTTP, as if it were a remote workspace. They name what
//!   they create with [`Harness::name`] / [`Harness::dbfs`] / [`Harness::workspace_root`]
//!   (unique on a shared target) and register its removal with [`Harness::defer`] and friends,
//!   which runs even when the scenario fails.
//! * **emulator-only** ones need powers only the emulator has (users and groups made out of thin
//!   air, the clock, faults, the journal, its logs, a fresh empty workspace). They start with
//!   `let Some(h) = Harness::emulator_only("needs the clock") else { return };` and print
//!   `skipped: <test>: <reason>` against any other target.
//!
//! Snapshots are asserted only against the in-process emulator ([`snapshot!`]): elsewhere ids,
//! times, names and some messages differ, and the scenario checks behaviour instead (status
//! codes, error codes, round-trip values), which it asserts on every target.
//!
//! ```no_run
//! use dbx_contract_tests::{portable, snapshot, Harness};
//!
//! portable!(a_scenario);
//!
//! async fn a_scenario(h: &Harness) {
//!     let scope = h.name("app"); // `app` in-process, `app-1a2b3c4d` on a shared workspace
//!     h.cleanup_scope(&scope);
//!     // ... drive the client through `h.admin` ...
//!     snapshot!(h, "name");
//! }
//! ```

use std::fmt;
use std::future::Future;
use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use dbx_core::testing::{CaptureTransport, Exchange};
use dbx_core::{
    Client, Config, Error, HttpResponse, Request, ReqwestTransport, RetryPolicy, Transport,
    TransportError,
};
use dbx_mock_server::Emulator;
use futures::FutureExt;
use serde_json::{json, Map, Value};

pub use insta;

/// The variable naming the workspace to run against, e.g. `https://adb-123.4.azuredatabricks.net`.
pub const HOST_VAR: &str = "DBX_CONTRACT_HOST";
/// The variable holding a personal access token of a workspace admin on [`HOST_VAR`].
pub const TOKEN_VAR: &str = "DBX_CONTRACT_TOKEN";

/// Where the scenarios send their calls.
#[derive(Clone)]
pub enum Target {
    /// A fresh in-process emulator per scenario (the default).
    Emulator,
    /// A workspace over HTTP(S), shared with whatever else runs there.
    Remote {
        /// Base URL, e.g. `https://adb-123.4.azuredatabricks.net`.
        host: String,
        /// A workspace admin's personal access token.
        token: String,
    },
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Emulator => f.write_str("Emulator"),
            Target::Remote { host, .. } => f
                .debug_struct("Remote")
                .field("host", host)
                .field("token", &"[REDACTED]")
                .finish(),
        }
    }
}

impl Target {
    /// [`Target::Remote`] when both [`HOST_VAR`] and [`TOKEN_VAR`] are set (and not empty),
    /// [`Target::Emulator`] when neither is. One without the other is a mistake, and panics.
    pub fn from_env() -> Target {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        match (var(HOST_VAR), var(TOKEN_VAR)) {
            (Some(host), Some(token)) => Target::Remote {
                host: host.trim().trim_end_matches('/').to_owned(),
                token: token.trim().to_owned(),
            },
            (None, None) => Target::Emulator,
            _ => {
                panic!("set both {HOST_VAR} and {TOKEN_VAR} to run against a workspace, or neither")
            }
        }
    }
}

/// Print `skipped: <test>: <reason>` where `cargo test` shows it (straight to stderr, past the
/// test harness's output capture).
pub fn skip(reason: &str) {
    let current = std::thread::current();
    let test = current.name().unwrap_or("scenario");
    let _ = writeln!(std::io::stderr().lock(), "skipped: {test}: {reason}");
}

type Cleanup = (
    String,
    Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>,
);

/// A target, a capturing transport in front of it, and an admin client.
pub struct Harness {
    emulator: Option<Emulator>,
    host: String,
    token: String,
    raw: Arc<dyn Transport>,
    capture: CaptureTransport<Arc<dyn Transport>>,
    /// A client authenticated as the workspace admin.
    pub admin: Client,
    retry: RetryPolicy,
    suffix: String,
    cleanups: Mutex<Vec<Cleanup>>,
    dbfs_root_registered: AtomicBool,
    workspace_root_made: tokio::sync::OnceCell<String>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// The target chosen by the environment ([`Target::from_env`]).
    pub fn new() -> Self {
        Self::for_target(Target::from_env())
    }

    /// A harness for `target`: a fresh emulator, or a client of the remote workspace.
    pub fn for_target(target: Target) -> Self {
        match target {
            Target::Emulator => Self::with_emulator(Emulator::new()),
            Target::Remote { host, token } => Self::remote(&host, &token),
        }
    }

    /// Use a specially configured in-process emulator.
    pub fn with_emulator(emulator: Emulator) -> Self {
        let raw: Arc<dyn Transport> = Arc::new(emulator.transport());
        // The emulator answers instantly; keep injected-fault retries fast.
        let retry = RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..RetryPolicy::default()
        };
        let host = emulator.base_url().to_owned();
        let token = emulator.admin_token();
        // The emulator is private to this scenario: plain names are unique already, and keep
        // the snapshots readable.
        Self::assemble(Some(emulator), host, token, raw, retry, String::new())
    }

    /// A workspace over HTTP: `host` and an admin's `token`. Names get a random suffix.
    pub fn remote(host: &str, token: &str) -> Self {
        let transport = ReqwestTransport::new(Duration::from_secs(10), None)
            .unwrap_or_else(|e| panic!("cannot build the HTTP transport: {e}"));
        let suffix = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        Self::assemble(
            None,
            host.trim_end_matches('/').to_owned(),
            token.to_owned(),
            Arc::new(transport),
            RetryPolicy::default(),
            suffix,
        )
    }

    fn assemble(
        emulator: Option<Emulator>,
        host: String,
        token: String,
        raw: Arc<dyn Transport>,
        retry: RetryPolicy,
        suffix: String,
    ) -> Self {
        let capture = CaptureTransport::new(raw.clone());
        let admin = client_for(&host, &capture, &token, &retry);
        Self {
            emulator,
            host,
            token,
            raw,
            capture,
            admin,
            retry,
            suffix,
            cleanups: Mutex::new(Vec::new()),
            dbfs_root_registered: AtomicBool::new(false),
            workspace_root_made: tokio::sync::OnceCell::new(),
        }
    }

    /// The harness of a scenario that needs emulator-only powers (`reason` says which): a fresh
    /// in-process emulator, or `None` after printing `skipped: ...` when the target is remote.
    pub fn emulator_only(reason: &str) -> Option<Harness> {
        Self::emulator_only_with(reason, Emulator::new)
    }

    /// [`Harness::emulator_only`] with a specially configured emulator.
    pub fn emulator_only_with(
        reason: &str,
        emulator: impl FnOnce() -> Emulator,
    ) -> Option<Harness> {
        match Target::from_env() {
            Target::Emulator => Some(Self::with_emulator(emulator())),
            Target::Remote { .. } => {
                skip(reason);
                None
            }
        }
    }

    /// The in-process emulator, when that is the target.
    pub fn emulator(&self) -> Option<&Emulator> {
        self.emulator.as_ref()
    }

    /// The in-process emulator of an emulator-only scenario (see [`Harness::emulator_only`]).
    ///
    /// # Panics
    /// When the target is remote: the scenario should have been marked emulator-only.
    pub fn emu(&self) -> &Emulator {
        self.emulator.as_ref().unwrap_or_else(|| {
            panic!("this scenario uses emulator-only powers: start it with Harness::emulator_only")
        })
    }

    /// Whether snapshots are asserted: only against the in-process emulator, where ids, times
    /// and names are deterministic.
    pub fn pins_snapshots(&self) -> bool {
        self.emulator.is_some()
    }

    /// The target's base URL.
    pub fn base_url(&self) -> &str {
        &self.host
    }

    /// The admin's token, for hand-made `Authorization` headers. Never print it.
    pub fn admin_token(&self) -> &str {
        &self.token
    }

    /// Send a hand-made request straight to the target: no client, no capture, no retries.
    pub async fn send_raw(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<HttpResponse, TransportError> {
        self.raw.send(request).await
    }

    /// A client that sends `token` (valid or not) through the same capturing transport.
    pub fn client_with_token(&self, token: &str) -> Client {
        client_for(&self.host, &self.capture, token, &self.retry)
    }

    /// A client acting as the non-admin user `user_name` (created on first use) with a fresh PAT.
    ///
    /// # Panics
    /// When the target is not the emulator (users are made through its library API).
    pub fn user(&self, user_name: &str) -> Client {
        let emulator = self.emu();
        if emulator.principal(user_name).is_none() {
            if let Err(e) = emulator.create_user(user_name, false) {
                panic!("cannot create user {user_name}: {e:?}");
            }
        }
        let token = match emulator.create_token(user_name, None, Some("contract test")) {
            Ok(t) => t.token_value,
            Err(e) => panic!("cannot create a token for {user_name}: {e:?}"),
        };
        self.client_with_token(&token)
    }

    /// A name for something this scenario creates: `base` itself in-process (the emulator is
    /// the scenario's own), `base-<random>` on a shared target.
    pub fn name(&self, base: &str) -> String {
        if self.suffix.is_empty() {
            base.to_owned()
        } else {
            format!("{base}-{}", self.suffix)
        }
    }

    /// The DBFS directory this scenario works in: the root (`""`) in-process, a unique
    /// `/tmp/dbx-contract-<random>` elsewhere (deleted, recursively, when the scenario ends).
    pub fn dbfs_root(&self) -> String {
        if self.suffix.is_empty() {
            return String::new();
        }
        let root = format!("/tmp/dbx-contract-{}", self.suffix);
        if !self.dbfs_root_registered.swap(true, Ordering::SeqCst) {
            let admin = self.admin.clone();
            let path = root.clone();
            self.defer(format!("delete dbfs:{root}"), async move {
                dbfs_delete_tree(&admin, &path).await
            });
        }
        root
    }

    /// `path` (absolute, optionally `dbfs:`-prefixed) inside [`Harness::dbfs_root`].
    pub fn dbfs(&self, path: &str) -> String {
        let root = self.dbfs_root();
        match path.strip_prefix("dbfs:") {
            Some(rest) => format!("dbfs:{root}{rest}"),
            None => format!("{root}{path}"),
        }
    }

    /// The workspace folder this scenario works in: `/Shared` in-process (empty in a fresh
    /// emulator), a unique `/Shared/dbx-contract-<random>` elsewhere, created on first use and
    /// deleted, recursively, when the scenario ends.
    pub async fn workspace_root(&self) -> String {
        if self.suffix.is_empty() {
            return "/Shared".to_owned();
        }
        let made = self
            .workspace_root_made
            .get_or_init(|| async {
                let root = format!("/Shared/dbx-contract-{}", self.suffix);
                let admin = self.admin.clone();
                let path = root.clone();
                self.defer(format!("delete workspace {root}"), async move {
                    let req = Request::post("/api/2.0/workspace/delete")
                        .json(&json!({"path": path, "recursive": true}))?;
                    admin.call::<Value>(req).await.map(drop)
                });
                let req = Request::post("/api/2.0/workspace/mkdirs")
                    .json(&json!({"path": root}))
                    .unwrap_or_else(|e| panic!("mkdirs request: {e}"));
                if let Err(e) = self.admin.call::<Value>(req).await {
                    panic!("cannot create the scratch folder {root}: {e}");
                }
                root
            })
            .await;
        made.clone()
    }

    /// Run `cleanup` when the scenario ends, whether it passed or failed (last registered, first
    /// run). A "not found" answer counts as done: the scenario may have deleted it itself.
    pub fn defer(
        &self,
        what: impl Into<String>,
        cleanup: impl Future<Output = Result<(), Error>> + Send + 'static,
    ) {
        if let Ok(mut list) = self.cleanups.lock() {
            list.push((what.into(), Box::pin(cleanup)));
        }
    }

    /// Delete the secret scope `scope` when the scenario ends.
    pub fn cleanup_scope(&self, scope: &str) {
        let admin = self.admin.clone();
        let scope = scope.to_owned();
        self.defer(format!("delete scope {scope}"), async move {
            let req =
                Request::post("/api/2.0/secrets/scopes/delete").json(&json!({"scope": scope}))?;
            admin.call::<Value>(req).await.map(drop)
        });
    }

    /// Revoke the token `token_id` when the scenario ends.
    pub fn cleanup_token(&self, token_id: &str) {
        let admin = self.admin.clone();
        let id = token_id.to_owned();
        self.defer(format!("revoke token {id}"), async move {
            let req = Request::post("/api/2.0/token/delete").json(&json!({"token_id": id}))?;
            admin.call::<Value>(req).await.map(drop)
        });
    }

    /// Run the registered clean-ups; the ones that failed, described.
    pub async fn run_cleanups(&self) -> Vec<String> {
        let list = match self.cleanups.lock() {
            Ok(mut list) => std::mem::take(&mut *list),
            Err(_) => Vec::new(),
        };
        let mut failed = Vec::new();
        for (what, cleanup) in list.into_iter().rev() {
            match cleanup.await {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => failed.push(format!("{what}: {e}")),
            }
        }
        failed
    }

    /// Every exchange captured so far, as JSON (see [`exchange_json`]).
    pub fn exchanges(&self) -> Value {
        Value::Array(self.capture.exchanges().iter().map(exchange_json).collect())
    }

    /// Every exchange captured so far, then forget them.
    pub fn take_exchanges(&self) -> Value {
        let v = self.exchanges();
        self.capture.clear();
        v
    }

    /// Forget the exchanges captured so far (e.g. set-up calls).
    pub fn clear_exchanges(&self) {
        self.capture.clear();
    }

    /// insta settings with the suite's standard redactions (ids and times that change per run).
    /// Add family-specific ones with `settings.add_redaction(...)`.
    pub fn settings(&self) -> insta::Settings {
        settings()
    }
}

fn client_for(
    host: &str,
    capture: &CaptureTransport<Arc<dyn Transport>>,
    token: &str,
    retry: &RetryPolicy,
) -> Client {
    let config = Config::builder()
        .host(host)
        .token(token)
        .retry(retry.clone())
        .build()
        .unwrap_or_else(|e| panic!("harness config: {e}"));
    Client::with_transport(config, capture.clone())
}

/// Delete a DBFS tree, following `PARTIAL_DELETE` answers (a big tree takes several calls).
async fn dbfs_delete_tree(admin: &Client, path: &str) -> Result<(), Error> {
    for _ in 0..100 {
        let req = Request::post("/api/2.0/dbfs/delete")
            .json(&json!({"path": path, "recursive": true}))?;
        match admin.call::<Value>(req).await {
            Err(e) if e.error_code() == Some("PARTIAL_DELETE") => continue,
            other => return other.map(drop),
        }
    }
    Ok(())
}

/// Pin `$h`'s captured exchanges (or `$value`) as the snapshot `$name`, with the suite's
/// redactions (or the given `settings = ...`), when the target is the in-process emulator; on
/// any other target just forget the exchanges (ids, times, names and messages differ there; the
/// scenario's own assertions still check behaviour).
#[macro_export]
macro_rules! snapshot {
    (settings = $settings:expr, $h:expr, $name:expr) => {
        $crate::snapshot!(settings = $settings, $h, $name, $h.take_exchanges())
    };
    (settings = $settings:expr, $h:expr, $name:expr, $value:expr) => {{
        let harness: &$crate::Harness = &$h;
        if harness.pins_snapshots() {
            $settings.bind(|| $crate::insta::assert_json_snapshot!($name, $value));
        } else {
            harness.clear_exchanges();
        }
    }};
    ($h:expr, $name:expr) => {
        $crate::snapshot!($h, $name, $h.take_exchanges())
    };
    ($h:expr, $name:expr, $value:expr) => {
        $crate::snapshot!(settings = $h.settings(), $h, $name, $value)
    };
}

/// A portable scenario: a name and the `async fn(&Harness)` it runs.
pub type ScenarioFn = for<'a> fn(&'a Harness) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

/// One entry of a family's list of portable scenarios (see [`portable!`]).
#[derive(Clone, Copy)]
pub struct Scenario {
    /// The scenario's function name.
    pub name: &'static str,
    /// Runs it.
    pub run: ScenarioFn,
}

/// Declare a file's portable scenarios, each an `async fn NAME(h: &Harness)` in scope. Makes:
///
/// * `portable::NAME`: a `#[tokio::test]` running it against the environment's target;
/// * `portable::all_against_the_emulator_binary`: all of them, concurrently, against one
///   emulator started from the `dbx-contract-emulator` binary and reached over loopback HTTP
///   exactly as a remote workspace would be, then a check that they left nothing behind;
/// * `PORTABLE`: the list, as [`Scenario`]s.
#[macro_export]
macro_rules! portable {
    ($($name:ident),+ $(,)?) => {
        /// The portable scenarios of this file.
        const PORTABLE: &[$crate::Scenario] = &[
            $($crate::Scenario { name: stringify!($name), run: |h| Box::pin($name(h)) }),+
        ];

        /// Each portable scenario as a test against the environment's target, and all of them
        /// against the emulator binary over HTTP.
        mod portable {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::run_portable(|h| Box::pin(super::$name(h))).await;
                }
            )+

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn all_against_the_emulator_binary() {
                $crate::against_emulator_binary(
                    env!("CARGO_BIN_EXE_dbx-contract-emulator"),
                    super::PORTABLE,
                )
                .await;
            }
        }
    };
}

/// Run a scenario on `h`, then its clean-ups (also after a panic). `Err` describes a failure:
/// the scenario's panic message, or clean-ups that failed.
pub async fn run_checked(h: &Harness, scenario: ScenarioFn) -> Result<(), String> {
    let outcome = AssertUnwindSafe(scenario(h)).catch_unwind().await;
    let failed_cleanups = h.run_cleanups().await;
    match outcome {
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panicked".to_owned());
            Err(if failed_cleanups.is_empty() {
                msg
            } else {
                format!(
                    "{msg}; clean-up also failed: {}",
                    failed_cleanups.join("; ")
                )
            })
        }
        Ok(()) if failed_cleanups.is_empty() => Ok(()),
        Ok(()) => Err(format!("clean-up failed: {}", failed_cleanups.join("; "))),
    }
}

/// Run a portable scenario against the environment's target (the body of each
/// `portable::NAME` test); clean-ups run even when it fails.
pub async fn run_portable(scenario: ScenarioFn) {
    let h = Harness::new();
    let outcome = AssertUnwindSafe(scenario(&h)).catch_unwind().await;
    let failed_cleanups = h.run_cleanups().await;
    if let Err(payload) = outcome {
        std::panic::resume_unwind(payload);
    }
    assert!(
        failed_cleanups.is_empty(),
        "clean-up failed: {failed_cleanups:?}"
    );
}

/// What a scenario could leave behind on a workspace: the admin's tokens, the secret scopes,
/// the top of DBFS and of `/Shared`, users, groups, service principals, clusters and instance profiles.
pub async fn leftovers(admin: &Client) -> Value {
    async fn get(admin: &Client, req: Request) -> Value {
        admin
            .call::<Value>(req)
            .await
            .unwrap_or_else(|e| panic!("listing for the leftover check: {e}"))
    }
    let names = |v: &Value, list: &str, field: &str| -> Value {
        let mut names: Vec<String> = v[list]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x[field].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        json!(names)
    };
    let tokens = get(admin, Request::get("/api/2.0/token/list")).await;
    let scopes = get(admin, Request::get("/api/2.0/secrets/scopes/list")).await;
    let dbfs = get(admin, Request::get("/api/2.0/dbfs/list").query("path", "/")).await;
    let tmp = match admin
        .call::<Value>(Request::get("/api/2.0/dbfs/list").query("path", "/tmp"))
        .await
    {
        Ok(v) => v,
        Err(e) if e.is_not_found() => Value::Null,
        Err(e) => panic!("listing /tmp for the leftover check: {e}"),
    };
    let shared = get(
        admin,
        Request::get("/api/2.0/workspace/list").query("path", "/Shared"),
    )
    .await;
    let scim = |kind: &'static str| {
        Request::get(format!("/api/2.0/preview/scim/v2/{kind}")).query("count", 10_000)
    };
    let users = get(admin, scim("Users")).await;
    let groups = get(admin, scim("Groups")).await;
    let sps = get(admin, scim("ServicePrincipals")).await;
    let clusters = get(admin, Request::get("/api/2.1/clusters/list")).await;
    // Job clusters stay listed (terminated) after their run, on the service too: not leftovers.
    let mut cluster_ids: Vec<&str> = clusters["clusters"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["cluster_source"] != "JOB")
                .filter_map(|c| c["cluster_id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    cluster_ids.sort_unstable();
    let profiles = get(admin, Request::get("/api/2.0/instance-profiles/list")).await;
    json!({
        "tokens": names(&tokens, "token_infos", "token_id"),
        "users": names(&users, "Resources", "userName"),
        "groups": names(&groups, "Resources", "displayName"),
        "service principals": names(&sps, "Resources", "applicationId"),
        "clusters": cluster_ids,
        "instance profiles": names(&profiles, "instance_profiles", "instance_profile_arn"),
        "scopes": names(&scopes, "scopes", "name"),
        "dbfs /": names(&dbfs, "files", "path"),
        "dbfs /tmp": names(&tmp, "files", "path"),
        "workspace /Shared": names(&shared, "objects", "path"),
    })
}

/// The emulator binary running as a separate process on a free loopback port, with an admin
/// token of its own; killed when dropped.
pub struct EmulatorProcess {
    /// The process.
    pub child: tokio::process::Child,
    /// Kept open so the emulator's later stdout lines do not hit a closed pipe.
    pub stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    /// `http://127.0.0.1:PORT`, from its first stdout line.
    pub host: String,
    /// Its admin token.
    pub token: String,
}

impl EmulatorProcess {
    /// Start `exe` (`--bind 127.0.0.1:0`, a fresh admin token, `--log-level log_level`) and
    /// wait up to 30 s for its `listening on` line.
    pub async fn start(exe: &str, log_level: &str) -> EmulatorProcess {
        use tokio::io::AsyncBufReadExt;

        let token = format!("dapi{}", uuid::Uuid::new_v4().simple());
        let mut child = tokio::process::Command::new(exe)
            .args([
                "--bind",
                "127.0.0.1:0",
                "--admin-token",
                &token,
                "--log-level",
                log_level,
            ])
            .env_remove("RUST_LOG")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {exe}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the emulator announces its address within 30 s")
            .expect("read its stdout")
            .expect("a first line");
        let host = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        EmulatorProcess {
            child,
            stdout: lines,
            host,
            token,
        }
    }
}

/// Start the emulator binary `exe` as a separate process on a free loopback port, run every
/// scenario of `scenarios` against it concurrently as a [`Target::Remote`] (over reqwest, like
/// a real workspace), check that together they left nothing behind, and stop it.
pub async fn against_emulator_binary(exe: &str, scenarios: &[Scenario]) {
    let EmulatorProcess {
        mut child,
        host,
        token,
        ..
    } = EmulatorProcess::start(exe, "warn").await;
    let admin = Harness::remote(&host, &token);
    // A real workspace has `dbfs:/tmp`, where the scenarios make their scratch directories.
    let tmp = Request::post("/api/2.0/dbfs/mkdirs")
        .json(&json!({"path": "/tmp"}))
        .expect("mkdirs request");
    admin.admin.call::<Value>(tmp).await.expect("mkdirs /tmp");
    let before = leftovers(&admin.admin).await;
    let all = futures::future::join_all(scenarios.iter().map(|s| {
        let (host, token) = (host.clone(), token.clone());
        async move {
            let h = Harness::remote(&host, &token);
            (s.name, run_checked(&h, s.run).await)
        }
    }));
    // Generous: the slowest family takes a few seconds.
    let outcomes = tokio::time::timeout(Duration::from_secs(300), all)
        .await
        .expect("the portable scenarios finish within 5 minutes");
    let after = leftovers(&admin.admin).await;

    let _ = child.start_kill();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    drop(status);

    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|(name, r)| r.as_ref().err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} portable scenarios failed against the emulator binary at {host}:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
    assert_eq!(
        after, before,
        "the portable scenarios left something behind"
    );
}

/// One exchange as `{"request": {method, path, query?, body?}, "response": {status, body?}}`.
/// Bodies that are JSON are embedded as JSON; other bodies as `"<N bytes: content-type>"`.
pub fn exchange_json(e: &Exchange) -> Value {
    let r = &e.request;
    let mut request = Map::new();
    request.insert("method".into(), json!(r.method.as_str()));
    request.insert("path".into(), json!(r.path));
    if let Some(q) = &r.query {
        let pairs: Map<String, Value> = url_pairs(q);
        request.insert("query".into(), Value::Object(pairs));
    }
    if !r.body.is_empty() {
        let ct = r
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        request.insert("body".into(), body_json(&r.body, ct));
    }
    let response = match &e.response {
        Ok((status, body)) => {
            let mut m = Map::new();
            m.insert("status".into(), json!(status.as_u16()));
            if !body.is_empty() {
                m.insert("body".into(), body_json(body, "application/json"));
            }
            Value::Object(m)
        }
        Err(te) => json!({"transport_error": te.to_string()}),
    };
    json!({"request": Value::Object(request), "response": response})
}

fn body_json(body: &Bytes, content_type: &str) -> Value {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if !content_type.starts_with("multipart/") => v,
        _ => {
            let ct = content_type.split(';').next().unwrap_or("");
            json!(format!("<{} bytes: {}>", body.len(), ct))
        }
    }
}

fn url_pairs(q: &str) -> Map<String, Value> {
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), json!(v)))
        .collect()
}

/// insta settings with the suite's standard redactions: ids and times that change per run.
/// `expiry_time: -1` (never) is kept, as it is meaningful.
pub fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_sort_maps(true);
    s.set_prepend_module_to_snapshot(true);
    for key in ["token_id", "token_value", "access_token"] {
        s.add_redaction(&format!(".**.{key}"), format!("[{key}]"));
    }
    // Page tokens are opaque to clients and may encode server state (a time, an offset).
    for key in ["next_page_token", "prev_page_token", "page_token"] {
        s.add_redaction(&format!(".**.{key}"), "[page_token]");
    }
    for key in [
        "creation_time",
        "last_updated_timestamp",
        "modification_time",
        "created_at",
        "modified_at",
    ] {
        s.add_redaction(&format!(".**.{key}"), "[time]");
    }
    // Token ids (64 hex digits) inside paths and messages.
    for key in ["path", "message"] {
        s.add_dynamic_redaction(&format!(".**.{key}"), |value, _path| match value.as_str() {
            Some(text) => redact_hex64(text).into(),
            None => value,
        });
    }
    s.add_dynamic_redaction(".**.expiry_time", |value, _path| match value.as_i64() {
        Some(-1) => value,
        _ => "[time]".into(),
    });
    s
}

/// Replace every run of exactly 64 hex digits (a token id) with `[token_id]`.
pub fn redact_hex64(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 64 {
            out.push_str("[token_id]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Deterministic pseudo-random bytes (xorshift64), different per seed: test payloads that
/// compress badly and catch misplaced or repeated blocks.
pub fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A `tracing` writer appending to a shared buffer.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything this test process has logged so far, at TRACE (client, emulator, hyper, reqwest).
///
/// The first call installs a process-global subscriber: a thread-local `set_default` misses
/// events whose callsites a parallel test registered first (their cached interest says
/// "never"), which made such tests flaky. Other tests' lines land here too, which only widens
/// a "never logged" check. If another global subscriber already exists the capture stays empty,
/// and a test's "this was logged" assertion says so.
pub fn captured_logs() -> String {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    let logs = LOGS.get_or_init(|| {
        let logs = LogBuffer::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    });
    let bytes = logs.0.lock().map(|v| v.clone()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Replace every cluster id (`MMDD-HHMMSS-xxxxxxxx`) in `text` with `[cluster-N]`, numbering ids
/// in order of first appearance across calls sharing `ids`.
pub fn redact_cluster_ids(text: &str, ids: &mut Vec<String>) -> String {
    let b = text.as_bytes();
    let is_id = |i: usize| {
        i + 20 <= b.len()
            && b[i..i + 4].iter().all(u8::is_ascii_digit)
            && b[i + 4] == b'-'
            && b[i + 5..i + 11].iter().all(u8::is_ascii_digit)
            && b[i + 11] == b'-'
            && b[i + 12..i + 20]
                .iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && (i + 20 == b.len() || !b[i + 20].is_ascii_alphanumeric())
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if is_id(i) {
            let id = &text[i..i + 20];
            let n = match ids.iter().position(|x| x == id) {
                Some(n) => n + 1,
                None => {
                    ids.push(id.to_owned());
                    ids.len()
                }
            };
            out.push_str(&format!("[cluster-{n}]"));
            i += 20;
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_process_names_and_paths_are_plain() {
        let h = Harness::with_emulator(Emulator::new());
        assert_eq!(h.name("app"), "app");
        assert_eq!(h.dbfs("dbfs:/data//sub/"), "dbfs:/data//sub/");
        assert_eq!(h.dbfs("/in/line.txt"), "/in/line.txt");
        assert!(h.pins_snapshots());
    }

    #[test]
    fn shared_targets_get_unique_names_and_paths() {
        let a = Harness::remote("http://127.0.0.1:9/", "dapi-test");
        let b = Harness::remote("http://127.0.0.1:9", "dapi-test");
        assert_eq!(a.base_url(), "http://127.0.0.1:9");
        assert!(!a.pins_snapshots() && a.emulator().is_none());
        let (na, nb) = (a.name("app"), b.name("app"));
        assert!(
            na.starts_with("app-") && na.len() == "app-".len() + 8,
            "{na}"
        );
        assert_ne!(na, nb);
        let root = a.dbfs_root();
        assert!(root.starts_with("/tmp/dbx-contract-"), "{root}");
        assert_eq!(
            a.dbfs("dbfs:/data//sub/"),
            format!("dbfs:{root}/data//sub/")
        );
        assert_eq!(a.dbfs("/x"), format!("{root}/x"));
        // The scratch directory's removal is registered once.
        assert_eq!(a.cleanups.lock().map(|c| c.len()).unwrap_or(0), 1);
    }

    #[test]
    fn the_token_never_prints() {
        let t = Target::Remote {
            host: "https://example.invalid".into(),
            token: "dapi-secret-value".into(),
        };
        assert!(!format!("{t:?}").contains("dapi-secret-value"));
    }
}
