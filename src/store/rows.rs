//! Row structs shared by both backends, and their conversion into model types.
//!
//! Both schemas use the same column names and compatible types (uuid, text, bigint/integer,
//! boolean, timestamps, JSON), so one `FromRow` struct decodes from either. Conversions that can
//! fail (a status string edited by hand) return `StoreError::Corrupt` naming the column.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::domain::*;
use crate::domain::{
    CampaignId, HumanDuration, LeadId, MailboxId, ProductId, SendWindow, StepId, Weekdays,
    WorkspaceId,
};

/// A text column parsed into its type; a value the type rejects is a corrupt row.
pub(crate) fn parse<T: std::str::FromStr>(
    column: &'static str,
    value: &str,
) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| StoreError::Corrupt {
        column,
        detail: e.to_string(),
    })
}

fn to_u32(column: &'static str, v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt {
        column,
        detail: format!("{v} out of range"),
    })
}

fn ms(v: i64) -> HumanDuration {
    HumanDuration::from_duration(Duration::from_millis(v.max(0) as u64))
}

/// Milliseconds for the `*_ms` columns.
pub(crate) fn duration_ms(d: HumanDuration) -> i64 {
    i64::try_from(d.as_duration().as_millis()).unwrap_or(i64::MAX)
}

#[derive(sqlx::FromRow)]
pub(crate) struct WorkspaceRow {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<WorkspaceRow> for Workspace {
    fn from(r: WorkspaceRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
        }
    }
}

/// `SELECT` list matching [`MailboxRow`].
pub(crate) const MAILBOX_COLUMNS: &str = "id, workspace_id, address, from_name, signature, \
    smtp_host, smtp_port, smtp_security, smtp_username, smtp_password_ciphertext, \
    imap_host, imap_port, imap_security, imap_username, imap_password_ciphertext, \
    daily_cap, hourly_cap, min_gap_ms, max_gap_ms, warmup_start_per_day, warmup_increment_per_day, \
    warmup_started_on, timezone, status, status_reason, cooling_until, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct MailboxRow {
    pub id: MailboxId,
    pub workspace_id: WorkspaceId,
    pub address: String,
    pub from_name: String,
    pub signature: String,
    pub smtp_host: String,
    pub smtp_port: i32,
    pub smtp_security: String,
    pub smtp_username: String,
    pub smtp_password_ciphertext: Vec<u8>,
    pub imap_host: Option<String>,
    pub imap_port: Option<i32>,
    pub imap_security: Option<String>,
    pub imap_username: Option<String>,
    pub imap_password_ciphertext: Option<Vec<u8>>,
    pub daily_cap: i32,
    pub hourly_cap: Option<i32>,
    pub min_gap_ms: i64,
    pub max_gap_ms: i64,
    pub warmup_start_per_day: Option<i32>,
    pub warmup_increment_per_day: Option<i32>,
    pub warmup_started_on: Option<NaiveDate>,
    pub timezone: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub cooling_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<&MailboxRow> for Mailbox {
    type Error = StoreError;
    fn try_from(r: &MailboxRow) -> Result<Self, StoreError> {
        let port = |column, p: i32| {
            u16::try_from(p).map_err(|_| StoreError::Corrupt {
                column,
                detail: format!("port {p}"),
            })
        };
        let imap = match (
            &r.imap_host,
            r.imap_port,
            &r.imap_security,
            &r.imap_username,
        ) {
            (Some(host), Some(p), Some(sec), Some(user)) => Some(ServerInfo {
                host: host.clone(),
                port: port("mailboxes.imap_port", p)?,
                security: parse("mailboxes.imap_security", sec)?,
                username: user.clone(),
            }),
            _ => None,
        };
        let warmup = match (r.warmup_start_per_day, r.warmup_increment_per_day) {
            (Some(start), Some(inc)) => Some(Warmup {
                start_per_day: to_u32("mailboxes.warmup_start_per_day", start.into())?,
                increment_per_day: to_u32("mailboxes.warmup_increment_per_day", inc.into())?,
            }),
            _ => None,
        };
        Ok(Mailbox {
            id: r.id,
            workspace_id: r.workspace_id,
            address: r.address.clone(),
            from_name: r.from_name.clone(),
            signature: r.signature.clone(),
            smtp: ServerInfo {
                host: r.smtp_host.clone(),
                port: port("mailboxes.smtp_port", r.smtp_port)?,
                security: parse("mailboxes.smtp_security", &r.smtp_security)?,
                username: r.smtp_username.clone(),
            },
            imap,
            daily_cap: to_u32("mailboxes.daily_cap", r.daily_cap.into())?,
            hourly_cap: r
                .hourly_cap
                .map(|c| to_u32("mailboxes.hourly_cap", c.into()))
                .transpose()?,
            min_gap: ms(r.min_gap_ms),
            max_gap: ms(r.max_gap_ms),
            warmup,
            // Every row has a date once migrated; a NULL written by hand counts from creation.
            warmup_started_on: r
                .warmup_started_on
                .unwrap_or_else(|| r.created_at.date_naive()),
            timezone: r.timezone.clone(),
            status: parse("mailboxes.status", &r.status)?,
            status_reason: r.status_reason.clone(),
            cooling_until: r.cooling_until,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProductRow {
    pub id: ProductId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub description: String,
    pub source_file_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<ProductRow> for Product {
    fn from(r: ProductRow) -> Self {
        Self {
            id: r.id,
            workspace_id: r.workspace_id,
            name: r.name,
            description: r.description,
            source_file_name: r.source_file_name,
            created_at: r.created_at,
        }
    }
}

/// `SELECT` list matching [`CampaignRow`] (the mailbox pool is loaded separately).
pub(crate) const CAMPAIGN_COLUMNS: &str = "id, workspace_id, name, goal, product_id, status, \
    window_days, window_start_minute, window_end_minute, timezone, timezone_policy, \
    daily_new_leads_cap, stop_on_reply, stop_on_company_reply, stop_other_campaigns_on_reply, \
    track_opens, track_clicks, ai_provider, ai_model, \
    emails_sent, last_run_at, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct CampaignRow {
    pub id: CampaignId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub goal: String,
    pub product_id: Option<ProductId>,
    pub status: String,
    pub window_days: i16,
    pub window_start_minute: i16,
    pub window_end_minute: i16,
    pub timezone: String,
    pub timezone_policy: String,
    pub daily_new_leads_cap: Option<i32>,
    pub stop_on_reply: bool,
    pub stop_on_company_reply: bool,
    pub stop_other_campaigns_on_reply: bool,
    pub track_opens: bool,
    pub track_clicks: bool,
    pub ai_provider: Option<String>,
    pub ai_model: Option<String>,
    pub emails_sent: i64,
    pub last_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CampaignRow {
    /// Into a `Campaign`, with its pool (in pool order) loaded by the caller.
    pub fn into_campaign(self, mailbox_ids: Vec<MailboxId>) -> Result<Campaign, StoreError> {
        let minute = |column, v: i16| {
            u16::try_from(v).map_err(|_| StoreError::Corrupt {
                column,
                detail: v.to_string(),
            })
        };
        Ok(Campaign {
            id: self.id,
            workspace_id: self.workspace_id,
            name: self.name,
            goal: self.goal,
            product_id: self.product_id,
            status: parse("campaigns.status", &self.status)?,
            rules: SendingRules {
                window: SendWindow {
                    days: Weekdays::from_bits(self.window_days as u8),
                    start_minute: minute(
                        "campaigns.window_start_minute",
                        self.window_start_minute,
                    )?,
                    end_minute: minute("campaigns.window_end_minute", self.window_end_minute)?,
                },
                timezone: self.timezone,
                timezone_policy: parse("campaigns.timezone_policy", &self.timezone_policy)?,
                daily_new_leads_cap: self
                    .daily_new_leads_cap
                    .map(|c| to_u32("campaigns.daily_new_leads_cap", c.into()))
                    .transpose()?,
                stop_on_reply: self.stop_on_reply,
                stop_on_company_reply: self.stop_on_company_reply,
                stop_other_campaigns_on_reply: self.stop_other_campaigns_on_reply,
                track_opens: self.track_opens,
                track_clicks: self.track_clicks,
            },
            mailbox_ids,
            ai: CampaignAi {
                provider: self
                    .ai_provider
                    .as_deref()
                    .map(|p| parse("campaigns.ai_provider", p))
                    .transpose()?,
                model: self.ai_model,
            },
            emails_sent: u64::try_from(self.emails_sent).unwrap_or(0),
            last_run_at: self.last_run_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub(crate) const STEP_COLUMNS: &str =
    "id, campaign_id, step_order, delay_ms, subject_template, body_template, ai_instructions";

#[derive(sqlx::FromRow)]
pub(crate) struct StepRow {
    pub id: StepId,
    pub campaign_id: CampaignId,
    pub step_order: i32,
    pub delay_ms: i64,
    pub subject_template: Option<String>,
    pub body_template: String,
    pub ai_instructions: Option<String>,
}

impl TryFrom<StepRow> for Step {
    type Error = StoreError;
    fn try_from(r: StepRow) -> Result<Self, StoreError> {
        Ok(Step {
            id: r.id,
            campaign_id: r.campaign_id,
            step_order: to_u32("sequence_steps.step_order", r.step_order.into())?,
            delay: ms(r.delay_ms),
            subject_template: r.subject_template,
            body_template: r.body_template,
            ai_instructions: r.ai_instructions,
        })
    }
}

/// A stored `generated_messages` row with its key (both backends decode these types).
#[derive(sqlx::FromRow)]
pub(crate) struct GeneratedRow {
    pub campaign_lead_id: crate::domain::CampaignLeadId,
    pub step_order: i32,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub provider: String,
    pub model: Option<String>,
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    pub cost_usd: f64,
}

pub(crate) const GENERATED_COLUMNS: &str = "campaign_lead_id, step_order, subject, body_text, \
    body_html, provider, model, prompt_tokens, completion_tokens, cost_usd";

impl TryFrom<GeneratedRow> for crate::domain::GeneratedMessage {
    type Error = StoreError;
    fn try_from(r: GeneratedRow) -> Result<Self, StoreError> {
        Ok(crate::domain::GeneratedMessage {
            subject: r.subject,
            body_text: r.body_text,
            body_html: r.body_html,
            provider: r.provider,
            model: r.model,
            prompt_tokens: to_u32("generated_messages.prompt_tokens", r.prompt_tokens.into())?,
            completion_tokens: to_u32(
                "generated_messages.completion_tokens",
                r.completion_tokens.into(),
            )?,
            cost_usd: r.cost_usd,
        })
    }
}

/// `SELECT` list matching [`ProductRow`].
pub(crate) const PRODUCT_COLUMNS: &str =
    "id, workspace_id, name, description, source_file_name, created_at";

pub(crate) const LEAD_COLUMNS: &str = "id, workspace_id, email, first_name, last_name, title, \
    company, website, linkedin, phone, timezone, custom, persona, unsubscribed_at, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct LeadRow {
    pub id: LeadId,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    pub website: Option<String>,
    pub linkedin: Option<String>,
    pub phone: Option<String>,
    pub timezone: Option<String>,
    pub custom: serde_json::Value,
    pub persona: Option<serde_json::Value>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<LeadRow> for Lead {
    type Error = StoreError;
    fn try_from(r: LeadRow) -> Result<Self, StoreError> {
        let custom: BTreeMap<String, String> =
            serde_json::from_value(r.custom).map_err(|e| StoreError::Corrupt {
                column: "leads.custom",
                detail: e.to_string(),
            })?;
        Ok(Lead {
            id: r.id,
            workspace_id: r.workspace_id,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            title: r.title,
            company: r.company,
            website: r.website,
            linkedin: r.linkedin,
            phone: r.phone,
            timezone: r.timezone,
            custom,
            persona: r.persona,
            unsubscribed_at: r.unsubscribed_at,
            created_at: r.created_at,
        })
    }
}

/// The JSON stored in `leads.custom`.
pub(crate) fn custom_json(custom: &BTreeMap<String, String>) -> serde_json::Value {
    serde_json::Value::Object(
        custom
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

/// The stored text of each of `items`, in their order, from `stored` keyed by (campaign lead,
/// step). A missing one means the store lost a row it just wrote or read: corrupt.
pub(crate) fn generated_in_order(
    items: &[crate::domain::GeneratedFor],
    mut stored: HashMap<(CampaignLeadId, i32), GeneratedRow>,
) -> Result<Vec<GeneratedMessage>, StoreError> {
    items
        .iter()
        .map(|item| {
            let step = i32::try_from(item.step_order).unwrap_or(i32::MAX);
            stored
                .remove(&(item.campaign_lead_id, step))
                .ok_or_else(|| StoreError::Corrupt {
                    column: "generated_messages",
                    detail: format!(
                        "no text stored for campaign lead {} step {step}",
                        item.campaign_lead_id
                    ),
                })
                .and_then(GeneratedMessage::try_from)
        })
        .collect()
}

/// `leads` without repeats, first occurrence kept: the same id twice in the input is one lead.
pub(crate) fn unique_leads(leads: &[LeadId]) -> Vec<LeadId> {
    let mut seen = std::collections::HashSet::with_capacity(leads.len());
    leads
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .collect()
}

/// Picks, for each of `count` new enrolments, the pool mailbox with the fewest active
/// enrolments so far (ties: pool order), updating `loads` as it goes. Shared by both backends
/// so inbox rotation behaves identically.
pub(crate) fn assign_least_loaded(loads: &mut [(MailboxId, u64)], count: usize) -> Vec<MailboxId> {
    let mut out = Vec::with_capacity(count);
    if loads.is_empty() {
        return out;
    }
    for _ in 0..count {
        // min_by_key returns the first minimum, which keeps pool order on ties.
        let Some(slot) = loads.iter_mut().min_by_key(|(_, load)| *load) else {
            break;
        };
        slot.1 += 1;
        out.push(slot.0);
    }
    out
}

/// What [`send_result`] reads: lead id, email, step, state and the reply or reason.
pub(crate) type SendResultRow = (LeadId, String, i32, String, Option<String>);

/// A `(lead id, email, step_order, state, detail)` row as a [`crate::domain::SendResult`].
pub(crate) fn send_result(
    (lead_id, email, step_order, state, detail): SendResultRow,
) -> Result<crate::domain::SendResult, StoreError> {
    Ok(crate::domain::SendResult {
        lead_id,
        email,
        step_order: to_u32("email_sends.step_order", step_order.into())?,
        state: parse("email_sends.state", &state)?,
        detail,
    })
}

/// A `campaign_leads` row as `explain` reads it: status, stop reason, mailbox, step, next due
/// time and lease expiry.
pub(crate) type EnrolmentRow = (
    String,
    Option<String>,
    Option<MailboxId>,
    i32,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// [`EnrolmentRow`] as [`EnrolmentState`].
pub(crate) fn enrolment_state(row: EnrolmentRow) -> Result<EnrolmentState, StoreError> {
    let (status, stop_reason, mailbox_id, step, next, lease) = row;
    Ok(EnrolmentState {
        status: parse("campaign_leads.status", &status)?,
        stop_reason,
        mailbox_id,
        current_step_order: u32::try_from(step).unwrap_or(1),
        next_scheduled_at: next,
        lease_expires_at: lease,
    })
}

/// What a claim reads beside the lead: the thread later steps reply under and the text an earlier
/// attempt stored (`g_*`, the step's `generated_messages` row if any). `I` is the type of the
/// token columns (`integer` on PostgreSQL, SQLite's 64-bit `INTEGER`).
#[derive(sqlx::FromRow)]
pub(crate) struct ClaimText<I> {
    thread_message_id: Option<String>,
    first_subject: Option<String>,
    g_subject: Option<String>,
    g_body_text: Option<String>,
    g_body_html: Option<String>,
    g_provider: Option<String>,
    g_model: Option<String>,
    g_prompt_tokens: Option<I>,
    g_completion_tokens: Option<I>,
    g_cost_usd: Option<f64>,
}

impl<I: Into<i64>> ClaimText<I> {
    pub(crate) fn into_parts(
        self,
    ) -> Result<(Option<ThreadInfo>, Option<GeneratedMessage>), StoreError> {
        let thread = match (self.thread_message_id, self.first_subject) {
            (Some(message_id), Some(first_subject)) => Some(ThreadInfo {
                message_id,
                first_subject,
            }),
            _ => None,
        };
        let tokens = |column, v: Option<I>| to_u32(column, v.map_or(0, Into::into));
        let generated = match (self.g_subject, self.g_body_text, self.g_provider) {
            (Some(subject), Some(body_text), Some(provider)) => Some(GeneratedMessage {
                subject,
                body_text,
                body_html: self.g_body_html,
                provider,
                model: self.g_model,
                prompt_tokens: tokens("generated_messages.prompt_tokens", self.g_prompt_tokens)?,
                completion_tokens: tokens(
                    "generated_messages.completion_tokens",
                    self.g_completion_tokens,
                )?,
                cost_usd: self.g_cost_usd.unwrap_or(0.0),
            }),
            _ => None,
        };
        Ok((thread, generated))
    }
}

/// A lead whose next text can be written ahead (`Dispatch::texts_to_write`). `I` is the type of
/// the step column (`integer` on PostgreSQL, SQLite's 64-bit `INTEGER`).
#[derive(sqlx::FromRow)]
pub(crate) struct PrefetchRow<I> {
    #[sqlx(flatten)]
    lead: LeadRow,
    campaign_lead_id: CampaignLeadId,
    mailbox_id: MailboxId,
    step_order: I,
    due_at: DateTime<Utc>,
    thread_message_id: Option<String>,
    first_subject: Option<String>,
}

impl<I: Into<i64>> TryFrom<PrefetchRow<I>> for PrefetchJob {
    type Error = StoreError;
    fn try_from(r: PrefetchRow<I>) -> Result<Self, StoreError> {
        let thread = match (r.thread_message_id, r.first_subject) {
            (Some(message_id), Some(first_subject)) => Some(ThreadInfo {
                message_id,
                first_subject,
            }),
            _ => None,
        };
        Ok(PrefetchJob {
            campaign_lead_id: r.campaign_lead_id,
            mailbox_id: r.mailbox_id,
            lead: Lead::try_from(r.lead)?,
            step_order: to_u32("campaign_leads.current_step_order", r.step_order.into())?,
            due_at: r.due_at,
            thread,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolments_fill_the_least_loaded_mailbox_first() {
        let (a, b, c) = (MailboxId::new(), MailboxId::new(), MailboxId::new());
        let mut loads = vec![(a, 2), (b, 0), (c, 1)];
        let picks = assign_least_loaded(&mut loads, 4);
        assert_eq!(picks, vec![b, b, c, a]);
        assert_eq!(loads, vec![(a, 3), (b, 2), (c, 2)]);
        assert!(assign_least_loaded(&mut [], 3).is_empty());
    }
}
