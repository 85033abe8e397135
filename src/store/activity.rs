//! The activity role: what a workspace's campaigns did, read back for people: the email log
//! (sends with their stored text), engagement events, and the counts behind a campaign's stats.
//! Read-only; every method is scoped by `WorkspaceId`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

#[async_trait]
pub trait Activity: Send + Sync + 'static {
    /// Sends matching `filter`, by id (time order), at most `filter.limit` of them.
    async fn list_sends(
        &self,
        ws: WorkspaceId,
        filter: &SendFilter,
    ) -> Result<Vec<SendRecord>, StoreError>;

    /// Engagement events matching `filter`, by id (time order), at most `filter.limit`.
    async fn list_events(
        &self,
        ws: WorkspaceId,
        filter: &EventFilter,
    ) -> Result<Vec<EventRecord>, StoreError>;

    /// A lead of the workspace by id (`None` for another workspace's).
    async fn lead_of_workspace(
        &self,
        ws: WorkspaceId,
        id: LeadId,
    ) -> Result<Option<Lead>, StoreError>;

    /// The counts behind a campaign's stats (see `domain::CampaignStats` for what each means),
    /// with days from `since` on. `NotFound` for a campaign of another workspace.
    async fn campaign_counts(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        since: DateTime<Utc>,
    ) -> Result<CampaignCounts, StoreError>;
}
