//! Contract scenarios for the Secrets API: dbx-secrets against the emulator.
//!
//! Every endpoint's exact request and response JSON is pinned by a snapshot; an ACL matrix checks
//! who may do what; every documented error path is asserted by status and `error_code`.

use dbx_contract_tests::{portable, snapshot, Harness};
use dbx_core::{Client, Error, ExposeSecret, Request};
use dbx_mock_server::Emulator;
use dbx_secrets::{
    AclItem, AclPermission, AzureKeyVaultSecretScopeMetadata, ScopeBackendType, SecretScope,
    SecretValue, SecretsApi,
};
use insta::assert_json_snapshot;
use serde_json::{json, Value};

fn status(e: &Error) -> u16 {
    e.status().map(|s| s.as_u16()).unwrap_or(0)
}

/// `(status, error_code)` of an error.
fn code(e: &Error) -> (u16, &str) {
    (status(e), e.error_code().unwrap_or(""))
}

fn message(e: &Error) -> String {
    e.api().map(|a| a.message.clone()).unwrap_or_default()
}

/// A raw call, for request shapes the typed client cannot express.
async fn raw(client: &Client, req: Request) -> Result<Value, Error> {
    client.call::<Value>(req).await
}

portable!(
    scope_endpoints,
    secret_endpoints,
    secret_errors,
    acl_errors,
    value_size_and_secret_count_limits,
);

async fn scope_endpoints(h: &Harness) {
    let api = SecretsApi::new(h.admin.clone());
    let (app, shared, from_vault) = (h.name("app"), h.name("shared"), h.name("from-vault"));
    for scope in [&app, &shared, &from_vault] {
        h.cleanup_scope(scope);
    }

    api.create_scope(app.as_str()).send().await.expect("create");
    snapshot!(h, "scopes_create");

    api.create_scope(shared.as_str())
        .initial_manage_principal("users")
        .send()
        .await
        .expect("create for users");
    snapshot!(h, "scopes_create_initial_manage_principal");

    // Azure Key Vault-backed scopes need an Azure workspace and an Azure AD token: only the
    // emulator accepts one from any caller.
    let vault = AzureKeyVaultSecretScopeMetadata::new(
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
        "https://kv.vault.azure.net/",
    );
    let with_vault = h.emulator().is_some();
    if with_vault {
        api.create_scope(from_vault.as_str())
            .backend_azure_keyvault(vault.clone())
            .send()
            .await
            .expect("create AKV");
        snapshot!(h, "scopes_create_azure_keyvault");
    }

    // A shared workspace holds other scopes too: look at ours only.
    let scopes: Vec<SecretScope> = api
        .list_scopes()
        .await
        .expect("list")
        .into_iter()
        .filter(|s| [&app, &shared, &from_vault].contains(&&s.name))
        .collect();
    let mut want = vec![SecretScope {
        name: app.clone(),
        backend_type: Some(ScopeBackendType::Databricks),
        keyvault_metadata: None,
    }];
    if with_vault {
        want.push(SecretScope {
            name: from_vault.clone(),
            backend_type: Some(ScopeBackendType::AzureKeyvault),
            keyvault_metadata: Some(vault),
        });
    }
    want.push(SecretScope {
        name: shared.clone(),
        backend_type: Some(ScopeBackendType::Databricks),
        keyvault_metadata: None,
    });
    assert_eq!(scopes, want);
    snapshot!(h, "scopes_list");

    api.delete_scope(app.as_str()).await.expect("delete");
    snapshot!(h, "scopes_delete");
    api.delete_scope(shared.as_str()).await.expect("delete");
    if with_vault {
        api.delete_scope(from_vault.as_str()).await.expect("delete");
    }
    h.clear_exchanges();

    let left = api.list_scopes().await.expect("list");
    assert!(!left
        .iter()
        .any(|s| [&app, &shared, &from_vault].contains(&&s.name)));
    if h.emulator().is_some() {
        // No scopes: the key is omitted and the client reads an empty list.
        assert!(left.is_empty());
        snapshot!(h, "scopes_list_empty");
    }
}

async fn secret_endpoints(h: &Harness) {
    let api = SecretsApi::new(h.admin.clone());
    let app = h.name("app");
    let app = app.as_str();
    h.cleanup_scope(app);
    api.create_scope(app).send().await.expect("scope");
    h.clear_exchanges();

    assert!(api.list_secrets(app).await.expect("list").is_empty());
    snapshot!(h, "secrets_list_empty");

    api.put_secret(app, "db-password")
        .string_value("s3cr3t-value")
        .send()
        .await
        .expect("put string");
    snapshot!(h, "secrets_put_string");

    api.put_secret(app, "tls-key")
        .bytes_value(vec![0u8, 1, 2, 253, 254, 255])
        .send()
        .await
        .expect("put bytes");
    snapshot!(h, "secrets_put_bytes");

    let listed = api.list_secrets(app).await.expect("list");
    let keys: Vec<&str> = listed.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["db-password", "tls-key"]);
    assert!(listed.iter().all(|m| m.last_updated_timestamp > 0));
    snapshot!(h, "secrets_list");

    let got = api.get_secret(app, "db-password").await.expect("get");
    assert_eq!(got.key, "db-password");
    assert_eq!(
        got.to_secret_string().expect("utf-8").expose_secret(),
        "s3cr3t-value"
    );
    snapshot!(h, "secrets_get_string");

    let got = api.get_secret(app, "tls-key").await.expect("get");
    assert_eq!(got.value.expose_secret(), &[0u8, 1, 2, 253, 254, 255][..]);
    assert!(got.to_secret_string().is_err(), "not UTF-8");
    snapshot!(h, "secrets_get_bytes");

    // Putting again overwrites.
    api.put_secret(app, "db-password")
        .value(SecretValue::string("rotated"))
        .send()
        .await
        .expect("overwrite");
    let got = api.get_secret(app, "db-password").await.expect("get");
    assert_eq!(got.value.expose_secret(), b"rotated");
    assert_eq!(api.list_secrets(app).await.expect("list").len(), 2);
    h.clear_exchanges();

    api.delete_secret(app, "tls-key").await.expect("delete");
    snapshot!(h, "secrets_delete");
    let keys: Vec<String> = api
        .list_secrets(app)
        .await
        .expect("list")
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(keys, ["db-password"]);
}

#[tokio::test]
async fn acl_endpoints() {
    let Some(h) = Harness::emulator_only("needs a group made by the emulator") else {
        return;
    };
    h.emu().create_group("data-scientists").expect("group");
    let api = SecretsApi::new(h.admin.clone());
    api.create_scope("app").send().await.expect("scope");
    h.clear_exchanges();

    api.put_acl("app", "data-scientists", AclPermission::Read)
        .await
        .expect("put acl");
    snapshot!(h, "acls_put");

    let acl = api
        .get_acl("app", "data-scientists")
        .await
        .expect("get acl");
    assert_eq!(
        acl,
        AclItem {
            principal: "data-scientists".into(),
            permission: AclPermission::Read,
        }
    );
    snapshot!(h, "acls_get");

    // Putting again overwrites the principal's permission.
    api.put_acl("app", "data-scientists", AclPermission::Write)
        .await
        .expect("overwrite acl");
    h.clear_exchanges();

    let acls = api.list_acls("app").await.expect("list acls");
    assert_eq!(
        acls,
        vec![
            AclItem {
                principal: "admin@example.com".into(),
                permission: AclPermission::Manage,
            },
            AclItem {
                principal: "data-scientists".into(),
                permission: AclPermission::Write,
            },
        ]
    );
    snapshot!(h, "acls_list");

    api.delete_acl("app", "data-scientists")
        .await
        .expect("delete acl");
    snapshot!(h, "acls_delete");
    assert_eq!(api.list_acls("app").await.expect("list").len(), 1);
}

#[tokio::test]
async fn the_creator_manages_unless_the_scope_is_for_all_users() {
    let Some(h) = Harness::emulator_only("needs users made by the emulator") else {
        return;
    };
    let alice = SecretsApi::new(h.user("alice@example.com"));
    let bob = SecretsApi::new(h.user("bob@example.com"));

    // A non-admin creator gets MANAGE, nobody else anything.
    alice
        .create_scope("alice-only")
        .send()
        .await
        .expect("create");
    let acls = alice
        .list_acls("alice-only")
        .await
        .expect("creator manages");
    assert_eq!(
        acls,
        vec![AclItem {
            principal: "alice@example.com".into(),
            permission: AclPermission::Manage,
        }]
    );
    let e = bob
        .list_secrets("alice-only")
        .await
        .expect_err("bob has nothing");
    assert_eq!(code(&e), (403, "PERMISSION_DENIED"));

    // initial_manage_principal=users: the ACL goes to `users` (everyone), not the creator.
    alice
        .create_scope("everyone")
        .initial_manage_principal("users")
        .send()
        .await
        .expect("create");
    let acls = bob.list_acls("everyone").await.expect("bob manages too");
    assert_eq!(
        acls,
        vec![AclItem {
            principal: "users".into(),
            permission: AclPermission::Manage,
        }]
    );
    h.clear_exchanges();
    bob.delete_scope("everyone")
        .await
        .expect("bob may delete it");

    // Scope names are public: everyone lists every scope.
    let names: Vec<String> = bob
        .list_scopes()
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["alice-only"]);
}

/// The operations of the matrix and the permission each needs.
#[derive(Debug, Clone, Copy)]
enum Op {
    ListSecrets,
    GetSecret,
    PutSecret,
    DeleteSecret,
    PutAcl,
    GetAcl,
    ListAcls,
    DeleteAcl,
    DeleteScope,
}

impl Op {
    const ALL: [Op; 9] = [
        Op::ListSecrets,
        Op::GetSecret,
        Op::PutSecret,
        Op::DeleteSecret,
        Op::PutAcl,
        Op::GetAcl,
        Op::ListAcls,
        Op::DeleteAcl,
        Op::DeleteScope,
    ];

    fn needs(self) -> AclPermission {
        match self {
            Op::ListSecrets | Op::GetSecret => AclPermission::Read,
            Op::PutSecret | Op::DeleteSecret => AclPermission::Write,
            Op::PutAcl | Op::GetAcl | Op::ListAcls | Op::DeleteAcl | Op::DeleteScope => {
                AclPermission::Manage
            }
        }
    }

    async fn run(self, api: &SecretsApi) -> Result<(), Error> {
        const S: &str = "matrix";
        match self {
            Op::ListSecrets => api.list_secrets(S).await.map(drop),
            Op::GetSecret => api.get_secret(S, "k").await.map(drop),
            Op::PutSecret => api.put_secret(S, "new").string_value("v").send().await,
            Op::DeleteSecret => api.delete_secret(S, "k").await,
            Op::PutAcl => {
                api.put_acl(S, "other@example.com", AclPermission::Write)
                    .await
            }
            Op::GetAcl => api.get_acl(S, "other@example.com").await.map(drop),
            Op::ListAcls => api.list_acls(S).await.map(drop),
            Op::DeleteAcl => api.delete_acl(S, "other@example.com").await,
            Op::DeleteScope => api.delete_scope(S).await,
        }
    }
}

/// How the caller holds its permission.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Via {
    /// An ACL naming the user.
    User,
    /// An ACL naming a group the user is in.
    Group,
    /// An ACL naming a group that contains the user's group.
    NestedGroup,
    /// An ACL naming `users`, which holds every user.
    AllUsers,
}

/// A fresh workspace with scope `matrix` (secret `k`, an ACL for `other@example.com`) and a
/// non-admin caller `u@example.com` holding `level` on it through `via`.
async fn matrix_world(level: Option<&AclPermission>, via: Via) -> (Harness, SecretsApi) {
    let h = Harness::with_emulator(Emulator::new());
    let admin = SecretsApi::new(h.admin.clone());
    let caller = SecretsApi::new(h.user("u@example.com"));
    h.emu()
        .create_user("other@example.com", false)
        .expect("other");
    h.emu().create_group("team").expect("group");
    h.emu().create_group("org").expect("group");
    h.emu()
        .add_group_member("team", "u@example.com")
        .expect("member");
    h.emu().add_group_member("org", "team").expect("member");
    admin.create_scope("matrix").send().await.expect("scope");
    admin
        .put_secret("matrix", "k")
        .string_value("v")
        .send()
        .await
        .expect("secret");
    admin
        .put_acl("matrix", "other@example.com", AclPermission::Read)
        .await
        .expect("other acl");
    if let Some(level) = level {
        let principal = match via {
            Via::User => "u@example.com",
            Via::Group => "team",
            Via::NestedGroup => "org",
            Via::AllUsers => "users",
        };
        admin
            .put_acl("matrix", principal, level.clone())
            .await
            .expect("grant");
    }
    h.clear_exchanges();
    (h, caller)
}

#[tokio::test]
async fn acl_matrix() {
    if Harness::emulator_only("needs users and groups made by the emulator").is_none() {
        return;
    }
    let levels = [
        None,
        Some(AclPermission::Read),
        Some(AclPermission::Write),
        Some(AclPermission::Manage),
    ];
    let mut table = Vec::new();
    for via in [Via::User, Via::Group, Via::NestedGroup, Via::AllUsers] {
        for level in &levels {
            let mut row = Vec::new();
            for op in Op::ALL {
                // Each operation on a fresh world: deleting the scope must not hide the rest.
                let (_h, caller) = matrix_world(level.as_ref(), via).await;
                let allowed = level.as_ref().is_some_and(|l| l.includes(&op.needs()));
                let outcome = op.run(&caller).await;
                match (&outcome, allowed) {
                    (Ok(()), true) => row.push("allow"),
                    (Err(e), false) => {
                        assert_eq!(
                            code(e),
                            (403, "PERMISSION_DENIED"),
                            "{via:?} {level:?} {op:?}"
                        );
                        assert!(e.is_permission_denied());
                        assert_eq!(
                            message(e),
                            format!(
                                "User u@example.com does not have {} permission on scope matrix \
                                 to perform this action.",
                                op.needs()
                            ),
                        );
                        row.push("deny");
                    }
                    _ => panic!("{via:?} {level:?} {op:?}: allowed={allowed}, got {outcome:?}"),
                }
            }
            let level = level.as_ref().map_or("none", |l| l.as_str());
            table.push(json!({"via": format!("{via:?}"), "level": level, "ops": row.join(" ")}));
        }
    }
    // The table itself, pinned: columns are Op::ALL in order.
    dbx_contract_tests::settings().bind(|| assert_json_snapshot!("acl_matrix", table));
}

#[tokio::test]
async fn admins_may_do_everything_without_any_acl() {
    if Harness::emulator_only("needs users and groups made by the emulator").is_none() {
        return;
    }
    for op in Op::ALL {
        let (h, caller) = matrix_world(None, Via::User).await;
        h.emu()
            .add_group_member("admins", "u@example.com")
            .expect("make u an admin");
        op.run(&caller)
            .await
            .unwrap_or_else(|e| panic!("admin denied {op:?}: {e}"));
    }
}

#[tokio::test]
async fn a_service_principal_is_a_principal_too() {
    let Some(h) = Harness::emulator_only("needs a service principal made by the emulator") else {
        return;
    };
    let sp = h.emu().create_service_principal("ci", false).expect("sp");
    let token = h
        .emu()
        .create_token(&sp.application_id, None, None)
        .expect("token");
    let ci = SecretsApi::new(h.client_with_token(&token.token_value));
    let admin = SecretsApi::new(h.admin.clone());
    admin.create_scope("deploy").send().await.expect("scope");
    let e = ci.list_secrets("deploy").await.expect_err("no grant yet");
    assert_eq!(code(&e), (403, "PERMISSION_DENIED"));
    assert!(message(&e).contains(&sp.application_id), "{e}");
    admin
        .put_acl("deploy", &sp.application_id, AclPermission::Write)
        .await
        .expect("grant to the application id");
    ci.put_secret("deploy", "token")
        .string_value("t")
        .send()
        .await
        .expect("write");
    assert_eq!(ci.list_secrets("deploy").await.expect("read").len(), 1);
}

#[tokio::test]
async fn scope_errors() {
    let Some(h) = Harness::emulator_only_with("needs a configured emulator and a user", || {
        Emulator::builder().secret_scope_limit(3).build()
    }) else {
        return;
    };
    let api = SecretsApi::new(h.admin.clone());
    let alice = SecretsApi::new(h.user("alice@example.com"));
    api.create_scope("app").send().await.expect("scope");
    h.clear_exchanges();

    let e = api.create_scope("app").send().await.expect_err("duplicate");
    assert_eq!(code(&e), (400, "RESOURCE_ALREADY_EXISTS"));
    assert!(e.is_already_exists());
    assert_eq!(message(&e), "Scope app already exists!");
    let e = api
        .create_scope("APP")
        .send()
        .await
        .expect_err("case-insensitive");
    assert_eq!(code(&e), (400, "RESOURCE_ALREADY_EXISTS"));
    let long = "x".repeat(129);
    for bad in ["", "has space", "slash/ed", "ünïcode", long.as_str()] {
        let e = api.create_scope(bad).send().await.expect_err(bad);
        assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{bad:?}");
    }
    // 128 characters and `@` are fine.
    api.create_scope("x".repeat(128)).send().await.expect("128");
    api.create_scope("team@example.com")
        .send()
        .await
        .expect("@");
    let e = api
        .create_scope("admins-first")
        .initial_manage_principal("admins")
        .send()
        .await
        .expect_err("only users");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    let e = api
        .create_scope("vault")
        .scope_backend_type(ScopeBackendType::AzureKeyvault)
        .send()
        .await
        .expect_err("AKV without metadata");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    assert_eq!(
        message(&e),
        "Missing required fields: backend_azure_keyvault.resource_id, backend_azure_keyvault.dns_name"
    );
    let e = api
        .create_scope("vault")
        .backend_azure_keyvault(AzureKeyVaultSecretScopeMetadata::new("", "https://kv/"))
        .send()
        .await
        .expect_err("AKV without a resource id");
    assert_eq!(
        (code(&e), message(&e)),
        (
            (400, "INVALID_PARAMETER_VALUE"),
            "Missing required fields: backend_azure_keyvault.resource_id".to_owned()
        )
    );
    let e = api
        .create_scope("backend")
        .scope_backend_type(ScopeBackendType::Unknown("VAULT".into()))
        .send()
        .await
        .expect_err("unknown backend");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    // The workspace now holds 3 scopes: its configured limit.
    let e = api
        .create_scope("one-more")
        .send()
        .await
        .expect_err("limit");
    assert_eq!(code(&e), (400, "RESOURCE_LIMIT_EXCEEDED"));
    snapshot!(h, "errors_scopes_create");

    let e = api.delete_scope("nope").await.expect_err("unknown");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    assert!(e.is_not_found());
    assert_eq!(message(&e), "Scope nope does not exist!");
    let e = alice.delete_scope("app").await.expect_err("not a manager");
    assert_eq!(code(&e), (403, "PERMISSION_DENIED"));
    assert_eq!(
        message(&e),
        "User alice@example.com does not have MANAGE permission on scope app to perform this action."
    );
    snapshot!(h, "errors_scopes_delete");
}

#[tokio::test]
async fn the_default_scope_limit_is_100() {
    let Some(h) = Harness::emulator_only("needs an empty workspace") else {
        return;
    };
    let api = SecretsApi::new(h.admin.clone());
    for i in 0..100 {
        api.create_scope(format!("s{i}"))
            .send()
            .await
            .expect("under the limit");
    }
    let e = api.create_scope("s100").send().await.expect_err("limit");
    assert_eq!(code(&e), (400, "RESOURCE_LIMIT_EXCEEDED"));
    // Deleting one makes room again.
    api.delete_scope("s0").await.expect("delete");
    api.create_scope("s100").send().await.expect("room again");
}

/// Every documented error of put, delete, list and get. The parts that need a second, non-admin
/// user (made by the emulator) or an Azure Key Vault scope run in-process only.
async fn secret_errors(h: &Harness) {
    let api = SecretsApi::new(h.admin.clone());
    let (app, vault, nope) = (h.name("app"), h.name("vault"), h.name("nope"));
    let (app, vault, nope) = (app.as_str(), vault.as_str(), nope.as_str());
    h.cleanup_scope(app);
    let bob = h
        .emulator()
        .map(|_| SecretsApi::new(h.user("bob@example.com")));
    api.create_scope(app).send().await.expect("scope");
    if h.emulator().is_some() {
        api.create_scope(vault)
            .backend_azure_keyvault(AzureKeyVaultSecretScopeMetadata::new("/r", "https://kv/"))
            .send()
            .await
            .expect("AKV scope");
    }
    api.put_secret(app, "k")
        .string_value("v")
        .send()
        .await
        .expect("put");
    if bob.is_some() {
        api.put_acl(app, "bob@example.com", AclPermission::Read)
            .await
            .expect("bob reads");
    }
    h.clear_exchanges();

    // put
    let e = api
        .put_secret(nope, "k")
        .string_value("v")
        .send()
        .await
        .expect_err("no scope");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    let long = "k".repeat(129);
    for bad in ["has space", "a/b", "at@sign", long.as_str()] {
        let e = api
            .put_secret(app, bad)
            .string_value("v")
            .send()
            .await
            .expect_err(bad);
        assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{bad:?}");
    }
    if let Some(bob) = &bob {
        let e = bob
            .put_secret(app, "k")
            .string_value("v")
            .send()
            .await
            .expect_err("READ only");
        assert_eq!(code(&e), (403, "PERMISSION_DENIED"));
        let e = api
            .put_secret(vault, "k")
            .string_value("v")
            .send()
            .await
            .expect_err("AKV is read-only");
        assert_eq!(code(&e), (400, "BAD_REQUEST"));
    }
    // Shapes the typed client cannot send: neither value, both values, bad base64.
    let put = |body: Value| Request::post("/api/2.0/secrets/put").json(&body);
    let e = raw(
        &h.admin,
        put(json!({"scope": app, "key": "k"})).expect("req"),
    )
    .await
    .expect_err("no value");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    let e = raw(
        &h.admin,
        put(json!({"scope": app, "key": "k", "string_value": "a", "bytes_value": "YQ=="}))
            .expect("req"),
    )
    .await
    .expect_err("both values");
    assert_eq!(code(&e), (400, "MALFORMED_REQUEST"));
    let e = raw(
        &h.admin,
        put(json!({"scope": app, "key": "k", "bytes_value": "%%% not base64 %%%"})).expect("req"),
    )
    .await
    .expect_err("bad base64");
    assert_eq!(code(&e), (400, "MALFORMED_REQUEST"));
    assert!(!message(&e).contains("%%%"), "the value is not echoed");
    let e = raw(
        &h.admin,
        put(json!({"scope": app, "string_value": "a"})).expect("req"),
    )
    .await
    .expect_err("no key");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    snapshot!(h, "errors_secrets_put");

    // delete, list, get
    let e = api.delete_secret(app, "missing").await.expect_err("no key");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    assert_eq!(
        message(&e),
        format!("Secret does not exist with scope: {app} and key: missing")
    );
    let e = api.delete_secret(nope, "k").await.expect_err("no scope");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    if let Some(bob) = &bob {
        let e = bob.delete_secret(app, "k").await.expect_err("READ only");
        assert_eq!(code(&e), (403, "PERMISSION_DENIED"));
        let e = api.delete_secret(vault, "k").await.expect_err("AKV");
        assert_eq!(code(&e), (400, "BAD_REQUEST"));
    }
    let e = api.list_secrets(nope).await.expect_err("no scope");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    let e = api.get_secret(app, "missing").await.expect_err("no key");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    let e = api.get_secret(nope, "k").await.expect_err("no scope");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    snapshot!(h, "errors_secrets_delete_list_get");
}

async fn value_size_and_secret_count_limits(h: &Harness) {
    let api = SecretsApi::new(h.admin.clone());
    let (big, many) = (h.name("big"), h.name("many"));
    let (big, many) = (big.as_str(), many.as_str());
    h.cleanup_scope(big);
    h.cleanup_scope(many);
    api.create_scope(big).send().await.expect("scope");

    // 128 KiB decoded is the most; both string and bytes count decoded bytes.
    api.put_secret(big, "max-bytes")
        .bytes_value(vec![0xabu8; 128 * 1024])
        .send()
        .await
        .expect("exactly 128 KiB");
    api.put_secret(big, "max-text")
        .string_value("x".repeat(128 * 1024))
        .send()
        .await
        .expect("exactly 128 KiB of text");
    let e = api
        .put_secret(big, "too-big")
        .bytes_value(vec![0u8; 128 * 1024 + 1])
        .send()
        .await
        .expect_err("over 128 KiB");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    let e = api
        .put_secret(big, "too-big")
        .string_value("é".repeat(64 * 1024 + 1))
        .send()
        .await
        .expect_err("UTF-8 bytes count");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    let got = api.get_secret(big, "max-bytes").await.expect("get");
    assert_eq!(got.value.expose_secret().len(), 128 * 1024);

    // 1000 secrets per scope.
    api.create_scope(many).send().await.expect("scope");
    for i in 0..1000 {
        api.put_secret(many, format!("k{i}"))
            .string_value("v")
            .send()
            .await
            .expect("under the limit");
    }
    let e = api
        .put_secret(many, "k1000")
        .string_value("v")
        .send()
        .await
        .expect_err("the 1001st");
    assert_eq!(code(&e), (400, "RESOURCE_LIMIT_EXCEEDED"));
    // Overwriting one of the 1000 is still fine, and a delete makes room.
    api.put_secret(many, "k7")
        .string_value("w")
        .send()
        .await
        .expect("overwrite");
    api.delete_secret(many, "k0").await.expect("delete");
    api.put_secret(many, "k1000")
        .string_value("v")
        .send()
        .await
        .expect("room again");
    assert_eq!(api.list_secrets(many).await.expect("list").len(), 1000);
    h.clear_exchanges();
}

/// Every documented error of the ACL calls. The parts that need a second, non-admin user (made
/// by the emulator) run in-process only.
async fn acl_errors(h: &Harness) {
    let api = SecretsApi::new(h.admin.clone());
    let (app, nope) = (h.name("app"), h.name("nope"));
    let (app, nope) = (app.as_str(), nope.as_str());
    h.cleanup_scope(app);
    let bob = h
        .emulator()
        .map(|_| SecretsApi::new(h.user("bob@example.com")));
    api.create_scope(app).send().await.expect("scope");
    if bob.is_some() {
        api.put_acl(app, "bob@example.com", AclPermission::Write)
            .await
            .expect("bob writes");
    }
    h.clear_exchanges();

    let e = api
        .put_acl(app, "ghost@example.com", AclPermission::Read)
        .await
        .expect_err("unknown principal");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    let e = api
        .put_acl(app, "users", AclPermission::Unknown("OWN".into()))
        .await
        .expect_err("unknown permission");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    let e = api
        .put_acl(nope, "users", AclPermission::Read)
        .await
        .expect_err("no scope");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    if let Some(bob) = &bob {
        let e = bob
            .put_acl(app, "users", AclPermission::Read)
            .await
            .expect_err("WRITE is not MANAGE");
        assert_eq!(code(&e), (403, "PERMISSION_DENIED"));
    }

    let e = api.get_acl(app, "users").await.expect_err("no ACL");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    let e = api
        .get_acl(app, "ghost@example.com")
        .await
        .expect_err("unknown principal");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"));
    let e = api.get_acl(nope, "users").await.expect_err("no scope");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    if let Some(bob) = &bob {
        let e = bob
            .get_acl(app, "bob@example.com")
            .await
            .expect_err("not a manager");
        assert_eq!(code(&e), (403, "PERMISSION_DENIED"));
    }

    let e = api.list_acls(nope).await.expect_err("no scope");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    if let Some(bob) = &bob {
        let e = bob.list_acls(app).await.expect_err("not a manager");
        assert_eq!(code(&e), (403, "PERMISSION_DENIED"));
    }

    let e = api.delete_acl(app, "users").await.expect_err("no ACL");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    let e = api
        .delete_acl(app, "ghost@example.com")
        .await
        .expect_err("unknown principal");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    let e = api.delete_acl(nope, "users").await.expect_err("no scope");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"));
    if let Some(bob) = &bob {
        let e = bob
            .delete_acl(app, "bob@example.com")
            .await
            .expect_err("not a manager");
        assert_eq!(code(&e), (403, "PERMISSION_DENIED"));
    }
    snapshot!(h, "errors_acls");
}

#[tokio::test]
async fn secret_values_stay_out_of_the_journal_and_debug_output() {
    let Some(h) = Harness::emulator_only("needs the journal") else {
        return;
    };
    let api = SecretsApi::new(h.admin.clone());
    const VALUE: &str = "never-print-me-0123456789";
    api.create_scope("app").send().await.expect("scope");
    api.put_secret("app", "k")
        .string_value(VALUE)
        .send()
        .await
        .expect("put");
    let builder = api
        .put_secret("app", "b")
        .bytes_value(VALUE.as_bytes().to_vec());
    let builder_debug = format!("{builder:?}");
    builder.send().await.expect("put bytes");
    let got = api.get_secret("app", "k").await.expect("get");
    let journal = serde_json::to_string(&h.emu().journal()).expect("journal");
    assert!(journal.contains("/api/2.0/secrets/get"), "{journal}");
    for text in [journal, builder_debug, format!("{got:?}")] {
        assert!(!text.contains(VALUE), "{text}");
    }
}

#[tokio::test]
async fn secret_values_never_reach_the_logs() {
    let Some(h) = Harness::emulator_only("needs the emulator's own logs") else {
        return;
    };
    dbx_contract_tests::captured_logs();
    let api = SecretsApi::new(h.admin.clone());
    const VALUE: &str = "hunter2-logged-nowhere";
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, VALUE);
    api.create_scope("logs").send().await.expect("scope");
    api.put_secret("logs", "k")
        .string_value(VALUE)
        .send()
        .await
        .expect("put string");
    api.put_secret("logs", "b")
        .bytes_value(VALUE.as_bytes().to_vec())
        .send()
        .await
        .expect("put bytes");
    let got = api.get_secret("logs", "k").await.expect("get");
    assert_eq!(got.value.expose_secret(), VALUE.as_bytes());
    let logs = dbx_contract_tests::captured_logs();
    assert!(
        logs.contains("path=/api/2.0/secrets/put"),
        "the session was logged: {logs}"
    );
    assert!(
        !logs.contains(VALUE) && !logs.contains(&encoded),
        "a secret value reached the logs"
    );
}
