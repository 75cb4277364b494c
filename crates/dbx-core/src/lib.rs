//! # dbx-core
//!
//! The shared core of the dbx-rs Databricks SDK. API crates (`dbx-token`, `dbx-secrets`, ...)
//! build typed requests and decode typed responses; this crate does everything else once:
//!
//! * [`Config`]: host and credentials from an explicit builder, `DATABRICKS_*` environment
//!   variables or a `~/.databrickscfg` profile.
//! * Authentication: personal access tokens and OAuth machine-to-machine.
//! * [`Transport`]: the one trait that does I/O ([`ReqwestTransport`] by default).
//! * [`Error`]: one error type keeping Databricks' `error_code`, status, message and request id.
//! * Retries with backoff and `Retry-After`, timeouts, an optional client-side rate limit.
//! * [`paginate`]: the three Databricks paging schemes as lazy `futures::Stream`s.
//! * [`wait`]: polling waiters with a caller-chosen deadline.

pub mod error;
pub mod retry;
pub mod transport;

pub use error::{ApiError, Error, ErrorCode, Result};
pub use retry::RetryPolicy;
pub use transport::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};
#[cfg(feature = "reqwest-transport")]
pub use transport::ReqwestTransport;
