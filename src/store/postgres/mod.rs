//! The PostgreSQL backend (production; several daemons may share one database).
//!
//! This file connects the pool and routes each `Store` method to the file that owns its SQL:
//! `meta` (migrations, readiness, key canary), `workspaces`, `mailboxes`, `products`,
//! `campaigns` (+ `campaign_write` for the upsert), `leads`, `suppressions`, `enroll` and
//! `summary`. Bulk paths (`insert_leads`, `enroll_leads`) bind whole columns as arrays and
//! `UNNEST` them, so a batch costs a fixed number of round trips whatever its size.
//!
//! The step contract lives in `dispatch_claim` (one `SKIP LOCKED` statement per claim),
//! `dispatch_send` (stored text, `claimed → sending` one by one or per batch, lease expiry),
//! `dispatch_complete`, `dispatch_batch` and `dispatch_outcomes` (one statement per outcome
//! kind per batch) and `dispatch_misc` (what the supervisor reads, lookups by id); `deadlock`
//! retries a unit PostgreSQL aborted to break one.

mod backlog;
mod campaign_write;
mod campaigns;
mod deadlock;
mod dispatch_batch;
mod dispatch_claim;
mod dispatch_complete;
mod dispatch_generated;
mod dispatch_misc;
mod dispatch_outcomes;
mod dispatch_send;
mod enroll;
mod explain;
mod inbound;
mod leads;
mod mailboxes;
mod meta;
mod operator;
mod plans;
mod products;
mod report;
mod summary;
mod suppressions;
mod unsubscribe;
mod workspaces;

#[cfg(test)]
mod tests_plans;
#[cfg(test)]
mod tests_probe_joins;

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::*;
use crate::config::DatabaseSettings;

/// A `Store` over a PostgreSQL connection pool.
pub struct PgStore {
    pool: PgPool,
    cipher: SecretCipher,
}

impl PgStore {
    /// Connects eagerly, so a wrong URL, password or host fails at start-up with the (redacted)
    /// URL in the message, not at the first query. `open` connections are opened at once: one
    /// for a tool, the whole pool for the daemon. A new connection costs a TLS handshake (about
    /// 90 ms on loopback with the default `sslmode=prefer`, against 6 ms without TLS), and a
    /// daemon that opened them one by one as load grew made an actor wait for each one in its
    /// first second of sending; opened together they cost one handshake's time.
    pub async fn connect(
        settings: &DatabaseSettings,
        cipher: SecretCipher,
        open: Opened,
    ) -> Result<Self, StoreError> {
        let url = settings.url();
        let connect_error = |source| StoreError::Connect {
            url: redact_url(url),
            source,
        };
        let options = PgConnectOptions::from_str(url)
            .map_err(connect_error)?
            .application_name("outreachd");
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout.as_duration())
            .connect_lazy_with(options);
        let count = match open {
            Opened::One => 1,
            Opened::All => settings.max_connections.max(1),
        };
        let opened = futures_util::future::join_all((0..count).map(|_| pool.acquire())).await;
        let mut failures = opened.into_iter().filter_map(Result::err);
        // The pool stays usable if only some failed (the server's connection limit, say):
        // queries report their own errors. None opened: the settings are wrong.
        if let Some(first) = failures.next() {
            let failed = 1 + failures.count();
            if failed == count as usize {
                return Err(connect_error(first));
            }
            tracing::warn!(failed, error = %first, "Some database connections could not be opened yet.");
        }
        Ok(Self { pool, cipher })
    }
}

/// How many connections [`PgStore::connect`] opens before it returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opened {
    One,
    All,
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        meta::migrate(&self.pool).await
    }

    async fn verify_encryption_key(&self) -> Result<(), StoreError> {
        meta::verify_encryption_key(&self.pool, &self.cipher).await
    }

    async fn readiness(&self) -> Readiness {
        meta::readiness(&self.pool).await
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
        }
    }

    async fn upsert_workspace(&self, name: &str) -> Result<Upserted<Workspace>, StoreError> {
        workspaces::upsert(&self.pool, name).await
    }

    async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError> {
        workspaces::by_name(&self.pool, name).await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        workspaces::list(&self.pool).await
    }

    async fn upsert_mailbox(
        &self,
        ws: WorkspaceId,
        spec: &MailboxSpec,
    ) -> Result<Upserted<Mailbox>, StoreError> {
        mailboxes::upsert(&self.pool, &self.cipher, ws, spec).await
    }

    async fn list_mailboxes(&self, ws: WorkspaceId) -> Result<Vec<Mailbox>, StoreError> {
        mailboxes::list(&self.pool, ws).await
    }

    async fn mailbox_by_address(
        &self,
        ws: WorkspaceId,
        address: &EmailAddress,
    ) -> Result<Option<Mailbox>, StoreError> {
        mailboxes::by_address(&self.pool, ws, address).await
    }

    async fn mailbox_credentials(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<MailboxCredentials, StoreError> {
        mailboxes::credentials(&self.pool, &self.cipher, ws, id).await
    }

    async fn upsert_product(
        &self,
        ws: WorkspaceId,
        spec: &ProductSpec,
    ) -> Result<Upserted<Product>, StoreError> {
        products::upsert(&self.pool, ws, spec).await
    }

    async fn product_by_name(
        &self,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Product>, StoreError> {
        products::by_name(&self.pool, ws, name).await
    }

    async fn upsert_campaign(
        &self,
        ws: WorkspaceId,
        spec: &CampaignSpec,
    ) -> Result<Upserted<Campaign>, StoreError> {
        campaign_write::upsert(&self.pool, ws, spec).await
    }

    async fn campaign_by_name(
        &self,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Campaign>, StoreError> {
        campaigns::by_name(&self.pool, ws, name).await
    }

    async fn list_campaigns(&self, ws: WorkspaceId) -> Result<Vec<Campaign>, StoreError> {
        campaigns::list(&self.pool, ws).await
    }

    async fn campaign_steps(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
    ) -> Result<Vec<Step>, StoreError> {
        campaigns::steps(&self.pool, ws, campaign).await
    }

    async fn set_campaign_status(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        status: CampaignStatus,
    ) -> Result<(), StoreError> {
        campaigns::set_status(&self.pool, ws, campaign, status).await
    }

    async fn insert_leads(
        &self,
        ws: WorkspaceId,
        leads: &[NewLead],
    ) -> Result<Vec<LeadInsert>, StoreError> {
        leads::insert(&self.pool, ws, leads).await
    }

    async fn lead_by_email(
        &self,
        ws: WorkspaceId,
        email: &EmailAddress,
    ) -> Result<Option<Lead>, StoreError> {
        leads::by_email(&self.pool, ws, email).await
    }

    async fn lead_ids(&self, ws: WorkspaceId) -> Result<Vec<LeadId>, StoreError> {
        leads::ids(&self.pool, ws).await
    }

    async fn add_suppression(
        &self,
        ws: WorkspaceId,
        value: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        suppressions::add(&self.pool, ws, value, reason).await
    }

    async fn unsubscribe_by_send(
        &self,
        send: crate::domain::SendId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        unsubscribe::by_send(&self.pool, send, now).await
    }

    async fn is_suppressed(
        &self,
        ws: WorkspaceId,
        email: &EmailAddress,
    ) -> Result<bool, StoreError> {
        suppressions::contains(&self.pool, ws, email).await
    }

    async fn enroll_leads(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        leads: &[LeadId],
        start_at: DateTime<Utc>,
    ) -> Result<EnrollOutcome, StoreError> {
        enroll::enroll(&self.pool, ws, campaign, leads, start_at).await
    }

    async fn campaigns_due(&self) -> Result<Vec<CampaignDue>, StoreError> {
        dispatch_misc::campaigns_due(&self.pool).await
    }

    async fn due_backlog(&self, now: DateTime<Utc>, cap: u32) -> Result<u64, StoreError> {
        backlog::due_backlog(&self.pool, now, cap).await
    }

    async fn claim_due(&self, req: &ClaimRequest) -> Result<Vec<ClaimedSend>, StoreError> {
        dispatch_claim::claim_due(&self.pool, req).await
    }

    async fn save_generated_many(
        &self,
        items: &[GeneratedFor],
    ) -> Result<Vec<GeneratedMessage>, StoreError> {
        dispatch_generated::save_generated_many(&self.pool, items).await
    }

    async fn mark_sending(
        &self,
        send: &SendRef,
        message_id: &str,
        now: DateTime<Utc>,
        lease_for: chrono::TimeDelta,
    ) -> Result<bool, StoreError> {
        dispatch_send::mark_sending(&self.pool, send, message_id, now, lease_for).await
    }

    async fn mark_sending_many(
        &self,
        sends: &[(SendRef, String)],
        now: DateTime<Utc>,
        lease_for: chrono::TimeDelta,
    ) -> Result<Vec<bool>, StoreError> {
        dispatch_send::mark_sending_many(&self.pool, sends, now, lease_for).await
    }

    async fn complete_sends(
        &self,
        completions: &[Completion],
        now: DateTime<Utc>,
    ) -> Result<CompletionReport, StoreError> {
        dispatch_complete::complete_sends(&self.pool, completions, now).await
    }

    async fn expire_leases(&self, now: DateTime<Utc>) -> Result<ExpiryReport, StoreError> {
        dispatch_send::expire_leases(&self.pool, now).await
    }

    async fn mailbox_usage(
        &self,
        mailbox: MailboxId,
        local_date: chrono::NaiveDate,
        since: DateTime<Utc>,
    ) -> Result<MailboxUsage, StoreError> {
        dispatch_misc::mailbox_usage(&self.pool, mailbox, local_date, since).await
    }

    async fn dispatch_mailboxes(&self) -> Result<Vec<Mailbox>, StoreError> {
        dispatch_misc::dispatch_mailboxes(&self.pool).await
    }

    async fn set_mailbox_state(
        &self,
        mailbox: MailboxId,
        change: &MailboxStateChange,
    ) -> Result<(), StoreError> {
        dispatch_misc::set_mailbox_state(&self.pool, mailbox, change).await
    }

    async fn campaigns_changed_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        explain::campaigns_changed_at(&self.pool).await
    }

    async fn enrolment_state(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        lead: LeadId,
    ) -> Result<Option<EnrolmentState>, StoreError> {
        explain::enrolment_state(&self.pool, ws, campaign, lead).await
    }

    async fn new_leads_sent_since(
        &self,
        campaign: CampaignId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        claim_lease: chrono::TimeDelta,
    ) -> Result<u32, StoreError> {
        dispatch_misc::new_leads_sent_since(&self.pool, campaign, since, now, claim_lease).await
    }

    async fn run_now(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        dispatch_misc::run_now(&self.pool, ws, campaign, now).await
    }

    async fn send_results(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        since: DateTime<Utc>,
    ) -> Result<Vec<SendResult>, StoreError> {
        report::send_results(&self.pool, ws, campaign, since).await
    }

    async fn campaign_by_id(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, StoreError> {
        dispatch_misc::campaign_by_id(&self.pool, ws, id).await
    }

    async fn mailbox_by_id(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<Option<Mailbox>, StoreError> {
        dispatch_misc::mailbox_by_id(&self.pool, ws, id).await
    }

    async fn product_by_id(
        &self,
        ws: WorkspaceId,
        id: ProductId,
    ) -> Result<Option<Product>, StoreError> {
        dispatch_misc::product_by_id(&self.pool, ws, id).await
    }

    async fn workspace_summary(
        &self,
        ws: WorkspaceId,
        now: DateTime<Utc>,
    ) -> Result<WorkspaceSummary, StoreError> {
        summary::workspace(&self.pool, ws, now).await
    }

    // --- inbound ---
    async fn inbound_mailboxes(&self) -> Result<Vec<(Mailbox, InboundOptions)>, StoreError> {
        inbound::mailboxes(&self.pool).await
    }

    async fn set_inbound_options(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        options: &InboundOptions,
    ) -> Result<(), StoreError> {
        inbound::set_options(&self.pool, ws, mailbox, options).await
    }

    async fn inbound_options(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<InboundOptions>, StoreError> {
        inbound::options(&self.pool, ws, mailbox).await
    }

    async fn imap_checkpoints(
        &self,
        mailbox: MailboxId,
    ) -> Result<Vec<ImapCheckpoint>, StoreError> {
        inbound::checkpoints(&self.pool, mailbox).await
    }

    async fn save_imap_checkpoint(
        &self,
        mailbox: MailboxId,
        checkpoint: &ImapCheckpoint,
    ) -> Result<(), StoreError> {
        inbound::save_checkpoint(&self.pool, mailbox, checkpoint).await
    }

    async fn set_imap_status(
        &self,
        mailbox: MailboxId,
        status: &ImapStatus,
    ) -> Result<(), StoreError> {
        inbound::set_status(&self.pool, mailbox, status).await
    }

    async fn imap_status(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<ImapStatus>, StoreError> {
        inbound::status(&self.pool, ws, mailbox).await
    }

    async fn mailbox_leads(&self, mailbox: MailboxId) -> Result<MailboxLeads, StoreError> {
        inbound::leads(&self.pool, mailbox).await
    }

    async fn record_inbound(&self, record: &InboundRecord) -> Result<InboundOutcome, StoreError> {
        inbound::record(&self.pool, record).await
    }

    async fn mailbox_bounce_rate(
        &self,
        mailbox: MailboxId,
        window: u32,
    ) -> Result<BounceRate, StoreError> {
        inbound::bounce_rate(&self.pool, mailbox, window).await
    }

    async fn mailboxes_with_unknown_sends(&self) -> Result<Vec<MailboxId>, StoreError> {
        inbound::with_unknown(&self.pool).await
    }

    async fn unknown_sends(&self, mailbox: MailboxId) -> Result<Vec<UnknownSend>, StoreError> {
        inbound::unknown(&self.pool, mailbox).await
    }

    async fn resolve_unknown_send(
        &self,
        mailbox: MailboxId,
        send: crate::domain::SendId,
        resolution: UnknownResolution,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        inbound::resolve(&self.pool, mailbox, send, resolution, now).await
    }
}
