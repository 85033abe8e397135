//! Preview: what a lead receives next, written by the configured generator (or a provider,
//! model and tone the request names) and stored as the text that will be sent, so the preview
//! is exactly what goes out.

use std::sync::Arc;

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::caller::Caller;
use super::super::problem::{ApiError, Problem};
use crate::ai::ProviderName;
use crate::api::ApiState;
use crate::content::{ContentProvider, ModelProvider};
use crate::domain::{CampaignId, LeadId, Role};
use crate::service::campaigns::preview::{self, PreviewAsk};

/// Longest `tone` a preview takes, in characters.
const MAX_TONE_CHARS: usize = 200;

#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// The step to preview (default: the lead's next one).
    pub step: Option<u32>,
    /// Write with this provider instead of the configured one (its key must be configured).
    pub ai_provider: Option<ProviderName>,
    /// Write with this model (default: the provider's configured model).
    pub model: Option<String>,
    /// A tone to write in ("warmer", "more formal"), at most 200 characters; needs a language
    /// model.
    pub tone: Option<String>,
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
/// that will be sent. A body is optional: `{"step": 2}` previews another step; `ai_provider`,
/// `model` and `tone` write it with another provider, model or tone (a failure of a named
/// provider is an error, never the template fallback). A stored text is returned as stored.
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
        (status = 422, description = "No such step, the templates cannot be written for this lead, or the provider asked for is not configured", body = Problem, content_type = "application/problem+json"),
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
    let named = named_writer(&state, &body)?;
    let provider: &dyn ContentProvider = named.as_deref().unwrap_or(state.content.as_ref());
    let ask = PreviewAsk {
        step: body.step,
        tone: body
            .tone
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty()),
    };
    let writer = preview::PreviewWriter {
        provider,
        usage: &state.usage,
        insights: &state.insights,
    };
    let preview = preview::preview(
        state.store.as_ref(),
        writer,
        caller.workspace(),
        campaign_id,
        lead_id,
        ask,
    )
    .await?;
    let m = preview.message;
    if !preview.stored_before {
        state.metrics.content(provider.name()).usage(
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

/// The writer the body names (`ai_provider`, `model`), or `None` for the configured one.
/// A tone needs a language model: with the template it is an error, not silently ignored.
fn named_writer(
    state: &ApiState,
    body: &PreviewBody,
) -> Result<Option<Arc<dyn ContentProvider>>, ApiError> {
    let tone = body
        .tone
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if tone.is_some_and(|t| t.chars().count() > MAX_TONE_CHARS) {
        return Err(ApiError::Unprocessable(format!(
            "tone: at most {MAX_TONE_CHARS} characters"
        )));
    }
    let model = body
        .model
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let configured = ProviderName::parse(state.content.name());
    if body.ai_provider.is_none() && model.is_none() {
        if tone.is_some() && configured.is_none() {
            return Err(ApiError::Unprocessable(
                "tone: the configured content provider is the template; name an ai_provider to \
                 write in a tone"
                    .into(),
            ));
        }
        return Ok(None);
    }
    let provider = body.ai_provider.or(configured).ok_or_else(|| {
        ApiError::Unprocessable(
            "model: the configured content provider is the template; name an ai_provider".into(),
        )
    })?;
    let model = state
        .models
        .model(provider, model)
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    Ok(Some(Arc::new(ModelProvider::new(model))))
}
