//! `explain`: every limit between a lead and its next send in a campaign, or a mailbox's own
//! limits, evaluated now in the order the daemon applies them, with the one that binds and
//! when a send is next eligible. The same evaluation as `outreachd explain`
//! (`service::explain`). Read-only.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::caller::Caller;
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{CampaignId, LeadId, MailboxId};
use crate::limits::explain::{Explanation, Verdict};
use crate::service::explain as service;

/// One limit's verdict.
#[derive(Serialize, ToSchema)]
pub struct ExplainCheckView {
    /// `suppression`, `unsubscribed`, `lead_status`, `campaign_status`, `window`,
    /// `step_delay`, `campaign_daily_cap`, `in_flight`, `mailbox_state`, `gap`, `hourly_cap`,
    /// `daily_cap`, `warmup`.
    pub name: String,
    /// `pass` or `blocked`.
    pub verdict: String,
    /// When a blocked check lifts; null when it passes, or when only an operator or an event
    /// can lift it.
    pub until: Option<DateTime<Utc>>,
    /// What was compared, for people.
    pub detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct ExplanationView {
    pub now: DateTime<Utc>,
    /// Every check, in the order the daemon applies them.
    pub checks: Vec<ExplainCheckView>,
    /// The check that holds the send longest; null when every check passes.
    pub binding: Option<String>,
    /// `now` when eligible now; null when only an operator or an event can unblock.
    pub next_eligible: Option<DateTime<Utc>>,
}

impl From<Explanation> for ExplanationView {
    fn from(e: Explanation) -> Self {
        Self {
            now: e.now,
            checks: e
                .checks
                .into_iter()
                .map(|c| {
                    let (verdict, until) = match c.verdict {
                        Verdict::Pass => ("pass", None),
                        Verdict::Blocked { until } => ("blocked", until),
                    };
                    ExplainCheckView {
                        name: c.name.to_owned(),
                        verdict: verdict.to_owned(),
                        until,
                        detail: c.detail,
                    }
                })
                .collect(),
            binding: e.binding.map(str::to_owned),
            next_eligible: e.next_eligible,
        }
    }
}

/// Why a lead of a campaign can or cannot be sent its next step now, and when it next can.
/// A lead of the workspace that is not enrolled in the campaign is explained as such.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/leads/{lead_id}/explain", tag = "explain",
    params(
        ("id" = CampaignId, Path, description = "The campaign"),
        ("lead_id" = LeadId, Path, description = "The lead"),
    ),
    responses(
        (status = 200, description = "The evaluation", body = ExplanationView),
        (status = 404, description = "No such campaign or lead in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn lead(
    state: web::Data<ApiState>,
    caller: Caller,
    path: web::Path<(CampaignId, LeadId)>,
) -> Result<web::Json<ExplanationView>, ApiError> {
    let (campaign_id, lead_id) = path.into_inner();
    let ws = caller.workspace();
    let campaign = state
        .store
        .campaign_by_id(ws, campaign_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("campaign {campaign_id}")))?;
    let lead = state
        .store
        .lead_of_workspace(ws, lead_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("lead {lead_id}")))?;
    let claim_lease = state.dispatch.claim_lease.to_chrono();
    let explanation = service::lead(
        state.store.as_ref(),
        campaign,
        lead,
        Utc::now(),
        claim_lease,
    )
    .await?;
    Ok(web::Json(explanation.into()))
}

/// Why a mailbox can or cannot send now (state, gap, hourly and daily caps, warm-up), and
/// when it next can.
#[utoipa::path(get, path = "/api/v1/mailboxes/{id}/explain", tag = "explain",
    params(("id" = MailboxId, Path, description = "The mailbox")),
    responses(
        (status = 200, description = "The evaluation", body = ExplanationView),
        (status = 404, description = "No such mailbox in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn mailbox(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<MailboxId>,
) -> Result<web::Json<ExplanationView>, ApiError> {
    let id = id.into_inner();
    let mailbox = state
        .store
        .mailbox_by_id(caller.workspace(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("mailbox {id}")))?;
    let explanation = service::mailbox(state.store.as_ref(), mailbox, Utc::now()).await?;
    Ok(web::Json(explanation.into()))
}

#[derive(OpenApi)]
#[openapi(paths(lead, mailbox))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/campaigns/{id}/leads/{lead_id}/explain",
        web::get().to(lead),
    )
    .route("/mailboxes/{id}/explain", web::get().to(mailbox));
}
