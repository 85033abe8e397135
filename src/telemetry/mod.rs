//! Observability: tracing set-up and the metric catalogue.
//!
//! Every metric is declared once in [`catalogue`] with help text that tells an operator what to
//! do when it moves; other modules get typed handles from [`handles`] (built once per actor)
//! and never name a metric themselves (clippy forbids the raw `metrics` macros outside this
//! module).

pub mod catalogue;
pub mod handles;
mod logging;
mod provider_class;
mod recorder;
mod reload;

pub use catalogue::{CATALOGUE, MetricDef, MetricKind};
pub use handles::{
    ActorKind, CampaignMetrics, CompletionMetrics, ContentMetrics, GenerationResult, HttpMetrics,
    ImapMailboxMetrics, InboundClass, InboundMetrics, InboundReview, MailboxMetrics,
    OperatorMetrics, SupervisorMetrics, TextReadiness,
};
pub use logging::{init_tracing, set_log_level};
pub use provider_class::ProviderClass;
pub use recorder::Metrics;
