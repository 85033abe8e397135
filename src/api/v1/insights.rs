//! `/insights`: company insights by domain. Viewers read the stored one; members ask the
//! model again. The rules live in `service::insights`.

use actix_web::web;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::caller::Caller;
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{CompanyInsight, Role};
use crate::service::insights::InsightError;

impl From<InsightError> for ApiError {
    fn from(e: InsightError) -> Self {
        match e {
            InsightError::Disabled => ApiError::Conflict(e.to_string()),
            InsightError::Budget(_) => ApiError::Conflict(e.to_string()),
            InsightError::BadDomain { reason, .. } => ApiError::invalid("domain", reason),
            InsightError::NotFound(domain) => ApiError::NotFound(format!("insight on {domain}")),
            InsightError::Provider(_) => ApiError::Upstream(e.to_string()),
            InsightError::Store(e) => e.into(),
        }
    }
}

/// What asking for an insight cost.
#[derive(Serialize, ToSchema)]
pub struct InsightUsage {
    pub provider: String,
    pub model: String,
    pub input_tokens: u32,
    pub output_tokens: u32,
    /// From the configured price table (searches billed per request are not in it).
    pub cost_usd: f64,
    /// The whole call, retries included.
    pub latency_ms: u64,
}

#[derive(Serialize, ToSchema)]
pub struct RefreshedInsight {
    pub insight: CompanyInsight,
    pub usage: InsightUsage,
}

/// The stored insight on a company's domain (possibly expired: `expires_at` says).
#[utoipa::path(get, path = "/api/v1/insights/{domain}", tag = "insights",
    params(("domain" = String, Path, description = "The company's domain, like acme.com")),
    responses(
        (status = 200, description = "The insight", body = CompanyInsight),
        (status = 404, description = "No insight on this domain in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a domain name", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<ApiState>,
    caller: Caller,
    domain: web::Path<String>,
) -> Result<web::Json<CompanyInsight>, ApiError> {
    let insight = state
        .insights
        .show(state.store.as_ref(), caller.workspace(), &domain)
        .await?;
    Ok(web::Json(insight))
}

/// Asks the configured model about the domain now (member) and stores the answer in place of
/// the earlier one.
#[utoipa::path(post, path = "/api/v1/insights/{domain}/refresh", tag = "insights",
    params(("domain" = String, Path, description = "The company's domain, like acme.com")),
    responses(
        (status = 200, description = "The new insight and what it cost", body = RefreshedInsight),
        (status = 403, description = "Needs member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Company insights are disabled, or a daily budget is spent", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a domain name", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider failed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn refresh(
    state: web::Data<ApiState>,
    caller: Caller,
    domain: web::Path<String>,
) -> Result<web::Json<RefreshedInsight>, ApiError> {
    caller.require(Role::Member)?;
    let refreshed = state
        .insights
        .refresh(state.store.as_ref(), caller.workspace(), &domain)
        .await?;
    let u = refreshed.usage;
    Ok(web::Json(RefreshedInsight {
        insight: refreshed.insight,
        usage: InsightUsage {
            provider: u.provider.to_owned(),
            model: u.model,
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cost_usd: u.cost_usd,
            latency_ms: u64::try_from(u.latency.as_millis()).unwrap_or(u64::MAX),
        },
    }))
}

#[derive(OpenApi)]
#[openapi(paths(get, refresh))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/insights/{domain}", web::get().to(get))
        .route("/insights/{domain}/refresh", web::post().to(refresh));
}
