//! Reading campaigns (with their mailbox pool and steps) and changing their status. The upsert
//! lives in `campaign_write`.
//!
//! A campaign id is only ever looked up together with its workspace, so an id from another
//! workspace behaves exactly like one that does not exist.

use super::*;
use crate::store::Campaigns;
use async_trait::async_trait;

use chrono::Utc;
use sqlx::PgConnection;

use crate::domain::{Campaign, CampaignId, CampaignStatus, Step, WorkspaceId};
use crate::store::sql::reads::Reads;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

/// `NotFound` unless the campaign exists in this workspace.
pub(super) async fn ensure_exists(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    campaign: CampaignId,
) -> Result<(), StoreError> {
    let found: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM campaigns WHERE workspace_id = $1 AND id = $2")
            .bind(ws)
            .bind(campaign)
            .fetch_optional(conn)
            .await
            .ctx("look up a campaign")?;
    found
        .map(|_| ())
        .ok_or_else(|| StoreError::not_found("campaign", campaign.to_string()))
}

#[async_trait]
impl Campaigns for PgStore {
    async fn upsert_campaign(
        &self,
        ws: WorkspaceId,
        spec: &CampaignSpec,
    ) -> Result<Upserted<Campaign>, StoreError> {
        campaign_write::upsert(&self.pool, ws, spec).await
    }

    async fn campaign_by_name(
        &self,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Campaign>, StoreError> {
        Sql::campaign_by_name(&mut *self.read().await?, ws, name).await
    }

    /// All campaigns of a workspace by name, pools loaded in one more query.
    async fn list_campaigns(&self, ws: WorkspaceId) -> Result<Vec<Campaign>, StoreError> {
        Sql::list_campaigns(&mut *self.read().await?, ws).await
    }

    async fn campaign_steps(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
    ) -> Result<Vec<Step>, StoreError> {
        let mut conn = self.read().await?;
        ensure_exists(&mut conn, ws, campaign).await?;
        Sql::steps_of(&mut conn, campaign).await
    }

    async fn set_campaign_status(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        status: CampaignStatus,
    ) -> Result<(), StoreError> {
        let pool = &self.pool;
        let done = sqlx::query(
            "UPDATE campaigns SET status = $3, updated_at = $4 \
         WHERE workspace_id = $1 AND id = $2 AND status <> $3",
        )
        .bind(ws)
        .bind(campaign)
        .bind(status.as_str())
        .bind(Utc::now())
        .execute(pool)
        .await
        .ctx("change a campaign's status")?;
        if done.rows_affected() == 0 {
            // Either it already had this status (fine) or it is not ours (not found).
            let mut conn = pool.acquire().await.ctx("acquire a connection")?;
            ensure_exists(&mut conn, ws, campaign).await?;
        }
        Ok(())
    }

    async fn campaign_by_id(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, StoreError> {
        Sql::campaign_by_id(&mut *self.read().await?, ws, id).await
    }
}
