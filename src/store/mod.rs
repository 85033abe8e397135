//! Persistence: the `Store` trait and its PostgreSQL and SQLite implementations.
//!
//! All SQL lives below this module; callers see typed ids, specs and rows. Every method that
//! touches tenant data takes a `WorkspaceId` and filters by it, so one workspace can never read
//! or change another's rows. Mailbox passwords are encrypted with [`SecretCipher`] before they
//! reach a backend and decrypted only by [`Store::mailbox_credentials`].
//!
//! PostgreSQL is the production backend (many daemons may share it). SQLite is the embedded
//! default: one daemon per file, enforced with an exclusive lock.

pub mod cipher;
mod dispatch;
mod error;
mod explain;
mod inbound;
mod inbound_sql;
pub mod model;
mod open;
mod operator;
pub mod postgres;
mod rows;
pub mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use cipher::{CipherError, SecretCipher, SecretPurpose};
pub use dispatch::*;
pub use error::{QueryContext, StoreError};
pub use explain::EnrolmentState;
pub use inbound::*;
pub use model::*;
pub use open::{Backend, OpenMode, backend_of, open, redact_url};
pub use operator::{Operator, UnknownFilter, UnknownSendInfo};

use crate::domain::{
    CampaignId, CampaignStatus, EmailAddress, LeadId, MailboxId, ProductId, WorkspaceId,
};

/// Everything the daemon, the CLI and the API need from the database.
///
/// Implementations must keep these promises (the conformance suite in `tests/store` checks them
/// against both backends): upserts are idempotent and report [`Change::Unchanged`] when nothing
/// differs; every tenant query is scoped by `WorkspaceId`; no method holds a transaction open
/// across anything but its own statements.
#[async_trait]
pub trait Store: Operator + Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Applies pending migrations; a no-op when there are none.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Checks the configured encryption key against the canary stored on first use (and stores
    /// one if there is none yet), so a wrong key fails at start-up, not at the first send.
    async fn verify_encryption_key(&self) -> Result<(), StoreError>;

    /// Is the database reachable, and are all migrations applied?
    async fn readiness(&self) -> Readiness;

    fn pool_stats(&self) -> PoolStats;

    // --- workspaces ---
    async fn upsert_workspace(&self, name: &str) -> Result<Upserted<Workspace>, StoreError>;
    async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError>;
    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError>;

    // --- mailboxes ---
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
    async fn mailbox_credentials(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<MailboxCredentials, StoreError>;

    // --- products ---
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

    // --- campaigns ---
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

    // --- leads ---
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

    // --- suppressions ---
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
        send: crate::domain::SendId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError>;

    // --- enrolment ---
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

    // --- dispatch: the step contract (see `dispatch.rs`) ---

    /// Running campaigns (all workspaces) with the earliest due time of their active leads
    /// (leased ones included: a campaign whose due leads are all in flight finds nothing to
    /// claim and waits for the next wake-up). One query however many campaigns there are: the supervisor wakes only those with
    /// work, so idle campaigns cost no queries.
    async fn campaigns_due(&self) -> Result<Vec<CampaignDue>, StoreError>;

    /// Lead steps of running campaigns (all workspaces) due at `now`, in flight included,
    /// counted up to `cap` (the cost stays bounded): the due-backlog metric, read every few
    /// seconds by the supervisor.
    async fn due_backlog(&self, now: DateTime<Utc>, cap: u32) -> Result<u64, StoreError>;

    /// Claims due leads of one campaign under a fresh lease: follow-ups (step > 1) first, then
    /// at most `max_new_leads` step-1 leads, `max_rows` in all, oldest due first. The claim is
    /// the lease on the lead's row: the step's `email_sends` row is written by the mark (or by
    /// an outcome that comes first), and a claim only reads the `retry` row an earlier attempt
    /// left, to keep its id and attempts. A step with a row in `sending`, `sent` or `unknown`
    /// is never claimed again. Suppressed and unsubscribed leads are
    /// never returned. PostgreSQL: one statement with `FOR UPDATE SKIP LOCKED`, so several
    /// daemons never claim the same row.
    async fn claim_due(&self, req: &ClaimRequest) -> Result<Vec<ClaimedSend>, StoreError>;

    /// Stores the text for each (campaign lead, step) unless one is stored already; returns the
    /// stored texts in input order, so every attempt of a step sends the same words. One
    /// round trip (PostgreSQL) or one transaction (SQLite) for the whole batch.
    async fn save_generated_many(
        &self,
        items: &[GeneratedFor],
    ) -> Result<Vec<GeneratedMessage>, StoreError>;

    /// [`Store::save_generated_many`] for one message.
    async fn save_generated(
        &self,
        send: &SendRef,
        step_order: u32,
        message: &GeneratedMessage,
    ) -> Result<GeneratedMessage, StoreError> {
        let item = GeneratedFor {
            campaign_lead_id: send.campaign_lead_id,
            step_order,
            message: message.clone(),
        };
        self.save_generated_many(std::slice::from_ref(&item))
            .await?
            .pop()
            .ok_or_else(|| StoreError::Invalid("no stored message came back".to_owned()))
    }

    /// `claimed → sending`, fenced by the lead's lease: creates the step's send row in `sending`
    /// (or takes over its `retry` row), records the Message-ID and extends the lease to
    /// `lease_for` (after which an unfinished send becomes `unknown`). `false` when the lease is
    /// no longer ours: the caller must not send.
    async fn mark_sending(
        &self,
        send: &SendRef,
        message_id: &str,
        now: DateTime<Utc>,
        lease_for: chrono::TimeDelta,
    ) -> Result<bool, StoreError>;

    /// `mark_sending` for several sends of one mailbox (one commit where the backend can).
    /// Results in input order.
    async fn mark_sending_many(
        &self,
        sends: &[(SendRef, String)],
        now: DateTime<Utc>,
        lease_for: chrono::TimeDelta,
    ) -> Result<Vec<bool>, StoreError> {
        let mut marked = Vec::with_capacity(sends.len());
        for (send, message_id) in sends {
            marked.push(self.mark_sending(send, message_id, now, lease_for).await?);
        }
        Ok(marked)
    }

    /// Records many outcomes in one transaction (see [`Completion`] for what each does).
    /// Completions whose lease is no longer current are skipped and counted as fenced.
    async fn complete_sends(
        &self,
        completions: &[Completion],
        now: DateTime<Utc>,
    ) -> Result<CompletionReport, StoreError>;

    /// `sending` rows whose lease expired become `unknown` (their leads parked). Expired claims
    /// that were never marked need nothing: their leads are due again at the lease expiry.
    async fn expire_leases(&self, now: DateTime<Utc>) -> Result<ExpiryReport, StoreError>;

    /// Sends (sent or unknown) of a mailbox on `local_date` and the send times since `since`.
    async fn mailbox_usage(
        &self,
        mailbox: MailboxId,
        local_date: chrono::NaiveDate,
        since: DateTime<Utc>,
    ) -> Result<MailboxUsage, StoreError>;

    /// Every mailbox (all workspaces) in the pool of at least one running campaign: the
    /// mailbox actors the supervisor must run. One query.
    async fn dispatch_mailboxes(&self) -> Result<Vec<Mailbox>, StoreError>;

    async fn set_mailbox_state(
        &self,
        mailbox: MailboxId,
        change: &MailboxStateChange,
    ) -> Result<(), StoreError>;

    /// Step-1 sends of a campaign since `since`, plus those in flight: sending, or claimed and
    /// not yet marked under a lease still live at `now` (its daily cap on new leads). A claim
    /// moves its lead's due time to its lease expiry, so live claims are found among the leads
    /// due within `claim_lease` after `now` (the lease claims are made with).
    async fn new_leads_sent_since(
        &self,
        campaign: CampaignId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        claim_lease: chrono::TimeDelta,
    ) -> Result<u32, StoreError>;

    /// Run Now: every active lead of the campaign becomes due at `now` (delays and windows
    /// ignored; caps, suppressions and unsubscribes still apply at claim and send time).
    /// Returns how many leads were made due.
    async fn run_now(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Send rows of a campaign changed at or after `since`, by lead email then step.
    async fn send_results(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        since: DateTime<Utc>,
    ) -> Result<Vec<SendResult>, StoreError>;

    async fn campaign_by_id(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, StoreError>;

    async fn mailbox_by_id(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<Option<Mailbox>, StoreError>;

    async fn product_by_id(
        &self,
        ws: WorkspaceId,
        id: ProductId,
    ) -> Result<Option<Product>, StoreError>;

    /// The latest update time of any running campaign (one query): when it moves, an apply
    /// (from any process) changed a campaign and the supervisor has campaign actors reload.
    async fn campaigns_changed_at(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// One lead's row in one campaign (`outreachd explain`); `None` when not enrolled.
    async fn enrolment_state(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        lead: LeadId,
    ) -> Result<Option<EnrolmentState>, StoreError>;

    // --- inbound (IMAP pollers, issue #5; see `inbound.rs`) ---
    /// Mailboxes (all workspaces) with IMAP configured in the pool of a running or paused
    /// campaign, with their inbound options: the pollers to run. One query per call.
    async fn inbound_mailboxes(&self) -> Result<Vec<(Mailbox, InboundOptions)>, StoreError>;
    async fn set_inbound_options(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        options: &InboundOptions,
    ) -> Result<(), StoreError>;
    async fn inbound_options(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<InboundOptions>, StoreError>;
    async fn imap_checkpoints(&self, mailbox: MailboxId)
    -> Result<Vec<ImapCheckpoint>, StoreError>;
    async fn save_imap_checkpoint(
        &self,
        mailbox: MailboxId,
        checkpoint: &ImapCheckpoint,
    ) -> Result<(), StoreError>;
    async fn set_imap_status(
        &self,
        mailbox: MailboxId,
        status: &ImapStatus,
    ) -> Result<(), StoreError>;
    async fn imap_status(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<ImapStatus>, StoreError>;
    /// Lead addresses enrolled through a mailbox and their first subjects (fallback matching).
    async fn mailbox_leads(&self, mailbox: MailboxId) -> Result<MailboxLeads, StoreError>;
    /// Records an inbound message and applies its actions in one transaction; a message seen
    /// before (same mailbox and Message-ID) changes nothing and is reported `duplicate`.
    async fn record_inbound(&self, record: &InboundRecord) -> Result<InboundOutcome, StoreError>;
    /// The last `window` sends (sent or bounced) of a mailbox and how many hard-bounced.
    async fn mailbox_bounce_rate(
        &self,
        mailbox: MailboxId,
        window: u32,
    ) -> Result<BounceRate, StoreError>;
    /// Mailboxes (all workspaces) with at least one `unknown` send: the pollers that should
    /// look in their Sent folder. One query however many mailboxes there are.
    async fn mailboxes_with_unknown_sends(&self) -> Result<Vec<MailboxId>, StoreError>;
    /// `unknown` sends of a mailbox, oldest first (at most 500 per call).
    async fn unknown_sends(&self, mailbox: MailboxId) -> Result<Vec<UnknownSend>, StoreError>;
    /// Applies what the Sent folder said; `false` when the send is no longer `unknown`.
    async fn resolve_unknown_send(
        &self,
        mailbox: MailboxId,
        send: crate::domain::SendId,
        resolution: UnknownResolution,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    // --- reporting ---
    async fn workspace_summary(
        &self,
        ws: WorkspaceId,
        now: DateTime<Utc>,
    ) -> Result<WorkspaceSummary, StoreError>;
}
