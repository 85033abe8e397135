//! Reading campaigns (with their mailbox pool and steps) and changing their status. The upsert
//! lives in `campaign_write`.
//!
//! A campaign id is only ever looked up together with its workspace, so an id from another
//! workspace behaves exactly like one that does not exist.

use super::*;
use crate::store::Campaigns;
use async_trait::async_trait;
use std::collections::HashMap;

use chrono::Utc;
use sqlx::{AssertSqlSafe, PgConnection};

use crate::domain::{Campaign, CampaignId, CampaignStatus, MailboxId, Step, WorkspaceId};
use crate::store::rows::{CAMPAIGN_COLUMNS, CampaignRow, STEP_COLUMNS, StepRow};
use crate::store::{QueryContext, StoreError};

/// The pool of one campaign, in pool order.
pub(super) async fn pool_of(
    conn: &mut PgConnection,
    campaign: CampaignId,
) -> Result<Vec<MailboxId>, StoreError> {
    sqlx::query_scalar(
        "SELECT mailbox_id FROM campaign_mailboxes WHERE campaign_id = $1 ORDER BY position",
    )
    .bind(campaign)
    .fetch_all(conn)
    .await
    .ctx("load a campaign's mailbox pool")
}

/// One campaign by id, scoped to the workspace.
pub(super) async fn load(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    id: CampaignId,
) -> Result<Option<Campaign>, StoreError> {
    let row: Option<CampaignRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = $1 AND id = $2"
    )))
    .bind(ws)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .ctx("load a campaign")?;
    with_pool(conn, row).await
}

/// Completes a campaign row with its pool.
async fn with_pool(
    conn: &mut PgConnection,
    row: Option<CampaignRow>,
) -> Result<Option<Campaign>, StoreError> {
    let Some(row) = row else {
        return Ok(None);
    };
    let pool = pool_of(conn, row.id).await?;
    row.into_campaign(pool).map(Some)
}

/// The steps of a campaign already known to be in the caller's workspace.
pub(super) async fn steps_of(
    conn: &mut PgConnection,
    campaign: CampaignId,
) -> Result<Vec<Step>, StoreError> {
    let rows: Vec<StepRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {STEP_COLUMNS} FROM sequence_steps WHERE campaign_id = $1 ORDER BY step_order"
    )))
    .bind(campaign)
    .fetch_all(conn)
    .await
    .ctx("load campaign steps")?;
    rows.into_iter().map(Step::try_from).collect()
}

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
        let pool = &self.pool;
        let mut conn = pool.acquire().await.ctx("acquire a connection")?;
        let row: Option<CampaignRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = $1 AND name = $2"
        )))
        .bind(ws)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .ctx("load a campaign")?;
        with_pool(&mut conn, row).await
    }

    /// All campaigns of a workspace by name, pools loaded in one more query.
    async fn list_campaigns(&self, ws: WorkspaceId) -> Result<Vec<Campaign>, StoreError> {
        let pool = &self.pool;
        let rows: Vec<CampaignRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = $1 ORDER BY name"
        )))
        .bind(ws)
        .fetch_all(pool)
        .await
        .ctx("list campaigns")?;
        let members: Vec<(CampaignId, MailboxId)> = sqlx::query_as(
            "SELECT cm.campaign_id, cm.mailbox_id FROM campaign_mailboxes cm \
         JOIN campaigns c ON c.id = cm.campaign_id \
         WHERE c.workspace_id = $1 ORDER BY cm.campaign_id, cm.position",
        )
        .bind(ws)
        .fetch_all(pool)
        .await
        .ctx("list campaign mailbox pools")?;
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
        let pool = &self.pool;
        let mut conn = pool.acquire().await.ctx("acquire a connection")?;
        ensure_exists(&mut conn, ws, campaign).await?;
        steps_of(&mut conn, campaign).await
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
        let pool = &self.pool;
        let mut conn = pool.acquire().await.ctx("acquire a connection")?;
        campaigns::load(&mut conn, ws, id).await
    }
}
