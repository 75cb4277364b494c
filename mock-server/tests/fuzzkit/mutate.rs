//! Request mutations: wrong types, nulls, missing and unknown fields, huge, empty, unicode and
//! control-character strings, deep nesting, huge numbers, duplicate keys, broken JSON and
//! multipart, every content type, wrong methods, odd paths, JSON bodies on GET.

use bytes::Bytes;
use http::Method;
use serde_json::{json, Map, Value};

use super::{query_string, Enc, Env, RawRequest, Rng, Sample};

/// Marker replaced by raw JSON text after serialization (numbers serde_json cannot hold).
const RAW: &str = "\u{1}RAW\u{1}";

/// Every kind of mutation, by name.
pub const KINDS: [&str; 20] = [
    "valid",
    "drop-field",
    "null-field",
    "wrong-type",
    "huge-string",
    "empty-string",
    "odd-string",
    "deep-nesting",
    "huge-number",
    "unknown-field",
    "duplicate-key",
    "broken-json",
    "content-type",
    "multipart",
    "wrong-method",
    "odd-path",
    "swap-encoding",
    "odd-query",
    "bad-auth",
    "stacked",
];

const ODD_STRINGS: [&str; 16] = [
    "",
    " ",
    "\u{0}",
    "a\u{0}b",
    "\r\n\t",
    "\u{202e}gnp.exe",
    "😀🚀",
    "e\u{301}",
    "\u{feff}x",
    "../../etc/passwd",
    "/",
    "//a//b/",
    "%2F%00%ff",
    "dbfs:/x",
    "\\x\\y",
    "'; DROP TABLE x; --",
];

const RAW_NUMBERS: [&str; 12] = [
    "1e308",
    "-1e308",
    "1e400",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551616",
    "123456789012345678901234567890",
    "-0",
    "0.5",
    "-1",
    "4294967296",
];

const CONTENT_TYPES: [&str; 14] = [
    "application/json",
    "application/json; charset=utf-8",
    "application/scim+json",
    "text/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/xml",
    "application/octet-stream",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=XYZ",
    "multipart/mixed; boundary=XYZ",
    "*/*",
    "garbage",
];

const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PURGE",
];

/// How large "huge" strings are.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub huge_string: usize,
    pub deep: usize,
}

impl Default for Sizes {
    fn default() -> Self {
        Self {
            huge_string: 64 * 1024,
            deep: 3000,
        }
    }
}

/// A mutated request and whether it still reaches the sample's route (same method and path,
/// a valid credential), so its errors must have the route's shape.
pub struct Mutated {
    pub kind: &'static str,
    pub req: RawRequest,
    pub routed: bool,
}

fn random_value(rng: &mut Rng, sizes: Sizes) -> Value {
    match rng.below(12) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(0),
        3 => json!(-1),
        4 => json!(1.5),
        5 => json!("x"),
        6 => json!([]),
        7 => json!({}),
        8 => json!([1, "a", null, {"b": []}]),
        9 => json!({"a": {"b": [1]}}),
        10 => json!(*rng.pick(&ODD_STRINGS)),
        _ => json!("y".repeat(rng.below(sizes.huge_string / 16 + 1))),
    }
}

fn deep(rng: &mut Rng, depth: usize) -> String {
    let (open, close) = if rng.chance(50) {
        ("[", "]")
    } else {
        ("{\"a\":", "}")
    };
    format!("{}1{}", open.repeat(depth), close.repeat(depth))
}

fn pick_key(rng: &mut Rng, params: &Map<String, Value>) -> Option<String> {
    if params.is_empty() {
        return None;
    }
    let keys: Vec<&String> = params.keys().collect();
    Some((*rng.pick(&keys)).clone())
}

/// A field to change: one of the sample's, or a new one.
fn target_key(rng: &mut Rng, params: &Map<String, Value>) -> String {
    pick_key(rng, params)
        .filter(|_| rng.chance(85))
        .unwrap_or_else(|| "fuzz_field".to_owned())
}

/// The body or query text of `params` under `enc`, with raw JSON substituted.
fn render(sample: &Sample, params: &Map<String, Value>, raw: &str) -> (String, Bytes) {
    match sample.enc {
        Enc::Query => {
            let q = query_string(params).replace(&urlencode(RAW), &urlencode(raw));
            let target = if q.is_empty() {
                sample.path.clone()
            } else {
                format!("{}?{q}", sample.path)
            };
            (target, Bytes::new())
        }
        Enc::Json => {
            let text = Value::Object(params.clone())
                .to_string()
                .replace(&format!("\"{}\"", json_escape(RAW)), raw);
            (sample.path.clone(), Bytes::from(text))
        }
        Enc::Form => (
            sample.path.clone(),
            Bytes::from(query_string(params).replace(&urlencode(RAW), &urlencode(raw))),
        ),
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("k", s)])
        .map(|s| s.trim_start_matches("k=").to_owned())
        .unwrap_or_default()
}

fn json_escape(s: &str) -> String {
    let quoted = Value::String(s.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

fn multipart(rng: &mut Rng, params: &Map<String, Value>, broken: bool) -> (String, Bytes) {
    let boundary = "fuzzBoundary7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (k, v) in params {
        let v = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        body.push_str(&format!("--{boundary}\r\n"));
        if rng.chance(20) {
            body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{k}\"; filename=\"f.bin\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n{v}\r\n"
            ));
        } else {
            body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let ct = format!("multipart/form-data; boundary={boundary}");
    if !broken {
        return (ct, Bytes::from(body));
    }
    let body = match rng.below(5) {
        0 => body[..rng.below(body.len())].to_owned(),
        1 => body.replace("Content-Disposition: form-data; ", "X-Nothing: "),
        2 => format!("--{boundary}\r\n\r\nno headers\r\n"),
        3 => body.replace(&format!("--{boundary}--"), ""),
        _ => format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\nv\r\n--{boundary}--\r\n",
            "n".repeat(20_000)
        ),
    };
    (ct, Bytes::from(body))
}

/// One mutation of `sample`, sent with `token`.
pub fn mutate(rng: &mut Rng, sample: &Sample, token: &str, sizes: Sizes) -> Mutated {
    let kind = *rng.pick(&KINDS);
    mutate_as(rng, kind, sample, token, sizes)
}

/// The mutation `kind` of `sample`.
pub fn mutate_as(
    rng: &mut Rng,
    kind: &'static str,
    sample: &Sample,
    token: &str,
    sizes: Sizes,
) -> Mutated {
    let mut params = sample.params.clone();
    let mut req = Env::build(sample, &super::Cred::Bearer(token.to_owned()));
    let mut routed = true;
    let set_ct = |req: &mut RawRequest, ct: &str| {
        req.headers.retain(|(n, _)| n != "content-type");
        req.headers
            .push(("content-type".into(), ct.as_bytes().to_vec()));
    };
    let rerender = |req: &mut RawRequest, params: &Map<String, Value>, raw: &str| {
        let (target, body) = render(sample, params, raw);
        req.target = target;
        req.body = body;
    };
    match kind {
        "valid" => {}
        "drop-field" => {
            if let Some(k) = pick_key(rng, &params) {
                params.remove(&k);
            }
            rerender(&mut req, &params, "");
        }
        "null-field" => {
            params.insert(target_key(rng, &params), Value::Null);
            rerender(&mut req, &params, "");
        }
        "wrong-type" | "unknown-field" => {
            let key = if kind == "unknown-field" {
                format!("unknown_{}", rng.below(1000))
            } else {
                target_key(rng, &params)
            };
            params.insert(key, random_value(rng, sizes));
            rerender(&mut req, &params, "");
        }
        "huge-string" => {
            let n = sizes.huge_string / 2 + rng.below(sizes.huge_string);
            params.insert(target_key(rng, &params), json!("é".repeat(n / 2)));
            rerender(&mut req, &params, "");
        }
        "empty-string" => {
            params.insert(target_key(rng, &params), json!(""));
            rerender(&mut req, &params, "");
        }
        "odd-string" => {
            params.insert(target_key(rng, &params), json!(*rng.pick(&ODD_STRINGS)));
            rerender(&mut req, &params, "");
        }
        "deep-nesting" => {
            let depth = 1 + rng.below(sizes.deep);
            let raw = deep(rng, depth);
            params.insert(target_key(rng, &params), json!(RAW));
            rerender(&mut req, &params, &raw);
        }
        "huge-number" => {
            let raw = (*rng.pick(&RAW_NUMBERS)).to_owned();
            params.insert(target_key(rng, &params), json!(RAW));
            rerender(&mut req, &params, &raw);
        }
        "duplicate-key" => {
            let key = target_key(rng, &params);
            let dup = random_value(rng, sizes);
            rerender(&mut req, &params, "");
            if sample.enc == Enc::Json {
                let text = String::from_utf8_lossy(&req.body).into_owned();
                let text = text.replacen('{', &format!("{{{}:{dup},", Value::String(key)), 1);
                req.body = Bytes::from(text);
            } else {
                let extra = query_string(&Map::from_iter([(key, dup)]));
                if req.target.contains('?') {
                    req.target = format!("{}&{extra}", req.target);
                } else if sample.enc == Enc::Query {
                    req.target = format!("{}?{extra}", req.target);
                } else {
                    req.body =
                        Bytes::from(format!("{}&{extra}", String::from_utf8_lossy(&req.body)));
                }
            }
        }
        "broken-json" => {
            let text = Value::Object(params.clone()).to_string();
            let body: Vec<u8> = match rng.below(8) {
                0 => text.as_bytes()[..rng.below(text.len())].to_vec(),
                1 => format!("{text}garbage").into_bytes(),
                2 => b"[]".to_vec(),
                3 => b"\"just a string\"".to_vec(),
                4 => b"null".to_vec(),
                5 => vec![0xff, 0xfe, b'{', 0x80],
                6 => b"{\"a\":1,}".to_vec(),
                _ => b"   ".to_vec(),
            };
            req.body = Bytes::from(body);
            if !req.headers.iter().any(|(n, _)| n == "content-type") {
                set_ct(&mut req, "application/json");
            }
        }
        "content-type" => {
            let ct = *rng.pick(&CONTENT_TYPES);
            if req.body.is_empty() {
                req.body = Bytes::from(Value::Object(params.clone()).to_string());
            }
            set_ct(&mut req, ct);
        }
        "multipart" => {
            let broken = rng.chance(50);
            let (ct, body) = multipart(rng, &params, broken);
            if sample.enc == Enc::Query {
                req.target = sample.path.clone();
            }
            req.body = body;
            set_ct(&mut req, &ct);
        }
        "wrong-method" => {
            let m = *rng.pick(&METHODS);
            req.method = Method::from_bytes(m.as_bytes()).unwrap_or(Method::GET);
            routed = req.method == sample.method;
        }
        "odd-path" => {
            routed = false;
            let (path, query) = match req.target.split_once('?') {
                Some((p, q)) => (p.to_owned(), format!("?{q}")),
                None => (req.target.clone(), String::new()),
            };
            let last = path.rsplit('/').next().unwrap_or("").to_owned();
            let odd = match rng.below(12) {
                0 => format!("{path}/"),
                1 => path.replacen('/', "//", 2),
                2 => path.to_uppercase(),
                3 => path
                    .replace("/api/2.0/", "/api/9.9/")
                    .replace("/api/2.1/", "/api/2.3/"),
                4 => format!("{path}/%2e%2e/%2e%2e"),
                5 => path.replacen(&last, "%FF%00%2F", 1),
                6 => format!("{path}/{}", "x".repeat(5000)),
                7 => path.replacen(&last, "%E2%80%AE%F0%9F%98%80", 1),
                8 => "/api".to_owned(),
                9 => "/api/2.0".to_owned(),
                10 => path.replacen(&last, &format!("{last}%20"), 1),
                _ => format!("{path}/../{last}"),
            };
            req.target = format!("{odd}{query}");
        }
        "swap-encoding" => {
            // JSON bodies on GET (and DELETE); query strings on POST.
            if sample.enc == Enc::Query {
                req.target = sample.path.clone();
                req.body = Bytes::from(Value::Object(params.clone()).to_string());
                if rng.chance(50) {
                    set_ct(&mut req, "application/json");
                }
            } else {
                req.target = format!("{}?{}", sample.path, query_string(&params));
                req.body = Bytes::new();
            }
        }
        "odd-query" => {
            let extra = match rng.below(6) {
                0 => "%ZZ=%",
                1 => "a=1&a=2&a=3",
                2 => "=&&==",
                3 => "x=%00%ff",
                4 => "path=/&path=//",
                _ => "limit=-1&offset=99999999999999999999",
            };
            req.target = if req.target.contains('?') {
                format!("{}&{extra}", req.target)
            } else {
                format!("{}?{extra}", req.target)
            };
        }
        "bad-auth" => {
            routed = false;
            req.headers.retain(|(n, _)| n != "authorization");
            let v: &[u8] = match rng.below(6) {
                0 => b"Bearer",
                1 => b"Basic YWRtaW46YWRtaW4=",
                2 => b"Bearer dapi-unknown",
                3 => b"bearer \xe2\x82\xac",
                4 => b"Bearer a b c",
                _ => b"",
            };
            if !v.is_empty() {
                req.headers.push(("authorization".into(), v.to_vec()));
            }
        }
        _ => {
            // "stacked": several of the above at once.
            let first = *rng.pick(&KINDS[1..14]);
            let mut m = mutate_as(rng, first, sample, token, sizes);
            let second = *rng.pick(&KINDS[12..18]);
            let again = mutate_as(rng, second, sample, token, sizes);
            if second == "wrong-method" || second == "odd-path" {
                m.req.method = again.req.method;
                m.routed = false;
            }
            if let Some(ct) = again.req.headers.iter().find(|(n, _)| n == "content-type") {
                let ct = ct.clone();
                m.req.headers.retain(|(n, _)| n != "content-type");
                m.req.headers.push(ct);
            }
            return Mutated {
                kind: "stacked",
                ..m
            };
        }
    }
    Mutated { kind, req, routed }
}
