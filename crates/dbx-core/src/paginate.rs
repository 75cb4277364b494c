//! Pagination as lazy `futures::Stream`s, for the three Databricks paging schemes.
//!
//! * [`offset_pages`]: `offset`/`limit` with `has_more` (Jobs, cluster events).
//! * [`token_pages`]: `page_token` / `next_page_token` (Jobs 2.1+, Clusters 2.1).
//! * [`scim_pages`]: SCIM's 1-based `startIndex`/`count` with `totalResults`.
//!
//! Every paginator sends nothing until polled, stops on an empty page, tolerates a missing list
//! key (decode it with `#[serde(default)]`), and the token paginator refuses to loop on a token it
//! has already seen. [`items`] flattens pages into items; [`dedup_by_key`] drops items already
//! yielded, for listings whose pages shift under concurrent writes.
//!
//! ```
//! # async fn demo() -> dbx_core::Result<()> {
//! use futures::TryStreamExt;
//! use dbx_core::paginate::{offset_pages, items, OffsetPage};
//! let pages = offset_pages(2, |offset, limit| async move {
//!     let all = [1, 2, 3, 4, 5];
//!     let end = (offset + limit).min(5) as usize;
//!     Ok(OffsetPage { items: all[offset as usize..end].to_vec(), has_more: end < 5 })
//! });
//! let all: Vec<i32> = items(pages).try_collect().await?;
//! assert_eq!(all, vec![1, 2, 3, 4, 5]);
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;

use futures::{stream, Stream, StreamExt, TryStreamExt};

use crate::{Error, Result};

/// A stream of pages.
pub type PageStream<T> = Pin<Box<dyn Stream<Item = Result<Vec<T>>> + Send>>;
/// A stream of items.
pub type ItemStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

/// One page of an offset/limit listing.
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetPage<T> {
    /// The page's items (empty when the server omitted the list key).
    pub items: Vec<T>,
    /// Whether the server says more items follow.
    pub has_more: bool,
}

/// One page of a page-token listing.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenPage<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The token of the next page; `None` or empty on the last page.
    pub next_page_token: Option<String>,
}

/// One page of a SCIM listing.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimPage<T> {
    /// The page's `Resources`.
    pub items: Vec<T>,
    /// `totalResults`, when the server sent it.
    pub total_results: Option<u64>,
}

/// Offset/limit pages: calls `fetch(offset, limit)` with offset 0, then the count of items seen,
/// until a page says `has_more: false` or comes back empty.
pub fn offset_pages<T, F, Fut>(limit: u64, mut fetch: F) -> PageStream<T>
where
    T: Send + 'static,
    F: FnMut(u64, u64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<OffsetPage<T>>> + Send + 'static,
{
    counted_pages(0, limit, move |offset, limit| {
        let page = fetch(offset, limit);
        async move {
            let p = page.await?;
            let has_more = p.has_more;
            Ok((p.items, move |_next: u64| has_more))
        }
    })
}

/// Pages addressed by a running item count (offset/limit and SCIM's startIndex/count): calls
/// `fetch(position, size)` from `first`, advancing by the items received, until a page is empty
/// or its `more(next_position)` says it was the last.
fn counted_pages<T, F, Fut, M>(first: u64, size: u64, mut fetch: F) -> PageStream<T>
where
    T: Send + 'static,
    F: FnMut(u64, u64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<T>, M)>> + Send + 'static,
    M: FnOnce(u64) -> bool,
{
    let st = (first, false);
    Box::pin(stream::try_unfold(st, move |(position, done)| {
        let page = (!done).then(|| fetch(position, size));
        async move {
            let Some(page) = page else { return Ok(None) };
            let (items, more) = page.await?;
            if items.is_empty() {
                return Ok(None);
            }
            let next = position + items.len() as u64;
            let done = !more(next);
            Ok(Some((items, (next, done))))
        }
    }))
}

/// Page-token pages: calls `fetch(None)`, then `fetch(Some(next_page_token))` until the token is
/// absent or empty. A token seen twice ends the stream with [`Error::PaginationLoop`]. An empty
/// page that still carries a new token is skipped, not yielded, and paging goes on.
pub fn token_pages<T, F, Fut>(fetch: F) -> PageStream<T>
where
    T: Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<TokenPage<T>>> + Send + 'static,
{
    struct St<F> {
        fetch: F,
        next: Option<String>,
        seen: HashSet<String>,
        done: bool,
    }
    let st = St {
        fetch,
        next: None,
        seen: HashSet::new(),
        done: false,
    };
    Box::pin(stream::try_unfold(st, |mut st| async move {
        loop {
            if st.done {
                return Ok(None);
            }
            let page = (st.fetch)(st.next.take()).await?;
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(tok) => {
                    if !st.seen.insert(tok.clone()) {
                        return Err(Error::PaginationLoop(tok));
                    }
                    st.next = Some(tok);
                }
                None => st.done = true,
            }
            if !page.items.is_empty() {
                return Ok(Some((page.items, st)));
            }
        }
    }))
}

/// SCIM pages: calls `fetch(start_index, count)` with start index 1, then advancing by the items
/// received, until a page is empty or `totalResults` is reached.
pub fn scim_pages<T, F, Fut>(count: u64, mut fetch: F) -> PageStream<T>
where
    T: Send + 'static,
    F: FnMut(u64, u64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<ScimPage<T>>> + Send + 'static,
{
    counted_pages(1, count, move |start, count| {
        let page = fetch(start, count);
        async move {
            let p = page.await?;
            let total = p.total_results;
            Ok((p.items, move |next: u64| total.is_none_or(|t| next <= t)))
        }
    })
}

/// Flatten a page stream into an item stream.
pub fn items<T: Send + 'static>(pages: PageStream<T>) -> ItemStream<T> {
    Box::pin(
        pages
            .map_ok(|page| stream::iter(page.into_iter().map(Ok)))
            .try_flatten(),
    )
}

/// Drop items whose key was already yielded (pages that shift under concurrent writes can
/// repeat an item across a page boundary).
pub fn dedup_by_key<T, K, F>(items: ItemStream<T>, mut key: F) -> ItemStream<T>
where
    T: Send + 'static,
    K: Eq + Hash + Send + 'static,
    F: FnMut(&T) -> K + Send + 'static,
{
    let mut seen = HashSet::new();
    Box::pin(items.filter(move |item| {
        let keep = match item {
            Ok(v) => seen.insert(key(v)),
            Err(_) => true,
        };
        futures::future::ready(keep)
    }))
}
