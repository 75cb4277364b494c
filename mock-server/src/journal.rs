//! The request journal: one entry per `/api` and `/oidc` request, for tests to inspect.
//!
//! Entries never hold bodies, headers, tokens or secrets: only the method, the path, the query
//! string (with the values of secret-looking keys replaced by `REDACTED`), the status, the caller
//! and the fault that fired. The journal keeps the last [`JOURNAL_CAPACITY`] entries.

use std::collections::VecDeque;

use parking_lot::Mutex;
use serde::Serialize;

/// How many entries the journal keeps.
pub const JOURNAL_CAPACITY: usize = 10_000;

/// One handled request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// Emulator clock when the request arrived (epoch ms).
    pub time_ms: i64,
    /// HTTP method.
    pub method: String,
    /// Request path (no query).
    pub path: String,
    /// Query string, if any, with secret-looking values redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Response status.
    pub status: u16,
    /// The authenticated caller: user name or service principal application id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// Id of the fault that fired on this request, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault_id: Option<u64>,
}

#[derive(Debug, Default)]
pub(crate) struct Journal {
    inner: Mutex<JournalInner>,
}

#[derive(Debug, Default)]
struct JournalInner {
    last_seq: u64,
    entries: VecDeque<JournalEntry>,
}

/// True for query keys whose values may be secrets.
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "password", "value", "assertion", "code"]
        .iter()
        .any(|s| k.contains(s))
        || k.ends_with("token")
}

/// The query string with the values of secret-looking keys replaced by `REDACTED`.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_key(k) => format!("{k}=REDACTED"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Journal {
    /// Append an entry (its `seq` is assigned here; `query` is redacted here).
    pub(crate) fn record(&self, mut entry: JournalEntry) {
        entry.query = entry
            .query
            .filter(|q| !q.is_empty())
            .map(|q| redact_query(&q));
        let mut j = self.inner.lock();
        j.last_seq += 1;
        entry.seq = j.last_seq;
        if j.entries.len() >= JOURNAL_CAPACITY {
            j.entries.pop_front();
        }
        j.entries.push_back(entry);
    }

    /// Every kept entry, oldest first.
    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        self.inner.lock().entries.iter().cloned().collect()
    }

    /// Drop every entry (sequence numbers keep counting).
    pub(crate) fn clear(&self) {
        self.inner.lock().entries.clear();
    }

    /// Back to the initial state: empty, sequence from 1.
    pub(crate) fn reset(&self) {
        *self.inner.lock() = JournalInner::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(query: Option<&str>) -> JournalEntry {
        JournalEntry {
            seq: 0,
            time_ms: 0,
            method: "GET".into(),
            path: "/p".into(),
            query: query.map(str::to_owned),
            status: 200,
            caller: None,
            fault_id: None,
        }
    }

    #[test]
    fn bounded_and_sequenced() {
        let j = Journal::default();
        for _ in 0..JOURNAL_CAPACITY + 5 {
            j.record(entry(None));
        }
        let e = j.entries();
        assert_eq!(e.len(), JOURNAL_CAPACITY);
        assert_eq!(e[0].seq, 6);
        assert_eq!(e[JOURNAL_CAPACITY - 1].seq, (JOURNAL_CAPACITY + 5) as u64);
        j.clear();
        j.record(entry(Some("")));
        assert_eq!(j.entries()[0].seq, (JOURNAL_CAPACITY + 6) as u64);
        assert_eq!(j.entries()[0].query, None);
    }

    #[test]
    fn secret_values_are_redacted() {
        let j = Journal::default();
        j.record(entry(Some(
            "token_id=abc&access_token=t1&client_secret=s&string_value=v&scope=x&flag",
        )));
        assert_eq!(
            j.entries()[0].query.as_deref(),
            Some("token_id=abc&access_token=REDACTED&client_secret=REDACTED&string_value=REDACTED&scope=x&flag")
        );
    }
}
