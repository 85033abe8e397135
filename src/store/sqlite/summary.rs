//! `workspace_summary`: counts for `outreachd status`, read in one snapshot.
//!
//! A mailbox's "sent today" is its `mailbox_daily_counts` row for today's date in the mailbox's
//! own time zone, since that is the day its cap resets on.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, NaiveDate, Utc};
use sqlx::sqlite::SqliteConnection;

use super::ts;
use crate::domain::{
    CampaignId, CampaignLeadStatus, CampaignStatus, CampaignSummary, MailboxId, MailboxStatus,
    MailboxSummary, WorkspaceId, WorkspaceSummary,
};
use crate::store::{QueryContext, StoreError};

fn corrupt(column: &'static str) -> impl Fn(crate::domain::StatusParseError) -> StoreError {
    move |e| StoreError::Corrupt {
        column,
        detail: e.to_string(),
    }
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Today's date where the mailbox lives; an unknown zone counts in UTC.
fn local_date(now: DateTime<Utc>, timezone: &str) -> NaiveDate {
    match timezone.parse::<chrono_tz::Tz>() {
        Ok(tz) => now.with_timezone(&tz).date_naive(),
        Err(_) => now.date_naive(),
    }
}

pub(super) async fn workspace_summary(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    now: DateTime<Utc>,
) -> Result<WorkspaceSummary, StoreError> {
    let workspace: Option<String> = sqlx::query_scalar("SELECT name FROM workspaces WHERE id = ?")
        .bind(ws)
        .fetch_optional(&mut *conn)
        .await
        .ctx("load the workspace")?;
    let workspace = workspace.ok_or_else(|| StoreError::not_found("workspace", ws.to_string()))?;
    let (leads, suppressions): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM leads WHERE workspace_id = ?1), \
                (SELECT count(*) FROM suppressions WHERE workspace_id = ?1)",
    )
    .bind(ws)
    .fetch_one(&mut *conn)
    .await
    .ctx("count leads and suppressions")?;
    Ok(WorkspaceSummary {
        workspace,
        leads: count(leads),
        suppressions: count(suppressions),
        mailboxes: mailboxes(conn, ws, now).await?,
        campaigns: campaigns(conn, ws, now).await?,
    })
}

async fn mailboxes(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    now: DateTime<Utc>,
) -> Result<Vec<MailboxSummary>, StoreError> {
    let rows: Vec<(MailboxId, String, String, Option<String>, i64, String)> = sqlx::query_as(
        "SELECT id, address, status, status_reason, daily_cap, timezone FROM mailboxes \
         WHERE workspace_id = ? ORDER BY lower(address)",
    )
    .bind(ws)
    .fetch_all(&mut *conn)
    .await
    .ctx("load mailboxes")?;
    // Every zone's today is within a day of UTC's: fetch that range once for all mailboxes.
    let utc_today = now.date_naive();
    let from = utc_today
        .checked_sub_days(Days::new(1))
        .unwrap_or(utc_today);
    let to = utc_today
        .checked_add_days(Days::new(1))
        .unwrap_or(utc_today);
    let counts: Vec<(MailboxId, String, i64)> = sqlx::query_as(
        "SELECT c.mailbox_id, c.local_date, c.sent FROM mailbox_daily_counts c \
         JOIN mailboxes m ON m.id = c.mailbox_id \
         WHERE m.workspace_id = ? AND c.local_date BETWEEN ? AND ?",
    )
    .bind(ws)
    .bind(from.format("%Y-%m-%d").to_string())
    .bind(to.format("%Y-%m-%d").to_string())
    .fetch_all(conn)
    .await
    .ctx("load daily send counts")?;
    let counts: HashMap<(MailboxId, String), i64> = counts
        .into_iter()
        .map(|(id, date, sent)| ((id, date), sent))
        .collect();
    rows.into_iter()
        .map(
            |(id, address, status, status_reason, daily_cap, timezone)| {
                let today = local_date(now, &timezone).format("%Y-%m-%d").to_string();
                Ok(MailboxSummary {
                    address,
                    status: status
                        .parse::<MailboxStatus>()
                        .map_err(corrupt("mailboxes.status"))?,
                    status_reason,
                    daily_cap: u32::try_from(daily_cap).map_err(|_| StoreError::Corrupt {
                        column: "mailboxes.daily_cap",
                        detail: daily_cap.to_string(),
                    })?,
                    sent_today: counts.get(&(id, today)).copied().map(count).unwrap_or(0),
                })
            },
        )
        .collect()
}

async fn campaigns(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    now: DateTime<Utc>,
) -> Result<Vec<CampaignSummary>, StoreError> {
    let rows: Vec<(CampaignId, String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT c.id, c.name, c.status, c.emails_sent, \
             (SELECT count(*) FROM sequence_steps s WHERE s.campaign_id = c.id), \
             (SELECT count(*) FROM campaign_mailboxes cm WHERE cm.campaign_id = c.id), \
             (SELECT count(*) FROM campaign_leads cl WHERE cl.campaign_id = c.id \
                 AND cl.status = 'active' AND cl.next_scheduled_at <= ?) \
         FROM campaigns c WHERE c.workspace_id = ? ORDER BY c.name",
    )
    .bind(ts(now))
    .bind(ws)
    .fetch_all(&mut *conn)
    .await
    .ctx("load campaigns")?;
    let by_status: Vec<(CampaignId, String, i64)> = sqlx::query_as(
        "SELECT campaign_id, status, count(*) FROM campaign_leads \
         WHERE workspace_id = ? GROUP BY campaign_id, status",
    )
    .bind(ws)
    .fetch_all(conn)
    .await
    .ctx("count campaign leads by status")?;
    let mut leads: HashMap<CampaignId, BTreeMap<CampaignLeadStatus, u64>> = HashMap::new();
    for (campaign, status, n) in by_status {
        let status = status
            .parse::<CampaignLeadStatus>()
            .map_err(corrupt("campaign_leads.status"))?;
        leads.entry(campaign).or_default().insert(status, count(n));
    }
    rows.into_iter()
        .map(
            |(id, name, status, emails_sent, steps, mailboxes, due_now)| {
                Ok(CampaignSummary {
                    name,
                    status: status
                        .parse::<CampaignStatus>()
                        .map_err(corrupt("campaigns.status"))?,
                    steps: u32::try_from(steps).unwrap_or(u32::MAX),
                    mailboxes: u32::try_from(mailboxes).unwrap_or(u32::MAX),
                    leads_by_status: leads.remove(&id).unwrap_or_default(),
                    due_now: count(due_now),
                    emails_sent: count(emails_sent),
                })
            },
        )
        .collect()
}
