//! # dbx-workspace
//!
//! The Databricks [Workspace API](https://docs.databricks.com/api/workspace/workspace): list,
//! inspect, create, import, export and delete the notebooks, files and folders of a workspace.
//!
//! ```no_run
//! # async fn demo() -> dbx_core::Result<()> {
//! use dbx_core::{Client, Overwrite, Recursive};
//! use dbx_workspace::{Format, Language, WorkspaceApi};
//!
//! let ws = WorkspaceApi::new(Client::from_env()?);
//! ws.mkdirs("/Shared/demo").await?;
//! ws.import("/Shared/demo/hello", "print('hello')\n")
//!     .format(Format::Source)
//!     .language(Language::Python)
//!     .overwrite(Overwrite::Yes)
//!     .send()
//!     .await?;
//! for object in ws.list("/Shared/demo").await? {
//!     println!("{} {}", object.object_type, object.path);
//! }
//! let exported = ws.export("/Shared/demo/hello").format(Format::Source).send().await?;
//! assert!(exported.content.starts_with(b"# Databricks notebook source"));
//! let ipynb = ws.export("/Shared/demo/hello").format(Format::Jupyter).download().await?;
//! # let _ = ipynb;
//! ws.delete("/Shared/demo", Recursive::Yes).await?;
//! # Ok(()) }
//! ```
//!
//! Beyond the six endpoints the crate offers the helpers people write by hand otherwise:
//! [`WorkspaceApi::walk`] (a lazy recursive listing as a `futures::Stream`),
//! [`WorkspaceApi::import_file`] (the format and language chosen from the file's extension),
//! [`WorkspaceApi::import_dir`] and [`WorkspaceApi::export_dir`] (whole local trees), and
//! [`WorkspaceApi::exists`].
//!
//! ## Mapping from `databricksapi` 1.1.8
//!
//! | `databricksapi` 1.1.8 | dbx-workspace |
//! |---|---|
//! | `Workspace.deleteWorkspace(path, recursive)` | [`WorkspaceApi::delete`] |
//! | `Workspace.exportWorkspace(path, export_format, direct_download, content=True)` | [`WorkspaceApi::export`]`(path).format(..)` then `.send()` (JSON: decoded content and `file_type`) or `.download()` (`direct_download=true`: raw bytes) |
//! | `Workspace.getWorkspaceStatus(path)` | [`WorkspaceApi::get_status`] |
//! | `Workspace.importWorkspace(path, export_format, language, content, overwrite)` | [`WorkspaceApi::import`]`(path, content).format(..).language(..).overwrite(..).send()` (`.multipart(true)` for `multipart/form-data`) |
//! | `Workspace.listWorkspace(path)` | [`WorkspaceApi::list`] (and [`WorkspaceApi::list_modified_after`]) |
//! | `Workspace.mkdirsWorkspace(path)` | [`WorkspaceApi::mkdirs`] |
//! | – | [`WorkspaceApi::walk`], [`WorkspaceApi::exists`], [`WorkspaceApi::import_file`], [`WorkspaceApi::import_dir`], [`WorkspaceApi::export_dir`] |
//!
//! Fixed along the way (see docs/mapping.md): `exportWorkspace` returned the raw bytes of
//! the JSON answer; [`Export::send`] returns the decoded content and its `file_type`, and
//! [`Export::download`] the raw file. `importWorkspace` always sent `language` (null for
//! non-SOURCE formats); [`Import`] sends only the fields you set. Parameters of GET calls go in
//! the query string, not in a JSON body.

mod transfer;
mod walk;

use base64::Engine as _;
use dbx_core::{CallOptions, Client, Overwrite, Recursive, Request, Result};
use serde::{Deserialize, Serialize};

pub use bytes::Bytes;
/// The error of the local transfer helpers, shared with `dbx-dbfs`: [`dbx_core::TransferError`].
pub use dbx_core::TransferError;
pub use transfer::{format_for_path, TransferSummary};

/// The largest content the service accepts in one import, and returns in one export: 10 MB
/// (10 485 760 bytes). Beyond it the service answers `MAX_NOTEBOOK_SIZE_EXCEEDED`.
pub const MAX_CONTENT_SIZE: usize = 10 * 1024 * 1024;

dbx_core::int_id!(
    /// A workspace object's id (`object_id`).
    ObjectId
);

dbx_core::open_enum! {
    /// The kind of a workspace object (`object_type`).
    pub enum ObjectType {
        /// A notebook: cells of code, visualizations and text.
        Notebook = "NOTEBOOK",
        /// A folder.
        Directory = "DIRECTORY",
        /// A library.
        Library = "LIBRARY",
        /// A workspace file (any bytes).
        File = "FILE",
        /// A Git folder (repo).
        Repo = "REPO",
        /// A Lakeview dashboard.
        Dashboard = "DASHBOARD",
    }
}

dbx_core::open_enum! {
    /// A notebook's language.
    pub enum Language {
        /// Python (also every Jupyter notebook).
        Python = "PYTHON",
        /// Scala.
        Scala = "SCALA",
        /// SQL.
        Sql = "SQL",
        /// R.
        R = "R",
    }
}

dbx_core::open_enum! {
    /// An import or export format (`format`).
    pub enum Format {
        /// Source code; the service's default. A single notebook needs a [`Language`] on import;
        /// without one the content is read as a zip of a directory.
        Source = "SOURCE",
        /// An HTML page.
        Html = "HTML",
        /// A Jupyter (`.ipynb`) notebook.
        Jupyter = "JUPYTER",
        /// A Databricks archive (a zip); the format for whole directories.
        Dbc = "DBC",
        /// R Markdown.
        RMarkdown = "R_MARKDOWN",
        /// Chosen by the service: on import from the path's extension and the content's notebook
        /// header (a notebook loses its extension), on export from the object's kind.
        Auto = "AUTO",
        /// Raw bytes: a workspace file, never a notebook (import only).
        Raw = "RAW",
    }
}

impl Language {
    /// The language of a source file's extension (`py`, `scala`, `sql`, `r`; any case, with or
    /// without the dot).
    ///
    /// ```
    /// use dbx_workspace::Language;
    /// assert_eq!(Language::from_extension(".R"), Some(Language::R));
    /// assert_eq!(Language::from_extension("txt"), None);
    /// ```
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.trim_start_matches('.').to_ascii_lowercase().as_str() {
            "py" => Some(Self::Python),
            "scala" => Some(Self::Scala),
            "sql" => Some(Self::Sql),
            "r" => Some(Self::R),
            _ => None,
        }
    }

    /// The extension of the language's source files, without the dot (`py`, `scala`, `sql`,
    /// `r`); `None` for a language this version does not know.
    pub fn extension(&self) -> Option<&'static str> {
        match self {
            Self::Python => Some("py"),
            Self::Scala => Some("scala"),
            Self::Sql => Some("sql"),
            Self::R => Some("r"),
            Self::Unknown(_) => None,
        }
    }

    /// The line-comment marker of the language (`#`, `//`, `--`, `#`).
    pub fn comment_prefix(&self) -> Option<&'static str> {
        match self {
            Self::Python | Self::R => Some("#"),
            Self::Scala => Some("//"),
            Self::Sql => Some("--"),
            Self::Unknown(_) => None,
        }
    }

    /// The first line of a notebook exported as source, e.g. `# Databricks notebook source`
    /// (Python, R), `// Databricks notebook source` (Scala), `-- Databricks notebook source`
    /// (SQL).
    ///
    /// ```
    /// use dbx_workspace::Language;
    /// assert_eq!(Language::Sql.source_header().as_deref(), Some("-- Databricks notebook source"));
    /// ```
    pub fn source_header(&self) -> Option<String> {
        self.comment_prefix()
            .map(|c| format!("{c} Databricks notebook source"))
    }

    /// The line that separates two cells in source format, e.g. `# COMMAND ----------`.
    pub fn cell_separator(&self) -> Option<String> {
        self.comment_prefix()
            .map(|c| format!("{c} COMMAND ----------"))
    }

    /// Whether the first line of `content` is this language's notebook source header
    /// (trailing whitespace ignored).
    pub fn is_notebook_source(&self, content: &[u8]) -> bool {
        let Some(header) = self.source_header() else {
            return false;
        };
        let first = content.split(|b| *b == b'\n').next().unwrap_or_default();
        first.trim_ascii_end() == header.as_bytes()
    }
}

/// What the API tells about a workspace object (`ObjectInfo`), from `list` and `get-status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectInfo {
    /// The object's kind.
    pub object_type: ObjectType,
    /// Its absolute path.
    pub path: String,
    /// Its id.
    pub object_id: ObjectId,
    /// The language; notebooks only (always `PYTHON` for Jupyter notebooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// Creation time, epoch milliseconds (files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Last modification time, epoch milliseconds (files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<i64>,
    /// Size in bytes (files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// An id for the object that is the same across all Databricks APIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

impl ObjectInfo {
    /// Whether this is a folder.
    pub fn is_directory(&self) -> bool {
        self.object_type == ObjectType::Directory
    }

    /// Whether this is a notebook.
    pub fn is_notebook(&self) -> bool {
        self.object_type == ObjectType::Notebook
    }

    /// Whether this is a workspace file.
    pub fn is_file(&self) -> bool {
        self.object_type == ObjectType::File
    }

    /// The last segment of the path (`""` for `/`).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or_default()
    }
}

/// An exported object, from [`Export::send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The content, decoded from the answer's base64.
    pub content: Bytes,
    /// The file type the service names (e.g. `py`, `scala`, `sql`, `r`, `html`, `ipynb`,
    /// `dbc`, `zip`), when it names one.
    pub file_type: Option<String>,
}

/// The Workspace API. `Debug` shows the host, never a credential.
///
/// Every call takes per-call options: for all calls made through a handle with
/// [`WorkspaceApi::with_options`], for one call with a builder's `with_options`. The caller's
/// choice wins over the method's default (e.g. [`WorkspaceApi::delete`] is retried after a
/// timeout unless the caller says it is not idempotent).
#[derive(Debug, Clone)]
pub struct WorkspaceApi {
    client: Client,
}

#[derive(Deserialize)]
struct ListResponse {
    #[serde(default)]
    objects: Vec<ObjectInfo>,
}

#[derive(Serialize)]
struct PathBody<'a> {
    path: &'a str,
}

impl WorkspaceApi {
    /// The Workspace API over `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// This API with `options` applied to every call made through the returned handle (see
    /// [`dbx_core::Client::with_options`]), the walk and the transfer helpers included.
    ///
    /// ```no_run
    /// # async fn demo(ws: dbx_workspace::WorkspaceApi) -> dbx_core::Result<()> {
    /// use std::time::Duration;
    /// use dbx_core::CallOptions;
    /// let quick = ws.with_options(CallOptions::default().with_timeout(Duration::from_secs(5)));
    /// let objects = quick.list("/Shared").await?;
    /// # Ok(()) }
    /// ```
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            client: self.client.with_options(options),
        }
    }

    /// The client this API sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The objects in a folder, or the object itself when `path` is not a folder
    /// (`GET /api/2.0/workspace/list`). A missing path answers `RESOURCE_DOES_NOT_EXIST`
    /// ([`dbx_core::Error::is_not_found`]). Not recursive: see [`WorkspaceApi::walk`].
    pub async fn list(&self, path: &str) -> Result<Vec<ObjectInfo>> {
        self.list_request(path, None).await
    }

    /// Like [`WorkspaceApi::list`], keeping only the notebooks modified after `after_ms`
    /// (epoch milliseconds; `notebooks_modified_after`).
    pub async fn list_modified_after(&self, path: &str, after_ms: i64) -> Result<Vec<ObjectInfo>> {
        self.list_request(path, Some(after_ms)).await
    }

    async fn list_request(&self, path: &str, after_ms: Option<i64>) -> Result<Vec<ObjectInfo>> {
        let req = Request::get("/api/2.0/workspace/list")
            .query("path", path)
            .query_opt("notebooks_modified_after", after_ms);
        let resp: ListResponse = self.client.call(req).await?;
        Ok(resp.objects)
    }

    /// The status of one object (`GET /api/2.0/workspace/get-status`). A missing path answers
    /// `RESOURCE_DOES_NOT_EXIST`.
    pub async fn get_status(&self, path: &str) -> Result<ObjectInfo> {
        self.client
            .call(Request::get("/api/2.0/workspace/get-status").query("path", path))
            .await
    }

    /// Whether an object exists at `path` (a `get-status` whose not-found answer is `false`).
    pub async fn exists(&self, path: &str) -> Result<bool> {
        match self.get_status(path).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Create a folder and any missing parents (`POST /api/2.0/workspace/mkdirs`). An existing
    /// folder is fine; a notebook or file on the way answers `RESOURCE_ALREADY_EXISTS`
    /// ([`dbx_core::Error::is_already_exists`]). Retried after timeouts: repeating it is harmless.
    pub async fn mkdirs(&self, path: &str) -> Result<()> {
        let req = Request::post("/api/2.0/workspace/mkdirs")
            .json(&PathBody { path })?
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Delete an object (`POST /api/2.0/workspace/delete`); a folder with content needs
    /// [`Recursive::Yes`] (else `DIRECTORY_NOT_EMPTY`). A missing path answers
    /// `RESOURCE_DOES_NOT_EXIST`. A recursive delete is not atomic. (`true`/`false` are accepted
    /// for `recursive` too.)
    pub async fn delete(&self, path: &str, recursive: impl Into<Recursive>) -> Result<()> {
        let recursive = recursive.into().as_bool();
        #[derive(Serialize)]
        struct Body<'a> {
            path: &'a str,
            recursive: bool,
        }
        let req = Request::post("/api/2.0/workspace/delete")
            .json(&Body { path, recursive })?
            // Deleting twice leaves the same state; the second answer would be a 404.
            .default_idempotent(true);
        self.client.call_empty(req).await
    }

    /// Start importing `content` to `path` (`POST /api/2.0/workspace/import`). The content is
    /// raw bytes (this crate base64-encodes it, or sends it as a file part with
    /// [`Import::multipart`]); at most [`MAX_CONTENT_SIZE`].
    pub fn import(&self, path: impl Into<String>, content: impl Into<Bytes>) -> Import<'_> {
        Import {
            api: self,
            path: path.into(),
            content: content.into(),
            format: None,
            language: None,
            overwrite: None,
            multipart: false,
            options: CallOptions::default(),
        }
    }

    /// Start exporting the object or folder at `path` (`GET /api/2.0/workspace/export`).
    pub fn export(&self, path: impl Into<String>) -> Export<'_> {
        Export {
            api: self,
            path: path.into(),
            format: None,
            options: CallOptions::default(),
        }
    }
}

/// Builder for [`WorkspaceApi::import`]. `Debug` shows the size of the content, not the bytes.
#[must_use = "call .send().await"]
pub struct Import<'a> {
    api: &'a WorkspaceApi,
    path: String,
    content: Bytes,
    format: Option<Format>,
    language: Option<Language>,
    overwrite: Option<Overwrite>,
    multipart: bool,
    options: CallOptions,
}

#[derive(Serialize)]
struct ImportBody<'a> {
    path: &'a str,
    content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'a Format>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a Language>,
    #[serde(skip_serializing_if = "Option::is_none")]
    overwrite: Option<bool>,
}

impl std::fmt::Debug for Import<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Import")
            .field("path", &self.path)
            .field("content", &format_args!("<{} bytes>", self.content.len()))
            .field("format", &self.format)
            .field("language", &self.language)
            .field("overwrite", &self.overwrite)
            .field("multipart", &self.multipart)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Import<'_> {
    /// The content's format (the service's default is `SOURCE`).
    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    /// The notebook's language; required for a single notebook in `SOURCE` format.
    pub fn language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    /// Replace an existing object at the path ([`Overwrite::Yes`] or `true`; the service's
    /// default is not to; not supported for `DBC`).
    pub fn overwrite(mut self, overwrite: impl Into<Overwrite>) -> Self {
        self.overwrite = Some(overwrite.into());
        self
    }

    /// Send the content as the file part of a `multipart/form-data` body instead of base64 in
    /// JSON (a third smaller on the wire).
    pub fn multipart(mut self, multipart: bool) -> Self {
        self.multipart = multipart;
        self
    }

    /// Per-call options (timeout, retry policy, idempotency); they win over the handle's and
    /// over the call's default.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Send the import. Retried after a timeout only when it overwrites (a repeated plain
    /// import would answer `RESOURCE_ALREADY_EXISTS`).
    pub async fn send(self) -> Result<()> {
        let overwrite = self.overwrite.map(Overwrite::as_bool);
        let idempotent = overwrite == Some(true);
        let req = Request::post("/api/2.0/workspace/import");
        let req = if self.multipart {
            let mut fields: Vec<(&str, &str)> = vec![("path", &self.path)];
            if let Some(f) = &self.format {
                fields.push(("format", f.as_str()));
            }
            if let Some(l) = &self.language {
                fields.push(("language", l.as_str()));
            }
            if let Some(o) = overwrite {
                fields.push(("overwrite", if o { "true" } else { "false" }));
            }
            let filename = self.path.rsplit('/').next().unwrap_or_default();
            let (body, content_type) =
                dbx_core::multipart::encode(&fields, "content", filename, &self.content);
            req.body(body, content_type)
        } else {
            req.json(&ImportBody {
                path: &self.path,
                content: base64::engine::general_purpose::STANDARD.encode(&self.content),
                format: self.format.as_ref(),
                language: self.language.as_ref(),
                overwrite,
            })?
        };
        let req = req.options(self.options).default_idempotent(idempotent);
        self.api.client.call_empty(req).await
    }
}

/// Builder for [`WorkspaceApi::export`].
#[derive(Debug)]
#[must_use = "call .send().await or .download().await"]
pub struct Export<'a> {
    api: &'a WorkspaceApi,
    path: String,
    format: Option<Format>,
    options: CallOptions,
}

#[derive(Deserialize)]
struct ExportResponse {
    #[serde(default)]
    content: String,
    #[serde(default)]
    file_type: Option<String>,
}

impl Export<'_> {
    /// The format (the service's default is `SOURCE`; a folder exports as `DBC`, `SOURCE` or
    /// `AUTO` only).
    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    /// Per-call options (timeout, retry policy, idempotency); they win over the handle's and
    /// over the call's default.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    fn request(&self, direct_download: bool) -> Request {
        let req = Request::get("/api/2.0/workspace/export")
            .query("path", &self.path)
            .query_opt("format", self.format.as_ref().map(Format::as_str));
        let req = if direct_download {
            req.query("direct_download", true)
        } else {
            req
        };
        req.options(self.options.clone())
    }

    /// Export as JSON: the content (decoded from base64) and its `file_type`.
    pub async fn send(self) -> Result<Exported> {
        let resp: ExportResponse = self.api.client.call(self.request(false)).await?;
        let content = base64::engine::general_purpose::STANDARD
            .decode(resp.content.as_bytes())
            .map_err(|e| dbx_core::Error::Decode {
                path: "content".into(),
                message: format!("not base64: {e}"),
            })?;
        Ok(Exported {
            content: content.into(),
            file_type: resp.file_type.filter(|t| !t.is_empty()),
        })
    }

    /// Export with `direct_download=true`: the exported file's raw bytes.
    pub async fn download(self) -> Result<Bytes> {
        let resp = self.api.client.execute(self.request(true)).await?;
        Ok(resp.into_body())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbx_core::testing::ReplayTransport;
    use dbx_core::Config;
    use serde_json::json;

    pub(crate) fn api(t: &ReplayTransport) -> WorkspaceApi {
        let cfg = Config::builder()
            .host("https://x.invalid")
            .token("t")
            .build()
            .expect("config");
        WorkspaceApi::new(Client::with_transport(cfg, t.clone()))
    }

    #[test]
    fn debug_shows_sizes_and_the_host_never_bytes_or_credentials() {
        let t = ReplayTransport::new();
        let a = api(&t);
        let import = a.import("/Shared/n", Bytes::from_static(b"print('secret')"));
        let shown = format!("{a:?} {import:?}");
        assert!(
            shown.contains("<15 bytes>") && shown.contains("https://x.invalid"),
            "{shown}"
        );
        assert!(
            !shown.contains("print(") && !shown.contains("\"t\""),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn the_callers_idempotency_wins_over_the_methods_default() {
        let gateway_timeout_then_ok = || {
            ReplayTransport::new()
                .respond_json(
                    504,
                    json!({"error_code": "DEADLINE_EXCEEDED", "message": "slow"}),
                )
                .respond_json(200, json!({}))
        };
        let retry = CallOptions::default().with_retry(dbx_core::RetryPolicy {
            initial_backoff: std::time::Duration::ZERO,
            jitter: false,
            ..dbx_core::RetryPolicy::default()
        });
        // delete and mkdirs are idempotent by default: retried after a 504 ...
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry.clone())
            .delete("/Shared/x", Recursive::Yes)
            .await
            .expect("retried");
        assert_eq!(t.requests().len(), 2);
        assert_eq!(
            t.requests()[0].json(),
            json!({"path": "/Shared/x", "recursive": true})
        );
        // ... unless the handle says otherwise (the caller's choice used to be overridden).
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry.clone().with_idempotent(false))
            .mkdirs("/Shared/x")
            .await
            .expect_err("not retried");
        assert_eq!(t.requests().len(), 1);
        // An overwriting import is idempotent by default; the call's own options win.
        let t = gateway_timeout_then_ok();
        api(&t)
            .import("/Shared/n", Bytes::from_static(b"print(1)"))
            .overwrite(Overwrite::Yes)
            .with_options(retry.clone().with_idempotent(false))
            .send()
            .await
            .expect_err("not retried");
        assert_eq!(t.requests().len(), 1);
        // A plain import is not, but the caller may declare it so.
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry.with_idempotent(true))
            .import("/Shared/n", Bytes::from_static(b"print(1)"))
            .send()
            .await
            .expect("retried");
        assert_eq!(t.requests().len(), 2);
    }

    #[tokio::test]
    async fn list_and_get_status_send_the_path_in_the_query() {
        let t = ReplayTransport::new()
            .respond_json(
                200,
                json!({"objects": [
                    {"path": "/Users/a@b.c/nb", "object_type": "NOTEBOOK", "object_id": 7, "language": "PYTHON"},
                    {"path": "/Users/a@b.c/f.txt", "object_type": "FILE", "object_id": 8, "size": 3, "created_at": 1, "modified_at": 2, "resource_id": "8"},
                    {"path": "/Users/a@b.c/q", "object_type": "QUERY", "object_id": 9}
                ]}),
            )
            .respond_json(200, json!({}))
            .respond_json(200, json!({"path": "/", "object_type": "DIRECTORY", "object_id": 0}));
        let a = api(&t);
        let objects = a.list("/Users/a@b.c").await.expect("list");
        assert_eq!(objects.len(), 3);
        assert_eq!(objects[0].language, Some(Language::Python));
        assert_eq!(objects[0].name(), "nb");
        assert!(objects[1].is_file());
        assert_eq!(objects[1].size, Some(3));
        assert_eq!(objects[2].object_type, ObjectType::Unknown("QUERY".into()));
        assert!(a
            .list_modified_after("/x", 5)
            .await
            .expect("empty")
            .is_empty());
        let root = a.get_status("/").await.expect("status");
        assert!(root.is_directory());
        assert_eq!(root.name(), "");
        let r = t.requests();
        assert_eq!(r[0].method, http::Method::GET);
        assert_eq!(r[0].path, "/api/2.0/workspace/list");
        assert_eq!(r[0].query.as_deref(), Some("path=%2FUsers%2Fa%40b.c"));
        assert_eq!(
            r[1].query.as_deref(),
            Some("path=%2Fx&notebooks_modified_after=5")
        );
        assert_eq!(r[2].path, "/api/2.0/workspace/get-status");
        assert!(r[2].body.is_empty());
    }

    #[tokio::test]
    async fn mkdirs_delete_and_exists() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(
                404,
                json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Path (/x) doesn't exist."}),
            )
            .respond_json(
                403,
                json!({"error_code": "PERMISSION_DENIED", "message": "no"}),
            );
        let a = api(&t);
        a.mkdirs("/a/b").await.expect("mkdirs");
        a.delete("/a", true).await.expect("delete");
        assert!(!a.exists("/x").await.expect("not found is false"));
        assert!(a
            .exists("/y")
            .await
            .expect_err("other errors stay")
            .is_permission_denied());
        let r = t.requests();
        assert_eq!(r[0].path, "/api/2.0/workspace/mkdirs");
        assert_eq!(r[0].json(), json!({"path": "/a/b"}));
        assert_eq!(r[1].json(), json!({"path": "/a", "recursive": true}));
    }

    #[tokio::test]
    async fn import_as_json_sends_base64_and_only_set_fields() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({}))
            .respond_json(200, json!({}));
        let a = api(&t);
        a.import("/Shared/nb", "print(1)")
            .format(Format::Source)
            .language(Language::Python)
            .overwrite(true)
            .send()
            .await
            .expect("import");
        a.import("/Shared/f.bin", vec![0u8, 255])
            .format(Format::Raw)
            .send()
            .await
            .expect("import raw");
        let r = t.requests();
        assert_eq!(r[0].path, "/api/2.0/workspace/import");
        assert_eq!(
            r[0].headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        assert_eq!(
            r[0].json(),
            json!({"path": "/Shared/nb", "content": "cHJpbnQoMSk=", "format": "SOURCE", "language": "PYTHON", "overwrite": true})
        );
        assert_eq!(
            r[1].json(),
            json!({"path": "/Shared/f.bin", "content": "AP8=", "format": "RAW"})
        );
    }

    #[tokio::test]
    async fn import_as_multipart_sends_fields_and_a_file_part() {
        let t = ReplayTransport::new().respond_json(200, json!({}));
        api(&t)
            .import("/Shared/dir/nb.ipynb", "{\"cells\": []}")
            .format(Format::Jupyter)
            .overwrite(false)
            .multipart(true)
            .send()
            .await
            .expect("import");
        let r = &t.requests()[0];
        let ct = r
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .expect("content type")
            .to_owned();
        let boundary = ct
            .strip_prefix("multipart/form-data; boundary=")
            .expect("multipart");
        let body = String::from_utf8(r.body.to_vec()).expect("utf8");
        assert!(body.starts_with(&format!("--{boundary}\r\n")));
        assert!(body.ends_with(&format!("--{boundary}--\r\n")));
        assert!(body.contains(
            "Content-Disposition: form-data; name=\"path\"\r\n\r\n/Shared/dir/nb.ipynb\r\n"
        ));
        assert!(body.contains("name=\"format\"\r\n\r\nJUPYTER\r\n"));
        assert!(body.contains("name=\"overwrite\"\r\n\r\nfalse\r\n"));
        assert!(!body.contains("name=\"language\""));
        assert!(body.contains(
            "Content-Disposition: form-data; name=\"content\"; filename=\"nb.ipynb\"\r\nContent-Type: application/octet-stream\r\n\r\n{\"cells\": []}\r\n"
        ));
    }

    #[tokio::test]
    async fn export_decodes_json_and_downloads_raw_bytes() {
        let mut raw = http::Response::new(Bytes::from_static(b"\x00raw\xff"));
        raw.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/octet-stream"),
        );
        let t = ReplayTransport::new()
            .respond_json(
                200,
                json!({"content": "IyBEYXRhYnJpY2tzIG5vdGVib29rIHNvdXJjZQ==", "file_type": "py"}),
            )
            .respond(raw)
            .respond_json(200, json!({"content": "%%%"}));
        let a = api(&t);
        let e = a
            .export("/Shared/nb")
            .format(Format::Source)
            .send()
            .await
            .expect("export");
        assert_eq!(&e.content[..], b"# Databricks notebook source");
        assert_eq!(e.file_type.as_deref(), Some("py"));
        let bytes = a
            .export("/Shared/f")
            .format(Format::Auto)
            .download()
            .await
            .expect("download");
        assert_eq!(&bytes[..], b"\x00raw\xff");
        let err = a.export("/Shared/x").send().await.expect_err("bad base64");
        assert!(matches!(err, dbx_core::Error::Decode { ref path, .. } if path == "content"));
        let r = t.requests();
        assert_eq!(r[0].path, "/api/2.0/workspace/export");
        assert_eq!(
            r[0].query.as_deref(),
            Some("path=%2FShared%2Fnb&format=SOURCE")
        );
        assert_eq!(
            r[1].query.as_deref(),
            Some("path=%2FShared%2Ff&format=AUTO&direct_download=true")
        );
        assert_eq!(r[2].query.as_deref(), Some("path=%2FShared%2Fx"));
    }

    #[tokio::test]
    async fn api_errors_keep_the_code() {
        let t = ReplayTransport::new().respond_json(
            400,
            json!({"error_code": "DIRECTORY_NOT_EMPTY", "message": "Folder (/a) is not empty"}),
        );
        let err = api(&t).delete("/a", false).await.expect_err("not empty");
        assert_eq!(err.error_code(), Some("DIRECTORY_NOT_EMPTY"));
        assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    }

    #[test]
    fn languages_know_their_source_syntax() {
        assert_eq!(
            Language::Scala.cell_separator().as_deref(),
            Some("// COMMAND ----------")
        );
        assert_eq!(
            Language::R.source_header().as_deref(),
            Some("# Databricks notebook source")
        );
        assert!(Language::Python.is_notebook_source(b"# Databricks notebook source\r\nx = 1\n"));
        assert!(!Language::Sql.is_notebook_source(b"# Databricks notebook source\n"));
        assert!(!Language::Unknown("X".into()).is_notebook_source(b""));
        assert_eq!(Language::Unknown("X".into()).extension(), None);
        assert_eq!(Language::from_extension("SQL"), Some(Language::Sql));
        let f: Format = serde_json::from_str("\"R_MARKDOWN\"").expect("format");
        assert_eq!(f, Format::RMarkdown);
    }
}
