//! What the integration test targets share: databases and stores per test, the daemon in
//! process (`spawn_app`) and as a child process, a real smtp-sink, seeded campaigns, TLS
//! certificates, small PDF and .docx documents, the mail peers' addresses, and the policy for
//! a missing peer or tool. Each target under `tests/<name>/`
//! declares it once, in its `main.rs`, as `#[path = "../support/mod.rs"] mod support;` (a target's
//! modules resolve under its own directory, so a shared one needs the path) and re-exports what
//! its test modules reach by a short name (`crate::helpers`, `crate::sink`, `crate::fixtures`).
//!
//! Real services only, no fakes; a target's own helpers (the store fixtures, the crash ledger,
//! the Dovecot users of the inbound tests) stay in its directory.
// Every target compiles the whole tree and uses a different part of it.
#![allow(dead_code)]

pub mod app;
pub mod binary;
pub mod certs;
pub mod database;
pub mod documents;
pub mod fixtures;
pub mod mail_peers;
pub mod sink;
pub mod skip;

// Test modules reach the database helpers as `crate::support::X`; the smtp target uses none.
#[allow(unused_imports)]
pub use database::*;
