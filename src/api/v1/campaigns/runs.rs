//! Run Now over HTTP: the run starts at once and the answer waits for its report up to
//! `timeout` seconds; a run still going answers 202 with the run's id, and its `GET` gives the
//! same report (complete once `status` is `done`). Runs are kept in the store, so any daemon
//! answers for them, also after a restart.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::caller::Caller;
use super::super::problem::{ApiError, Problem};
use super::find;
use crate::actors::SupervisorHandle;
use crate::api::ApiState;
use crate::domain::{Campaign, CampaignId, LeadId, Role, RunId, SendState};
use crate::service::campaigns::run_now::{self, RunDispatcher, RunReport, RunResult};

/// Longest `timeout` a request may ask for.
const MAX_TIMEOUT_SECONDS: u64 = 300;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    /// Seconds to wait for the report before answering 202 (0 to 300, default 60).
    #[param(minimum = 0, maximum = 300)]
    pub timeout: Option<u64>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Leads of the run are still in flight or able to go out.
    Running,
    /// Nothing of it is in flight or can still go out; `results` is complete.
    Done,
}

#[derive(Serialize, ToSchema)]
pub struct RunResultView {
    pub lead_id: LeadId,
    pub email: String,
    pub step: u32,
    /// The send's state; absent for a lead that was not sent (see `error`).
    pub state: Option<SendState>,
    pub success: bool,
    /// Why it was not sent: the server's reply, the failure, or what holds it.
    pub error: Option<String>,
}

impl From<RunResult> for RunResultView {
    fn from(r: RunResult) -> Self {
        Self {
            lead_id: r.lead_id,
            email: r.email,
            step: r.step,
            state: r.state,
            success: r.success,
            error: r.error,
        }
    }
}

/// A run's report: `{"emails_sent": 47, "total": 50, "results": [...]}` and the run's state.
#[derive(Serialize, ToSchema)]
pub struct RunView {
    pub run_id: RunId,
    pub campaign_id: CampaignId,
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Leads whose pending step the run made due.
    pub made_due: u64,
    /// Of those, still in flight or able to go out.
    pub pending: u64,
    pub emails_sent: u64,
    /// Lines in `results`.
    pub total: u64,
    pub results: Vec<RunResultView>,
}

impl From<RunReport> for RunView {
    fn from(r: RunReport) -> Self {
        Self {
            run_id: r.run.id,
            campaign_id: r.run.campaign_id,
            status: if r.done {
                RunStatus::Done
            } else {
                RunStatus::Running
            },
            started_at: r.run.started_at,
            finished_at: r.run.finished_at,
            made_due: r.run.made_due,
            pending: r.pending,
            emails_sent: r.emails_sent,
            total: r.total,
            results: r.results.into_iter().map(RunResultView::from).collect(),
        }
    }
}

/// The daemon dispatches a run with its running supervisor.
impl RunDispatcher for SupervisorHandle {
    fn run_started(&self, campaign: &Campaign, due_at: DateTime<Utc>) {
        self.run_now_started(campaign.id, due_at);
    }

    fn wake(&self) {
        self.notify();
    }
}

/// Run Now (member): makes every pending step of the running campaign due now (delays and the
/// sending window ignored; caps, suppressions and unsubscribes not) and reports per lead.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/run", tag = "campaigns",
    params(("id" = CampaignId, Path, description = "The campaign"), RunQuery),
    responses(
        (status = 200, description = "The run finished within the timeout: its whole report", body = RunView),
        (status = 202, description = "Still going: the report so far; `GET` the `Location` for the rest", body = RunView),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The campaign is not running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A timeout out of range", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn run(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<CampaignId>,
    query: web::Query<RunQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Member)?;
    let timeout = match query.timeout {
        None => 60,
        Some(t) if t <= MAX_TIMEOUT_SECONDS => t,
        Some(_) => {
            return Err(ApiError::invalid(
                "timeout",
                format!("must be from 0 to {MAX_TIMEOUT_SECONDS} seconds"),
            ));
        }
    };
    let campaign = find(&state, &caller, id.into_inner()).await?;
    let store = state.store.as_ref();
    let run = run_now::start(
        store,
        caller.workspace(),
        &campaign,
        &state.supervisor,
        Utc::now(),
    )
    .await?;
    let report = run_now::wait(
        store,
        &campaign,
        run,
        std::time::Duration::from_secs(timeout),
    )
    .await?;
    let status = if report.done {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let location = format!("/api/v1/campaigns/{}/runs/{}", campaign.id, report.id());
    Ok(HttpResponse::build(status)
        .insert_header((header::LOCATION, location))
        .json(RunView::from(report)))
}

/// A run's report: complete once `status` is `done`.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/runs/{run_id}", tag = "campaigns",
    params(
        ("id" = CampaignId, Path, description = "The campaign"),
        ("run_id" = RunId, Path, description = "The run, from the `POST .../run` answer"),
    ),
    responses(
        (status = 200, description = "The run's report", body = RunView),
        (status = 404, description = "No such campaign or run in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<ApiState>,
    caller: Caller,
    path: web::Path<(CampaignId, RunId)>,
) -> Result<web::Json<RunView>, ApiError> {
    let (id, run_id) = path.into_inner();
    let campaign = find(&state, &caller, id).await?;
    let store = state.store.as_ref();
    let run = run_now::find(store, caller.workspace(), &campaign, run_id).await?;
    let report = run_now::report(store, &campaign, run, Utc::now()).await?;
    Ok(web::Json(report.into()))
}
