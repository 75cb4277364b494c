//! Zip archives (DBC archives and directory exports), read defensively: entry names may not
//! leave the target folder, and decompression stops at fixed limits whatever the headers claim.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::error::{ApiError, ErrorCode};

/// Most entries read from one archive (our choice).
pub(crate) const MAX_ENTRIES: usize = 10_000;
/// Most bytes decompressed from one archive, all entries together (our choice).
pub(crate) const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;
/// Most bytes decompressed for one entry: the 10 MB notebook limit.
pub(crate) const MAX_ENTRY_BYTES: u64 = super::MAX_CONTENT_BYTES as u64;

/// One archive entry: its path segments and, for a file, its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub segments: Vec<String>,
    /// `None` for a folder entry.
    pub data: Option<Vec<u8>>,
}

/// The service's answer to content that is not a readable zip (observed).
pub(crate) fn not_a_zip() -> ApiError {
    ApiError::invalid_parameter("The zip file may not be valid or may be an unsupported version.")
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::MaxNotebookSizeExceeded,
        format!(
            "The archive exceeds the maximum size once decompressed ({MAX_UNPACKED_BYTES} bytes)"
        ),
    )
}

/// The path segments of an entry name, or `None` when the name could escape its folder
/// (absolute, `..`, `.`, empty segments, backslashes, drive letters, NUL).
fn safe_segments(name: &str) -> Option<Vec<String>> {
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    if trimmed.is_empty() || trimmed.starts_with('/') {
        return None;
    }
    let mut out = Vec::new();
    for seg in trimmed.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." || seg.contains(['\\', '\0', ':']) {
            return None;
        }
        out.push(seg.to_owned());
    }
    Some(out)
}

/// Read every entry of a zip archive. Unsafe names and over-limit content fail the whole archive.
pub(crate) fn read(bytes: &[u8]) -> Result<Vec<Entry>, ApiError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_a_zip())?;
    if zip.len() > MAX_ENTRIES {
        return Err(ApiError::invalid_parameter(format!(
            "The archive has too many entries ({}; at most {MAX_ENTRIES})",
            zip.len()
        )));
    }
    let mut entries = Vec::with_capacity(zip.len());
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let file = zip.by_index(i).map_err(|_| not_a_zip())?;
        let name = file.name().to_owned();
        let segments = safe_segments(&name).ok_or_else(|| {
            ApiError::invalid_parameter(format!("Invalid path in archive: {name:?}"))
        })?;
        if file.is_dir() {
            entries.push(Entry {
                segments,
                data: None,
            });
            continue;
        }
        // Never trust the declared size: read at most one byte past the limit.
        let budget = MAX_ENTRY_BYTES.min(MAX_UNPACKED_BYTES - total);
        let mut data = Vec::new();
        file.take(budget + 1)
            .read_to_end(&mut data)
            .map_err(|_| not_a_zip())?;
        if data.len() as u64 > budget {
            return Err(too_large());
        }
        total += data.len() as u64;
        entries.push(Entry {
            segments,
            data: Some(data),
        });
    }
    Ok(entries)
}

/// Write a zip archive (deflate, fixed timestamps so equal trees give equal bytes). Folder
/// entries end with `/`.
pub(crate) fn write(entries: &[(String, Option<Vec<u8>>)]) -> Result<Vec<u8>, ApiError> {
    let fail = |e: zip::result::ZipError| ApiError::internal(format!("cannot write archive: {e}"));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .large_file(false);
    // A zip entry name is at most 65 535 bytes (its length is a 16-bit field): the zip crate
    // panics on a longer one, and its writer panics again when dropped, aborting the process
    // (found by `examples/fuzz_million.rs`, regression test
    // `exporting_a_tree_with_a_huge_name_is_refused`). No such path can be exported.
    if let Some((name, _)) = entries
        .iter()
        .find(|(n, _)| n.len() > usize::from(u16::MAX))
    {
        let shown: String = name.chars().take(80).collect();
        return Err(ApiError::invalid_parameter(format!(
            "Cannot export {shown}...: a path in the archive is longer than 65535 bytes."
        )));
    }
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        match data {
            None => zip.add_directory(name.as_str(), options).map_err(fail)?,
            Some(data) => {
                zip.start_file(name.as_str(), options).map_err(fail)?;
                zip.write_all(data)
                    .map_err(|e| ApiError::internal(format!("cannot write archive: {e}")))?;
            }
        }
    }
    Ok(zip.finish().map_err(fail)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_round_trip() {
        let bytes = write(&[
            ("d/".into(), None),
            ("d/a.txt".into(), Some(b"hello".to_vec())),
        ])
        .expect("zip");
        let entries = read(&bytes).expect("read");
        assert_eq!(
            entries,
            vec![
                Entry {
                    segments: vec!["d".into()],
                    data: None
                },
                Entry {
                    segments: vec!["d".into(), "a.txt".into()],
                    data: Some(b"hello".to_vec())
                },
            ]
        );
        assert_eq!(
            write(&[("x".into(), Some(vec![1]))]).ok(),
            write(&[("x".into(), Some(vec![1]))]).ok()
        );
    }

    #[test]
    fn traversal_and_garbage_are_refused() {
        for name in ["../evil", "/abs", "a/../b", "a\\b", "C:x", "a//b", "./a"] {
            let bytes = write(&[(name.into(), Some(b"x".to_vec()))]).expect("zip");
            let e = read(&bytes).expect_err(name);
            assert_eq!(e.error_code(), Some("INVALID_PARAMETER_VALUE"), "{name}");
        }
        let e = read(b"not a zip").expect_err("garbage");
        assert_eq!(
            e.message(),
            Some("The zip file may not be valid or may be an unsupported version.")
        );
    }

    #[test]
    fn a_zip_bomb_stops_at_the_limit() {
        // 11 MB of zeros deflate to a few kilobytes.
        let bytes = write(&[("bomb".into(), Some(vec![0u8; 11 * 1024 * 1024]))]).expect("zip");
        assert!(bytes.len() < 100_000);
        let e = read(&bytes).expect_err("bomb");
        assert_eq!(e.error_code(), Some("MAX_NOTEBOOK_SIZE_EXCEEDED"));
    }
}
