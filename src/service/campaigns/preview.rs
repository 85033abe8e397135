//! Previewing what goes out next to a lead: the step's templates rendered for the lead and
//! written by the configured content provider, exactly as a campaign actor would, and stored
//! as the step's text, so the send that follows uses these very words (a stored text is never
//! written again). A step whose text is stored already is answered from the store. The call
//! counts against the AI budgets and is recorded in `api_usage` as a send's would be.

use crate::content::{ComposeError, Composition, ContentProvider, request_for, stored_form};
use crate::domain::{
    CampaignId, CampaignLeadStatus, GeneratedFor, GeneratedMessage, LeadId, WorkspaceId,
};
use crate::service::insights::Insights;
use crate::service::usage::{CallSite, UsageRecorder, Written};
use crate::store::Store;

use super::CampaignError;

/// What a lead receives at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    pub step: u32,
    pub message: GeneratedMessage,
    /// The text was stored before this preview (by a send, or an earlier preview).
    pub stored_before: bool,
}

/// Which step to preview, and how to write it when it is not stored yet.
#[derive(Clone, Copy, Debug, Default)]
pub struct PreviewAsk<'a> {
    /// The step (default: the lead's next one).
    pub step: Option<u32>,
    /// A tone for the provider to write in (language models only).
    pub tone: Option<&'a str>,
}

/// Who writes a preview: the content provider, with the recorder that checks budgets and
/// records the call, and the company insights its prompt uses.
#[derive(Clone, Copy)]
pub struct PreviewWriter<'a> {
    pub provider: &'a dyn ContentProvider,
    pub usage: &'a UsageRecorder,
    pub insights: &'a Insights,
}

/// The lead's next step (or `ask.step`), written by `writer` and stored if it was not yet.
pub async fn preview(
    store: &dyn Store,
    writer: PreviewWriter<'_>,
    ws: WorkspaceId,
    campaign_id: CampaignId,
    lead_id: LeadId,
    ask: PreviewAsk<'_>,
) -> Result<Preview, CampaignError> {
    let PreviewWriter {
        provider,
        usage,
        insights,
    } = writer;
    let step = ask.step;
    let campaign = store
        .campaign_by_id(ws, campaign_id)
        .await?
        .ok_or_else(|| CampaignError::not_found("campaign", campaign_id))?;
    let enrolled = store
        .enrolled_lead(ws, campaign_id, lead_id)
        .await?
        .ok_or_else(|| CampaignError::NotFound {
            kind: "lead",
            name: format!("{lead_id} in this campaign (enrol it first)"),
        })?;
    let steps = store.campaign_steps(ws, campaign_id).await?;
    let state = &enrolled.state;
    let order = match step {
        Some(n) if n == 0 || n as usize > steps.len() => {
            return Err(CampaignError::invalid(
                "step",
                format!("the campaign has steps 1 to {}", steps.len()),
            ));
        }
        Some(n) => n,
        None if state.status != CampaignLeadStatus::Active => {
            return Err(CampaignError::Conflict(format!(
                "the lead is {} in this campaign: nothing more goes out (name a step to see \
                 what was sent)",
                state.status
            )));
        }
        None => state.current_step_order,
    };
    if let Some(stored) = store
        .stored_text(ws, enrolled.campaign_lead_id, order)
        .await?
    {
        return Ok(Preview {
            step: order,
            message: stored,
            stored_before: true,
        });
    }
    if order < state.current_step_order {
        return Err(CampaignError::Conflict(format!(
            "step {order} went out already and its text was not kept"
        )));
    }
    let step_row = steps
        .iter()
        .find(|s| s.step_order == order)
        .ok_or_else(|| CampaignError::invalid("step", format!("no step {order}")))?;
    let no_mailbox = || {
        CampaignError::Conflict(
            "the lead has no mailbox to send from (its mailbox was deleted)".into(),
        )
    };
    let mailbox_id = state.mailbox_id.ok_or_else(no_mailbox)?;
    let mailbox = store
        .mailbox_by_id(ws, mailbox_id)
        .await?
        .ok_or_else(no_mailbox)?;
    let product = match campaign.product_id {
        Some(id) => store.product_by_id(ws, id).await?,
        None => None,
    };
    let insight = insights.for_lead(store, &enrolled.lead).await;
    let mut request = request_for(&Composition {
        campaign: &campaign,
        step: step_row,
        lead: &enrolled.lead,
        mailbox: &mailbox,
        product: product.as_ref(),
        first_subject: enrolled.first_subject.as_deref(),
        insight: insight.as_ref(),
    })
    .map_err(|e| match e {
        ComposeError::NoThread(n) => CampaignError::Conflict(format!(
            "step {n} replies under the subject of step 1, which is not written yet: preview \
             step 1 first"
        )),
        ComposeError::Template(e) => CampaignError::Unwritable(e.to_string()),
    })?;
    request.tone = ask.tone.map(str::to_owned);
    let site = CallSite::email(ws, campaign_id, lead_id, order);
    let generated = match usage
        .write_email(provider, &site, &request)
        .await
        .map_err(CampaignError::Provider)?
    {
        Written::Text(generated) => generated,
        // A send would wait for the budget: so does the preview (nothing is stored).
        Written::Wait { reason, .. } => return Err(CampaignError::Conflict(reason)),
    };
    let item = GeneratedFor {
        campaign_lead_id: enrolled.campaign_lead_id,
        step_order: order,
        message: stored_form(generated),
    };
    // A send that stored its text meanwhile wins: the preview shows what it stored.
    let message = store
        .save_generated_many(std::slice::from_ref(&item))
        .await?
        .pop()
        .ok_or_else(|| CampaignError::Conflict("the text could not be stored".into()))?;
    Ok(Preview {
        step: order,
        message,
        stored_before: false,
    })
}
