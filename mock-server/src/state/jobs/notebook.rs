//! What a notebook task does when it runs, read from the notebook in the emulated workspace:
//! the first top-level `dbutils.notebook.exit(<literal>)` ends it with that value as
//! `notebook_output.result`; a top-level `raise` before it fails it with that error (the
//! behaviours <https://docs.databricks.com/en/notebooks/notebook-workflows.html> describes).
//! Anything else runs to the end and succeeds with no result.

use crate::state::workspace::Notebook;

/// How a notebook run ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotebookEnd {
    /// Ran to the end, or exited with a value.
    Success { result: Option<String> },
    /// Raised at top level: the error (`ValueError: bad`) and its trace.
    Raised { error: String, trace: String },
}

/// The value of a literal argument: a quoted string without its quotes (simple escapes
/// undone), anything else as written.
fn literal(arg: &str) -> String {
    let arg = arg.trim();
    for q in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(inner) = arg.strip_prefix(q).and_then(|a| a.strip_suffix(q)) {
            return inner
                .replace("\\n", "\n")
                .replace("\\t", "\t")
                .replace(&format!("\\{q}"), q)
                .replace("\\\\", "\\");
        }
    }
    arg.to_owned()
}

/// The text between the parentheses that open right after `prefix` on `line`, if they close.
fn call_argument<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(prefix)?.trim_start().strip_prefix('(')?;
    let close = rest.rfind(')')?;
    Some(&rest[..close])
}

/// Run `notebook` as the emulator does.
pub(crate) fn run(notebook: &Notebook) -> NotebookEnd {
    for cell in &notebook.cells {
        if cell.trim_start().starts_with('%') {
            continue; // %md, %sql, ... cells do not exit or raise in the emulator
        }
        for line in cell.lines() {
            // Only top-level statements: indented lines are inside a block.
            if line.starts_with([' ', '\t']) {
                continue;
            }
            let line = line.trim_end().trim_end_matches(';');
            if let Some(arg) = call_argument(line, "dbutils.notebook.exit") {
                return NotebookEnd::Success {
                    result: Some(literal(arg)),
                };
            }
            if let Some(raised) = line.strip_prefix("raise ") {
                let raised = raised.trim();
                let error = match raised.find('(') {
                    Some(open) => {
                        let class = raised[..open].trim();
                        let arg = raised[open + 1..].trim_end_matches(')');
                        let msg = literal(arg);
                        if msg.is_empty() {
                            class.to_owned()
                        } else {
                            format!("{class}: {msg}")
                        }
                    }
                    None => raised.to_owned(),
                };
                let class = error.split(':').next().unwrap_or("Exception").to_owned();
                let trace = format!(
                    "---------------------------------------------------------------------------\n\
                     {class}                                 Traceback (most recent call last)\n\
                     File <command>:1\n----> 1 {line}\n\n{error}"
                );
                return NotebookEnd::Raised { error, trace };
            }
        }
    }
    NotebookEnd::Success { result: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::workspace::Lang;

    fn nb(cells: &[&str]) -> Notebook {
        Notebook {
            language: Lang::Python,
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn exit_and_raise_are_found_at_top_level_only() {
        assert_eq!(
            run(&nb(&["x = 1", "dbutils.notebook.exit(\"done: 42\")"])),
            NotebookEnd::Success {
                result: Some("done: 42".to_owned())
            }
        );
        assert_eq!(
            run(&nb(&[
                "if x:\n    raise ValueError('no')",
                "dbutils.notebook.exit(7)"
            ])),
            NotebookEnd::Success {
                result: Some("7".to_owned())
            }
        );
        match run(&nb(&["raise ValueError(\"bad input\")"])) {
            NotebookEnd::Raised { error, trace } => {
                assert_eq!(error, "ValueError: bad input");
                assert!(trace.contains("ValueError"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            run(&nb(&["%md\nraise X('y')", "print(1)"])),
            NotebookEnd::Success { result: None }
        );
    }
}
