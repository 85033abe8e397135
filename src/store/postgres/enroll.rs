//! Enrolling leads into a campaign, spreading them over the campaign's mailbox pool.
//!
//! One transaction: the campaign row is locked (`FOR NO KEY UPDATE`, which still lets sends
//! reference it) so two enrolments into the same campaign see each other's mailbox loads. Lead
//! ids are processed in chunks: per chunk one query classifies every lead (not in this
//! workspace / already enrolled / suppressed or unsubscribed / new) and one `INSERT … UNNEST`
//! writes the new enrolments, so 100,000 leads cost a few dozen round trips.

use super::*;
use crate::store::Enrolment;
use async_trait::async_trait;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::{CampaignId, CampaignLeadId, EnrollOutcome, LeadId, MailboxId, WorkspaceId};
use crate::store::rows::{assign_least_loaded, unique_leads};
use crate::store::sql::catalog::CatalogSql;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

/// Lead ids per classification query and insert.
const CHUNK: usize = 10_000;

/// Classifies lead ids: $1 workspace, $2 campaign, $3 ids; per id whether the lead exists,
/// is enrolled already, and is suppressed or unsubscribed, in input order.
///
/// One key lookup per id (the `LIMIT 1` keeps the planner from flattening the lateral
/// joins): planned as joins on a fresh database, a 5,000-id chunk compared every id with
/// every lead of the workspace, 12.5 million pairs. Likewise one probe of the full
/// suppression key per kind: `kind = … AND value = … OR …` let the planner match on the
/// workspace alone and read its whole suppression list per lead.
pub(super) const CLASSIFY_SQL: &str = "SELECT u.id, l.id IS NOT NULL, cl.id IS NOT NULL, \
             l.unsubscribed_at IS NOT NULL \
             OR (SELECT 1 FROM suppressions s WHERE s.workspace_id = $1 \
                 AND s.kind = 'email' AND s.value = lower(l.email) LIMIT 1) IS NOT NULL \
             OR (SELECT 1 FROM suppressions s WHERE s.workspace_id = $1 AND s.kind = 'domain' \
                 AND s.value = split_part(lower(l.email), '@', -1) LIMIT 1) IS NOT NULL \
         FROM UNNEST($3::uuid[]) WITH ORDINALITY AS u(id, ord) \
         LEFT JOIN LATERAL (SELECT id, email, unsubscribed_at FROM leads \
             WHERE id = u.id AND workspace_id = $1 LIMIT 1) l ON true \
         LEFT JOIN LATERAL (SELECT id FROM campaign_leads \
             WHERE campaign_id = $2 AND lead_id = u.id LIMIT 1) cl ON true \
         ORDER BY u.ord";

/// Counts already-enrolled and suppressed leads of `chunk` into `outcome` and returns the
/// rest, in input order. A lead that is not in the workspace is `NotFound`.
async fn classify(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    campaign: CampaignId,
    chunk: &[LeadId],
    outcome: &mut EnrollOutcome,
) -> Result<Vec<LeadId>, StoreError> {
    let raw: Vec<uuid::Uuid> = chunk.iter().map(|id| id.0).collect();
    let rows: Vec<(LeadId, bool, bool, bool)> = sqlx::query_as(CLASSIFY_SQL)
        .bind(ws)
        .bind(campaign)
        .bind(&raw)
        .fetch_all(conn)
        .await
        .ctx("classify leads for enrolment")?;
    let mut to_enroll = Vec::with_capacity(rows.len());
    for (id, exists, enrolled, suppressed) in rows {
        if !exists {
            return Err(StoreError::not_found("lead", id.to_string()));
        }
        if enrolled {
            outcome.already_enrolled += 1;
        } else if suppressed {
            outcome.suppressed += 1;
        } else {
            to_enroll.push(id);
        }
    }
    Ok(to_enroll)
}

/// Writes new `active` enrolments due at `start_at`; returns how many rows were inserted.
async fn insert(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    campaign: CampaignId,
    leads: &[LeadId],
    mailboxes: &[MailboxId],
    start_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    if leads.is_empty() {
        return Ok(0);
    }
    let ids: Vec<uuid::Uuid> = leads.iter().map(|_| CampaignLeadId::new().0).collect();
    let lead_ids: Vec<uuid::Uuid> = leads.iter().map(|id| id.0).collect();
    let mailbox_ids: Vec<uuid::Uuid> = mailboxes.iter().map(|id| id.0).collect();
    let done = sqlx::query(
        "INSERT INTO campaign_leads (id, workspace_id, campaign_id, lead_id, mailbox_id, status, \
         current_step_order, next_scheduled_at, enrolled_at, updated_at) \
         SELECT u.id, $1, $2, u.lead_id, u.mailbox_id, 'active', 1, $6, $7, $7 \
         FROM UNNEST($3::uuid[], $4::uuid[], $5::uuid[]) AS u(id, lead_id, mailbox_id) \
         ON CONFLICT (campaign_id, lead_id) DO NOTHING",
    )
    .bind(ws)
    .bind(campaign)
    .bind(&ids)
    .bind(&lead_ids)
    .bind(&mailbox_ids)
    .bind(start_at)
    .bind(now)
    .execute(conn)
    .await
    .ctx("insert enrolments")?;
    Ok(done.rows_affected())
}

#[async_trait]
impl Enrolment for PgStore {
    async fn enroll_leads(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        leads: &[LeadId],
        start_at: DateTime<Utc>,
    ) -> Result<EnrollOutcome, StoreError> {
        let pool = &self.pool;
        let mut tx = pool.begin().await.ctx("begin an enrolment")?;
        let name: Option<String> = sqlx::query_scalar(
            "SELECT name FROM campaigns WHERE workspace_id = $1 AND id = $2 FOR NO KEY UPDATE",
        )
        .bind(ws)
        .bind(campaign)
        .fetch_optional(&mut *tx)
        .await
        .ctx("lock a campaign for enrolment")?;
        let name = name.ok_or_else(|| StoreError::not_found("campaign", campaign.to_string()))?;

        let mut loads = Sql::enrolment_pool(&mut tx, campaign, &name).await?;
        let unique = unique_leads(leads);

        let now = Utc::now();
        let mut outcome = EnrollOutcome::default();
        for chunk in unique.chunks(CHUNK) {
            let to_enroll = classify(&mut tx, ws, campaign, chunk, &mut outcome).await?;
            let mailboxes = assign_least_loaded(&mut loads, to_enroll.len());
            let inserted =
                insert(&mut tx, ws, campaign, &to_enroll, &mailboxes, start_at, now).await?;
            outcome.enrolled += inserted;
            // Only a concurrent enrolment outside our lock could make these differ; be exact anyway.
            outcome.already_enrolled += to_enroll.len() as u64 - inserted;
        }
        tx.commit().await.ctx("commit an enrolment")?;
        Ok(outcome)
    }

    async fn run_now(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Sql::run_now(&mut *self.read().await?, ws, campaign, now).await
    }
}
