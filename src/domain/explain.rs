//! Read-only views for `outreachd explain`: where one lead stands in one campaign.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{CampaignLeadStatus, MailboxId};

/// One campaign lead's row, as `explain` needs it (no lease token, no message ids).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnrolmentState {
    pub status: CampaignLeadStatus,
    pub stop_reason: Option<String>,
    pub mailbox_id: Option<MailboxId>,
    pub current_step_order: u32,
    /// `None` on an active row: parked (an unknown outcome awaiting reconciliation).
    pub next_scheduled_at: Option<DateTime<Utc>>,
    /// Set while a claim or a send holds the row.
    pub lease_expires_at: Option<DateTime<Utc>>,
}
