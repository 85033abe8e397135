//! Counts per workspace, campaign and mailbox for `outreachd status`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{CampaignLeadStatus, CampaignStatus, MailboxStatus};

/// Counts per campaign for `outreachd status`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CampaignSummary {
    pub name: String,
    pub status: CampaignStatus,
    pub steps: u32,
    pub mailboxes: u32,
    pub leads_by_status: BTreeMap<CampaignLeadStatus, u64>,
    /// Active leads whose next step is due now.
    pub due_now: u64,
    pub emails_sent: u64,
    /// What its language-model calls cost, all time, in US dollars.
    pub cost_usd: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MailboxSummary {
    pub address: String,
    pub status: MailboxStatus,
    pub status_reason: Option<String>,
    pub daily_cap: u32,
    pub sent_today: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkspaceSummary {
    pub workspace: String,
    pub leads: u64,
    pub suppressions: u64,
    pub mailboxes: Vec<MailboxSummary>,
    pub campaigns: Vec<CampaignSummary>,
}
