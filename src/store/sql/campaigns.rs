//! Campaign statements written once for both backends as default methods of [`CampaignSql`]:
//! the lookup that fences a campaign id by its workspace, and setting a campaign's status. A
//! campaign id is only ever used together with its workspace, so an id from another workspace
//! behaves exactly like one that does not exist.

use chrono::{DateTime, Utc};

use super::{Bound, Dialect};
use crate::domain::{CampaignId, CampaignStatus, WorkspaceId};
use crate::store::{QueryContext, StoreError};

/// Campaign statements over one connection of the backend `Self`.
pub(crate) trait CampaignSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
{
    /// The campaign's name, or `NotFound` when it is not in the workspace.
    async fn campaign_name(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
    ) -> Result<String, StoreError> {
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM campaigns WHERE workspace_id = $1 AND id = $2")
                .bind(ws)
                .bind(campaign)
                .fetch_optional(conn)
                .await
                .ctx("look up a campaign")?;
        name.ok_or_else(|| StoreError::not_found("campaign", campaign.to_string()))
    }

    /// Sets the status; a campaign that already has it is not written (its `updated_at`, which
    /// the supervisor watches, stays). `NotFound` when the campaign is not in the workspace.
    async fn set_campaign_status(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        status: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE campaigns SET status = $3, updated_at = $4 \
             WHERE workspace_id = $1 AND id = $2 AND status <> $3",
        )
        .bind(ws)
        .bind(campaign)
        .bind(status.as_str().to_owned())
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("change a campaign's status")?;
        if Self::rows_affected(&done) == 0 {
            // Either it already had this status (fine) or it is not ours (not found).
            Self::campaign_name(conn, ws, campaign).await?;
        }
        Ok(())
    }
}

impl CampaignSql for sqlx::Postgres {}
impl CampaignSql for sqlx::Sqlite {}
