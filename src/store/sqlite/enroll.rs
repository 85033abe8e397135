//! Enrolment: putting leads into a campaign's sequence, spread over its mailbox pool.
//!
//! One transaction per call, however many ids (the CLI sends 5,000 at a time; 100,000 work).
//! Leads are read in chunks under SQLite's parameter limit; suppressions are matched here in
//! Rust with the same lower-casing `is_suppressed` uses; mailboxes are picked by the shared
//! least-loaded rule so both backends rotate identically.

use crate::store::Enrolment;
use async_trait::async_trait;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteConnection;

use super::{MAX_PARAMS, SqliteStore, row_placeholders, ts, values_placeholders};
use crate::domain::{CampaignId, CampaignLeadId, EnrollOutcome, LeadId, MailboxId, WorkspaceId};
use crate::store::rows::{assign_least_loaded, unique_leads};
use crate::store::sql::catalog::CatalogSql;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Sqlite;

/// Lead ids per lookup; each costs two parameters in the suppression query.
const LOOKUP_CHUNK: usize = 5_000;
const INSERT_COLUMNS: &str = "id, workspace_id, campaign_id, lead_id, mailbox_id, status, \
    current_step_order, next_scheduled_at, enrolled_at, updated_at";
const INSERT_COLUMN_COUNT: usize = 10;

/// One lead as enrolment sees it.
struct Candidate {
    id: LeadId,
    email: String,
    unsubscribed: bool,
    enrolled: bool,
}

/// The workspace's leads among `ids`, with whether each is unsubscribed or already enrolled.
async fn candidates(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    campaign: CampaignId,
    ids: &[LeadId],
) -> Result<HashMap<LeadId, Candidate>, StoreError> {
    let sql = format!(
        "SELECT l.id, l.email, l.unsubscribed_at IS NOT NULL, \
             EXISTS (SELECT 1 FROM campaign_leads cl WHERE cl.campaign_id = ? AND cl.lead_id = l.id) \
         FROM leads l WHERE l.workspace_id = ? AND l.id IN {}",
        row_placeholders(ids.len())
    );
    let mut q = sqlx::query_as::<_, (LeadId, String, bool, bool)>(sqlx::AssertSqlSafe(sql))
        .bind(campaign)
        .bind(ws);
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(conn).await.ctx("load leads to enrol")?;
    Ok(rows
        .into_iter()
        .map(|(id, email, unsubscribed, enrolled)| {
            (
                id,
                Candidate {
                    id,
                    email,
                    unsubscribed,
                    enrolled,
                },
            )
        })
        .collect())
}

/// Which of `leads` are suppressed by address or by domain.
async fn suppressed<'a>(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    leads: impl Iterator<Item = &'a Candidate>,
) -> Result<HashSet<LeadId>, StoreError> {
    // The same normalisation as `EmailAddress::normalized` and `EmailAddress::domain`.
    let keyed: Vec<(LeadId, String, String)> = leads
        .map(|l| {
            let email = l.email.to_lowercase();
            let domain = email
                .rsplit_once('@')
                .map(|(_, d)| d.to_owned())
                .unwrap_or_default();
            (l.id, email, domain)
        })
        .collect();
    if keyed.is_empty() {
        return Ok(HashSet::new());
    }
    let emails: HashSet<&str> = keyed.iter().map(|(_, e, _)| e.as_str()).collect();
    let domains: HashSet<&str> = keyed.iter().map(|(_, _, d)| d.as_str()).collect();
    let sql = format!(
        "SELECT kind, value FROM suppressions WHERE workspace_id = ? AND \
         ((kind = 'email' AND value IN {}) OR (kind = 'domain' AND value IN {}))",
        row_placeholders(emails.len()),
        row_placeholders(domains.len())
    );
    let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)).bind(ws);
    for v in emails.iter().chain(domains.iter()) {
        q = q.bind(v.to_string());
    }
    let hits = q.fetch_all(conn).await.ctx("check suppressions")?;
    let hit_emails: HashSet<&str> = hits
        .iter()
        .filter(|(k, _)| k == "email")
        .map(|(_, v)| v.as_str())
        .collect();
    let hit_domains: HashSet<&str> = hits
        .iter()
        .filter(|(k, _)| k == "domain")
        .map(|(_, v)| v.as_str())
        .collect();
    Ok(keyed
        .iter()
        .filter(|(_, e, d)| hit_emails.contains(e.as_str()) || hit_domains.contains(d.as_str()))
        .map(|(id, ..)| *id)
        .collect())
}

#[async_trait]
impl Enrolment for SqliteStore {
    async fn enroll_leads(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        leads: &[LeadId],
        start_at: DateTime<Utc>,
    ) -> Result<EnrollOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        let conn = tx.conn();
        let name = Sql::campaign_name(conn, ws, campaign).await?;
        let mut loads = Sql::enrolment_pool(conn, campaign, &name).await?;
        let unique = unique_leads(leads);

        let mut outcome = EnrollOutcome::default();
        let now = ts(Utc::now());
        let due = ts(start_at);
        for chunk in unique.chunks(LOOKUP_CHUNK) {
            let found = candidates(conn, ws, campaign, chunk).await?;
            if let Some(missing) = chunk.iter().find(|id| !found.contains_key(id)) {
                return Err(StoreError::not_found("lead", missing.to_string()));
            }
            let blocked = suppressed(conn, ws, found.values()).await?;
            let mut fresh = Vec::new();
            for id in chunk {
                let Some(lead) = found.get(id) else { continue };
                if lead.unsubscribed || blocked.contains(&lead.id) {
                    outcome.suppressed += 1;
                } else if lead.enrolled {
                    outcome.already_enrolled += 1;
                } else {
                    fresh.push(lead.id);
                }
            }
            let mailboxes = assign_least_loaded(&mut loads, fresh.len());
            let rows: Vec<(LeadId, MailboxId)> = fresh.into_iter().zip(mailboxes).collect();
            for batch in rows.chunks(MAX_PARAMS / INSERT_COLUMN_COUNT) {
                let sql = format!(
                    "INSERT INTO campaign_leads ({INSERT_COLUMNS}) VALUES {}",
                    values_placeholders(batch.len(), INSERT_COLUMN_COUNT)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (lead, mailbox) in batch {
                    q = q
                        .bind(CampaignLeadId::new())
                        .bind(ws)
                        .bind(campaign)
                        .bind(*lead)
                        .bind(*mailbox)
                        .bind("active")
                        .bind(1_i64)
                        .bind(due.clone())
                        .bind(now.clone())
                        .bind(now.clone());
                }
                q.execute(&mut *conn).await.ctx("enrol leads")?;
                outcome.enrolled += batch.len() as u64;
            }
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn run_now(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let made_due = Sql::run_now(tx.conn(), ws, campaign, now).await?;
        tx.commit().await?;
        Ok(made_due)
    }
}
