//! A minimal `multipart/form-data` encoder (RFC 7578) for the import endpoint: text fields and
//! one file part.

/// Encode `fields` and one file part named `file_field`; returns the body and its
/// `Content-Type` (with the boundary). The boundary is chosen so it occurs nowhere in the
/// payload.
pub(crate) fn encode(
    fields: &[(&str, String)],
    file_field: &str,
    filename: &str,
    data: &[u8],
) -> (Vec<u8>, String) {
    let boundary = pick_boundary(fields, data);
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

/// A parameter value safe inside double quotes: quotes, backslashes and line breaks become `_`.
fn quote(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' | '\\' | '\r' | '\n' => '_',
            c => c,
        })
        .collect()
}

fn pick_boundary(fields: &[(&str, String)], data: &[u8]) -> String {
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let mut n: u64 = 0;
    loop {
        let b = format!("dbx-rs-boundary-{n:08x}");
        let clash = contains(data, b.as_bytes())
            || fields.iter().any(|(k, v)| {
                contains(k.as_bytes(), b.as_bytes()) || contains(v.as_bytes(), b.as_bytes())
            });
        if !clash {
            return b;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boundary_avoids_the_payload() {
        let data = b"--dbx-rs-boundary-00000000 and --dbx-rs-boundary-00000001";
        let (body, ct) = encode(&[("path", "/a".into())], "content", "a\"b", data);
        assert_eq!(ct, "multipart/form-data; boundary=dbx-rs-boundary-00000002");
        let text = String::from_utf8(body).expect("utf8");
        assert!(text.contains("filename=\"a_b\""));
        assert!(text.ends_with("\r\n--dbx-rs-boundary-00000002--\r\n"));
    }
}
