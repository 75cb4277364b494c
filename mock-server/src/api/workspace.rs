//! Workspace API — `/api/2.0/workspace` (<https://docs.databricks.com/api/workspace/workspace>): notebooks, files and folders, with
//! import and export in every format the service offers.
//!
//! The tree lives in [`State`](crate::state::State) (`workspace`): `/`, `/Users`, a home folder
//! `/Users/<userName>` for every user (made when the user is created), and `/Shared`.
//!
//! Behaviour taken from the service (docs.databricks.com `workspace-objects`/`workspace-files`
//! pages, and answers quoted in public issue threads):
//! * missing path: 404 `RESOURCE_DOES_NOT_EXIST` `Path (<path>) doesn't exist.`; an import
//!   whose folder is missing names that folder (databrickslabs/migrate#10);
//! * import over an existing object without `overwrite`: 400 `RESOURCE_ALREADY_EXISTS`
//!   `Node named '<name>' already exists` (databricks/cli#3386);
//! * `mkdirs` across a notebook or file: 400 `RESOURCE_ALREADY_EXISTS`
//!   `<name> already exists and it is not a folder` (databrickslabs/dbx#613); parents are made;
//!   an existing folder is fine;
//! * `delete` of a non-empty folder without `recursive`: 400 `DIRECTORY_NOT_EMPTY`
//!   `Folder (<path>) is not empty` (terraform-provider-databricks#2553);
//! * content over 10 MB: 400 `MAX_NOTEBOOK_SIZE_EXCEEDED`, on import `File size imported is
//!   (<n> bytes), exceeded max size (10485760 bytes)` (terraform-provider-databricks#4077), on
//!   export `Notebook size exceeded limit: <n> > 10485760` (databrickslabs/migrate#292);
//! * `SOURCE` without `language` reads the content as a zip of a folder; anything else answers
//!   400 `INVALID_PARAMETER_VALUE` `The zip file may not be valid or may be an unsupported
//!   version.` (databricks/cli#630);
//! * `AUTO` makes a notebook of a `.py`/`.scala`/`.sql`/`.r` file that starts with that
//!   language's notebook header, and of a `.ipynb` file, dropping the extension; anything else
//!   becomes a workspace file;
//! * the source format: `# Databricks notebook source` (`//` Scala, `--` SQL), cells separated
//!   by `# COMMAND ----------` with a blank line on each side, other-language and markdown cells
//!   behind `# MAGIC`, and no newline after the last cell (`print(1)` exports as
//!   `# Databricks notebook source\nprint(1)`, the bytes the official SDKs' integration tests
//!   expect), for single notebooks and for the files of a folder's `SOURCE` zip alike; a
//!   Jupyter notebook's language comes from Databricks' notebook metadata.
//!
//! Our choices where the service's behaviour is not documented (our inference; docs/emulator.md):
//! * paths must be absolute; a leading `/Workspace` is dropped; `.`/`..` segments are refused
//!   (`INVALID_PARAMETER_VALUE`);
//! * `/`, `/Users` and `/Shared` cannot be deleted (403 `PERMISSION_DENIED`);
//! * `overwrite` replaces notebooks, files and libraries but never a folder; the object keeps its
//!   id when the kind stays the same; `overwrite` with `DBC` is refused;
//! * an archive (DBC, or a `SOURCE` zip) with one top-level folder is unpacked into `path`; a
//!   DBC holding a single notebook becomes the notebook at `path`; several top-level entries
//!   land inside the folder `path`. Archives are capped at 10 000 entries and 64 MiB
//!   decompressed; entry names that could leave the folder are refused;
//! * `notebooks_modified_after` drops only notebooks;
//! * notebooks and files carry `created_at`/`modified_at`, files `size`; `resource_id` is the
//!   object id as text; `/` has object id 0;
//! * folder exports: `DBC` (notebook models, `file_type` `dbc`), `SOURCE` (notebooks as source
//!   files, `zip`), `AUTO` (notebooks as source files plus workspace files, `zip`); a file
//!   exports its bytes (`file_type`: its extension); R Markdown exports R notebooks only;
//!   libraries cannot be exported (`INVALID_PARAMETER_VALUE`);
//! * an HTML export is a page without external resources that embeds the notebook model as
//!   base64 JSON in `__DATABRICKS_NOTEBOOK_MODEL` (the service base64-encodes the URI-encoded
//!   JSON; imports read both); R Markdown imports as an R notebook; DBC entries are
//!   `<name>.python|scala|sql|r` notebook models; in a `SOURCE` folder zip, entries that are
//!   not source or `.ipynb` files become workspace files;
//! * an import without `content` imports empty content; direct downloads are
//!   `text/plain` (source, R Markdown), `text/html`, `application/x-ipynb+json`,
//!   `application/zip` (DBC, folders) or `application/octet-stream` (files);
//! * libraries cannot be made through the API; tests place them with
//!   [`Emulator::create_workspace_library`].
//!
//! The tree itself is state (`state/workspace.rs`). Heavy work stays out of the state lock: an
//! import is decoded, parsed and (for archives) unpacked in the route's prepare step, so the
//! handler only inserts; an export takes shared handles (`Bytes`, `Arc<Notebook>`) with the
//! state locked and renders, archives and base64-encodes them in a deferred reply.

mod archive;
mod notebook;

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::Method;
use serde_json::{json, Map, Value};

use self::notebook::{Lang, Notebook};
use super::{Access, Ctx, MultipartField, Payload, ReadCtx, Reply, Route};
use crate::emulator::Emulator;
use crate::error::{ApiError, ErrorCode};
use crate::params::Params;
use crate::state::workspace::{join, name_of, normalize, not_found, parent_of, Kind, Node, Tree};

/// The largest content one import accepts or one export returns: 10 MB.
pub(crate) const MAX_CONTENT_BYTES: usize = 10 * 1024 * 1024;
/// The most raw bytes a folder export gathers before compressing (our choice).
const MAX_EXPORT_GATHER_BYTES: usize = 64 * 1024 * 1024;

/// The Workspace API routes (2.0).
pub(crate) fn routes() -> Vec<Route> {
    const V: &[&str] = &["2.0"];
    vec![
        Route::read(Method::GET, "workspace/list", V, list).access(Access::AnyUser),
        Route::read(Method::GET, "workspace/get-status", V, get_status).access(Access::AnyUser),
        Route::new(Method::POST, "workspace/mkdirs", V, mkdirs).access(Access::AnyUser),
        Route::new(Method::POST, "workspace/import", V, import)
            .access(Access::AnyUser)
            .with_prepare(prepare_import),
        Route::read(Method::GET, "workspace/export", V, export).access(Access::AnyUser),
        Route::new(Method::POST, "workspace/delete", V, delete).access(Access::AnyUser),
    ]
}

/// An import/export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Source,
    Html,
    Jupyter,
    Dbc,
    RMarkdown,
    Auto,
    Raw,
}

impl Format {
    fn parse(value: Option<&str>) -> Result<Self, ApiError> {
        Ok(match value {
            None | Some("SOURCE") => Self::Source,
            Some("HTML") => Self::Html,
            Some("JUPYTER") => Self::Jupyter,
            Some("DBC") => Self::Dbc,
            Some("R_MARKDOWN") => Self::RMarkdown,
            Some("AUTO") => Self::Auto,
            Some("RAW") => Self::Raw,
            Some(other) => {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid format: {other}. Supported formats are SOURCE, HTML, JUPYTER, DBC, \
                     R_MARKDOWN, AUTO and RAW."
                )))
            }
        })
    }
}

fn parse_language(value: Option<&str>) -> Result<Option<Lang>, ApiError> {
    value
        .map(|v| {
            Lang::parse(v).ok_or_else(|| {
                ApiError::invalid_parameter(format!(
                    "Invalid language: {v}. Supported languages are PYTHON, SCALA, SQL and R."
                ))
            })
        })
        .transpose()
}

fn too_large(size: usize) -> ApiError {
    ApiError::new(
        ErrorCode::MaxNotebookSizeExceeded,
        format!(
            "File size imported is ({size} bytes), exceeded max size ({MAX_CONTENT_BYTES} bytes)"
        ),
    )
}

fn export_too_large(size: usize) -> ApiError {
    ApiError::new(
        ErrorCode::MaxNotebookSizeExceeded,
        format!("Notebook size exceeded limit: {size} > {MAX_CONTENT_BYTES}"),
    )
}

/// The request's `path`, normalized.
fn path_param(ctx: &ReadCtx<'_>) -> Result<String, ApiError> {
    normalize(ctx.params.str("path")?)
}

/// ObjectInfo.
fn object_info(path: &str, node: &Node) -> Value {
    let mut m = Map::new();
    m.insert("object_type".into(), json!(node.kind.object_type()));
    m.insert("path".into(), json!(path));
    m.insert("object_id".into(), json!(node.id));
    m.insert("resource_id".into(), json!(node.id.to_string()));
    match &node.kind {
        Kind::Notebook(nb) => {
            m.insert("language".into(), json!(nb.language.wire()));
            m.insert("created_at".into(), json!(node.created_at));
            m.insert("modified_at".into(), json!(node.modified_at));
        }
        Kind::File(data) => {
            m.insert("created_at".into(), json!(node.created_at));
            m.insert("modified_at".into(), json!(node.modified_at));
            m.insert("size".into(), json!(data.len()));
        }
        Kind::Directory | Kind::Library => {}
    }
    Value::Object(m)
}

/// `GET workspace/list`: the folder's children, or the object itself.
fn list(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(ctx)?;
    let after = ctx.params.opt_i64("notebooks_modified_after")?;
    let tree = &ctx.state.workspace;
    let node = tree.get(&path).ok_or_else(|| not_found(&path))?;
    let objects: Vec<Value> = if matches!(node.kind, Kind::Directory) {
        tree.children(&path)
            .filter(|(_, n)| match (&n.kind, after) {
                (Kind::Notebook(_), Some(after)) => n.modified_at > after,
                _ => true,
            })
            .map(|(p, n)| object_info(p, n))
            .collect()
    } else {
        vec![object_info(&path, node)]
    };
    Ok(Reply::json(json!({ "objects": objects })))
}

/// `GET workspace/get-status`.
fn get_status(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(ctx)?;
    let node = ctx
        .state
        .workspace
        .get(&path)
        .ok_or_else(|| not_found(&path))?;
    Ok(Reply::json(object_info(&path, node)))
}

/// `POST workspace/mkdirs`.
fn mkdirs(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(&ctx.view())?;
    ctx.limits
        .state
        .check_workspace_dirs(&ctx.state.workspace, &path)?;
    ctx.state.workspace.mkdirs(&path, ctx.now_ms)?;
    Ok(Reply::empty())
}

/// `POST workspace/delete`.
fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(&ctx.view())?;
    let recursive = ctx.params.opt_bool("recursive")?.unwrap_or(false);
    ctx.state.workspace.remove(&path, recursive)?;
    Ok(Reply::empty())
}

/// The imported bytes: the multipart file part (`content`, else the first part with a file
/// name), or the base64 `content` parameter. Absent content is empty.
fn import_content(params: &Params, multipart: &[MultipartField]) -> Result<Bytes, ApiError> {
    if !multipart.is_empty() {
        let part = multipart
            .iter()
            .find(|f| f.name == "content")
            .or_else(|| multipart.iter().find(|f| f.filename.is_some()));
        return Ok(part.map(|p| p.data.clone()).unwrap_or_default());
    }
    let Some(encoded) = params.opt_str("content")? else {
        return Ok(Bytes::new());
    };
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map(Bytes::from)
        .map_err(|_| {
            ApiError::invalid_parameter("Invalid content: the content must be base64-encoded.")
        })
}

/// `name` split at its last dot into a non-empty stem and the extension.
fn split_ext(name: &str) -> Option<(&str, &str)> {
    name.rsplit_once('.')
        .filter(|(stem, ext)| !stem.is_empty() && !ext.is_empty())
}

/// A workspace import with everything but the insertion done: decoded, parsed, unpacked.
#[derive(Debug)]
pub(crate) struct Import {
    /// Where the object (or the archive's folder) goes; `AUTO` may have dropped an extension.
    path: String,
    overwrite: bool,
    what: Imported,
}

/// What an import places.
#[derive(Debug)]
enum Imported {
    /// One notebook or file.
    One(Kind),
    /// An archive's items (see [`put_archive`]).
    Archive(Vec<Item>),
}

/// `POST workspace/import`, before the state is locked: every check that does not need the
/// tree, in the order the handler always made them (path, format, language, overwrite,
/// content, size, then the format's own parsing), and the decoding and unpacking.
fn prepare_import(
    params: &Params,
    multipart: &[MultipartField],
) -> Result<Option<Payload>, ApiError> {
    let path = normalize(params.str("path")?)?;
    let format = Format::parse(params.opt_str("format")?)?;
    let language = parse_language(params.opt_str("language")?)?;
    let overwrite = params.opt_bool("overwrite")?.unwrap_or(false);
    let content = import_content(params, multipart)?;
    if content.len() > MAX_CONTENT_BYTES {
        return Err(too_large(content.len()));
    }
    let notebook = |nb: Notebook| Imported::One(Kind::Notebook(Arc::new(nb)));
    let (path, overwrite, what) = match format {
        Format::Source => match language {
            Some(lang) => (
                path,
                overwrite,
                notebook(Notebook::from_source(lang, &content)),
            ),
            None => {
                let items = source_archive_items(&content)?;
                (path, overwrite, Imported::Archive(items))
            }
        },
        Format::Jupyter => (path, overwrite, notebook(Notebook::from_jupyter(&content)?)),
        Format::Html => (path, overwrite, notebook(Notebook::from_html(&content)?)),
        Format::RMarkdown => (path, overwrite, notebook(Notebook::from_rmd(&content))),
        Format::Dbc => {
            if overwrite {
                return Err(ApiError::invalid_parameter(
                    "Overwrite is not supported for the DBC format: the archive may contain a folder.",
                ));
            }
            (path, false, Imported::Archive(dbc_items(&content)?))
        }
        Format::Raw => (path, overwrite, Imported::One(Kind::File(content))),
        Format::Auto => {
            let (target, kind) = auto_detect(&path, content)?;
            (target, overwrite, Imported::One(kind))
        }
    };
    Ok(Some(Payload::WorkspaceImport(Import {
        path,
        overwrite,
        what,
    })))
}

/// `POST workspace/import`, with the state locked: the prepared object or archive goes in.
fn import(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let Some(Payload::WorkspaceImport(import)) = ctx.payload.take() else {
        return Err(ApiError::internal("the workspace import was not prepared"));
    };
    let new_objects = match &import.what {
        Imported::One(_) => 1,
        Imported::Archive(items) => items.len().saturating_add(1),
    };
    ctx.limits
        .state
        .check_workspace_objects(ctx.state.workspace.len(), new_objects)?;
    let now = ctx.now_ms;
    let tree = &mut ctx.state.workspace;
    match import.what {
        Imported::One(kind) => tree.put(&import.path, kind, import.overwrite, now)?,
        Imported::Archive(items) => put_archive(tree, &import.path, items, import.overwrite, now)?,
    }
    Ok(Reply::empty())
}

/// `AUTO`: a notebook when the extension and the content say so (the extension is dropped),
/// else a workspace file at `path`.
fn auto_detect(path: &str, content: Bytes) -> Result<(String, Kind), ApiError> {
    let name = name_of(path);
    let parent = parent_of(path).unwrap_or("/");
    if let Some((stem, ext)) = split_ext(name) {
        if let Some(lang) = Lang::from_ext(ext) {
            if lang.has_header(&content) {
                let nb = Notebook::from_source(lang, &content);
                return Ok((join(parent, stem), Kind::Notebook(Arc::new(nb))));
            }
        } else if ext.eq_ignore_ascii_case("ipynb") {
            let nb = Notebook::from_jupyter(&content)?;
            return Ok((join(parent, stem), Kind::Notebook(Arc::new(nb))));
        }
    }
    Ok((path.to_owned(), Kind::File(content)))
}

/// One object of an archive, by path segments below the archive's root.
type Item = (Vec<String>, Kind);

/// Where an archive's items go: a single notebook at `path`, or a folder at `path`. With one
/// top-level folder, its content is unpacked into `path`.
fn put_archive(
    tree: &mut Tree,
    path: &str,
    mut items: Vec<Item>,
    overwrite: bool,
    now: i64,
) -> Result<(), ApiError> {
    let mut tops: Vec<&String> = items.iter().filter_map(|(s, _)| s.first()).collect();
    tops.dedup();
    let single_top = tops.len() == 1;
    if single_top
        && items.len() == 1
        && items[0].0.len() == 1
        && !matches!(items[0].1, Kind::Directory)
    {
        let (_, kind) = items.remove(0);
        return tree.put(path, kind, overwrite, now);
    }
    if single_top {
        items = items
            .into_iter()
            .filter_map(|(mut segs, kind)| {
                segs.remove(0);
                (!segs.is_empty()).then_some((segs, kind))
            })
            .collect();
    }
    tree.put_tree(path, items, overwrite, now)
}

/// The items of a DBC archive: `<name>.python|scala|sql|r` entries holding notebook models;
/// folders kept; anything else ignored.
fn dbc_items(content: &[u8]) -> Result<Vec<Item>, ApiError> {
    let mut items = Vec::new();
    for entry in archive::read(content)? {
        let Some(data) = entry.data else {
            items.push((entry.segments, Kind::Directory));
            continue;
        };
        let mut segments = entry.segments;
        let Some(last) = segments.pop() else { continue };
        let Some((stem, lang)) =
            split_ext(&last).and_then(|(s, e)| Lang::from_name(e).map(|l| (s, l)))
        else {
            continue;
        };
        let model: Value = serde_json::from_slice(&data).map_err(|_| {
            ApiError::invalid_parameter(format!("Invalid notebook in archive: {last}"))
        })?;
        let nb = Notebook::from_model(&model, Some(lang))?;
        segments.push(stem.to_owned());
        items.push((segments, Kind::Notebook(Arc::new(nb))));
    }
    Ok(items)
}

/// The items of a `SOURCE` folder zip: source files become notebooks (extension dropped),
/// `.ipynb` files Jupyter notebooks, other entries workspace files.
fn source_archive_items(content: &[u8]) -> Result<Vec<Item>, ApiError> {
    let mut items = Vec::new();
    for entry in archive::read(content)? {
        let Some(data) = entry.data else {
            items.push((entry.segments, Kind::Directory));
            continue;
        };
        let mut segments = entry.segments;
        let Some(last) = segments.pop() else { continue };
        let split = split_ext(&last).map(|(s, e)| (s.to_owned(), e.to_owned()));
        let kind = match split {
            Some((stem, ext)) => match Lang::from_ext(&ext) {
                Some(lang) => {
                    segments.push(stem);
                    Kind::Notebook(Arc::new(Notebook::from_source(lang, &data)))
                }
                None if ext.eq_ignore_ascii_case("ipynb") => {
                    segments.push(stem);
                    Kind::Notebook(Arc::new(Notebook::from_jupyter(&data)?))
                }
                None => {
                    segments.push(last);
                    Kind::File(Bytes::from(data))
                }
            },
            None => {
                segments.push(last);
                Kind::File(Bytes::from(data))
            }
        };
        items.push((segments, kind));
    }
    Ok(items)
}

/// An export: bytes, `file_type`, and the content type of a direct download.
struct Exported {
    data: Bytes,
    file_type: Option<String>,
    content_type: &'static str,
}

fn unsupported(format: &str, what: &str) -> ApiError {
    ApiError::invalid_parameter(format!("The {format} format is not supported for {what}."))
}

/// What an export takes out of the locked state: shared handles only.
enum Snapshot {
    Notebook { nb: Arc<Notebook>, id: i64 },
    File(Bytes),
    Dir(Vec<DirItem>),
}

/// One entry of a folder export, named as in the archive.
struct DirItem {
    entry: String,
    what: DirEntry,
}

enum DirEntry {
    Folder,
    /// A notebook with its own name and object id (the DBC model carries both).
    Notebook {
        nb: Arc<Notebook>,
        name: String,
        id: i64,
    },
    File(Bytes),
}

/// `GET workspace/export`: with the state locked, the checks and a [`Snapshot`]; the rendering,
/// archive writing and base64 encoding in a deferred reply.
fn export(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    let path = path_param(ctx)?;
    let format_param = ctx.params.opt_str("format")?;
    let format = Format::parse(format_param)?;
    let format_name = format_param.unwrap_or("SOURCE").to_owned();
    let direct = ctx.params.opt_bool("direct_download")?.unwrap_or(false);
    let tree = &ctx.state.workspace;
    let node = tree.get(&path).ok_or_else(|| not_found(&path))?;
    let snapshot = match &node.kind {
        Kind::Notebook(nb) => Snapshot::Notebook {
            nb: Arc::clone(nb),
            id: node.id,
        },
        Kind::File(data) => Snapshot::File(data.clone()),
        Kind::Directory => Snapshot::Dir(gather_dir(tree, &path, format, &format_name)?),
        Kind::Library => {
            return Err(ApiError::invalid_parameter(format!(
                "Cannot export {path}: exporting a library is not supported."
            )))
        }
    };
    Ok(Reply::deferred(move || {
        let name = name_of(&path);
        let out = match snapshot {
            Snapshot::Notebook { nb, id } => export_notebook(&nb, name, id, format, &format_name)?,
            Snapshot::File(data) => match format {
                Format::Source | Format::Auto | Format::Raw => Exported {
                    data,
                    file_type: split_ext(name).map(|(_, e)| e.to_ascii_lowercase()),
                    content_type: "application/octet-stream",
                },
                _ => return Err(unsupported(&format_name, "workspace files")),
            },
            Snapshot::Dir(items) => write_dir(items, format)?,
        };
        export_reply(out, direct)
    }))
}

/// The answer to an export: the bytes themselves (`direct_download`), or
/// `{"content": base64, "file_type": ..}`.
fn export_reply(out: Exported, direct: bool) -> Result<Reply, ApiError> {
    if out.data.len() > MAX_CONTENT_BYTES {
        return Err(export_too_large(out.data.len()));
    }
    if direct {
        return Ok(Reply::bytes(out.content_type, out.data));
    }
    let mut body = Map::new();
    body.insert(
        "content".into(),
        json!(base64::engine::general_purpose::STANDARD.encode(&out.data)),
    );
    if let Some(ft) = out.file_type {
        body.insert("file_type".into(), json!(ft));
    }
    Ok(Reply::json(Value::Object(body)))
}

fn export_notebook(
    nb: &Notebook,
    name: &str,
    id: i64,
    format: Format,
    format_name: &str,
) -> Result<Exported, ApiError> {
    let text = |data: String, ft: &str, ct: &'static str| Exported {
        data: Bytes::from(data),
        file_type: Some(ft.to_owned()),
        content_type: ct,
    };
    Ok(match format {
        Format::Source | Format::Auto => text(
            nb.to_source(),
            nb.language.ext(),
            "text/plain; charset=utf-8",
        ),
        Format::Html => text(nb.to_html(name, id), "html", "text/html; charset=utf-8"),
        Format::Jupyter => text(nb.to_jupyter(name, id), "ipynb", "application/x-ipynb+json"),
        Format::RMarkdown if nb.language == Lang::R => {
            text(nb.to_rmd(name), "Rmd", "text/plain; charset=utf-8")
        }
        Format::RMarkdown => {
            return Err(unsupported(
                format_name,
                "notebooks in languages other than R",
            ))
        }
        Format::Dbc => {
            let entry = format!("{name}.{}", nb.language.lower());
            let model = nb.to_model(name, id).to_string().into_bytes();
            Exported {
                data: Bytes::from(archive::write(&[(entry, Some(model))])?),
                file_type: Some("dbc".into()),
                content_type: "application/zip",
            }
        }
        Format::Raw => return Err(unsupported(format_name, "notebooks")),
    })
}

/// A folder's entries for a zip, with the state locked: `DBC` (notebooks), `SOURCE`
/// (notebooks) or `AUTO` (notebooks and workspace files), as shared handles. Entries sit under
/// the folder's own name.
fn gather_dir(
    tree: &Tree,
    path: &str,
    format: Format,
    format_name: &str,
) -> Result<Vec<DirItem>, ApiError> {
    if !matches!(format, Format::Dbc | Format::Source | Format::Auto) {
        return Err(ApiError::invalid_parameter(format!(
            "Exporting a directory is only supported for the DBC, SOURCE and AUTO formats, not {format_name}."
        )));
    }
    let root = name_of(path);
    let base = if path == "/" {
        "/".to_owned()
    } else {
        format!("{path}/")
    };
    let entry_name = |p: &str| -> String {
        let rel = p.strip_prefix(&base).unwrap_or(p);
        if root.is_empty() {
            rel.to_owned()
        } else {
            format!("{root}/{rel}")
        }
    };
    let folder = |entry: String| DirItem {
        entry,
        what: DirEntry::Folder,
    };
    let mut items = Vec::new();
    if !root.is_empty() {
        items.push(folder(format!("{root}/")));
    }
    for (p, node) in tree.descendants(path) {
        let item = match (&node.kind, format) {
            (Kind::Directory, _) => folder(format!("{}/", entry_name(p))),
            (Kind::Notebook(nb), _) => {
                let ext = if format == Format::Dbc {
                    nb.language.lower()
                } else {
                    nb.language.ext()
                };
                DirItem {
                    entry: format!("{}.{ext}", entry_name(p)),
                    what: DirEntry::Notebook {
                        nb: Arc::clone(nb),
                        name: name_of(p).to_owned(),
                        id: node.id,
                    },
                }
            }
            (Kind::File(data), Format::Auto) => DirItem {
                entry: entry_name(p),
                what: DirEntry::File(data.clone()),
            },
            _ => continue,
        };
        items.push(item);
    }
    Ok(items)
}

/// A folder export's zip, after the lock: notebooks rendered (models for `DBC`, source
/// otherwise), at most [`MAX_EXPORT_GATHER_BYTES`] gathered, then compressed.
fn write_dir(items: Vec<DirItem>, format: Format) -> Result<Exported, ApiError> {
    let mut entries: Vec<(String, Option<Vec<u8>>)> = Vec::with_capacity(items.len());
    let mut gathered = 0usize;
    for DirItem { entry, what } in items {
        let data = match what {
            DirEntry::Folder => {
                entries.push((entry, None));
                continue;
            }
            DirEntry::Notebook { nb, name, id } if format == Format::Dbc => {
                nb.to_model(&name, id).to_string().into_bytes()
            }
            DirEntry::Notebook { nb, .. } => nb.to_source().into_bytes(),
            DirEntry::File(data) => data.to_vec(),
        };
        gathered += data.len();
        if gathered > MAX_EXPORT_GATHER_BYTES {
            return Err(export_too_large(gathered));
        }
        entries.push((entry, Some(data)));
    }
    let (file_type, content_type) = if format == Format::Dbc {
        ("dbc", "application/zip")
    } else {
        ("zip", "application/zip")
    };
    Ok(Exported {
        data: Bytes::from(archive::write(&entries)?),
        file_type: Some(file_type.into()),
        content_type,
    })
}

impl Emulator {
    /// Place a workspace library object at `path` (the Workspace API cannot create libraries;
    /// they come from the UI). Its folder must exist; an object already there is replaced
    /// unless it is a folder.
    pub fn create_workspace_library(&self, path: &str) -> Result<(), ApiError> {
        let path = normalize(path)?;
        let now = self.inner.clock.now_ms();
        self.inner
            .state
            .write()
            .workspace
            .put(&path, Kind::Library, true, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::call_handler;

    fn tree() -> Tree {
        let mut t = Tree::default();
        t.ensure_home("u@x.com");
        t
    }

    /// A folder export, both halves: gathered from the tree, then written.
    fn export_dir(
        tree: &Tree,
        path: &str,
        format: Format,
        format_name: &str,
    ) -> Result<Exported, ApiError> {
        write_dir(gather_dir(tree, path, format, format_name)?, format)
    }

    fn params(v: Value) -> Params {
        Params::merge(v.as_object().cloned().unwrap_or_default(), Vec::new())
    }

    fn b64(data: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(data)
    }

    /// Every export answer is rendered, archived and encoded in a deferred reply, after the
    /// lock; what the tree decides (a missing path, a library, a folder's format) is answered
    /// by the handler.
    #[tokio::test]
    async fn exports_render_after_the_lock_is_released() {
        use http_body_util::BodyExt;
        let emu = Emulator::new();
        {
            let mut state = emu.inner.state.write();
            let t = &mut state.workspace;
            assert!(t.mkdirs("/Shared/p/sub", 1).is_ok());
            let nb = Notebook::from_source(Lang::Python, b"print(1)");
            assert!(t
                .put("/Shared/p/sub/n", Kind::Notebook(Arc::new(nb)), false, 1)
                .is_ok());
            let file = Kind::File(Bytes::from_static(b"f"));
            assert!(t.put("/Shared/p/f.txt", file, false, 1).is_ok());
        }
        assert!(emu.create_workspace_library("/Shared/lib").is_ok());
        let cases = [
            json!({"path": "/Shared/p", "format": "SOURCE"}),
            json!({"path": "/Shared/p", "format": "DBC"}),
            json!({"path": "/Shared/p", "format": "AUTO", "direct_download": true}),
            json!({"path": "/Shared/p/sub/n"}),
            json!({"path": "/Shared/p/sub/n", "format": "JUPYTER"}),
            json!({"path": "/Shared/p/f.txt", "format": "AUTO"}),
        ];
        for case in cases {
            let reply = call_handler(&emu, export, case.clone()).expect("export");
            assert!(reply.is_deferred(), "{case}");
            let resp = reply
                .resolve()
                .expect("rendered")
                .into_response(&crate::api::ResponsePolicy::DATABRICKS);
            assert_eq!(resp.status(), 200, "{case}");
            let body = resp.into_body().collect().await.expect("body").to_bytes();
            assert!(!body.is_empty(), "{case}");
        }
        let reply = call_handler(&emu, export, json!({"path": "/Shared/p/sub/n"})).expect("nb");
        let resp = reply
            .resolve()
            .expect("rendered")
            .into_response(&crate::api::ResponsePolicy::DATABRICKS);
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        let v: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            v,
            json!({"content": b64(b"# Databricks notebook source\nprint(1)"), "file_type": "py"})
        );
        for (case, code) in [
            (json!({"path": "/Shared/nope"}), "RESOURCE_DOES_NOT_EXIST"),
            (json!({"path": "/Shared/lib"}), "INVALID_PARAMETER_VALUE"),
            (
                json!({"path": "/Shared/p", "format": "HTML"}),
                "INVALID_PARAMETER_VALUE",
            ),
        ] {
            let e = call_handler(&emu, export, case.clone()).expect_err("refused");
            assert_eq!(e.error_code(), Some(code), "{case}");
        }
    }

    /// The import's prepare step makes the handler's checks in the handler's order and leaves
    /// only the insertion.
    #[test]
    fn imports_are_decoded_before_the_lock_in_the_same_order() {
        let prepare = |v: Value| prepare_import(&params(v), &[]);
        let missing_path = params(json!({})).str("path").expect_err("no path");
        let e = prepare(json!({"content": "@@@", "format": "NOPE"})).expect_err("no path");
        assert_eq!(e.message(), missing_path.message());
        let e = prepare(json!({"path": "/Shared/x", "format": "NOPE", "content": "@@@"}))
            .expect_err("format first");
        assert!(e
            .message()
            .is_some_and(|m| m.starts_with("Invalid format: NOPE")));
        let e = prepare(json!({"path": "/Shared/x", "format": "DBC", "content": "@@@"}))
            .expect_err("bad base64");
        assert_eq!(
            e.message(),
            Some("Invalid content: the content must be base64-encoded.")
        );
        let e = prepare(
            json!({"path": "/Shared/x", "format": "DBC", "overwrite": true,
                               "content": b64(b"not a zip")}),
        )
        .expect_err("overwrite before the archive");
        assert!(e
            .message()
            .is_some_and(|m| m.starts_with("Overwrite is not supported")));
        let e = prepare(json!({"path": "/Shared/x", "format": "DBC", "content": b64(b"junk")}))
            .expect_err("not a zip");
        assert_eq!(e.message(), archive::not_a_zip().message());
        let zip = archive::write(&[
            ("d/".into(), None),
            (
                "d/a.py".into(),
                Some(b"# Databricks notebook source\nx".to_vec()),
            ),
        ])
        .expect("zip");
        let prepared = prepare(json!({"path": "/Workspace/Shared/y", "content": b64(&zip)}))
            .expect("prepared");
        match prepared {
            Some(Payload::WorkspaceImport(Import {
                path,
                overwrite: false,
                what: Imported::Archive(items),
            })) => {
                assert_eq!(path, "/Shared/y");
                let names: Vec<_> = items
                    .iter()
                    .map(|(s, k)| (s.join("/"), k.object_type()))
                    .collect();
                assert_eq!(
                    names,
                    [
                        ("d".to_owned(), "DIRECTORY"),
                        ("d/a".to_owned(), "NOTEBOOK")
                    ]
                );
            }
            other => panic!("expected an unpacked archive, got {other:?}"),
        }
        let prepared = prepare(json!({"path": "/Shared/z.py", "format": "AUTO",
                                      "content": b64(b"# Databricks notebook source\nx")}))
        .expect("auto");
        assert!(matches!(
            prepared,
            Some(Payload::WorkspaceImport(Import { ref path, what: Imported::One(Kind::Notebook(_)), .. }))
                if path == "/Shared/z"
        ));
    }

    #[test]
    fn auto_detects_notebooks_by_extension_and_header() {
        let (p, k) = auto_detect(
            "/a/nb.py",
            Bytes::from_static(b"# Databricks notebook source\nx=1\n"),
        )
        .expect("nb");
        assert_eq!((p.as_str(), k.object_type()), ("/a/nb", "NOTEBOOK"));
        let (p, k) = auto_detect("/a/nb.py", Bytes::from_static(b"x=1\n")).expect("file");
        assert_eq!((p.as_str(), k.object_type()), ("/a/nb.py", "FILE"));
        let (p, k) = auto_detect(
            "/a/q.sql",
            Bytes::from_static(b"# Databricks notebook source\n"),
        )
        .expect("wrong header");
        assert_eq!((p.as_str(), k.object_type()), ("/a/q.sql", "FILE"));
        assert!(auto_detect("/a/x.ipynb", Bytes::from_static(b"nope")).is_err());
    }

    #[test]
    fn dbc_archives_round_trip_through_folders() {
        let mut t = tree();
        let nb = Notebook {
            language: Lang::Scala,
            cells: vec!["val x = 1".into(), "%md\n# T".into()],
        };
        assert!(t.mkdirs("/Shared/p/sub", 1).is_ok());
        assert!(t
            .put(
                "/Shared/p/sub/n",
                Kind::Notebook(Arc::new(nb.clone())),
                false,
                1
            )
            .is_ok());
        assert!(t
            .put(
                "/Shared/p/f.txt",
                Kind::File(Bytes::from_static(b"f")),
                false,
                1
            )
            .is_ok());
        let dbc = export_dir(&t, "/Shared/p", Format::Dbc, "DBC").expect("dbc");
        let items = dbc_items(&dbc.data).expect("items");
        assert!(put_archive(&mut t, "/Shared/q", items, false, 2).is_ok());
        match t.get("/Shared/q/sub/n").map(|n| &n.kind) {
            Some(Kind::Notebook(back)) => assert_eq!(**back, nb),
            other => panic!("expected the notebook, got {other:?}"),
        }
        assert!(
            t.get("/Shared/q/f.txt").is_none(),
            "DBC holds notebooks only"
        );
        let zip = export_dir(&t, "/Shared/p", Format::Auto, "AUTO").expect("zip");
        let items = source_archive_items(&zip.data).expect("items");
        assert!(put_archive(&mut t, "/Shared/r", items, false, 3).is_ok());
        assert!(t.get("/Shared/r/f.txt").is_some());
        assert!(t.get("/Shared/r/sub/n").is_some());
    }

    #[test]
    fn folder_source_zips_hold_the_notebooks_exact_source() {
        let mut t = tree();
        assert!(t.mkdirs("/Shared/p", 1).is_ok());
        let cases = [
            (Lang::Python, "py", "# Databricks notebook source\nprint(1)"),
            (
                Lang::Scala,
                "scala",
                "// Databricks notebook source\nval x = 1",
            ),
            (Lang::Sql, "sql", "-- Databricks notebook source\nselect 1"),
            (Lang::R, "r", "# Databricks notebook source\nx <- 1"),
        ];
        for (lang, ext, want) in cases {
            let body = want.split_once('\n').map(|(_, b)| b).unwrap_or_default();
            let nb = Notebook::from_source(lang, format!("{body}\n").as_bytes());
            assert!(t
                .put(
                    &format!("/Shared/p/{ext}"),
                    Kind::Notebook(Arc::new(nb)),
                    false,
                    1
                )
                .is_ok());
        }
        for format in [Format::Source, Format::Auto] {
            let zip = export_dir(&t, "/Shared/p", format, "SOURCE").expect("zip");
            let entries = archive::read(&zip.data).expect("entries");
            for (_, ext, want) in cases {
                let name = vec!["p".to_owned(), format!("{ext}.{ext}")];
                let entry = entries
                    .iter()
                    .find(|e| e.segments == name)
                    .unwrap_or_else(|| panic!("no entry {name:?}"));
                assert_eq!(entry.data.as_deref(), Some(want.as_bytes()), "{ext}");
            }
        }
    }

    #[test]
    fn a_failed_archive_import_changes_nothing() {
        let mut t = tree();
        assert!(t.mkdirs("/Shared/x", 1).is_ok());
        // "x" is a file, so "x/y" cannot be placed: nothing of the archive may remain.
        let items = vec![
            (vec!["x".to_owned()], Kind::File(Bytes::new())),
            (vec!["z".to_owned()], Kind::File(Bytes::new())),
            (
                vec!["x".to_owned(), "y".to_owned()],
                Kind::File(Bytes::new()),
            ),
        ];
        assert!(put_archive(&mut t, "/Shared/y", items, false, 1).is_err());
        assert!(t.get("/Shared/y").is_none());
    }
}
