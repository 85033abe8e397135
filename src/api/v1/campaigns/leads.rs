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
use crate::api::v1::leads::{given, search_text};
use crate::domain::{
    CampaignId, CampaignLeadId, CampaignLeadInfo, CampaignLeadQuery, CampaignLeadStatus,
    EnrollOutcome, LeadFilter, LeadId, MailboxId, Role,
};
use crate::service::campaigns::enrolment::{self, CHUNK, LeadSelection};

/// Which leads to enrol: `lead_ids`, `all` the workspace's leads, or those a `filter` finds.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollBody {
    /// At most 5,000 per request, enrolled all or none.
    #[serde(default)]
    pub lead_ids: Vec<LeadId>,
    /// Every lead of the workspace.
    #[serde(default)]
    pub all: bool,
    /// The leads `GET /api/v1/leads` finds with these filters.
    pub filter: Option<EnrollFilter>,
}

/// The lead list's filters, every one given must hold (text comparisons ignore case).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollFilter {
    /// This exact address.
    pub email: Option<String>,
    /// Text in the address, the name or the company.
    #[schema(max_length = 200)]
    pub q: Option<String>,
    /// This exact company.
    pub company: Option<String>,
    /// Enrolled in this campaign.
    pub campaign_id: Option<CampaignId>,
    /// With an enrolment in this state (in `campaign_id` when given, else in any).
    pub status: Option<CampaignLeadStatus>,
}

impl EnrollFilter {
    /// The same filter `GET /api/v1/leads` builds from its query.
    fn into_filter(self) -> Result<LeadFilter, ApiError> {
        let filter = LeadFilter {
            email: given(&self.email),
            text: search_text("filter.q", &self.q).map_err(|e| ApiError::Invalid(vec![e]))?,
            company: given(&self.company),
            campaign: self.campaign_id,
            status: self.status,
        };
        if filter == LeadFilter::default() {
            return Err(ApiError::invalid(
                "filter",
                "name at least one filter (or use \"all\": true)",
            ));
        }
        Ok(filter)
    }
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
        (status = 422, description = "Not exactly one of lead_ids, all and filter, too many ids, an empty filter, or an id that is no lead of the workspace (`lead_ids[3]`)", body = Problem, content_type = "application/problem+json"),
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
    let body = body.into_inner();
    let ids = match (body.all, body.lead_ids.is_empty(), body.filter) {
        (false, true, Some(filter)) => {
            let filter = filter.into_filter()?;
            if let Some(other) = filter.campaign
                && state.store.campaign_by_id(ws, other).await?.is_none()
            {
                return Err(ApiError::NotFound(format!("campaign {other}")));
            }
            enrolment::resolve(store, ws, &LeadSelection::Matching(filter))
                .await?
                .ids
        }
        (true, true, None) => {
            enrolment::resolve(store, ws, &LeadSelection::All)
                .await?
                .ids
        }
        (false, false, None) if body.lead_ids.len() > CHUNK => {
            return Err(ApiError::invalid(
                "lead_ids",
                format!("at most {CHUNK} ids per request (or use \"all\": true)"),
            ));
        }
        (false, false, None) => body.lead_ids,
        _ => {
            return Err(ApiError::invalid(
                "lead_ids",
                "give one of lead_ids (a non-empty list), \"all\": true or a filter",
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
    /// What the language-model calls for this lead in this campaign cost, in US dollars.
    pub cost_usd: f64,
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
            cost_usd: 0.0,
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
    let leads: Vec<LeadId> = page.items.iter().map(|c| c.lead_id).collect();
    let costs = state
        .store
        .lead_costs(caller.workspace(), campaign.id, &leads)
        .await?;
    Ok(web::Json(page.map(|c| CampaignLeadView {
        cost_usd: costs.get(&c.lead_id).copied().unwrap_or(0.0),
        ..CampaignLeadView::from(c)
    })))
}
