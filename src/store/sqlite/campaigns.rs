//! Reading campaigns (with their mailbox pools, in pool order) and their steps, and setting a
//! campaign's status. Identity is (workspace, name); the upsert is in `campaign_write`.

use super::*;
use crate::store::Campaigns;
use async_trait::async_trait;
use std::collections::HashMap;

use chrono::Utc;
use sqlx::sqlite::SqliteConnection;

use super::{SqliteStore, ts};
use crate::domain::{Campaign, CampaignId, CampaignStatus, MailboxId, Step, WorkspaceId};
use crate::store::rows::{CAMPAIGN_COLUMNS, CampaignRow, STEP_COLUMNS, StepRow};
use crate::store::{QueryContext, StoreError};

pub(super) async fn pool_of(
    conn: &mut SqliteConnection,
    campaign: CampaignId,
) -> Result<Vec<MailboxId>, StoreError> {
    sqlx::query_scalar(
        "SELECT mailbox_id FROM campaign_mailboxes WHERE campaign_id = ? ORDER BY position",
    )
    .bind(campaign)
    .fetch_all(conn)
    .await
    .ctx("load the campaign's mailbox pool")
}

pub(super) async fn by_id(
    conn: &mut SqliteConnection,
    id: CampaignId,
) -> Result<Campaign, StoreError> {
    let row: CampaignRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?"
    )))
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .ctx("load the campaign")?;
    let pool = pool_of(conn, id).await?;
    row.into_campaign(pool)
}

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

/// The campaign's steps in `step_order` (the caller has checked the workspace).
pub(super) async fn steps(
    conn: &mut SqliteConnection,
    campaign: CampaignId,
) -> Result<Vec<Step>, StoreError> {
    let rows: Vec<StepRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {STEP_COLUMNS} FROM sequence_steps WHERE campaign_id = ? ORDER BY step_order"
    )))
    .bind(campaign)
    .fetch_all(conn)
    .await
    .ctx("load the campaign's steps")?;
    rows.into_iter().map(Step::try_from).collect()
}

pub(super) async fn by_name(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    name: &str,
) -> Result<Option<Campaign>, StoreError> {
    let row: Option<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = ? AND name = ?"
    )))
    .bind(ws)
    .bind(name.to_owned())
    .fetch_optional(&mut *conn)
    .await
    .ctx("load the campaign")?;
    match row {
        Some(row) => {
            let pool = pool_of(conn, row.id).await?;
            row.into_campaign(pool).map(Some)
        }
        None => Ok(None),
    }
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
        by_name(&mut *self.snapshot().await?, ws, name).await
    }

    async fn list_campaigns(&self, ws: WorkspaceId) -> Result<Vec<Campaign>, StoreError> {
        let mut conn_ = self.snapshot().await?;
        let conn = &mut *conn_;
        let rows: Vec<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = ? ORDER BY name"
        )))
        .bind(ws)
        .fetch_all(&mut *conn)
        .await
        .ctx("list campaigns")?;
        // One query for every pool instead of one per campaign.
        let members: Vec<(CampaignId, MailboxId)> = sqlx::query_as(
            "SELECT cm.campaign_id, cm.mailbox_id FROM campaign_mailboxes cm \
         JOIN campaigns c ON c.id = cm.campaign_id \
         WHERE c.workspace_id = ? ORDER BY cm.campaign_id, cm.position",
        )
        .bind(ws)
        .fetch_all(conn)
        .await
        .ctx("load the campaigns' mailbox pools")?;
        let mut pools: HashMap<CampaignId, Vec<MailboxId>> = HashMap::new();
        for (campaign, mailbox) in members {
            pools.entry(campaign).or_default().push(mailbox);
        }
        rows.into_iter()
            .map(|row| {
                let pool = pools.remove(&row.id).unwrap_or_default();
                row.into_campaign(pool)
            })
            .collect()
    }

    async fn campaign_steps(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
    ) -> Result<Vec<Step>, StoreError> {
        let mut tx = self.snapshot().await?;
        campaigns::find_name(&mut tx, ws, campaign).await?;
        campaigns::steps(&mut tx, campaign).await
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
        let mut conn_ = self.snapshot().await?;
        let conn = &mut *conn_;
        let row: Option<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ? AND workspace_id = ?"
        )))
        .bind(id)
        .bind(ws)
        .fetch_optional(&mut *conn)
        .await
        .ctx("load the campaign")?;
        match row {
            Some(row) => {
                let pool = pool_of(conn, id).await?;
                row.into_campaign(pool).map(Some)
            }
            None => Ok(None),
        }
    }
}
