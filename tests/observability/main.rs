//! The observability artefacts checked with the real tools: the Prometheus alert rules and their
//! unit tests (`promtool`), the Grafana dashboard (every expression parsed by `promtool`, the
//! JSON type-checked against npm `@grafana/schema` with `tsc --strict`), every metric they use
//! declared in the catalogue, and a `/metrics` scrape after an end-to-end run linted by
//! `promtool check metrics`.
//!
//! Without promtool or npm a check is skipped with a note, except under `CI`, where
//! scripts/test.sh installs them and their absence is a failure.

#[path = "../support/mod.rs"]
mod support;
use support::{app as helpers, fixtures, sink};

mod backlog;
mod dashboard;
mod rules;
mod scrape;
mod tools;
