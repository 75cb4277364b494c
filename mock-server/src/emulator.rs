//! [`Emulator`]: the whole emulated workspace, and its builder.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use serde::Serialize;

use crate::clock::{Clock, ClockMode};
use crate::error::ApiError;
use crate::faults::{Fault, FaultStatus, Faults};
use crate::fixtures::{FixtureError, Fixtures};
use crate::journal::{Journal, JournalEntry};
use crate::limits::StateLimits;
use crate::persist::{ClockDoc, StateError};
use crate::router::RouteTable;
use crate::state::clusters::{ClusterDelays, ClusterLevel};
use crate::state::jobs::{JobDelays, ScriptedOutcome};
use crate::state::{GroupInfo, Limits, Principal, ServicePrincipal, State, ADMINS_GROUP};
use crate::transport::InProcessTransport;

/// The admin token every fresh emulator accepts (unless the builder sets another).
pub const DEFAULT_ADMIN_TOKEN: &str = "dapi1234567890abcdef1234567890abcdef";
/// The user that owns the admin token; a member of `admins`.
pub const DEFAULT_ADMIN_USER_NAME: &str = "admin@example.com";
/// Default request body limit: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Default number of live personal access tokens one principal may hold (<https://docs.databricks.com/en/dev-tools/auth/pat.html>).
pub const DEFAULT_TOKEN_QUOTA: usize = 600;
/// The host of [`Emulator::base_url`]; requests through [`InProcessTransport`] may use any host.
pub const IN_PROCESS_BASE_URL: &str = "http://dbx-emulator.invalid";

/// Settings fixed at build time.
#[derive(Clone)]
pub(crate) struct Config {
    pub admin_token: String,
    pub admin_user_name: String,
    pub max_body_bytes: usize,
    pub limits: Limits,
    /// Cluster transition delays a fresh (or reset) state starts with.
    pub cluster_delays: ClusterDelays,
    /// Job run delays a fresh (or reset) state starts with.
    pub job_delays: JobDelays,
    /// Scripted task outcomes a fresh (or reset) state starts with.
    pub task_outcomes: Vec<ScriptedOutcome>,
    /// Whether the `/__mock` admin routes need the admin token (`router.rs`, `admin_guard`).
    pub protect_admin_routes: bool,
    /// Where the state is kept (`--state-dir`), if anywhere.
    pub state_dir: Option<PathBuf>,
}

pub(crate) struct Inner {
    pub config: Config,
    pub state: RwLock<State>,
    pub clock: Clock,
    pub faults: Faults,
    pub journal: Journal,
    pub routes: RouteTable,
}

/// A stateful, in-memory Databricks workspace. Cheap to clone: clones share the same state.
///
/// Serve it over HTTP with [`crate::MockServer`], or call it in-process through
/// [`Emulator::transport`]; both go through the same router.
#[derive(Clone)]
pub struct Emulator {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("admin_user_name", &self.inner.config.admin_user_name)
            .field("max_body_bytes", &self.inner.config.max_body_bytes)
            .field(
                "protect_admin_routes",
                &self.inner.config.protect_admin_routes,
            )
            .finish_non_exhaustive()
    }
}

impl Default for Emulator {
    fn default() -> Self {
        Self::new()
    }
}

/// A personal access token created through [`Emulator::create_token`].
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct CreatedToken {
    /// The secret value to send as `Authorization: Bearer <token_value>`.
    pub token_value: String,
    /// The public id (SHA-256 hex of the value).
    pub token_id: String,
}

impl fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedToken")
            .field("token_value", &"<redacted>")
            .field("token_id", &self.token_id)
            .finish()
    }
}

/// Builds an [`Emulator`] with non-default settings.
#[derive(Clone)]
pub struct EmulatorBuilder {
    config: Config,
    clock_mode: ClockMode,
    fixtures: Option<Fixtures>,
}

/// Why [`EmulatorBuilder::try_build`] could not build an emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The state directory's document could not be read or is not a state this emulator reads.
    #[error(transparent)]
    State(#[from] StateError),
    /// A fixture could not be applied.
    #[error(transparent)]
    Fixtures(#[from] FixtureError),
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("admin_user_name", &self.config.admin_user_name)
            .finish_non_exhaustive()
    }
}

impl EmulatorBuilder {
    /// The admin token (default [`DEFAULT_ADMIN_TOKEN`]).
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.config.admin_token = token.into();
        self
    }

    /// The admin user's name (default [`DEFAULT_ADMIN_USER_NAME`]).
    pub fn admin_user_name(mut self, user_name: impl Into<String>) -> Self {
        self.config.admin_user_name = user_name.into();
        self
    }

    /// Where the clock's time comes from (default [`ClockMode::System`]). With
    /// [`ClockMode::Tokio`], a test under `#[tokio::test(start_paused = true)]` waits out
    /// virtual minutes (a cluster starting, a job run) in milliseconds.
    pub fn clock_mode(mut self, mode: ClockMode) -> Self {
        self.clock_mode = mode;
        self
    }

    /// Largest accepted request body (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.config.max_body_bytes = limit;
        self
    }

    /// Most live personal access tokens per principal (default [`DEFAULT_TOKEN_QUOTA`]).
    pub fn token_quota(mut self, quota: usize) -> Self {
        self.config.limits.quota = quota;
        self
    }

    /// The workspace's `maxTokenLifetimeDays` (default `None`: unlimited). `Some(0)` also means
    /// unlimited, as in Databricks.
    pub fn max_token_lifetime_days(mut self, days: Option<u64>) -> Self {
        self.config.limits.max_lifetime_days = days.filter(|d| *d > 0);
        self
    }

    /// Most secret scopes in the workspace (default 100, the legacy documented limit);
    /// creating one more answers `RESOURCE_LIMIT_EXCEEDED`.
    pub fn secret_scope_limit(mut self, limit: usize) -> Self {
        self.config.limits.secret_scopes = limit;
        self
    }

    /// How much the state may hold: jobs, principals, groups, clusters, runs, DBFS bytes and
    /// nodes, workspace objects (default [`StateLimits::default`]; see `docs/emulator.md`,
    /// "Limits").
    pub fn state_limits(mut self, limits: StateLimits) -> Self {
        self.config.limits.state = limits;
        self
    }

    /// Most bytes DBFS may hold, files and open write streams together (default
    /// [`crate::limits::DEFAULT_MAX_DBFS_BYTES`], 4 GiB); a write past it answers
    /// `RESOURCE_LIMIT_EXCEEDED`.
    pub fn max_dbfs_bytes(mut self, bytes: u64) -> Self {
        self.config.limits.state.max_dbfs_bytes = bytes;
        self
    }

    /// Require the admin token on the `/__mock` admin routes (default `false`: open, for tests
    /// on loopback). When on, every admin route but `GET /__mock/health` needs
    /// `Authorization: Bearer <admin token>`: without it the answer is `401`, with another
    /// credential `403`, in the Databricks error envelope. The `dbx-mock-server` binary turns it
    /// on whenever it listens on an address other than loopback.
    pub fn protect_admin_routes(mut self, on: bool) -> Self {
        self.config.protect_admin_routes = on;
        self
    }

    /// How long clusters take to move between states (default [`ClusterDelays::default`]: a
    /// few seconds, so real clients' waiters finish quickly).
    pub fn cluster_delays(mut self, delays: ClusterDelays) -> Self {
        self.config.cluster_delays = delays;
        self
    }

    /// How long job runs take (default [`JobDelays::default`]: about a second per step, so
    /// real clients' waiters finish quickly).
    pub fn job_delays(mut self, delays: JobDelays) -> Self {
        self.config.job_delays = delays;
        self
    }

    /// Script the outcome of the task attempts `outcome` matches (see [`ScriptedOutcome`]);
    /// scripts are tried in the order they were added.
    pub fn script_task_outcome(mut self, outcome: ScriptedOutcome) -> Self {
        self.config.task_outcomes.push(outcome);
        self
    }

    /// Keep the state in `dir` (the binary's `--state-dir`): [`EmulatorBuilder::try_build`]
    /// loads `dir/state.json` when it exists (creating `dir` if needed), and
    /// [`Emulator::snapshot`] writes it (the binary does on a clean shutdown and on
    /// `POST /__mock/snapshot`). See `docs/emulator.md`, "Keeping and seeding state".
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.state_dir = Some(dir.into());
        self
    }

    /// Seed a fresh state with `fixtures` (see [`Fixtures`]). When a state directory already
    /// holds a state, that state is loaded instead and the fixtures are not applied again.
    pub fn fixtures(mut self, fixtures: Fixtures) -> Self {
        self.fixtures = Some(fixtures);
        self
    }

    /// The emulator, with the state directory loaded or the fixtures applied; their errors name
    /// the file (and the fixture entry) and the reason.
    pub fn try_build(mut self) -> Result<Emulator, BuildError> {
        let loaded = match &self.config.state_dir {
            Some(dir) => crate::persist::load_dir(dir)?,
            None => None,
        };
        let fixtures = self.fixtures.take();
        let emu = self.build_fresh();
        match loaded {
            Some((state, clock)) => emu.install(state, clock),
            None => {
                if let Some(f) = fixtures {
                    f.apply(&emu)?;
                    emu.clear_journal();
                }
            }
        }
        Ok(emu)
    }

    /// The emulator.
    ///
    /// # Panics
    ///
    /// When a state directory or fixtures were given and cannot be loaded or applied; use
    /// [`EmulatorBuilder::try_build`] to get that error instead.
    pub fn build(self) -> Emulator {
        if self.config.state_dir.is_none() && self.fixtures.is_none() {
            return self.build_fresh();
        }
        match self.try_build() {
            Ok(emu) => emu,
            Err(e) => panic!("cannot build the emulator: {e}"),
        }
    }

    fn build_fresh(self) -> Emulator {
        let clock = Clock::new();
        clock.set_mode(self.clock_mode);
        let mut state = State::new(
            &self.config.admin_user_name,
            &self.config.admin_token,
            clock.now_ms(),
        );
        state.clusters.delays = self.config.cluster_delays;
        state.jobs.delays = self.config.job_delays;
        state.jobs.outcomes = self.config.task_outcomes.clone();
        Emulator {
            inner: Arc::new(Inner {
                config: self.config,
                state: RwLock::new(state),
                clock,
                faults: Faults::default(),
                journal: Journal::default(),
                routes: RouteTable::new(crate::api::all_routes()),
            }),
        }
    }
}

impl Emulator {
    /// An emulator with default settings: admin token [`DEFAULT_ADMIN_TOKEN`] owned by
    /// [`DEFAULT_ADMIN_USER_NAME`], 64 MiB body limit, 600 tokens per principal.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for non-default settings.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            clock_mode: ClockMode::System,
            config: Config {
                admin_token: DEFAULT_ADMIN_TOKEN.to_owned(),
                admin_user_name: DEFAULT_ADMIN_USER_NAME.to_owned(),
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
                limits: Limits {
                    quota: DEFAULT_TOKEN_QUOTA,
                    max_lifetime_days: None,
                    secret_scopes: crate::api::secrets::DEFAULT_SCOPE_LIMIT,
                    state: StateLimits::DEFAULT,
                },
                cluster_delays: ClusterDelays::default(),
                job_delays: JobDelays::default(),
                task_outcomes: Vec::new(),
                protect_admin_routes: false,
                state_dir: None,
            },
            fixtures: None,
        }
    }

    /// An in-process [`dbx_core::Transport`] that calls this emulator's router without a socket.
    pub fn transport(&self) -> InProcessTransport {
        InProcessTransport::new(self.clone())
    }

    /// The base URL to use with [`Emulator::transport`]: `http://dbx-emulator.invalid`.
    pub fn base_url(&self) -> &'static str {
        IN_PROCESS_BASE_URL
    }

    /// The admin token (a PAT of the admin user).
    pub fn admin_token(&self) -> String {
        self.inner.config.admin_token.clone()
    }

    /// Whether the `/__mock` admin routes need the admin token
    /// ([`EmulatorBuilder::protect_admin_routes`]).
    pub fn admin_routes_protected(&self) -> bool {
        self.inner.config.protect_admin_routes
    }

    /// The state limits in force ([`EmulatorBuilder::state_limits`]).
    pub fn state_limits(&self) -> StateLimits {
        self.inner.config.limits.state
    }

    /// The admin user's name.
    pub fn admin_user_name(&self) -> String {
        self.inner.config.admin_user_name.clone()
    }

    /// The axum router serving every route (`/api`, `/oidc`, `/__mock`).
    pub fn router(&self) -> axum::Router {
        crate::router::build(self.clone())
    }

    /// Add a user; with `admin`, also a member of `admins`.
    pub fn create_user(&self, user_name: &str, admin: bool) -> Result<Principal, ApiError> {
        self.create_user_named(user_name, None, admin)
    }

    pub(crate) fn create_user_named(
        &self,
        user_name: &str,
        display_name: Option<&str>,
        admin: bool,
    ) -> Result<Principal, ApiError> {
        let mut state = self.inner.state.write();
        let user = state.add_user(user_name, display_name)?;
        if admin {
            state.identity.add_member(ADMINS_GROUP, &user.user_name)?;
        }
        Ok(user)
    }

    /// Add a service principal with a fresh application id and OAuth client secret; with
    /// `admin`, also a member of `admins`.
    pub fn create_service_principal(
        &self,
        display_name: &str,
        admin: bool,
    ) -> Result<ServicePrincipal, ApiError> {
        let mut state = self.inner.state.write();
        let sp = state.add_service_principal(display_name)?;
        if admin {
            state
                .identity
                .add_member(ADMINS_GROUP, &sp.application_id)?;
        }
        Ok(sp)
    }

    /// Create a personal access token for `principal` (a user name or an application id), with
    /// the same rules as `POST /api/2.0/token/create` (quota, maximum lifetime).
    pub fn create_token(
        &self,
        principal: &str,
        lifetime: Option<Duration>,
        comment: Option<&str>,
    ) -> Result<CreatedToken, ApiError> {
        let lifetime_seconds = lifetime.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.create_token_secs(principal, lifetime_seconds, comment)
    }

    pub(crate) fn create_token_secs(
        &self,
        principal: &str,
        lifetime_seconds: Option<i64>,
        comment: Option<&str>,
    ) -> Result<CreatedToken, ApiError> {
        let now = self.inner.clock.now_ms();
        let mut state = self.inner.state.write();
        let owner = state
            .identity
            .principal_by_name(principal)
            .map(|p| p.id.clone())
            .ok_or_else(|| {
                ApiError::does_not_exist(format!("Principal {principal} does not exist."))
            })?;
        let (token_value, token_id) = state.tokens.create_pat(
            &owner,
            now,
            lifetime_seconds,
            comment.map(str::to_owned),
            None,
            self.inner.config.limits,
        )?;
        Ok(CreatedToken {
            token_value,
            token_id,
        })
    }

    /// Add a group.
    pub fn create_group(&self, name: &str) -> Result<GroupInfo, ApiError> {
        self.inner.state.write().identity.add_group(name)
    }

    /// Make `member` (a user name, application id or group name) a member of `group`.
    pub fn add_group_member(&self, group: &str, member: &str) -> Result<(), ApiError> {
        self.inner.state.write().identity.add_member(group, member)
    }

    /// The user or service principal called `name` (user name or application id).
    pub fn principal(&self, name: &str) -> Option<Principal> {
        self.inner
            .state
            .write()
            .identity
            .principal_by_name(name)
            .cloned()
    }

    /// The emulator clock: every timestamp and expiry uses it.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Inject a fault; returns its id. Methods are matched case-insensitively; a probability
    /// outside `0.0..=1.0` is clamped (NaN: never); a status outside 200..=599 answers 500.
    pub fn add_fault(&self, fault: Fault) -> u64 {
        self.inner.faults.add(fault)
    }

    /// Every injected fault with how often it fired.
    pub fn faults(&self) -> Vec<FaultStatus> {
        self.inner.faults.list()
    }

    /// Remove fault `id`; false if there is none.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.inner.faults.remove(id)
    }

    /// Remove every fault.
    pub fn clear_faults(&self) {
        self.inner.faults.clear();
    }

    /// The request journal (last 10 000 `/api` and `/oidc` requests), oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.inner.journal.entries()
    }

    /// Empty the journal.
    pub fn clear_journal(&self) {
        self.inner.journal.clear();
    }

    /// Settle every time-driven resource (clusters, libraries, runs, schedules) to the clock now,
    /// as any API call would before reading them; returns the clock's time.
    pub fn settle(&self) -> i64 {
        let now_ms = self.inner.clock.now_ms();
        self.inner.state.write().settle(now_ms);
        now_ms
    }

    /// The cluster transition delays in force.
    pub fn cluster_delays(&self) -> ClusterDelays {
        self.inner.state.read().clusters.delays
    }

    /// Change the cluster transition delays; transitions already planned keep their times.
    /// [`Emulator::reset`] restores the builder's delays.
    pub fn set_cluster_delays(&self, delays: ClusterDelays) {
        self.inner.state.write().clusters.delays = delays;
    }

    /// Finish every cluster transition now: `PENDING`, `RESTARTING` and `RESIZING` clusters
    /// reach `RUNNING`, `TERMINATING` ones `TERMINATED`, at the clock's time (autotermination
    /// stays planned). Returns how many clusters moved.
    pub fn finish_cluster_transitions(&self) -> usize {
        let now_ms = self.inner.clock.now_ms();
        let mut state = self.inner.state.write();
        state.settle(now_ms);
        state.clusters.finish_transitions(now_ms)
    }

    /// The job run delays in force.
    pub fn job_delays(&self) -> JobDelays {
        self.inner.state.read().jobs.delays
    }

    /// Change the job run delays; moves already planned keep their times. [`Emulator::reset`]
    /// restores the builder's delays.
    pub fn set_job_delays(&self, delays: JobDelays) {
        self.inner.state.write().jobs.delays = delays;
    }

    /// Script the outcome of the task attempts `outcome` matches, after the scripts already
    /// there (see [`ScriptedOutcome`]).
    pub fn script_task_outcome(&self, outcome: ScriptedOutcome) {
        self.inner.state.write().jobs.outcomes.push(outcome);
    }

    /// The scripted task outcomes still in force, in the order they are tried.
    pub fn task_outcomes(&self) -> Vec<ScriptedOutcome> {
        self.inner.state.read().jobs.outcomes.clone()
    }

    /// Forget every scripted task outcome.
    pub fn clear_task_outcomes(&self) {
        self.inner.state.write().jobs.outcomes.clear();
    }

    /// Grant (`on`) or revoke entitlement `name` (such as `allow-cluster-create`) of the user or
    /// service principal `principal` (user name or application id).
    pub fn set_entitlement(&self, principal: &str, name: &str, on: bool) -> Result<(), ApiError> {
        let mut state = self.inner.state.write();
        let id = state
            .identity
            .principal_by_name(principal)
            .map(|p| p.id.clone())
            .ok_or_else(|| {
                ApiError::does_not_exist(format!("Principal {principal} does not exist."))
            })?;
        state.identity.set_entitlement(&id, name, on);
        Ok(())
    }

    /// Grant `level` on cluster `cluster_id` to `principal` (a user name, application id or
    /// group name), as the cluster's permissions page would.
    pub fn set_cluster_permission(
        &self,
        cluster_id: &str,
        principal: &str,
        level: ClusterLevel,
    ) -> Result<(), ApiError> {
        let mut state = self.inner.state.write();
        let known = state.identity.principal_by_name(principal).is_some()
            || state.identity.group_by_name(principal).is_some();
        if !known {
            return Err(ApiError::does_not_exist(format!(
                "Principal {principal} does not exist."
            )));
        }
        let cluster = state.clusters.get_mut(cluster_id).ok_or_else(|| {
            ApiError::invalid_parameter(format!("Cluster {cluster_id} does not exist"))
        })?;
        cluster.info.grants.set(principal, level);
        Ok(())
    }

    /// Back to the initial state: only the built-in groups and the admin user with a valid admin
    /// token; no faults; empty journal; clock at real time and running.
    pub fn reset(&self) {
        self.inner.clock.reset();
        self.inner.faults.reset();
        self.inner.journal.reset();
        let mut fresh = State::new(
            &self.inner.config.admin_user_name,
            &self.inner.config.admin_token,
            self.inner.clock.now_ms(),
        );
        fresh.clusters.delays = self.inner.config.cluster_delays;
        fresh.jobs.delays = self.inner.config.job_delays;
        fresh.jobs.outcomes = self.inner.config.task_outcomes.clone();
        *self.inner.state.write() = fresh;
    }

    /// The state directory given to the builder (`--state-dir`), if any.
    pub fn state_dir(&self) -> Option<&Path> {
        self.inner.config.state_dir.as_deref()
    }

    /// The whole state as a state document (JSON; see `docs/emulator.md`, "Keeping and seeding
    /// state"): what `GET /__mock/state` answers and `--state-dir` writes. It holds secret values
    /// and token hashes.
    pub fn export_state(&self) -> Result<Vec<u8>, StateError> {
        // Clone under the lock (file contents are shared buffers), encode outside it.
        let state = self.inner.state.read().clone();
        let clock = ClockDoc {
            now_ms: self.inner.clock.now_ms(),
            frozen: self.inner.clock.is_frozen(),
        };
        crate::persist::encode(&state, clock)
    }

    /// Replace the whole state with the state document `document` (what
    /// [`Emulator::export_state`] wrote); on error nothing changes. The configured delays,
    /// scripted outcomes and library failure rules stay, the clock moves to the document's time
    /// (a running clock never moves back), and the configured admin token keeps working.
    pub fn import_state(&self, document: &[u8]) -> Result<(), StateError> {
        let (state, clock) = crate::persist::decode(document, "state document")?;
        self.install(state, clock);
        Ok(())
    }

    /// Write the state to the state directory (atomically); returns the file written.
    pub fn snapshot(&self) -> Result<PathBuf, StateError> {
        let dir = self.state_dir().ok_or(StateError::NoStateDir)?;
        let bytes = self.export_state()?;
        crate::persist::write_dir(dir, &bytes)
    }

    /// Put a decoded state in place (see [`Emulator::import_state`]).
    fn install(&self, mut state: State, saved: ClockDoc) {
        let clock = &self.inner.clock;
        if saved.frozen {
            clock.freeze();
            clock.set_ms(saved.now_ms);
        } else {
            clock.unfreeze();
            if clock.now_ms() < saved.now_ms {
                clock.set_ms(saved.now_ms);
            }
        }
        let now_ms = clock.now_ms();
        let mut current = self.inner.state.write();
        state.clusters.delays = current.clusters.delays;
        state.libraries.delays = current.libraries.delays;
        state.libraries.failures = std::mem::take(&mut current.libraries.failures);
        state.jobs.delays = current.jobs.delays;
        state.jobs.outcomes = std::mem::take(&mut current.jobs.outcomes);
        state.ensure_admin(
            &self.inner.config.admin_user_name,
            &self.inner.config.admin_token,
            now_ms,
        );
        *current = state;
    }
}
