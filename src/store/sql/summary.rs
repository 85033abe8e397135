//! `workspace_summary`: the counts behind `outreachd status`, written once for both backends as
//! default methods of [`SummarySql`].
//!
//! A fixed number of grouped queries whatever the number of campaigns or mailboxes. "Sent
//! today" is a mailbox's `mailbox_daily_counts` row for its *local* date (its time zone decides
//! when its day, and its daily cap, starts), computed here with chrono-tz: every zone's today is
//! within a day of UTC's, so one range read serves all mailboxes.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::{Bound, Dialect};
use crate::domain::{
    CampaignId, CampaignLeadStatus, CampaignStatus, CampaignSummary, MailboxId, MailboxSummary,
    WorkspaceId, WorkspaceSummary, round_usd,
};
use crate::store::rows::parse;
use crate::store::{QueryContext, StoreError};

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The mailbox's calendar date at `now`. An unknown zone (validated on input, so only a
/// hand-edited row) counts in UTC rather than failing the whole summary.
fn local_date(timezone: &str, now: DateTime<Utc>) -> NaiveDate {
    match timezone.parse::<chrono_tz::Tz>() {
        Ok(tz) => now.with_timezone(&tz).date_naive(),
        Err(_) => {
            tracing::warn!(
                timezone,
                "Mailbox has an unknown time zone; counting its day in UTC."
            );
            now.date_naive()
        }
    }
}

type MailboxSummaryRow = (MailboxId, String, String, Option<String>, i32, String);
type CampaignSummaryRow = (CampaignId, String, String, i64, i64, i64, i64);

/// The summary's reads over one connection of the backend `Self` (a snapshot where the backend
/// has one).
pub(crate) trait SummarySql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> MailboxId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> NaiveDate: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> f64: Bound<'q, Self>,
{
    async fn workspace_summary(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        now: DateTime<Utc>,
    ) -> Result<WorkspaceSummary, StoreError> {
        let head: Option<(String, i64, i64)> = sqlx::query_as(
            "SELECT w.name, \
                 (SELECT count(*) FROM leads WHERE workspace_id = w.id), \
                 (SELECT count(*) FROM suppressions WHERE workspace_id = w.id) \
             FROM workspaces w WHERE w.id = $1",
        )
        .bind(ws)
        .fetch_optional(&mut *conn)
        .await
        .ctx("load the workspace")?;
        let (name, leads, suppressions) =
            head.ok_or_else(|| StoreError::not_found("workspace", ws.to_string()))?;
        Ok(WorkspaceSummary {
            workspace: name,
            leads: count(leads),
            suppressions: count(suppressions),
            mailboxes: Self::mailbox_summaries(&mut *conn, ws, now).await?,
            campaigns: Self::campaign_summaries(conn, ws, now).await?,
        })
    }

    async fn mailbox_summaries(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        now: DateTime<Utc>,
    ) -> Result<Vec<MailboxSummary>, StoreError> {
        let rows: Vec<MailboxSummaryRow> = sqlx::query_as(
            "SELECT id, address, status, status_reason, daily_cap, timezone FROM mailboxes \
             WHERE workspace_id = $1 ORDER BY lower(address)",
        )
        .bind(ws)
        .fetch_all(&mut *conn)
        .await
        .ctx("list mailboxes for the summary")?;
        let utc_today = now.date_naive();
        let from = utc_today
            .checked_sub_days(Days::new(1))
            .unwrap_or(utc_today);
        let to = utc_today
            .checked_add_days(Days::new(1))
            .unwrap_or(utc_today);
        let counts: Vec<(MailboxId, NaiveDate, i32)> = sqlx::query_as(
            "SELECT c.mailbox_id, c.local_date, c.sent FROM mailbox_daily_counts c \
             JOIN mailboxes m ON m.id = c.mailbox_id \
             WHERE m.workspace_id = $1 AND c.local_date BETWEEN $2 AND $3",
        )
        .bind(ws)
        .bind(from)
        .bind(to)
        .fetch_all(conn)
        .await
        .ctx("load today's send counts")?;
        let sent: HashMap<(MailboxId, NaiveDate), i32> = counts
            .into_iter()
            .map(|(id, date, sent)| ((id, date), sent))
            .collect();
        rows.into_iter()
            .map(
                |(id, address, status, status_reason, daily_cap, timezone)| {
                    let today = local_date(&timezone, now);
                    Ok(MailboxSummary {
                        address,
                        status: parse("mailboxes.status", &status)?,
                        status_reason,
                        daily_cap: u32::try_from(daily_cap).unwrap_or(0),
                        sent_today: count(sent.get(&(id, today)).copied().unwrap_or(0).into()),
                    })
                },
            )
            .collect()
    }

    async fn campaign_summaries(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        now: DateTime<Utc>,
    ) -> Result<Vec<CampaignSummary>, StoreError> {
        let rows: Vec<CampaignSummaryRow> = sqlx::query_as(
            "SELECT c.id, c.name, c.status, c.emails_sent, \
                 (SELECT count(*) FROM sequence_steps s WHERE s.campaign_id = c.id), \
                 (SELECT count(*) FROM campaign_mailboxes cm WHERE cm.campaign_id = c.id), \
                 (SELECT count(*) FROM campaign_leads cl WHERE cl.campaign_id = c.id \
                     AND cl.status = 'active' AND cl.next_scheduled_at <= $2) \
             FROM campaigns c WHERE c.workspace_id = $1 ORDER BY c.name",
        )
        .bind(ws)
        .bind(Self::time(now))
        .fetch_all(&mut *conn)
        .await
        .ctx("list campaigns for the summary")?;
        let by_status: Vec<(CampaignId, String, i64)> = sqlx::query_as(
            "SELECT campaign_id, status, count(*) FROM campaign_leads \
             WHERE workspace_id = $1 GROUP BY campaign_id, status",
        )
        .bind(ws)
        .fetch_all(&mut *conn)
        .await
        .ctx("count campaign leads by status")?;
        let costs: HashMap<CampaignId, f64> = sqlx::query_as::<_, (CampaignId, f64)>(
            "SELECT campaign_id, COALESCE(SUM(cost_usd), 0.0) FROM api_usage \
             WHERE workspace_id = $1 AND campaign_id IS NOT NULL GROUP BY campaign_id",
        )
        .bind(ws)
        .fetch_all(&mut *conn)
        .await
        .ctx("sum the cost of campaigns")?
        .into_iter()
        .collect();
        let mut leads: HashMap<CampaignId, BTreeMap<CampaignLeadStatus, u64>> = HashMap::new();
        for (campaign, status, n) in by_status {
            let status = parse("campaign_leads.status", &status)?;
            leads.entry(campaign).or_default().insert(status, count(n));
        }
        rows.into_iter()
            .map(
                |(id, name, status, emails_sent, steps, mailboxes, due_now)| {
                    Ok(CampaignSummary {
                        name,
                        status: parse::<CampaignStatus>("campaigns.status", &status)?,
                        steps: u32::try_from(steps).unwrap_or(u32::MAX),
                        mailboxes: u32::try_from(mailboxes).unwrap_or(u32::MAX),
                        leads_by_status: leads.remove(&id).unwrap_or_default(),
                        due_now: count(due_now),
                        emails_sent: count(emails_sent),
                        cost_usd: round_usd(costs.get(&id).copied().unwrap_or(0.0)),
                    })
                },
            )
            .collect()
    }
}

impl SummarySql for sqlx::Postgres {}
impl SummarySql for sqlx::Sqlite {}
