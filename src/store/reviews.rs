//! The reviews role: inbound messages the classifier left for a person (recorded by
//! `Inbound::record_inbound` with `needs_review`), listed and resolved once. Every method is
//! scoped by `WorkspaceId` (through the message's mailbox).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

#[async_trait]
pub trait Reviews: Send + Sync + 'static {
    /// Reviews matching `filter`, by id, at most `filter.limit`.
    async fn list_reviews(
        &self,
        ws: WorkspaceId,
        filter: &ReviewFilter,
    ) -> Result<Vec<InboundReview>, StoreError>;

    async fn review_by_id(
        &self,
        ws: WorkspaceId,
        id: ReviewId,
    ) -> Result<Option<InboundReview>, StoreError>;

    /// In one transaction: marks the review resolved as `resolution` by `by` (`Conflict` when
    /// it was resolved already, `NotFound` when the workspace has no such review), applies
    /// `actions` as the poller applies a message's actions, and makes the leads paused by
    /// `paused` (the message's `Review` actions) active again unless `actions` stopped them.
    #[allow(clippy::too_many_arguments)]
    async fn resolve_review(
        &self,
        ws: WorkspaceId,
        id: ReviewId,
        resolution: ReviewResolution,
        actions: &[InboundAction],
        paused: &[InboundAction],
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, StoreError>;
}
