//! The usage role: one `api_usage` row per language-model call, and the sums read back for
//! budgets (spend since a time), a campaign's stats (its cost, per step) and leads (their
//! cost). Every read is scoped by `WorkspaceId`.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

#[async_trait]
pub trait Usage: Send + Sync + 'static {
    /// Writes `records` in one transaction.
    async fn record_usage(&self, records: &[UsageRecord]) -> Result<(), StoreError>;

    /// Dollars spent by the workspace (or by one of its campaigns) on calls since `since`.
    async fn spend_since(
        &self,
        ws: WorkspaceId,
        campaign: Option<CampaignId>,
        since: DateTime<Utc>,
    ) -> Result<f64, StoreError>;

    /// A campaign's cost, all time and since `today` (its `per_lead_usd` filled in). Zeros for
    /// a campaign without calls, or of another workspace.
    async fn campaign_cost(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        today: DateTime<Utc>,
    ) -> Result<CampaignCost, StoreError>;

    /// What each of `leads` cost in the campaign; leads without calls are absent.
    async fn lead_costs(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        leads: &[LeadId],
    ) -> Result<HashMap<LeadId, f64>, StoreError>;
}
