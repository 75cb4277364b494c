//! # dbx-core
//!
//! The shared core of the dbx-rs Databricks SDK. API crates (`dbx-token`, `dbx-secrets`, ...)
//! build typed [`Request`]s and decode typed responses; this crate does everything else once:
//!
//! * [`Config`]: host and credentials from an explicit builder, `DATABRICKS_*` environment
//!   variables or a `~/.databrickscfg` profile.
//! * Authentication ([`auth`]): a [`CredentialsProvider`] trait with personal access tokens and
//!   OAuth machine-to-machine (cached, refreshed before expiry, one refresh shared by concurrent
//!   callers) built in; plug in your own with [`ConfigBuilder::credentials_provider`].
//! * [`Transport`]: the one trait that does I/O ([`ReqwestTransport`] by default).
//! * [`Error`]: one error type keeping Databricks' `error_code`, status, message and request id.
//! * Retries ([`RetryPolicy`], one classifier: [`retry::classify`]) with backoff and
//!   `Retry-After`, timeouts, an optional client-side rate limit, and a tracing span per request
//!   that never records credentials.
//! * Per-call options ([`CallOptions`]: timeout, retry policy, idempotency) for every call: per
//!   client or API handle with `with_options`, per call on the API builders; the caller's choice
//!   always wins over the API method's default.
//! * [`TransferError`]: the one error of the local-file transfer helpers, with [`Error`]'s
//!   predicates; [`Overwrite`] and [`Recursive`] instead of bare `bool` arguments.
//! * `Debug` never prints a credential: secrets print as `[REDACTED]` ([`Redacted`]).
//! * [`paginate`]: the three Databricks paging schemes as lazy `futures::Stream`s.
//! * [`wait`]: polling waiters with a caller-chosen deadline.
//!
//! ```no_run
//! # async fn demo() -> dbx_core::Result<()> {
//! use dbx_core::{Client, Config, Request};
//! let client = Client::new(Config::from_env()?)?;
//! let tokens: serde_json::Value = client.call(Request::get("/api/2.0/token/list")).await?;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod client;
pub mod config;
pub mod error;
mod flags;
mod macros;
pub mod multipart;
pub mod paginate;
pub mod request;
pub mod retry;
#[cfg(feature = "test-util")]
pub mod testing;
mod transfer_error;
pub mod transport;
pub mod wait;

pub use auth::CredentialsProvider;
pub use flags::{Overwrite, Recursive};
pub use transfer_error::TransferError;

pub use client::{decode, Client, USER_AGENT};
pub use config::{AuthType, Config, ConfigBuilder, Credentials};
pub use error::{ApiError, Error, ErrorCode, Result};
pub use request::{encode_path_segment, CallOptions, Request};
pub use retry::{Idempotency, RetryPolicy};
/// Secret values (tokens, client secrets, secret payloads): `Debug` prints `[REDACTED]`.
pub use secrecy::{ExposeSecret, SecretString};
#[cfg(feature = "reqwest-transport")]
pub use transport::ReqwestTransport;
pub use transport::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};

/// Re-exported to implement [`CredentialsProvider`] (and [`Transport`]) without another
/// dependency.
pub use async_trait::async_trait;

/// Prints `[REDACTED]` in `Debug` output, the same marker as [`SecretString`]: use it for any
/// field that holds a credential or a secret value, in every crate.
///
/// ```
/// #[derive(Debug)]
/// struct Login { user: String, password: dbx_core::Redacted }
/// let shown = format!("{:?}", Login { user: "me".into(), password: dbx_core::Redacted });
/// assert_eq!(shown, r#"Login { user: "me", password: [REDACTED] }"#);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

// Re-exported for the macros and for API crates.
#[doc(hidden)]
pub use serde;
