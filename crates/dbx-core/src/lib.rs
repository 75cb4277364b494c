//! # dbx-core
//!
//! The shared core of the dbx-rs Databricks SDK. API crates (`dbx-token`, `dbx-secrets`, ...)
//! build typed [`Request`]s and decode typed responses; this crate does everything else once:
//!
//! * [`Config`]: host and credentials from an explicit builder, `DATABRICKS_*` environment
//!   variables or a `~/.databrickscfg` profile.
//! * Authentication: personal access tokens and OAuth machine-to-machine (cached, refreshed
//!   before expiry, one refresh shared by concurrent callers).
//! * [`Transport`]: the one trait that does I/O ([`ReqwestTransport`] by default).
//! * [`Error`]: one error type keeping Databricks' `error_code`, status, message and request id.
//! * Retries ([`RetryPolicy`]) with backoff and `Retry-After`, timeouts, an optional client-side
//!   rate limit, and a tracing span per request that never records credentials.
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

mod auth;
pub mod client;
pub mod config;
pub mod error;
mod macros;
pub mod multipart;
pub mod paginate;
pub mod request;
pub mod retry;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod transport;
pub mod wait;

pub use client::{decode, Client, USER_AGENT};
pub use config::{AuthType, Config, ConfigBuilder, Credentials};
pub use error::{ApiError, Error, ErrorCode, Result};
pub use request::{encode_path_segment, CallOptions, Request};
pub use retry::RetryPolicy;
/// Secret values (tokens, client secrets, secret payloads): `Debug` prints `[REDACTED]`.
pub use secrecy::{ExposeSecret, SecretString};
#[cfg(feature = "reqwest-transport")]
pub use transport::ReqwestTransport;
pub use transport::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};

// Re-exported for the macros and for API crates.
#[doc(hidden)]
pub use serde;
