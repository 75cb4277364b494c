//! Writing JSON text: every answer goes through [`to_json_bytes`] (serde_json's compact writer
//! into a per-thread scratch buffer), and the few answers on the hot path write their text by
//! hand with [`write_str`] and [`write_i64`], producing the same bytes serde_json would.
//!
//! Why by hand: serde_json escapes strings one byte at a time through a table and writes every
//! key through the same path, in five or six small writes per key. For `token/list` (the call
//! SDKs and tools make to check a token) that was a tenth of the emulator's instructions per
//! request (docs/architecture.md, "Performance").

use bytes::Bytes;

/// The largest scratch buffer a thread keeps between answers.
const KEEP: usize = 64 * 1024;

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Run `write` on an empty buffer and return what it wrote, in a buffer of exactly its size.
///
/// The text is written into a per-thread scratch buffer and then copied once into its own
/// allocation: writing into a fresh `Vec` and converting that to `Bytes` costs two allocations
/// (the vector, then the shared header `Bytes` adds to a vector with spare capacity), and this
/// runs for nearly every answer. A scratch buffer grown past 64 KiB by a large answer is not
/// kept. A re-entrant call (a `Serialize` impl that writes JSON itself) gets a buffer of its own.
pub(crate) fn with_scratch<E>(
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<Bytes, E> {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            let written = write(&mut buf).map(|()| Bytes::copy_from_slice(&buf));
            if buf.capacity() > KEEP {
                *buf = Vec::new();
            }
            written
        }
        Err(_) => {
            let mut buf = Vec::new();
            write(&mut buf).map(|()| Bytes::from(buf))
        }
    })
}

/// The compact JSON text of `value` (as `serde_json::to_vec`), in a buffer of exactly its size.
pub(crate) fn to_json_bytes<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<Bytes, serde_json::Error> {
    with_scratch(|buf| serde_json::to_writer(buf, value))
}

/// Whether `byte` must be escaped in a JSON string (serde_json escapes exactly these: the
/// control characters, `"` and `\`; not DEL, `/` or anything above ASCII).
fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Append `s` as a JSON string, quoted and escaped exactly as serde_json writes it.
///
/// The string is first checked whole with no early exit and no branch (which the compiler
/// turns into vector compares); a string with nothing to escape, nearly all of them, is then
/// copied in one piece.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let dirty = bytes.iter().fold(0u8, |acc, &b| {
        acc | u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\')
    });
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if dirty == 0 {
        out.extend_from_slice(bytes);
    } else {
        write_escaped(out, bytes);
    }
    out.push(b'"');
}

/// The contents of a JSON string with escapes, as serde_json's `format_escaped_str_contents`.
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Append `n` as a JSON number.
pub(crate) fn write_i64(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string, whatever it holds and wherever, is written as serde_json writes it.
    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut cases: Vec<String> = vec![
            String::new(),
            "plain".into(),
            "dbx-mock-server admin token".into(),
            "a\"quote".into(),
            "back\\slash".into(),
            "/slash and \u{7f} del".into(),
            "tab\tnew\nline\rcr\u{8}bs\u{c}ff".into(),
            "nul\u{0}and\u{1f}unit".into(),
            "caf\u{e9} \u{1F600} \u{2028}".into(),
            "x".repeat(15),
            "x".repeat(16),
            "x".repeat(17),
            format!("{}\"", "y".repeat(16)),
            format!("{}\n{}", "z".repeat(31), "z".repeat(5)),
        ];
        // Every ASCII byte at every position of a 40-byte string (across chunk boundaries).
        for b in 0u8..0x80 {
            for at in [0, 7, 15, 16, 31, 32, 39] {
                let mut s = vec![b'a'; 40];
                s[at] = b;
                cases.push(String::from_utf8(s).expect("ASCII"));
            }
        }
        for s in &cases {
            let mut out = Vec::new();
            write_str(&mut out, s);
            let expected = serde_json::to_vec(s).expect("serde_json");
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&expected),
                "{s:?}"
            );
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        for n in [
            0,
            -1,
            1,
            42,
            -1_000_000,
            1_796_199_427_405,
            i64::MIN,
            i64::MAX,
        ] {
            let mut out = Vec::new();
            write_i64(&mut out, n);
            assert_eq!(out, serde_json::to_vec(&n).expect("serde_json"), "{n}");
        }
    }

    /// A writer that writes JSON itself (re-entrant) still gets the right text.
    #[test]
    fn scratch_writers_may_nest() {
        let outer = with_scratch(|buf| {
            let inner = to_json_bytes(&vec!["in"]).map_err(|e| e.to_string())?;
            buf.extend_from_slice(b"[");
            buf.extend_from_slice(&inner);
            buf.extend_from_slice(b"]");
            Ok::<(), String>(())
        });
        assert_eq!(outer.as_deref().ok(), Some(&b"[[\"in\"]]"[..]));
    }
}
