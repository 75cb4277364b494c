//! Contract scenarios for the Instance Profiles API: dbx-instance-profiles against the emulator
//! (or any AWS workspace, see `tests/README.md`), and the Clusters API's check that a cluster
//! only uses a registered instance profile.
//!
//! Portable scenarios register profiles under unique names with `skip_validation` (no AWS
//! resource needed) and always remove them; in-process every exchange is pinned by a snapshot.

use dbx_clusters::{AwsAttributes, ClusterId, ClusterSpec, ClustersApi, State};
use dbx_contract_tests::{portable, snapshot, Harness};
use dbx_core::{Error, Request};
use dbx_instance_profiles::{InstanceProfile, InstanceProfileArn, InstanceProfilesApi};

/// `(status, error_code)` of an error.
fn code(e: &Error) -> (u16, &str) {
    (
        e.status().map(|s| s.as_u16()).unwrap_or(0),
        e.error_code().unwrap_or(""),
    )
}

fn message(e: &Error) -> String {
    e.api().map(|a| a.message.clone()).unwrap_or_default()
}

/// A well-formed ARN unique to this scenario (`base` itself in-process).
fn arn(h: &Harness, base: &str) -> InstanceProfileArn {
    InstanceProfileArn::parse(format!(
        "arn:aws:iam::123456789012:instance-profile/{}",
        h.name(base)
    ))
    .expect("a well-formed ARN")
}

/// Register `arn` (skipping the AWS dry run) and remove it when the scenario ends.
async fn add(h: &Harness, api: &InstanceProfilesApi, arn: &InstanceProfileArn) {
    api.add(arn)
        .skip_validation(true)
        .send()
        .await
        .expect("add");
    let cleanup = api.clone();
    let arn = arn.clone();
    h.defer(format!("remove instance profile {arn}"), async move {
        cleanup.remove(&arn).await
    });
}

/// The profile `arn` as listed, if it is.
async fn listed(api: &InstanceProfilesApi, arn: &InstanceProfileArn) -> Option<InstanceProfile> {
    api.get(arn).await.expect("list")
}

portable!(
    add_edit_list_remove_lifecycle,
    instance_profile_errors,
    a_cluster_naming_an_unregistered_profile_is_refused,
);

async fn add_edit_list_remove_lifecycle(h: &Harness) {
    let api = InstanceProfilesApi::new(h.admin.clone());
    let etl = arn(h, "dbx-contract-etl");
    let role = format!(
        "arn:aws:iam::123456789012:role/{}",
        h.name("dbx-contract-role")
    );

    add(h, &api, &etl).await;
    snapshot!(h, "add");
    let got = listed(&api, &etl).await.expect("listed after add");
    assert_eq!(got.iam_role_arn, None);
    assert!(!got.is_meta_instance_profile);
    snapshot!(h, "list");

    // edit sets the role; the listing shows it.
    api.edit(&etl)
        .iam_role_arn(&role)
        .send()
        .await
        .expect("edit");
    snapshot!(h, "edit_role");
    let got = listed(&api, &etl).await.expect("listed after edit");
    assert_eq!(got.iam_role_arn.as_deref(), Some(role.as_str()));
    snapshot!(h, "list_with_role");

    // edit replaces: without the role it is gone.
    api.edit(&etl).send().await.expect("edit without role");
    let got = listed(&api, &etl).await.expect("listed after second edit");
    assert_eq!(got.iam_role_arn, None);
    snapshot!(h, "edit_clears_the_role");

    // remove: no longer listed.
    api.remove(&etl).await.expect("remove");
    snapshot!(h, "remove");
    assert!(listed(&api, &etl).await.is_none());
    h.clear_exchanges();

    // add with every field.
    let meta = arn(h, "dbx-contract-meta");
    api.add(&meta)
        .skip_validation(true)
        .is_meta_instance_profile(true)
        .iam_role_arn(&role)
        .send()
        .await
        .expect("add with every field");
    let cleanup = api.clone();
    let m = meta.clone();
    h.defer(format!("remove instance profile {meta}"), async move {
        cleanup.remove(&m).await
    });
    let got = listed(&api, &meta).await.expect("listed");
    assert!(got.is_meta_instance_profile);
    assert_eq!(got.iam_role_arn.as_deref(), Some(role.as_str()));
    snapshot!(h, "add_meta_with_role");
}

async fn instance_profile_errors(h: &Harness) {
    let api = InstanceProfilesApi::new(h.admin.clone());
    let arn = arn(h, "dbx-contract-errors");

    // A malformed ARN is the service's to refuse when the caller sends it unchecked.
    for raw in [
        "dbx-contract-errors".to_owned(),
        "arn:aws:iam::123456789012:role/dbx-contract-errors".to_owned(),
        "arn:aws:iam::1234:instance-profile/dbx-contract-errors".to_owned(),
    ] {
        let odd = InstanceProfileArn::unchecked(&raw);
        let e = api
            .add(&odd)
            .skip_validation(true)
            .send()
            .await
            .expect_err("malformed ARN");
        assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{raw}: {e}");
        assert!(message(&e).contains(&raw), "{e}");
    }
    snapshot!(h, "add_malformed_arns");

    // A malformed role ARN too.
    let e = api
        .add(&arn)
        .skip_validation(true)
        .iam_role_arn("etl-role")
        .send()
        .await
        .expect_err("malformed role");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{e}");
    snapshot!(h, "add_malformed_role");

    // Editing or removing an unregistered profile.
    let e = api.edit(&arn).send().await.expect_err("edit unknown");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"), "{e}");
    assert!(e.is_not_found());
    let e = api.remove(&arn).await.expect_err("remove unknown");
    assert_eq!(code(&e), (404, "RESOURCE_DOES_NOT_EXIST"), "{e}");
    snapshot!(h, "edit_and_remove_unknown");

    // Adding twice.
    add(h, &api, &arn).await;
    let e = api
        .add(&arn)
        .skip_validation(true)
        .send()
        .await
        .expect_err("duplicate");
    assert_eq!(code(&e), (400, "RESOURCE_ALREADY_EXISTS"), "{e}");
    assert!(e.is_already_exists());
    snapshot!(h, "add_twice");

    // The original package's removeProfile posts no body at all.
    let e = h
        .admin
        .call_empty(Request::post("/api/2.0/instance-profiles/remove"))
        .await
        .expect_err("remove without an ARN");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{e}");
    assert!(message(&e).contains("instance_profile_arn"), "{e}");
    snapshot!(h, "remove_without_an_arn");
    // ... and removed nothing.
    assert!(listed(&api, &arn).await.is_some());
    h.clear_exchanges();
}

/// A spec any workspace accepts, apart from its instance profile.
fn spec_with_profile(h: &Harness, arn: &InstanceProfileArn) -> ClusterSpec {
    ClusterSpec::new("16.4.x-scala2.12")
        .cluster_name(h.name("dbx-contract-profile"))
        .node_type_id("m5d.large")
        .num_workers(0)
        .autotermination_minutes(10)
        .aws_attributes(AwsAttributes {
            instance_profile_arn: Some(arn.to_string()),
            ..AwsAttributes::default()
        })
}

async fn a_cluster_naming_an_unregistered_profile_is_refused(h: &Harness) {
    let clusters = ClustersApi::new(h.admin.clone());
    let arn = arn(h, "dbx-contract-unregistered");
    match clusters.create(&spec_with_profile(h, &arn)).await {
        Ok(id) => {
            let cleanup = clusters.clone();
            let id2 = id.clone();
            h.defer(format!("permanently delete cluster {id}"), async move {
                cleanup.permanent_delete(&id2).await
            });
            panic!("cluster {id} was created with the unregistered profile {arn}");
        }
        Err(e) => {
            assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{e}");
            assert!(message(&e).contains(arn.as_str()), "{e}");
        }
    }
    snapshot!(h, "create_cluster_with_unregistered_profile");
}

/// The captured exchanges with the cluster id `id` (new on every run) replaced by `[cluster]`.
fn without_cluster_id(h: &Harness, id: &ClusterId) -> serde_json::Value {
    let text = h
        .take_exchanges()
        .to_string()
        .replace(id.as_str(), "[cluster]");
    serde_json::from_str(&text).expect("the exchanges stay JSON")
}

fn cluster_api(h: &Harness) -> ClustersApi {
    ClustersApi::new(h.admin.clone())
}

async fn running_cluster(h: &Harness, spec: &ClusterSpec) -> ClusterId {
    let id = cluster_api(h).create(spec).await.expect("create");
    h.emu().finish_cluster_transitions();
    id
}

#[tokio::test]
async fn clusters_use_only_registered_profiles() {
    let Some(h) = Harness::emulator_only("launches clusters with a fake AWS instance profile")
    else {
        return;
    };
    h.emu().clock().freeze();
    let profiles = InstanceProfilesApi::new(h.admin.clone());
    let clusters = cluster_api(&h);
    let registered = arn(&h, "registered");
    let other = arn(&h, "other");
    profiles
        .add(&registered)
        .skip_validation(true)
        .send()
        .await
        .expect("add");
    h.clear_exchanges();

    // create with a registered profile: accepted.
    let id = running_cluster(&h, &spec_with_profile(&h, &registered)).await;
    let got = clusters.get(&id).await.expect("get");
    assert_eq!(
        got.aws_attributes
            .as_ref()
            .and_then(|a| a.instance_profile_arn.as_deref()),
        Some(registered.as_str())
    );
    h.clear_exchanges();

    // edit and update to an unregistered one: refused, nothing changed.
    let e = clusters
        .edit(&id, &spec_with_profile(&h, &other))
        .await
        .expect_err("edit to an unregistered profile");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{e}");
    snapshot!(
        h,
        "edit_cluster_to_unregistered_profile",
        without_cluster_id(&h, &id)
    );
    let e = clusters
        .update(
            &id,
            &["aws_attributes.instance_profile_arn"],
            &spec_with_profile(&h, &other),
        )
        .await
        .expect_err("update to an unregistered profile");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{e}");
    snapshot!(
        h,
        "update_cluster_to_unregistered_profile",
        without_cluster_id(&h, &id)
    );
    let got = clusters.get(&id).await.expect("get");
    assert_eq!(got.state(), State::Running);
    assert_eq!(
        got.aws_attributes
            .as_ref()
            .and_then(|a| a.instance_profile_arn.as_deref()),
        Some(registered.as_str())
    );

    // Removing the profile leaves the cluster running; it still restarts.
    profiles.remove(&registered).await.expect("remove");
    assert_eq!(
        clusters.get(&id).await.expect("get").state(),
        State::Running
    );
    clusters.restart(&id).await.expect("restart");
    h.emu().finish_cluster_transitions();
    assert_eq!(
        clusters.get(&id).await.expect("get").state(),
        State::Running
    );
    // ... but an edit that keeps the removed profile is refused, until it is added again.
    let e = clusters
        .edit(&id, &spec_with_profile(&h, &registered))
        .await
        .expect_err("edit with a removed profile");
    assert_eq!(code(&e), (400, "INVALID_PARAMETER_VALUE"), "{e}");
    profiles
        .add(&registered)
        .skip_validation(true)
        .send()
        .await
        .expect("add again");
    clusters
        .edit(&id, &spec_with_profile(&h, &registered).num_workers(1))
        .await
        .expect("edit with a registered profile");
    h.clear_exchanges();

    // A spec without a profile, or with an empty one, needs none.
    let plain = spec_with_profile(&h, &registered).aws_attributes(AwsAttributes::default());
    running_cluster(&h, &plain).await;
    let empty = spec_with_profile(&h, &InstanceProfileArn::unchecked(""));
    running_cluster(&h, &empty).await;
}

#[tokio::test]
async fn only_admins_change_profiles_and_every_user_lists_them() {
    let Some(h) = Harness::emulator_only("needs a non-admin user made by the emulator") else {
        return;
    };
    let admin = InstanceProfilesApi::new(h.admin.clone());
    let alice = InstanceProfilesApi::new(h.user("alice@example.com"));
    let arn = arn(&h, "shared");
    admin
        .add(&arn)
        .skip_validation(true)
        .send()
        .await
        .expect("admin adds");
    h.clear_exchanges();

    let theirs = arn_of("alices");
    let e = alice
        .add(&theirs)
        .skip_validation(true)
        .send()
        .await
        .expect_err("alice adds");
    assert_eq!(code(&e), (403, "PERMISSION_DENIED"), "{e}");
    assert!(e.is_permission_denied());
    let e = alice
        .edit(&arn)
        .iam_role_arn("arn:aws:iam::123456789012:role/r")
        .send()
        .await
        .expect_err("alice edits");
    assert_eq!(code(&e), (403, "PERMISSION_DENIED"), "{e}");
    let e = alice.remove(&arn).await.expect_err("alice removes");
    assert_eq!(code(&e), (403, "PERMISSION_DENIED"), "{e}");
    // A non-admin is refused before the request is even read: no ARN still says denied.
    let e = h
        .user("alice@example.com")
        .call_empty(Request::post("/api/2.0/instance-profiles/remove"))
        .await
        .expect_err("alice removes nothing");
    assert_eq!(code(&e), (403, "PERMISSION_DENIED"), "{e}");
    snapshot!(h, "non_admin_changes");

    let seen = alice.list().await.expect("alice lists");
    assert_eq!(
        seen.iter()
            .map(|p| p.instance_profile_arn.clone())
            .collect::<Vec<_>>(),
        vec![arn.clone()]
    );
    snapshot!(h, "non_admin_list");
    // Nothing alice tried changed anything.
    assert_eq!(admin.list().await.expect("list"), seen);
}

fn arn_of(name: &str) -> InstanceProfileArn {
    InstanceProfileArn::parse(format!("arn:aws:iam::123456789012:instance-profile/{name}"))
        .expect("well formed")
}

#[tokio::test]
async fn a_fresh_workspace_lists_no_profiles_in_insertion_order_after() {
    let Some(h) = Harness::emulator_only("needs a fresh, empty workspace") else {
        return;
    };
    let api = InstanceProfilesApi::new(h.admin.clone());
    assert!(api.list().await.expect("list").is_empty());
    snapshot!(h, "list_empty");
    for name in ["b", "a", "c"] {
        api.add(&arn_of(name)).send().await.expect("add");
    }
    let names: Vec<String> = api
        .list()
        .await
        .expect("list")
        .into_iter()
        .filter_map(|p| p.instance_profile_arn.name().map(str::to_owned))
        .collect();
    assert_eq!(names, ["b", "a", "c"]);
    h.clear_exchanges();
}
