//! Typed metric handles, one struct per user (mailbox actor, campaign actor, content
//! generation, supervisor, IMAP poller). Each is built once (at actor or daemon start) from
//! [`Metrics`]; recording through it is an atomic operation, no registry lookup.
#![allow(clippy::disallowed_macros)] // handles are built here, from the catalogue's names

mod content;
mod dispatch;
mod http;
mod inbound;
mod operator;
mod smtp_error;
mod supervisor;
#[cfg(test)]
mod tests;

pub use content::{ContentMetrics, GenerationResult, TextReadiness};
pub use dispatch::{CampaignMetrics, CompletionMetrics, MailboxMetrics, OUTCOMES, outcome_label};
pub use http::HttpMetrics;
pub use inbound::{ImapMailboxMetrics, InboundClass, InboundMetrics, InboundReview, PollerUp};
pub use operator::OperatorMetrics;
pub use smtp_error::SmtpErrorType;
pub use supervisor::{ActorKind, DbPoolGauges, SupervisorMetrics};

use super::Metrics;

impl Metrics {
    /// Handles for one mailbox actor, labelled with its address.
    pub fn mailbox(&self, address: &str) -> MailboxMetrics {
        MailboxMetrics::new(address)
    }

    /// Handles for one campaign actor.
    pub fn campaign(&self, campaign: crate::domain::CampaignId) -> CampaignMetrics {
        CampaignMetrics::new(campaign)
    }

    /// Handles for content generation with the configured provider (and the template
    /// fallback).
    pub fn content(&self, provider: &'static str) -> ContentMetrics {
        ContentMetrics::new(provider)
    }

    /// Handles for the completion writer.
    pub fn completions(&self) -> CompletionMetrics {
        CompletionMetrics::new()
    }

    /// Handles for the supervisor.
    pub fn supervisor(&self) -> SupervisorMetrics {
        SupervisorMetrics::new()
    }

    /// Handles for the IMAP poller (classification, lag, reply-to-stop latency).
    pub fn inbound(&self) -> InboundMetrics {
        InboundMetrics::new()
    }

    pub fn db_pool(&self) -> DbPoolGauges {
        DbPoolGauges::new()
    }
}
