//! The `Store` conformance suite: the contract both backends must keep, run against each.
//!
//! Every test here is declared with `on_both_backends!`, so it exists twice, as
//! `<module>::postgres::<name>` and `<module>::sqlite::<name>`; `cargo test --test store
//! postgres::` runs one half. Tests go through the `Store` trait only, except where the trait has
//! no way to observe or set something (which mailbox a lead was given, a lead's unsubscribe): then
//! `sql` runs plain SQL that is valid on both schemas. `postgres_only` holds checks that need
//! backend-specific SQL (send counts per local date, leads on later steps).

#[path = "../support/mod.rs"]
mod support;

mod campaign_control;
mod campaigns;
mod catalog_edits;
mod dispatch_claim;
mod dispatch_fixtures;
mod dispatch_lookups;
mod dispatch_marks;
mod dispatch_misc;
mod dispatch_outcomes;
mod dispatch_prefetch;
mod dispatch_stops;
mod dispatch_throughput;
mod enroll;
mod fixtures;
mod inbound;
mod isolation;
mod lead_records;
mod leads;
mod mailboxes;
mod operator;
mod personas;
mod postgres_only;
mod postgres_writes;
mod privacy;
mod products;
mod replies;
mod reviews;
mod schema;
mod sql;
mod summary;
mod suppressions;
mod usage;
mod workspaces;
