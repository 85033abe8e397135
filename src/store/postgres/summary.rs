//! `workspace_summary`: the counts behind `outreachd status`.
//!
//! A fixed number of grouped queries whatever the number of campaigns or mailboxes. "Sent
//! today" is read from `mailbox_daily_counts` for each mailbox's *local* date (its time zone
//! decides when its day, and its daily cap, starts), computed here with chrono-tz so both
//! backends agree.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use crate::domain::{
    CampaignId, CampaignLeadStatus, CampaignStatus, CampaignSummary, MailboxId, MailboxSummary,
    WorkspaceId, WorkspaceSummary,
};
use crate::store::{QueryContext, StoreError};

pub(super) async fn workspace(
    pool: &PgPool,
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
    .fetch_optional(pool)
    .await
    .ctx("count leads and suppressions")?;
    let (name, leads, suppressions) =
        head.ok_or_else(|| StoreError::not_found("workspace", ws.to_string()))?;
    Ok(WorkspaceSummary {
        workspace: name,
        leads: count(leads),
        suppressions: count(suppressions),
        mailboxes: mailboxes(pool, ws, now).await?,
        campaigns: campaigns(pool, ws, now).await?,
    })
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn parse<T: std::str::FromStr>(column: &'static str, value: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| StoreError::Corrupt {
        column,
        detail: e.to_string(),
    })
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

async fn mailboxes(
    pool: &PgPool,
    ws: WorkspaceId,
    now: DateTime<Utc>,
) -> Result<Vec<MailboxSummary>, StoreError> {
    let rows: Vec<(MailboxId, String, String, Option<String>, i32, String)> = sqlx::query_as(
        "SELECT id, address, status, status_reason, daily_cap, timezone FROM mailboxes \
         WHERE workspace_id = $1 ORDER BY lower(address)",
    )
    .bind(ws)
    .fetch_all(pool)
    .await
    .ctx("list mailboxes for the summary")?;
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.0.0).collect();
    let dates: Vec<NaiveDate> = rows.iter().map(|r| local_date(&r.5, now)).collect();
    let sent: HashMap<MailboxId, i64> = sqlx::query_as(
        "SELECT d.mailbox_id, d.sent::bigint \
         FROM UNNEST($1::uuid[], $2::date[]) AS u(mailbox_id, local_date) \
         JOIN mailbox_daily_counts d \
             ON d.mailbox_id = u.mailbox_id AND d.local_date = u.local_date",
    )
    .bind(&ids)
    .bind(&dates)
    .fetch_all(pool)
    .await
    .ctx("load today's send counts")?
    .into_iter()
    .collect();
    rows.into_iter()
        .map(|(id, address, status, status_reason, daily_cap, _)| {
            Ok(MailboxSummary {
                address,
                status: parse("mailboxes.status", &status)?,
                status_reason,
                daily_cap: u32::try_from(daily_cap).unwrap_or(0),
                sent_today: count(sent.get(&id).copied().unwrap_or(0)),
            })
        })
        .collect()
}

async fn campaigns(
    pool: &PgPool,
    ws: WorkspaceId,
    now: DateTime<Utc>,
) -> Result<Vec<CampaignSummary>, StoreError> {
    let rows: Vec<(CampaignId, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT c.id, c.name, c.status, \
             (SELECT count(*) FROM sequence_steps s WHERE s.campaign_id = c.id), \
             (SELECT count(*) FROM campaign_mailboxes m WHERE m.campaign_id = c.id), \
             c.emails_sent \
         FROM campaigns c WHERE c.workspace_id = $1 ORDER BY c.name",
    )
    .bind(ws)
    .fetch_all(pool)
    .await
    .ctx("list campaigns for the summary")?;
    let groups: Vec<(CampaignId, String, i64, i64)> = sqlx::query_as(
        "SELECT campaign_id, status, count(*), \
             count(*) FILTER (WHERE status = 'active' AND next_scheduled_at <= $2) \
         FROM campaign_leads \
         WHERE workspace_id = $1 AND campaign_id IN (SELECT id FROM campaigns WHERE workspace_id = $1) \
         GROUP BY campaign_id, status",
    )
    .bind(ws)
    .bind(now)
    .fetch_all(pool)
    .await
    .ctx("count campaign leads by status")?;
    let mut by_campaign: HashMap<CampaignId, (BTreeMap<CampaignLeadStatus, u64>, u64)> =
        HashMap::new();
    for (campaign, status, n, due) in groups {
        let entry = by_campaign.entry(campaign).or_default();
        entry
            .0
            .insert(parse("campaign_leads.status", &status)?, count(n));
        entry.1 += count(due);
    }
    rows.into_iter()
        .map(|(id, name, status, steps, mailboxes, emails_sent)| {
            let (leads_by_status, due_now) = by_campaign.remove(&id).unwrap_or_default();
            Ok(CampaignSummary {
                name,
                status: parse::<CampaignStatus>("campaigns.status", &status)?,
                steps: u32::try_from(steps).unwrap_or(u32::MAX),
                mailboxes: u32::try_from(mailboxes).unwrap_or(u32::MAX),
                leads_by_status,
                due_now,
                emails_sent: count(emails_sent),
            })
        })
        .collect()
}
