//! `Operator`: the store role behind an operator's commands. It lifts or sets a mailbox's pause
//! (a pause set by the mailbox actor, such as a failed login, is lifted only here), reads a
//! mailbox's day count, lists the `unknown` sends of a workspace and resolves them as sent or
//! to be sent again.
//!
//! Every method is scoped by `WorkspaceId`. The business rules (which next step, when, what to
//! log and count) belong to `service`; these methods only apply what they are told, each in
//! one short transaction.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::StoreError;
use crate::domain::NextStep;
use crate::domain::{CampaignId, CampaignLeadId, MailboxId, SendId, WorkspaceId};

/// Which `unknown` sends to list.
#[derive(Clone, Debug, Default)]
pub struct UnknownFilter {
    /// Only sends of this campaign.
    pub campaign: Option<CampaignId>,
    /// Only sends that became `unknown` before this time.
    pub before: Option<DateTime<Utc>>,
}

/// An `unknown` send as an operator sees it, with what resolving it needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnknownSendInfo {
    pub send_id: SendId,
    pub campaign_id: CampaignId,
    pub campaign: String,
    pub campaign_lead_id: CampaignLeadId,
    /// The sending mailbox's address; `None` if the mailbox was deleted since.
    pub mailbox: Option<String>,
    pub lead_email: String,
    pub lead_timezone: Option<String>,
    pub step_order: u32,
    pub message_id: Option<String>,
    /// When the send went out (or its lease ran out): where the next step's delay counts from.
    pub sent_at: Option<DateTime<Utc>>,
    /// When it became `unknown`.
    pub since: DateTime<Utc>,
}

#[async_trait]
pub trait Operator: Send + Sync {
    /// `paused` with `reason`, any cooldown cleared. `NotFound` if the mailbox is not in `ws`.
    async fn set_mailbox_paused(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// `active`, reason and cooldown cleared. `NotFound` if the mailbox is not in `ws`.
    async fn set_mailbox_active(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Sends counted against the mailbox's daily cap on `local_date` (sent or unknown).
    async fn mailbox_sent_on(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        local_date: NaiveDate,
    ) -> Result<u32, StoreError>;

    /// The workspace's `unknown` sends matching `filter`, oldest first.
    async fn unknown_sends_in(
        &self,
        ws: WorkspaceId,
        filter: &UnknownFilter,
    ) -> Result<Vec<UnknownSendInfo>, StoreError>;

    /// `unknown → sent`, as an SMTP 250 would have done: the lead moves to `next` (or
    /// completes), step 1 starts the thread, the campaign's sent total grows (the day count
    /// grew when the send became `unknown`). `false` when the send is not `unknown` in `ws`.
    async fn resolve_unknown_as_sent(
        &self,
        ws: WorkspaceId,
        send: SendId,
        next: NextStep,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// `unknown → retry`, due at `now`: the next claim takes the row over, keeping its id (so
    /// its Message-ID) and the step's stored text. `false` when the send is not `unknown` in
    /// `ws`.
    async fn resolve_unknown_as_resend(
        &self,
        ws: WorkspaceId,
        send: SendId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
