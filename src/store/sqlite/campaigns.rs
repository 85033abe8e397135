//! Reading campaigns (with their mailbox pools, in pool order) and their steps, and setting a
//! campaign's status. Identity is (workspace, name); the upsert is in `campaign_write`.

use super::*;
use crate::store::Campaigns;
use async_trait::async_trait;

use chrono::Utc;
use sqlx::sqlite::SqliteConnection;

use super::{SqliteStore, ts};
use crate::domain::{Campaign, CampaignId, CampaignStatus, Step, WorkspaceId};
use crate::store::sql::reads::Reads;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Sqlite;

/// The campaign's name, or `NotFound` when it is not in the workspace.
pub(super) async fn find_name(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    campaign: CampaignId,
) -> Result<String, StoreError> {
    let name: Option<String> =
        sqlx::query_scalar("SELECT name FROM campaigns WHERE id = ? AND workspace_id = ?")
            .bind(campaign)
            .bind(ws)
            .fetch_optional(conn)
            .await
            .ctx("look up the campaign")?;
    name.ok_or_else(|| StoreError::not_found("campaign", campaign.to_string()))
}

#[async_trait]
impl Campaigns for SqliteStore {
    async fn upsert_campaign(
        &self,
        ws: WorkspaceId,
        spec: &CampaignSpec,
    ) -> Result<Upserted<Campaign>, StoreError> {
        campaign_write::upsert(self, ws, spec).await
    }

    async fn campaign_by_name(
        &self,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Campaign>, StoreError> {
        Sql::campaign_by_name(&mut *self.snapshot().await?, ws, name).await
    }

    async fn list_campaigns(&self, ws: WorkspaceId) -> Result<Vec<Campaign>, StoreError> {
        Sql::list_campaigns(&mut *self.snapshot().await?, ws).await
    }

    async fn campaign_steps(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
    ) -> Result<Vec<Step>, StoreError> {
        let mut tx = self.snapshot().await?;
        find_name(&mut tx, ws, campaign).await?;
        Sql::steps_of(&mut tx, campaign).await
    }

    async fn set_campaign_status(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        status: CampaignStatus,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE campaigns SET status = ?, updated_at = ? WHERE id = ? AND workspace_id = ?",
        )
        .bind(status.as_str())
        .bind(ts(Utc::now()))
        .bind(campaign)
        .bind(ws)
        .execute(tx.conn())
        .await
        .ctx("set the campaign's status")?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("campaign", campaign.to_string()));
        }
        tx.commit().await
    }

    /// The campaign if it is in the workspace.
    async fn campaign_by_id(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, StoreError> {
        Sql::campaign_by_id(&mut *self.snapshot().await?, ws, id).await
    }
}
