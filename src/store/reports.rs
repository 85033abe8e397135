//! The reports role: read-only views for people and gauges: the workspace summary of
//! `outreachd status`, send results of Run Now, one lead's enrolment for `explain`, and the
//! due backlog.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

/// Read-only views: summaries, send results, `explain` and the due backlog.
#[async_trait]
pub trait Reports: Send + Sync + 'static {
    async fn workspace_summary(
        &self,
        ws: WorkspaceId,
        now: DateTime<Utc>,
    ) -> Result<WorkspaceSummary, StoreError>;

    /// Send rows of a campaign changed at or after `since`, by lead email then step.
    async fn send_results(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        since: DateTime<Utc>,
    ) -> Result<Vec<SendResult>, StoreError>;

    /// One lead's row in one campaign (`outreachd explain`); `None` when not enrolled.
    async fn enrolment_state(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        lead: LeadId,
    ) -> Result<Option<EnrolmentState>, StoreError>;

    /// Lead steps of running campaigns (all workspaces) due at `now`, in flight included,
    /// counted up to `cap` (the cost stays bounded): the due-backlog metric, read every few
    /// seconds by the supervisor.
    async fn due_backlog(&self, now: DateTime<Utc>, cap: u32) -> Result<u64, StoreError>;
}
