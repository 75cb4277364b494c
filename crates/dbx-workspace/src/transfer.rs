//! Helpers between the local file system and the workspace: one file, or a whole tree.

use std::path::{Component, Path, PathBuf};

use futures::TryStreamExt;

use dbx_core::{Overwrite, TransferError};

use crate::{Format, Language, WorkspaceApi};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TransferError + '_ {
    move |source| TransferError::io(path, source)
}

/// What a tree transfer did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferSummary {
    /// Folders created (including the target folder itself).
    pub directories: usize,
    /// Notebooks transferred.
    pub notebooks: usize,
    /// Files transferred.
    pub files: usize,
    /// Paths left out: symbolic links and names that are not UTF-8 on import; libraries,
    /// repos, dashboards and other kinds on export.
    pub skipped: Vec<String>,
}

/// The import format (and language) for a local file, from its extension: `.py`, `.scala`,
/// `.sql`, `.r` → `SOURCE` with that language; `.ipynb` → `JUPYTER`; `.dbc` → `DBC`; `.Rmd` →
/// `R_MARKDOWN`; `.html`/`.htm` → `HTML`; anything else → `AUTO` (the service makes it a
/// workspace file).
///
/// ```
/// use dbx_workspace::{format_for_path, Format, Language};
/// assert_eq!(format_for_path("etl/job.sql".as_ref()), (Format::Source, Some(Language::Sql)));
/// assert_eq!(format_for_path("data.csv".as_ref()), (Format::Auto, None));
/// ```
pub fn format_for_path(path: &Path) -> (Format, Option<Language>) {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if let Some(lang) = Language::from_extension(&ext) {
        return (Format::Source, Some(lang));
    }
    let format = match ext.as_str() {
        "ipynb" => Format::Jupyter,
        "dbc" => Format::Dbc,
        "rmd" => Format::RMarkdown,
        "html" | "htm" => Format::Html,
        _ => Format::Auto,
    };
    (format, None)
}

/// `dir` + `/` + `name`, without doubling the slash.
fn join(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

/// How [`WorkspaceApi::import_dir`] imports one file: the workspace name, format and language.
/// Source files that carry the notebook header and `.ipynb` files become notebooks without
/// their extension; everything else becomes a workspace file under its own name.
fn plan_tree_entry(name: &str, content: &[u8]) -> (String, Format, Option<Language>) {
    if let Some((stem, ext)) = name.rsplit_once('.').filter(|(s, _)| !s.is_empty()) {
        if let Some(lang) = Language::from_extension(ext) {
            if lang.is_notebook_source(content) {
                return (stem.to_owned(), Format::Source, Some(lang));
            }
        } else if ext.eq_ignore_ascii_case("ipynb") {
            return (stem.to_owned(), Format::Jupyter, None);
        }
    }
    (name.to_owned(), Format::Auto, None)
}

/// The local path for a workspace path under `root`, or `None` when it would escape `dest`.
fn local_target(root: &str, object_path: &str, dest: &Path) -> Option<PathBuf> {
    let prefix = format!("{}/", root.trim_end_matches('/'));
    let rel = object_path.strip_prefix(&prefix)?;
    let mut out = dest.to_path_buf();
    for part in rel.split('/') {
        let ok = !part.is_empty()
            && !part.contains(['\\', ':', '\0'])
            && matches!(
                Path::new(part).components().next(),
                Some(Component::Normal(_))
            )
            && Path::new(part).components().count() == 1;
        if !ok {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

async fn write_file(path: &Path, data: &[u8], overwrite: Overwrite) -> Result<(), TransferError> {
    if overwrite == Overwrite::No && tokio::fs::try_exists(path).await.map_err(io(path))? {
        return Err(TransferError::LocalExists(path.to_path_buf()));
    }
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(io(parent))?;
    }
    tokio::fs::write(path, data).await.map_err(io(path))
}

impl WorkspaceApi {
    /// Import one local file to `workspace_path`, the format and language chosen from its
    /// extension by [`format_for_path`] (so a `.py` file becomes a Python notebook, a `.csv` a
    /// workspace file). The path is used as given. The content travels as `multipart/form-data`.
    pub async fn import_file(
        &self,
        local: impl AsRef<Path>,
        workspace_path: &str,
        overwrite: impl Into<Overwrite>,
    ) -> Result<(), TransferError> {
        let local = local.as_ref();
        let overwrite = overwrite.into();
        let content = tokio::fs::read(local).await.map_err(io(local))?;
        let (format, language) = format_for_path(local);
        let mut import = self
            .import(workspace_path, content)
            .format(format)
            .multipart(true);
        if let Some(lang) = language {
            import = import.language(lang);
        }
        if overwrite == Overwrite::Yes {
            import = import.overwrite(Overwrite::Yes);
        }
        import.send().await?;
        Ok(())
    }

    /// Import a local folder tree into `workspace_dir` (created if missing). Sub-folders become
    /// folders; source files (`.py`, `.scala`, `.sql`, `.r`) that start with the Databricks
    /// notebook header and `.ipynb` files become notebooks named without their extension (the
    /// layout [`WorkspaceApi::export_dir`] writes); every other file becomes a workspace file
    /// under its own name. Symbolic links are skipped. Stops at the first error.
    pub async fn import_dir(
        &self,
        local_dir: impl AsRef<Path>,
        workspace_dir: &str,
        overwrite: impl Into<Overwrite>,
    ) -> Result<TransferSummary, TransferError> {
        let local_dir = local_dir.as_ref();
        let overwrite = overwrite.into();
        let meta = tokio::fs::metadata(local_dir)
            .await
            .map_err(io(local_dir))?;
        if !meta.is_dir() {
            return Err(TransferError::NotADirectory(
                local_dir.display().to_string(),
            ));
        }
        let mut summary = TransferSummary::default();
        self.mkdirs(workspace_dir).await?;
        summary.directories += 1;
        let mut stack = vec![(local_dir.to_path_buf(), workspace_dir.to_owned())];
        while let Some((dir, remote)) = stack.pop() {
            let mut entries = Vec::new();
            let mut rd = tokio::fs::read_dir(&dir).await.map_err(io(&dir))?;
            while let Some(entry) = rd.next_entry().await.map_err(io(&dir))? {
                entries.push(entry);
            }
            entries.sort_by_key(|e| e.file_name());
            let mut subdirs = Vec::new();
            for entry in entries {
                let path = entry.path();
                let kind = entry.file_type().await.map_err(io(&path))?;
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    summary.skipped.push(path.display().to_string());
                    continue;
                };
                if kind.is_symlink() {
                    summary.skipped.push(path.display().to_string());
                } else if kind.is_dir() {
                    let target = join(&remote, &name);
                    self.mkdirs(&target).await?;
                    summary.directories += 1;
                    subdirs.push((path, target));
                } else {
                    let content = tokio::fs::read(&path).await.map_err(io(&path))?;
                    let (target, format, language) = plan_tree_entry(&name, &content);
                    let notebook = format != Format::Auto;
                    let mut import = self
                        .import(join(&remote, &target), content)
                        .format(format)
                        .multipart(true);
                    if let Some(lang) = language {
                        import = import.language(lang);
                    }
                    if overwrite == Overwrite::Yes {
                        import = import.overwrite(Overwrite::Yes);
                    }
                    import.send().await?;
                    if notebook {
                        summary.notebooks += 1;
                    } else {
                        summary.files += 1;
                    }
                }
            }
            // Visit sub-folders in name order.
            stack.extend(subdirs.into_iter().rev());
        }
        Ok(summary)
    }

    /// Export the workspace folder `workspace_dir` into the local folder `local_dir` (created if
    /// missing): folders as folders, notebooks in `SOURCE` format named `<name>.<file_type>`
    /// (`.py`, `.scala`, `.sql`, `.r`), workspace files byte for byte under their own name.
    /// Libraries, repos and dashboards are skipped. Without `overwrite` an existing local file
    /// is an error. Paths that would escape `local_dir` are refused.
    pub async fn export_dir(
        &self,
        workspace_dir: &str,
        local_dir: impl AsRef<Path>,
        overwrite: impl Into<Overwrite>,
    ) -> Result<TransferSummary, TransferError> {
        let local_dir = local_dir.as_ref();
        let overwrite = overwrite.into();
        let root = self.get_status(workspace_dir).await?;
        if !root.is_directory() {
            return Err(TransferError::NotADirectory(workspace_dir.to_owned()));
        }
        tokio::fs::create_dir_all(local_dir)
            .await
            .map_err(io(local_dir))?;
        let mut summary = TransferSummary {
            directories: 1,
            ..TransferSummary::default()
        };
        let mut objects = self.walk(workspace_dir);
        while let Some(object) = objects.try_next().await? {
            let Some(target) = local_target(workspace_dir, &object.path, local_dir) else {
                return Err(TransferError::UnsafePath(object.path));
            };
            if object.is_directory() {
                tokio::fs::create_dir_all(&target)
                    .await
                    .map_err(io(&target))?;
                summary.directories += 1;
            } else if object.is_notebook() {
                let exported = self
                    .export(object.path.as_str())
                    .format(Format::Source)
                    .send()
                    .await?;
                let ext = exported
                    .file_type
                    .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric()))
                    .or_else(|| {
                        object
                            .language
                            .as_ref()
                            .and_then(Language::extension)
                            .map(str::to_owned)
                    })
                    .unwrap_or_else(|| "txt".to_owned());
                let mut name = target.into_os_string();
                name.push(format!(".{ext}"));
                write_file(Path::new(&name), &exported.content, overwrite).await?;
                summary.notebooks += 1;
            } else if object.is_file() {
                let bytes = self
                    .export(object.path.as_str())
                    .format(Format::Auto)
                    .download()
                    .await?;
                write_file(&target, &bytes, overwrite).await?;
                summary.files += 1;
            } else {
                summary.skipped.push(object.path);
            }
        }
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_choose_format_and_language() {
        let f = |p: &str| format_for_path(Path::new(p));
        assert_eq!(f("a.py"), (Format::Source, Some(Language::Python)));
        assert_eq!(f("a.R"), (Format::Source, Some(Language::R)));
        assert_eq!(f("a.scala"), (Format::Source, Some(Language::Scala)));
        assert_eq!(f("a.ipynb"), (Format::Jupyter, None));
        assert_eq!(f("a.dbc"), (Format::Dbc, None));
        assert_eq!(f("a.Rmd"), (Format::RMarkdown, None));
        assert_eq!(f("a.html"), (Format::Html, None));
        assert_eq!(f("Makefile"), (Format::Auto, None));
    }

    #[test]
    fn tree_entries_become_notebooks_only_with_a_header() {
        let nb = plan_tree_entry("etl.sql", b"-- Databricks notebook source\nselect 1");
        assert_eq!(nb, ("etl".into(), Format::Source, Some(Language::Sql)));
        let plain = plan_tree_entry("util.py", b"def f(): pass\n");
        assert_eq!(plain, ("util.py".into(), Format::Auto, None));
        let ipynb = plan_tree_entry("x.ipynb", b"{}");
        assert_eq!(ipynb, ("x".into(), Format::Jupyter, None));
        let hidden = plan_tree_entry(".py", b"# Databricks notebook source\n");
        assert_eq!(hidden, (".py".into(), Format::Auto, None));
    }

    #[test]
    fn local_targets_never_escape() {
        let d = Path::new("/tmp/out");
        assert_eq!(
            local_target("/Shared/x", "/Shared/x/a/b", d),
            Some(PathBuf::from("/tmp/out/a/b"))
        );
        assert_eq!(
            local_target("/", "/Users", d),
            Some(PathBuf::from("/tmp/out/Users"))
        );
        assert_eq!(local_target("/Shared/x", "/Shared/x/../../etc", d), None);
        assert_eq!(local_target("/Shared/x", "/Shared/x/a//b", d), None);
        assert_eq!(local_target("/Shared/x", "/Shared/xy/a", d), None);
        assert_eq!(local_target("/Shared/x", "/Shared/x/C:a", d), None);
        assert_eq!(local_target("/Shared/x", "/Shared/x/.", d), None);
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/b/", "a"), "/b/a");
    }
}
