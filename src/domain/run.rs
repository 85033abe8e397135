//! Run Now as a job: a run made a campaign's pending leads due at one moment, and its report
//! is read from what the store holds since (send rows, and the leads still waiting), so any
//! daemon can answer it and a restart forgets nothing.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{CampaignId, LeadId, MailboxStatus, RunId, WorkspaceId};

/// One Run Now of a campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CampaignRun {
    pub id: RunId,
    pub workspace_id: WorkspaceId,
    pub campaign_id: CampaignId,
    /// The due time the run wrote into every pending lead.
    pub started_at: DateTime<Utc>,
    /// How many leads it made due.
    pub made_due: u64,
    /// When its report was found complete: nothing of it in flight or still able to go out.
    pub finished_at: Option<DateTime<Utc>>,
}

/// What decides whether a lead a run made due can still go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Waiting {
    /// Claimed by a dispatcher, its outcome not recorded yet.
    pub in_flight: bool,
    /// Its next step is step 1 (counted against the campaign's daily cap on new leads).
    pub first_step: bool,
    /// Its mailbox's state; `None` when the mailbox is gone.
    pub mailbox: Option<MailboxStatus>,
    /// Its mailbox is still in the campaign's pool (only pool mailboxes are sent from).
    pub in_pool: bool,
    /// Unsubscribed, or its address suppressed.
    pub unreachable: bool,
}

/// Leads a run still waits for that share a [`Waiting`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitingGroup {
    pub why: Waiting,
    pub count: u64,
}

/// One lead a run made due that has not gone out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingLead {
    pub lead_id: LeadId,
    pub email: String,
    pub step_order: u32,
    pub mailbox_address: Option<String>,
    pub why: Waiting,
}
