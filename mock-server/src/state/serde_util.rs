//! Serde helpers for the state document (`persist.rs`): binary contents as base64 strings,
//! shared values, and the `&'static str` words some records keep (result states, event kinds).

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use parking_lot::Mutex;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A word of the emulator's vocabulary kept in a record (an alias, so that serde does not
/// take the field for a string borrowed from the input).
pub(crate) type Word = &'static str;

/// Longest word [`intern`] accepts.
const MAX_WORD: usize = 64;
/// Most distinct words [`intern`] keeps; the emulator's own vocabulary is a few dozen.
const MAX_WORDS: usize = 1024;

/// The `&'static str` equal to `word`. The records hold words from the emulator's fixed
/// vocabulary (`SUCCESS`, `JOB_RUN`, `RUNNING`, ...); a loaded document can add only a bounded
/// number of new ones (each kept once for the life of the process), and only API-like words.
pub(crate) fn intern(word: &str) -> Result<&'static str, String> {
    static WORDS: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut words = WORDS.get_or_init(Default::default).lock();
    if let Some(w) = words.get(word) {
        return Ok(w);
    }
    let ok = word.len() <= MAX_WORD
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if !ok {
        return Err(format!(
            "{word:?} is not a state word (letters, digits, '_', '-', '.'; at most {MAX_WORD})"
        ));
    }
    if words.len() >= MAX_WORDS {
        return Err(format!("too many distinct state words (at {word:?})"));
    }
    let leaked: &'static str = Box::leak(word.to_owned().into_boxed_str());
    words.insert(leaked);
    Ok(leaked)
}

/// `&'static str` fields.
pub(crate) mod static_str {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let s = String::deserialize(d)?;
        intern(&s).map_err(D::Error::custom)
    }
}

/// `Option<&'static str>` fields.
pub(crate) mod opt_static_str {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<&'static str>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<&'static str>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| intern(&s).map_err(D::Error::custom))
            .transpose()
    }
}

/// `Arc<T>` fields (serde's `rc` feature is not enabled in the workspace).
pub(crate) mod arc {
    use super::*;

    pub(crate) fn serialize<T: Serialize, S: Serializer>(
        v: &Arc<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        (**v).serialize(s)
    }

    pub(crate) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Arc<T>, D::Error> {
        T::deserialize(d).map(Arc::new)
    }
}

/// `bytes::Bytes` as a base64 string.
pub(crate) mod bytes_b64 {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &bytes::Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bytes::Bytes, D::Error> {
        let s = String::deserialize(d)?;
        STANDARD
            .decode(s.as_bytes())
            .map(bytes::Bytes::from)
            .map_err(|e| D::Error::custom(format!("invalid base64: {e}")))
    }
}

/// `Vec<u8>` as a base64 string.
pub(crate) mod vec_b64 {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        STANDARD
            .decode(s.as_bytes())
            .map_err(|e| D::Error::custom(format!("invalid base64: {e}")))
    }
}
