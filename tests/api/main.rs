//! HTTP-level integration tests: the real daemon (`startup::Application`) on port 0, over a
//! fresh PostgreSQL database or SQLite file per test, driven through its HTTP API.
//!
//! One test binary for all API tests (zero-to-production's layout): it links the crate once and
//! shares `helpers::spawn_app`. Add a module per area of the API.

#[path = "../support/mod.rs"]
mod support;
use support::app as helpers;
use support::fixtures;
use support::sink;

mod ai_cost;
mod auth;
mod campaign_leads;
mod campaign_run;
mod campaign_setup;
mod campaigns;
mod client;
mod events;
mod explain;
mod health;
mod idempotency;
mod import_mapping;
mod imports;
mod insights;
mod leads;
mod listeners;
mod mailboxes;
mod members;
mod openapi;
mod personas;
mod preview;
mod privacy;
mod products;
mod replies;
mod reviews;
mod run_now;
mod sends;
mod stats;
mod suppressions;
mod tenancy;
mod tenancy_reads;
mod walk;
