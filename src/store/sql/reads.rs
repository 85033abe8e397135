//! Reads written once for both backends, as default methods of [`Reads`], which
//! `sqlx::Postgres` and `sqlx::Sqlite` implement: lookups of workspaces, mailboxes, products
//! and leads, what the supervisor reads, and the reports. Each runs one statement on the
//! connection it is given; the backend decides where that connection comes from.

use chrono::{DateTime, Utc};

use super::{Bound, Dialect};
use std::collections::HashMap;

use crate::domain::{
    Campaign, CampaignDue, CampaignId, EnrolmentState, Lead, LeadId, Mailbox, MailboxId, Product,
    ProductId, SendResult, Step, Workspace, WorkspaceId,
};
use crate::store::rows::{
    CAMPAIGN_COLUMNS, CampaignRow, EnrolmentRow, LEAD_COLUMNS, LeadRow, MAILBOX_COLUMNS,
    MailboxRow, PRODUCT_COLUMNS, ProductRow, STEP_COLUMNS, SendResultRow, StepRow, WorkspaceRow,
    enrolment_state, send_result,
};
use crate::store::{QueryContext, StoreError};

/// The reads over one connection of the backend `Self`; the bounds name every type they bind or
/// read.
pub(crate) trait Reads: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> WorkspaceRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> MailboxRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> ProductRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> LeadRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> CampaignRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> StepRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> MailboxId: Bound<'q, Self>,
    for<'q> ProductId: Bound<'q, Self>,
    for<'q> LeadId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'a, 'q> &'a str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> Option<MailboxId>: Bound<'q, Self>,
    for<'q> Option<DateTime<Utc>>: Bound<'q, Self>,
{
    async fn workspace_by_name(
        conn: &mut Self::Connection,
        name: &str,
    ) -> Result<Option<Workspace>, StoreError> {
        let row: Option<WorkspaceRow> =
            sqlx::query_as("SELECT id, name, created_at FROM workspaces WHERE name = $1")
                .bind(name)
                .fetch_optional(conn)
                .await
                .ctx("load a workspace")?;
        Ok(row.map(Workspace::from))
    }

    /// Makes sure `ws` exists, so a write reports a missing workspace by name rather than as a
    /// foreign-key failure.
    async fn ensure_workspace(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
    ) -> Result<(), StoreError> {
        let found: Option<WorkspaceId> =
            sqlx::query_scalar("SELECT id FROM workspaces WHERE id = $1")
                .bind(ws)
                .fetch_optional(conn)
                .await
                .ctx("look up the workspace")?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::not_found("workspace", ws.to_string())),
        }
    }

    async fn list_workspaces(conn: &mut Self::Connection) -> Result<Vec<Workspace>, StoreError> {
        let rows: Vec<WorkspaceRow> =
            sqlx::query_as("SELECT id, name, created_at FROM workspaces ORDER BY name")
                .fetch_all(conn)
                .await
                .ctx("list workspaces")?;
        Ok(rows.into_iter().map(Workspace::from).collect())
    }

    async fn list_mailboxes(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
    ) -> Result<Vec<Mailbox>, StoreError> {
        let rows: Vec<MailboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE workspace_id = $1 ORDER BY lower(address)"
        )))
        .bind(ws)
        .fetch_all(conn)
        .await
        .ctx("list mailboxes")?;
        rows.iter().map(Mailbox::try_from).collect()
    }

    /// A mailbox's row, passwords (encrypted) included.
    async fn mailbox_row(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<Option<MailboxRow>, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE workspace_id = $1 AND id = $2"
        )))
        .bind(ws)
        .bind(id)
        .fetch_optional(conn)
        .await
        .ctx("load the mailbox")
    }

    /// `max(updated_at)` of running campaigns: what the supervisor polls to notice a change.
    async fn campaigns_changed_at(
        conn: &mut Self::Connection,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar("SELECT max(updated_at) FROM campaigns WHERE status = 'running'")
            .fetch_one(conn)
            .await
            .ctx("read when campaigns last changed")
    }

    /// Mailboxes in the pool of at least one running campaign (all workspaces).
    async fn dispatch_mailboxes(conn: &mut Self::Connection) -> Result<Vec<Mailbox>, StoreError> {
        let rows: Vec<MailboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MAILBOX_COLUMNS} FROM mailboxes m WHERE EXISTS ( \
             SELECT 1 FROM campaign_mailboxes cm JOIN campaigns c ON c.id = cm.campaign_id \
             WHERE cm.mailbox_id = m.id AND c.status = 'running') \
             ORDER BY workspace_id, lower(address)"
        )))
        .fetch_all(conn)
        .await
        .ctx("list mailboxes of running campaigns")?;
        rows.iter().map(Mailbox::try_from).collect()
    }

    /// The pool of one campaign, in pool order.
    async fn campaign_pool(
        conn: &mut Self::Connection,
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

    /// Completes a campaign row with its pool.
    async fn with_pool(
        conn: &mut Self::Connection,
        row: Option<CampaignRow>,
    ) -> Result<Option<Campaign>, StoreError> {
        let Some(row) = row else {
            return Ok(None);
        };
        let pool = Self::campaign_pool(conn, row.id).await?;
        row.into_campaign(pool).map(Some)
    }

    /// One campaign by id, scoped to the workspace (an id from another workspace behaves like
    /// one that does not exist).
    async fn campaign_by_id(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, StoreError> {
        let row: Option<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = $1 AND id = $2"
        )))
        .bind(ws)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .ctx("load a campaign")?;
        Self::with_pool(conn, row).await
    }

    async fn campaign_by_name(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Campaign>, StoreError> {
        let row: Option<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = $1 AND name = $2"
        )))
        .bind(ws)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .ctx("load a campaign")?;
        Self::with_pool(conn, row).await
    }

    /// All campaigns of a workspace by name, every pool loaded in one more query.
    async fn list_campaigns(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
    ) -> Result<Vec<Campaign>, StoreError> {
        let rows: Vec<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = $1 ORDER BY name"
        )))
        .bind(ws)
        .fetch_all(&mut *conn)
        .await
        .ctx("list campaigns")?;
        let members: Vec<(CampaignId, MailboxId)> = sqlx::query_as(
            "SELECT cm.campaign_id, cm.mailbox_id FROM campaign_mailboxes cm \
             JOIN campaigns c ON c.id = cm.campaign_id \
             WHERE c.workspace_id = $1 ORDER BY cm.campaign_id, cm.position",
        )
        .bind(ws)
        .fetch_all(conn)
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

    /// The steps of a campaign in `step_order` (the caller has checked the workspace).
    async fn steps_of(
        conn: &mut Self::Connection,
        campaign: CampaignId,
    ) -> Result<Vec<Step>, StoreError> {
        let rows: Vec<StepRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {STEP_COLUMNS} FROM sequence_steps WHERE campaign_id = $1 ORDER BY step_order"
        )))
        .bind(campaign)
        .fetch_all(conn)
        .await
        .ctx("load campaign steps")?;
        rows.into_iter().map(Step::try_from).collect()
    }

    async fn product_by_name(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Product>, StoreError> {
        let row: Option<ProductRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {PRODUCT_COLUMNS} FROM products \
             WHERE workspace_id = $1 AND name = $2 AND deleted_at IS NULL"
        )))
        .bind(ws)
        .bind(name)
        .fetch_optional(conn)
        .await
        .ctx("load a product")?;
        Ok(row.map(Product::from))
    }

    /// A soft-deleted product is absent, as it is for `product_by_name`.
    async fn product_by_id(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: ProductId,
    ) -> Result<Option<Product>, StoreError> {
        let row: Option<ProductRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {PRODUCT_COLUMNS} FROM products \
             WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL"
        )))
        .bind(ws)
        .bind(id)
        .fetch_optional(conn)
        .await
        .ctx("load a product")?;
        Ok(row.map(Product::from))
    }

    async fn lead_by_email(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        email: &str,
    ) -> Result<Option<Lead>, StoreError> {
        let row: Option<LeadRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LEAD_COLUMNS} FROM leads WHERE workspace_id = $1 AND lower(email) = lower($2)"
        )))
        .bind(ws)
        .bind(email)
        .fetch_optional(conn)
        .await
        .ctx("load a lead")?;
        row.map(Lead::try_from).transpose()
    }

    async fn lead_ids(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
    ) -> Result<Vec<LeadId>, StoreError> {
        sqlx::query_scalar("SELECT id FROM leads WHERE workspace_id = $1 ORDER BY created_at, id")
            .bind(ws)
            .fetch_all(conn)
            .await
            .ctx("list lead ids")
    }

    /// Running campaigns with the earliest due time of their active leads: a subquery per
    /// campaign reads the first entry of the partial index `campaign_leads_due`.
    async fn campaigns_due(conn: &mut Self::Connection) -> Result<Vec<CampaignDue>, StoreError> {
        let rows: Vec<(WorkspaceId, CampaignId, Option<DateTime<Utc>>)> = sqlx::query_as(
            "SELECT c.workspace_id, c.id, ( \
             SELECT cl.next_scheduled_at FROM campaign_leads cl \
             WHERE cl.campaign_id = c.id AND cl.status = 'active' \
                 AND cl.next_scheduled_at IS NOT NULL \
             ORDER BY cl.next_scheduled_at LIMIT 1) \
             FROM campaigns c WHERE c.status = 'running' ORDER BY c.id",
        )
        .fetch_all(conn)
        .await
        .ctx("list due campaigns")?;
        Ok(rows
            .into_iter()
            .map(|(workspace_id, campaign_id, next_due)| CampaignDue {
                workspace_id,
                campaign_id,
                next_due,
            })
            .collect())
    }

    /// Send rows of a campaign changed since `since`, by lead email then step.
    async fn send_results(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        since: DateTime<Utc>,
    ) -> Result<Vec<SendResult>, StoreError> {
        let rows: Vec<SendResultRow> = sqlx::query_as(
            "SELECT l.id, l.email, s.step_order, s.state, COALESCE(s.last_error, s.smtp_reply) \
             FROM email_sends s \
             JOIN campaign_leads cl ON cl.id = s.campaign_lead_id \
             JOIN leads l ON l.id = cl.lead_id \
             WHERE s.workspace_id = $1 AND s.campaign_id = $2 AND s.updated_at >= $3 \
             ORDER BY lower(l.email), s.step_order",
        )
        .bind(ws)
        .bind(campaign)
        .bind(Self::time(since))
        .fetch_all(conn)
        .await
        .ctx("list a campaign's recent sends")?;
        rows.into_iter().map(send_result).collect()
    }

    async fn enrolment_state(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        lead: LeadId,
    ) -> Result<Option<EnrolmentState>, StoreError> {
        let row: Option<EnrolmentRow> = sqlx::query_as(
            "SELECT status, stop_reason, mailbox_id, current_step_order, next_scheduled_at, \
             lease_expires_at \
             FROM campaign_leads WHERE workspace_id = $1 AND campaign_id = $2 AND lead_id = $3",
        )
        .bind(ws)
        .bind(campaign)
        .bind(lead)
        .fetch_optional(conn)
        .await
        .ctx("read a campaign lead")?;
        row.map(enrolment_state).transpose()
    }

    /// Lead steps of running campaigns due at `now`, counted up to `cap` (the partial index
    /// `campaign_leads_due`; SQLite uses it only because the query repeats
    /// `status = 'active'`).
    async fn due_backlog(
        conn: &mut Self::Connection,
        now: DateTime<Utc>,
        cap: u32,
    ) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ( \
             SELECT 1 FROM campaigns c JOIN campaign_leads cl ON cl.campaign_id = c.id \
             WHERE c.status = 'running' AND cl.status = 'active' \
                 AND cl.next_scheduled_at <= $1 \
             LIMIT $2) due",
        )
        .bind(Self::time(now))
        .bind(i64::from(cap))
        .fetch_one(conn)
        .await
        .ctx("count the due backlog")?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

impl Reads for sqlx::Postgres {}
impl Reads for sqlx::Sqlite {}
