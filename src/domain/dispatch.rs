//! Types of the step contract: claiming due (campaign lead, step) pairs under a
//! lease, recording the generated text, fencing each transition with the lease token, and
//! completing sends in batches.
//!
//! Per (campaign lead, step) there is at most one `email_sends` row. A step moves
//! `claimed → sending → sent | failed | retry | unknown | bounced`; each move is one short
//! transaction guarded by the lease token, so a zombie whose lease expired cannot write.
//!
//! `claimed` lives on the campaign lead alone (its lease token and expiry): the send row is
//! created when the step is marked `sending`, or by an outcome that comes first (a claim
//! released or failed before its mark). A claim that expires unmarked has left nothing
//! behind but its lead's due time. This keeps one insert and one update of the send row,
//! with their index entries, off every send.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    CampaignId, CampaignLeadId, GeneratedMessage, Lead, MailboxId, SendId, ThreadInfo, WorkspaceId,
};

/// Proof of a claim. Every transition of a claimed send must present it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct LeaseToken(pub uuid::Uuid);

impl LeaseToken {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl Default for LeaseToken {
    fn default() -> Self {
        Self::new()
    }
}

/// What to claim for one campaign.
#[derive(Clone, Debug)]
pub struct ClaimRequest {
    pub workspace_id: WorkspaceId,
    pub campaign_id: CampaignId,
    pub now: DateTime<Utc>,
    /// How long the claim holds before it is due again (nothing left the machine).
    pub lease_for: chrono::TimeDelta,
    /// At most this many rows in total (follow-ups first).
    pub max_rows: u32,
    /// At most this many of them may be step 1 (the campaign's daily cap on new leads).
    pub max_new_leads: u32,
    /// Only leads assigned to these mailboxes (the ones with room now), or any when `None`:
    /// a claim for a full or stopped mailbox would only be released again.
    pub mailboxes: Option<Vec<MailboxId>>,
}

/// Which texts to write ahead for one campaign: the next `max_rows` leads in claim order
/// (follow-ups first, then new leads, oldest due first) that are due by `until`, not leased
/// at `now`, and have no stored text for their current step.
#[derive(Clone, Debug)]
pub struct PrefetchRequest {
    pub workspace_id: WorkspaceId,
    pub campaign_id: CampaignId,
    pub now: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub max_rows: u32,
}

/// A (campaign lead, step) whose text can be written before it is claimed.
#[derive(Clone, Debug)]
pub struct PrefetchJob {
    pub campaign_lead_id: CampaignLeadId,
    pub mailbox_id: MailboxId,
    pub lead: Lead,
    pub step_order: u32,
    pub due_at: DateTime<Utc>,
    pub thread: Option<ThreadInfo>,
}

/// A claimed (campaign lead, step): everything needed to generate and send it.
#[derive(Clone, Debug)]
pub struct ClaimedSend {
    pub send: SendRef,
    pub workspace_id: WorkspaceId,
    pub campaign_id: CampaignId,
    pub lead: Lead,
    pub step_order: u32,
    /// Attempts already made for this step (0 on the first try).
    pub attempts: u32,
    pub due_at: DateTime<Utc>,
    pub thread: Option<ThreadInfo>,
    /// Text stored by an earlier attempt of this step, to be reused verbatim.
    pub generated: Option<GeneratedMessage>,
}

/// Identifies a claimed send and fences its transitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendRef {
    pub send_id: SendId,
    pub lease: LeaseToken,
    pub campaign_lead_id: CampaignLeadId,
    pub mailbox_id: MailboxId,
}

/// Where the lead goes after a sent step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Step `step_order` is due at `due_at` (delay applied, moved into the window).
    At {
        step_order: u32,
        due_at: DateTime<Utc>,
    },
    /// That was the last step: the lead's sequence is completed.
    Done,
}

/// The end of one attempt, recorded in batches by [`crate::store::Dispatch::complete_sends`].
#[derive(Clone, Debug)]
pub enum Completion {
    /// Accepted by the server: send row `sent`, lead advanced, mailbox day count + 1.
    Sent {
        send: SendRef,
        message_id: String,
        reply: String,
        sent_at: DateTime<Utc>,
        /// Set on step 1: the thread later steps reply under.
        thread: Option<ThreadInfo>,
        next: NextStep,
        /// The mailbox's local date, whose daily count this send adds to.
        count_date: chrono::NaiveDate,
    },
    /// Try this step again at `at`. `counts_as_attempt` is false when the mailbox, not the
    /// recipient, was at fault (throttled, paused, full queue, cap reached).
    Retry {
        send: SendRef,
        at: DateTime<Utc>,
        reason: String,
        counts_as_attempt: bool,
    },
    /// Hard bounce: lead `bounced`, address suppressed workspace-wide.
    Bounced { send: SendRef, reply: String },
    /// Permanent failure of this step (bad template, content refused, retries exhausted):
    /// lead `failed` with the reason.
    Failed { send: SendRef, reason: String },
    /// The server may or may not have accepted it: send row `unknown`, the lead is parked
    /// (never resent automatically), mailbox day count + 1 (conservatively).
    Unknown {
        send: SendRef,
        message_id: String,
        reason: String,
        count_date: chrono::NaiveDate,
    },
}

impl Completion {
    pub fn send(&self) -> &SendRef {
        match self {
            Self::Sent { send, .. }
            | Self::Retry { send, .. }
            | Self::Bounced { send, .. }
            | Self::Failed { send, .. }
            | Self::Unknown { send, .. } => send,
        }
    }
}

/// What `complete_sends` did. Completions whose lease had expired (a zombie's) are `fenced`
/// and changed nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompletionReport {
    pub applied: u32,
    pub fenced: u32,
}

/// What `expire_leases` found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Sends whose lease ran out while `sending`: now `unknown`, never auto-resent.
    pub unknown: u32,
}

/// A running campaign with the earliest due time of its active leads, for the supervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CampaignDue {
    pub workspace_id: WorkspaceId,
    pub campaign_id: CampaignId,
    /// `None`: nothing scheduled.
    pub next_due: Option<DateTime<Utc>>,
}
