//! Leads: bulk insert for the CSV importer, and lookups.
//!
//! `insert` is the import hot path (100,000 leads arrive in batches of about 1,000): each call is
//! one `INSERT … SELECT FROM UNNEST(column arrays) ON CONFLICT DO NOTHING`, plus at most one
//! `SELECT` for the ids of emails that were there already. Ids are made here, so a returned id
//! tells which rows were inserted without relying on the order `RETURNING` yields them in.

use super::*;
use crate::store::Leads;
use crate::store::sql::privacy::PrivacySql;
use crate::store::sql::reads::Reads;
use async_trait::async_trait;
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sqlx::PgPool;

use crate::domain::{EmailAddress, Lead, LeadId, LeadInsert, NewLead, WorkspaceId};
use crate::store::rows::custom_json;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

/// Inserts the leads at `unique` with `ids`; returns the ids actually inserted.
async fn insert_unique(
    pool: &PgPool,
    ws: WorkspaceId,
    leads: &[NewLead],
    unique: &[usize],
    ids: &[LeadId],
) -> Result<HashSet<LeadId>, StoreError> {
    let rows: Vec<&NewLead> = unique.iter().map(|&i| &leads[i]).collect();
    let text = |f: fn(&NewLead) -> Option<&str>| -> Vec<Option<&str>> {
        rows.iter().map(|lead| f(lead)).collect()
    };
    let raw_ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
    let emails = text(|l| l.email.as_ref().map(EmailAddress::as_str));
    let custom: Vec<serde_json::Value> = rows.iter().map(|l| custom_json(&l.custom)).collect();
    let inserted: Vec<LeadId> = sqlx::query_scalar(
        "INSERT INTO leads (id, workspace_id, email, first_name, last_name, title, company, \
         website, linkedin, phone, timezone, custom, created_at, updated_at) \
         SELECT u.id, $1, u.email, u.first_name, u.last_name, u.title, u.company, u.website, \
             u.linkedin, u.phone, u.timezone, u.custom, $2, $2 \
         FROM UNNEST($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
             $9::text[], $10::text[], $11::text[], $12::text[], $13::jsonb[]) \
             AS u(id, email, first_name, last_name, title, company, website, linkedin, phone, \
                  timezone, custom) \
         ON CONFLICT (workspace_id, lower(email)) DO NOTHING \
         RETURNING id",
    )
    .bind(ws)
    .bind(Utc::now())
    .bind(&raw_ids)
    .bind(&emails)
    .bind(text(|l| l.first_name.as_deref()))
    .bind(text(|l| l.last_name.as_deref()))
    .bind(text(|l| l.title.as_deref()))
    .bind(text(|l| l.company.as_deref()))
    .bind(text(|l| l.website.as_deref()))
    .bind(text(|l| l.linkedin.as_deref()))
    .bind(text(|l| l.phone.as_deref()))
    .bind(text(|l| l.timezone.as_deref()))
    .bind(&custom)
    .fetch_all(pool)
    .await
    .ctx("insert leads")?;
    Ok(inserted.into_iter().collect())
}

/// Ids of existing leads, keyed by the email as the caller spelled it.
async fn existing_ids(
    pool: &PgPool,
    ws: WorkspaceId,
    emails: &[&str],
) -> Result<HashMap<String, LeadId>, StoreError> {
    if emails.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, LeadId)> = sqlx::query_as(
        "SELECT u.email, l.id FROM UNNEST($2::text[]) AS u(email) \
         JOIN leads l ON l.workspace_id = $1 AND lower(l.email) = lower(u.email)",
    )
    .bind(ws)
    .bind(emails)
    .fetch_all(pool)
    .await
    .ctx("look up existing leads")?;
    Ok(rows.into_iter().collect())
}

#[async_trait]
impl Leads for PgStore {
    async fn insert_leads(
        &self,
        ws: WorkspaceId,
        leads: &[NewLead],
    ) -> Result<Vec<LeadInsert>, StoreError> {
        let pool = &self.pool;
        let mut emails = Vec::with_capacity(leads.len());
        for (i, lead) in leads.iter().enumerate() {
            let email = lead.email.as_ref().ok_or_else(|| {
                StoreError::Conflict(format!("lead #{} of the batch has no email address", i + 1))
            })?;
            emails.push(email);
        }
        // Keep the first lead of each (case-insensitive) email; later ones map to its slot.
        let mut first_of: HashMap<String, usize> = HashMap::with_capacity(leads.len());
        let mut unique: Vec<usize> = Vec::with_capacity(leads.len());
        let mut slot_of = Vec::with_capacity(leads.len());
        for (i, email) in emails.iter().enumerate() {
            let slot = *first_of.entry(email.normalized()).or_insert_with(|| {
                unique.push(i);
                unique.len() - 1
            });
            slot_of.push(slot);
        }
        if unique.is_empty() {
            return Ok(Vec::new());
        }

        let ids: Vec<LeadId> = unique.iter().map(|_| LeadId::new()).collect();
        let inserted = insert_unique(pool, ws, leads, &unique, &ids).await?;

        // Emails that were there already (or appeared concurrently): look their ids up by email.
        let missing: Vec<&str> = unique
            .iter()
            .zip(&ids)
            .filter(|(_, id)| !inserted.contains(id))
            .map(|(&i, _)| emails[i].as_str())
            .collect();
        let existing = existing_ids(pool, ws, &missing).await?;
        let fresh: Vec<(LeadId, &EmailAddress)> = unique
            .iter()
            .zip(&ids)
            .filter(|(_, id)| inserted.contains(id))
            .map(|(&i, id)| (*id, emails[i]))
            .collect();
        Sql::keep_erased_unmailed(&mut *self.read().await?, ws, &fresh, Utc::now()).await?;

        let mut results = Vec::with_capacity(leads.len());
        for (i, &slot) in slot_of.iter().enumerate() {
            let id = ids[slot];
            let result = if inserted.contains(&id) {
                if unique[slot] == i {
                    LeadInsert::Inserted(id)
                } else {
                    LeadInsert::Existing(id)
                }
            } else {
                let email = emails[unique[slot]].as_str();
                let id = existing.get(email).copied().ok_or_else(|| {
                    StoreError::Conflict(format!(
                        "lead {:?} was neither inserted nor found; was it deleted meanwhile?",
                        emails[i].as_str()
                    ))
                })?;
                LeadInsert::Existing(id)
            };
            results.push(result);
        }
        Ok(results)
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
