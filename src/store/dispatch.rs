//! The dispatch role: the step contract (`domain::dispatch`) as the supervisor, campaign actors
//! and mailbox actors use it: what is due, claims under a lease, stored texts, the fenced
//! `sending` mark, batched completions, lease expiry, and the mailbox state the caps read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

/// The step contract: claim, generate, mark, complete; and what the supervisor reads.
///
/// No method holds a transaction open across anything but its own statements; every
/// transition of a claimed send is fenced by its lease token.
#[async_trait]
pub trait Dispatch: Send + Sync + 'static {
    /// Running campaigns (all workspaces) with the earliest due time of their active leads
    /// (leased ones included: a campaign whose due leads are all in flight finds nothing to
    /// claim and waits for the next wake-up). One query however many campaigns there are: the supervisor wakes only those with
    /// work, so idle campaigns cost no queries.
    async fn campaigns_due(&self) -> Result<Vec<CampaignDue>, StoreError>;

    /// The latest update time of any running campaign (one query): when it moves, an apply
    /// (from any process) changed a campaign and the supervisor has campaign actors reload.
    async fn campaigns_changed_at(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Every mailbox (all workspaces) in the pool of at least one running campaign: the
    /// mailbox actors the supervisor must run. One query.
    async fn dispatch_mailboxes(&self) -> Result<Vec<Mailbox>, StoreError>;

    /// Claims due leads of one campaign under a fresh lease: follow-ups (step > 1) first, then
    /// at most `max_new_leads` step-1 leads, `max_rows` in all, oldest due first. The claim is
    /// the lease on the lead's row: the step's `email_sends` row is written by the mark (or by
    /// an outcome that comes first), and a claim only reads the `retry` row an earlier attempt
    /// left, to keep its id and attempts. A step with a row in `sending`, `sent` or `unknown`
    /// is never claimed again. Suppressed and unsubscribed leads are
    /// never returned. PostgreSQL: one statement with `FOR UPDATE SKIP LOCKED`, so several
    /// daemons never claim the same row.
    async fn claim_due(&self, req: &ClaimRequest) -> Result<Vec<ClaimedSend>, StoreError>;

    /// The leads whose next text can be written ahead: of the next `max_rows` leads in claim
    /// order that are due by `until` and not leased at `now`, those without a stored text for
    /// their current step. Reads only; a text written for them is stored with
    /// [`Dispatch::save_generated_many`] (first writer wins, so racing a claim is harmless).
    async fn texts_to_write(&self, req: &PrefetchRequest) -> Result<Vec<PrefetchJob>, StoreError>;

    /// Stores the text for each (campaign lead, step) unless one is stored already; returns the
    /// stored texts in input order, so every attempt of a step sends the same words. One
    /// round trip (PostgreSQL) or one transaction (SQLite) for the whole batch.
    async fn save_generated_many(
        &self,
        items: &[GeneratedFor],
    ) -> Result<Vec<GeneratedMessage>, StoreError>;

    /// [`Dispatch::save_generated_many`] for one message.
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
}
