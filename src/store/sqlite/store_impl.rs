//! `impl Store for SqliteStore`: each method hands over to the file for its table family.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    SqliteStore, campaign_write, campaigns, dispatch_claim, dispatch_complete, dispatch_generated,
    dispatch_misc, dispatch_send, enroll, leads, mailboxes, meta, products, summary, suppressions,
    workspaces,
};
use crate::domain::{
    CampaignId, CampaignStatus, EmailAddress, LeadId, MailboxId, ProductId, WorkspaceId,
};
use crate::store::*;

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        meta::migrate(self).await
    }

    async fn verify_encryption_key(&self) -> Result<(), StoreError> {
        meta::verify_encryption_key(self).await
    }

    async fn readiness(&self) -> Readiness {
        meta::readiness(self).await
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
        }
    }

    async fn upsert_workspace(&self, name: &str) -> Result<Upserted<Workspace>, StoreError> {
        workspaces::upsert(self, name).await
    }

    async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError> {
        workspaces::by_name(&mut *self.read().await?, name).await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        workspaces::list(&mut *self.read().await?).await
    }

    async fn upsert_mailbox(
        &self,
        ws: WorkspaceId,
        spec: &MailboxSpec,
    ) -> Result<Upserted<Mailbox>, StoreError> {
        mailboxes::upsert(self, ws, spec).await
    }

    async fn list_mailboxes(&self, ws: WorkspaceId) -> Result<Vec<Mailbox>, StoreError> {
        mailboxes::list(&mut *self.read().await?, ws).await
    }

    async fn mailbox_by_address(
        &self,
        ws: WorkspaceId,
        address: &EmailAddress,
    ) -> Result<Option<Mailbox>, StoreError> {
        mailboxes::by_address(&mut *self.read().await?, ws, address).await
    }

    async fn mailbox_credentials(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<MailboxCredentials, StoreError> {
        mailboxes::credentials(self, ws, id).await
    }

    async fn upsert_product(
        &self,
        ws: WorkspaceId,
        spec: &ProductSpec,
    ) -> Result<Upserted<Product>, StoreError> {
        products::upsert(self, ws, spec).await
    }

    async fn product_by_name(
        &self,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Product>, StoreError> {
        products::by_name(&mut *self.read().await?, ws, name).await
    }

    async fn upsert_campaign(
        &self,
        ws: WorkspaceId,
        spec: &CampaignSpec,
    ) -> Result<Upserted<Campaign>, StoreError> {
        campaign_write::upsert(self, ws, spec).await
    }

    async fn campaign_by_name(
        &self,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Campaign>, StoreError> {
        campaigns::by_name(&mut *self.snapshot().await?, ws, name).await
    }

    async fn list_campaigns(&self, ws: WorkspaceId) -> Result<Vec<Campaign>, StoreError> {
        campaigns::list(&mut *self.snapshot().await?, ws).await
    }

    async fn campaign_steps(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
    ) -> Result<Vec<Step>, StoreError> {
        let mut tx = self.snapshot().await?;
        campaigns::find_name(&mut tx, ws, campaign).await?;
        campaigns::steps(&mut tx, campaign).await
    }

    async fn set_campaign_status(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        status: CampaignStatus,
    ) -> Result<(), StoreError> {
        campaigns::set_status(self, ws, campaign, status).await
    }

    async fn insert_leads(
        &self,
        ws: WorkspaceId,
        leads: &[NewLead],
    ) -> Result<Vec<LeadInsert>, StoreError> {
        leads::insert(self, ws, leads).await
    }

    async fn lead_by_email(
        &self,
        ws: WorkspaceId,
        email: &EmailAddress,
    ) -> Result<Option<Lead>, StoreError> {
        leads::by_email(&mut *self.read().await?, ws, email).await
    }

    async fn lead_ids(&self, ws: WorkspaceId) -> Result<Vec<LeadId>, StoreError> {
        leads::ids(&mut *self.read().await?, ws).await
    }

    async fn add_suppression(
        &self,
        ws: WorkspaceId,
        value: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        suppressions::add(self, ws, value, reason).await
    }

    async fn unsubscribe_by_send(
        &self,
        send: crate::domain::SendId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        super::unsubscribe::by_send(self, send, now).await
    }

    async fn is_suppressed(
        &self,
        ws: WorkspaceId,
        email: &EmailAddress,
    ) -> Result<bool, StoreError> {
        suppressions::contains(&mut *self.read().await?, ws, email).await
    }

    async fn enroll_leads(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        leads: &[LeadId],
        start_at: DateTime<Utc>,
    ) -> Result<EnrollOutcome, StoreError> {
        enroll::enroll(self, ws, campaign, leads, start_at).await
    }

    async fn campaigns_due(&self) -> Result<Vec<CampaignDue>, StoreError> {
        dispatch_misc::campaigns_due(&mut *self.read().await?).await
    }

    async fn due_backlog(&self, now: DateTime<Utc>, cap: u32) -> Result<u64, StoreError> {
        super::backlog::due_backlog(&mut *self.read().await?, now, cap).await
    }

    async fn claim_due(&self, req: &ClaimRequest) -> Result<Vec<ClaimedSend>, StoreError> {
        dispatch_claim::claim_due(self, req).await
    }

    async fn save_generated_many(
        &self,
        items: &[GeneratedFor],
    ) -> Result<Vec<GeneratedMessage>, StoreError> {
        dispatch_generated::save_generated_many(self, items).await
    }

    async fn mark_sending(
        &self,
        send: &SendRef,
        message_id: &str,
        now: DateTime<Utc>,
        lease_for: chrono::TimeDelta,
    ) -> Result<bool, StoreError> {
        dispatch_send::mark_sending(self, send, message_id, now, lease_for).await
    }

    async fn mark_sending_many(
        &self,
        sends: &[(SendRef, String)],
        now: DateTime<Utc>,
        lease_for: chrono::TimeDelta,
    ) -> Result<Vec<bool>, StoreError> {
        dispatch_send::mark_sending_many(self, sends, now, lease_for).await
    }

    async fn complete_sends(
        &self,
        completions: &[Completion],
        now: DateTime<Utc>,
    ) -> Result<CompletionReport, StoreError> {
        dispatch_complete::complete_sends(self, completions, now).await
    }

    async fn expire_leases(&self, now: DateTime<Utc>) -> Result<ExpiryReport, StoreError> {
        dispatch_send::expire_leases(self, now).await
    }

    async fn mailbox_usage(
        &self,
        mailbox: MailboxId,
        local_date: chrono::NaiveDate,
        since: DateTime<Utc>,
    ) -> Result<MailboxUsage, StoreError> {
        dispatch_misc::mailbox_usage(self, mailbox, local_date, since).await
    }

    async fn dispatch_mailboxes(&self) -> Result<Vec<Mailbox>, StoreError> {
        dispatch_misc::dispatch_mailboxes(&mut *self.read().await?).await
    }

    async fn set_mailbox_state(
        &self,
        mailbox: MailboxId,
        change: &MailboxStateChange,
    ) -> Result<(), StoreError> {
        dispatch_misc::set_mailbox_state(self, mailbox, change).await
    }

    async fn campaigns_changed_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        super::explain::campaigns_changed_at(&mut *self.read().await?).await
    }

    async fn enrolment_state(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        lead: LeadId,
    ) -> Result<Option<EnrolmentState>, StoreError> {
        super::explain::enrolment_state(&mut *self.read().await?, ws, campaign, lead).await
    }

    async fn new_leads_sent_since(
        &self,
        campaign: CampaignId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        claim_lease: chrono::TimeDelta,
    ) -> Result<u32, StoreError> {
        dispatch_misc::new_leads_sent_since(
            &mut *self.read().await?,
            campaign,
            since,
            now,
            claim_lease,
        )
        .await
    }

    async fn run_now(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        dispatch_misc::run_now(self, ws, campaign, now).await
    }

    async fn send_results(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        since: DateTime<Utc>,
    ) -> Result<Vec<SendResult>, StoreError> {
        super::report::send_results(self, ws, campaign, since).await
    }

    async fn campaign_by_id(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, StoreError> {
        campaigns::find(&mut *self.snapshot().await?, ws, id).await
    }

    async fn mailbox_by_id(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<Option<Mailbox>, StoreError> {
        mailboxes::by_id(&mut *self.read().await?, ws, id).await
    }

    async fn product_by_id(
        &self,
        ws: WorkspaceId,
        id: ProductId,
    ) -> Result<Option<Product>, StoreError> {
        products::by_id(&mut *self.read().await?, ws, id).await
    }

    async fn workspace_summary(
        &self,
        ws: WorkspaceId,
        now: DateTime<Utc>,
    ) -> Result<WorkspaceSummary, StoreError> {
        summary::workspace_summary(&mut *self.snapshot().await?, ws, now).await
    }

    // --- inbound ---
    async fn inbound_mailboxes(&self) -> Result<Vec<(Mailbox, InboundOptions)>, StoreError> {
        super::inbound::mailboxes(self).await
    }

    async fn set_inbound_options(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        options: &InboundOptions,
    ) -> Result<(), StoreError> {
        super::inbound::set_options(self, ws, mailbox, options).await
    }

    async fn inbound_options(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<InboundOptions>, StoreError> {
        super::inbound::options(self, ws, mailbox).await
    }

    async fn imap_checkpoints(
        &self,
        mailbox: MailboxId,
    ) -> Result<Vec<ImapCheckpoint>, StoreError> {
        super::inbound::checkpoints(self, mailbox).await
    }

    async fn save_imap_checkpoint(
        &self,
        mailbox: MailboxId,
        checkpoint: &ImapCheckpoint,
    ) -> Result<(), StoreError> {
        super::inbound::save_checkpoint(self, mailbox, checkpoint).await
    }

    async fn set_imap_status(
        &self,
        mailbox: MailboxId,
        status: &ImapStatus,
    ) -> Result<(), StoreError> {
        super::inbound::set_status(self, mailbox, status).await
    }

    async fn imap_status(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<ImapStatus>, StoreError> {
        super::inbound::status(self, ws, mailbox).await
    }

    async fn mailbox_leads(&self, mailbox: MailboxId) -> Result<MailboxLeads, StoreError> {
        super::inbound::leads(self, mailbox).await
    }

    async fn record_inbound(&self, record: &InboundRecord) -> Result<InboundOutcome, StoreError> {
        super::inbound::record(self, record).await
    }

    async fn mailbox_bounce_rate(
        &self,
        mailbox: MailboxId,
        window: u32,
    ) -> Result<BounceRate, StoreError> {
        super::inbound::bounce_rate(self, mailbox, window).await
    }

    async fn mailboxes_with_unknown_sends(&self) -> Result<Vec<MailboxId>, StoreError> {
        super::inbound::with_unknown(self).await
    }

    async fn unknown_sends(&self, mailbox: MailboxId) -> Result<Vec<UnknownSend>, StoreError> {
        super::inbound::unknown(self, mailbox).await
    }

    async fn resolve_unknown_send(
        &self,
        mailbox: MailboxId,
        send: crate::domain::SendId,
        resolution: UnknownResolution,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        super::inbound::resolve(self, mailbox, send, resolution, now).await
    }
}
