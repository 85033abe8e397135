//! Messages that need review: listing them and resolving one, for the CLI and the API alike.
//!
//! A review is an inbound message whose reading the classifier left to a person (a reply that
//! may be an opt-out, a bounce that may be hard or soft); its lead waits `paused`. Resolving it
//! applies the chosen reading's actions (`imap::resolution_actions`, the actions the poller
//! would have applied had it been sure) through the store code the poller uses, once: a second
//! resolution is a conflict.

use chrono::Utc;

use super::ServiceError;
use crate::domain::{
    InboundOutcome, InboundReview, ReviewFilter, ReviewId, ReviewResolution, WorkspaceId,
};
use crate::imap::classify::{Judgement, ReviewReason};
use crate::imap::{actions_for, resolution_actions, resolutions_for};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("review {0} not found")]
    NotFound(ReviewId),
    #[error("review {id} asks {reason}; resolve it as one of: {expected}")]
    WrongReading {
        id: ReviewId,
        reason: String,
        expected: String,
    },
    #[error("review {0} is resolved already")]
    Resolved(ReviewId),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ReviewError {
    fn from(e: StoreError) -> Self {
        Self::Service(e.into())
    }
}

/// Reviews of the workspace by id (oldest first), as `filter` says.
pub async fn list(
    store: &dyn Store,
    ws: WorkspaceId,
    filter: &ReviewFilter,
) -> Result<Vec<InboundReview>, ReviewError> {
    Ok(store.list_reviews(ws, filter).await?)
}

pub async fn get(
    store: &dyn Store,
    ws: WorkspaceId,
    id: ReviewId,
) -> Result<InboundReview, ReviewError> {
    store
        .review_by_id(ws, id)
        .await?
        .ok_or(ReviewError::NotFound(id))
}

/// Resolves a review as `resolution` on behalf of `by`: the reading's actions are applied and
/// the paused lead stops or is active again, in one transaction. Returns the resolved review
/// and what its actions did.
pub async fn resolve(
    store: &dyn Store,
    ws: WorkspaceId,
    id: ReviewId,
    resolution: ReviewResolution,
    by: &str,
    soft_bounce_limit: u32,
) -> Result<(InboundReview, InboundOutcome), ReviewError> {
    let review = get(store, ws, id).await?;
    if review.resolution.is_some() {
        return Err(ReviewError::Resolved(id));
    }
    let judgement = judgement_of(&review)?;
    let wrong = |reason: Option<ReviewReason>| ReviewError::WrongReading {
        id,
        reason: reason.map_or("nothing", ReviewReason::as_str).to_owned(),
        expected: reason
            .map(|r| {
                resolutions_for(r)
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
    };
    let actions = resolution_actions(&judgement, resolution, soft_bounce_limit)
        .ok_or_else(|| wrong(judgement.needs_review))?;
    let paused = actions_for(&judgement, soft_bounce_limit);
    let outcome = store
        .resolve_review(ws, id, resolution, &actions, &paused, by, Utc::now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ReviewError::Resolved(id),
            other => other.into(),
        })?;
    Ok((get(store, ws, id).await?, outcome))
}

/// The judgement the review was recorded with, rebuilt from its stored parts.
fn judgement_of(review: &InboundReview) -> Result<Judgement, ReviewError> {
    let mut value = review.classification.clone();
    if let Some(o) = value.as_object_mut() {
        o.insert(
            "evidence".into(),
            serde_json::Value::Array(review.evidence.clone()),
        );
    }
    serde_json::from_value(value).map_err(|e| {
        StoreError::Corrupt {
            column: "inbound_messages.judgement",
            detail: e.to_string(),
        }
        .into()
    })
}
