//! Typed request decoding: `ctx.decode::<T>()` turns the merged request parameters into a serde
//! struct, with the leniencies real Databricks clients rely on, and Databricks-style errors that
//! name the field path.
//!
//! Leniencies (the same as [`Params`]' getters):
//! - numbers given as strings (`"42"`, as the query string and forms always send them, and as
//!   proto3 JSON allows for 64-bit integers in bodies);
//! - booleans given as `"true"`/`"false"` in any case;
//! - `null` is the same as absent (an `Option` field decodes to `None`);
//! - a single query-string or form value where a list is expected is a list of one.
//!
//! Errors: a missing required field is `400 INVALID_PARAMETER_VALUE` "Missing required field:
//! `path`"; a value of the wrong JSON type is `400 MALFORMED_REQUEST` "Could not parse request
//! object: Expected `type` for field '`path`'" (the real service answers type mismatches with
//! `MALFORMED_REQUEST`); a value outside an enum is `400 INVALID_PARAMETER_VALUE` naming the field
//! and the allowed values. Field paths are dotted, with list indices: `tasks[2].notebook_task`.

use std::collections::HashSet;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, Error as DeError};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Unexpected, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};
use crate::params::Params;

/// Decode `map` (whose top-level keys in `textual` came from text) into `T`.
pub(crate) fn decode<T: DeserializeOwned>(
    map: &Map<String, Value>,
    textual: &HashSet<String>,
    prefix: &str,
) -> Result<T, ApiError> {
    let root = Lenient::root(map, textual);
    serde_path_to_error::deserialize(root).map_err(|e| to_api_error(&e, prefix))
}

impl Params {
    /// The whole parameter map decoded into `T` (see the module docs for leniencies and errors).
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        decode(self.map(), self.textual(), self.prefix())
    }
}

/// The Databricks error for a serde failure at `path`.
fn to_api_error(err: &serde_path_to_error::Error<DeError>, prefix: &str) -> ApiError {
    let path = render_path(err.path(), prefix);
    let msg = err.inner().to_string();
    if let Some(field) = msg
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        let full = if path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        };
        return ApiError::missing_field(&full);
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        return ApiError::new(
            ErrorCode::InvalidParameterValue,
            format!("Invalid value for field '{path}': {rest}"),
        );
    }
    match msg.rsplit_once(", expected ") {
        Some((_, expected)) if msg.starts_with("invalid type") => {
            ApiError::wrong_type(&path, wire_type(expected))
        }
        _ => ApiError::new(
            ErrorCode::InvalidParameterValue,
            format!("Invalid value for field '{path}': {msg}"),
        ),
    }
}

/// `tasks[2].notebook_task` for serde's path, after `prefix` (`"token."` for nested params).
fn render_path(path: &serde_path_to_error::Path, prefix: &str) -> String {
    use serde_path_to_error::Segment;
    let mut out = prefix.trim_end_matches('.').to_owned();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// A Databricks-style type name for serde's "expected ..." text.
fn wire_type(expected: &str) -> &str {
    match expected {
        "i64" | "i32" | "i16" | "i8" | "u64" | "u32" | "u16" | "u8" => "int64",
        "f64" | "f32" => "double",
        "a boolean" => "boolean",
        "a string" | "a borrowed string" => "string",
        "a sequence" => "array",
        e if e.starts_with("struct ") || e.starts_with("a map") || e.starts_with("map") => "object",
        e => e,
    }
}

/// A serde [`de::Deserializer`] over a borrowed JSON value that accepts the leniencies above.
#[derive(Clone, Copy)]
struct Lenient<'a> {
    value: LenientValue<'a>,
    /// The value came from a query string or form field.
    text: bool,
}

#[derive(Clone, Copy)]
enum LenientValue<'a> {
    Value(&'a Value),
    /// The top level: an object whose keys may be textual.
    Root(&'a Map<String, Value>, &'a HashSet<String>),
}

impl<'a> Lenient<'a> {
    fn root(map: &'a Map<String, Value>, textual: &'a HashSet<String>) -> Self {
        Self {
            value: LenientValue::Root(map, textual),
            text: false,
        }
    }

    fn of(value: &'a Value, text: bool) -> Self {
        Self {
            value: LenientValue::Value(value),
            text,
        }
    }

    fn string(&self) -> Option<&'a str> {
        match self.value {
            LenientValue::Value(Value::String(s)) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Debug for Lenient<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lenient")
    }
}

/// Numbers from strings: `$method` parses with `$ty` and visits with `$visit`.
macro_rules! lenient_number {
    ($($method:ident => $ty:ty, $visit:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.string() {
                Some(s) => match s.trim().parse::<$ty>() {
                    Ok(n) => visitor.$visit(n),
                    Err(_) => Err(de::Error::invalid_type(Unexpected::Str(s), &visitor)),
                },
                None => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Lenient<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = match self.value {
            LenientValue::Root(map, textual) => {
                return visitor.visit_map(MapAccess::new(map, Some(textual)))
            }
            LenientValue::Value(v) => v,
        };
        match value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(SeqAccess {
                items: items.iter(),
                single: None,
            }),
            Value::Object(map) => visitor.visit_map(MapAccess::new(map, None)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.string() {
            Some(s) if s.eq_ignore_ascii_case("true") => visitor.visit_bool(true),
            Some(s) if s.eq_ignore_ascii_case("false") => visitor.visit_bool(false),
            Some(s) => Err(de::Error::invalid_type(Unexpected::Str(s), &visitor)),
            None => self.deserialize_any(visitor),
        }
    }

    lenient_number! {
        deserialize_i8 => i64, visit_i64;
        deserialize_i16 => i64, visit_i64;
        deserialize_i32 => i64, visit_i64;
        deserialize_i64 => i64, visit_i64;
        deserialize_u8 => u64, visit_u64;
        deserialize_u16 => u64, visit_u64;
        deserialize_u32 => u64, visit_u64;
        deserialize_u64 => u64, visit_u64;
        deserialize_f32 => f64, visit_f64;
        deserialize_f64 => f64, visit_f64;
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            LenientValue::Value(Value::Null) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match (self.value, self.text) {
            (LenientValue::Value(v @ Value::String(_)), true) => visitor.visit_seq(SeqAccess {
                items: [].iter(),
                single: Some(v),
            }),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            LenientValue::Value(Value::String(s)) => {
                visitor.visit_enum(BorrowedStrDeserializer::<DeError>::new(s))
            }
            LenientValue::Value(Value::Object(map)) if map.len() == 1 => {
                let Some((variant, value)) = map.iter().next() else {
                    return Err(de::Error::invalid_length(0, &"one variant"));
                };
                visitor.visit_enum(EnumAccess { variant, value })
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct tuple tuple_struct map struct identifier
    }
}

struct SeqAccess<'a> {
    items: std::slice::Iter<'a, Value>,
    /// A single text value standing for a list of one.
    single: Option<&'a Value>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'de> {
    type Error = DeError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if let Some(v) = self.single.take() {
            return seed.deserialize(Lenient::of(v, true)).map(Some);
        }
        match self.items.next() {
            Some(v) => seed.deserialize(Lenient::of(v, false)).map(Some),
            None => Ok(None),
        }
    }
}

struct MapAccess<'a> {
    entries: serde_json::map::Iter<'a>,
    textual: Option<&'a HashSet<String>>,
    pending: Option<(&'a String, &'a Value)>,
}

impl<'a> MapAccess<'a> {
    fn new(map: &'a Map<String, Value>, textual: Option<&'a HashSet<String>>) -> Self {
        Self {
            entries: map.iter(),
            textual,
            pending: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for MapAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((k, v)) => {
                self.pending = Some((k, v));
                seed.deserialize(BorrowedStrDeserializer::<DeError>::new(k))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DeError> {
        let Some((k, v)) = self.pending.take() else {
            return Err(de::Error::custom("value requested before key"));
        };
        let text = self.textual.is_some_and(|t| t.contains(k));
        // A repeated text key is an array of strings: its elements are text too.
        match (text, v) {
            (true, Value::Array(items)) => seed.deserialize(TextArray(items)),
            _ => seed.deserialize(Lenient::of(v, text)),
        }
    }
}

/// Scalars of a repeated text key read its last value, leniently.
macro_rules! lenient_last {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.0.last() {
                Some(v) => Lenient::of(v, true).$method(visitor),
                None => visitor.visit_unit(),
            }
        }
    )*};
}

/// A repeated query-string key: a list of text values; a scalar reads the last one.
struct TextArray<'a>(&'a [Value]);

impl<'de> de::Deserializer<'de> for TextArray<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.last() {
            Some(v) => Lenient::of(v, true).deserialize_any(visitor),
            None => visitor.visit_unit(),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_seq(TextSeq(self.0.iter()))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0.last() {
            Some(v) => Lenient::of(v, true).deserialize_enum(name, variants, visitor),
            None => visitor.visit_unit(),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.last() {
            Some(v) => Lenient::of(v, true).deserialize_bool(visitor),
            None => visitor.visit_unit(),
        }
    }

    lenient_last! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_f32 deserialize_f64
    }

    forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct tuple tuple_struct map struct identifier
        ignored_any
    }
}

struct TextSeq<'a>(std::slice::Iter<'a, Value>);

impl<'de> de::SeqAccess<'de> for TextSeq<'de> {
    type Error = DeError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.0.next() {
            Some(v) => seed.deserialize(Lenient::of(v, true)).map(Some),
            None => Ok(None),
        }
    }
}

struct EnumAccess<'a> {
    variant: &'a str,
    value: &'a Value,
}

impl<'de> de::EnumAccess<'de> for EnumAccess<'de> {
    type Error = DeError;
    type Variant = Lenient<'de>;

    fn variant_seed<V: de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Lenient<'de>), DeError> {
        let variant = seed.deserialize(self.variant.into_deserializer())?;
        Ok((variant, Lenient::of(self.value, false)))
    }
}

impl<'de> de::VariantAccess<'de> for Lenient<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    enum Kind {
        Small,
        Large,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        n: i64,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Req {
        name: String,
        count: Option<i32>,
        flag: Option<bool>,
        ratio: Option<f64>,
        kind: Option<Kind>,
        #[serde(default)]
        ids: Vec<u64>,
        inner: Option<Inner>,
        #[serde(default)]
        items: Vec<Inner>,
    }

    fn params(body: Value, query: &str) -> Params {
        let Value::Object(map) = body else {
            panic!("body must be an object")
        };
        Params::merge(map, Params::query_pairs(Some(query)))
    }

    fn err(p: &Params) -> (String, String) {
        let e = p.decode::<Req>().expect_err("must fail");
        (
            e.error_code().unwrap_or_default().to_owned(),
            e.message().unwrap_or_default().to_owned(),
        )
    }

    #[test]
    fn strings_from_query_and_body_convert() {
        let p = params(
            json!({"inner": {"n": "7"}, "ratio": "0.5", "kind": "LARGE", "count": null}),
            "name=x&flag=TRUE&ids=3&ids=4",
        );
        let r: Req = p.decode().expect("decodes");
        assert_eq!(
            r,
            Req {
                name: "x".into(),
                count: None,
                flag: Some(true),
                ratio: Some(0.5),
                kind: Some(Kind::Large),
                ids: vec![3, 4],
                inner: Some(Inner { n: 7, tags: vec![] }),
                items: vec![],
            }
        );
        // A single text value where a list is expected is a list of one.
        let r: Req = params(json!({}), "name=x&ids=9").decode().expect("decodes");
        assert_eq!(r.ids, vec![9]);
        // A repeated scalar key reads the last value, as the getters do.
        let r: Req = params(json!({}), "name=a&name=b")
            .decode()
            .expect("decodes");
        assert_eq!(r.name, "b");
    }

    #[test]
    fn errors_name_the_field_path() {
        assert_eq!(
            err(&params(json!({}), "")),
            (
                "INVALID_PARAMETER_VALUE".into(),
                "Missing required field: name".into()
            )
        );
        assert_eq!(
            err(&params(json!({"name": "x", "items": [{"n": 1}, {}]}), "")),
            (
                "INVALID_PARAMETER_VALUE".into(),
                "Missing required field: items[1].n".into()
            )
        );
        assert_eq!(
            err(&params(json!({"name": "x", "inner": {"n": "abc"}}), "")),
            (
                "MALFORMED_REQUEST".into(),
                "Could not parse request object: Expected int64 for field 'inner.n'".into()
            )
        );
        assert_eq!(
            err(&params(json!({"name": 5}), "")),
            (
                "MALFORMED_REQUEST".into(),
                "Could not parse request object: Expected string for field 'name'".into()
            )
        );
        assert_eq!(
            err(&params(json!({"name": "x", "flag": "maybe"}), "")).0,
            "MALFORMED_REQUEST"
        );
        let (code, msg) = err(&params(json!({"name": "x", "kind": "HUGE"}), ""));
        assert_eq!(code, "INVALID_PARAMETER_VALUE");
        assert!(msg.contains("'kind'") && msg.contains("HUGE"), "{msg}");
        let (code, msg) = err(&params(
            json!({"name": "x", "items": [{"n": 1, "tags": [1]}]}),
            "",
        ));
        assert_eq!(code, "MALFORMED_REQUEST");
        assert!(msg.contains("items[0].tags[0]"), "{msg}");
    }

    #[test]
    fn nested_params_keep_their_prefix() {
        let p = params(json!({"token": {"n": true}}), "");
        let token = p.opt_object("token").expect("ok").expect("object");
        let e = token.decode::<Inner>().expect_err("wrong type");
        assert_eq!(
            e.message(),
            Some("Could not parse request object: Expected int64 for field 'token.n'")
        );
    }
}
