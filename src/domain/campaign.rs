//! Campaigns and their steps: the desired state (`CampaignSpec`, names already resolved to ids),
//! the rows as read back, the sending rules, and what enrolling leads did.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    CampaignId, CampaignStatus, HumanDuration, MailboxId, ProductId, SendWindow, StepId,
    TimezonePolicy, WorkspaceId,
};

/// One step of a sequence, as desired. `step_order` is its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepSpec {
    /// Wait after the previous step was sent (after enrolment for step 1).
    pub delay: HumanDuration,
    /// `None`: reply in the thread as "Re: <first subject>".
    pub subject_template: Option<String>,
    pub body_template: String,
    pub ai_instructions: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub id: StepId,
    pub campaign_id: CampaignId,
    pub step_order: u32,
    pub delay: HumanDuration,
    pub subject_template: Option<String>,
    pub body_template: String,
    pub ai_instructions: Option<String>,
}

impl Step {
    pub fn spec(&self) -> StepSpec {
        StepSpec {
            delay: self.delay,
            subject_template: self.subject_template.clone(),
            body_template: self.body_template.clone(),
            ai_instructions: self.ai_instructions.clone(),
        }
    }
}

/// A campaign's sending rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SendingRules {
    pub window: SendWindow,
    /// IANA zone the window is read in (or the lead's own, per `timezone_policy`).
    pub timezone: String,
    pub timezone_policy: TimezonePolicy,
    /// At most this many *new* leads get step 1 per day (follow-ups are not capped here).
    pub daily_new_leads_cap: Option<u32>,
    pub stop_on_reply: bool,
    /// A reply from anyone at the lead's company domain stops the others there too.
    pub stop_on_company_reply: bool,
    /// A reply also stops the lead's other campaigns of the workspace (off: this one only).
    pub stop_other_campaigns_on_reply: bool,
    pub track_opens: bool,
    pub track_clicks: bool,
}

impl Default for SendingRules {
    fn default() -> Self {
        Self {
            window: SendWindow::ALWAYS,
            timezone: "UTC".into(),
            timezone_policy: TimezonePolicy::Campaign,
            daily_new_leads_cap: None,
            stop_on_reply: true,
            stop_on_company_reply: false,
            stop_other_campaigns_on_reply: false,
            track_opens: false,
            track_clicks: false,
        }
    }
}

/// Which language model writes a campaign's emails. Unset parts use the daemon's `[content]`
/// settings (its provider, and that provider's configured model).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CampaignAi {
    pub provider: Option<crate::ai::ProviderName>,
    pub model: Option<String>,
}

/// Desired state of a campaign, with names already resolved to ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignSpec {
    pub name: String,
    pub goal: String,
    pub product_id: Option<ProductId>,
    /// `None` keeps the current status (new campaigns start as `draft`).
    pub status: Option<CampaignStatus>,
    pub rules: SendingRules,
    /// The mailbox pool leads are spread across, in a stable order.
    pub mailbox_ids: Vec<MailboxId>,
    pub steps: Vec<StepSpec>,
    pub ai: CampaignAi,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub goal: String,
    pub product_id: Option<ProductId>,
    pub status: CampaignStatus,
    pub rules: SendingRules,
    pub mailbox_ids: Vec<MailboxId>,
    pub ai: CampaignAi,
    pub emails_sent: u64,
    pub last_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Campaign {
    /// True when applying `spec` (with these current `steps`) would change nothing.
    pub fn matches_spec(&self, spec: &CampaignSpec, steps: &[Step]) -> bool {
        let mut pool = self.mailbox_ids.clone();
        let mut wanted = spec.mailbox_ids.clone();
        pool.sort();
        wanted.sort();
        self.name == spec.name
            && self.goal == spec.goal
            && self.product_id == spec.product_id
            && spec.status.is_none_or(|s| s == self.status)
            && self.rules == spec.rules
            && self.ai == spec.ai
            && pool == wanted
            && steps.len() == spec.steps.len()
            && steps
                .iter()
                .zip(&spec.steps)
                .all(|(have, want)| have.spec() == *want)
    }
}

/// The result of enrolling leads into a campaign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EnrollOutcome {
    pub enrolled: u64,
    pub already_enrolled: u64,
    /// Suppressed or unsubscribed leads are never enrolled.
    pub suppressed: u64,
}

/// What deleting a draft campaign did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftDeletion {
    Deleted,
    NotFound,
    /// Only drafts can be deleted; others are completed instead.
    NotDraft(CampaignStatus),
    /// Something was sent (or may have been): its log must stay.
    HasSends,
}
