//! DBFS path normalisation.

use dbx_core::{Error, Result};

/// Normalise a DBFS path to the absolute form the API expects on the wire.
///
/// Accepts `/x/y` and `dbfs:/x/y` (also `dbfs:///x/y`), collapses repeated slashes and drops a
/// trailing slash, so `dbfs:/tmp//a/` becomes `/tmp/a`. The root is `/`. A relative path (`x`,
/// `dbfs:x`) is refused with [`Error::InvalidRequest`]: the API only takes absolute paths.
///
/// ```
/// use dbx_dbfs::normalize_path;
/// assert_eq!(normalize_path("dbfs:/tmp//a/").unwrap(), "/tmp/a");
/// assert_eq!(normalize_path("/").unwrap(), "/");
/// assert!(normalize_path("tmp/a").is_err());
/// ```
pub fn normalize_path(path: &str) -> Result<String> {
    let rest = path.strip_prefix("dbfs:").unwrap_or(path);
    if !rest.starts_with('/') {
        return Err(Error::InvalidRequest(format!(
            "DBFS path {path:?} is not absolute: write /x or dbfs:/x"
        )));
    }
    let mut out = String::with_capacity(rest.len());
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// The last segment of a normalised path (`/a/b.txt` → `b.txt`; `/` → `file`).
pub(crate) fn file_name(path: &str) -> &str {
    match path.rsplit('/').next() {
        Some(name) if !name.is_empty() => name,
        _ => "file",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_both_spellings_and_normalises() {
        for (input, want) in [
            ("/x", "/x"),
            ("dbfs:/x", "/x"),
            ("dbfs:///x//y/", "/x/y"),
            ("dbfs:/", "/"),
            ("//", "/"),
            ("/a b/ü.txt", "/a b/ü.txt"),
        ] {
            assert_eq!(normalize_path(input).expect(input), want, "{input}");
        }
        for bad in ["", "x", "dbfs:x", "dbfs:", "./x"] {
            let err = normalize_path(bad).expect_err(bad);
            assert!(matches!(err, Error::InvalidRequest(_)), "{bad}: {err}");
        }
        assert_eq!(file_name("/a/b.txt"), "b.txt");
        assert_eq!(file_name("/"), "file");
    }
}
