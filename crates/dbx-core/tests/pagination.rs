//! The three paging schemes, driven through a real client over a replay transport.

use dbx_core::paginate::{
    dedup_by_key, items, offset_pages, scim_pages, token_pages, OffsetPage, ScimPage, TokenPage,
};
use dbx_core::testing::ReplayTransport;
use dbx_core::{Client, Config, Error, Request};
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::json;

fn client(t: &ReplayTransport) -> Client {
    let config = Config::builder()
        .host("https://replay.invalid")
        .token("t")
        .build()
        .expect("config");
    Client::with_transport(config, t.clone())
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
struct Job {
    job_id: i64,
}

#[derive(Deserialize)]
struct JobsPage {
    #[serde(default)]
    jobs: Vec<Job>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    next_page_token: Option<String>,
}

fn ids(jobs: &[Job]) -> Vec<i64> {
    jobs.iter().map(|j| j.job_id).collect()
}

#[tokio::test]
async fn offset_limit_pages_are_lazy_and_stop_on_has_more_false() {
    let t = ReplayTransport::new()
        .respond_json(
            200,
            json!({"jobs": [{"job_id": 1}, {"job_id": 2}], "has_more": true}),
        )
        .respond_json(200, json!({"jobs": [{"job_id": 3}], "has_more": false}));
    let c = client(&t);
    let pages = offset_pages(2, move |offset, limit| {
        let c = c.clone();
        async move {
            let p: JobsPage = c
                .call(
                    Request::get("/api/2.1/jobs/list")
                        .query("offset", offset)
                        .query("limit", limit),
                )
                .await?;
            Ok(OffsetPage {
                items: p.jobs,
                has_more: p.has_more,
            })
        }
    });
    assert!(
        t.requests().is_empty(),
        "nothing is sent before the stream is polled"
    );
    let all: Vec<Job> = items(pages).try_collect().await.expect("pages");
    assert_eq!(ids(&all), vec![1, 2, 3]);
    let queries: Vec<_> = t
        .requests()
        .into_iter()
        .map(|r| r.query.unwrap_or_default())
        .collect();
    assert_eq!(queries, vec!["offset=0&limit=2", "offset=2&limit=2"]);
}

#[tokio::test]
async fn a_missing_list_key_is_an_empty_last_page() {
    let t = ReplayTransport::new().respond_json(200, json!({"has_more": false}));
    let c = client(&t);
    let pages = offset_pages(25, move |o, l| {
        let c = c.clone();
        async move {
            let p: JobsPage = c
                .call(
                    Request::get("/api/2.0/jobs/list")
                        .query("offset", o)
                        .query("limit", l),
                )
                .await?;
            Ok(OffsetPage {
                items: p.jobs,
                has_more: p.has_more,
            })
        }
    });
    let all: Vec<Job> = items(pages).try_collect().await.expect("empty");
    assert!(all.is_empty());
    assert_eq!(t.requests().len(), 1);
}

#[tokio::test]
async fn an_empty_page_ends_even_if_has_more_lies() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"jobs": [{"job_id": 1}], "has_more": true}))
        .respond_json(200, json!({"has_more": true}));
    let c = client(&t);
    let pages = offset_pages(1, move |o, l| {
        let c = c.clone();
        async move {
            let p: JobsPage = c
                .call(Request::get("/j").query("offset", o).query("limit", l))
                .await?;
            Ok(OffsetPage {
                items: p.jobs,
                has_more: p.has_more,
            })
        }
    });
    let all: Vec<Job> = items(pages).try_collect().await.expect("ok");
    assert_eq!(ids(&all), vec![1]);
    assert_eq!(t.requests().len(), 2);
}

fn token_stream(t: &ReplayTransport) -> dbx_core::paginate::PageStream<Job> {
    let c = client(t);
    token_pages(move |token| {
        let c = c.clone();
        async move {
            let p: JobsPage = c
                .call(Request::get("/api/2.2/jobs/list").query_opt("page_token", token))
                .await?;
            Ok(TokenPage {
                items: p.jobs,
                next_page_token: p.next_page_token,
            })
        }
    })
}

#[tokio::test]
async fn page_tokens_are_followed_until_absent() {
    let t = ReplayTransport::new()
        .respond_json(
            200,
            json!({"jobs": [{"job_id": 1}], "next_page_token": "a"}),
        )
        .respond_json(200, json!({"next_page_token": "b"}))
        .respond_json(200, json!({"jobs": [{"job_id": 2}], "next_page_token": ""}));
    let pages: Vec<Vec<Job>> = token_stream(&t).try_collect().await.expect("pages");
    assert_eq!(pages.len(), 2, "the empty middle page is skipped");
    let queries: Vec<_> = t.requests().into_iter().map(|r| r.query).collect();
    assert_eq!(
        queries,
        vec![
            None,
            Some("page_token=a".into()),
            Some("page_token=b".into())
        ]
    );
}

#[tokio::test]
async fn a_repeated_page_token_is_refused() {
    let t = ReplayTransport::new()
        .respond_json(
            200,
            json!({"jobs": [{"job_id": 1}], "next_page_token": "same"}),
        )
        .respond_json(
            200,
            json!({"jobs": [{"job_id": 2}], "next_page_token": "same"}),
        )
        .respond_json(200, json!({"jobs": [{"job_id": 3}]}));
    let results: Vec<_> = token_stream(&t).collect().await;
    // The first page, then the error in place of the page that repeated the token.
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert!(matches!(&results[1], Err(Error::PaginationLoop(t)) if t == "same"));
    assert_eq!(
        t.requests().len(),
        2,
        "no request after the loop is detected"
    );
}

#[derive(Deserialize, Debug, Clone)]
struct User {
    id: String,
}

#[derive(Deserialize)]
struct ScimList {
    #[serde(default, rename = "Resources")]
    resources: Vec<User>,
    #[serde(rename = "totalResults")]
    total_results: Option<u64>,
}

#[tokio::test]
async fn scim_pages_advance_start_index_and_stop_at_total() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"totalResults": 3, "startIndex": 1, "itemsPerPage": 2, "Resources": [{"id": "a"}, {"id": "b"}]}))
        .respond_json(200, json!({"totalResults": 3, "startIndex": 3, "itemsPerPage": 1, "Resources": [{"id": "b"}, {"id": "c"}]}));
    let c = client(&t);
    let pages = scim_pages(2, move |start, count| {
        let c = c.clone();
        async move {
            let p: ScimList = c
                .call(
                    Request::get("/api/2.0/preview/scim/v2/Users")
                        .query("startIndex", start)
                        .query("count", count),
                )
                .await?;
            Ok(ScimPage {
                items: p.resources,
                total_results: p.total_results,
            })
        }
    });
    // The second page shifted (a concurrent insert): "b" comes twice and is dropped once.
    let users: Vec<User> = dedup_by_key(items(pages), |u: &User| u.id.clone())
        .try_collect()
        .await
        .expect("users");
    let got: Vec<_> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(got, vec!["a", "b", "c"]);
    let queries: Vec<_> = t
        .requests()
        .into_iter()
        .map(|r| r.query.unwrap_or_default())
        .collect();
    assert_eq!(
        queries,
        vec!["startIndex=1&count=2", "startIndex=3&count=2"]
    );
}

#[tokio::test]
async fn errors_end_the_stream() {
    let t = ReplayTransport::new()
        .respond_json(200, json!({"jobs": [{"job_id": 1}], "has_more": true}))
        .respond_json(
            404,
            json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "gone"}),
        );
    let c = client(&t);
    let pages = offset_pages(1, move |o, l| {
        let c = c.clone();
        async move {
            let p: JobsPage = c
                .call(Request::get("/j").query("offset", o).query("limit", l))
                .await?;
            Ok(OffsetPage {
                items: p.jobs,
                has_more: p.has_more,
            })
        }
    });
    let results: Vec<_> = items(pages).collect().await;
    assert_eq!(results.len(), 2);
    assert!(results[1].as_ref().is_err_and(|e| e.is_not_found()));
}
