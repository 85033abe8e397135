//! Privacy requests (GDPR/CCPA), for admins: `GET /privacy/export?email=` returns everything
//! the workspace holds about an address; `POST /privacy/erase` removes it everywhere and keeps
//! only a salted hash in the suppression list, so the address is never mailed again. The same
//! as `outreachd privacy export|erase` (`service::privacy`).

use crate::api::v1::body::Body;
use actix_web::web;
use chrono::Utc;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::caller::Caller;
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{EmailAddress, PrivacyExport, Role};
use crate::service::privacy::{self as service, Erasure};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The address asked about (any case).
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseRequest {
    /// The address to erase (any case).
    pub email: String,
}

fn address(email: &str) -> Result<EmailAddress, ApiError> {
    EmailAddress::parse(email).map_err(|e| ApiError::invalid("email", e.to_string()))
}

/// Everything held about an address (admin): its lead and persona, enrolments, generated
/// texts, sends, events, inbound messages and suppression entries. An address never seen
/// answers an empty export, not 404.
#[utoipa::path(get, path = "/api/v1/privacy/export", tag = "privacy", params(ExportQuery),
    responses(
        (status = 200, description = "The export", body = PrivacyExport),
        (status = 400, description = "No `email` parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Needs admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an email address", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn export(
    state: web::Data<ApiState>,
    caller: Caller,
    query: web::Query<ExportQuery>,
) -> Result<web::Json<PrivacyExport>, ApiError> {
    caller.require(Role::Admin)?;
    let email = address(&query.email)?;
    let export =
        service::export(state.store.as_ref(), caller.workspace(), &email, Utc::now()).await?;
    Ok(web::Json(export))
}

/// Erases an address from the workspace (admin): its lead and everything recorded about it
/// go; a suppression entry holding only a salted hash keeps it from ever being mailed again
/// (and marks it unsubscribed if it is imported again). Erasing twice is harmless.
#[utoipa::path(post, path = "/api/v1/privacy/erase", tag = "privacy", request_body = EraseRequest,
    responses(
        (status = 200, description = "Erased; what was removed", body = Erasure),
        (status = 403, description = "Needs admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an email address", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn erase(
    state: web::Data<ApiState>,
    caller: Caller,
    body: Body<EraseRequest>,
) -> Result<web::Json<Erasure>, ApiError> {
    caller.require(Role::Admin)?;
    let email = address(&body.email)?;
    let erasure =
        service::erase(state.store.as_ref(), caller.workspace(), &email, Utc::now()).await?;
    Ok(web::Json(erasure))
}

#[derive(OpenApi)]
#[openapi(paths(export, erase))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/privacy/export", web::get().to(export))
        .route("/privacy/erase", web::post().to(erase));
}
