//! `/events`: engagement events (replies, auto-replies, bounces, unsubscribes, complaints…)
//! as the inbound half recorded them. Read-only.

use actix_web::web;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::caller::Caller;
use super::page::{Page, PageQuery};
use super::problem::{ApiError, Problem};
use super::sends::{check_campaign, check_lead, id_param, param};
use crate::api::ApiState;
use crate::domain::{CampaignId, EventFilter, EventId, EventKind, EventRecord, LeadId};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events of this campaign's enrolments.
    #[param(value_type = Option<CampaignId>)]
    pub campaign_id: Option<String>,
    /// Only events of this lead.
    #[param(value_type = Option<LeadId>)]
    pub lead_id: Option<String>,
    /// Only events of this type.
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<EventKind>)]
    pub kind: Option<String>,
}

/// Engagement events, oldest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventQuery, PageQuery),
    responses(
        (status = 200, description = "A page of events", body = Page<EventRecord>),
        (status = 404, description = "The campaign or lead filtered on is not in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter, limit or cursor that is not valid", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    query: web::Query<EventQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<EventRecord>>, ApiError> {
    let limit = page.limit()?;
    let campaign = id_param::<CampaignId>("campaign_id", query.campaign_id.as_deref())?;
    let lead = id_param::<LeadId>("lead_id", query.lead_id.as_deref())?;
    let kind = param::<EventKind>("type", query.kind.as_deref())?;
    if let Some(id) = campaign {
        check_campaign(&state, &caller, id).await?;
    }
    if let Some(id) = lead {
        check_lead(&state, &caller, id).await?;
    }
    let filter = EventFilter {
        campaign,
        lead,
        kind,
        after: page.after()?.map(EventId),
        limit: limit + 1,
    };
    let rows = state.store.list_events(caller.workspace(), &filter).await?;
    Ok(web::Json(page.page_of(rows, |e| e.id.0)?))
}

#[derive(OpenApi)]
#[openapi(paths(list))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/events", web::get().to(list));
}
