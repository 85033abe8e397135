//! Reading campaigns (with their mailbox pool and steps) and changing their status, through the
//! shared statements of `store::sql::catalog` and `store::sql::reads`. The upsert lives in
//! `campaign_write`.

use super::*;
use crate::store::Campaigns;
use async_trait::async_trait;

use chrono::Utc;

use crate::domain::{Campaign, CampaignId, CampaignStatus, Step, WorkspaceId};
use crate::store::sql::catalog::CatalogSql;
use crate::store::sql::reads::Reads;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

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
        Sql::campaign_name(&mut conn, ws, campaign).await?;
        Sql::steps_of(&mut conn, campaign).await
    }

    async fn set_campaign_status(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        status: CampaignStatus,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.ctx("begin a status change")?;
        Sql::set_campaign_status(&mut tx, ws, campaign, status, Utc::now()).await?;
        tx.commit().await.ctx("commit a status change")
    }

    async fn campaign_by_id(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, StoreError> {
        Sql::campaign_by_id(&mut *self.read().await?, ws, id).await
    }
}
