//! Request parameters: the JSON body object merged with the query string, and typed getters.
//!
//! Databricks' legacy 2.0 endpoints read parameters from the query string or from a JSON body
//! (even on GET), so every handler sees one merged map; the query string wins when both carry a
//! key (our inference, docs/emulator.md). Query values are strings, so the numeric and boolean
//! getters also accept `"42"` and `"true"`/`"false"`. A JSON `null` counts as absent.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::error::ApiError;

/// The merged parameters of one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    map: Map<String, Value>,
    /// Keys whose values came from text (query string or multipart form fields): a repeated key
    /// holds an array of strings, of which the scalar getters read the last.
    textual: HashSet<String>,
    /// Field path prefix for error messages of nested objects (`"token."`).
    prefix: String,
}

/// Parse a request body as a JSON object; an empty (or all-whitespace) body is `{}`.
pub(crate) fn parse_json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::malformed(
            "Invalid JSON given in the body of the request - expected a map",
        )),
        Err(_) => Err(ApiError::malformed(
            "Invalid JSON given in the body of the request - failed to parse given JSON",
        )),
    }
}

impl Params {
    /// `body` merged with the text pairs `text` (query string and form fields); `text` wins.
    pub(crate) fn merge(body: Map<String, Value>, text: Vec<(String, String)>) -> Self {
        let mut params = Self {
            map: body,
            ..Self::default()
        };
        for (key, value) in text {
            if params.textual.insert(key.clone()) {
                params.map.insert(key, Value::String(value));
            } else if let Some(existing) = params.map.get_mut(&key) {
                match existing {
                    Value::Array(values) => values.push(Value::String(value)),
                    other => {
                        let first = other.take();
                        *other = Value::Array(vec![first, Value::String(value)]);
                    }
                }
            }
        }
        params
    }

    /// Parse a query string into pairs (lossy: invalid percent-encoding is kept as text).
    pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
        query
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .unwrap_or_default()
    }

    /// The merged map.
    pub(crate) fn map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// Top-level keys whose values came from text.
    pub(crate) fn textual(&self) -> &HashSet<String> {
        &self.textual
    }

    /// The field path prefix for error messages (`"token."` for a nested object).
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    fn field(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The raw value of `name` (`None` for absent or null).
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// The value of `name` for a scalar getter (last of a repeated text key).
    fn scalar(&self, name: &str) -> Option<&Value> {
        match self.value(name)? {
            Value::Array(values) if self.textual.contains(name) => values.last(),
            v => Some(v),
        }
    }

    fn required<T>(&self, name: &str, v: Result<Option<T>, ApiError>) -> Result<T, ApiError> {
        v?.ok_or_else(|| ApiError::missing_field(&self.field(name)))
    }

    /// An optional string.
    pub(crate) fn opt_str(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.scalar(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::wrong_type(&self.field(name), "string")),
        }
    }

    /// A required string.
    pub(crate) fn str(&self, name: &str) -> Result<&str, ApiError> {
        self.required(name, self.opt_str(name))
    }

    /// An optional int64: a JSON integer (or integral float) or a numeric string.
    pub(crate) fn opt_i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let wrong = || ApiError::wrong_type(&self.field(name), "int64");
        match self.scalar(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Ok(Some(i)),
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(Some(f as i64)),
                _ => Err(wrong()),
            },
            Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| wrong()),
            Some(_) => Err(wrong()),
        }
    }

    /// A required int64.
    pub(crate) fn i64(&self, name: &str) -> Result<i64, ApiError> {
        self.required(name, self.opt_i64(name))
    }

    /// An optional boolean: a JSON boolean or the string `true`/`false` (any case).
    pub(crate) fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.scalar(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::wrong_type(&self.field(name), "boolean")),
        }
    }

    /// A required boolean.
    #[allow(dead_code)] // for the endpoints of later API families
    pub(crate) fn bool(&self, name: &str) -> Result<bool, ApiError> {
        self.required(name, self.opt_bool(name))
    }

    /// An optional list of strings: a JSON array of strings, or one or more text values.
    pub(crate) fn opt_str_list(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let wrong = || ApiError::wrong_type(&self.field(name), "array of strings");
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) if self.textual.contains(name) => Ok(Some(vec![s.clone()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(wrong))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong()),
        }
    }

    /// An optional nested object, as parameters of its own (errors name `outer.inner`).
    pub(crate) fn opt_object(&self, name: &str) -> Result<Option<Params>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Params {
                map: map.clone(),
                textual: HashSet::new(),
                prefix: format!("{}.", self.field(name)),
            })),
            Some(_) => Err(ApiError::wrong_type(&self.field(name), "object")),
        }
    }

    /// True when `name` is present and not null.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.value(name).is_some()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(body: Value, query: &str) -> Params {
        let Value::Object(map) = body else {
            panic!("body must be an object")
        };
        Params::merge(map, Params::query_pairs(Some(query)))
    }

    #[test]
    fn query_wins_and_types_convert() {
        let p = params(
            json!({"a": "body", "n": 5, "b": true, "x": null}),
            "a=query&m=-7&t=TRUE",
        );
        assert_eq!(p.str("a").ok(), Some("query"));
        assert_eq!(p.i64("n").ok(), Some(5));
        assert_eq!(p.i64("m").ok(), Some(-7));
        assert_eq!(p.bool("b").ok(), Some(true));
        assert_eq!(p.bool("t").ok(), Some(true));
        assert_eq!(p.opt_str("x").ok(), Some(None));
        let e = p.str("x").expect_err("null is missing");
        assert_eq!(e.message(), Some("Missing required field: x"));
    }

    #[test]
    fn wrong_types_are_malformed() {
        let p = params(
            json!({"s": 1, "n": "abc", "f": 1.5, "l": [1], "o": 3}),
            "q=x",
        );
        for (err, field, ty) in [
            (p.str("s").err(), "s", "string"),
            (p.i64("n").err(), "n", "int64"),
            (p.i64("f").err(), "f", "int64"),
            (p.opt_str_list("l").err(), "l", "array of strings"),
            (p.opt_object("o").err(), "o", "object"),
            (p.bool("q").err(), "q", "boolean"),
        ] {
            let err = err.expect("an error");
            assert_eq!(err.error_code(), Some("MALFORMED_REQUEST"));
            assert_eq!(
                err.message().map(str::to_owned),
                Some(format!(
                    "Could not parse request object: Expected {ty} for field '{field}'"
                ))
            );
        }
    }

    #[test]
    fn repeated_query_keys_and_nested_objects() {
        let p = params(json!({"token": {"comment": 3}, "l": "body"}), "s=a&s=b");
        assert_eq!(p.str("s").ok(), Some("b"));
        assert_eq!(
            p.opt_str_list("s").ok().flatten(),
            Some(vec!["a".into(), "b".into()])
        );
        assert!(p.opt_str_list("l").is_err());
        let token = p.opt_object("token").ok().flatten().expect("object");
        let err = token.str("comment").expect_err("wrong type");
        assert_eq!(
            err.message(),
            Some("Could not parse request object: Expected string for field 'token.comment'")
        );
        assert_eq!(
            token
                .str("missing")
                .err()
                .and_then(|e| e.message().map(str::to_owned)),
            Some("Missing required field: token.missing".to_owned())
        );
    }

    #[test]
    fn body_parsing() {
        assert!(parse_json_object(b"").is_ok_and(|m| m.is_empty()));
        assert!(parse_json_object(b" \n").is_ok_and(|m| m.is_empty()));
        let e = parse_json_object(b"{").expect_err("invalid");
        assert!(e
            .message()
            .is_some_and(|m| m.ends_with("failed to parse given JSON")));
        let e = parse_json_object(b"[1]").expect_err("not a map");
        assert!(e.message().is_some_and(|m| m.ends_with("expected a map")));
    }
}
