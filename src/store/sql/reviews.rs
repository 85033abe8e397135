//! Reviews: inbound messages recorded with `needs_review`, listed for a person and resolved
//! once. Written once for both backends as default methods of [`ReviewSql`]; [`reviews_role!`]
//! stamps the `Reviews` impl for each store.
//!
//! A review belongs to the workspace of its mailbox (`inbound_messages` has no workspace
//! column). Resolving runs the chosen reading's actions through `InboundSql::apply`, the code
//! the poller records messages with, then makes the leads the review paused active again
//! unless those actions stopped them; all in the caller's transaction.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

use super::Bound;
use super::inbound::InboundSql;
use crate::domain::{
    CampaignId, CampaignLeadId, InboundAction, InboundOutcome, InboundRecord, InboundReview,
    LeadId, MailboxId, REVIEW_STOP_PREFIX, ReviewFilter, ReviewId, ReviewResolution, ReviewStatus,
    SendId, WorkspaceId,
};
use crate::store::rows::parse;
use crate::store::{QueryContext, StoreError};

const REVIEW_COLUMNS: &str = "im.id, im.mailbox_id, m.address AS mailbox, im.message_id, \
    im.folder, im.classification, im.received_at, im.needs_review, im.judgement, \
    im.review_email, im.reviewed_at, im.resolution, im.resolved_by";

#[derive(sqlx::FromRow)]
pub(crate) struct ReviewRow {
    id: ReviewId,
    mailbox_id: MailboxId,
    mailbox: String,
    message_id: String,
    folder: String,
    classification: String,
    received_at: DateTime<Utc>,
    needs_review: String,
    judgement: Option<Json<serde_json::Value>>,
    review_email: Option<String>,
    reviewed_at: Option<DateTime<Utc>>,
    resolution: Option<String>,
    resolved_by: Option<String>,
}

impl TryFrom<ReviewRow> for InboundReview {
    type Error = StoreError;
    fn try_from(r: ReviewRow) -> Result<Self, StoreError> {
        let mut classification = r
            .judgement
            .map(|j| j.0)
            .unwrap_or_else(|| serde_json::json!({ "class": r.classification }));
        let evidence = match classification
            .as_object_mut()
            .and_then(|o| o.remove("evidence"))
        {
            Some(serde_json::Value::Array(items)) => items,
            _ => Vec::new(),
        };
        Ok(InboundReview {
            id: r.id,
            mailbox_id: r.mailbox_id,
            mailbox: r.mailbox,
            message_id: r.message_id,
            folder: r.folder,
            received_at: r.received_at,
            reason: r.needs_review,
            classification,
            evidence,
            lead_email: r.review_email,
            status: if r.reviewed_at.is_some() {
                ReviewStatus::Resolved
            } else {
                ReviewStatus::Open
            },
            resolution: r
                .resolution
                .map(|v| parse("inbound_messages.resolution", &v))
                .transpose()?,
            reviewed_at: r.reviewed_at,
            resolved_by: r.resolved_by,
        })
    }
}

/// Review statements over one connection of the backend `Self`.
pub(crate) trait ReviewSql: InboundSql
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> ReviewRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> ReviewId: Bound<'q, Self>,
    for<'q> Option<ReviewId>: Bound<'q, Self>,
    for<'q> uuid::Uuid: Bound<'q, Self>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> MailboxId: Bound<'q, Self>,
    for<'q> SendId: Bound<'q, Self>,
    for<'q> LeadId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> CampaignLeadId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'a, 'q> &'a str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> bool: Bound<'q, Self>,
    for<'q> DateTime<Utc>: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> Option<i64>: Bound<'q, Self>,
    for<'q> Option<LeadId>: Bound<'q, Self>,
    for<'q> Option<SendId>: Bound<'q, Self>,
    for<'q> Option<CampaignLeadId>: Bound<'q, Self>,
    for<'q> Json<serde_json::Value>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Option<Json<serde_json::Value>>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Option<WorkspaceId>: Bound<'q, Self>,
    for<'q> Option<CampaignId>: Bound<'q, Self>,
    for<'q> NaiveDate: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> Option<i32>: Bound<'q, Self>,
    for<'q> Option<DateTime<Utc>>: Bound<'q, Self>,
    for<'q> Option<Self::Time>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
{
    async fn list_reviews(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        filter: &ReviewFilter,
    ) -> Result<Vec<InboundReview>, StoreError> {
        let status = filter.status.map_or("all", |s| s.as_str());
        let rows: Vec<ReviewRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REVIEW_COLUMNS} FROM inbound_messages im \
             JOIN mailboxes m ON m.id = im.mailbox_id \
             WHERE m.workspace_id = $1 AND im.needs_review IS NOT NULL \
                 AND ($2 = 'all' OR ($2 = 'open' AND im.reviewed_at IS NULL) \
                     OR ($2 = 'resolved' AND im.reviewed_at IS NOT NULL)) \
                 AND ($3 IS NULL OR im.id > $3) \
             ORDER BY im.id LIMIT $4"
        )))
        .bind(ws)
        .bind(status)
        .bind(filter.after)
        .bind(i64::from(filter.limit))
        .fetch_all(&mut *conn)
        .await
        .ctx("list reviews")?;
        rows.into_iter().map(InboundReview::try_from).collect()
    }

    async fn review_by_id(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: ReviewId,
    ) -> Result<Option<InboundReview>, StoreError> {
        let row: Option<ReviewRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REVIEW_COLUMNS} FROM inbound_messages im \
             JOIN mailboxes m ON m.id = im.mailbox_id \
             WHERE im.id = $1 AND m.workspace_id = $2 AND im.needs_review IS NOT NULL"
        )))
        .bind(id)
        .bind(ws)
        .fetch_optional(&mut *conn)
        .await
        .ctx("load a review")?;
        row.map(InboundReview::try_from).transpose()
    }

    /// Marks the review resolved (a `Conflict` when it was already), applies `actions` as
    /// coming from its message at `now`, then makes the leads the review paused (the targets
    /// of `paused`, its `Review` actions) active again where those actions left them paused.
    #[allow(clippy::too_many_arguments)]
    async fn resolve_review(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: ReviewId,
        resolution: ReviewResolution,
        actions: &[InboundAction],
        paused: &[InboundAction],
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, StoreError> {
        let Some(review) = Self::review_by_id(conn, ws, id).await? else {
            return Err(StoreError::not_found("review", id.to_string()));
        };
        let done = sqlx::query(
            "UPDATE inbound_messages SET reviewed_at = $2, resolution = $3, resolved_by = $4 \
             WHERE id = $1 AND needs_review IS NOT NULL AND reviewed_at IS NULL",
        )
        .bind(id)
        .bind(Self::time(now))
        .bind(resolution.as_str())
        .bind(by.to_owned())
        .execute(&mut *conn)
        .await
        .ctx("resolve a review")?;
        if Self::rows_affected(&done) == 0 {
            return Err(StoreError::Conflict(format!(
                "review {id} is resolved already{}",
                review
                    .resolution
                    .map(|r| format!(" (as {r})"))
                    .unwrap_or_default()
            )));
        }
        let rec = InboundRecord {
            workspace_id: ws,
            mailbox_id: review.mailbox_id,
            message_id: review.message_id.clone(),
            folder: review.folder.clone(),
            class: "review",
            received_at: now,
            actions: Vec::new(),
            needs_review: None,
            judgement: None,
            reply: None,
        };
        let mut out = InboundOutcome::default();
        Self::apply(conn, &rec, actions, &mut out).await?;
        for action in paused {
            let InboundAction::Review { send_id, email, .. } = action else {
                continue;
            };
            let Some(t) = Self::target(conn, &rec, *send_id, email.as_deref()).await? else {
                continue;
            };
            sqlx::query(
                "UPDATE campaign_leads SET status = 'active', stop_reason = NULL, \
                     updated_at = $2 \
                 WHERE id = $1 AND status = 'paused' AND stop_reason LIKE $3",
            )
            .bind(t.campaign_lead)
            .bind(Self::time(now))
            .bind(format!("{REVIEW_STOP_PREFIX}%"))
            .execute(&mut *conn)
            .await
            .ctx("make a reviewed lead active again")?;
        }
        Ok(out)
    }
}

impl ReviewSql for sqlx::Postgres {}
impl ReviewSql for sqlx::Sqlite {}

/// Stamps the `Reviews` impl for `$store` over the sqlx database `$db`.
macro_rules! reviews_role {
    ($store:ty, $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};

            use $crate::domain::{
                InboundAction, InboundOutcome, InboundReview, ReviewFilter, ReviewId,
                ReviewResolution, WorkspaceId,
            };
            use $crate::store::sql::reviews::ReviewSql;
            use $crate::store::{Reviews, StoreError, deadlock::retrying};

            type Sql = $db;

            #[async_trait]
            impl Reviews for $store {
                async fn list_reviews(
                    &self,
                    ws: WorkspaceId,
                    filter: &ReviewFilter,
                ) -> Result<Vec<InboundReview>, StoreError> {
                    Sql::list_reviews(&mut *self.read().await?, ws, filter).await
                }

                async fn review_by_id(
                    &self,
                    ws: WorkspaceId,
                    id: ReviewId,
                ) -> Result<Option<InboundReview>, StoreError> {
                    Sql::review_by_id(&mut *self.read().await?, ws, id).await
                }

                async fn resolve_review(
                    &self,
                    ws: WorkspaceId,
                    id: ReviewId,
                    resolution: ReviewResolution,
                    actions: &[InboundAction],
                    paused: &[InboundAction],
                    by: &str,
                    now: DateTime<Utc>,
                ) -> Result<InboundOutcome, StoreError> {
                    retrying(|| async move {
                        let mut tx = self.begin_write().await?;
                        let out = Sql::resolve_review(
                            tx.conn(),
                            ws,
                            id,
                            resolution,
                            actions,
                            paused,
                            by,
                            now,
                        )
                        .await?;
                        tx.commit().await?;
                        Ok(out)
                    })
                    .await
                }
            }
        };
    };
}

pub(crate) use reviews_role;
