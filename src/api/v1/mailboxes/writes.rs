//! Creating, replacing and deleting mailboxes (admin), over `service::mailbox_edits`.

use crate::api::v1::body::Body;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::body::MailboxBody;
use super::{MailboxView, find};
use crate::api::ApiState;
use crate::api::v1::caller::Caller;
use crate::api::v1::problem::{ApiError, Problem};
use crate::domain::{MailboxId, Role};
use crate::service::mailbox_edits as service;

/// Creates a mailbox (admin). Its passwords are stored encrypted and never returned.
#[utoipa::path(post, path = "/api/v1/mailboxes", tag = "mailboxes", request_body = MailboxBody,
    responses(
        (status = 201, description = "Created", body = MailboxView,
            headers(("Location" = String, description = "The new mailbox's URL"))),
        (status = 403, description = "Needs admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A mailbox with this address exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named (`smtp.port`, `min_gap`)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    state: web::Data<ApiState>,
    caller: Caller,
    body: Body<MailboxBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let input = body.into_inner().into_input().map_err(ApiError::Invalid)?;
    let defaults = &state.mailboxes.defaults;
    let created =
        service::create(state.store.as_ref(), caller.workspace(), defaults, input).await?;
    let location = format!("/api/v1/mailboxes/{}", created.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(MailboxView::of(&state, created).await?))
}

/// Replaces a mailbox's settings (admin). Optional fields left out take their defaults, as in
/// an apply file; a password left out keeps the stored one. The address may change only in
/// case.
#[utoipa::path(put, path = "/api/v1/mailboxes/{id}", tag = "mailboxes", request_body = MailboxBody,
    params(("id" = MailboxId, Path, description = "The mailbox")),
    responses(
        (status = 200, description = "Replaced", body = MailboxView),
        (status = 403, description = "Needs admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mailbox in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn replace(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<MailboxId>,
    body: Body<MailboxBody>,
) -> Result<web::Json<MailboxView>, ApiError> {
    caller.require(Role::Admin)?;
    let id = id.into_inner();
    // An id of another workspace is 404 before the body is judged.
    find(&state, &caller, id).await?;
    let input = body.into_inner().into_input().map_err(ApiError::Invalid)?;
    let defaults = &state.mailboxes.defaults;
    let ws = caller.workspace();
    let replaced = service::replace(state.store.as_ref(), ws, id, defaults, input).await?;
    Ok(web::Json(MailboxView::of(&state, replaced).await?))
}

/// Deletes a mailbox (admin). Refused with 409, naming the campaigns, while a campaign has it
/// in its pool, has enrolled leads assigned to it that are still active or paused, or has one
/// of its sends in flight or unknown: pause it instead, or take it out of those pools first.
/// Past sends stay in the log without the mailbox.
#[utoipa::path(delete, path = "/api/v1/mailboxes/{id}", tag = "mailboxes",
    params(("id" = MailboxId, Path, description = "The mailbox")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Needs admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mailbox in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Campaigns still use it (named)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<MailboxId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    service::delete(state.store.as_ref(), caller.workspace(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
