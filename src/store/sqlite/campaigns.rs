//! Reading campaigns (with their mailbox pools, in pool order) and their steps, and setting a
//! campaign's status, through the shared statements of `store::sql::catalog` and
//! `store::sql::reads`. Identity is (workspace, name); the upsert is in `campaign_write`.

use super::*;
use crate::store::Campaigns;
use async_trait::async_trait;

use chrono::Utc;

use super::SqliteStore;
use crate::domain::{Campaign, CampaignId, CampaignStatus, Step, WorkspaceId};
use crate::store::StoreError;
use crate::store::sql::catalog::CatalogSql;
use crate::store::sql::reads::Reads;

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Sqlite;

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
        Sql::campaign_name(&mut tx, ws, campaign).await?;
        Sql::steps_of(&mut tx, campaign).await
    }

    async fn set_campaign_status(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        status: CampaignStatus,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        Sql::set_campaign_status(tx.conn(), ws, campaign, status, Utc::now()).await?;
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
