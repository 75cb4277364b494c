//! The state document: the emulator's whole state as one versioned JSON document, which
//! `--state-dir` loads at start and writes on a clean shutdown and on `POST /__mock/snapshot`,
//! and which `GET /__mock/state` / `PUT /__mock/state` export and import (`docs/emulator.md`,
//! "Keeping and seeding state").
//!
//! ```text
//! { "format_version": 1, "emulator_version": "0.1.0", "saved_at_ms": ..,
//!   "clock": { "now_ms": .., "frozen": false },
//!   "state": { "identity": .., "tokens": .., "dbfs": .., "secrets": .., "workspace": ..,
//!              "clusters": .., "instance_profiles": .., "libraries": .., "jobs": .. } }
//! ```
//!
//! `state` is the in-memory [`State`] as it is (`state/*.rs` derive serde): time-driven resources
//! keep their timelines and agendas, so settling continues after a load, and every id counter
//! continues without reuse. Tokens are kept as their SHA-256 (as in memory); secret values and
//! file contents are base64 strings (simple; a state with very large DBFS files makes a large
//! document). Configuration (delays, scripted outcomes, library failure rules, limits) is not
//! state: a loaded state keeps the running emulator's.
//!
//! Writing is atomic: the document goes to a temporary file in the same directory (mode 0600 on
//! Unix: it holds secrets), is flushed to disk, and is renamed over `state.json`; a crash
//! mid-write leaves the previous document intact.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::state::State;

/// The version of the state document this emulator writes and reads.
pub const STATE_FORMAT_VERSION: u32 = 1;
/// The document's file name inside the state directory.
pub const STATE_FILE_NAME: &str = "state.json";
/// The prefix of the temporary files a write goes through (left over only by a crash).
const TEMP_PREFIX: &str = ".state.json.tmp-";

/// Why a state document could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The document is not JSON, or not a state document.
    #[error("{origin}: {message}")]
    Invalid {
        /// Where the document came from (a file name, or `request body`).
        origin: String,
        /// What is wrong, with the line and column or the JSON path where known.
        message: String,
    },
    /// The document has a format version this emulator does not read.
    #[error("{origin}: state format version {found} is not supported: this dbx-mock-server ({emulator}) reads version {supported}{hint}")]
    Version {
        /// Where the document came from.
        origin: String,
        /// The document's `format_version`.
        found: u64,
        /// [`STATE_FORMAT_VERSION`].
        supported: u32,
        /// This emulator's version.
        emulator: &'static str,
        /// What to do about it.
        hint: &'static str,
    },
    /// `POST /__mock/snapshot` on an emulator started without a state directory.
    #[error("the emulator has no state directory (start it with --state-dir DIR)")]
    NoStateDir,
}

impl StateError {
    fn invalid(origin: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            origin: origin.to_owned(),
            message: message.into(),
        }
    }
}

/// The virtual clock as saved.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct ClockDoc {
    pub now_ms: i64,
    pub frozen: bool,
}

#[derive(Serialize)]
struct DocOut<'a> {
    format_version: u32,
    emulator_version: &'static str,
    saved_at_ms: i64,
    clock: ClockDoc,
    state: &'a State,
}

#[derive(Deserialize)]
struct DocIn {
    clock: ClockDoc,
    state: State,
}

/// The document for `state` at `clock`.
pub(crate) fn encode(state: &State, clock: ClockDoc) -> Result<Vec<u8>, StateError> {
    let doc = DocOut {
        format_version: STATE_FORMAT_VERSION,
        emulator_version: env!("CARGO_PKG_VERSION"),
        saved_at_ms: clock.now_ms,
        clock,
        state,
    };
    serde_json::to_vec(&doc).map_err(|e| StateError::invalid("state", e.to_string()))
}

/// The state and clock in `bytes`; `origin` names the document in errors.
pub(crate) fn decode(bytes: &[u8], origin: &str) -> Result<(State, ClockDoc), StateError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| StateError::invalid(origin, format!("not JSON: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(StateError::invalid(
            origin,
            "not a dbx-mock-server state document (expected a JSON object)",
        ));
    };
    let version = match obj.get("format_version") {
        None => {
            return Err(StateError::invalid(
                origin,
                "not a dbx-mock-server state document (no format_version)",
            ))
        }
        Some(v) => v.as_u64().ok_or_else(|| {
            StateError::invalid(origin, format!("format_version {v} is not a number"))
        })?,
    };
    if version != u64::from(STATE_FORMAT_VERSION) {
        let hint = if version > u64::from(STATE_FORMAT_VERSION) {
            " (it was written by a newer dbx-mock-server: upgrade this one)"
        } else {
            " (it predates the first published state format: start from a fresh state)"
        };
        return Err(StateError::Version {
            origin: origin.to_owned(),
            found: version,
            supported: STATE_FORMAT_VERSION,
            emulator: env!("CARGO_PKG_VERSION"),
            hint,
        });
    }
    let doc: DocIn = serde_path_to_error::deserialize(value)
        .map_err(|e| StateError::invalid(origin, format!("at {}: {}", e.path(), e.inner())))?;
    Ok((doc.state, doc.clock))
}

/// `DIR/state.json`.
pub(crate) fn state_file(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE_NAME)
}

/// The state in `dir`, if it holds one (`None` for a missing or empty directory, which is
/// created). Temporary files a crash left behind are removed.
pub(crate) fn load_dir(dir: &Path) -> Result<Option<(State, ClockDoc)>, StateError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| StateError::Io { path, source }
    };
    fs::create_dir_all(dir).map_err(io(dir))?;
    for entry in fs::read_dir(dir).map_err(io(dir))?.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
    let file = state_file(dir);
    let bytes = match fs::read(&file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&file)(e)),
    };
    decode(&bytes, &file.display().to_string()).map(Some)
}

/// Write `bytes` to `dir/state.json` atomically: temporary file (mode 0600 on Unix), fsync,
/// rename, fsync of the directory. Returns the file written.
pub(crate) fn write_dir(dir: &Path, bytes: &[u8]) -> Result<PathBuf, StateError> {
    let file = state_file(dir);
    let tmp = dir.join(format!(
        "{TEMP_PREFIX}{}-{}",
        std::process::id(),
        hex::encode(rand::random::<[u8; 6]>())
    ));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| StateError::Io { path, source }
    };
    let written = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io(&tmp)(e));
    }
    if let Err(e) = fs::rename(&tmp, &file) {
        let _ = fs::remove_file(&tmp);
        return Err(io(&file)(e));
    }
    // The rename is durable once the directory is (Unix; elsewhere opening a directory fails).
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_garbage_are_refused_with_the_origin() {
        let e = decode(b"{\"format_version\": 99, \"state\": {}}", "x/state.json")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(concat!(
                "x/state.json: state format version 99 is not supported: this dbx-mock-server (",
                env!("CARGO_PKG_VERSION"),
                ") reads version 1 (it was written by a newer dbx-mock-server: upgrade this one)"
            ))
        );
        let e = decode(b"{\"a\":", "body").err().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|m| m.starts_with("body: not JSON: EOF while parsing")
                    && m.contains("line 1 column 5")),
            "{e:?}"
        );
        let e = decode(b"{}", "body").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("body: not a dbx-mock-server state document (no format_version)")
        );
    }

    #[test]
    fn a_state_round_trips() {
        let mut s = State::new("admin@example.com", "dapi-admin", 1_000);
        let u = s.add_user("u@example.com", None).expect("user");
        s.tokens
            .insert_pat("dapi-u", &u.id, 1_000, None, None, None);
        let clock = ClockDoc {
            now_ms: 5_000,
            frozen: true,
        };
        let bytes = encode(&s, clock).expect("encode");
        let (back, c) = decode(&bytes, "mem").expect("decode");
        assert_eq!((c.now_ms, c.frozen), (5_000, true));
        assert!(back.authenticate("dapi-u", 2_000).is_some());
        assert!(back.authenticate("dapi-admin", 2_000).is_some());
        assert!(back.workspace.get("/Users/u@example.com").is_some());
        // Encoding is deterministic for the same state (maps are ordered or re-encoded alike).
        let again = encode(&back, clock).expect("encode");
        let a: Value = serde_json::from_slice(&bytes).expect("json");
        let b: Value = serde_json::from_slice(&again).expect("json");
        assert_eq!(a, b);
    }
}
