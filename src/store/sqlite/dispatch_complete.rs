//! `complete_sends`: recording a batch of outcomes in one write transaction.
//!
//! The batch is split by kind, and each kind present costs two statements over JSON rows (see
//! [`json_rows`] and `dispatch_outcomes`): the fenced `UPDATE` of its send rows, then the
//! `UPDATE` of the leads of those that applied. (Through sqlx a SQLite statement costs tens of
//! microseconds before it does any work, so per-row statements would cap a batch at a few
//! thousand rows a second.) A send row applies only while it and its lead both carry the
//! completion's lease token and the send is in a state the outcome may leave; otherwise the
//! completion is counted as fenced and changes nothing. Day counts and campaign totals are
//! summed per batch and written once per (mailbox, date) and per campaign. Bounces, rare and
//! wider, go one by one (`dispatch_bounce`).
//!
//! Kinds run in the order the PostgreSQL backend runs its statements (sent, unknown, retry,
//! failed, bounced), so a lead sent in one campaign and bounced in another in the same batch
//! ends bounced on both backends.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::SqliteConnection;

use super::dispatch_bounce::bounce;
use super::dispatch_outcomes::{Kind, lead_row, send_row};
use super::{SqliteStore, day, json_rows, ts};
use crate::domain::{CampaignId, CampaignLeadId, Completion, CompletionReport, MailboxId, SendId};
use crate::store::{QueryContext, StoreError};

/// A send row a completion applied to.
#[derive(sqlx::FromRow)]
struct Hit {
    id: SendId,
    campaign_lead_id: CampaignLeadId,
    campaign_id: CampaignId,
    mailbox_id: Option<MailboxId>,
}

/// What a batch adds to day counts and campaign totals.
#[derive(Default)]
struct Tally {
    days: BTreeMap<(MailboxId, NaiveDate), i64>,
    campaigns: BTreeMap<CampaignId, i64>,
}

impl Tally {
    /// Sent and unknown sends count against the mailbox's day (the server may have accepted an
    /// unknown one); sent ones add to the campaign's total.
    fn count(&mut self, c: &Completion, hit: &Hit) {
        let date = match c {
            Completion::Sent { count_date, .. } => {
                *self.campaigns.entry(hit.campaign_id).or_default() += 1;
                *count_date
            }
            Completion::Unknown { count_date, .. } => *count_date,
            _ => return,
        };
        if let Some(mailbox) = hit.mailbox_id {
            *self.days.entry((mailbox, date)).or_default() += 1;
        }
    }

    async fn write(&self, conn: &mut SqliteConnection, now: &str) -> Result<(), StoreError> {
        for (&(mailbox, date), &sent) in &self.days {
            sqlx::query(
                "INSERT INTO mailbox_daily_counts (mailbox_id, local_date, sent) VALUES (?, ?, ?) \
                 ON CONFLICT (mailbox_id, local_date) DO UPDATE SET sent = sent + excluded.sent",
            )
            .bind(mailbox)
            .bind(day(date))
            .bind(sent)
            .execute(&mut *conn)
            .await
            .ctx("add to a mailbox's day count")?;
        }
        for (&campaign, &sent) in &self.campaigns {
            sqlx::query(
                "UPDATE campaigns SET emails_sent = emails_sent + ?, last_run_at = ? WHERE id = ?",
            )
            .bind(sent)
            .bind(now.to_owned())
            .bind(campaign)
            .execute(&mut *conn)
            .await
            .ctx("add to a campaign's sent total")?;
        }
        Ok(())
    }
}

pub(super) async fn complete_sends(
    s: &SqliteStore,
    completions: &[Completion],
    now: DateTime<Utc>,
) -> Result<CompletionReport, StoreError> {
    if completions.is_empty() {
        return Ok(CompletionReport::default());
    }
    let now = ts(now);
    let mut tally = Tally::default();
    let mut applied = 0_u32;
    let mut tx = s.begin_write().await?;
    for kind in [Kind::Sent, Kind::Unknown, Kind::Retry, Kind::Failed] {
        // A send listed twice applies once, for its first listing: an upsert would otherwise
        // meet its own row the second time and apply again.
        let mut seen = HashSet::new();
        let batch: Vec<&Completion> = completions
            .iter()
            .filter(|c| Kind::of(c) == Some(kind) && seen.insert(c.send().send_id))
            .collect();
        applied += apply_kind(tx.conn(), kind, &batch, &now, &mut tally).await?;
    }
    for completion in completions {
        if let Completion::Bounced { send, reply } = completion
            && bounce(tx.conn(), send, reply, &now).await?
        {
            applied += 1;
        }
    }
    tally.write(tx.conn(), &now).await?;
    tx.commit().await?;
    let total = u32::try_from(completions.len()).unwrap_or(u32::MAX);
    Ok(CompletionReport {
        applied,
        fenced: total.saturating_sub(applied),
    })
}

/// Records one kind's completions; returns how many applied.
async fn apply_kind(
    conn: &mut SqliteConnection,
    kind: Kind,
    batch: &[&Completion],
    now: &str,
    tally: &mut Tally,
) -> Result<u32, StoreError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let (send_sql, lead_sql) = kind.statements();
    let hits: Vec<Hit> = sqlx::query_as(send_sql)
        .bind(now.to_owned())
        .bind(json_rows(batch.iter().map(|c| send_row(c))))
        .fetch_all(&mut *conn)
        .await
        .ctx("record send outcomes")?;
    let mut hits: HashMap<SendId, Hit> = hits.into_iter().map(|h| (h.id, h)).collect();
    let mut leads = Vec::with_capacity(hits.len());
    for c in batch {
        // A send listed twice applies once: the first listing gets the credit.
        if let Some(hit) = hits.remove(&c.send().send_id) {
            leads.push(lead_row(c, hit.campaign_lead_id));
            tally.count(c, &hit);
        }
    }
    if leads.is_empty() {
        return Ok(0);
    }
    let applied = u32::try_from(leads.len()).unwrap_or(u32::MAX);
    sqlx::query(lead_sql)
        .bind(now.to_owned())
        .bind(json_rows(leads))
        .execute(conn)
        .await
        .ctx("move leads on after their send outcomes")?;
    Ok(applied)
}
