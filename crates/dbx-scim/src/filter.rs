//! SCIM filter expressions (RFC 7644 §3.4.2.2), built so that user input cannot change their
//! meaning.
//!
//! A value is always rendered as a JSON literal (strings quoted, with `"` and `\` escaped), and
//! an attribute name is checked against the RFC's `attrPath` grammar before anything is sent, so
//! `Filter::eq("userName", r#"x" or userName pr"#)` matches a user literally named that, and
//! nothing else.
//!
//! ```
//! use dbx_scim::Filter;
//! let f = Filter::eq("userName", "ann@example.com").and(Filter::eq("active", true));
//! assert_eq!(f.to_string(), r#"userName eq "ann@example.com" and active eq true"#);
//!
//! let sneaky = Filter::eq("userName", r#"x" or userName pr or userName eq "y"#);
//! assert_eq!(sneaky.to_string(), r#"userName eq "x\" or userName pr or userName eq \"y""#);
//! ```
//!
//! Databricks documents `eq`, `ne`, `co` and `sw` combined with `and`/`or` ("simple expressions
//! only", [Users list](https://docs.databricks.com/api/workspace/users/list)); the builder offers
//! the whole RFC grammar (`ew`, `pr`, `gt`/`ge`/`lt`/`le`, `not`, grouping) for servers that take
//! it, and adds parentheses only where precedence needs them.

use std::fmt;

use dbx_core::{Error, Result};
use serde_json::Value;

/// A comparison operator of RFC 7644 §3.4.2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
}

impl CompareOp {
    /// The operator's wire text (`eq`, `co`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }
}

/// A filter comparison value: a string, a number, a boolean or `null` (RFC 7644 `compValue`).
#[derive(Debug, Clone, PartialEq)]
pub struct FilterValue(Value);

impl FilterValue {
    /// `null`.
    pub fn null() -> Self {
        Self(Value::Null)
    }
}

impl From<&str> for FilterValue {
    fn from(v: &str) -> Self {
        Self(Value::String(v.to_owned()))
    }
}

impl From<String> for FilterValue {
    fn from(v: String) -> Self {
        Self(Value::String(v))
    }
}

impl From<&String> for FilterValue {
    fn from(v: &String) -> Self {
        Self(Value::String(v.clone()))
    }
}

impl From<bool> for FilterValue {
    fn from(v: bool) -> Self {
        Self(Value::Bool(v))
    }
}

impl From<i64> for FilterValue {
    fn from(v: i64) -> Self {
        Self(Value::from(v))
    }
}

impl From<u64> for FilterValue {
    fn from(v: u64) -> Self {
        Self(Value::from(v))
    }
}

impl From<i32> for FilterValue {
    fn from(v: i32) -> Self {
        Self(Value::from(v))
    }
}

impl fmt::Display for FilterValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // serde_json writes a JSON literal: strings quoted with `"` and `\` escaped, which is
        // exactly RFC 7644's `compValue` (a JSON string, RFC 7159).
        fmt::Display::fmt(&self.0, f)
    }
}

/// A SCIM filter expression. Build one with the constructors and combine with
/// [`and`](Filter::and), [`or`](Filter::or) and [`not`](Filter::not); `Display` renders it.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attr op value`.
    Compare {
        /// The attribute path, e.g. `userName`, `name.givenName`, `emails.value`.
        attr: String,
        /// The operator.
        op: CompareOp,
        /// The value, rendered as a JSON literal.
        value: FilterValue,
    },
    /// `attr pr`: the attribute has a value.
    Present(String),
    /// `left and right`.
    And(Box<Filter>, Box<Filter>),
    /// `left or right`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (inner)`.
    Not(Box<Filter>),
}

impl Filter {
    /// `attr op value` with any operator.
    pub fn compare(attr: impl Into<String>, op: CompareOp, value: impl Into<FilterValue>) -> Self {
        Self::Compare {
            attr: attr.into(),
            op,
            value: value.into(),
        }
    }

    /// `attr eq value`.
    pub fn eq(attr: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::compare(attr, CompareOp::Eq, value)
    }

    /// `attr ne value`.
    pub fn ne(attr: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::compare(attr, CompareOp::Ne, value)
    }

    /// `attr co value` (contains).
    pub fn co(attr: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::compare(attr, CompareOp::Co, value)
    }

    /// `attr sw value` (starts with).
    pub fn sw(attr: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::compare(attr, CompareOp::Sw, value)
    }

    /// `attr ew value` (ends with).
    pub fn ew(attr: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::compare(attr, CompareOp::Ew, value)
    }

    /// `attr gt value`.
    pub fn gt(attr: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::compare(attr, CompareOp::Gt, value)
    }

    /// `attr ge value`.
    pub fn ge(attr: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::compare(attr, CompareOp::Ge, value)
    }

    /// `attr lt value`.
    pub fn lt(attr: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::compare(attr, CompareOp::Lt, value)
    }

    /// `attr le value`.
    pub fn le(attr: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::compare(attr, CompareOp::Le, value)
    }

    /// `attr pr` (present).
    pub fn pr(attr: impl Into<String>) -> Self {
        Self::Present(attr.into())
    }

    /// `self and other`.
    pub fn and(self, other: Filter) -> Self {
        Self::And(Box::new(self), Box::new(other))
    }

    /// `self or other`.
    pub fn or(self, other: Filter) -> Self {
        Self::Or(Box::new(self), Box::new(other))
    }

    /// `not (self)`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Self {
        Self::Not(Box::new(self))
    }

    /// Check every attribute path against RFC 7644's `attrPath` grammar (an optional schema URN
    /// prefix, a name starting with a letter and made of letters, digits, `-`, `_` and `$`, and an
    /// optional `.subAttr`). A bad name is an [`Error::InvalidRequest`], found before sending.
    ///
    /// ```
    /// use dbx_scim::Filter;
    /// assert!(Filter::eq("name.givenName", "Ann").validate().is_ok());
    /// assert!(Filter::eq("userName pr or userName", "x").validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Compare { attr, .. } | Self::Present(attr) => check_attr_path(attr),
            Self::And(a, b) | Self::Or(a, b) => {
                a.validate()?;
                b.validate()
            }
            Self::Not(inner) => inner.validate(),
        }
    }

    fn fmt_in(&self, f: &mut fmt::Formatter<'_>, parent_is_and: bool) -> fmt::Result {
        match self {
            Self::Compare { attr, op, value } => write!(f, "{attr} {} {value}", op.as_str()),
            Self::Present(attr) => write!(f, "{attr} pr"),
            Self::And(a, b) => {
                a.fmt_in(f, true)?;
                f.write_str(" and ")?;
                b.fmt_in(f, true)
            }
            Self::Or(a, b) => {
                // `and` binds tighter than `or`: an `or` under an `and` needs parentheses.
                if parent_is_and {
                    f.write_str("(")?;
                }
                a.fmt_in(f, false)?;
                f.write_str(" or ")?;
                b.fmt_in(f, false)?;
                if parent_is_and {
                    f.write_str(")")?;
                }
                Ok(())
            }
            Self::Not(inner) => {
                f.write_str("not (")?;
                inner.fmt_in(f, false)?;
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_in(f, false)
    }
}

/// RFC 7644 `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA` (plus `$`
/// for `$ref`), `attrPath = [URI ":"] ATTRNAME *1subAttr`.
pub(crate) fn check_attr_path(path: &str) -> Result<()> {
    let bad = || {
        Error::InvalidRequest(format!(
            "{path:?} is not a SCIM attribute path (RFC 7644 attrPath: name or name.subName)"
        ))
    };
    // A schema URN prefix ends at the last ':'; it may hold dots (`...:2.0:User:manager`).
    let local = match path.rfind(':') {
        Some(i) => {
            let urn = &path[..i];
            if !urn.starts_with("urn:")
                || !urn
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '-' | '_'))
            {
                return Err(bad());
            }
            &path[i + 1..]
        }
        None => path,
    };
    let mut parts = local.split('.');
    let ok_name = |n: &str| {
        let mut chars = n.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '$')
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    };
    let first = parts.next().unwrap_or_default();
    let sub = parts.next();
    if !ok_name(first) || sub.is_some_and(|s| !ok_name(s)) || parts.next().is_some() {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_json_literals() {
        assert_eq!(Filter::eq("a", "x").to_string(), r#"a eq "x""#);
        assert_eq!(Filter::eq("a", 5i64).to_string(), "a eq 5");
        assert_eq!(Filter::eq("a", false).to_string(), "a eq false");
        assert_eq!(
            Filter::eq("a", FilterValue::null()).to_string(),
            "a eq null"
        );
        assert_eq!(
            Filter::co("displayName", r#"back\slash "quote""#).to_string(),
            r#"displayName co "back\\slash \"quote\"""#
        );
        assert_eq!(
            Filter::sw("userName", "tab\tnl\n").to_string(),
            r#"userName sw "tab\tnl\n""#
        );
    }

    #[test]
    fn precedence_and_grouping() {
        let a = || Filter::eq("a", "1");
        let b = || Filter::eq("b", "2");
        let c = || Filter::pr("c");
        assert_eq!(
            a().or(b()).and(c()).to_string(),
            r#"(a eq "1" or b eq "2") and c pr"#
        );
        assert_eq!(
            a().and(b()).or(c()).to_string(),
            r#"a eq "1" and b eq "2" or c pr"#
        );
        assert_eq!(
            a().or(b()).not().and(c()).to_string(),
            r#"not (a eq "1" or b eq "2") and c pr"#
        );
        assert_eq!(
            Filter::ne("x", "y")
                .and(Filter::ew("z", "q").or(Filter::gt("n", 3i64)))
                .to_string(),
            r#"x ne "y" and (z ew "q" or n gt 3)"#
        );
        for (op, text) in [
            (CompareOp::Ge, "ge"),
            (CompareOp::Lt, "lt"),
            (CompareOp::Le, "le"),
        ] {
            assert_eq!(
                Filter::compare("m", op, 1i64).to_string(),
                format!("m {text} 1")
            );
        }
    }

    #[test]
    fn attribute_paths_are_checked() {
        for good in [
            "userName",
            "name.givenName",
            "members.$ref",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "x_y-z9",
        ] {
            assert!(check_attr_path(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "userName pr or userName",
            "a.b.c",
            "9lives",
            "name.",
            "a\"b",
            "nourn:x",
            "(userName)",
        ] {
            assert!(check_attr_path(bad).is_err(), "{bad}");
        }
        let nested = Filter::eq("ok", 1i64).and(Filter::pr("bad name").not());
        assert!(matches!(nested.validate(), Err(Error::InvalidRequest(_))));
    }
}
