//! The recursive listing: a lazy depth-first walk as a `futures::Stream`.

use dbx_core::paginate::ItemStream;
use futures::stream;

use crate::{ObjectInfo, WorkspaceApi};

struct Walk {
    api: WorkspaceApi,
    /// Objects found but not yet yielded; the next one is at the end.
    pending: Vec<ObjectInfo>,
    /// A folder yielded last, whose content is listed on the next poll.
    to_list: Option<String>,
}

impl WorkspaceApi {
    /// Every object under `path`, recursively, as a lazy stream: depth first, each folder
    /// before its content, one `list` call per folder, made only when the stream reaches it.
    /// The folder at `path` itself is not yielded; when `path` is not a folder the stream
    /// yields that one object. An error (e.g. a folder deleted meanwhile) is yielded and ends
    /// the stream.
    ///
    /// ```no_run
    /// # async fn demo(ws: dbx_workspace::WorkspaceApi) -> dbx_core::Result<()> {
    /// use futures::TryStreamExt;
    /// let notebooks: Vec<_> = ws
    ///     .walk("/Shared")
    ///     .try_filter(|o| futures::future::ready(o.is_notebook()))
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn walk(&self, path: &str) -> ItemStream<ObjectInfo> {
        let st = Walk {
            api: self.clone(),
            pending: Vec::new(),
            to_list: Some(path.to_owned()),
        };
        Box::pin(stream::try_unfold(st, |mut st| async move {
            if let Some(dir) = st.to_list.take() {
                let mut children = st.api.list(&dir).await?;
                children.reverse();
                st.pending.extend(children);
            }
            let Some(next) = st.pending.pop() else {
                return Ok(None);
            };
            if next.is_directory() {
                st.to_list = Some(next.path.clone());
            }
            Ok(Some((next, st)))
        }))
    }
}

#[cfg(test)]
mod tests {
    use dbx_core::testing::ReplayTransport;
    use futures::{StreamExt, TryStreamExt};
    use serde_json::json;

    use crate::tests::api;

    #[tokio::test]
    async fn walk_is_lazy_and_depth_first() {
        let t = ReplayTransport::new()
            .respond_json(
                200,
                json!({"objects": [
                    {"path": "/r/a", "object_type": "DIRECTORY", "object_id": 1},
                    {"path": "/r/z", "object_type": "NOTEBOOK", "object_id": 2, "language": "SQL"}
                ]}),
            )
            .respond_json(
                200,
                json!({"objects": [{"path": "/r/a/f", "object_type": "FILE", "object_id": 3}]}),
            );
        let a = api(&t);
        let mut s = a.walk("/r");
        assert!(
            t.requests().is_empty(),
            "nothing is sent before the first poll"
        );
        let first = s.next().await.expect("item").expect("ok");
        assert_eq!(first.path, "/r/a");
        assert_eq!(
            t.requests().len(),
            1,
            "the subfolder is listed only when reached"
        );
        let rest: Vec<String> = s.map_ok(|o| o.path).try_collect().await.expect("rest");
        assert_eq!(rest, vec!["/r/a/f", "/r/z"]);
        let r = t.requests();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].query.as_deref(), Some("path=%2Fr%2Fa"));
    }

    #[tokio::test]
    async fn walk_yields_errors() {
        let t = ReplayTransport::new().respond_json(
            404,
            json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Path (/nope) doesn't exist."}),
        );
        let a = api(&t);
        let err = a
            .walk("/nope")
            .try_collect::<Vec<_>>()
            .await
            .expect_err("missing");
        assert!(err.is_not_found());
    }
}
