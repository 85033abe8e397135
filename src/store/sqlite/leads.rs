//! Leads: bulk insert (100,000 rows in calls of about 1,000) and lookups. Identity is
//! (workspace, lower(email)).
//!
//! One call is one transaction: multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING id`
//! statements (as many rows as SQLite's parameter limit allows), then one lookup for the emails
//! that existed already. Ids are made here, so the returned ids say which rows went in.

use crate::store::Leads;
use crate::store::sql::privacy::PrivacySql;
use crate::store::sql::reads::Reads;
use async_trait::async_trait;
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sqlx::sqlite::SqliteConnection;

use super::{MAX_PARAMS, SqliteStore, row_placeholders, ts, values_placeholders};
use crate::domain::{EmailAddress, Lead, LeadId, LeadInsert, NewLead, WorkspaceId};
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Sqlite;

const INSERT_COLUMNS: &str = "id, workspace_id, email, first_name, last_name, title, company, \
    website, linkedin, phone, timezone, custom, created_at, updated_at";
const INSERT_COLUMN_COUNT: usize = 14;

/// The identity key as the unique index sees it: SQLite's `lower()` folds ASCII letters only.
pub(super) fn sqlite_lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// What to do with one input row.
enum Plan {
    /// First occurrence of its email in this call: insert with this id.
    Insert(LeadId),
    /// Repeats the email of input row `0`.
    SameAs(usize),
}

/// Every lead's email, or an error naming the first lead without one (before anything is
/// written, so a bad batch leaves no trace).
fn emails_of(leads: &[NewLead]) -> Result<Vec<&EmailAddress>, StoreError> {
    leads
        .iter()
        .enumerate()
        .map(|(index, lead)| {
            lead.email.as_ref().ok_or_else(|| {
                StoreError::Conflict(format!(
                    "lead #{} has no email address; every lead needs one",
                    index + 1
                ))
            })
        })
        .collect()
}

/// A fresh id for the first row of each key, a back-reference for repeats.
fn plan(keys: &[String]) -> Vec<Plan> {
    let mut first_row: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
    keys.iter()
        .enumerate()
        .map(|(index, key)| match first_row.get(key.as_str()) {
            Some(first) => Plan::SameAs(*first),
            None => {
                first_row.insert(key, index);
                Plan::Insert(LeadId::new())
            }
        })
        .collect()
}

/// Inserts the `fresh` rows (input index, new id) and returns the ids that went in; the others
/// hit an existing email.
async fn insert_fresh(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    leads: &[NewLead],
    emails: &[&EmailAddress],
    fresh: &[(usize, LeadId)],
) -> Result<HashSet<LeadId>, StoreError> {
    let now = ts(Utc::now());
    let mut inserted = HashSet::with_capacity(fresh.len());
    for chunk in fresh.chunks(MAX_PARAMS / INSERT_COLUMN_COUNT) {
        let sql = format!(
            "INSERT INTO leads ({INSERT_COLUMNS}) VALUES {} ON CONFLICT DO NOTHING RETURNING id",
            values_placeholders(chunk.len(), INSERT_COLUMN_COUNT)
        );
        let mut q = sqlx::query_scalar::<_, LeadId>(sqlx::AssertSqlSafe(sql));
        for &(index, id) in chunk {
            let lead = &leads[index];
            // A map of strings always serialises; the fallback only keeps this panic-free.
            let custom = serde_json::to_string(&lead.custom).unwrap_or_else(|_| "{}".to_owned());
            q = q
                .bind(id)
                .bind(ws)
                .bind(emails[index].as_str().to_owned())
                .bind(lead.first_name.clone())
                .bind(lead.last_name.clone())
                .bind(lead.title.clone())
                .bind(lead.company.clone())
                .bind(lead.website.clone())
                .bind(lead.linkedin.clone())
                .bind(lead.phone.clone())
                .bind(lead.timezone.clone())
                .bind(custom)
                .bind(now.clone())
                .bind(now.clone());
        }
        inserted.extend(q.fetch_all(&mut *conn).await.ctx("insert leads")?);
    }
    Ok(inserted)
}

/// Ids of the workspace's leads with these identity keys.
async fn ids_by_key(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    keys: &[&str],
) -> Result<HashMap<String, LeadId>, StoreError> {
    let mut found = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(MAX_PARAMS - 1) {
        let sql = format!(
            "SELECT lower(email), id FROM leads WHERE workspace_id = ? AND lower(email) IN {}",
            row_placeholders(chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, LeadId)>(sqlx::AssertSqlSafe(sql)).bind(ws);
        for key in chunk {
            q = q.bind((*key).to_owned());
        }
        found.extend(
            q.fetch_all(&mut *conn)
                .await
                .ctx("look up existing leads")?,
        );
    }
    Ok(found)
}

#[async_trait]
impl Leads for SqliteStore {
    async fn insert_leads(
        &self,
        ws: WorkspaceId,
        leads: &[NewLead],
    ) -> Result<Vec<LeadInsert>, StoreError> {
        if leads.is_empty() {
            return Ok(Vec::new());
        }
        let emails = emails_of(leads)?;
        let keys: Vec<String> = emails.iter().map(|e| sqlite_lower(e.as_str())).collect();
        let plans = plan(&keys);
        let fresh: Vec<(usize, LeadId)> = plans
            .iter()
            .enumerate()
            .filter_map(|(index, plan)| match plan {
                Plan::Insert(id) => Some((index, *id)),
                Plan::SameAs(_) => None,
            })
            .collect();

        let mut tx = self.begin_write().await?;
        Sql::ensure_workspace(tx.conn(), ws).await?;
        let inserted = insert_fresh(tx.conn(), ws, leads, &emails, &fresh).await?;
        // Emails that were there before this call: look their ids up.
        let existing_keys: Vec<&str> = fresh
            .iter()
            .filter(|(_, id)| !inserted.contains(id))
            .map(|(index, _)| keys[*index].as_str())
            .collect();
        let existing = ids_by_key(tx.conn(), ws, &existing_keys).await?;
        let added: Vec<(LeadId, &EmailAddress)> = fresh
            .iter()
            .filter(|(_, id)| inserted.contains(id))
            .map(|(index, id)| (*id, emails[*index]))
            .collect();
        Sql::keep_erased_unmailed(tx.conn(), ws, &added, Utc::now()).await?;
        tx.commit().await?;

        let mut out: Vec<LeadInsert> = Vec::with_capacity(leads.len());
        for (index, plan) in plans.iter().enumerate() {
            let result = match plan {
                Plan::Insert(id) if inserted.contains(id) => LeadInsert::Inserted(*id),
                Plan::Insert(_) => match existing.get(&keys[index]) {
                    Some(id) => LeadInsert::Existing(*id),
                    None => {
                        return Err(StoreError::Conflict(format!(
                            "lead {} was neither inserted nor found",
                            emails[index]
                        )));
                    }
                },
                // `first` is an earlier row, so `out` has its result already.
                Plan::SameAs(first) => LeadInsert::Existing(out[*first].id()),
            };
            out.push(result);
        }
        Ok(out)
    }

    async fn lead_by_email(
        &self,
        ws: WorkspaceId,
        email: &EmailAddress,
    ) -> Result<Option<Lead>, StoreError> {
        Sql::lead_by_email(&mut *self.read().await?, ws, email.as_str()).await
    }

    async fn lead_ids(&self, ws: WorkspaceId) -> Result<Vec<LeadId>, StoreError> {
        Sql::lead_ids(&mut *self.read().await?, ws).await
    }
}
