//! `/suppressions`: addresses and domains never to be mailed. Viewers list them; members add
//! and remove. Adding stops every active enrolment the entry matches. Removing an entry does
//! not resume anything: leads it stopped stay stopped, and only new enrolments (and leads
//! still active) may be mailed again. An entry left by a privacy erasure cannot be removed.

use crate::api::v1::body::Body;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::caller::Caller;
use super::page::{Page, PageQuery};
use super::problem::{ApiError, FieldError, Problem};
use crate::api::ApiState;
use crate::domain::{Role, Suppression, SuppressionFilter, SuppressionId};
use crate::service::suppressions::{self as service, BulkOutcome, SuppressionError};

impl From<SuppressionError> for ApiError {
    fn from(e: SuppressionError) -> Self {
        match e {
            SuppressionError::Invalid(message) => ApiError::invalid("value", message),
            SuppressionError::Erased(_) => ApiError::Conflict(e.to_string()),
            SuppressionError::NotFound(id) => ApiError::NotFound(format!("suppression {id}")),
            SuppressionError::Service(e) => e.into(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuppressionQuery {
    /// Only entries whose value contains this text (case-insensitive).
    pub q: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSuppression {
    /// An address (`ann@example.com`) or a domain (`example.com`: every address there).
    pub value: String,
    /// Why (kept with the entry; default "added by an operator").
    pub reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSuppressions {
    /// Addresses and domains, at most 10,000.
    pub values: Vec<String>,
    /// One reason for all of them.
    pub reason: Option<String>,
}

/// The suppression list, oldest first.
#[utoipa::path(get, path = "/api/v1/suppressions", tag = "suppressions",
    params(SuppressionQuery, PageQuery),
    responses(
        (status = 200, description = "A page of entries", body = Page<Suppression>),
        (status = 422, description = "A limit or cursor out of range", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    query: web::Query<SuppressionQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<Suppression>>, ApiError> {
    let filter = SuppressionFilter {
        q: query.into_inner().q,
        after: page.after()?.map(SuppressionId),
        limit: page.limit()? + 1,
    };
    let rows = state
        .store
        .list_suppressions(caller.workspace(), &filter)
        .await?;
    Ok(web::Json(page.page_of(rows, |s| s.id.0)?))
}

/// One entry.
#[utoipa::path(get, path = "/api/v1/suppressions/{id}", tag = "suppressions",
    params(("id" = SuppressionId, Path, description = "The entry")),
    responses(
        (status = 200, description = "The entry", body = Suppression),
        (status = 404, description = "No such entry in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<SuppressionId>,
) -> Result<web::Json<Suppression>, ApiError> {
    let id = id.into_inner();
    match state
        .store
        .suppression_by_id(caller.workspace(), id)
        .await?
    {
        Some(entry) => Ok(web::Json(entry)),
        None => Err(ApiError::NotFound(format!("suppression {id}"))),
    }
}

/// Suppresses an address or a domain (member) and stops the active enrolments it matches.
/// Suppressing a value already listed changes nothing and answers 200 with its entry.
#[utoipa::path(post, path = "/api/v1/suppressions", tag = "suppressions",
    request_body = NewSuppression,
    responses(
        (status = 201, description = "Added", body = Suppression),
        (status = 200, description = "Listed already; nothing changed", body = Suppression),
        (status = 403, description = "Needs member", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither an address nor a domain, or a reason too long", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    state: web::Data<ApiState>,
    caller: Caller,
    body: Body<NewSuppression>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Member)?;
    let (entry, created) = service::add(
        state.store.as_ref(),
        caller.workspace(),
        &body.value,
        body.reason.as_deref(),
    )
    .await?;
    Ok(if created {
        HttpResponse::Created().json(entry)
    } else {
        HttpResponse::Ok().json(entry)
    })
}

/// Suppresses many addresses and domains at once (member). Values that do not parse are
/// reported by their index in `values` and skipped; the others go in.
#[utoipa::path(post, path = "/api/v1/suppressions/bulk", tag = "suppressions",
    request_body = NewSuppressions,
    responses(
        (status = 200, description = "What was added, found listed, or rejected", body = BulkOutcome),
        (status = 403, description = "Needs member", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 4 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "More than 10,000 values, or a reason too long", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn bulk(
    state: web::Data<ApiState>,
    caller: Caller,
    body: Body<NewSuppressions>,
) -> Result<web::Json<BulkOutcome>, ApiError> {
    caller.require(Role::Member)?;
    if body.values.len() > service::MAX_BULK {
        return Err(ApiError::Invalid(vec![FieldError::new(
            "values",
            format!(
                "{} values; a request holds at most {}",
                body.values.len(),
                service::MAX_BULK
            ),
        )]));
    }
    let outcome = service::add_many(
        state.store.as_ref(),
        caller.workspace(),
        &body.values,
        body.reason.as_deref(),
    )
    .await?;
    Ok(web::Json(outcome))
}

/// Removes an entry (member). Leads it stopped stay stopped; the address (or domain) may be
/// enrolled and mailed again from now on.
#[utoipa::path(delete, path = "/api/v1/suppressions/{id}", tag = "suppressions",
    params(("id" = SuppressionId, Path, description = "The entry")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Needs member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The entry records a privacy erasure", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<SuppressionId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Member)?;
    service::remove(state.store.as_ref(), caller.workspace(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(OpenApi)]
#[openapi(paths(list, get, create, bulk, remove))]
pub struct Doc;

/// Largest bulk body: 10,000 addresses of up to 254 characters, quoted, fit in it.
pub const BULK_JSON_LIMIT: usize = 4 * 1024 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/suppressions", web::get().to(list))
        .route("/suppressions", web::post().to(create))
        .service(
            web::resource("/suppressions/bulk")
                .app_data(
                    web::JsonConfig::default()
                        .limit(BULK_JSON_LIMIT)
                        .error_handler(|e, _| super::problem::json_error(e).into()),
                )
                .route(web::post().to(bulk)),
        )
        .route("/suppressions/{id}", web::get().to(get))
        .route("/suppressions/{id}", web::delete().to(remove));
}
