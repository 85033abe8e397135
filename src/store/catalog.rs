//! The catalog role: what `apply`, the importer and the API write and read back: workspaces,
//! mailboxes, products, campaigns with their steps, leads, suppressions and enrolments.
//!
//! `Catalog` is the sum of one small trait per entity family, so a backend implements each in
//! the file that owns its SQL. Upserts are idempotent and report [`Change::Unchanged`] when
//! nothing differs; every tenant method takes a `WorkspaceId` and filters by it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

/// Everything `apply`, the importer and the API keep: the entity families together.
pub trait Catalog:
    Workspaces + Mailboxes + Products + Campaigns + Leads + Suppressions + Enrolment
{
}

impl<T: Workspaces + Mailboxes + Products + Campaigns + Leads + Suppressions + Enrolment> Catalog
    for T
{
}

/// Workspaces: the tenants.
#[async_trait]
pub trait Workspaces: Send + Sync + 'static {
    async fn upsert_workspace(&self, name: &str) -> Result<Upserted<Workspace>, StoreError>;

    async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError>;

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError>;
}

/// Mailboxes and their encrypted credentials.
#[async_trait]
pub trait Mailboxes: Send + Sync + 'static {
    async fn upsert_mailbox(
        &self,
        ws: WorkspaceId,
        spec: &MailboxSpec,
    ) -> Result<Upserted<Mailbox>, StoreError>;

    async fn list_mailboxes(&self, ws: WorkspaceId) -> Result<Vec<Mailbox>, StoreError>;

    async fn mailbox_by_address(
        &self,
        ws: WorkspaceId,
        address: &EmailAddress,
    ) -> Result<Option<Mailbox>, StoreError>;

    async fn mailbox_by_id(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<Option<Mailbox>, StoreError>;

    async fn mailbox_credentials(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<MailboxCredentials, StoreError>;
}

/// Products, described for the content generator.
#[async_trait]
pub trait Products: Send + Sync + 'static {
    async fn upsert_product(
        &self,
        ws: WorkspaceId,
        spec: &ProductSpec,
    ) -> Result<Upserted<Product>, StoreError>;

    async fn product_by_name(
        &self,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Product>, StoreError>;

    async fn product_by_id(
        &self,
        ws: WorkspaceId,
        id: ProductId,
    ) -> Result<Option<Product>, StoreError>;
}

/// Campaigns, their mailbox pools and their steps.
#[async_trait]
pub trait Campaigns: Send + Sync + 'static {
    /// Creates or updates a campaign, its mailbox pool and its steps (matched by position).
    /// Removing a step that enrolled leads still have to send fails with `Conflict`.
    async fn upsert_campaign(
        &self,
        ws: WorkspaceId,
        spec: &CampaignSpec,
    ) -> Result<Upserted<Campaign>, StoreError>;

    async fn campaign_by_name(
        &self,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Campaign>, StoreError>;

    async fn campaign_by_id(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, StoreError>;

    async fn list_campaigns(&self, ws: WorkspaceId) -> Result<Vec<Campaign>, StoreError>;

    /// Steps in `step_order`.
    async fn campaign_steps(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
    ) -> Result<Vec<Step>, StoreError>;

    async fn set_campaign_status(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        status: CampaignStatus,
    ) -> Result<(), StoreError>;
}

/// Leads, inserted in batches.
#[async_trait]
pub trait Leads: Send + Sync + 'static {
    /// Inserts leads in one round trip per call; a lead whose email exists already (case-
    /// insensitively, or earlier in the same batch) is left untouched and reported `Existing`.
    /// Every `NewLead` must have an email. Results are in input order.
    async fn insert_leads(
        &self,
        ws: WorkspaceId,
        leads: &[NewLead],
    ) -> Result<Vec<LeadInsert>, StoreError>;

    async fn lead_by_email(
        &self,
        ws: WorkspaceId,
        email: &EmailAddress,
    ) -> Result<Option<Lead>, StoreError>;

    /// All lead ids of the workspace, oldest first (for `enroll --all`).
    async fn lead_ids(&self, ws: WorkspaceId) -> Result<Vec<LeadId>, StoreError>;
}

/// Suppressed addresses and domains, and unsubscribe links.
#[async_trait]
pub trait Suppressions: Send + Sync + 'static {
    /// Suppresses an address (`value` contains '@') or a whole domain. Idempotent. Also stops
    /// every active campaign lead of the workspace it matches (status `unsubscribed`, stop
    /// reason `suppressed: <reason>`, no next due time), so a suppressed lead never stays due.
    async fn add_suppression(
        &self,
        ws: WorkspaceId,
        value: &str,
        reason: &str,
    ) -> Result<(), StoreError>;

    async fn is_suppressed(
        &self,
        ws: WorkspaceId,
        email: &EmailAddress,
    ) -> Result<bool, StoreError>;

    /// The unsubscribe link of a message was used: its lead is marked unsubscribed and its
    /// address suppressed workspace-wide (which stops its active sequences). Returns the
    /// address, or `None` for an unknown send. Idempotent.
    async fn unsubscribe_by_send(
        &self,
        send: SendId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError>;
}

/// Leads enrolled into campaigns.
#[async_trait]
pub trait Enrolment: Send + Sync + 'static {
    /// Enrols leads into a campaign, due from `start_at`. Each new enrolment gets a mailbox from
    /// the campaign's pool: the one with the fewest active enrolments in this campaign (ties by
    /// pool order). Already-enrolled leads are counted and left alone; suppressed or
    /// unsubscribed leads are counted and skipped. Fails with `Conflict` if the pool is empty.
    async fn enroll_leads(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        leads: &[LeadId],
        start_at: DateTime<Utc>,
    ) -> Result<EnrollOutcome, StoreError>;

    /// Run Now: every active lead of the campaign becomes due at `now` (delays and windows
    /// ignored; caps, suppressions and unsubscribes still apply at claim and send time).
    /// Returns how many leads were made due.
    async fn run_now(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}
