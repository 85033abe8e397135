//! What language-model calls cost: one [`UsageRecord`] per call (the `api_usage` table), and
//! the sums people read ([`CampaignCost`] in a campaign's stats, a lead's cost).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{CampaignId, LeadId, WorkspaceId};
use crate::ai::Purpose;

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageOutcome {
    /// The provider answered and its answer was used.
    Ok,
    /// The provider failed (after its own retries); nothing was used.
    Error,
    /// The provider failed or its answer was refused, and the rendered template was sent.
    Fallback,
}

impl UsageOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Fallback => "fallback",
        }
    }
}

/// One call to a language model, as `api_usage` keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageRecord {
    pub workspace_id: WorkspaceId,
    /// The campaign the call served, when it served one.
    pub campaign_id: Option<CampaignId>,
    pub lead_id: Option<LeadId>,
    /// The sequence step, for an email.
    pub step_order: Option<u32>,
    pub purpose: Purpose,
    /// `"openai"`, `"anthropic"`, ... (the configured provider, also after a fallback).
    pub provider: String,
    pub model: Option<String>,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub cost_usd: f64,
    pub latency: Duration,
    pub outcome: UsageOutcome,
    /// Why the call failed or was not used (the provider's error, never a key).
    pub error: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// The cost of one step of a campaign, all time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct StepCost {
    pub step: u32,
    pub cost_usd: f64,
}

/// What a campaign's language-model calls cost, in US dollars (from the configured prices).
/// `per_lead_usd = total_usd / leads` (0 when no lead cost anything): the average cost of a
/// lead that was written for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct CampaignCost {
    pub total_usd: f64,
    /// Since 00:00 UTC today (what the daily budget counts).
    pub today_usd: f64,
    /// Calls made, failed ones included.
    pub calls: u64,
    /// Distinct leads with at least one call.
    pub leads: u64,
    pub per_lead_usd: f64,
    /// Steps with calls, in order.
    pub steps: Vec<StepCost>,
}

impl CampaignCost {
    /// Fills in [`Self::per_lead_usd`] from the total and the lead count.
    pub fn with_average(mut self) -> Self {
        self.per_lead_usd = if self.leads == 0 {
            0.0
        } else {
            round_usd(self.total_usd / self.leads as f64)
        };
        self
    }
}

/// Dollars rounded to a millionth (a token costs less than a cent; sums of floats drift).
pub fn round_usd(usd: f64) -> f64 {
    (usd * 1e6).round() / 1e6
}
