//! A faithful, stateful, in-memory emulator of the Databricks workspace REST API.
//!
//! Point real Databricks clients at it: it reproduces the wire format (paths, versions, JSON
//! bodies, error envelopes and status codes, authentication failures) from the public Databricks
//! REST API reference (<https://docs.databricks.com/api/workspace/introduction>), independently of
//! the client crates; where the reference is silent, `docs/emulator.md` records our choices.
//!
//! Two entry points:
//!
//! * [`Emulator`]: the whole state (users, service principals, groups, tokens, a virtual
//!   [`Clock`], injected [`Fault`]s and the request journal). Call it in-process through
//!   [`Emulator::transport`], an implementation of [`dbx_core::Transport`].
//! * [`MockServer`]: the same emulator on a loopback socket, for clients that bring their own
//!   HTTP stack. The `dbx-mock-server` binary wraps it.
//!
//! A fresh emulator has the built-in groups `admins` and `users` and one admin user,
//! `admin@example.com`, holding the personal access token [`DEFAULT_ADMIN_TOKEN`].
//!
//! ```
//! use std::time::Duration;
//! use dbx_core::Transport;
//! use dbx_mock_server::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let emu = Emulator::new();
//! emu.create_user("alice@example.com", false).expect("new user");
//! let token = emu
//!     .create_token("alice@example.com", Some(Duration::from_secs(60)), None)
//!     .expect("token");
//! let request = http::Request::get(format!("{}/api/2.0/token/list", emu.base_url()))
//!     .header("authorization", format!("Bearer {}", token.token_value))
//!     .body(bytes::Bytes::new())
//!     .expect("request");
//! let response = emu.transport().send(request).await.expect("response");
//! assert_eq!(response.status(), 200);
//!
//! // Time is virtual: one minute later the token has expired.
//! emu.clock().advance(Duration::from_secs(60));
//! let request = http::Request::get(format!("{}/api/2.0/token/list", emu.base_url()))
//!     .header("authorization", format!("Bearer {}", token.token_value))
//!     .body(bytes::Bytes::new())
//!     .expect("request");
//! let response = emu.transport().send(request).await.expect("response");
//! assert_eq!(response.status(), 403);
//! # }
//! ```
//!
//! Wire conventions shared by every endpoint (see `router.rs` for the order of checks):
//! parameters come from the JSON body merged with the query string (the query wins); empty
//! arrays are omitted from answers; every answer carries an `x-request-id` header; errors are
//! `{"error_code":..,"message":..}` with `Content-Type: application/json`.

mod admin;
mod api;
mod auth;
pub mod cli;
mod clock;
mod decode;
mod emulator;
mod env_or_emulator;
mod error;
mod faults;
mod fixtures;
mod incoming;
mod journal;
mod json_text;
pub mod limits;
mod params;
mod persist;
mod router;
mod server;
mod state;
mod transport;

#[doc(hidden)]
pub use api::{route_table, Access, RouteInfo};
pub use auth::{ACCOUNT_ID, WORKSPACE_ID};
pub use clock::{Clock, ClockMode};
pub use emulator::{
    BuildError, CreatedToken, Emulator, EmulatorBuilder, DEFAULT_ADMIN_TOKEN,
    DEFAULT_ADMIN_USER_NAME, DEFAULT_MAX_BODY_BYTES, DEFAULT_TOKEN_QUOTA, IN_PROCESS_BASE_URL,
};
pub use env_or_emulator::{config_from_env_or_emulator, EnvOrEmulatorError};
pub use error::{error_code_for_status, status_for_error_code, ApiError, ErrorCode};
pub use faults::{Fault, FaultStatus};
pub use fixtures::{FixtureError, Fixtures};
pub use journal::{JournalEntry, JOURNAL_CAPACITY};
pub use limits::StateLimits;
pub use persist::{StateError, STATE_FILE_NAME, STATE_FORMAT_VERSION};
pub use server::MockServer;
pub use state::clusters::{ClusterDelays, ClusterLevel};
pub use state::jobs::{JobDelays, ScriptedOutcome, ScriptedResult};
pub use state::libraries::{FailureKind, LibraryDelays, LibraryFailure};
pub use state::{GroupInfo, Principal, PrincipalKind, ServicePrincipal};
pub use transport::InProcessTransport;
