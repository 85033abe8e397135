//! A lead's enrolment in a campaign as people read it: a row of the campaign's lead list, and
//! one enrolment with its lead, for a preview.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{CampaignLeadId, CampaignLeadStatus, EnrolmentState, Lead, LeadId, MailboxId};

/// One row of a campaign's lead list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CampaignLeadInfo {
    pub id: CampaignLeadId,
    pub lead_id: LeadId,
    pub email: String,
    pub status: CampaignLeadStatus,
    /// The next step to send (the last one sent + 1).
    pub current_step: u32,
    /// When that step is due; `None` when nothing is scheduled (stopped, or parked).
    pub next_scheduled_at: Option<DateTime<Utc>>,
    pub mailbox_id: Option<MailboxId>,
    pub mailbox_address: Option<String>,
    pub stop_reason: Option<String>,
    pub enrolled_at: DateTime<Utc>,
}

/// Which campaign leads a list shows: a page after `after` (keyset), optionally one status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CampaignLeadQuery {
    pub after: Option<CampaignLeadId>,
    /// At most this many rows (a page plus one, to tell whether more follow).
    pub limit: u32,
    pub status: Option<CampaignLeadStatus>,
}

/// One enrolment with everything a preview writes from.
#[derive(Clone, Debug, PartialEq)]
pub struct EnrolledLead {
    pub campaign_lead_id: CampaignLeadId,
    pub lead: Lead,
    pub state: EnrolmentState,
    /// The subject of the lead's first message: sent (its thread) or, before that, stored.
    pub first_subject: Option<String>,
}
