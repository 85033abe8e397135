//! Creating, replacing and deleting a campaign's definition: the client's fields checked by
//! the apply file's rules ([`super::rules`]) plus what only a request can get wrong (a text
//! that is not a duration, an id that names no mailbox of the workspace), every defect named by
//! its field, then written through the store's campaign upsert.

use std::collections::{HashMap, HashSet};

use crate::domain::{
    Campaign, CampaignId, CampaignSpec, DraftDeletion, HumanDuration, MailboxId, ProductId,
    SendWindow, SendingRules, TimezonePolicy, Weekdays, WorkspaceId,
};
use crate::store::Store;

use super::rules::{self, StepDraft};
use super::{CampaignError, FieldProblem};

/// At most this many steps in a sequence.
pub const MAX_STEPS: usize = 50;

/// A campaign as a client writes it: references by id, the rest as text still to be checked.
/// A field left out takes the default an apply file gets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CampaignInput {
    pub name: String,
    pub goal: String,
    pub product_id: Option<ProductId>,
    pub mailbox_ids: Vec<MailboxId>,
    pub window: Option<WindowInput>,
    pub timezone: Option<String>,
    pub timezone_policy: Option<String>,
    pub daily_new_leads_cap: Option<u32>,
    pub stop_on_reply: Option<bool>,
    pub stop_on_company_reply: Option<bool>,
    pub stop_other_campaigns_on_reply: Option<bool>,
    pub track_opens: Option<bool>,
    pub track_clicks: Option<bool>,
    /// Which provider and model write the emails (default: `[content]`).
    pub ai: crate::domain::CampaignAi,
    pub steps: Vec<StepInput>,
}

/// `{"days": "mon-fri", "start": "09:00", "end": "17:00"}`; a part left out is unrestricted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowInput {
    pub days: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepInput {
    /// "3d", "36h", "90m"; required after the first step.
    pub delay: Option<String>,
    /// Required on the first step; a follow-up without one replies in the thread.
    pub subject: Option<String>,
    pub body: String,
    pub ai_instructions: Option<String>,
}

/// The store's form of `input`, or every field at fault. Reads the workspace's mailboxes and
/// the product to check the references.
pub async fn check(
    store: &dyn Store,
    ws: WorkspaceId,
    input: CampaignInput,
) -> Result<CampaignSpec, CampaignError> {
    let mut problems = Vec::new();
    let mut fail =
        |field: String, message: String| problems.push(FieldProblem::new(field, message));
    if let Err(m) = rules::line_text("name", &input.name) {
        fail("name".into(), m);
    }
    if let Some(product) = input.product_id
        && store.product_by_id(ws, product).await?.is_none()
    {
        fail(
            "product_id".into(),
            format!("no product {product} in this workspace"),
        );
    }
    let known: HashSet<MailboxId> = store
        .list_mailboxes(ws)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let mut seen = HashMap::new();
    for (i, id) in input.mailbox_ids.iter().enumerate() {
        let field = format!("mailbox_ids[{i}]");
        if !known.contains(id) {
            fail(field, format!("no mailbox {id} in this workspace"));
        } else if let Some(first) = seen.insert(*id, i) {
            fail(
                field,
                format!("mailbox {id} is listed twice (first at mailbox_ids[{first}])"),
            );
        }
    }
    let defaults = SendingRules::default();
    let window = match &input.window {
        None => defaults.window,
        Some(w) => window(w).unwrap_or_else(|(field, m)| {
            fail(field.into(), m);
            defaults.window
        }),
    };
    let timezone = input.timezone.unwrap_or(defaults.timezone);
    if let Err(m) = rules::timezone(&timezone) {
        fail("timezone".into(), m);
    }
    let timezone_policy = match input.timezone_policy.as_deref() {
        None => defaults.timezone_policy,
        Some(text) => text.parse::<TimezonePolicy>().unwrap_or_else(|e| {
            fail("timezone_policy".into(), e.to_string());
            defaults.timezone_policy
        }),
    };
    if let Some(cap) = input.daily_new_leads_cap
        && let Err(m) = rules::cap("daily_new_leads_cap", cap)
    {
        fail("daily_new_leads_cap".into(), m);
    }
    if input.steps.is_empty() {
        fail(
            "steps".into(),
            "a campaign needs at least one step with a subject and a body".into(),
        );
    } else if input.steps.len() > MAX_STEPS {
        fail(
            "steps".into(),
            format!("at most {MAX_STEPS} steps (got {})", input.steps.len()),
        );
    }
    let mut steps = Vec::with_capacity(input.steps.len());
    for (i, step) in input.steps.into_iter().enumerate() {
        let delay = match step.delay.as_deref() {
            None => None,
            Some(text) => match HumanDuration::parse(text) {
                Ok(d) => Some(d),
                Err(e) => {
                    fail(format!("steps[{i}].delay"), e.to_string());
                    // Checked as given, so a missing delay is not reported twice.
                    Some(HumanDuration::ZERO)
                }
            },
        };
        let draft = StepDraft {
            delay,
            subject: step.subject,
            body: step.body,
            ai_instructions: step.ai_instructions,
        };
        let (spec, found) = rules::step(i, draft);
        for p in found {
            fail(format!("steps[{i}].{}", p.key.as_str()), p.message);
        }
        steps.push(spec);
    }
    if !problems.is_empty() {
        return Err(CampaignError::Invalid(problems));
    }
    Ok(CampaignSpec {
        name: input.name,
        goal: input.goal,
        ai: crate::domain::CampaignAi {
            provider: input.ai.provider,
            model: input
                .ai
                .model
                .map(|m| m.trim().to_owned())
                .filter(|m| !m.is_empty()),
        },
        product_id: input.product_id,
        status: None,
        rules: SendingRules {
            window,
            timezone,
            timezone_policy,
            daily_new_leads_cap: input.daily_new_leads_cap,
            stop_on_reply: input.stop_on_reply.unwrap_or(defaults.stop_on_reply),
            stop_on_company_reply: input
                .stop_on_company_reply
                .unwrap_or(defaults.stop_on_company_reply),
            stop_other_campaigns_on_reply: input
                .stop_other_campaigns_on_reply
                .unwrap_or(defaults.stop_other_campaigns_on_reply),
            track_opens: input.track_opens.unwrap_or(defaults.track_opens),
            track_clicks: input.track_clicks.unwrap_or(defaults.track_clicks),
        },
        mailbox_ids: input.mailbox_ids,
        steps,
    })
}

/// The window, or the field at fault with why.
fn window(w: &WindowInput) -> Result<SendWindow, (&'static str, String)> {
    let days = w.days.as_deref().unwrap_or("mon-sun");
    Weekdays::parse(days).map_err(|e| ("window.days", e.to_string()))?;
    let start = w.start.as_deref().unwrap_or("00:00");
    let end = w.end.as_deref().unwrap_or("24:00");
    SendWindow::parse(days, start, end).map_err(|e| {
        // Blame the end unless the start alone is what does not parse.
        let field = match SendWindow::parse(days, start, "24:00") {
            Err(_) => "window.start",
            Ok(_) => "window.end",
        };
        (field, e.to_string())
    })
}

/// Creates a draft campaign; `Conflict` when the name is taken.
pub async fn create(
    store: &dyn Store,
    ws: WorkspaceId,
    input: CampaignInput,
) -> Result<Campaign, CampaignError> {
    let spec = check(store, ws, input).await?;
    Ok(store.create_campaign(ws, &spec).await?)
}

/// Replaces campaign `id`'s definition (its status and enrolments stay). `Conflict` when the
/// new name is another campaign's, or when it drops a step active leads still have to send.
pub async fn replace(
    store: &dyn Store,
    ws: WorkspaceId,
    id: CampaignId,
    input: CampaignInput,
) -> Result<Campaign, CampaignError> {
    // An id of another workspace is "not found" whatever the body says.
    store
        .campaign_by_id(ws, id)
        .await?
        .ok_or_else(|| CampaignError::not_found("campaign", id))?;
    let spec = check(store, ws, input).await?;
    Ok(store.replace_campaign(ws, id, &spec).await?.value)
}

/// Deletes a draft campaign nothing was sent from. Others keep their email log: complete them
/// instead.
pub async fn delete(
    store: &dyn Store,
    ws: WorkspaceId,
    id: CampaignId,
) -> Result<(), CampaignError> {
    match store.delete_draft_campaign(ws, id).await? {
        DraftDeletion::Deleted => Ok(()),
        DraftDeletion::NotFound => Err(CampaignError::not_found("campaign", id)),
        DraftDeletion::NotDraft(status) => Err(CampaignError::Conflict(format!(
            "only a draft campaign can be deleted; this one is {status} (complete it instead)"
        ))),
        DraftDeletion::HasSends => Err(CampaignError::Conflict(
            "the campaign has sends in its email log, which must stay; complete it instead".into(),
        )),
    }
}
