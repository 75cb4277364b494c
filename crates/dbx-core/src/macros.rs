//! Macros for the API crates: typed ids and forward-compatible enums.

/// Declare a typed string id (`ClusterId`, `TokenId`, ...): serde-transparent, `Display`,
/// `From<String>`/`From<&str>`, `as_str()`. A job id cannot be passed where a run id is wanted.
///
/// ```
/// dbx_core::string_id!(
///     /// A token id.
///     TokenId
/// );
/// let id = TokenId::from("abc");
/// assert_eq!(id.as_str(), "abc");
/// assert_eq!(serde_json::to_string(&id).unwrap(), "\"abc\"");
/// ```
#[macro_export]
macro_rules! string_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub String);

        impl $crate::serde::Serialize for $name {
            fn serialize<S: $crate::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> $crate::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <String as $crate::serde::Deserialize>::deserialize(d).map(Self)
            }
        }

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Declare a typed integer id (`JobId`, `RunId`, ...): serde-transparent `i64`, `Display`,
/// `From<i64>`.
///
/// ```
/// dbx_core::int_id!(
///     /// A job id.
///     JobId
/// );
/// assert_eq!(JobId::from(7).to_string(), "7");
/// ```
#[macro_export]
macro_rules! int_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl $crate::serde::Serialize for $name {
            fn serialize<S: $crate::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.0)
            }
        }

        impl<'de> $crate::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <i64 as $crate::serde::Deserialize>::deserialize(d).map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                Self(v)
            }
        }
    };
}

/// Declare a string enum the server may extend: known values map to variants, anything else to
/// `Unknown(String)`, so a new value from Databricks never breaks deserialization.
///
/// ```
/// dbx_core::open_enum! {
///     /// A secret ACL permission.
///     pub enum Permission {
///         /// Read secrets.
///         Read = "READ",
///         /// Read and write secrets.
///         Write = "WRITE",
///     }
/// }
/// let p: Permission = serde_json::from_str("\"OWN\"").unwrap();
/// assert_eq!(p, Permission::Unknown("OWN".into()));
/// assert_eq!(serde_json::to_string(&Permission::Read).unwrap(), "\"READ\"");
/// ```
#[macro_export]
macro_rules! open_enum {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $( $(#[$vm:meta])* $variant:ident = $text:literal ),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vm])* $variant, )*
            /// A value this version of the SDK does not know, verbatim.
            Unknown(String),
        }

        impl $name {
            /// The wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Unknown(s) => s,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $( $text => Self::$variant, )*
                    other => Self::Unknown(other.to_string()),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::serde::Serialize for $name {
            fn serialize<S: $crate::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as $crate::serde::Deserialize>::deserialize(d)?;
                Ok(match s.as_ref() {
                    $( $text => Self::$variant, )*
                    other => Self::Unknown(other.to_string()),
                })
            }
        }
    };
}
