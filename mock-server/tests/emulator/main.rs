//! In-process tests of the emulator through its public API and `Emulator::transport()`.

mod admin;
mod auth;
mod connections;
mod faults;
mod jobs;
mod journal;
mod oauth;
mod robustness;
mod routing;
mod server;
mod support;
mod token;
