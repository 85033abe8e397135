//! `/sends`: the email log: every (campaign lead, step) send with its state, mailbox,
//! Message-ID, the server's reply, attempts, times and the generated text. Read-only.

use actix_web::web;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::caller::Caller;
use super::page::{Page, PageQuery};
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{CampaignId, LeadId, SendFilter, SendId, SendRecord, SendState};

/// Filters arrive as text and are parsed here, so a bad one is a 422 naming its parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SendQuery {
    /// Only sends of this campaign.
    #[param(value_type = Option<CampaignId>)]
    pub campaign_id: Option<String>,
    /// Only sends to this lead.
    #[param(value_type = Option<LeadId>)]
    pub lead_id: Option<String>,
    /// Only sends in this state.
    #[param(value_type = Option<SendState>)]
    pub state: Option<String>,
}

/// The query parameter `field` parsed as `T` (absent or empty: `None`); 422 naming it else.
pub(super) fn param<T>(field: &str, value: Option<&str>) -> Result<Option<T>, ApiError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    // An empty value is not "no filter": `?lead_id=` is a malformed query, and answering with
    // everything would hide the client's bug.
    match value {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|e| ApiError::bad_query(field, format!("{v:?}: {e}"))),
    }
}

/// The query parameter `field` as an id.
pub(super) fn id_param<T: From<uuid::Uuid>>(
    field: &str,
    value: Option<&str>,
) -> Result<Option<T>, ApiError> {
    Ok(param::<uuid::Uuid>(field, value)?.map(T::from))
}

/// 404 unless the campaign is the caller's workspace's.
pub(super) async fn check_campaign(
    state: &ApiState,
    caller: &Caller,
    id: CampaignId,
) -> Result<(), ApiError> {
    match state.store.campaign_by_id(caller.workspace(), id).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound(format!("campaign {id}"))),
    }
}

/// 404 unless the lead is the caller's workspace's.
pub(super) async fn check_lead(
    state: &ApiState,
    caller: &Caller,
    id: LeadId,
) -> Result<(), ApiError> {
    match state
        .store
        .lead_of_workspace(caller.workspace(), id)
        .await?
    {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound(format!("lead {id}"))),
    }
}

/// The email log, oldest first: sends with their stored subject and body.
#[utoipa::path(get, path = "/api/v1/sends", tag = "sends", params(SendQuery, PageQuery),
    responses(
        (status = 200, description = "A page of sends", body = Page<SendRecord>),
        (status = 404, description = "The campaign or lead filtered on is not in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter, limit or cursor that is not valid", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    query: web::Query<SendQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<SendRecord>>, ApiError> {
    let limit = page.limit()?;
    let campaign = id_param::<CampaignId>("campaign_id", query.campaign_id.as_deref())?;
    let lead = id_param::<LeadId>("lead_id", query.lead_id.as_deref())?;
    let send_state = param::<SendState>("state", query.state.as_deref())?;
    if let Some(id) = campaign {
        check_campaign(&state, &caller, id).await?;
    }
    if let Some(id) = lead {
        check_lead(&state, &caller, id).await?;
    }
    let filter = SendFilter {
        campaign,
        lead,
        state: send_state,
        after: page.after()?.map(SendId),
        limit: limit + 1,
    };
    let rows = state.store.list_sends(caller.workspace(), &filter).await?;
    Ok(web::Json(page.page_of(rows, |s| s.id.0)?))
}

#[derive(OpenApi)]
#[openapi(paths(list))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sends", web::get().to(list));
}
