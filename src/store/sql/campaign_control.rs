//! The statements of the campaign-control role (`store::CampaignControl`), written once for
//! both backends as default methods of [`CampaignControlSql`], and [`campaign_control_role!`],
//! which stamps the role for a store. Replacing a campaign reuses the backend's own upsert
//! (its bulk statements differ) through `replace_campaign_in`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Bound, Dialect};
use crate::domain::{
    CampaignId, CampaignLeadId, CampaignLeadInfo, CampaignLeadQuery, CampaignLeadStatus,
    CampaignRun, CampaignStatus, DraftDeletion, EnrolledLead, EnrolmentState, GeneratedMessage,
    Lead, LeadId, MailboxId, RunId, SendResult, Waiting, WaitingGroup, WaitingLead, WorkspaceId,
};
use crate::store::rows::{
    GENERATED_COLUMNS, GeneratedRow, LEAD_COLUMNS, LeadRow, SendResultRow, parse, send_result,
};
use crate::store::{QueryContext, StoreError};

/// Which campaign a backend's campaign upsert writes: the one with the spec's name (created if
/// missing), a new one (`Conflict` if the name is taken), or the one with this id (renamed to
/// the spec's name).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target {
    Name,
    New,
    Id(CampaignId),
}

/// What creating a campaign whose name is taken fails with.
pub(crate) fn name_taken(name: &str) -> StoreError {
    StoreError::Conflict(format!("a campaign named {name:?} exists already"))
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn step(column: &'static str, v: i32) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt {
        column,
        detail: format!("{v} is negative"),
    })
}

#[derive(sqlx::FromRow)]
pub(crate) struct CampaignLeadRow {
    id: CampaignLeadId,
    lead_id: LeadId,
    email: String,
    status: String,
    current_step_order: i32,
    next_scheduled_at: Option<DateTime<Utc>>,
    mailbox_id: Option<MailboxId>,
    mailbox_address: Option<String>,
    stop_reason: Option<String>,
    enrolled_at: DateTime<Utc>,
}

impl CampaignLeadRow {
    fn into_info(self) -> Result<CampaignLeadInfo, StoreError> {
        Ok(CampaignLeadInfo {
            id: self.id,
            lead_id: self.lead_id,
            email: self.email,
            status: parse("campaign_leads.status", &self.status)?,
            current_step: step("campaign_leads.current_step_order", self.current_step_order)?,
            next_scheduled_at: self.next_scheduled_at,
            mailbox_id: self.mailbox_id,
            mailbox_address: self.mailbox_address,
            stop_reason: self.stop_reason,
            enrolled_at: self.enrolled_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EnrolledRow {
    campaign_lead_id: CampaignLeadId,
    status: String,
    stop_reason: Option<String>,
    mailbox_id: Option<MailboxId>,
    current_step_order: i32,
    next_scheduled_at: Option<DateTime<Utc>>,
    lease_expires_at: Option<DateTime<Utc>>,
    first_subject: Option<String>,
    #[sqlx(flatten)]
    lead: LeadRow,
}

impl EnrolledRow {
    fn into_enrolled(self) -> Result<EnrolledLead, StoreError> {
        Ok(EnrolledLead {
            campaign_lead_id: self.campaign_lead_id,
            lead: Lead::try_from(self.lead)?,
            state: EnrolmentState {
                status: parse("campaign_leads.status", &self.status)?,
                stop_reason: self.stop_reason,
                mailbox_id: self.mailbox_id,
                current_step_order: step(
                    "campaign_leads.current_step_order",
                    self.current_step_order,
                )?,
                next_scheduled_at: self.next_scheduled_at,
                lease_expires_at: self.lease_expires_at,
            },
            first_subject: self.first_subject,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RunRow {
    id: RunId,
    workspace_id: WorkspaceId,
    campaign_id: CampaignId,
    started_at: DateTime<Utc>,
    made_due: i64,
    finished_at: Option<DateTime<Utc>>,
}

impl From<RunRow> for CampaignRun {
    fn from(r: RunRow) -> Self {
        Self {
            id: r.id,
            workspace_id: r.workspace_id,
            campaign_id: r.campaign_id,
            started_at: r.started_at,
            made_due: count(r.made_due),
            finished_at: r.finished_at,
        }
    }
}

/// What a waiting lead's fate depends on, as [`WAITING_FROM`] reads it.
#[derive(sqlx::FromRow)]
pub(crate) struct WaitingRow {
    in_flight: bool,
    first_step: bool,
    mailbox_status: Option<String>,
    in_pool: bool,
    unreachable: bool,
}

impl WaitingRow {
    fn into_waiting(self) -> Result<Waiting, StoreError> {
        Ok(Waiting {
            in_flight: self.in_flight,
            first_step: self.first_step,
            mailbox: self
                .mailbox_status
                .map(|s| parse("mailboxes.status", &s))
                .transpose()?,
            in_pool: self.in_pool,
            unreachable: self.unreachable,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WaitingGroupRow {
    #[sqlx(flatten)]
    why: WaitingRow,
    leads: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct WaitingLeadRow {
    #[sqlx(flatten)]
    why: WaitingRow,
    lead_id: LeadId,
    email: String,
    current_step_order: i32,
    mailbox_address: Option<String>,
}

/// The columns of [`WaitingRow`]: `$1` workspace.
const WAITING_COLUMNS: &str = "cl.lease_token IS NOT NULL AS in_flight, \
    cl.current_step_order = 1 AS first_step, m.status AS mailbox_status, \
    cm.mailbox_id IS NOT NULL AS in_pool, \
    (l.unsubscribed_at IS NOT NULL OR EXISTS (SELECT 1 FROM suppressions s \
        WHERE s.workspace_id = $1 AND s.kind = 'email' AND s.value = lower(l.email))) \
        AS unreachable";

/// The leads a run waits for: `$1` workspace, `$2` campaign, `$3` the run's due time. Active
/// leads still due from it (not moved on by an outcome), and those under a claim (live, or
/// abandoned and due again): either will still go out or be recorded.
const WAITING_FROM: &str = "FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id \
    LEFT JOIN mailboxes m ON m.id = cl.mailbox_id \
    LEFT JOIN campaign_mailboxes cm \
        ON cm.campaign_id = cl.campaign_id AND cm.mailbox_id = cl.mailbox_id \
    WHERE cl.workspace_id = $1 AND cl.campaign_id = $2 AND cl.status = 'active' \
        AND (cl.next_scheduled_at <= $3 OR cl.lease_token IS NOT NULL)";

/// Campaign-control statements over one connection of the backend `Self`.
pub(crate) trait CampaignControlSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> CampaignLeadRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> EnrolledRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> GeneratedRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> RunRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> WaitingGroupRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> WaitingLeadRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> CampaignLeadId: Bound<'q, Self>,
    for<'q> Option<CampaignLeadId>: Bound<'q, Self>,
    for<'q> LeadId: Bound<'q, Self>,
    for<'q> RunId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> &'static str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> Self::Time: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'r> SendResultRow: sqlx::FromRow<'r, Self::Row>,
{
    async fn transition_campaign(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: CampaignId,
        from: CampaignStatus,
        to: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE campaigns SET status = $4, updated_at = $5 \
             WHERE workspace_id = $1 AND id = $2 AND status = $3",
        )
        .bind(ws)
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(Self::time(now))
        .execute(conn)
        .await
        .ctx("change a campaign's status")?;
        Ok(Self::rows_affected(&done) == 1)
    }

    /// Deletes the campaign if it is a draft with no send row; otherwise says why not.
    async fn delete_draft_campaign(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<DraftDeletion, StoreError> {
        let done = sqlx::query(
            "DELETE FROM campaigns WHERE workspace_id = $1 AND id = $2 AND status = 'draft' \
             AND NOT EXISTS (SELECT 1 FROM email_sends s WHERE s.campaign_id = $2)",
        )
        .bind(ws)
        .bind(id)
        .execute(&mut *conn)
        .await
        .ctx("delete a draft campaign")?;
        if Self::rows_affected(&done) == 1 {
            return Ok(DraftDeletion::Deleted);
        }
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM campaigns WHERE workspace_id = $1 AND id = $2")
                .bind(ws)
                .bind(id)
                .fetch_optional(conn)
                .await
                .ctx("look up a campaign")?;
        Ok(match status {
            None => DraftDeletion::NotFound,
            Some(s) => match parse::<CampaignStatus>("campaigns.status", &s)? {
                CampaignStatus::Draft => DraftDeletion::HasSends,
                other => DraftDeletion::NotDraft(other),
            },
        })
    }

    async fn campaign_lead_counts(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: CampaignId,
    ) -> Result<BTreeMap<CampaignLeadStatus, u64>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, count(*) FROM campaign_leads \
             WHERE workspace_id = $1 AND campaign_id = $2 GROUP BY status",
        )
        .bind(ws)
        .bind(id)
        .fetch_all(conn)
        .await
        .ctx("count a campaign's leads by status")?;
        rows.into_iter()
            .map(|(status, n)| Ok((parse("campaign_leads.status", &status)?, count(n))))
            .collect()
    }

    async fn list_campaign_leads(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        query: &CampaignLeadQuery,
    ) -> Result<Vec<CampaignLeadInfo>, StoreError> {
        let rows: Vec<CampaignLeadRow> = sqlx::query_as(
            // The page is cut from campaign_leads alone (its (campaign_id, id) index, in
            // order) before anything is joined: joined first, a planner without fresh
            // statistics (right after a bulk import) sorted every enrolment of the campaign
            // for each page, about 1.4 s at 100,000 leads.
            "SELECT cl.id, cl.lead_id, l.email, cl.status, cl.current_step_order, \
                 cl.next_scheduled_at, cl.mailbox_id, m.address AS mailbox_address, \
                 cl.stop_reason, cl.enrolled_at \
             FROM (SELECT id, lead_id, status, current_step_order, next_scheduled_at, \
                       mailbox_id, stop_reason, enrolled_at FROM campaign_leads \
                   WHERE workspace_id = $1 AND campaign_id = $2 \
                       AND ($3 IS NULL OR id > $3) AND ($4 IS NULL OR status = $4) \
                   ORDER BY id LIMIT $5) cl \
             JOIN leads l ON l.id = cl.lead_id \
             LEFT JOIN mailboxes m ON m.id = cl.mailbox_id \
             ORDER BY cl.id",
        )
        .bind(ws)
        .bind(campaign)
        .bind(query.after)
        .bind(query.status.map(|s| s.as_str().to_owned()))
        .bind(i64::from(query.limit))
        .fetch_all(conn)
        .await
        .ctx("list a campaign's leads")?;
        rows.into_iter().map(CampaignLeadRow::into_info).collect()
    }

    async fn enrolled_lead(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        lead: LeadId,
    ) -> Result<Option<EnrolledLead>, StoreError> {
        let lead_columns = LEAD_COLUMNS
            .split(',')
            .map(|c| format!("l.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let row: Option<EnrolledRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT cl.id AS campaign_lead_id, cl.status, cl.stop_reason, cl.mailbox_id, \
                 cl.current_step_order, cl.next_scheduled_at, cl.lease_expires_at, \
                 COALESCE(cl.first_subject, (SELECT g.subject FROM generated_messages g \
                     WHERE g.campaign_lead_id = cl.id AND g.step_order = 1)) AS first_subject, \
                 {lead_columns} \
             FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id \
             WHERE cl.workspace_id = $1 AND cl.campaign_id = $2 AND cl.lead_id = $3"
        )))
        .bind(ws)
        .bind(campaign)
        .bind(lead)
        .fetch_optional(conn)
        .await
        .ctx("load a lead's enrolment")?;
        row.map(EnrolledRow::into_enrolled).transpose()
    }

    async fn stored_text(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign_lead: CampaignLeadId,
        step_order: u32,
    ) -> Result<Option<GeneratedMessage>, StoreError> {
        let row: Option<GeneratedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {GENERATED_COLUMNS} FROM generated_messages \
             WHERE campaign_lead_id = $2 AND step_order = $3 \
                 AND EXISTS (SELECT 1 FROM campaign_leads cl \
                     WHERE cl.id = $2 AND cl.workspace_id = $1)"
        )))
        .bind(ws)
        .bind(campaign_lead)
        .bind(i32::try_from(step_order).unwrap_or(i32::MAX))
        .fetch_optional(conn)
        .await
        .ctx("load a stored text")?;
        row.map(GeneratedMessage::try_from).transpose()
    }

    async fn insert_run(conn: &mut Self::Connection, run: &CampaignRun) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO campaign_runs (id, workspace_id, campaign_id, started_at, made_due) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(run.id)
        .bind(run.workspace_id)
        .bind(run.campaign_id)
        .bind(Self::time(run.started_at))
        .bind(i64::try_from(run.made_due).unwrap_or(i64::MAX))
        .execute(conn)
        .await
        .ctx("record a Run Now")?;
        Ok(())
    }

    async fn campaign_run(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        id: RunId,
    ) -> Result<Option<CampaignRun>, StoreError> {
        let row: Option<RunRow> = sqlx::query_as(
            "SELECT id, workspace_id, campaign_id, started_at, made_due, finished_at \
             FROM campaign_runs WHERE workspace_id = $1 AND campaign_id = $2 AND id = $3",
        )
        .bind(ws)
        .bind(campaign)
        .bind(id)
        .fetch_optional(conn)
        .await
        .ctx("load a Run Now")?;
        Ok(row.map(CampaignRun::from))
    }

    async fn finish_run(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: RunId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE campaign_runs SET finished_at = $3 \
             WHERE workspace_id = $1 AND id = $2 AND finished_at IS NULL",
        )
        .bind(ws)
        .bind(id)
        .bind(Self::time(at))
        .execute(conn)
        .await
        .ctx("finish a Run Now")?;
        Ok(())
    }

    async fn run_waiting(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        due_by: DateTime<Utc>,
    ) -> Result<Vec<WaitingGroup>, StoreError> {
        let rows: Vec<WaitingGroupRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {WAITING_COLUMNS}, count(*) AS leads {WAITING_FROM} \
             GROUP BY 1, 2, 3, 4, 5"
        )))
        .bind(ws)
        .bind(campaign)
        .bind(Self::time(due_by))
        .fetch_all(conn)
        .await
        .ctx("count the leads a Run Now waits for")?;
        rows.into_iter()
            .map(|r| {
                Ok(WaitingGroup {
                    why: r.why.into_waiting()?,
                    count: count(r.leads),
                })
            })
            .collect()
    }

    async fn run_waiting_leads(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        due_by: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<WaitingLead>, StoreError> {
        let rows: Vec<WaitingLeadRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {WAITING_COLUMNS}, l.id AS lead_id, l.email, cl.current_step_order, \
                 m.address AS mailbox_address {WAITING_FROM} AND cl.lease_token IS NULL \
             ORDER BY lower(l.email) LIMIT $4"
        )))
        .bind(ws)
        .bind(campaign)
        .bind(Self::time(due_by))
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await
        .ctx("list the leads a Run Now waits for")?;
        rows.into_iter()
            .map(|r| {
                Ok(WaitingLead {
                    lead_id: r.lead_id,
                    email: r.email,
                    step_order: step("campaign_leads.current_step_order", r.current_step_order)?,
                    mailbox_address: r.mailbox_address,
                    why: r.why.into_waiting()?,
                })
            })
            .collect()
    }

    async fn run_results(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<SendResult>, StoreError> {
        let rows: Vec<SendResultRow> = sqlx::query_as(
            "SELECT l.id, l.email, s.step_order, s.state, COALESCE(s.last_error, s.smtp_reply) \
             FROM email_sends s \
             JOIN campaign_leads cl ON cl.id = s.campaign_lead_id \
             JOIN leads l ON l.id = cl.lead_id \
             WHERE s.workspace_id = $1 AND s.campaign_id = $2 \
                 AND s.updated_at >= $3 AND s.created_at <= $4 \
             ORDER BY lower(l.email), s.step_order",
        )
        .bind(ws)
        .bind(campaign)
        .bind(Self::time(since))
        .bind(Self::time(until))
        .fetch_all(conn)
        .await
        .ctx("list a Run Now's sends")?;
        rows.into_iter().map(send_result).collect()
    }
}

impl CampaignControlSql for sqlx::Postgres {}
impl CampaignControlSql for sqlx::Sqlite {}

/// Stamps `store::CampaignControl` for `$store` over the sqlx database `$db` (see
/// `store::sql::roles` for what a store offers the stamped code).
macro_rules! campaign_control_role {
    ($store:ty, $db:ty) => {
        const _: () = {
            use std::collections::BTreeMap;

            use async_trait::async_trait;
            use chrono::{DateTime, Utc};

            use $crate::domain::*;
            use $crate::store::sql::campaign_control::CampaignControlSql;
            use $crate::store::{CampaignControl, StoreError};

            type Sql = $db;

            #[async_trait]
            impl CampaignControl for $store {
                async fn create_campaign(
                    &self,
                    ws: WorkspaceId,
                    spec: &CampaignSpec,
                ) -> Result<Campaign, StoreError> {
                    self.create_campaign_in(ws, spec).await
                }

                async fn replace_campaign(
                    &self,
                    ws: WorkspaceId,
                    id: CampaignId,
                    spec: &CampaignSpec,
                ) -> Result<Upserted<Campaign>, StoreError> {
                    self.replace_campaign_in(ws, id, spec).await
                }

                async fn transition_campaign(
                    &self,
                    ws: WorkspaceId,
                    id: CampaignId,
                    from: CampaignStatus,
                    to: CampaignStatus,
                ) -> Result<bool, StoreError> {
                    let mut unit = self.one_write().await?;
                    let moved =
                        Sql::transition_campaign(unit.conn(), ws, id, from, to, Utc::now()).await?;
                    unit.commit().await?;
                    Ok(moved)
                }

                async fn delete_draft_campaign(
                    &self,
                    ws: WorkspaceId,
                    id: CampaignId,
                ) -> Result<DraftDeletion, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let outcome = Sql::delete_draft_campaign(tx.conn(), ws, id).await?;
                    tx.commit().await?;
                    Ok(outcome)
                }

                async fn campaign_lead_counts(
                    &self,
                    ws: WorkspaceId,
                    id: CampaignId,
                ) -> Result<BTreeMap<CampaignLeadStatus, u64>, StoreError> {
                    Sql::campaign_lead_counts(&mut *self.read().await?, ws, id).await
                }

                async fn list_campaign_leads(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    query: &CampaignLeadQuery,
                ) -> Result<Vec<CampaignLeadInfo>, StoreError> {
                    Sql::list_campaign_leads(&mut *self.read().await?, ws, campaign, query).await
                }

                async fn enrolled_lead(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    lead: LeadId,
                ) -> Result<Option<EnrolledLead>, StoreError> {
                    Sql::enrolled_lead(&mut *self.read().await?, ws, campaign, lead).await
                }

                async fn stored_text(
                    &self,
                    ws: WorkspaceId,
                    campaign_lead: CampaignLeadId,
                    step_order: u32,
                ) -> Result<Option<GeneratedMessage>, StoreError> {
                    Sql::stored_text(&mut *self.read().await?, ws, campaign_lead, step_order).await
                }

                async fn insert_run(&self, run: &CampaignRun) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::insert_run(unit.conn(), run).await?;
                    unit.commit().await
                }

                async fn campaign_run(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    id: RunId,
                ) -> Result<Option<CampaignRun>, StoreError> {
                    Sql::campaign_run(&mut *self.read().await?, ws, campaign, id).await
                }

                async fn finish_run(
                    &self,
                    ws: WorkspaceId,
                    id: RunId,
                    at: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::finish_run(unit.conn(), ws, id, at).await?;
                    unit.commit().await
                }

                async fn run_waiting(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    due_by: DateTime<Utc>,
                ) -> Result<Vec<WaitingGroup>, StoreError> {
                    Sql::run_waiting(&mut *self.read().await?, ws, campaign, due_by).await
                }

                async fn run_waiting_leads(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    due_by: DateTime<Utc>,
                    limit: u32,
                ) -> Result<Vec<WaitingLead>, StoreError> {
                    let mut conn = self.read().await?;
                    Sql::run_waiting_leads(&mut *conn, ws, campaign, due_by, limit).await
                }

                async fn run_results(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    since: DateTime<Utc>,
                    until: DateTime<Utc>,
                ) -> Result<Vec<SendResult>, StoreError> {
                    Sql::run_results(&mut *self.read().await?, ws, campaign, since, until).await
                }
            }
        };
    };
}

pub(crate) use campaign_control_role;
