//! `/replies`: lead replies that stopped a sequence, with the answers drafted for them.
//! Viewers list and read them; members edit, approve (the mailbox sends the answer in the
//! lead's thread, once) and discard. The rules live in `service::replies`; an illegal move
//! (approving a sent answer, editing a discarded one) is 409.

use actix_web::web;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::body::Body;
use super::caller::Caller;
use super::page::{Page, PageQuery};
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{CampaignId, LeadReply, LeadReplyId, ReplyFilter, ReplyStatus, Role};
use crate::service::replies::{self as service, ReplyError};

impl From<ReplyError> for ApiError {
    fn from(e: ReplyError) -> Self {
        match e {
            ReplyError::NotFound(id) => ApiError::NotFound(format!("reply {id}")),
            ReplyError::Conflict(message) => ApiError::Conflict(message),
            ReplyError::Invalid { field, message } => ApiError::invalid(field, message),
            ReplyError::Draft(message) => ApiError::Conflict(message),
            ReplyError::Service(e) => e.into(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplyQuery {
    /// Only replies in this status.
    pub status: Option<ReplyStatus>,
    /// Only replies of this campaign.
    pub campaign: Option<CampaignId>,
}

/// A person's text for the answer; a field left out keeps its current text.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditReply {
    pub subject: Option<String>,
    pub body: Option<String>,
}

/// Who acted, as stored with the decision.
fn actor(caller: &Caller) -> String {
    let p = &caller.0;
    match p.user {
        Some(user) => format!("user:{user}"),
        None => format!("token:{}", p.token),
    }
}

/// Replies with their answers, oldest first.
#[utoipa::path(get, path = "/api/v1/replies", tag = "replies",
    params(ReplyQuery, PageQuery),
    responses(
        (status = 200, description = "A page of replies", body = Page<LeadReply>),
        (status = 422, description = "A limit, cursor, status or campaign out of range", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    query: web::Query<ReplyQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<LeadReply>>, ApiError> {
    let query = query.into_inner();
    let filter = ReplyFilter {
        status: query.status,
        campaign: query.campaign,
        after: page.after()?.map(LeadReplyId),
        limit: page.limit()? + 1,
    };
    let rows = service::list(state.store.as_ref(), caller.workspace(), &filter).await?;
    Ok(web::Json(page.page_of(rows, |r| r.id.0)?))
}

/// One reply with its answer.
#[utoipa::path(get, path = "/api/v1/replies/{id}", tag = "replies",
    params(("id" = LeadReplyId, Path, description = "The reply")),
    responses(
        (status = 200, description = "The reply", body = LeadReply),
        (status = 404, description = "No such reply in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<LeadReplyId>,
) -> Result<web::Json<LeadReply>, ApiError> {
    let reply = service::get(state.store.as_ref(), caller.workspace(), id.into_inner()).await?;
    Ok(web::Json(reply))
}

/// Edits the answer (member): a `pending` or `drafted` answer only; it is `drafted` after.
#[utoipa::path(patch, path = "/api/v1/replies/{id}", tag = "replies", request_body = EditReply,
    params(("id" = LeadReplyId, Path, description = "The reply")),
    responses(
        (status = 200, description = "The reply as it is now", body = LeadReply),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such reply in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The answer is approved, sent or discarded already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty or overlong subject or body", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn edit(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<LeadReplyId>,
    body: Body<EditReply>,
) -> Result<web::Json<LeadReply>, ApiError> {
    caller.require(Role::Member)?;
    let (ws, id) = (caller.workspace(), id.into_inner());
    let store = state.store.as_ref();
    let current = service::get(store, ws, id).await?;
    let edit = body.into_inner();
    let subject = edit
        .subject
        .or(current.draft_subject)
        .unwrap_or_else(|| crate::content::reply_subject(&current.subject));
    let text = edit.body.or(current.draft_body).unwrap_or_default();
    let reply = service::edit(store, ws, id, &subject, &text, &actor(&caller)).await?;
    Ok(web::Json(reply))
}

/// Approves a `drafted` answer (member): its mailbox sends it in the lead's thread, within
/// the mailbox's caps and gaps, once.
#[utoipa::path(post, path = "/api/v1/replies/{id}/approve", tag = "replies",
    params(("id" = LeadReplyId, Path, description = "The reply")),
    responses(
        (status = 200, description = "Approved", body = LeadReply),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such reply in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a drafted answer (no draft yet, approved, sent or discarded)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn approve(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<LeadReplyId>,
) -> Result<web::Json<LeadReply>, ApiError> {
    caller.require(Role::Member)?;
    let reply = service::approve(
        state.store.as_ref(),
        caller.workspace(),
        id.into_inner(),
        &actor(&caller),
    )
    .await?;
    Ok(web::Json(reply))
}

/// Discards an answer not yet sending (member).
#[utoipa::path(post, path = "/api/v1/replies/{id}/discard", tag = "replies",
    params(("id" = LeadReplyId, Path, description = "The reply")),
    responses(
        (status = 200, description = "Discarded", body = LeadReply),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such reply in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Sending, sent or discarded already", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn discard(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<LeadReplyId>,
) -> Result<web::Json<LeadReply>, ApiError> {
    caller.require(Role::Member)?;
    let reply = service::discard(
        state.store.as_ref(),
        caller.workspace(),
        id.into_inner(),
        &actor(&caller),
    )
    .await?;
    Ok(web::Json(reply))
}

#[derive(OpenApi)]
#[openapi(paths(list, get, edit, approve, discard))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/replies", web::get().to(list))
        .route("/replies/{id}", web::get().to(get))
        .route("/replies/{id}", web::patch().to(edit))
        .route("/replies/{id}/approve", web::post().to(approve))
        .route("/replies/{id}/discard", web::post().to(discard));
}
