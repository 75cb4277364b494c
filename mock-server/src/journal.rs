//! The request journal: one entry per `/api` and `/oidc` request, for tests to inspect.
//!
//! Entries never hold bodies, headers, tokens or secrets: only the method, the path, the query
//! string (with the values of secret-looking keys replaced by `REDACTED`), the status, the caller
//! and the fault that fired. The journal keeps the last [`JOURNAL_CAPACITY`] entries.

use http::Method;
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

/// A ring of [`JOURNAL_CAPACITY`] slots: filled in order, then each new entry overwrites the
/// oldest one in place.
#[derive(Debug, Default)]
struct JournalInner {
    last_seq: u64,
    slots: Vec<Slot>,
    /// Once the ring is full: the index of the oldest slot, the next to overwrite.
    oldest: usize,
}

/// One entry as the journal keeps it: fixed fields, and the path, redacted query and caller
/// written one after the other into a single buffer that is reused when the slot is.
#[derive(Debug)]
struct Slot {
    seq: u64,
    time_ms: i64,
    fault_id: Option<u64>,
    method: Method,
    status: u16,
    /// `path`, then the query, then the caller.
    text: String,
    path_end: usize,
    /// Where the query ends in `text`, if there is one.
    query_end: Option<usize>,
    has_caller: bool,
}

impl Slot {
    fn entry(&self) -> JournalEntry {
        let text = self.text.as_str();
        let path = text.get(..self.path_end).unwrap_or_default();
        let query_end = self.query_end.unwrap_or(self.path_end);
        let query = self
            .query_end
            .map(|end| text.get(self.path_end..end).unwrap_or_default().to_owned());
        let caller = self
            .has_caller
            .then(|| text.get(query_end..).unwrap_or_default().to_owned());
        JournalEntry {
            seq: self.seq,
            time_ms: self.time_ms,
            method: self.method.as_str().to_owned(),
            path: path.to_owned(),
            query,
            status: self.status,
            caller,
            fault_id: self.fault_id,
        }
    }

    /// Rewrite the slot as `r` (sequence number `seq`), keeping its buffer.
    fn set(&mut self, seq: u64, r: &Record<'_>) {
        self.seq = seq;
        self.time_ms = r.time_ms;
        self.fault_id = r.fault_id;
        self.method.clone_from(r.method);
        self.status = r.status;
        self.text.clear();
        self.text.push_str(r.path);
        self.path_end = self.text.len();
        self.query_end = r.query.filter(|q| !q.is_empty()).map(|q| {
            redact_query_into(&mut self.text, q);
            self.text.len()
        });
        self.has_caller = r.caller.is_some();
        self.text.push_str(r.caller.unwrap_or_default());
    }
}

/// True for query keys whose values may be secrets.
fn is_secret_key(key: &str) -> bool {
    const SECRET: [&str; 5] = ["secret", "password", "value", "assertion", "code"];
    let key = key.as_bytes();
    let contains = |needle: &str| {
        key.windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    SECRET.iter().any(|s| contains(s))
        || key.len() >= 5 && key[key.len() - 5..].eq_ignore_ascii_case(b"token")
}

/// Write `query` into `out` with the values of secret-looking keys replaced by `REDACTED`.
fn redact_query_into(out: &mut String, query: &str) {
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((k, _)) if is_secret_key(k) => {
                out.push_str(k);
                out.push_str("=REDACTED");
            }
            _ => out.push_str(pair),
        }
    }
}

/// One request to record, borrowed from the request being answered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record<'a> {
    /// Emulator clock when the request arrived (epoch ms).
    pub time_ms: i64,
    pub method: &'a Method,
    /// Request path (no query).
    pub path: &'a str,
    /// Query string as received (redacted when recorded).
    pub query: Option<&'a str>,
    pub status: u16,
    pub caller: Option<&'a str>,
    pub fault_id: Option<u64>,
}

impl Journal {
    /// Append an entry (its `seq` is assigned here; the query is redacted here).
    ///
    /// Once the journal is full, the oldest slot is rewritten in place as the new entry, its
    /// buffer kept: recording a request allocates nothing and moves no entry in the steady
    /// state (this runs on every `/api` request, under a lock all requests share).
    pub(crate) fn record(&self, r: Record<'_>) {
        let mut j = self.inner.lock();
        j.last_seq += 1;
        let seq = j.last_seq;
        if j.slots.len() < JOURNAL_CAPACITY {
            let mut slot = Slot {
                seq,
                time_ms: 0,
                fault_id: None,
                method: Method::GET,
                status: 0,
                text: String::new(),
                path_end: 0,
                query_end: None,
                has_caller: false,
            };
            slot.set(seq, &r);
            j.slots.push(slot);
            return;
        }
        let oldest = j.oldest;
        j.oldest = (oldest + 1) % JOURNAL_CAPACITY;
        if let Some(slot) = j.slots.get_mut(oldest) {
            slot.set(seq, &r);
        }
    }

    /// Every kept entry, oldest first.
    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        let j = self.inner.lock();
        let (newer, older) = j.slots.split_at(j.oldest.min(j.slots.len()));
        older.iter().chain(newer).map(Slot::entry).collect()
    }

    /// Drop every entry (sequence numbers keep counting).
    pub(crate) fn clear(&self) {
        let mut j = self.inner.lock();
        j.slots.clear();
        j.oldest = 0;
    }

    /// Back to the initial state: empty, sequence from 1.
    pub(crate) fn reset(&self) {
        *self.inner.lock() = JournalInner::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(query: Option<&str>) -> Record<'_> {
        Record {
            time_ms: 0,
            method: &Method::GET,
            path: "/p",
            query,
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

    /// Entries rewritten in place once the journal is full carry nothing of the entry they
    /// replace (query and caller set and cleared in turn).
    #[test]
    fn recycled_entries_are_rewritten_whole() {
        let j = Journal::default();
        for i in 0..JOURNAL_CAPACITY * 2 + 3 {
            let path = format!("/p/{i}");
            let query = format!("n={i}");
            j.record(Record {
                time_ms: i as i64,
                method: if i.is_multiple_of(2) {
                    &Method::GET
                } else {
                    &Method::DELETE
                },
                path: &path,
                query: i.is_multiple_of(3).then_some(query.as_str()),
                status: 200 + (i % 7) as u16,
                caller: i.is_multiple_of(5).then_some("someone@example.com"),
                fault_id: i.is_multiple_of(11).then_some(i as u64),
            });
        }
        for e in j.entries() {
            let i = (e.seq - 1) as usize;
            assert_eq!(e.time_ms, i as i64);
            assert_eq!(e.method, if i.is_multiple_of(2) { "GET" } else { "DELETE" });
            assert_eq!(e.path, format!("/p/{i}"));
            assert_eq!(e.query, i.is_multiple_of(3).then(|| format!("n={i}")));
            assert_eq!(e.status, 200 + (i % 7) as u16);
            assert_eq!(
                e.caller.as_deref(),
                i.is_multiple_of(5).then_some("someone@example.com")
            );
            assert_eq!(e.fault_id, i.is_multiple_of(11).then_some(i as u64));
        }
    }

    #[test]
    fn secret_keys() {
        for k in [
            "token",
            "access_token",
            "X_TOKEN",
            "client_secret",
            "Password",
            "string_value",
            "code",
            "client_assertion",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["token_id", "scope", "path", "", "tok", "é_token_id"] {
            assert!(!is_secret_key(k), "{k}");
        }
    }
}
