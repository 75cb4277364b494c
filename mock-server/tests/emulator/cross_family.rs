//! Identity effects that other families see: an entitlement granted through SCIM is what the
//! Clusters API checks; a group's entitlement reaches its members; deactivation stops tokens.

use serde_json::{json, Value};

use dbx_mock_server::ClusterLevel;

use crate::support::{Api, ADMIN};

const SCIM: &str = "/api/2.0/preview/scim/v2";

fn spec() -> Value {
    json!({
        "cluster_name": "entitled",
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge",
        "num_workers": 1,
    })
}

async fn id_of(api: &Api, kind: &str, filter: &str) -> String {
    let r = api
        .get(
            &format!(
                "{SCIM}/{kind}?filter={}",
                filter.replace(" ", "%20").replace("\"", "%22")
            ),
            ADMIN,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json["Resources"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

#[tokio::test]
async fn allow_cluster_create_granted_through_scim_is_what_clusters_check() {
    let api = Api::new();
    let bob = api.user("bob@example.com");
    let denied = api.post("/api/2.1/clusters/create", &bob, spec()).await;
    assert_eq!(denied.status, 403, "{:?}", denied.json);
    assert_eq!(denied.json["error_code"], "PERMISSION_DENIED");

    // Through a group: a SCIM group carrying the entitlement, with bob as a member.
    let bob_id = id_of(&api, "Users", "userName eq \"bob@example.com\"").await;
    let g = api
        .post(
            &format!("{SCIM}/Groups"),
            ADMIN,
            json!({
                "displayName": "creators",
                "entitlements": [{"value": "allow-cluster-create"}],
                "members": [{"value": bob_id}],
            }),
        )
        .await;
    assert_eq!(g.status, 201, "{:?}", g.json);
    let ok = api.post("/api/2.1/clusters/create", &bob, spec()).await;
    assert_eq!(ok.status, 200, "{:?}", ok.json);

    // Removed from the group (SCIM PATCH), bob may no longer create.
    let gid = g.json["id"].as_str().expect("group id");
    let r = api
        .patch(
            &format!("{SCIM}/Groups/{gid}"),
            ADMIN,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "remove", "path": format!("members[value eq \"{bob_id}\"]")}],
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let denied = api.post("/api/2.1/clusters/create", &bob, spec()).await;
    assert_eq!(denied.status, 403, "{:?}", denied.json);

    // Directly on the user (SCIM PATCH add entitlements).
    let r = api
        .patch(
            &format!("{SCIM}/Users/{bob_id}"),
            ADMIN,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "entitlements", "value": [{"value": "allow-cluster-create"}]}],
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let ok = api.post("/api/2.1/clusters/create", &bob, spec()).await;
    assert_eq!(ok.status, 200, "{:?}", ok.json);

    // Deactivated: the token itself stops working (403 "Invalid access token.").
    let r = api
        .patch(
            &format!("{SCIM}/Users/{bob_id}"),
            ADMIN,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": false}}],
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let gone = api.post("/api/2.1/clusters/create", &bob, spec()).await;
    assert_eq!(gone.status, 403, "{:?}", gone.json);
    assert_eq!(gone.json["message"], "Invalid access token.");
}

#[tokio::test]
async fn a_deleted_user_or_group_loses_its_cluster_permissions() {
    let api = Api::new();
    let created = api.post("/api/2.1/clusters/create", ADMIN, spec()).await;
    assert_eq!(created.status, 200, "{:?}", created.json);
    let cid = created.json["cluster_id"].as_str().expect("id").to_owned();
    let restart = |token: String| {
        let api = &api;
        let cid = cid.clone();
        async move {
            api.post(
                "/api/2.1/clusters/restart",
                &token,
                json!({ "cluster_id": cid }),
            )
            .await
        }
    };

    // A user granted CAN_RESTART, deleted through SCIM, then created again under the same name:
    // the new user does not inherit the old grant.
    let carl = api.user("carl@example.com");
    api.emu
        .set_cluster_permission(&cid, "carl@example.com", ClusterLevel::CanRestart)
        .expect("grant");
    api.emu.finish_cluster_transitions();
    assert_eq!(restart(carl).await.status, 200);
    api.emu.finish_cluster_transitions();
    let carl_id = id_of(&api, "Users", "userName eq \"carl@example.com\"").await;
    let r = api
        .send(
            "DELETE",
            &format!("{SCIM}/Users/{carl_id}"),
            Some(ADMIN),
            None,
            "",
        )
        .await;
    assert_eq!(r.status, 204, "{:?}", r.json);
    let carl = api.user("carl@example.com");
    let denied = restart(carl).await;
    assert_eq!(denied.status, 403, "{:?}", denied.json);
    assert_eq!(denied.json["error_code"], "PERMISSION_DENIED");

    // The same for a group's grant.
    let dee = api.user("dee@example.com");
    api.emu.create_group("ops").expect("group");
    api.emu
        .add_group_member("ops", "dee@example.com")
        .expect("member");
    api.emu
        .set_cluster_permission(&cid, "ops", ClusterLevel::CanRestart)
        .expect("grant");
    assert_eq!(restart(dee.clone()).await.status, 200);
    api.emu.finish_cluster_transitions();
    let ops = id_of(&api, "Groups", "displayName eq \"ops\"").await;
    let r = api
        .send(
            "DELETE",
            &format!("{SCIM}/Groups/{ops}"),
            Some(ADMIN),
            None,
            "",
        )
        .await;
    assert_eq!(r.status, 204, "{:?}", r.json);
    api.emu.create_group("ops").expect("group again");
    api.emu
        .add_group_member("ops", "dee@example.com")
        .expect("member again");
    assert_eq!(restart(dee).await.status, 403);
}
