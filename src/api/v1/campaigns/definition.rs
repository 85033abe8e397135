//! Reading and writing campaign definitions, and moving a campaign through its lifecycle.

use crate::api::v1::body::Body;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::super::caller::Caller;
use super::super::page::{Page, PageQuery};
use super::super::problem::{ApiError, Problem};
use super::body::CampaignBody;
use super::views::{CampaignSummaryView, CampaignView};
use super::{find, parse_body};
use crate::api::ApiState;
use crate::domain::{CampaignId, CampaignStatus, Role};
use crate::service::campaigns::{definition, status};

/// The workspace's campaigns by name.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(PageQuery),
    responses((status = 200, description = "A page of campaigns", body = Page<CampaignSummaryView>)))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<CampaignSummaryView>>, ApiError> {
    let all = state.store.list_campaigns(caller.workspace()).await?;
    let page = query.paginate(all, |c| c.id.0)?;
    Ok(web::Json(page.map(CampaignSummaryView::from)))
}

/// One campaign with its steps, mailbox pool, product, sending rules and counts.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = CampaignId, Path, description = "The campaign")),
    responses(
        (status = 200, description = "The campaign", body = CampaignView),
        (status = 404, description = "No such campaign in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<CampaignId>,
) -> Result<web::Json<CampaignView>, ApiError> {
    let campaign = find(&state, &caller, id.into_inner()).await?;
    Ok(web::Json(CampaignView::of(&state, campaign).await?))
}

/// Creates a draft campaign with its steps (member). Steps are checked as apply files are:
/// the first needs a subject, follow-ups a delay, templates must compile.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignBody,
    responses(
        (status = 201, description = "Created, as a draft", body = CampaignView),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A campaign with that name exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named (`steps[1].body`)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    state: web::Data<ApiState>,
    caller: Caller,
    body: Body<CampaignBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Member)?;
    let campaign = definition::create(
        state.store.as_ref(),
        caller.workspace(),
        body.into_inner().into(),
    )
    .await?;
    let location = format!("/api/v1/campaigns/{}", campaign.id);
    let view = CampaignView::of(&state, campaign).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(view))
}

/// Replaces a campaign's definition (member); its status and enrolments stay. Dropping a
/// step that active leads still have to send is refused.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = CampaignBody,
    params(("id" = CampaignId, Path, description = "The campaign")),
    responses(
        (status = 200, description = "The campaign as it is now", body = CampaignView),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is another campaign's, or active leads are on a dropped step", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn replace(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<CampaignId>,
    body: Body<serde_json::Value>,
) -> Result<web::Json<CampaignView>, ApiError> {
    caller.require(Role::Member)?;
    let current = find(&state, &caller, id.into_inner()).await?;
    let body: CampaignBody = parse_body(body.into_inner())?;
    let campaign = definition::replace(
        state.store.as_ref(),
        caller.workspace(),
        current.id,
        body.into(),
    )
    .await?;
    state.supervisor.notify();
    Ok(web::Json(CampaignView::of(&state, campaign).await?))
}

/// Deletes a draft campaign nothing was sent from (member). Any other campaign keeps its email
/// log: complete it instead.
#[utoipa::path(delete, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = CampaignId, Path, description = "The campaign")),
    responses(
        (status = 204, description = "Deleted, with its steps, enrolments and stored previews"),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft, or it has sends", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Member)?;
    definition::delete(state.store.as_ref(), caller.workspace(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `running` starts (or resumes), `paused` pauses, `completed` ends it for good.
    pub status: CampaignStatus,
}

/// Moves a campaign through draft → running ⇄ paused → completed (member). Staying put is
/// allowed and changes nothing.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/status", tag = "campaigns", request_body = StatusBody,
    params(("id" = CampaignId, Path, description = "The campaign")),
    responses(
        (status = 200, description = "The campaign with its new status", body = CampaignView),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A move the lifecycle forbids, or running without steps or mailboxes", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_status(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<CampaignId>,
    body: Body<serde_json::Value>,
) -> Result<web::Json<CampaignView>, ApiError> {
    caller.require(Role::Member)?;
    let current = find(&state, &caller, id.into_inner()).await?;
    let body: StatusBody = parse_body(body.into_inner())?;
    let (campaign, changed) = status::set(
        state.store.as_ref(),
        caller.workspace(),
        current.id,
        body.status,
    )
    .await?;
    if changed {
        state.supervisor.notify();
    }
    Ok(web::Json(CampaignView::of(&state, campaign).await?))
}
