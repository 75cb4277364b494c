//! A `multipart/form-data` body for `dbfs/put` (RFC 7578), built by hand: three parts, no
//! streaming, so a dependency would buy nothing.

/// A complete multipart body and its `Content-Type` (with the boundary).
pub(crate) struct MultipartBody {
    pub(crate) bytes: Vec<u8>,
    pub(crate) content_type: String,
}

/// The form the DBFS `put` endpoint takes: text fields `path` and `overwrite`, and the file as a
/// part named `contents` (the name the API documents; `curl -F contents=@file`).
pub(crate) fn put_form(path: &str, overwrite: bool, file_name: &str, data: &[u8]) -> MultipartBody {
    let boundary = format!("dbx-rs-{:032x}", rand::random::<u128>());
    let mut bytes = Vec::with_capacity(data.len() + 512);
    let mut text_part = |name: &str, value: &str| {
        bytes.extend_from_slice(b"--");
        bytes.extend_from_slice(boundary.as_bytes());
        bytes.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(b"\"\r\n\r\n");
        bytes.extend_from_slice(value.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    };
    text_part("path", path);
    text_part("overwrite", if overwrite { "true" } else { "false" });
    bytes.extend_from_slice(b"--");
    bytes.extend_from_slice(boundary.as_bytes());
    bytes.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"contents\"; filename=\"");
    bytes.extend_from_slice(quote_file_name(file_name).as_bytes());
    bytes.extend_from_slice(b"\"\r\nContent-Type: application/octet-stream\r\n\r\n");
    bytes.extend_from_slice(data);
    bytes.extend_from_slice(b"\r\n--");
    bytes.extend_from_slice(boundary.as_bytes());
    bytes.extend_from_slice(b"--\r\n");
    MultipartBody {
        bytes,
        content_type: format!("multipart/form-data; boundary={boundary}"),
    }
}

/// Percent-escape the three characters that would break a quoted `filename` (as browsers do).
fn quote_file_name(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_three_parts_with_a_fresh_boundary() {
        let a = put_form("/x/y.bin", true, "y\".bin", b"\x00\xffdata");
        let b = put_form("/x/y.bin", true, "y.bin", b"");
        assert_ne!(a.content_type, b.content_type);
        let boundary = a
            .content_type
            .strip_prefix("multipart/form-data; boundary=")
            .expect("boundary");
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/x/y.bin\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"overwrite\"\r\n\r\ntrue\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"contents\"; filename=\"y%22.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        );
        let mut want = expected.into_bytes();
        want.extend_from_slice(b"\x00\xffdata");
        want.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        assert_eq!(a.bytes, want);
    }
}
