//! `[replies]`: whether answers to lead replies are drafted, and by which model.

use serde::{Deserialize, Serialize};

use crate::ai::{AiSettings, ProviderName};
use crate::domain::HumanDuration;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplySettings {
    /// Draft an answer to each reply that stops a lead, for a person to approve. Off by
    /// default: every draft is a paid model call.
    pub enabled: bool,
    /// The `[ai.*]` provider that drafts (its key, limits and prices apply).
    pub provider: ProviderName,
    /// The model to ask; empty uses the provider's own `model`.
    pub model: String,
    /// How often replies still without a draft are tried again: a draft that failed (the
    /// model was down) or an offer dropped while the drafter was busy. Each try of a failed
    /// draft is a model call.
    pub retry_interval: HumanDuration,
}

impl Default for ReplySettings {
    fn default() -> Self {
        Self {
            enabled: false,
            provider: ProviderName::Openai,
            model: String::new(),
            retry_interval: HumanDuration::from_secs(600),
        }
    }
}

impl ReplySettings {
    /// The model to ask, `None` for the provider's configured one.
    pub fn model(&self) -> Option<&str> {
        Some(self.model.trim()).filter(|m| !m.is_empty())
    }

    /// With drafting on, the provider must be usable with the model.
    pub fn validate(&self, ai: &AiSettings) -> Vec<String> {
        if !self.enabled {
            return Vec::new();
        }
        if self.retry_interval.as_duration().is_zero() {
            return vec!["replies.retry_interval: must be more than 0s".into()];
        }
        match ai.check_usable(self.provider, self.model()) {
            Ok(()) => Vec::new(),
            Err(e) => vec![format!("replies: {e}")],
        }
    }
}
