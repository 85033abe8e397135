//! `/campaigns`: definitions with their steps (the rules apply files get, each defect named by
//! its field), status moves, enrolment and the campaign's leads, Run Now with its report, and
//! previews of a lead's next message. Members write; viewers read.
//!
//! Handlers translate HTTP to `service::campaigns` and back; after a change the daemon's
//! supervisor is told, so actors start, stop or reload at once rather than at the next pass.

mod body;
mod definition;
mod leads;
mod preview;
mod runs;
mod views;

use actix_web::web;
use utoipa::OpenApi;

use super::caller::Caller;
use super::problem::{ApiError, FieldError};
use crate::api::ApiState;
use crate::domain::{Campaign, CampaignId};
use crate::service::campaigns::CampaignError;

impl From<CampaignError> for ApiError {
    fn from(e: CampaignError) -> Self {
        match e {
            CampaignError::NotFound { kind, name } => Self::NotFound(format!("{kind} {name}")),
            CampaignError::Invalid(problems) => Self::Invalid(
                problems
                    .into_iter()
                    .map(|p| FieldError::new(p.field, p.message))
                    .collect(),
            ),
            CampaignError::Conflict(detail) => Self::Conflict(detail),
            CampaignError::Unwritable(detail) => Self::Unprocessable(detail),
            CampaignError::Provider(e) => {
                Self::Upstream(format!("the content provider failed: {e}"))
            }
            CampaignError::Store(e) => e.into(),
        }
    }
}

/// A body read after the path's ids are checked, so an id of another workspace answers 404
/// whatever the body holds (the JSON extractor has checked its size and syntax already).
fn parse_body<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(body).map_err(|e| ApiError::Unprocessable(format!("invalid body: {e}")))
}

/// The caller's campaign `id`; 404 for one of another workspace.
async fn find(state: &ApiState, caller: &Caller, id: CampaignId) -> Result<Campaign, ApiError> {
    state
        .store
        .campaign_by_id(caller.workspace(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("campaign {id}")))
}

#[derive(OpenApi)]
#[openapi(paths(
    definition::list,
    definition::get,
    definition::create,
    definition::replace,
    definition::delete,
    definition::set_status,
    leads::enroll,
    leads::list,
    runs::run,
    runs::get,
    preview::preview,
))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns", web::get().to(definition::list))
        .route("/campaigns", web::post().to(definition::create))
        .route("/campaigns/{id}", web::get().to(definition::get))
        .route("/campaigns/{id}", web::put().to(definition::replace))
        .route("/campaigns/{id}", web::delete().to(definition::delete))
        .route(
            "/campaigns/{id}/status",
            web::post().to(definition::set_status),
        )
        .route("/campaigns/{id}/leads", web::post().to(leads::enroll))
        .route("/campaigns/{id}/leads", web::get().to(leads::list))
        .route("/campaigns/{id}/run", web::post().to(runs::run))
        .route("/campaigns/{id}/runs/{run_id}", web::get().to(runs::get))
        .route(
            "/campaigns/{id}/leads/{lead_id}/preview",
            web::post().to(preview::preview),
        );
}
