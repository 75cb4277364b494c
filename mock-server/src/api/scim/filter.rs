//! SCIM filters (RFC 7644 §3.4.2.2): a recursive-descent parser and an evaluator over a
//! resource's SCIM JSON.
//!
//! ```text
//! filter     = or
//! or         = and *("or" and)
//! and        = unary *("and" unary)
//! unary      = "not" "(" filter ")" / "(" filter ")" / attrExp
//! attrExp    = attrPath "pr" / attrPath compareOp compValue / attrPath "[" filter "]" ["." subAttr]
//! compareOp  = eq / ne / co / sw / ew / gt / lt / ge / le
//! compValue  = "string" / number / true / false / null
//! attrPath   = [schemaURN ":"] attrName ["." subAttr]
//! ```
//!
//! Operators, `and`/`or`/`not`, attribute names and string comparisons are case-insensitive
//! (RFC 7643 §2.1: `caseExact` is false for the attributes Databricks exposes). A multi-valued
//! attribute matches when any of its values does; a complex value without a sub-attribute is
//! compared through its `value`. Anything malformed is `400` with `scimType: invalidFilter`;
//! nesting and size are bounded so no input can exhaust the stack.

use std::cmp::Ordering;

use serde_json::Value;

use crate::error::{ApiError, ErrorCode};

/// Deepest nesting of parentheses, `not` and value filters accepted.
const MAX_DEPTH: usize = 32;
/// Most comparison nodes accepted in one filter (the account SCIM API documents 200).
const MAX_NODES: usize = 200;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Lt,
    Ge,
    Le,
}

impl Op {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "gt" => Self::Gt,
            "lt" => Self::Lt,
            "ge" => Self::Ge,
            "le" => Self::Le,
            _ => return None,
        })
    }
}

/// An attribute path: lower-cased names from the resource root (`["name", "givenname"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttrPath(pub Vec<String>);

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    /// `attr pr`.
    Present(AttrPath),
    /// `attr op value`.
    Compare(AttrPath, Op, Value),
    /// `attr[filter]` (optionally `.sub pr`-free: the sub-attribute form is folded into the
    /// inner filter's paths).
    ValuePath(AttrPath, Box<Filter>),
    Not(Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
}

/// A 400 `invalidFilter`.
pub(crate) fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameterValue, detail).with_scim_type("invalidFilter")
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// An attribute path, operator or keyword.
    Word(String),
    Str(String),
    Num(serde_json::Number),
    LParen,
    RParen,
    LBracket,
    RBracket,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '_' | '-' | '$')
}

fn tokenize(input: &str) -> Result<Vec<Token>, ApiError> {
    let mut out = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token::LParen);
                i += 1;
            }
            ')' => {
                out.push(Token::RParen);
                i += 1;
            }
            '[' => {
                out.push(Token::LBracket);
                i += 1;
            }
            ']' => {
                out.push(Token::RBracket);
                i += 1;
            }
            '"' => {
                // A JSON string: find the closing quote, honouring backslash escapes.
                let start = i;
                i += 1;
                let mut closed = false;
                while i < chars.len() {
                    match chars[i] {
                        '\\' => i += 2,
                        '"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                if !closed || i > chars.len() {
                    return Err(invalid("Unterminated string in filter"));
                }
                let raw: String = chars[start..i].iter().collect();
                let s: String = serde_json::from_str(&raw)
                    .map_err(|_| invalid(format!("Invalid string {raw} in filter")))?;
                out.push(Token::Str(s));
            }
            c if is_word_char(c) => {
                let start = i;
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let numeric = word.starts_with(|c: char| c.is_ascii_digit() || c == '-');
                match serde_json::from_str::<Value>(&word) {
                    Ok(Value::Number(n)) if numeric => out.push(Token::Num(n)),
                    _ if numeric => return Err(invalid(format!("Invalid number {word}"))),
                    _ => out.push(Token::Word(word)),
                }
            }
            c => return Err(invalid(format!("Unexpected character '{c}' in filter"))),
        }
    }
    Ok(out)
}

/// Parse an attribute path; a schema URN prefix (`urn:...:User:userName`) is dropped.
pub(crate) fn parse_attr_path(word: &str) -> Result<AttrPath, ApiError> {
    let bare = if word.to_ascii_lowercase().starts_with("urn:") {
        word.rsplit(':').next().unwrap_or("")
    } else {
        word
    };
    let parts: Vec<String> = bare.split('.').map(str::to_ascii_lowercase).collect();
    let valid = |p: &String| {
        p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '$')
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'))
    };
    if parts.is_empty() || parts.len() > 2 || !parts.iter().all(valid) {
        return Err(invalid(format!("Invalid attribute path {word}")));
    }
    Ok(AttrPath(parts))
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    nodes: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn enter(&mut self) -> Result<(), ApiError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(invalid("Filter is nested too deeply"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, ApiError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, ApiError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn expect(&mut self, t: &Token, what: &str) -> Result<(), ApiError> {
        match self.next() {
            Some(ref got) if got == t => Ok(()),
            _ => Err(invalid(format!("Expected {what} in filter"))),
        }
    }

    fn group(&mut self) -> Result<Filter, ApiError> {
        self.enter()?;
        self.expect(&Token::LParen, "'('")?;
        let inner = self.or()?;
        self.expect(&Token::RParen, "')'")?;
        self.depth -= 1;
        Ok(inner)
    }

    fn unary(&mut self) -> Result<Filter, ApiError> {
        if self.keyword("not") && matches!(self.tokens.get(self.pos + 1), Some(Token::LParen)) {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.group()?)));
        }
        if matches!(self.peek(), Some(Token::LParen)) {
            return self.group();
        }
        self.attr_exp()
    }

    fn attr_exp(&mut self) -> Result<Filter, ApiError> {
        let word = match self.next() {
            Some(Token::Word(w)) => w,
            Some(_) => return Err(invalid("Expected an attribute name in filter")),
            None => return Err(invalid("Unexpected end of filter")),
        };
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(invalid(format!(
                "Filter has more than {MAX_NODES} expressions"
            )));
        }
        let path = parse_attr_path(&word)?;
        if matches!(self.peek(), Some(Token::LBracket)) {
            self.enter()?;
            self.pos += 1;
            let inner = self.or()?;
            self.expect(&Token::RBracket, "']'")?;
            self.depth -= 1;
            if path.0.len() != 1 {
                return Err(invalid(format!("Invalid value path {word}")));
            }
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        let op_word = match self.next() {
            Some(Token::Word(w)) => w,
            _ => return Err(invalid(format!("Expected an operator after {word}"))),
        };
        if op_word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let op =
            Op::parse(&op_word).ok_or_else(|| invalid(format!("Unknown operator {op_word}")))?;
        let value = match self.next() {
            Some(Token::Str(s)) => Value::String(s),
            Some(Token::Num(n)) => Value::Number(n),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Value::Bool(true),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Value::Bool(false),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Value::Null,
            _ => return Err(invalid(format!("Expected a value after {word} {op_word}"))),
        };
        if matches!(op, Op::Co | Op::Sw | Op::Ew) && !value.is_string() {
            return Err(invalid(format!("{op_word} needs a string value")));
        }
        Ok(Filter::Compare(path, op, value))
    }
}

/// Parse a filter expression.
pub(crate) fn parse(input: &str) -> Result<Filter, ApiError> {
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err(invalid("Empty filter"));
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
        nodes: 0,
    };
    let f = p.or()?;
    if p.pos < p.tokens.len() {
        return Err(invalid("Unexpected text after the end of the filter"));
    }
    Ok(f)
}

/// The value of `key` in `obj`, matched case-insensitively.
fn get_ci<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    let map = obj.as_object()?;
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Every value `path` reaches in `resource`, multi-valued attributes flattened.
pub(crate) fn resolve<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let mut current: Vec<&Value> = vec![resource];
    for name in &path.0 {
        let mut next = Vec::new();
        for v in current {
            match get_ci(v, name) {
                Some(Value::Array(items)) => next.extend(items.iter()),
                Some(Value::Null) | None => {}
                Some(x) => next.push(x),
            }
        }
        current = next;
    }
    // A complex value compared without a sub-attribute is compared through its `value`.
    current
        .into_iter()
        .filter_map(|v| {
            if v.is_object() {
                get_ci(v, "value")
            } else {
                Some(v)
            }
        })
        .collect()
}

fn compare_one(have: &Value, op: Op, want: &Value) -> bool {
    match (have, want) {
        (Value::String(h), Value::String(w)) => {
            let (h, w) = (h.to_lowercase(), w.to_lowercase());
            match op {
                Op::Eq => h == w,
                Op::Ne => h != w,
                Op::Co => h.contains(&w),
                Op::Sw => h.starts_with(&w),
                Op::Ew => h.ends_with(&w),
                Op::Gt => h > w,
                Op::Lt => h < w,
                Op::Ge => h >= w,
                Op::Le => h <= w,
            }
        }
        (Value::Number(h), Value::Number(w)) => {
            let ord = match (h.as_f64(), w.as_f64()) {
                (Some(h), Some(w)) => h.partial_cmp(&w),
                _ => None,
            };
            ordered(ord, op)
        }
        (Value::Bool(h), Value::Bool(w)) => match op {
            Op::Eq => h == w,
            Op::Ne => h != w,
            _ => false,
        },
        _ => false,
    }
}

fn ordered(ord: Option<Ordering>, op: Op) -> bool {
    let Some(ord) = ord else { return false };
    match op {
        Op::Eq => ord == Ordering::Equal,
        Op::Ne => ord != Ordering::Equal,
        Op::Gt => ord == Ordering::Greater,
        Op::Lt => ord == Ordering::Less,
        Op::Ge => ord != Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Co | Op::Sw | Op::Ew => false,
    }
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

impl Filter {
    /// True when `resource` (SCIM JSON) matches.
    pub(crate) fn matches(&self, resource: &Value) -> bool {
        match self {
            Filter::Present(path) => resolve_raw(resource, path).into_iter().any(present),
            Filter::Compare(path, op, want) => {
                let have = resolve(resource, path);
                match (op, want) {
                    // `eq null` matches an absent attribute; `ne null` a present one.
                    (Op::Eq, Value::Null) => have.iter().all(|v| v.is_null()),
                    (Op::Ne, Value::Null) => have.iter().any(|v| !v.is_null()),
                    // `ne` is the negation of `eq` over a multi-valued attribute.
                    (Op::Ne, _) => !have.iter().any(|v| compare_one(v, Op::Eq, want)),
                    _ => have.iter().any(|v| compare_one(v, *op, want)),
                }
            }
            Filter::ValuePath(path, inner) => resolve_raw(resource, path)
                .into_iter()
                .any(|v| inner.matches(v)),
            Filter::Not(inner) => !inner.matches(resource),
            Filter::And(a, b) => a.matches(resource) && b.matches(resource),
            Filter::Or(a, b) => a.matches(resource) || b.matches(resource),
        }
    }

    /// `Some((attribute, value))` when the filter is one `attr eq "string"` (an index lookup).
    pub(crate) fn as_string_eq(&self) -> Option<(&str, &str)> {
        match self {
            Filter::Compare(AttrPath(p), Op::Eq, Value::String(v)) if p.len() == 1 => {
                Some((p[0].as_str(), v.as_str()))
            }
            _ => None,
        }
    }
}

/// Like [`resolve`] but without replacing complex values by their `value` (for `pr` and value
/// filters, which look at the elements themselves).
fn resolve_raw<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let mut current: Vec<&Value> = vec![resource];
    for name in &path.0 {
        let mut next = Vec::new();
        for v in current {
            match get_ci(v, name) {
                Some(Value::Array(items)) => next.extend(items.iter()),
                Some(x) => next.push(x),
                None => {}
            }
        }
        current = next;
    }
    current
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> Value {
        json!({
            "id": "1000000000000010",
            "userName": "Jane.Doe@Example.com",
            "displayName": "Jane Doe",
            "active": true,
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "emails": [{"type": "work", "value": "jane.doe@example.com", "primary": true}],
            "groups": [{"display": "data", "value": "1000000000000004", "type": "direct"}],
            "entitlements": [{"value": "allow-cluster-create"}],
            "meta": {"resourceType": "User"},
            "count": 3
        })
    }

    fn matches(f: &str) -> bool {
        parse(f)
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .matches(&user())
    }

    #[test]
    fn valid_expressions() {
        let yes = [
            r#"userName eq "jane.doe@example.com""#,
            r#"USERNAME EQ "JANE.DOE@EXAMPLE.COM""#,
            r#"userName ne "bob@example.com""#,
            r#"userName co "doe@""#,
            r#"userName sw "jane""#,
            r#"userName ew ".COM""#,
            r#"displayName gt "Jane Could""#,
            r#"displayName lt "K""#,
            r#"displayName ge "jane doe" and displayName le "jane doe""#,
            "name.givenName pr",
            "count gt 2 and count le 3.0 and count ne 4",
            "active eq true",
            "active ne false",
            "externalId eq null",
            r#"emails[type eq "work" and value co "example.com"]"#,
            r#"emails.value eq "jane.doe@example.com""#,
            r#"groups.value eq "1000000000000004""#,
            r#"groups eq "1000000000000004""#,
            r#"entitlements[value eq "allow-cluster-create"]"#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "jane""#,
            r#"not (userName eq "bob")"#,
            r#"userName eq "bob" or (displayName co "doe" and active eq true)"#,
            r#"userName eq "x" or userName eq "y" or name.familyName eq "doe""#,
            r#"meta.resourceType eq "User""#,
            r#"displayName eq "Jane \"Doe" or displayName eq "Jane Doe""#,
        ];
        for f in yes {
            assert!(matches(f), "{f} should match");
        }
        let no = [
            r#"userName eq "jane""#,
            "externalId pr",
            r#"not(userName co "jane")"#,
            r#"userName eq "jane.doe@example.com" and active eq false"#,
            r#"emails[type eq "home"]"#,
            r#"groups.value ne "1000000000000004""#,
            "count lt 3",
            r#"active eq "true""#,
            r#"userName eq "x" or userName eq "y" and displayName co "doe""#,
        ];
        for f in no {
            assert!(!matches(f), "{f} should not match");
        }
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let f = parse(r#"a eq "1" or b eq "2" and c eq "3""#).expect("parses");
        assert!(matches!(f, Filter::Or(_, ref r) if matches!(**r, Filter::And(_, _))));
    }

    #[test]
    fn invalid_expressions_are_invalid_filter() {
        let bad = [
            "",
            "   ",
            "userName",
            "userName eq",
            r#"userName xx "a""#,
            r#"userName eq "unterminated"#,
            r#"(userName eq "a""#,
            r#"userName eq "a")"#,
            r#"userName eq "a" and"#,
            r#"and userName eq "a""#,
            r#"userName co 3"#,
            r#"userName eq bare"#,
            r#"emails[type eq "work""#,
            r#"emails[type eq "work"]]"#,
            r#"1abc eq "x""#,
            r#"a.b.c eq "x""#,
            r#"userName eq "a" userName eq "b""#,
            r#"userName eq "\x""#,
            "userName eq 12e",
            "userName eq -",
            "not userName eq \"a\"",
            "userName ! \"a\"",
            "userName eq 'a'",
        ];
        for f in bad {
            let err = parse(f)
                .err()
                .unwrap_or_else(|| panic!("{f:?} should fail"));
            assert_eq!(err.status(), 400, "{f}");
            let scim = err.into_scim();
            assert_eq!(scim.body()["scimType"], "invalidFilter", "{f}");
        }
    }

    #[test]
    fn deep_nesting_and_huge_filters_are_refused_not_overflowed() {
        let deep = format!("{}a eq \"1\"{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).is_err());
        let nots = format!("{}a eq \"1\"{}", "not (".repeat(5_000), ")".repeat(5_000));
        assert!(parse(&nots).is_err());
        let wide = vec![r#"a eq "1""#; 500].join(" or ");
        assert!(parse(&wide).is_err());
        let ok = vec![r#"a eq "1""#; 100].join(" or ");
        assert!(parse(&ok).is_ok());
    }

    /// Random strings over the filter alphabet: the parser returns `Ok` or a 400
    /// `invalidFilter`, never panics; whatever parses evaluates without panicking.
    #[test]
    fn fuzz_never_panics() {
        let atoms = [
            "userName",
            "eq",
            "ne",
            "co",
            "sw",
            "ew",
            "pr",
            "gt",
            "lt",
            "ge",
            "le",
            "and",
            "or",
            "not",
            "(",
            ")",
            "[",
            "]",
            "\"x\"",
            "\"",
            "\\",
            "1",
            "-2.5",
            "true",
            "null",
            ".",
            "emails",
            "value",
            "urn:a:b",
            " ",
            "é",
            "\"\\u00e9\"",
            "\"\\ud800\"",
            ":",
            "$ref",
            "'",
            "{",
            "ü",
            "\u{0}",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let resource = user();
        let mut parsed = 0;
        for _ in 0..20_000 {
            let len = (next() % 12) as usize;
            let mut s = String::new();
            for _ in 0..len {
                let i = (next() % atoms.len() as u64) as usize;
                s.push_str(atoms[i]);
                if next() % 2 == 0 {
                    s.push(' ');
                }
            }
            match parse(&s) {
                Ok(f) => {
                    parsed += 1;
                    let _ = f.matches(&resource);
                }
                Err(e) => {
                    assert_eq!(e.status(), 400, "{s:?}");
                    assert_eq!(e.into_scim().body()["scimType"], "invalidFilter", "{s:?}");
                }
            }
        }
        assert!(parsed > 0, "some random filters should parse");
        // Random bytes too.
        for _ in 0..5_000 {
            let len = (next() % 40) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| (next() % 128) as u8).collect();
            let s = String::from_utf8_lossy(&bytes);
            if let Err(e) = parse(&s) {
                assert_eq!(e.status(), 400);
            }
        }
    }
}
