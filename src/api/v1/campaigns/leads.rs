//! A campaign's leads: enrolling them (the same code `outreachd enroll` runs) and listing the
//! enrolments a page at a time, keyset-paginated in the store.

use crate::api::v1::body::Body;
use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::caller::Caller;
use super::super::page::{Page, PageQuery};
use super::super::problem::{ApiError, Problem};
use super::find;
use crate::api::ApiState;
use crate::domain::{
    CampaignId, CampaignLeadId, CampaignLeadInfo, CampaignLeadQuery, CampaignLeadStatus,
    EnrollOutcome, LeadId, MailboxId, Role,
};
use crate::service::campaigns::enrolment::{self, CHUNK, LeadSelection};

/// Which leads to enrol: `lead_ids`, or `all` the workspace's leads.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollBody {
    /// At most 5,000 per request, enrolled all or none.
    #[serde(default)]
    pub lead_ids: Vec<LeadId>,
    /// Every lead of the workspace.
    #[serde(default)]
    pub all: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EnrollView {
    pub enrolled: u64,
    pub already_enrolled: u64,
    /// Suppressed or unsubscribed: never enrolled.
    pub suppressed: u64,
}

impl From<EnrollOutcome> for EnrollView {
    fn from(o: EnrollOutcome) -> Self {
        Self {
            enrolled: o.enrolled,
            already_enrolled: o.already_enrolled,
            suppressed: o.suppressed,
        }
    }
}

/// Enrols leads into the campaign (member), each due now on the pool's least-loaded mailbox.
/// Leads enrolled already, suppressed or unsubscribed are counted and left alone.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/leads", tag = "campaigns", request_body = EnrollBody,
    params(("id" = CampaignId, Path, description = "The campaign")),
    responses(
        (status = 200, description = "What the enrolment did", body = EnrollView),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The campaign is completed, or has no mailboxes", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both of lead_ids and all, too many ids, or an id that is no lead of the workspace (`lead_ids[3]`)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn enroll(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<CampaignId>,
    body: Body<EnrollBody>,
) -> Result<web::Json<EnrollView>, ApiError> {
    caller.require(Role::Member)?;
    let campaign = find(&state, &caller, id.into_inner()).await?;
    let store = state.store.as_ref();
    let ws = caller.workspace();
    let ids = match (body.all, body.lead_ids.is_empty()) {
        (true, true) => {
            enrolment::resolve(store, ws, &LeadSelection::All)
                .await?
                .ids
        }
        (false, false) if body.lead_ids.len() > CHUNK => {
            return Err(ApiError::invalid(
                "lead_ids",
                format!("at most {CHUNK} ids per request (or use \"all\": true)"),
            ));
        }
        (false, false) => body.into_inner().lead_ids,
        _ => {
            return Err(ApiError::invalid(
                "lead_ids",
                "give either lead_ids (a non-empty list) or \"all\": true",
            ));
        }
    };
    let outcome = enrolment::enroll(store, ws, &campaign, &ids, Utc::now()).await?;
    if outcome.enrolled > 0 {
        state.supervisor.notify();
    }
    Ok(web::Json(outcome.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusFilter {
    /// Only leads with this status in the campaign.
    pub status: Option<CampaignLeadStatus>,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignLeadView {
    pub lead_id: LeadId,
    pub email: String,
    pub status: CampaignLeadStatus,
    /// The next step to send (the last one sent + 1).
    pub current_step: u32,
    /// When that step is due; absent when nothing is scheduled.
    pub next_scheduled_at: Option<DateTime<Utc>>,
    pub mailbox_id: Option<MailboxId>,
    pub mailbox_address: Option<String>,
    /// Why the sequence stopped (replied, bounced, suppressed, ...).
    pub stop_reason: Option<String>,
    pub enrolled_at: DateTime<Utc>,
}

impl From<CampaignLeadInfo> for CampaignLeadView {
    fn from(c: CampaignLeadInfo) -> Self {
        Self {
            lead_id: c.lead_id,
            email: c.email,
            status: c.status,
            current_step: c.current_step,
            next_scheduled_at: c.next_scheduled_at,
            mailbox_id: c.mailbox_id,
            mailbox_address: c.mailbox_address,
            stop_reason: c.stop_reason,
            enrolled_at: c.enrolled_at,
        }
    }
}

/// The campaign's leads in enrolment order, with where each stands.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/leads", tag = "campaigns",
    params(("id" = CampaignId, Path, description = "The campaign"), PageQuery, StatusFilter),
    responses(
        (status = 200, description = "A page of the campaign's leads", body = Page<CampaignLeadView>),
        (status = 404, description = "No such campaign in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<CampaignId>,
    page: web::Query<PageQuery>,
    filter: web::Query<StatusFilter>,
) -> Result<web::Json<Page<CampaignLeadView>>, ApiError> {
    let campaign = find(&state, &caller, id.into_inner()).await?;
    let query = CampaignLeadQuery {
        after: page.after()?.map(CampaignLeadId::from),
        limit: page.limit()? + 1,
        status: filter.status,
    };
    let rows = state
        .store
        .list_campaign_leads(caller.workspace(), campaign.id, &query)
        .await?;
    let page = page.page_of(rows, |c| c.id.0)?;
    Ok(web::Json(page.map(CampaignLeadView::from)))
}
