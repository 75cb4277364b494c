//! Request shapes and decoding, against a replay transport.

use dbx_core::testing::{RecordedRequest, ReplayTransport};
use dbx_core::Config;
use futures::TryStreamExt;
use serde_json::{json, Value};

use super::*;

fn api(t: &ReplayTransport) -> ScimApi {
    let cfg = Config::builder()
        .host("https://x.invalid")
        .token("t")
        .build()
        .expect("config");
    ScimApi::new(Client::with_transport(cfg, t.clone()))
}

fn query(r: &RecordedRequest) -> Vec<(String, String)> {
    url_pairs(r.query.as_deref().unwrap_or(""))
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn q<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn page(total: Option<u64>, ids: &[&str]) -> Value {
    let resources: Vec<Value> = ids
        .iter()
        .map(|i| json!({"id": i, "userName": format!("u{i}@x")}))
        .collect();
    let mut v = json!({"schemas": [LIST_RESPONSE_SCHEMA], "Resources": resources, "itemsPerPage": ids.len()});
    if let Some(t) = total {
        v["totalResults"] = json!(t);
    }
    v
}

#[tokio::test]
async fn create_get_replace_delete_shapes() {
    let t = ReplayTransport::new()
        .respond_json(
            201,
            json!({"id": "1", "userName": "a@x", "schemas": [USER_SCHEMA]}),
        )
        .respond_json(200, json!({"id": "1", "userName": "a@x"}))
        .respond_json(200, json!({"id": "1", "userName": "a@x", "active": false}))
        .respond(
            http::Response::builder()
                .status(204)
                .body(bytes::Bytes::new())
                .expect("response"),
        )
        .respond(
            http::Response::builder()
                .status(204)
                .body(bytes::Bytes::new())
                .expect("response"),
        );
    let scim = api(&t);
    let created = scim
        .users()
        .create(&User::new("a@x").entitlement(Entitlement::WorkspaceAccess))
        .await
        .expect("create");
    let id = created.id.clone().expect("id");
    scim.users()
        .get_with(
            &id,
            &Projection::attributes(["userName"]).excluding(["emails"]),
        )
        .await
        .expect("get");
    let replaced = scim
        .users()
        .replace(&id, &User::new("a@x").active(false))
        .await
        .expect("replace");
    assert_eq!(replaced.and_then(|u| u.active), Some(false));
    let patched = scim
        .users()
        .patch(&id, &PatchRequest::new().replace("active", true))
        .await
        .expect("patch");
    assert_eq!(patched, None, "204: nothing to decode");
    scim.users().delete(&id).await.expect("delete");

    let r = t.requests();
    assert_eq!(
        (r[0].method.as_str(), r[0].path.as_str()),
        ("POST", "/api/2.0/preview/scim/v2/Users")
    );
    assert_eq!(
        r[0].json(),
        json!({"schemas": [USER_SCHEMA], "userName": "a@x", "entitlements": [{"value": "workspace-access"}]})
    );
    assert_eq!(r[1].path, "/api/2.0/preview/scim/v2/Users/1");
    let q1 = query(&r[1]);
    assert_eq!(q(&q1, "attributes"), Some("userName"));
    assert_eq!(q(&q1, "excludedAttributes"), Some("emails"));
    assert_eq!(r[2].method.as_str(), "PUT");
    assert_eq!(r[3].method.as_str(), "PATCH");
    assert_eq!(
        r[3].json(),
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "replace", "path": "active", "value": true}]})
    );
    assert_eq!(
        (r[4].method.as_str(), r[4].path.as_str()),
        ("DELETE", "/api/2.0/preview/scim/v2/Users/1")
    );
}

#[tokio::test]
async fn ids_are_path_encoded_and_endpoints_differ() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"id": "a/b", "displayName": "g"}))
        .respond_json(200, json!({"id": "s", "applicationId": "app"}))
        .respond_json(200, json!({"id": "9", "userName": "me@x"}));
    let scim = api(&t);
    scim.groups()
        .get(&GroupId::from("a/b"))
        .await
        .expect("group");
    scim.service_principals()
        .get(&ServicePrincipalId::from("s"))
        .await
        .expect("sp");
    let me = scim
        .me_with(&Projection::attributes(["userName"]))
        .await
        .expect("me");
    assert_eq!(me.user_name.as_deref(), Some("me@x"));
    let r = t.requests();
    assert_eq!(r[0].path, "/api/2.0/preview/scim/v2/Groups/a%2Fb");
    assert_eq!(r[1].path, "/api/2.0/preview/scim/v2/ServicePrincipals/s");
    assert_eq!(r[2].path, "/api/2.0/preview/scim/v2/Me");
    assert_eq!(r[2].query.as_deref(), Some("attributes=userName"));
    assert_eq!(
        format!("{:?}", scim.groups()),
        "Endpoint { resource: \"Groups\" }"
    );
}

#[tokio::test]
async fn list_query_carries_filter_projection_sort_and_paging() {
    let t = ReplayTransport::new().respond_json(200, page(Some(1), &["1"]));
    let scim = api(&t);
    let resp = scim
        .users()
        .list()
        .filter(Filter::eq("userName", r#"a" or userName pr or "#).and(Filter::eq("active", true)))
        .attributes(["userName", "groups"])
        .excluded_attributes(["emails"])
        .sort_by("userName")
        .sort_order(SortOrder::Descending)
        .count(5)
        .page(3)
        .await
        .expect("page");
    assert_eq!(resp.total_results, Some(1));
    let pairs = query(&t.requests()[0]);
    assert_eq!(
        q(&pairs, "filter"),
        Some(r#"userName eq "a\" or userName pr or " and active eq true"#)
    );
    assert_eq!(q(&pairs, "attributes"), Some("userName,groups"));
    assert_eq!(q(&pairs, "excludedAttributes"), Some("emails"));
    assert_eq!(q(&pairs, "sortBy"), Some("userName"));
    assert_eq!(q(&pairs, "sortOrder"), Some("descending"));
    assert_eq!(q(&pairs, "startIndex"), Some("3"));
    assert_eq!(q(&pairs, "count"), Some("5"));
}

#[tokio::test]
async fn a_bad_filter_attribute_or_empty_patch_never_reaches_the_wire() {
    let t = ReplayTransport::new();
    let scim = api(&t);
    let err = scim
        .users()
        .list()
        .filter(Filter::eq("userName pr or userName", "x"))
        .all()
        .await
        .expect_err("bad attribute");
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    let err = scim
        .groups()
        .patch(&GroupId::from("1"), &PatchRequest::new())
        .await
        .expect_err("empty patch");
    assert!(matches!(err, Error::InvalidRequest(_)));
    let err = scim
        .groups()
        .patch(&GroupId::from("1"), &PatchRequest::new().remove("a b"))
        .await
        .expect_err("bad path");
    assert!(matches!(err, Error::InvalidRequest(_)));
    assert!(t.requests().is_empty());
}

#[tokio::test]
async fn stream_is_lazy_pages_by_items_received_and_stops_at_total() {
    let t = ReplayTransport::new()
        .respond_json(200, page(Some(5), &["1", "2"]))
        .respond_json(200, page(Some(5), &["3", "4"]))
        .respond_json(200, page(Some(5), &["5"]));
    let scim = api(&t);
    let s = scim.users().list().count(2).stream();
    assert!(t.requests().is_empty(), "nothing sent before polling");
    let users: Vec<User> = s.try_collect().await.expect("stream");
    let ids: Vec<&str> = users
        .iter()
        .filter_map(|u| u.id.as_ref().map(|i| i.as_str()))
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    let starts: Vec<String> = t
        .requests()
        .iter()
        .map(|r| q(&query(r), "startIndex").unwrap_or("").to_owned())
        .collect();
    assert_eq!(starts, ["1", "3", "5"]);
    assert_eq!(t.remaining(), 0);
}

#[tokio::test]
async fn stream_stops_on_an_empty_page_and_dedups_shifted_items() {
    // No totalResults: only the empty page ends it. Page 2 repeats "2" (an insert shifted it).
    let t = ReplayTransport::new()
        .respond_json(200, page(None, &["1", "2"]))
        .respond_json(200, page(None, &["2", "3"]))
        .respond_json(200, json!({"totalResults": 0}));
    let users = api(&t).users().list().count(2).all().await.expect("all");
    let ids: Vec<String> = users
        .into_iter()
        .filter_map(|u| u.id.map(|i| i.0))
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
    let starts: Vec<String> = t
        .requests()
        .iter()
        .map(|r| q(&query(r), "startIndex").unwrap_or("").to_owned())
        .collect();
    assert_eq!(starts, ["1", "3", "5"]);
}

#[tokio::test]
async fn stream_never_loops_on_a_server_that_ignores_start_index() {
    // The same page forever, and no totalResults: the second page brings nothing new.
    let mut t = ReplayTransport::new();
    for _ in 0..10 {
        t = t.respond_json(200, page(None, &["1", "2"]));
    }
    let users = api(&t).users().list().count(2).all().await.expect("all");
    assert_eq!(users.len(), 2);
    assert_eq!(t.requests().len(), 2);
}

#[tokio::test]
async fn stream_yields_an_error_and_ends() {
    let t = ReplayTransport::new()
        .respond_json(200, page(None, &["1"]))
        .respond_json(
            400,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "detail": "bad filter", "status": "400", "scimType": "invalidFilter"}),
        );
    let mut s = api(&t).users().list().count(1).stream();
    assert!(s.try_next().await.expect("first").is_some());
    let err = s.try_next().await.expect_err("second page fails");
    assert_eq!(err.error_code(), Some("SCIM_400"));
    assert!(
        err.to_string().contains("invalidFilter bad filter"),
        "{err}"
    );
}

#[tokio::test]
async fn find_by_name_prefers_the_exact_match() {
    let t = ReplayTransport::new()
        .respond_json(
            200,
            json!({"totalResults": 2, "Resources": [
                {"id": "1", "displayName": "Data"},
                {"id": "2", "displayName": "data"}
            ]}),
        )
        .respond_json(200, json!({"totalResults": 0, "Resources": []}));
    let scim = api(&t);
    let g = scim.find_group("data").await.expect("find").expect("some");
    assert_eq!(g.id, Some(GroupId::from("2")));
    assert!(scim.find_user("nobody@x").await.expect("find").is_none());
    let r = t.requests();
    assert_eq!(q(&query(&r[0]), "filter"), Some(r#"displayName eq "data""#));
    assert_eq!(q(&query(&r[0]), "startIndex"), Some("1"));
    assert_eq!(
        q(&query(&r[1]), "filter"),
        Some(r#"userName eq "nobody@x""#)
    );
}

#[tokio::test]
async fn add_and_remove_member_by_names() {
    let groups = json!({"totalResults": 1, "Resources": [{"id": "10", "displayName": "eng"}]});
    let t = ReplayTransport::new()
        .respond_json(200, groups.clone())
        .respond_json(
            200,
            json!({"totalResults": 1, "Resources": [{"id": "7", "applicationId": "app-1"}]}),
        )
        .respond_json(200, json!({"id": "10"}))
        .respond_json(200, groups)
        .respond_json(
            200,
            json!({"totalResults": 1, "Resources": [{"id": "11", "displayName": "sub"}]}),
        )
        .respond(
            http::Response::builder()
                .status(204)
                .body(bytes::Bytes::new())
                .expect("response"),
        );
    let scim = api(&t);
    scim.add_member("eng", &MemberName::service_principal("app-1"))
        .await
        .expect("add");
    scim.remove_member("eng", &MemberName::group("sub"))
        .await
        .expect("remove");
    let r = t.requests();
    assert_eq!(r[1].path, "/api/2.0/preview/scim/v2/ServicePrincipals");
    assert_eq!(
        q(&query(&r[1]), "filter"),
        Some(r#"applicationId eq "app-1""#)
    );
    assert_eq!(r[2].path, "/api/2.0/preview/scim/v2/Groups/10");
    assert_eq!(
        r[2].json()["Operations"],
        json!([{"op": "add", "path": "members", "value": [{"value": "7"}]}])
    );
    assert_eq!(
        r[5].json()["Operations"],
        json!([{"op": "remove", "path": "members[value eq \"11\"]"}])
    );
}

#[tokio::test]
async fn a_missing_name_is_not_found_before_any_patch() {
    let t = ReplayTransport::new()
        .respond_json(
            200,
            json!({"totalResults": 1, "Resources": [{"id": "10", "displayName": "eng"}]}),
        )
        .respond_json(200, json!({"totalResults": 0}));
    let err = api(&t)
        .add_member("eng", &MemberName::user("ghost@x"))
        .await
        .expect_err("no such user");
    assert!(err.is_not_found(), "{err:?}");
    assert!(
        err.to_string()
            .contains("no User with userName \"ghost@x\""),
        "{err}"
    );
    assert_eq!(t.requests().len(), 2);
}

#[tokio::test]
async fn effective_groups_follow_parents_once() {
    // u is in A (direct) and B (indirect, as the service says); A is in C; C is in A (a cycle).
    let t = ReplayTransport::new()
        .respond_json(
            200,
            json!({"totalResults": 1, "Resources": [{"id": "1", "userName": "u@x", "groups": [
                {"value": "A", "display": "a", "type": "direct"},
                {"value": "B", "display": "b", "type": "indirect"}
            ]}]}),
        )
        .respond_json(
            200,
            json!({"id": "A", "groups": [{"value": "C", "display": "c"}]}),
        )
        .respond_json(200, json!({"id": "B"}))
        .respond_json(
            200,
            json!({"id": "C", "groups": [{"value": "A", "display": "a"}]}),
        );
    let groups = api(&t).effective_groups("u@x").await.expect("groups");
    let got: Vec<(&str, bool)> = groups.iter().map(|g| (g.id.as_str(), g.direct)).collect();
    assert_eq!(got, [("A", true), ("B", false), ("C", false)]);
    let r = t.requests();
    assert_eq!(r.len(), 4);
    assert_eq!(q(&query(&r[1]), "attributes"), Some("displayName,groups"));
}

#[tokio::test]
async fn scim_errors_keep_their_words() {
    let t = ReplayTransport::new().respond_json(
        409,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "detail": "User with username a@x already exists.", "status": "409", "scimType": "uniqueness"}),
    );
    let err = api(&t)
        .users()
        .create(&User::new("a@x"))
        .await
        .expect_err("409");
    assert!(err.is_already_exists());
    assert_eq!(err.error_code(), Some("SCIM_409"));
}
