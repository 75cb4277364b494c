//! Identity effects that other families see: an entitlement granted through SCIM is what the
//! Clusters API checks; a group's entitlement reaches its members; deactivation stops tokens.

use serde_json::{json, Value};

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
