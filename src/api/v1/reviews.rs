//! `/reviews`: inbound messages the classifier left to a person (a reply that may be an
//! opt-out, a bounce that may be hard or soft), whose leads wait `paused`. Viewers list and
//! read them; members resolve them, once. The rules live in `service::reviews`.

use actix_web::web;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::body::Body;
use super::caller::Caller;
use super::page::{Page, PageQuery};
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{InboundReview, ReviewFilter, ReviewId, ReviewResolution, ReviewStatus, Role};
use crate::service::reviews::{self as service, ReviewError};

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::NotFound(id) => ApiError::NotFound(format!("review {id}")),
            ReviewError::WrongReading { .. } => ApiError::invalid("as", e.to_string()),
            ReviewError::Resolved(_) => ApiError::Conflict(e.to_string()),
            ReviewError::Service(e) => e.into(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// `open` (waiting for a person) or `resolved`; both when absent.
    pub status: Option<ReviewStatus>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolve {
    /// The reading: `reply` or `unsubscribe` for an `unsubscribe_or_reply` review, `hard` or
    /// `soft` for a `hard_or_soft` one; `dismiss` for either (the lead is active again).
    #[serde(rename = "as")]
    pub resolution: ReviewResolution,
}

/// Messages that need (or had) a person's reading, oldest first.
#[utoipa::path(get, path = "/api/v1/reviews", tag = "reviews",
    params(ReviewQuery, PageQuery),
    responses(
        (status = 200, description = "A page of reviews", body = Page<InboundReview>),
        (status = 422, description = "A limit, cursor or status out of range", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    query: web::Query<ReviewQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<InboundReview>>, ApiError> {
    let filter = ReviewFilter {
        status: query.into_inner().status,
        after: page.after()?.map(ReviewId),
        limit: page.limit()? + 1,
    };
    let rows = service::list(state.store.as_ref(), caller.workspace(), &filter).await?;
    Ok(web::Json(page.page_of(rows, |r| r.id.0)?))
}

/// One review.
#[utoipa::path(get, path = "/api/v1/reviews/{id}", tag = "reviews",
    params(("id" = ReviewId, Path, description = "The review")),
    responses(
        (status = 200, description = "The review", body = InboundReview),
        (status = 404, description = "No such review in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<ReviewId>,
) -> Result<web::Json<InboundReview>, ApiError> {
    let review = service::get(state.store.as_ref(), caller.workspace(), id.into_inner()).await?;
    Ok(web::Json(review))
}

/// Resolves a review (member): the chosen reading's actions are applied as the poller would
/// have applied them (a reply stops the lead by the campaign's rules, an unsubscribe or a hard
/// bounce suppresses the address, a soft bounce counts toward the limit), and a lead still
/// paused by the review is active again. Once only.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/resolve", tag = "reviews",
    params(("id" = ReviewId, Path, description = "The review")),
    request_body = Resolve,
    responses(
        (status = 200, description = "Resolved", body = InboundReview),
        (status = 403, description = "Needs member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such review in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Resolved already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A reading that does not answer this review", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn resolve(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<ReviewId>,
    body: Body<Resolve>,
) -> Result<web::Json<InboundReview>, ApiError> {
    caller.require(Role::Member)?;
    let p = caller.0;
    let by = match p.user {
        Some(user) => format!("user:{user}"),
        None => format!("token:{}", p.token),
    };
    let (review, _) = service::resolve(
        state.store.as_ref(),
        caller.workspace(),
        id.into_inner(),
        body.resolution,
        &by,
        state.soft_bounce_limit,
    )
    .await?;
    Ok(web::Json(review))
}

#[derive(OpenApi)]
#[openapi(paths(list, get, resolve))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reviews", web::get().to(list))
        .route("/reviews/{id}", web::get().to(get))
        .route("/reviews/{id}/resolve", web::post().to(resolve));
}
