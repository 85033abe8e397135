//! outreachd: an actor-based daemon that runs AI-personalised cold-email campaigns.
//!
//! `main.rs` only parses the command line; everything else lives here, one module per concern
//! (see docs/architecture.md): `config` (settings), `domain` (pure types), `store` (persistence),
//! `actors` (the supervised tasks), `content`, `smtp`, `imap`, `limits`, `api` (HTTP),
//! `telemetry`, plus `manifest` (declarative apply files), `import` (CSV leads), `extract` (text of uploaded
//! documents) and `cli` (the commands).

pub mod actors;
pub mod ai;
pub mod api;
pub mod cli;
pub mod config;
pub mod content;
pub mod domain;
pub mod extract;
pub mod fetch;
pub mod imap;
pub mod import;
pub mod limits;
pub mod manifest;
pub mod service;
pub mod smtp;
pub mod startup;
pub mod store;
pub mod telemetry;
