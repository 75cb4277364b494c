//! Notebooks and their file formats (the [`Notebook`] type itself is state, in
//! `state/workspace.rs`): Databricks source (`.py`, `.scala`, `.sql`, `.r`), Jupyter
//! (`.ipynb`), the notebook model inside DBC archives and HTML exports, and R Markdown.
//!
//! A notebook is a language and a list of cells. A cell is its text as the notebook editor shows
//! it; a cell in another language or of another kind starts with its magic command (`%md`,
//! `%sql`, `%sh`, `%run`, ...). Every format converts to and from this one model, so any
//! format can be exported from a notebook imported in any other.

use base64::Engine as _;
use serde_json::{json, Value};

pub(crate) use crate::state::workspace::{Lang, Notebook};

use crate::error::ApiError;

impl Lang {
    /// The wire name (`PYTHON`, ...); the API's values are case sensitive.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "PYTHON" => Some(Self::Python),
            "SCALA" => Some(Self::Scala),
            "SQL" => Some(Self::Sql),
            "R" => Some(Self::R),
            _ => None,
        }
    }

    pub(crate) fn wire(self) -> &'static str {
        match self {
            Self::Python => "PYTHON",
            Self::Scala => "SCALA",
            Self::Sql => "SQL",
            Self::R => "R",
        }
    }

    /// The lower-case name used in notebook models and Jupyter metadata.
    pub(crate) fn lower(self) -> &'static str {
        match self {
            Self::Python => "python",
            Self::Scala => "scala",
            Self::Sql => "sql",
            Self::R => "r",
        }
    }

    /// From a lower-case (any case) language name: `python`, `scala`, `sql`, `r`.
    pub(crate) fn from_name(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "python" => Some(Self::Python),
            "scala" => Some(Self::Scala),
            "sql" => Some(Self::Sql),
            "r" => Some(Self::R),
            _ => None,
        }
    }

    /// The source file extension (and the export's `file_type`).
    pub(crate) fn ext(self) -> &'static str {
        match self {
            Self::Python => "py",
            Self::Scala => "scala",
            Self::Sql => "sql",
            Self::R => "r",
        }
    }

    /// From a source file extension, any case.
    pub(crate) fn from_ext(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "py" => Some(Self::Python),
            "scala" => Some(Self::Scala),
            "sql" => Some(Self::Sql),
            "r" => Some(Self::R),
            _ => None,
        }
    }

    fn comment(self) -> &'static str {
        match self {
            Self::Python | Self::R => "#",
            Self::Scala => "//",
            Self::Sql => "--",
        }
    }

    /// `# Databricks notebook source` (`//` for Scala, `--` for SQL).
    pub(crate) fn header(self) -> String {
        format!("{} Databricks notebook source", self.comment())
    }

    /// `# COMMAND ----------`.
    fn separator(self) -> String {
        format!("{} COMMAND ----------", self.comment())
    }

    /// `# MAGIC`.
    fn magic(self) -> String {
        format!("{} MAGIC", self.comment())
    }

    /// Whether the first line of `content` is this language's source header.
    pub(crate) fn has_header(self, content: &[u8]) -> bool {
        let first = content.split(|b| *b == b'\n').next().unwrap_or_default();
        let first = String::from_utf8_lossy(first);
        first.trim_end() == self.header()
    }
}

/// The magic command a cell starts with (`md` for `%md ...`), if any.
fn magic_of(cell: &str) -> Option<&str> {
    let first = cell.lines().next()?.strip_prefix('%')?;
    let name = first.split_whitespace().next().unwrap_or_default();
    (!name.is_empty()).then_some(name)
}

/// The markdown of a `%md` cell (the text after the magic), or `None` for other cells.
fn markdown_of(cell: &str) -> Option<String> {
    if magic_of(cell) != Some("md") {
        return None;
    }
    let (first, rest) = cell.split_once('\n').unwrap_or((cell, ""));
    let inline = first
        .trim_start_matches('%')
        .trim_start_matches("md")
        .trim();
    Some(match (inline.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (false, true) => inline.to_owned(),
        (false, false) => format!("{inline}\n{rest}"),
    })
}

/// A deterministic UUID-shaped id for cell `index` of object `id`.
fn guid(id: i64, index: usize) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", id & 0xffff_ffff, index)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid_parameter(message)
}

impl Notebook {
    /// Parse Databricks source format: an optional header line, cells separated by
    /// `COMMAND ----------` lines, magic cells with every line behind `MAGIC`. Blank lines around
    /// cells are dropped. Any text is accepted (a file without separators is one cell).
    pub(crate) fn from_source(language: Lang, content: &[u8]) -> Self {
        let text = String::from_utf8_lossy(content).replace("\r\n", "\n");
        let mut lines: Vec<&str> = text.split('\n').collect();
        if lines
            .first()
            .is_some_and(|l| l.trim_end() == language.header())
        {
            lines.remove(0);
        }
        let sep = language.separator();
        let magic = language.magic();
        let mut cells = Vec::new();
        let mut current: Vec<&str> = Vec::new();
        let mut finish = |current: &mut Vec<&str>| {
            let joined = current.join("\n");
            let cell = joined.trim_matches('\n');
            let magic_prefix = format!("{magic} ");
            let all_magic = !cell.is_empty()
                && cell
                    .split('\n')
                    .all(|l| l.trim_end() == magic || l.starts_with(&magic_prefix));
            let cell = if all_magic {
                cell.split('\n')
                    .map(|l| l.strip_prefix(&magic_prefix).unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                cell.to_owned()
            };
            cells.push(cell);
            current.clear();
        };
        for line in lines {
            if line.trim_end() == sep {
                finish(&mut current);
            } else {
                current.push(line);
            }
        }
        finish(&mut current);
        if cells.len() == 1 && cells[0].is_empty() {
            cells.clear();
        }
        Self { language, cells }
    }

    /// Databricks source format, as the service exports it: the header line, then the cells
    /// separated by blank lines around `COMMAND ----------`, magic cells behind `MAGIC`, and
    /// nothing after the last cell: no final newline (`print(1)` exports as
    /// `"# Databricks notebook source\nprint(1)"`, as the official SDKs' integration tests
    /// expect). A notebook without cells is the header line and its newline [inf].
    pub(crate) fn to_source(&self) -> String {
        let lang = self.language;
        let magic = lang.magic();
        let rendered: Vec<String> = self
            .cells
            .iter()
            .map(|cell| {
                if magic_of(cell).is_some() {
                    cell.split('\n')
                        .map(|l| {
                            if l.is_empty() {
                                magic.clone()
                            } else {
                                format!("{magic} {l}")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                } else {
                    cell.clone()
                }
            })
            .collect();
        let mut out = lang.header();
        out.push('\n');
        out.push_str(&rendered.join(&format!("\n\n{}\n\n", lang.separator())));
        out
    }

    /// The notebook model Databricks keeps in DBC archives and HTML exports.
    pub(crate) fn to_model(&self, name: &str, id: i64) -> Value {
        let commands: Vec<Value> = self
            .cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                json!({
                    "version": "CommandV1",
                    "origId": id.saturating_mul(1000).saturating_add(i as i64 + 1),
                    "guid": guid(id, i + 1),
                    "subtype": "command",
                    "commandType": "auto",
                    "position": (i + 1) as f64,
                    "command": cell,
                    "commandTitle": "",
                    "showCommandTitle": false,
                    "hideCommandCode": false,
                    "hideCommandResult": false,
                    "iPythonMetadata": null,
                    "nuid": guid(id, i + 1),
                })
            })
            .collect();
        json!({
            "version": "NotebookV1",
            "origId": id,
            "name": name,
            "language": self.language.lower(),
            "commands": commands,
            "dashboards": [],
            "guid": guid(id, 0),
            "globalVars": {},
            "iPythonMetadata": null,
            "inputWidgets": {},
        })
    }

    /// A notebook from a model; `fallback` when the model names no known language.
    pub(crate) fn from_model(model: &Value, fallback: Option<Lang>) -> Result<Self, ApiError> {
        let obj = model
            .as_object()
            .ok_or_else(|| invalid("Invalid notebook: expected a JSON object"))?;
        let language = obj
            .get("language")
            .and_then(Value::as_str)
            .and_then(Lang::from_name)
            .or(fallback)
            .ok_or_else(|| invalid("Invalid notebook: unknown language"))?;
        let commands = match obj.get("commands") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(invalid("Invalid notebook: commands must be an array")),
        };
        let mut cells: Vec<(f64, String)> = commands
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pos = c
                    .get("position")
                    .and_then(Value::as_f64)
                    .unwrap_or(i as f64);
                let text = c
                    .get("command")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                (pos, text)
            })
            .collect();
        cells.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(Self {
            language,
            cells: cells.into_iter().map(|(_, c)| c).collect(),
        })
    }

    /// A Jupyter notebook (nbformat 4) with Databricks' metadata: `%md` cells become markdown
    /// cells, every other cell a code cell.
    pub(crate) fn to_jupyter(&self, name: &str, id: i64) -> String {
        let cells: Vec<Value> = self
            .cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let meta = json!({"application/vnd.databricks.v1+cell": {
                    "cellMetadata": {},
                    "inputWidgets": {},
                    "nuid": guid(id, i + 1),
                    "showTitle": false,
                    "title": "",
                }});
                match markdown_of(cell) {
                    Some(md) => json!({
                        "cell_type": "markdown",
                        "metadata": meta,
                        "source": source_lines(&md),
                    }),
                    None => json!({
                        "cell_type": "code",
                        "execution_count": 0,
                        "metadata": meta,
                        "outputs": [],
                        "source": source_lines(cell),
                    }),
                }
            })
            .collect();
        let nb = json!({
            "cells": cells,
            "metadata": {
                "application/vnd.databricks.v1+notebook": {
                    "dashboards": [],
                    "language": self.language.lower(),
                    "notebookMetadata": {},
                    "notebookName": name,
                    "notebookOrigID": id,
                    "widgets": {},
                },
                "language_info": {"name": self.language.lower()},
            },
            "nbformat": 4,
            "nbformat_minor": 0,
        });
        serde_json::to_string_pretty(&nb).unwrap_or_else(|_| nb.to_string())
    }

    /// A notebook from a Jupyter file: nbformat 4 or later with a `cells` array. The language
    /// comes from Databricks' notebook metadata, else the kernel's, else Python.
    pub(crate) fn from_jupyter(content: &[u8]) -> Result<Self, ApiError> {
        let bad = || invalid("Invalid Jupyter notebook: the content is not a valid .ipynb file");
        let nb: Value = serde_json::from_slice(content).map_err(|_| bad())?;
        let obj = nb.as_object().ok_or_else(bad)?;
        let major = obj
            .get("nbformat")
            .and_then(Value::as_i64)
            .ok_or_else(bad)?;
        if major < 4 {
            return Err(invalid(format!(
                "Unsupported Jupyter notebook version: {major} (nbformat 4 or later is required)"
            )));
        }
        let cells = obj.get("cells").and_then(Value::as_array).ok_or_else(bad)?;
        let meta = obj.get("metadata").and_then(Value::as_object);
        let lang_at = |path: &[&str]| -> Option<Lang> {
            let mut v: &Value = meta.and_then(|m| m.get(path[0]))?;
            for key in &path[1..] {
                v = v.get(key)?;
            }
            v.as_str().and_then(Lang::from_name)
        };
        let language = lang_at(&["application/vnd.databricks.v1+notebook", "language"])
            .or_else(|| lang_at(&["kernelspec", "language"]))
            .or_else(|| lang_at(&["language_info", "name"]))
            .unwrap_or(Lang::Python);
        let mut out = Vec::with_capacity(cells.len());
        for cell in cells {
            let source = match cell.get("source") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(parts)) => parts.iter().filter_map(Value::as_str).collect(),
                _ => String::new(),
            };
            let source = source.trim_end_matches('\n').to_owned();
            if cell.get("cell_type").and_then(Value::as_str) == Some("markdown") {
                out.push(if source.is_empty() {
                    "%md".to_owned()
                } else {
                    format!("%md\n{source}")
                });
            } else {
                out.push(source);
            }
        }
        Ok(Self {
            language,
            cells: out,
        })
    }

    /// A self-contained HTML page: the cells as code blocks, and the notebook model embedded
    /// (base64 JSON in `__DATABRICKS_NOTEBOOK_MODEL`) so the page imports back. No external
    /// resources.
    pub(crate) fn to_html(&self, name: &str, id: i64) -> String {
        let model = self.to_model(name, id).to_string();
        let encoded = base64::engine::general_purpose::STANDARD.encode(model);
        let title = escape_html(name);
        let mut body = String::new();
        for (i, cell) in self.cells.iter().enumerate() {
            let lang = magic_of(cell).unwrap_or(self.language.lower());
            body.push_str(&format!(
                "<div class=\"cell\" data-position=\"{}\"><pre><code class=\"language-{}\">{}</code></pre></div>\n",
                i + 1,
                escape_html(lang),
                escape_html(cell)
            ));
        }
        format!(
            "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"databricks-html-version\" content=\"1\">\n\
             <title>{title} - Databricks</title>\n\
             <style>body{{font-family:sans-serif;margin:2em}}.cell{{border:1px solid #ddd;\
             border-radius:4px;margin:1em 0;padding:.5em}}pre{{margin:0;white-space:pre-wrap}}</style>\n\
             </head>\n<body>\n<h1>{title}</h1>\n{body}\
             <script>\nvar __DATABRICKS_NOTEBOOK_MODEL = '{encoded}';\n</script>\n</body>\n</html>\n"
        )
    }

    /// A notebook from an HTML export: the embedded `__DATABRICKS_NOTEBOOK_MODEL` (base64 of the
    /// JSON model, or of its URI-encoded form as the service writes it).
    pub(crate) fn from_html(content: &[u8]) -> Result<Self, ApiError> {
        let bad = || invalid("Invalid HTML notebook: no Databricks notebook model found");
        let text = String::from_utf8_lossy(content);
        let marker = "__DATABRICKS_NOTEBOOK_MODEL = '";
        let start = text.find(marker).ok_or_else(bad)? + marker.len();
        let end = text[start..].find('\'').ok_or_else(bad)? + start;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(text[start..end].trim())
            .map_err(|_| bad())?;
        let decoded = if decoded.first() == Some(&b'{') {
            decoded
        } else {
            percent_decode(&decoded)
        };
        let model: Value = serde_json::from_slice(&decoded).map_err(|_| bad())?;
        Self::from_model(&model, None)
    }

    /// R Markdown (R notebooks): a YAML front matter, `%md` cells as text, every other cell as a
    /// code chunk (```` ```{r} ````, or the magic's engine, e.g. ```` ```{python} ````).
    pub(crate) fn to_rmd(&self, name: &str) -> String {
        let mut blocks = vec![format!(
            "---\ntitle: \"{}\"\noutput: html_document\n---",
            name.replace('"', "'")
        )];
        for cell in &self.cells {
            if let Some(md) = markdown_of(cell) {
                blocks.push(md);
            } else if let Some(engine) = magic_of(cell) {
                let body = cell.split_once('\n').map(|(_, b)| b).unwrap_or("");
                blocks.push(format!("```{{{engine}}}\n{body}\n```"));
            } else {
                blocks.push(format!("```{{{}}}\n{cell}\n```", self.language.lower()));
            }
        }
        let mut out = blocks.join("\n\n");
        out.push('\n');
        out
    }

    /// An R notebook from R Markdown: text between chunks becomes `%md` cells, `r` chunks code
    /// cells, chunks of other engines magic cells (`%python`, ...).
    pub(crate) fn from_rmd(content: &[u8]) -> Self {
        let text = String::from_utf8_lossy(content).replace("\r\n", "\n");
        let mut lines = text.split('\n').peekable();
        if lines.peek().is_some_and(|l| l.trim_end() == "---") {
            lines.next();
            for l in lines.by_ref() {
                if l.trim_end() == "---" {
                    break;
                }
            }
        }
        let mut cells = Vec::new();
        let mut prose: Vec<&str> = Vec::new();
        let flush = |prose: &mut Vec<&str>, cells: &mut Vec<String>| {
            let joined = prose.join("\n");
            let md = joined.trim_matches('\n');
            if !md.trim().is_empty() {
                cells.push(format!("%md\n{md}"));
            }
            prose.clear();
        };
        while let Some(line) = lines.next() {
            let engine = line
                .trim_end()
                .strip_prefix("```{")
                .and_then(|r| r.strip_suffix('}'))
                .map(|inner| {
                    inner
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .next()
                        .unwrap_or_default()
                        .to_ascii_lowercase()
                });
            let Some(engine) = engine.filter(|e| !e.is_empty()) else {
                prose.push(line);
                continue;
            };
            flush(&mut prose, &mut cells);
            let mut code = Vec::new();
            for l in lines.by_ref() {
                if l.trim_end() == "```" {
                    break;
                }
                code.push(l);
            }
            let code = code.join("\n");
            cells.push(if engine == "r" {
                code
            } else {
                format!("%{engine}\n{code}")
            });
        }
        flush(&mut prose, &mut cells);
        Self {
            language: Lang::R,
            cells,
        }
    }
}

/// Jupyter's `source` array: the lines, each but the last with its newline.
fn source_lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_owned).collect()
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn percent_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match (
            input[i],
            input.get(i + 1).copied(),
            input.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push(hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0));
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PY: &str = "# Databricks notebook source\nprint(1)\n\n# COMMAND ----------\n\n# MAGIC %md\n# MAGIC # Title\n# MAGIC\n# MAGIC text\n\n# COMMAND ----------\n\n# MAGIC %sql\n# MAGIC select 1";

    #[test]
    fn source_round_trips_byte_for_byte() {
        let nb = Notebook::from_source(Lang::Python, PY.as_bytes());
        assert_eq!(
            nb.cells,
            vec!["print(1)", "%md\n# Title\n\ntext", "%sql\nselect 1"]
        );
        assert_eq!(nb.to_source(), PY);
    }

    #[test]
    fn source_without_header_gets_one() {
        let nb = Notebook::from_source(Lang::Sql, b"select 1\r\n");
        assert_eq!(nb.to_source(), "-- Databricks notebook source\nselect 1");
        let empty = Notebook::from_source(Lang::Scala, b"// Databricks notebook source\n");
        assert!(empty.cells.is_empty());
        assert_eq!(empty.to_source(), "// Databricks notebook source\n");
    }

    #[test]
    fn source_exports_end_with_the_last_cell_in_every_language() {
        // The shape of the SDKs' integration test: upload `print(1)`, download the header, a
        // newline and `print(1)`, nothing more.
        let nb = Notebook::from_source(Lang::Python, b"print(1)");
        assert_eq!(nb.to_source(), "# Databricks notebook source\nprint(1)");
        for (lang, comment) in [
            (Lang::Python, "#"),
            (Lang::Scala, "//"),
            (Lang::Sql, "--"),
            (Lang::R, "#"),
        ] {
            let want = format!(
                "{comment} Databricks notebook source\nx\n\n{comment} COMMAND ----------\n\n\
                 {comment} MAGIC %md\n{comment} MAGIC # T\n{comment} MAGIC\n{comment} MAGIC end"
            );
            // Trailing newlines (an editor's, or CRLF ones) are not part of the last cell.
            let typed = format!("{}\r\n\n", want.replace('\n', "\r\n"));
            let nb = Notebook::from_source(lang, typed.as_bytes());
            assert_eq!(nb.cells, vec!["x", "%md\n# T\n\nend"], "{lang:?}");
            let out = nb.to_source();
            assert_eq!(out, want, "{lang:?}");
            // import -> export -> import -> export is byte for byte.
            assert_eq!(Notebook::from_source(lang, out.as_bytes()).to_source(), out);
        }
    }

    #[test]
    fn jupyter_html_rmd_and_model_round_trip() {
        let nb = Notebook::from_source(Lang::Python, PY.as_bytes());
        let ipynb = nb.to_jupyter("n", 5);
        assert_eq!(
            Notebook::from_jupyter(ipynb.as_bytes()).ok(),
            Some(nb.clone())
        );
        let html = nb.to_html("n<", 5);
        assert!(html.contains("<title>n&lt; - Databricks</title>"));
        assert_eq!(Notebook::from_html(html.as_bytes()).ok(), Some(nb.clone()));
        assert_eq!(
            Notebook::from_model(&nb.to_model("n", 5), None).ok(),
            Some(nb.clone())
        );
        let r = Notebook {
            language: Lang::R,
            cells: vec![
                "x <- 1".into(),
                "%md\n# T".into(),
                "%python\nprint(2)".into(),
            ],
        };
        assert_eq!(Notebook::from_rmd(r.to_rmd("r").as_bytes()), r);
    }

    #[test]
    fn bad_inputs_are_invalid_parameters() {
        for bad in [
            &b"{"[..],
            b"[]",
            b"{\"cells\": []}",
            b"{\"nbformat\": 3, \"cells\": []}",
        ] {
            let e = Notebook::from_jupyter(bad).expect_err("invalid");
            assert_eq!(e.error_code(), Some("INVALID_PARAMETER_VALUE"));
        }
        assert!(Notebook::from_html(b"<html></html>").is_err());
        assert!(Notebook::from_model(&json!([]), None).is_err());
        assert_eq!(percent_decode(b"%7B%22a%22+b%zz"), b"{\"a\" b%zz".to_vec());
    }
}
