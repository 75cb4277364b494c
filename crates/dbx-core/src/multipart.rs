//! `multipart/form-data` request bodies (RFC 7578) for the endpoints that take uploads
//! (`dbfs/put`, `workspace/import`): text fields and one file part.
//!
//! ```
//! let (body, content_type) =
//!     dbx_core::multipart::encode(&[("path", "/tmp/a.txt"), ("overwrite", "true")], "contents", "a.txt", b"hello");
//! assert!(content_type.starts_with("multipart/form-data; boundary=dbx-rs-"));
//! assert!(body.ends_with(b"--\r\n"));
//! ```

/// Encode `fields` as text parts and `data` as a file part named `file_field` with `filename`.
/// Returns the body and its `Content-Type` (with the boundary: 128 random bits, so it cannot
/// plausibly occur in the payload and the payload need not be scanned).
pub fn encode(
    fields: &[(&str, &str)],
    file_field: &str,
    filename: &str,
    data: &[u8],
) -> (Vec<u8>, String) {
    let boundary = format!("dbx-rs-{:032x}", fastrand::u128(..));
    let mut body = Vec::with_capacity(data.len() + 256 + fields.len() * 96);
    for (name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                quote(name)
            )
            .as_bytes(),
        );
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(
        format!(
            "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n",
            quote(file_field),
            quote(filename)
        )
        .as_bytes(),
    );
    body.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n");
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

/// A name safe inside double quotes, escaped as browsers do (WHATWG): `"` → `%22`, CR → `%0D`,
/// LF → `%0A`.
fn quote(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_then_the_file_with_a_fresh_boundary() {
        let (a, ct_a) = encode(
            &[("path", "/x/y.bin"), ("overwrite", "true")],
            "contents",
            "y\".bin",
            b"\x00\xffdata",
        );
        let (_, ct_b) = encode(&[], "contents", "y.bin", b"");
        assert_ne!(ct_a, ct_b);
        let boundary = ct_a
            .strip_prefix("multipart/form-data; boundary=")
            .expect("boundary");
        let mut want = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/x/y.bin\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"overwrite\"\r\n\r\ntrue\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"contents\"; filename=\"y%22.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        want.extend_from_slice(b"\x00\xffdata");
        want.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        assert_eq!(a, want);
    }
}
