//! `WorkspaceClient` against the in-process emulator: every family through one client, one
//! shared credentials provider (one OAuth token for all families), shared call options.

use std::time::Duration;

use dbx::clusters::{ClusterSpec, SparkVersionQuery};
use dbx::core::RetryPolicy;
use dbx::jobs::{JobSettings, Task};
use dbx::libraries::Library;
use dbx::{CallOptions, Config, WorkspaceClient};
use dbx_mock_server::{Emulator, Fault};
use futures::TryStreamExt;

fn admin(emu: &Emulator) -> WorkspaceClient {
    let config = Config::builder()
        .host(emu.base_url())
        .token(emu.admin_token())
        .build()
        .expect("config");
    WorkspaceClient::with_transport(config, emu.transport())
}

#[tokio::test]
async fn every_family_through_one_workspace_client() {
    let emu = Emulator::new();
    let ws = admin(&emu);

    // SCIM: the caller.
    let me = ws.scim().me().await.expect("me");
    assert_eq!(
        me.user_name.as_deref(),
        Some(emu.admin_user_name().as_str())
    );
    let found = ws
        .users()
        .find_by_name(&emu.admin_user_name())
        .await
        .expect("find user");
    assert_eq!(found.and_then(|u| u.id), me.id);

    // Tokens.
    let created = ws
        .tokens()
        .create()
        .comment("facade")
        .send()
        .await
        .expect("token");
    let listed = ws.tokens().list().await.expect("token list");
    assert!(listed
        .iter()
        .any(|t| t.token_id == created.token_info.token_id));

    // Secrets.
    ws.secrets()
        .create_scope("facade")
        .send()
        .await
        .expect("scope");
    ws.secrets()
        .put_secret("facade", "k")
        .string_value("v")
        .send()
        .await
        .expect("secret");
    let keys: Vec<String> = ws
        .secrets()
        .list_secrets("facade")
        .await
        .expect("secrets")
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(keys, ["k"]);

    // DBFS.
    ws.dbfs()
        .put("/facade/hello.txt", &b"hello"[..])
        .send()
        .await
        .expect("put");
    let files = ws.dbfs().list("/facade").await.expect("dbfs list");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, "/facade/hello.txt");
    assert_eq!(files[0].file_size, 5);

    // Workspace: a notebook for the job.
    ws.workspace()
        .mkdirs("/Shared/facade")
        .await
        .expect("mkdirs");
    ws.workspace()
        .import("/Shared/facade/nb", "# Databricks notebook source\n1 + 1\n")
        .format(dbx::workspace::Format::Source)
        .language(dbx::workspace::Language::Python)
        .send()
        .await
        .expect("import");
    let objects = ws.workspace().list("/Shared/facade").await.expect("ls");
    assert_eq!(objects.len(), 1);

    // Clusters, libraries and jobs on the same cluster.
    let clusters = ws.clusters();
    let version = clusters
        .select_spark_version(&SparkVersionQuery::new().lts())
        .await
        .expect("spark version");
    let node_types = clusters.list_node_types().await.expect("node types");
    let spec = ClusterSpec::new(version)
        .cluster_name("facade")
        .node_type_id(node_types[0].node_type_id.clone())
        .num_workers(1);
    let cluster_id = clusters.create(&spec).await.expect("create cluster");
    let library = Library::pypi("simplejson==3.8.0");
    ws.libraries()
        .install(&cluster_id, std::slice::from_ref(&library))
        .await
        .expect("install");
    let statuses = ws
        .libraries()
        .cluster_status(&cluster_id)
        .await
        .expect("library status");
    assert!(statuses.status_of(&library).is_some());
    let job_id = ws
        .jobs()
        .create(&JobSettings::new("facade").task(
            Task::notebook("nb", "/Shared/facade/nb").existing_cluster_id(cluster_id.to_string()),
        ))
        .await
        .expect("create job");
    let jobs: Vec<_> = ws.jobs().list().items().try_collect().await.expect("jobs");
    assert_eq!(jobs.iter().map(|j| j.job_id).collect::<Vec<_>>(), [job_id]);

    // Groups API 2.0 and instance profiles.
    ws.groups().create("facade-team").await.expect("group");
    assert!(ws
        .groups()
        .list()
        .await
        .expect("groups")
        .contains(&"facade-team".to_owned()));
    let scim_group = ws
        .scim()
        .find_group("facade-team")
        .await
        .expect("scim group");
    assert!(scim_group.is_some(), "the SCIM view of the same group");
    assert!(ws
        .instance_profiles()
        .list()
        .await
        .expect("instance profiles")
        .is_empty());

    // Every call above went through one client, as the admin.
    let journal = emu.journal();
    assert!(journal.len() >= 20, "{} calls", journal.len());
    assert!(journal
        .iter()
        .all(|e| e.caller.as_deref() == Some(emu.admin_user_name().as_str())));
}

#[tokio::test]
async fn all_families_share_one_oauth_token() {
    let emu = Emulator::new();
    let sp = emu
        .create_service_principal("facade-bot", true)
        .expect("service principal");
    let config = Config::builder()
        .host(emu.base_url())
        .client_id(sp.application_id.clone())
        .client_secret(sp.client_secret.clone())
        .build()
        .expect("config");
    let ws = WorkspaceClient::with_transport(config, emu.transport());

    ws.tokens().list().await.expect("tokens");
    ws.secrets().list_scopes().await.expect("scopes");
    ws.clusters().spark_versions().await.expect("versions");
    let _: Vec<_> = ws.jobs().list().items().try_collect().await.expect("jobs");
    ws.workspace().list("/").await.expect("workspace");
    ws.dbfs().list("/").await.expect("dbfs");
    let me = ws.scim().me().await.expect("me");
    assert_eq!(me.user_name.as_deref(), Some(sp.application_id.as_str()));
    // A clone and a handle with other options still share the provider.
    ws.clone()
        .with_options(CallOptions::default().with_timeout(Duration::from_secs(30)))
        .groups()
        .list()
        .await
        .expect("groups");

    let journal = emu.journal();
    let token_requests = journal
        .iter()
        .filter(|e| e.path == "/oidc/v1/token")
        .count();
    assert_eq!(token_requests, 1, "one OAuth token for every family");
    assert_eq!(journal.len(), 9, "8 API calls and the token request");
}

#[tokio::test]
async fn options_and_debug() {
    let emu = Emulator::new();
    let ws = admin(&emu);
    assert_eq!(ws.config().host(), emu.base_url());
    assert_eq!(ws.client().options().timeout, None);
    let patient = ws.with_options(CallOptions::default().with_timeout(Duration::from_secs(300)));
    assert_eq!(
        patient.client().options().timeout,
        Some(Duration::from_secs(300))
    );
    assert_eq!(
        ws.client().options().timeout,
        None,
        "the original is unchanged"
    );
    // The handles a workspace client hands out make their calls with its options: without
    // retries, one 503 is the caller's error.
    emu.add_fault(Fault::on("/api/2.0/token/list").status(503).count(1));
    let no_retry = ws.with_options(CallOptions::default().with_retry(RetryPolicy::none()));
    let err = no_retry
        .tokens()
        .list()
        .await
        .expect_err("503, not retried");
    assert!(err.is_retryable(), "{err:?}");
    emu.add_fault(
        Fault::on("/api/2.0/secrets/scopes/list")
            .status(503)
            .count(1),
    );
    assert!(no_retry.secrets().list_scopes().await.is_err());
    ws.tokens().list().await.expect("no fault left");

    let shown = format!("{ws:?}");
    assert!(shown.contains("WorkspaceClient"), "{shown}");
    assert!(!shown.contains(&emu.admin_token()), "{shown}");

    let from_client: WorkspaceClient = ws.client().clone().into();
    assert!(from_client
        .secrets()
        .list_scopes()
        .await
        .expect("scopes")
        .is_empty());
}
