//! The fault-injected soak (issue 14), shared by the CI test `tests/soak.rs` and the long run
//! `tests/benches/soak.rs`.
//!
//! It starts the emulator binary as a separate process, makes a few fixtures without faults,
//! then turns on probability faults on every `/api` request (about 30% of requests get one:
//! 429 with `Retry-After`, 503, 504 before or after the write was applied, latency before
//! applying, and latency after applying longer than the client's timeout) and runs `tasks`
//! concurrent tasks, each doing `iterations` operations of a mixed workload through our client
//! crates: secrets put/delete, DBFS streaming uploads, workspace imports, job creates and
//! run-nows with idempotency tokens, cluster creates with idempotency tokens, SCIM user
//! creates, group membership changes and user deletes.
//!
//! Every call's result goes into a model of what may now exist: a success means it happened
//! exactly once, a definite failure means it did not happen, and an outcome-unknown failure
//! (`dbx_core::Error::is_outcome_unknown`) allows both. At the end the faults are removed and
//! the emulator's state is read back and compared with the model: nothing lost, nothing applied
//! twice, nothing reported as done that was not.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dbx_clusters::{ClusterSpec, ClustersApi, NodeTypeQuery, SparkVersionQuery};
use dbx_contract_tests::EmulatorProcess;
use dbx_core::{Client, Config, Overwrite, Request, RetryPolicy};
use dbx_dbfs::DbfsApi;
use dbx_jobs::{JobCluster, JobId, JobSettings, JobsApi, RunNow, Task};
use dbx_scim::{Group, PatchRequest, ScimApi, User};
use dbx_secrets::SecretsApi;
use dbx_workspace::{Format, Language, WorkspaceApi};
use futures::TryStreamExt as _;
use secrecy::ExposeSecret as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// Secret scopes the tasks share (a workspace allows 100).
const SCOPES: usize = 8;

/// What to run.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// Concurrent tasks.
    pub tasks: usize,
    /// Operations per task (each is one to three API calls).
    pub iterations: usize,
    /// The emulator binary.
    pub emulator: String,
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct SoakReport {
    /// API calls made by the workload (an upload counts once).
    pub calls: u64,
    /// Calls that succeeded.
    pub succeeded: u64,
    /// Calls that failed with an outcome-unknown error.
    pub outcome_unknown: u64,
    /// Calls that failed definitely.
    pub failed: u64,
    /// HTTP requests the emulator received during the workload (every attempt).
    pub requests: u64,
    /// Faults fired.
    pub faults_fired: u64,
    /// Retries made by the client (`dbx_core`'s "...; retrying in ..." events).
    pub retries: u64,
    /// Upload restarts (outcome-unknown `add-block`).
    pub upload_restarts: u64,
    /// Objects checked against the model at the end.
    pub checked: u64,
    /// The workload's wall time.
    pub duration: Duration,
    /// The emulator's peak resident memory (VmHWM), in KiB, when readable.
    pub emulator_peak_rss_kib: Option<u64>,
}

impl std::fmt::Display for SoakReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "calls {} (ok {}, outcome unknown {}, failed {}), HTTP requests {}, faults fired {} ({:.1}% of requests), client retries {}, upload restarts {}, objects checked {}, duration {:.2?}, emulator peak RSS {}",
            self.calls,
            self.succeeded,
            self.outcome_unknown,
            self.failed,
            self.requests,
            self.faults_fired,
            if self.requests == 0 { 0.0 } else { self.faults_fired as f64 * 100.0 / self.requests as f64 },
            self.retries,
            self.upload_restarts,
            self.checked,
            self.duration,
            self.emulator_peak_rss_kib
                .map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
                .unwrap_or_else(|| "unknown".into()),
        )
    }
}

/// Counts the client's retries: `dbx_core` logs one event per retry ("attempt n/N of METHOD
/// PATH failed (reason); retrying in 1.0s", DEBUG for the first, WARN after).
#[derive(Clone, Default)]
pub struct RetryCounter(Arc<AtomicU64>);

impl RetryCounter {
    /// Install the counter as the process' global subscriber (once; later calls share it).
    pub fn install() -> RetryCounter {
        use tracing_subscriber::layer::SubscriberExt as _;
        static COUNTER: std::sync::OnceLock<RetryCounter> = std::sync::OnceLock::new();
        COUNTER
            .get_or_init(|| {
                let counter = RetryCounter::default();
                let filter = tracing_subscriber::filter::Targets::new()
                    .with_target("dbx_core", tracing::Level::DEBUG);
                let subscriber = tracing_subscriber::registry().with(
                    tracing_subscriber::Layer::with_filter(counter.clone(), filter),
                );
                // Another global subscriber may exist; then retries read 0.
                let _ = tracing::subscriber::set_global_default(subscriber);
                counter
            })
            .clone()
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RetryCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Message(bool);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && format!("{value:?}").contains("; retrying in ") {
                    self.0 = true;
                }
            }
        }
        let mut m = Message(false);
        event.record(&mut m);
        if m.0 {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// How one call ended, as far as the model is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Ok,
    Unknown,
    Failed,
}

fn ended<T>(r: &Result<T, dbx_core::Error>) -> Ended {
    match r {
        Ok(_) => Ended::Ok,
        Err(e) if e.is_outcome_unknown() => Ended::Unknown,
        Err(_) => Ended::Failed,
    }
}

/// The values a thing may have at the end (`None`: absent).
#[derive(Debug, Clone)]
struct Allowed<T: Ord + Clone>(BTreeSet<Option<T>>);

impl<T: Ord + Clone> Allowed<T> {
    fn absent() -> Self {
        Self(BTreeSet::from([None]))
    }

    /// A write of `value` (`None`: a delete) that ended so.
    fn apply(&mut self, value: Option<T>, how: Ended) {
        match how {
            Ended::Ok => self.0 = BTreeSet::from([value]),
            Ended::Unknown => {
                self.0.insert(value);
            }
            Ended::Failed => {}
        }
    }

    fn allows(&self, v: &Option<T>) -> bool {
        self.0.contains(v)
    }
}

/// How many objects of one name may exist at the end.
#[derive(Debug, Clone, Copy)]
struct Count {
    min: usize,
    max: usize,
}

impl Count {
    fn of(how: Ended) -> Self {
        match how {
            Ended::Ok => Count { min: 1, max: 1 },
            Ended::Unknown => Count { min: 0, max: 1 },
            Ended::Failed => Count { min: 0, max: 0 },
        }
    }
}

/// What one task expects at the end.
#[derive(Debug, Default)]
struct Model {
    secrets: BTreeMap<(String, String), Allowed<String>>,
    files: BTreeMap<String, Allowed<String>>,
    notebooks: BTreeMap<String, Allowed<String>>,
    /// job name → (count, the id when created for sure, run-nows: (ok, unknown), run ids seen)
    jobs: BTreeMap<String, (Count, Option<JobId>, Count, Vec<i64>)>,
    clusters: BTreeMap<String, (Count, Option<String>)>,
    users: BTreeMap<String, Allowed<()>>,
    /// user name → may it be a member of the task's group (true/false allowed)
    members: BTreeMap<String, BTreeSet<bool>>,
    calls: [u64; 3],
    restarts: u64,
}

impl Model {
    fn count(&mut self, how: Ended) -> Ended {
        self.calls[how as usize] += 1;
        how
    }
}

/// Fixtures made before the faults start.
#[derive(Clone)]
struct Fixtures {
    cluster: ClusterSpec,
    groups: Vec<String>,
    root: String,
}

/// A tiny deterministic generator (xorshift64*), seeded per task.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The faults: about 30% of `/api` requests get one (the first that fires wins).
fn faults() -> Vec<Value> {
    vec![
        json!({"path": "/api/*", "status": 429, "retry_after_secs": 1, "probability": 0.09}),
        json!({"path": "/api/*", "status": 503, "probability": 0.08}),
        json!({"path": "/api/*", "status": 504, "probability": 0.05}),
        json!({"path": "/api/*", "status": 504, "probability": 0.07, "after_apply": true}),
        json!({"path": "/api/*", "latency_ms": 150, "probability": 0.05}),
        // Applied, then answered after the client's 1 s timeout.
        json!({"path": "/api/*", "latency_ms": 1500, "probability": 0.015, "after_apply": true}),
    ]
}

/// A client of the emulator at `host`: 1 s per attempt, up to 10 attempts, short backoff.
fn client(host: &str, token: &str) -> Client {
    let config = Config::builder()
        .host(host)
        .token(token)
        .request_timeout(Duration::from_secs(1))
        .retry(RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(400),
            deadline: Duration::from_secs(60),
            jitter: true,
        })
        .build()
        .expect("client config");
    Client::new(config).expect("client")
}

async fn start(exe: &str) -> EmulatorProcess {
    EmulatorProcess::start(exe, "error").await
}

fn peak_rss_kib(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn admin(client: &Client, req: Request) -> Value {
    client.call::<Value>(req).await.expect("admin route")
}

/// Total `/api` requests so far: the journal's last sequence number.
async fn requests_so_far(client: &Client) -> u64 {
    let j = admin(client, Request::get("/__mock/journal")).await;
    j["entries"]
        .as_array()
        .and_then(|e| e.last())
        .and_then(|e| e["seq"].as_u64())
        .unwrap_or(0)
}

async fn setup(c: &Client, tasks: usize) -> Fixtures {
    let secrets = SecretsApi::new(c.clone());
    for s in 0..SCOPES {
        secrets
            .create_scope(format!("soak-{s}"))
            .send()
            .await
            .expect("scope");
    }
    let clusters = ClustersApi::new(c.clone());
    let version = clusters
        .select_spark_version(&SparkVersionQuery::new().lts())
        .await
        .expect("LTS runtime");
    let node = clusters
        .select_node_type(&NodeTypeQuery::new().local_disk())
        .await
        .expect("node type");
    let cluster = ClusterSpec::new(version).node_type_id(node).num_workers(1);
    let root = "/Shared/soak".to_owned();
    let ws = WorkspaceApi::new(c.clone());
    let scim = ScimApi::new(c.clone());
    let mut groups = Vec::new();
    for t in 0..tasks {
        ws.mkdirs(&format!("{root}/t{t}")).await.expect("mkdirs");
        let g = scim
            .groups()
            .create(&Group::new(format!("soak-g{t}")))
            .await
            .expect("group");
        groups.push(g.id.expect("group id").to_string());
    }
    DbfsApi::new(c.clone())
        .mkdirs("/soak")
        .await
        .expect("dbfs mkdirs");
    Fixtures {
        cluster,
        groups,
        root,
    }
}

/// One task's workload.
async fn task(c: Client, fx: Fixtures, t: usize, iterations: usize) -> Model {
    let mut m = Model::default();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((t as u64 + 1) << 17));
    let secrets = SecretsApi::new(c.clone());
    let dbfs = DbfsApi::new(c.clone());
    let ws = WorkspaceApi::new(c.clone());
    let jobs = JobsApi::new(c.clone());
    let clusters = ClustersApi::new(c.clone());
    let scim = ScimApi::new(c.clone());
    let group = fx.groups[t].clone();
    let mut my_keys: Vec<(String, String)> = Vec::new();
    let mut my_notebooks: Vec<String> = Vec::new();
    let mut my_jobs: Vec<(String, JobId)> = Vec::new();
    let mut my_users: Vec<(String, String)> = Vec::new();
    for k in 0..iterations {
        match rng.below(8) {
            // secrets put (new key, or overwrite one of ours)
            0 | 1 => {
                let (scope, key) = if !my_keys.is_empty() && rng.below(3) == 0 {
                    my_keys[rng.below(my_keys.len() as u64) as usize].clone()
                } else {
                    let sk = (format!("soak-{}", t % SCOPES), format!("t{t}-k{k}"));
                    my_keys.push(sk.clone());
                    sk
                };
                let value = format!("t{t}-v{k}-{}", rng.next());
                let r = secrets
                    .put_secret(scope.clone(), key.clone())
                    .string_value(value.clone())
                    .send()
                    .await;
                let how = m.count(ended(&r));
                m.secrets
                    .entry((scope, key))
                    .or_insert_with(Allowed::absent)
                    .apply(Some(value), how);
            }
            // secrets delete of one of ours
            2 if !my_keys.is_empty() => {
                let (scope, key) = my_keys[rng.below(my_keys.len() as u64) as usize].clone();
                let r = secrets.delete_secret(&scope, &key).await;
                // Deleting an absent key is a definite not-found: nothing changed.
                let how = m.count(ended(&r));
                m.secrets
                    .entry((scope, key))
                    .or_insert_with(Allowed::absent)
                    .apply(None, how);
            }
            // DBFS streaming upload, checked by hash
            2 | 3 => {
                let len = 1 + rng.below(160 * 1024) as usize;
                let data = dbx_contract_tests::pseudo_random_bytes(len, rng.next());
                let path = format!("/soak/t{t}-f{k}.bin");
                let restarts = Arc::new(AtomicU64::new(0));
                let seen = Arc::clone(&restarts);
                let mut last = 0u64;
                let r = dbfs
                    .upload_bytes(&path, data.clone())
                    .block_size(64 * 1024)
                    .overwrite(Overwrite::Yes)
                    .on_progress(move |p| {
                        if p.bytes <= last {
                            seen.fetch_add(1, Ordering::Relaxed);
                        }
                        last = p.bytes;
                    })
                    .send()
                    .await;
                m.restarts += restarts.load(Ordering::Relaxed);
                let how = match &r {
                    Ok(s) => {
                        assert_eq!(s.bytes, len as u64, "upload summary of {path}");
                        Ended::Ok
                    }
                    Err(e) if e.is_outcome_unknown() => Ended::Unknown,
                    Err(_) => Ended::Failed,
                };
                let how = m.count(how);
                m.files
                    .entry(path)
                    .or_insert_with(Allowed::absent)
                    .apply(Some(sha256_hex(&data)), how);
            }
            // workspace import (new notebook, or overwrite one of ours)
            4 => {
                let path = if !my_notebooks.is_empty() && rng.below(3) == 0 {
                    my_notebooks[rng.below(my_notebooks.len() as u64) as usize].clone()
                } else {
                    let p = format!("{}/t{t}/nb{k}", fx.root);
                    my_notebooks.push(p.clone());
                    p
                };
                let marker = format!("t{t}-n{k}-{}", rng.next());
                let r = ws
                    .import(
                        path.clone(),
                        format!("# Databricks notebook source\nprint(\"{marker}\")\n"),
                    )
                    .format(Format::Source)
                    .language(Language::Python)
                    .overwrite(true)
                    .send()
                    .await;
                let how = m.count(ended(&r));
                m.notebooks
                    .entry(path)
                    .or_insert_with(Allowed::absent)
                    .apply(Some(marker), how);
            }
            // job create (no idempotency key), or run-now with a token on one of ours
            5 => {
                if !my_jobs.is_empty() && rng.below(2) == 0 {
                    let (name, id) = my_jobs[rng.below(my_jobs.len() as u64) as usize].clone();
                    let token = format!("soak-t{t}-r{k}");
                    let r = jobs
                        .run_now(&RunNow::new(id).idempotency_token(token))
                        .await;
                    let how = m.count(ended(&r));
                    let entry = m.jobs.get_mut(&name).expect("job in the model");
                    match how {
                        Ended::Ok => entry.2.min += 1,
                        Ended::Unknown => {}
                        Ended::Failed => continue,
                    }
                    entry.2.max += 1;
                    if let Ok(run) = r {
                        entry.3.push(run.run_id.0);
                    }
                } else {
                    let name = format!("soak-t{t}-j{k}");
                    let settings = JobSettings::new(&name)
                        .job_cluster(JobCluster::new("main", fx.cluster.clone()))
                        .task(Task::notebook("only", "/Shared/soak/none").job_cluster_key("main"));
                    let r = jobs.create(&settings).await;
                    let how = m.count(ended(&r));
                    let id = r.ok();
                    if let Some(id) = id {
                        my_jobs.push((name.clone(), id));
                    }
                    m.jobs.insert(
                        name,
                        (Count::of(how), id, Count { min: 0, max: 0 }, Vec::new()),
                    );
                }
            }
            // cluster create with an idempotency token
            6 => {
                let name = format!("soak-t{t}-c{k}");
                let spec = fx
                    .cluster
                    .clone()
                    .cluster_name(&name)
                    .idempotency_token(format!("soak-t{t}-c{k}"));
                let r = clusters.create(&spec).await;
                let how = m.count(ended(&r));
                m.clusters
                    .insert(name, (Count::of(how), r.ok().map(|id| id.to_string())));
            }
            // SCIM: create a user and add it to the task's group, or delete one
            _ => {
                if !my_users.is_empty() && rng.below(3) == 0 {
                    let i = rng.below(my_users.len() as u64) as usize;
                    let (name, id) = my_users.swap_remove(i);
                    let r = scim.users().delete(&id.clone().into()).await;
                    let how = m.count(ended(&r));
                    m.users
                        .get_mut(&name)
                        .expect("user in the model")
                        .apply(None, how);
                    if how == Ended::Failed {
                        my_users.push((name, id));
                    }
                } else {
                    let name = format!("soak-t{t}-u{k}@example.com");
                    let r = scim.users().create(&User::new(&name)).await;
                    let how = m.count(ended(&r));
                    m.users
                        .entry(name.clone())
                        .or_insert_with(Allowed::absent)
                        .apply(Some(()), how);
                    m.members.insert(name.clone(), BTreeSet::from([false]));
                    let Ok(user) = r else { continue };
                    let id = user.id.expect("user id").to_string();
                    let patch = PatchRequest::new().add_members([id.clone()]);
                    let r = scim.groups().patch(&group.clone().into(), &patch).await;
                    let how = m.count(ended(&r));
                    let member = m.members.get_mut(&name).expect("member entry");
                    match how {
                        Ended::Ok => *member = BTreeSet::from([true]),
                        Ended::Unknown => {
                            member.insert(true);
                        }
                        Ended::Failed => {}
                    }
                    my_users.push((name, id));
                }
            }
        }
    }
    m
}

/// Read the emulator's state and compare it with the models; panics naming every difference.
async fn reconcile(c: &Client, fx: &Fixtures, models: &[Model]) -> u64 {
    let mut problems = Vec::new();
    let mut checked = 0u64;

    // Secrets: every key in the soak scopes is in a model, with an allowed value.
    let secrets = SecretsApi::new(c.clone());
    let mut expected: BTreeMap<(String, String), &Allowed<String>> = BTreeMap::new();
    for m in models {
        for (k, v) in &m.secrets {
            expected.insert(k.clone(), v);
        }
    }
    let mut found: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
    for s in 0..SCOPES {
        let scope = format!("soak-{s}");
        for meta in secrets.list_secrets(&scope).await.expect("list secrets") {
            let got = secrets
                .get_secret(&scope, &meta.key)
                .await
                .expect("get secret");
            let value = String::from_utf8_lossy(got.value.expose_secret()).into_owned();
            found.insert((scope.clone(), meta.key), Some(value));
        }
    }
    for (k, allowed) in &expected {
        checked += 1;
        let got = found.remove(k).flatten();
        if !allowed.allows(&got) {
            problems.push(format!("secret {k:?} is {got:?}, allowed {:?}", allowed.0));
        }
    }
    for k in found.keys() {
        problems.push(format!("secret {k:?} exists but no call wrote it"));
    }

    // DBFS: each uploaded path absent or with exactly the uploaded bytes.
    let dbfs = DbfsApi::new(c.clone());
    let mut on_dbfs: BTreeSet<String> = dbfs
        .list("/soak")
        .await
        .expect("list /soak")
        .into_iter()
        .map(|f| f.path)
        .collect();
    for m in models {
        for (path, allowed) in &m.files {
            checked += 1;
            let got = if on_dbfs.remove(path) {
                let mut data = Vec::new();
                let mut offset = 0i64;
                loop {
                    let chunk = dbfs.read(path, offset, None).await.expect("read");
                    if chunk.bytes_read == 0 {
                        break;
                    }
                    offset += chunk.bytes_read;
                    data.extend_from_slice(&chunk.data);
                }
                Some(sha256_hex(&data))
            } else {
                None
            };
            if !allowed.allows(&got) {
                problems.push(format!(
                    "dbfs {path} has hash {got:?}, allowed {:?}",
                    allowed.0
                ));
            }
        }
    }
    for p in on_dbfs {
        problems.push(format!("dbfs {p} exists but no upload wrote it"));
    }

    // Workspace: each notebook absent or with one allowed content.
    let ws = WorkspaceApi::new(c.clone());
    for (t, m) in models.iter().enumerate() {
        let mut listed: BTreeSet<String> = ws
            .list(&format!("{}/t{t}", fx.root))
            .await
            .expect("list notebooks")
            .into_iter()
            .map(|o| o.path)
            .collect();
        for (path, allowed) in &m.notebooks {
            checked += 1;
            let got = if listed.remove(path) {
                let e = ws
                    .export(path.clone())
                    .format(Format::Source)
                    .send()
                    .await
                    .expect("export");
                let text = String::from_utf8_lossy(&e.content).into_owned();
                text.split("print(\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .map(str::to_owned)
            } else {
                None
            };
            if !allowed.allows(&got) {
                problems.push(format!(
                    "notebook {path} holds {got:?}, allowed {:?}",
                    allowed.0
                ));
            }
        }
        for p in listed {
            problems.push(format!("notebook {p} exists but no import wrote it"));
        }
    }

    // Jobs: per name, the count the calls allow; per job, the runs its run-nows allow.
    let jobs = JobsApi::new(c.clone());
    let mut by_name: HashMap<String, Vec<JobId>> = HashMap::new();
    for (id, name) in jobs.job_names().await.expect("job names") {
        by_name.entry(name).or_default().push(id);
    }
    for m in models {
        for (name, (count, id, runs, run_ids)) in &m.jobs {
            checked += 1;
            let ids = by_name.remove(name).unwrap_or_default();
            if ids.len() < count.min || ids.len() > count.max {
                problems.push(format!(
                    "job {name}: {} exist, allowed {}..={}",
                    ids.len(),
                    count.min,
                    count.max
                ));
                continue;
            }
            if let Some(id) = id {
                if ids != [*id] {
                    problems.push(format!("job {name}: ids {ids:?}, created {id}"));
                }
            }
            if let Some(&id) = ids.first() {
                let found: Vec<i64> = jobs
                    .list_runs()
                    .job_id(id)
                    .items()
                    .map_ok(|r| r.run_id.0)
                    .try_collect()
                    .await
                    .expect("runs");
                if found.len() < runs.min || found.len() > runs.max {
                    problems.push(format!(
                        "job {name}: {} runs, allowed {}..={}",
                        found.len(),
                        runs.min,
                        runs.max
                    ));
                }
                for r in run_ids {
                    if !found.contains(r) {
                        problems.push(format!("job {name}: run {r} was reported but is missing"));
                    }
                }
            }
        }
    }
    for (name, ids) in by_name {
        problems.push(format!(
            "jobs {ids:?} named {name} exist but no call created them"
        ));
    }

    // Clusters: per name, the count the calls allow.
    let clusters = ClustersApi::new(c.clone());
    let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
    let all: Vec<_> = clusters
        .list()
        .items()
        .try_collect()
        .await
        .expect("clusters");
    for cl in all {
        // Job runs start clusters of their own: only the soak's named clusters count.
        let Some(name) = cl.cluster_name.filter(|n| n.starts_with("soak-")) else {
            continue;
        };
        let id = cl.cluster_id.map(|i| i.to_string()).unwrap_or_default();
        by_name.entry(name).or_default().push(id);
    }
    for m in models {
        for (name, (count, id)) in &m.clusters {
            checked += 1;
            let ids = by_name.remove(name).unwrap_or_default();
            if ids.len() < count.min || ids.len() > count.max {
                problems.push(format!(
                    "cluster {name}: {} exist, allowed {}..={}",
                    ids.len(),
                    count.min,
                    count.max
                ));
            } else if let Some(id) = id {
                if ids != [id.clone()] {
                    problems.push(format!("cluster {name}: ids {ids:?}, created {id}"));
                }
            }
        }
    }
    for (name, ids) in by_name {
        problems.push(format!(
            "clusters {ids:?} named {name:?} exist but no call created them"
        ));
    }

    // SCIM: users present or absent as allowed; group members as allowed.
    let scim = ScimApi::new(c.clone());
    let users: Vec<User> = scim
        .users()
        .list()
        .filter_raw("userName sw \"soak-\"")
        .all()
        .await
        .expect("users");
    let mut present: HashMap<String, String> = users
        .into_iter()
        .filter_map(|u| Some((u.user_name.clone()?, u.id?.to_string())))
        .collect();
    for (t, m) in models.iter().enumerate() {
        let group = scim
            .groups()
            .get(&fx.groups[t].clone().into())
            .await
            .expect("group");
        let members: BTreeSet<String> = group
            .members
            .iter()
            .filter_map(|v| v.value.clone())
            .collect();
        for (name, allowed) in &m.users {
            checked += 1;
            let id = present.remove(name);
            if !allowed.allows(&id.as_ref().map(|_| ())) {
                problems.push(format!(
                    "user {name} present: {}, allowed {:?}",
                    id.is_some(),
                    allowed.0
                ));
            }
            if let Some(id) = id {
                let member = members.contains(&id);
                if !m.members.get(name).is_some_and(|a| a.contains(&member)) {
                    problems.push(format!(
                        "user {name} member of soak-g{t}: {member}, allowed {:?}",
                        m.members.get(name)
                    ));
                }
            }
        }
    }
    for name in present.keys() {
        problems.push(format!("user {name} exists but no call created it"));
    }

    assert!(
        problems.is_empty(),
        "{} differences between the emulator's state and what the client reported:\n{}",
        problems.len(),
        problems.join("\n")
    );
    checked
}

/// Run the soak: start the emulator, set up, inject faults, run the tasks, remove the faults,
/// reconcile, stop the emulator. Panics on any difference.
pub async fn run(cfg: &SoakConfig) -> SoakReport {
    let retries = RetryCounter::install();
    let mut emu = start(&cfg.emulator).await;
    let c = client(&emu.host, &emu.token);
    let fx = setup(&c, cfg.tasks).await;
    for f in faults() {
        admin(&c, Request::post("/__mock/faults").json(&f).expect("fault")).await;
    }
    let requests_before = requests_so_far(&c).await;
    let retries_before = retries.get();

    let started = Instant::now();
    let handles: Vec<_> = (0..cfg.tasks)
        .map(|t| tokio::spawn(task(c.clone(), fx.clone(), t, cfg.iterations)))
        .collect();
    let mut models = Vec::new();
    for h in handles {
        models.push(h.await.expect("task"));
    }
    let duration = started.elapsed();

    let retries = retries.get() - retries_before;
    let requests = requests_so_far(&c).await - requests_before;
    let faults = admin(&c, Request::get("/__mock/faults")).await;
    let faults_fired = faults["faults"]
        .as_array()
        .map(|fs| fs.iter().filter_map(|f| f["fired"].as_u64()).sum())
        .unwrap_or(0);
    admin(&c, Request::delete("/__mock/faults")).await;

    let checked = reconcile(&c, &fx, &models).await;
    let peak = peak_rss_kib(emu.child.id());
    let _ = emu.child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(10), emu.child.wait()).await;

    let sum = |i: usize| models.iter().map(|m| m.calls[i]).sum::<u64>();
    SoakReport {
        calls: sum(0) + sum(1) + sum(2),
        succeeded: sum(Ended::Ok as usize),
        outcome_unknown: sum(Ended::Unknown as usize),
        failed: sum(Ended::Failed as usize),
        requests,
        faults_fired,
        retries,
        upload_restarts: models.iter().map(|m| m.restarts).sum(),
        checked,
        duration,
        emulator_peak_rss_kib: peak,
    }
}
