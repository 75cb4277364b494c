//! In-process tests of the emulator through its public API and `Emulator::transport()`.

mod admin;
mod auth;
mod clusters;
mod connections;
mod cross_family;
mod faults;
mod groups;
mod jobs;
mod journal;
mod limits;
mod oauth;
mod robustness;
mod routing;
mod scim;
mod server;
mod support;
mod token;
