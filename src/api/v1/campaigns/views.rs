//! Campaigns as the API answers them: a summary per list item, and the whole definition with
//! its pool, product, rules, steps and counts for one campaign.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::super::problem::ApiError;
use crate::api::ApiState;
use crate::domain::{
    Campaign, CampaignId, CampaignLeadStatus, CampaignStatus, MailboxId, ProductId, SendingRules,
    Step, TimezonePolicy,
};

#[derive(Serialize, ToSchema)]
pub struct CampaignSummaryView {
    pub id: CampaignId,
    pub name: String,
    pub goal: String,
    pub status: CampaignStatus,
    pub product_id: Option<ProductId>,
    pub mailbox_ids: Vec<MailboxId>,
    /// Emails the campaign has sent.
    pub emails_sent: u64,
    pub last_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Campaign> for CampaignSummaryView {
    fn from(c: Campaign) -> Self {
        Self {
            id: c.id,
            name: c.name,
            goal: c.goal,
            status: c.status,
            product_id: c.product_id,
            mailbox_ids: c.mailbox_ids,
            emails_sent: c.emails_sent,
            last_run_at: c.last_run_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProductRef {
    pub id: ProductId,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct MailboxRef {
    pub id: MailboxId,
    pub address: String,
}

#[derive(Serialize, ToSchema)]
pub struct WindowView {
    #[schema(example = "mon-fri")]
    pub days: String,
    #[schema(example = "09:00")]
    pub start: String,
    #[schema(example = "17:00")]
    pub end: String,
}

#[derive(Serialize, ToSchema)]
pub struct RulesView {
    pub window: WindowView,
    pub timezone: String,
    pub timezone_policy: TimezonePolicy,
    pub daily_new_leads_cap: Option<u32>,
    pub stop_on_reply: bool,
    pub stop_on_company_reply: bool,
    pub stop_other_campaigns_on_reply: bool,
    pub track_opens: bool,
    pub track_clicks: bool,
}

impl From<SendingRules> for RulesView {
    fn from(r: SendingRules) -> Self {
        Self {
            window: WindowView {
                days: r.window.days.to_string(),
                start: r.window.start_hhmm(),
                end: r.window.end_hhmm(),
            },
            timezone: r.timezone,
            timezone_policy: r.timezone_policy,
            daily_new_leads_cap: r.daily_new_leads_cap,
            stop_on_reply: r.stop_on_reply,
            stop_on_company_reply: r.stop_on_company_reply,
            stop_other_campaigns_on_reply: r.stop_other_campaigns_on_reply,
            track_opens: r.track_opens,
            track_clicks: r.track_clicks,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct StepView {
    /// 1-based position.
    pub step: u32,
    /// As written: `3d`, `36h`.
    #[schema(example = "3d")]
    pub delay: String,
    pub delay_seconds: u64,
    pub subject: Option<String>,
    pub body: String,
    pub ai_instructions: Option<String>,
}

impl From<Step> for StepView {
    fn from(s: Step) -> Self {
        Self {
            step: s.step_order,
            delay: s.delay.to_string(),
            delay_seconds: s.delay.as_secs(),
            subject: s.subject_template,
            body: s.body_template,
            ai_instructions: s.ai_instructions,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CountsView {
    /// Leads ever enrolled (every status).
    pub enrolled: u64,
    /// Emails the campaign has sent.
    pub emails_sent: u64,
    /// Enrolled leads by their status in this campaign (every status, zeros included).
    pub by_status: BTreeMap<String, u64>,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignView {
    pub id: CampaignId,
    pub name: String,
    pub goal: String,
    pub status: CampaignStatus,
    pub product: Option<ProductRef>,
    /// The mailbox pool, in order.
    pub mailboxes: Vec<MailboxRef>,
    pub rules: RulesView,
    /// The provider writing the emails; `null`: the daemon's `[content] provider`.
    pub ai_provider: Option<crate::ai::ProviderName>,
    /// The model; `null`: the provider's configured model.
    pub ai_model: Option<String>,
    pub steps: Vec<StepView>,
    pub counts: CountsView,
    pub last_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CampaignView {
    pub async fn of(state: &ApiState, c: Campaign) -> Result<Self, ApiError> {
        let store = state.store.as_ref();
        let ws = c.workspace_id;
        let steps = store.campaign_steps(ws, c.id).await?;
        let addresses: HashMap<MailboxId, String> = store
            .list_mailboxes(ws)
            .await?
            .into_iter()
            .map(|m| (m.id, m.address))
            .collect();
        let product = match c.product_id {
            Some(id) => store
                .product_by_id(ws, id)
                .await?
                .map(|p| ProductRef { id, name: p.name }),
            None => None,
        };
        let counts = store.campaign_lead_counts(ws, c.id).await?;
        let by_status = CampaignLeadStatus::ALL
            .iter()
            .map(|s| (s.to_string(), counts.get(s).copied().unwrap_or(0)))
            .collect();
        Ok(Self {
            id: c.id,
            name: c.name,
            goal: c.goal,
            status: c.status,
            product,
            mailboxes: c
                .mailbox_ids
                .iter()
                .map(|id| MailboxRef {
                    id: *id,
                    address: addresses.get(id).cloned().unwrap_or_default(),
                })
                .collect(),
            rules: c.rules.into(),
            ai_provider: c.ai.provider,
            ai_model: c.ai.model,
            steps: steps.into_iter().map(StepView::from).collect(),
            counts: CountsView {
                enrolled: counts.values().sum(),
                emails_sent: c.emails_sent,
                by_status,
            },
            last_run_at: c.last_run_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        })
    }
}
