//! `/leads/{id}/persona`: a lead's persona, generated once and reused; `?regenerate=true`
//! replaces it. The rules (inputs, website fetch, validation, storing) are
//! `service::personas`; this area parses the request and shapes the answer.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::caller::Caller;
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{LeadId, Role};
use crate::service::personas::{self as service, Mode, PersonaError, PersonaOutcome};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonaQuery {
    /// Generate a new persona even when the lead has one, and replace it.
    #[serde(default)]
    pub regenerate: bool,
}

/// Optional body: profile text to store on the lead before generating.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonaRequest {
    /// Text about the person (a bio, notes, a profile the user copied), at most 10,000
    /// characters; used with the website. Empty clears it.
    pub profile_text: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonaView {
    pub lead_id: LeadId,
    /// `title`, `industry`, `painPoints`, `priorities`, `icebreakerHooks`, `openingLines`,
    /// `companyContext`, `keyTakeaways`.
    #[schema(value_type = Option<Object>)]
    pub persona: Option<serde_json::Value>,
    pub generated_at: Option<DateTime<Utc>>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub cost_usd: Option<f64>,
    pub profile_text: Option<String>,
    /// True when this request generated the persona; false when the stored one was returned.
    pub generated: bool,
    /// Why the website was left out of this generation (it could not be read, and the
    /// LinkedIn URL or profile text remained).
    pub website_error: Option<String>,
}

impl From<PersonaOutcome> for PersonaView {
    fn from(o: PersonaOutcome) -> Self {
        let r = o.record;
        Self {
            lead_id: r.lead.id,
            persona: r.lead.persona,
            generated_at: r.generated_at,
            provider: r.provider,
            model: r.model,
            cost_usd: r.cost_usd,
            profile_text: r.profile_text,
            generated: o.usage.is_some(),
            website_error: o.website_error.map(|e| e.to_string()),
        }
    }
}

impl From<PersonaError> for ApiError {
    fn from(e: PersonaError) -> Self {
        match e {
            PersonaError::NotFound(id) => Self::NotFound(format!("lead {id}")),
            PersonaError::NoInputs => Self::Unprocessable(e.to_string()),
            PersonaError::ProfileTooLong => Self::invalid("profile_text", e.to_string()),
            PersonaError::Website(ref w) if !w.is_transient() => Self::Unprocessable(e.to_string()),
            PersonaError::Website(_) | PersonaError::Model(_) | PersonaError::Invalid(_) => {
                Self::Upstream(e.to_string())
            }
            // A daily budget is spent: a clear refusal, not a provider failure.
            PersonaError::Budget(_) => Self::Conflict(e.to_string()),
            PersonaError::Store(e) => e.into(),
        }
    }
}

/// The lead's persona (member): the stored one, or a new one when it has none or
/// `regenerate=true`. Generating reads the lead's website (public addresses only) and asks the
/// `[personas]` provider; the LinkedIn URL is passed on as a reference and never fetched.
#[utoipa::path(post, path = "/api/v1/leads/{id}/persona", tag = "leads",
    params(("id" = LeadId, Path, description = "The lead"), PersonaQuery),
    request_body(content = Option<PersonaRequest>, description = "Optional: profile text to store first"),
    responses(
        (status = 200, description = "The persona, stored or new", body = PersonaView),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No persona provider is usable (its key or settings are missing), or a daily budget is spent", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The lead has no website, LinkedIn URL or profile text, or its website cannot be read and nothing else remains", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The model failed or answered something that is not a persona", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn generate(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<LeadId>,
    query: web::Query<PersonaQuery>,
    body: web::Bytes,
) -> Result<web::Json<PersonaView>, ApiError> {
    caller.require(Role::Member)?;
    let id = id.into_inner();
    let ws = caller.workspace();
    // A lead of another workspace is a 404 whether or not personas are usable here.
    if state.store.lead_by_id(ws, id).await?.is_none() {
        return Err(ApiError::NotFound(format!("lead {id}")));
    }
    let generator = state
        .personas
        .as_ref()
        .map_err(|problem| ApiError::Conflict(format!("personas are unavailable: {problem}")))?;
    if !body.iter().all(u8::is_ascii_whitespace) {
        let request: PersonaRequest = serde_json::from_slice(&body)
            .map_err(|e| ApiError::Unprocessable(format!("invalid body: {e}")))?;
        if let Some(text) = request.profile_text {
            service::set_profile_text(state.store.as_ref(), ws, id, Some(&text)).await?;
        }
    }
    let mode = if query.regenerate {
        Mode::Regenerate
    } else {
        Mode::Reuse
    };
    let outcome = generator.persona(ws, id, mode).await?;
    if let Some(usage) = &outcome.usage {
        tracing::info!(
            lead = %id, provider = usage.provider, model = %usage.model,
            input_tokens = usage.input_tokens, output_tokens = usage.output_tokens,
            cost_usd = usage.cost_usd, "Generated a lead persona on request."
        );
    }
    Ok(web::Json(outcome.into()))
}

#[derive(OpenApi)]
#[openapi(paths(generate))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/leads/{id:[0-9a-fA-F-]{32,36}}/persona",
        web::post().to(generate),
    );
}
