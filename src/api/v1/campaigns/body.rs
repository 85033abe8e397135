//! The JSON a client writes for a campaign. Durations, the window and the time zone policy stay
//! text here so the service can name the field a bad value is in (`steps[1].delay`) instead of
//! failing the whole body on its first parse error.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::{MailboxId, ProductId};
use crate::service::campaigns::definition::{CampaignInput, StepInput, WindowInput};

/// A campaign's whole definition (create, or replace with `PUT`). Fields left out take their
/// defaults, as in an apply file. The status is not part of it: see `POST .../status`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    /// Unique in the workspace; one line.
    pub name: String,
    /// What the campaign wants from a lead (templates and the AI writer see it).
    #[serde(default)]
    pub goal: String,
    pub product_id: Option<ProductId>,
    /// The mailbox pool new leads are spread across, in order.
    #[serde(default)]
    pub mailbox_ids: Vec<MailboxId>,
    /// When sends may go out (default: always).
    pub window: Option<WindowBody>,
    /// IANA zone the window is read in (default `UTC`).
    pub timezone: Option<String>,
    /// `campaign` (default) or `lead`: whose clock the window follows.
    pub timezone_policy: Option<String>,
    /// At most this many new leads get step 1 per day (follow-ups are not capped).
    pub daily_new_leads_cap: Option<u32>,
    /// Default true.
    pub stop_on_reply: Option<bool>,
    /// A reply from the lead's company stops its colleagues too (default false).
    pub stop_on_company_reply: Option<bool>,
    /// A reply also stops the lead's other campaigns (default false).
    pub stop_other_campaigns_on_reply: Option<bool>,
    pub track_opens: Option<bool>,
    pub track_clicks: Option<bool>,
    /// Which provider writes the emails (default: the daemon's `[content] provider`); its key
    /// must be configured on the daemon.
    pub ai_provider: Option<crate::ai::ProviderName>,
    /// Which model (default: the provider's configured model).
    pub ai_model: Option<String>,
    /// The sequence, first step first (1 to 50 steps).
    pub steps: Vec<StepBody>,
}

/// Sending hours on some weekdays, in the campaign's (or lead's) zone: `[start, end)`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowBody {
    /// `mon-fri`, `mon,wed,fri`, `mon-sun` (default).
    #[schema(example = "mon-fri")]
    pub days: Option<String>,
    /// `HH:MM` (default `00:00`).
    #[schema(example = "09:00")]
    pub start: Option<String>,
    /// `HH:MM`, up to `24:00` (default).
    #[schema(example = "17:00")]
    pub end: Option<String>,
}

/// One step of the sequence.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// Wait after the previous step (`3d`, `36h`, `90m`); required after the first step.
    #[schema(example = "3d")]
    pub delay: Option<String>,
    /// Subject template; required on the first step. A follow-up without one replies in the
    /// thread as "Re: <first subject>".
    pub subject: Option<String>,
    /// Body template (minijinja: `{{ first_name }}`, spintax `{a|b}`).
    pub body: String,
    /// Instructions for the AI writer, when one is configured.
    pub ai_instructions: Option<String>,
}

impl From<CampaignBody> for CampaignInput {
    fn from(b: CampaignBody) -> Self {
        Self {
            name: b.name,
            goal: b.goal,
            product_id: b.product_id,
            mailbox_ids: b.mailbox_ids,
            window: b.window.map(|w| WindowInput {
                days: w.days,
                start: w.start,
                end: w.end,
            }),
            timezone: b.timezone,
            timezone_policy: b.timezone_policy,
            daily_new_leads_cap: b.daily_new_leads_cap,
            stop_on_reply: b.stop_on_reply,
            stop_on_company_reply: b.stop_on_company_reply,
            stop_other_campaigns_on_reply: b.stop_other_campaigns_on_reply,
            track_opens: b.track_opens,
            track_clicks: b.track_clicks,
            ai: crate::domain::CampaignAi {
                provider: b.ai_provider,
                model: b.ai_model,
            },
            steps: b
                .steps
                .into_iter()
                .map(|s| StepInput {
                    delay: s.delay,
                    subject: s.subject,
                    body: s.body,
                    ai_instructions: s.ai_instructions,
                })
                .collect(),
        }
    }
}
