//! Preview: what a lead receives next, written by the configured generator and stored as the
//! text that will be sent, so the preview is exactly what goes out.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::caller::Caller;
use super::super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{CampaignId, LeadId, Role};
use crate::service::campaigns::preview;

#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// The step to preview (default: the lead's next one).
    pub step: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewView {
    pub campaign_id: CampaignId,
    pub lead_id: LeadId,
    pub step: u32,
    pub subject: String,
    /// The plain-text body, as sent.
    pub body: String,
    /// Who wrote it: `template`, or the AI provider (`openai`).
    pub provider: String,
    pub model: Option<String>,
    /// The text was stored before this request (by a send or an earlier preview).
    pub stored_before: bool,
}

/// Renders and generates what goes out next to the lead (member), and stores it as the text
/// that will be sent. A body is optional: `{"step": 2}` previews another step.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/leads/{lead_id}/preview", tag = "campaigns",
    request_body(content = Option<PreviewBody>, description = "Optional"),
    params(
        ("id" = CampaignId, Path, description = "The campaign"),
        ("lead_id" = LeadId, Path, description = "An enrolled lead"),
    ),
    responses(
        (status = 200, description = "The text that goes out", body = PreviewView),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign, or the lead is not enrolled in it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing more goes out to the lead, or the step needs step 1 written first", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such step, or the templates cannot be written for this lead", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The content provider failed; try again", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn preview(
    state: web::Data<ApiState>,
    caller: Caller,
    path: web::Path<(CampaignId, LeadId)>,
    body: web::Bytes,
) -> Result<web::Json<PreviewView>, ApiError> {
    caller.require(Role::Member)?;
    let (campaign_id, lead_id) = path.into_inner();
    let body: PreviewBody = if body.iter().all(u8::is_ascii_whitespace) {
        PreviewBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| match e.is_data() {
            true => ApiError::Unprocessable(format!("invalid body: {e}")),
            false => ApiError::BadRequest(format!("invalid JSON body: {e}")),
        })?
    };
    let preview = preview::preview(
        state.store.as_ref(),
        state.content.as_ref(),
        &state.insights,
        caller.workspace(),
        campaign_id,
        lead_id,
        body.step,
    )
    .await?;
    let m = preview.message;
    if !preview.stored_before {
        state.metrics.content(state.content.name()).usage(
            &m.provider,
            m.prompt_tokens,
            m.completion_tokens,
            m.cost_usd,
        );
    }
    Ok(web::Json(PreviewView {
        campaign_id,
        lead_id,
        step: preview.step,
        subject: m.subject,
        body: m.body_text,
        provider: m.provider,
        model: m.model,
        stored_before: preview.stored_before,
    }))
}
