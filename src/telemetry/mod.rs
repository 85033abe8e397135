//! Observability: tracing set-up and the metric catalogue.
//!
//! Every metric is declared once in [`catalogue`] with help text that tells an operator what to
//! do when it moves; other modules get typed handles from here and never name a metric
//! themselves (clippy forbids the raw `metrics` macros outside this module).

pub mod catalogue;
mod logging;

pub use catalogue::{CATALOGUE, MetricDef, MetricKind, Metrics};
pub use logging::init_tracing;
