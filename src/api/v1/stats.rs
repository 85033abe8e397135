//! Stats: a campaign's numbers per step and per day (`/campaigns/{id}/stats`), each mailbox's
//! day against its cap (`/stats/mailboxes`), and the workspace summary (`/stats`). Read-only;
//! what each count means is documented on the schemas (`domain::activity`).

use actix_web::web;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::caller::Caller;
use super::page::{Page, PageQuery};
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{
    CampaignId, CampaignStats, CampaignStatus, LeadCounts, MailboxStatus, WorkspaceSummary,
};
use crate::service::stats::{self as service, DEFAULT_DAYS, MAX_DAYS, MailboxStats};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Days of the daily series, today included (1 to 366, default 30).
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<u32>,
}

/// A campaign's numbers: totals by lead, per step by send, and a daily series (UTC days).
/// Counted at most a few seconds ago (`as_of`), so a dashboard may poll it.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/stats", tag = "stats",
    params(("id" = CampaignId, Path, description = "The campaign"), StatsQuery),
    responses(
        (status = 200, description = "The campaign's stats", body = CampaignStats),
        (status = 404, description = "No such campaign in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`days` out of range", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn campaign(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<CampaignId>,
    query: web::Query<StatsQuery>,
) -> Result<web::Json<CampaignStats>, ApiError> {
    let days = match query.days {
        None => DEFAULT_DAYS,
        Some(d @ 1..=MAX_DAYS) => d,
        Some(_) => {
            return Err(ApiError::invalid(
                "days",
                format!("must be from 1 to {MAX_DAYS}"),
            ));
        }
    };
    let stats = state
        .stats
        .campaign(
            state.store.clone(),
            caller.workspace(),
            id.into_inner(),
            days,
        )
        .await?;
    Ok(web::Json(CampaignStats::clone(&stats)))
}

/// Every mailbox's day: sends against today's cap (warm-up included), state and reason.
#[utoipa::path(get, path = "/api/v1/stats/mailboxes", tag = "stats", params(PageQuery),
    responses(
        (status = 200, description = "A page of mailboxes, by address", body = Page<MailboxStats>),
        (status = 422, description = "A limit or cursor out of range", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn mailboxes(
    state: web::Data<ApiState>,
    caller: Caller,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<MailboxStats>>, ApiError> {
    let all = service::mailboxes(state.store.as_ref(), caller.workspace(), Utc::now()).await?;
    Ok(web::Json(page.paginate(all, |m| m.id.0)?))
}

#[derive(Serialize, ToSchema)]
pub struct MailboxSummaryView {
    pub address: String,
    pub status: MailboxStatus,
    pub status_reason: Option<String>,
    pub daily_cap: u32,
    pub sent_today: u64,
}

#[derive(Serialize, ToSchema)]
pub struct WorkspaceCampaignView {
    pub name: String,
    pub status: CampaignStatus,
    pub steps: u32,
    pub mailboxes: u32,
    pub leads: LeadCounts,
    /// Active leads whose next step is due now.
    pub due_now: u64,
    /// Emails the campaign sent, all time.
    pub emails_sent: u64,
    /// What its language-model calls cost, all time, in US dollars.
    pub cost_usd: f64,
}

/// The workspace at a glance, as `outreachd status` shows it.
#[derive(Serialize, ToSchema)]
pub struct WorkspaceStats {
    pub workspace: String,
    pub leads: u64,
    pub suppressions: u64,
    pub mailboxes: Vec<MailboxSummaryView>,
    pub campaigns: Vec<WorkspaceCampaignView>,
}

impl From<WorkspaceSummary> for WorkspaceStats {
    fn from(s: WorkspaceSummary) -> Self {
        Self {
            workspace: s.workspace,
            leads: s.leads,
            suppressions: s.suppressions,
            mailboxes: s
                .mailboxes
                .into_iter()
                .map(|m| MailboxSummaryView {
                    address: m.address,
                    status: m.status,
                    status_reason: m.status_reason,
                    daily_cap: m.daily_cap,
                    sent_today: m.sent_today,
                })
                .collect(),
            campaigns: s
                .campaigns
                .into_iter()
                .map(|c| {
                    let mut leads = LeadCounts::default();
                    for (status, n) in c.leads_by_status {
                        leads.add(status, n);
                    }
                    WorkspaceCampaignView {
                        name: c.name,
                        status: c.status,
                        steps: c.steps,
                        mailboxes: c.mailboxes,
                        leads,
                        due_now: c.due_now,
                        emails_sent: c.emails_sent,
                        cost_usd: c.cost_usd,
                    }
                })
                .collect(),
        }
    }
}

/// The workspace summary: leads, suppressions, each mailbox's day, each campaign's leads.
#[utoipa::path(get, path = "/api/v1/stats", tag = "stats",
    responses((status = 200, description = "The workspace summary", body = WorkspaceStats)))]
pub async fn workspace(
    state: web::Data<ApiState>,
    caller: Caller,
) -> Result<web::Json<WorkspaceStats>, ApiError> {
    let summary = state
        .store
        .workspace_summary(caller.workspace(), Utc::now())
        .await?;
    Ok(web::Json(summary.into()))
}

#[derive(OpenApi)]
#[openapi(paths(campaign, mailboxes, workspace))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns/{id}/stats", web::get().to(campaign))
        .route("/stats", web::get().to(workspace))
        .route("/stats/mailboxes", web::get().to(mailboxes));
}
