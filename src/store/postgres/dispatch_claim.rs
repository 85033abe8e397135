//! `claim_due`: leasing the due leads of one campaign, in one statement.
//!
//! The statement picks due follow-ups (step > 1, oldest first) and then up to `max_new_leads`
//! step-1 leads with `FOR UPDATE OF cl SKIP LOCKED`, so concurrent claimers (other daemons, or
//! this one twice) split the rows instead of waiting or colliding: a row another claimer
//! committed meanwhile fails the lease re-check PostgreSQL applies to a locked row. It then
//! leases the picked `campaign_leads` rows and returns each with its lead, thread and stored
//! text. It writes no send row: the mark creates it (`super::dispatch_send`). A lead whose
//! current step already has a send row past `retry` (sending, sent, unknown, ...) is never
//! picked: the step went out or may have.
//!
//! A leased row's `next_scheduled_at` moves to its lease expiry: it is due again only if the
//! lease runs out with nothing done, and until then claims do not walk past it in the due
//! index. A claim returns (and a release restores) the time it was really due.
//!
//! Send ids are UUIDv7 made here (bound as an array and handed out by row number), so they stay
//! time-ordered in the index; a step with a `retry` row from an earlier attempt keeps that
//! row's id and attempts.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::{
    CampaignLeadId, ClaimRequest, ClaimedSend, Lead, LeaseToken, MailboxId, SendId, SendRef,
};
use crate::store::deadlock::retrying;
use crate::store::rows::ClaimText;
use crate::store::rows::{LEAD_COLUMNS, LeadRow};
use crate::store::{QueryContext, StoreError};

/// Conditions a candidate (`cl` joined to its lead `l`) must meet besides its step: due, not
/// leased, with a mailbox, reachable (not unsubscribed, not suppressed by address or domain),
/// and no send of its current step that went (or may have gone) out. Every check against
/// another table is a scalar subquery, not `NOT EXISTS`: PostgreSQL turns `NOT EXISTS` into an
/// anti-join, and with statistics taken before those tables filled it chose a sequential scan
/// of `email_sends` re-read per candidate, and for suppressions an index scan on
/// `(workspace_id, kind)` alone that read the workspace's whole list per candidate (with
/// 50,000 suppressed addresses, 50,000 entries per lead claimed). A subquery with `LIMIT`
/// stays a probe of the full key per candidate (see `super::plans`).
const ELIGIBLE: &str = "cl.next_scheduled_at <= $3 \
    AND (cl.lease_expires_at IS NULL OR cl.lease_expires_at < $3) \
    AND cl.mailbox_id IS NOT NULL \
    AND ($9::uuid[] IS NULL OR cl.mailbox_id = ANY($9)) \
    AND l.unsubscribed_at IS NULL \
    AND (SELECT 1 FROM suppressions s WHERE s.workspace_id = $2 \
        AND s.kind = 'email' AND s.value = lower(l.email) LIMIT 1) IS NULL \
    AND (SELECT 1 FROM suppressions s WHERE s.workspace_id = $2 \
        AND s.kind = 'domain' AND s.value = split_part(lower(l.email), '@', -1) LIMIT 1) IS NULL \
    AND (SELECT 1 FROM email_sends es WHERE es.campaign_lead_id = cl.id \
        AND es.step_order = cl.current_step_order AND es.state NOT IN ('claimed', 'retry') \
        LIMIT 1) IS NULL";

/// $1 campaign, $2 workspace, $3 now, $4 lease expiry, $5 max rows, $6 max new leads,
/// $7 lease token, $8 fresh send ids (at least $5 of them), $9 mailboxes (NULL: any).
///
/// Shaped for plans that stay linear whatever the planner believes (a fresh database has no
/// statistics, and every CTE is estimated at a few rows): `leased` finds the picked rows with
/// `= ANY(ARRAY(...))` (with a join it hashed the whole table: 1.9 s instead of 40 ms for 500
/// of 200,000 rows), and the answer is read from `sends` joined to the tables by primary key,
/// never CTE to CTE (a nested loop over two 2,000-row CTEs compared 4 million pairs). Reading
/// `campaign_leads` there sees the statement's snapshot, from before the lease: the columns
/// read (lead, thread) are ones a claim does not change. `sends` reads an earlier attempt's send
/// row per picked lead by its unique key. Those reads are key probes per send
/// (`LATERAL … OFFSET 0`): with statistics, the planner hashed whole tables instead.
pub(super) static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| {
    let lead_columns = LEAD_COLUMNS
        .split(',')
        .map(|c| format!("l.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "WITH campaign AS ( \
             SELECT id FROM campaigns WHERE id = $1 AND workspace_id = $2 AND status = 'running'), \
         followups AS ( \
             SELECT cl.id, cl.mailbox_id, cl.current_step_order, cl.next_scheduled_at \
             FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id \
             WHERE cl.campaign_id = (SELECT id FROM campaign) AND cl.status = 'active' \
                 AND cl.current_step_order > 1 AND {ELIGIBLE} \
             ORDER BY cl.next_scheduled_at LIMIT $5 \
             FOR UPDATE OF cl SKIP LOCKED), \
         newcomers AS ( \
             SELECT cl.id, cl.mailbox_id, cl.current_step_order, cl.next_scheduled_at \
             FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id \
             WHERE cl.campaign_id = (SELECT id FROM campaign) AND cl.status = 'active' \
                 AND cl.current_step_order = 1 AND {ELIGIBLE} \
             ORDER BY cl.next_scheduled_at \
             LIMIT GREATEST(0, LEAST($6, $5 - (SELECT count(*) FROM followups))) \
             FOR UPDATE OF cl SKIP LOCKED), \
         picked AS (SELECT * FROM followups UNION ALL SELECT * FROM newcomers), \
         leased AS ( \
             UPDATE campaign_leads cl SET lease_token = $7, lease_expires_at = $4, \
                 next_scheduled_at = $4, updated_at = $3 \
             WHERE cl.id = ANY(ARRAY(SELECT id FROM picked))), \
         sends AS ( \
             SELECT COALESCE(e.id, ($8::uuid[])[p.n]) AS id, p.id AS campaign_lead_id, \
                 p.mailbox_id, p.current_step_order AS step_order, \
                 COALESCE(e.attempts, 0) AS attempts, p.next_scheduled_at AS scheduled_for \
             FROM (SELECT *, row_number() OVER () AS n FROM picked) p \
             LEFT JOIN LATERAL (SELECT es.id, es.attempts FROM email_sends es \
                 WHERE es.campaign_lead_id = p.id AND es.step_order = p.current_step_order \
                 OFFSET 0) e ON true) \
         SELECT {lead_columns}, s.id AS send_id, s.campaign_lead_id, s.mailbox_id, \
             s.step_order, s.attempts, s.scheduled_for AS due_at, \
             c.thread_message_id, c.first_subject, g.subject AS g_subject, \
             g.body_text AS g_body_text, g.body_html AS g_body_html, g.provider AS g_provider, \
             g.model AS g_model, g.prompt_tokens AS g_prompt_tokens, \
             g.completion_tokens AS g_completion_tokens, g.cost_usd AS g_cost_usd \
         FROM sends s \
         CROSS JOIN LATERAL (SELECT c.lead_id, c.thread_message_id, c.first_subject \
             FROM campaign_leads c WHERE c.id = s.campaign_lead_id OFFSET 0) c \
         CROSS JOIN LATERAL (SELECT * FROM leads l WHERE l.id = c.lead_id OFFSET 0) l \
         LEFT JOIN LATERAL (SELECT * FROM generated_messages g \
             WHERE g.campaign_lead_id = s.campaign_lead_id AND g.step_order = s.step_order \
             OFFSET 0) g ON true \
         ORDER BY s.step_order > 1 DESC, s.scheduled_for"
    )
});

#[derive(sqlx::FromRow)]
struct ClaimRow {
    #[sqlx(flatten)]
    lead: LeadRow,
    send_id: SendId,
    campaign_lead_id: CampaignLeadId,
    mailbox_id: MailboxId,
    step_order: i32,
    attempts: i32,
    due_at: DateTime<Utc>,
    #[sqlx(flatten)]
    text: ClaimText<i32>,
}

pub(super) fn to_u32(column: &'static str, v: i32) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt {
        column,
        detail: format!("{v} is negative"),
    })
}

impl ClaimRow {
    fn into_claimed(
        self,
        req: &ClaimRequest,
        lease: LeaseToken,
    ) -> Result<ClaimedSend, StoreError> {
        let (thread, generated) = self.text.into_parts()?;
        Ok(ClaimedSend {
            send: SendRef {
                send_id: self.send_id,
                lease,
                campaign_lead_id: self.campaign_lead_id,
                mailbox_id: self.mailbox_id,
            },
            workspace_id: req.workspace_id,
            campaign_id: req.campaign_id,
            lead: Lead::try_from(self.lead)?,
            step_order: to_u32("campaign_leads.current_step_order", self.step_order)?,
            attempts: to_u32("email_sends.attempts", self.attempts)?,
            due_at: self.due_at,
            thread,
            generated,
        })
    }
}

pub(super) async fn claim_due(
    pool: &PgPool,
    req: &ClaimRequest,
) -> Result<Vec<ClaimedSend>, StoreError> {
    if req.max_rows == 0 {
        return Ok(Vec::new());
    }
    let lease = LeaseToken::new();
    let until = req.now + req.lease_for;
    let ids: Vec<uuid::Uuid> = (0..req.max_rows).map(|_| SendId::new().0).collect();
    let ids = &ids;
    let mailboxes: Option<Vec<uuid::Uuid>> = req
        .mailboxes
        .as_ref()
        .map(|m| m.iter().map(|id| id.0).collect());
    let mailboxes = &mailboxes;
    let rows: Vec<ClaimRow> = retrying(|| async move {
        // Built once from constants only: no input reaches the SQL text.
        sqlx::query_as(CLAIM_SQL.as_str())
            .bind(req.campaign_id)
            .bind(req.workspace_id)
            .bind(req.now)
            .bind(until)
            .bind(i64::from(req.max_rows))
            .bind(i64::from(req.max_new_leads))
            .bind(lease)
            .bind(ids)
            .bind(mailboxes.as_deref())
            .fetch_all(pool)
            .await
            .ctx("claim due leads")
    })
    .await?;
    rows.into_iter()
        .map(|row| row.into_claimed(req, lease))
        .collect()
}
