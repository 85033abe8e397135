//! `claim_due`: leasing the due leads of one campaign, in one write transaction.
//!
//! SQLite has one writer at a time and one daemon per file, so there is nothing to skip-lock:
//! under `BEGIN IMMEDIATE` the rows a `SELECT` picks cannot change before the transaction
//! leases them. A claim is three statements whatever its size: pick the due follow-ups (step >
//! 1, oldest first), pick up to `max_new_leads` step-1 leads, and lease both sets (ids bound as
//! a JSON array). It writes no send row: the mark creates it (`dispatch_send`); a pick reads
//! the `retry` row an earlier attempt left, whose id and attempts the step keeps. A lead whose
//! current step already has a send row past `retry` (sending, sent, unknown, ...) is never
//! picked: the step went out or may have.
//!
//! Suppressions are matched with SQLite's `lower()`, which folds ASCII only; leads with
//! non-ASCII capitals are caught earlier, where Rust lower-cases exactly: enrolment skips
//! suppressed leads and `add_suppression` stops the enrolments it matches.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteConnection;

use super::{SqliteStore, id_list, ts};
use crate::domain::{
    CampaignLeadId, ClaimRequest, ClaimedSend, Lead, LeaseToken, MailboxId, SendId, SendRef,
};
use crate::store::rows::ClaimText;
use crate::store::rows::{LEAD_COLUMNS, LeadRow};
use crate::store::{QueryContext, StoreError};

/// What a candidate (`cl` joined to its lead `l`) must meet besides its step: due, not leased,
/// with a mailbox, reachable (not unsubscribed, not suppressed by address or domain), and no
/// send of its current step that went (or may have gone) out. ?2 workspace, ?3 now, ?5 the
/// mailboxes (a JSON array of ids, or NULL for any).
const ELIGIBLE: &str = "cl.next_scheduled_at <= ?3 \
    AND (cl.lease_expires_at IS NULL OR cl.lease_expires_at < ?3) \
    AND cl.mailbox_id IS NOT NULL \
    AND (?5 IS NULL OR cl.mailbox_id IN (SELECT unhex(value) FROM json_each(?5))) \
    AND l.unsubscribed_at IS NULL \
    AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.workspace_id = ?2 \
        AND s.kind = 'email' AND s.value = lower(l.email)) \
    AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.workspace_id = ?2 \
        AND s.kind = 'domain' AND s.value = substr(lower(l.email), instr(l.email, '@') + 1)) \
    AND NOT EXISTS (SELECT 1 FROM email_sends es WHERE es.campaign_lead_id = cl.id \
        AND es.step_order = cl.current_step_order AND es.state NOT IN ('claimed', 'retry'))";

/// Candidates of one kind with everything a claim returns. `step` selects follow-ups or new
/// leads, and repeats the WHERE terms of the partial index that serves each (0001
/// `campaign_leads_due`, 0002 `campaign_leads_due_followups`). ?1 campaign, ?4 limit.
fn pick_sql(step: &str) -> String {
    let lead_columns = LEAD_COLUMNS
        .split(',')
        .map(|c| format!("l.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {lead_columns}, cl.id AS campaign_lead_id, cl.mailbox_id, \
             cl.current_step_order AS step_order, cl.next_scheduled_at AS due_at, \
             cl.thread_message_id, cl.first_subject, g.subject AS g_subject, \
             g.body_text AS g_body_text, g.body_html AS g_body_html, g.provider AS g_provider, \
             g.model AS g_model, g.prompt_tokens AS g_prompt_tokens, \
             g.completion_tokens AS g_completion_tokens, g.cost_usd AS g_cost_usd, \
             e.id AS earlier_send_id, e.attempts AS earlier_attempts \
         FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id \
         LEFT JOIN generated_messages g ON g.campaign_lead_id = cl.id \
             AND g.step_order = cl.current_step_order \
         LEFT JOIN email_sends e ON e.campaign_lead_id = cl.id \
             AND e.step_order = cl.current_step_order \
         WHERE cl.campaign_id = ?1 AND cl.status = 'active' AND {step} AND {ELIGIBLE} \
         ORDER BY cl.next_scheduled_at LIMIT ?4"
    )
}

pub(super) static FOLLOWUPS_SQL: LazyLock<String> =
    LazyLock::new(|| pick_sql("cl.current_step_order > 1"));
pub(super) static NEWCOMERS_SQL: LazyLock<String> =
    LazyLock::new(|| pick_sql("cl.current_step_order = 1"));

/// ?1 token, ?2 lease expiry, ?3 now, ?4 campaign lead ids. The lead is due again at the
/// lease expiry (if nothing completes it first), so later claims do not walk past it in the
/// due index.
const LEASE_SQL: &str = "UPDATE campaign_leads SET lease_token = ?1, lease_expires_at = ?2, \
    next_scheduled_at = ?2, updated_at = ?3 WHERE id IN (SELECT unhex(value) FROM json_each(?4))";

#[derive(sqlx::FromRow)]
struct ClaimRow {
    #[sqlx(flatten)]
    lead: LeadRow,
    campaign_lead_id: CampaignLeadId,
    mailbox_id: MailboxId,
    step_order: i64,
    due_at: DateTime<Utc>,
    #[sqlx(flatten)]
    text: ClaimText<i64>,
    /// The send row an earlier attempt of this step left (`retry`): its id and attempts are
    /// kept. A first attempt has none until it is marked.
    earlier_send_id: Option<SendId>,
    earlier_attempts: Option<i64>,
}

pub(super) fn to_u32(column: &'static str, v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt {
        column,
        detail: format!("{v} out of range"),
    })
}

impl ClaimRow {
    fn into_claimed(
        self,
        req: &ClaimRequest,
        lease: LeaseToken,
    ) -> Result<ClaimedSend, StoreError> {
        let send = SendRef {
            send_id: self.earlier_send_id.unwrap_or_default(),
            lease,
            campaign_lead_id: self.campaign_lead_id,
            mailbox_id: self.mailbox_id,
        };
        let attempts = self.earlier_attempts.unwrap_or(0);
        let (thread, generated) = self.text.into_parts()?;
        Ok(ClaimedSend {
            send,
            workspace_id: req.workspace_id,
            campaign_id: req.campaign_id,
            lead: Lead::try_from(self.lead)?,
            step_order: to_u32("campaign_leads.current_step_order", self.step_order)?,
            attempts: to_u32("email_sends.attempts", attempts)?,
            due_at: self.due_at,
            thread,
            generated,
        })
    }
}

pub(super) async fn claim_due(
    s: &SqliteStore,
    req: &ClaimRequest,
) -> Result<Vec<ClaimedSend>, StoreError> {
    if req.max_rows == 0 {
        return Ok(Vec::new());
    }
    let mut tx = s.begin_write().await?;
    let conn = tx.conn();
    let running: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM campaigns WHERE id = ? AND workspace_id = ? AND status = 'running'",
    )
    .bind(req.campaign_id)
    .bind(req.workspace_id)
    .fetch_optional(&mut *conn)
    .await
    .ctx("check that the campaign is running")?;
    if running.is_none() {
        return Ok(Vec::new());
    }
    let mut picked = pick(conn, req, &FOLLOWUPS_SQL, req.max_rows).await?;
    let taken = u32::try_from(picked.len()).unwrap_or(u32::MAX);
    let room = req.max_rows.saturating_sub(taken);
    let new_leads = room.min(req.max_new_leads);
    if new_leads > 0 {
        picked.extend(pick(conn, req, &NEWCOMERS_SQL, new_leads).await?);
    }
    if picked.is_empty() {
        return Ok(Vec::new());
    }

    let lease = LeaseToken::new();
    let (now, until) = (ts(req.now), ts(req.now + req.lease_for));
    sqlx::query(LEASE_SQL)
        .bind(lease)
        .bind(until)
        .bind(now)
        .bind(id_list(picked.iter().map(|r| r.campaign_lead_id.0)))
        .execute(&mut *conn)
        .await
        .ctx("lease the claimed leads")?;
    tx.commit().await?;

    picked
        .into_iter()
        .map(|row| row.into_claimed(req, lease))
        .collect()
}

async fn pick(
    conn: &mut SqliteConnection,
    req: &ClaimRequest,
    sql: &'static LazyLock<String>,
    limit: u32,
) -> Result<Vec<ClaimRow>, StoreError> {
    // Built once from constants only: no input reaches the SQL text.
    sqlx::query_as(sql.as_str())
        .bind(req.campaign_id)
        .bind(req.workspace_id)
        .bind(ts(req.now))
        .bind(i64::from(limit))
        .bind(
            req.mailboxes
                .as_ref()
                .map(|m| id_list(m.iter().map(|id| id.0))),
        )
        .fetch_all(conn)
        .await
        .ctx("pick due leads")
}
