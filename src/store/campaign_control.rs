//! The campaign-control role: what the API's campaign routes read and write beyond the
//! catalog: a campaign replaced by id, guarded status moves, deleting a draft, its leads listed
//! a page at a time with their counts, one enrolment for a preview, and Run Now jobs with what
//! their reports read.
//!
//! Every method takes the `WorkspaceId` and filters by it: an id of another workspace behaves
//! as one that does not exist.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

#[async_trait]
pub trait CampaignControl: Send + Sync + 'static {
    /// Creates a campaign as `upsert_campaign` would, but never updates one: `Conflict` when
    /// the workspace has a campaign with that name.
    async fn create_campaign(
        &self,
        ws: WorkspaceId,
        spec: &CampaignSpec,
    ) -> Result<Campaign, StoreError>;

    /// Writes campaign `id` as `upsert_campaign` writes the campaign named in `spec` (same
    /// steps rule: dropping a step active leads still have to send is a `Conflict`), renaming
    /// it to `spec.name`. `NotFound` when `id` is not in the workspace; `Conflict` when another
    /// campaign has the name.
    async fn replace_campaign(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
        spec: &CampaignSpec,
    ) -> Result<Upserted<Campaign>, StoreError>;

    /// Moves the campaign from `from` to `to`; `false` (nothing written) when it no longer has
    /// `from` or is not in the workspace. A compare-and-set: two moves cannot both succeed.
    async fn transition_campaign(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
        from: CampaignStatus,
        to: CampaignStatus,
    ) -> Result<bool, StoreError>;

    /// Deletes a `draft` campaign nothing was sent from (its steps, pool, enrolments, stored
    /// previews and runs with it).
    async fn delete_draft_campaign(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<DraftDeletion, StoreError>;

    /// The campaign's enrolments by status (statuses with none are absent).
    async fn campaign_lead_counts(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<BTreeMap<CampaignLeadStatus, u64>, StoreError>;

    /// Up to `query.limit` enrolments of the campaign after `query.after`, by enrolment id
    /// (time-ordered: oldest enrolment first).
    async fn list_campaign_leads(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        query: &CampaignLeadQuery,
    ) -> Result<Vec<CampaignLeadInfo>, StoreError>;

    /// The lead's enrolment in the campaign with the lead itself; `None` when not enrolled.
    async fn enrolled_lead(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        lead: LeadId,
    ) -> Result<Option<EnrolledLead>, StoreError>;

    /// The text stored for (campaign lead, step): what went out, or will.
    async fn stored_text(
        &self,
        ws: WorkspaceId,
        campaign_lead: CampaignLeadId,
        step_order: u32,
    ) -> Result<Option<GeneratedMessage>, StoreError>;

    async fn insert_run(&self, run: &CampaignRun) -> Result<(), StoreError>;

    async fn campaign_run(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        id: RunId,
    ) -> Result<Option<CampaignRun>, StoreError>;

    /// Records that the run's report is complete (once: a later call keeps the first time).
    async fn finish_run(
        &self,
        ws: WorkspaceId,
        id: RunId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Active leads of the campaign a run made due at `due_by` that have not moved on (still
    /// due at or before it), and those under a claim, grouped by what decides their fate.
    async fn run_waiting(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        due_by: DateTime<Utc>,
    ) -> Result<Vec<WaitingGroup>, StoreError>;

    /// The same leads one by one (not those under a claim), by email, at most `limit`.
    async fn run_waiting_leads(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        due_by: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<WaitingLead>, StoreError>;

    /// Send rows of the campaign created by `until` and changed since `since` (with their state
    /// now), by lead email then step.
    async fn run_results(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<SendResult>, StoreError>;
}
