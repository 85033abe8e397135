//! `impl Operator for PgStore`: pausing and resuming mailboxes, listing and resolving `unknown`
//! sends. Each write is one transaction; each statement is fenced by the workspace and by the
//! state it expects (a send no longer `unknown`, or a lead leased meanwhile, is left alone).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::PgStore;
use crate::domain::{CampaignId, CampaignLeadId, MailboxId, NextStep, SendId, WorkspaceId};
use crate::store::operator::{UnknownRow, info};
use crate::store::{Operator, QueryContext, StoreError, UnknownFilter, UnknownSendInfo};

/// A resolved send's reply column, so a reader of the row knows who decided.
const RESOLVED_SENT: &str = "resolved as sent by an operator";
const RESOLVED_RESEND: &str = "resolved by an operator: sending again";

#[async_trait]
impl Operator for PgStore {
    async fn set_mailbox_paused(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        set_state(&self.pool, ws, mailbox, Some(reason), now).await
    }

    async fn set_mailbox_active(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        set_state(&self.pool, ws, mailbox, None, now).await
    }

    async fn mailbox_sent_on(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        local_date: NaiveDate,
    ) -> Result<u32, StoreError> {
        let sent: Option<i32> = sqlx::query_scalar(
            "SELECT d.sent FROM mailbox_daily_counts d JOIN mailboxes m ON m.id = d.mailbox_id \
             WHERE m.workspace_id = $1 AND d.mailbox_id = $2 AND d.local_date = $3",
        )
        .bind(ws)
        .bind(mailbox)
        .bind(local_date)
        .fetch_optional(&self.pool)
        .await
        .ctx("read a mailbox's day count")?;
        Ok(sent.and_then(|n| u32::try_from(n).ok()).unwrap_or(0))
    }

    async fn unknown_sends_in(
        &self,
        ws: WorkspaceId,
        filter: &UnknownFilter,
    ) -> Result<Vec<UnknownSendInfo>, StoreError> {
        let rows: Vec<UnknownRow> = sqlx::query_as(
            "SELECT es.id, es.campaign_id, c.name, es.campaign_lead_id, m.address, l.email, \
                 l.timezone, es.step_order, es.message_id, es.sent_at, es.updated_at \
             FROM email_sends es \
             JOIN campaigns c ON c.id = es.campaign_id \
             JOIN campaign_leads cl ON cl.id = es.campaign_lead_id \
             JOIN leads l ON l.id = cl.lead_id \
             LEFT JOIN mailboxes m ON m.id = es.mailbox_id \
             WHERE es.state IN ('claimed', 'sending', 'unknown') AND es.state = 'unknown' \
                 AND es.workspace_id = $1 \
                 AND ($2::uuid IS NULL OR es.campaign_id = $2) \
                 AND ($3::timestamptz IS NULL OR es.updated_at < $3) \
             ORDER BY es.updated_at, es.id",
        )
        .bind(ws)
        .bind(filter.campaign)
        .bind(filter.before)
        .fetch_all(&self.pool)
        .await
        .ctx("list unknown sends")?;
        Ok(rows.into_iter().map(info).collect())
    }

    async fn resolve_unknown_as_sent(
        &self,
        ws: WorkspaceId,
        send: SendId,
        next: NextStep,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.ctx("begin resolving a send")?;
        let row: Option<(CampaignLeadId, CampaignId, i32, Option<String>)> = sqlx::query_as(
            "UPDATE email_sends SET state = 'sent', smtp_reply = $3, \
                 sent_at = COALESCE(sent_at, $4), updated_at = $4 \
             WHERE id = $1 AND workspace_id = $2 AND state = 'unknown' \
             RETURNING campaign_lead_id, campaign_id, step_order, message_id",
        )
        .bind(send)
        .bind(ws)
        .bind(RESOLVED_SENT)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .ctx("mark an unknown send as sent")?;
        let Some((lead, campaign, step, message_id)) = row else {
            return Ok(false);
        };
        let (status, next_step, due) = match next {
            NextStep::At { step_order, due_at } => (
                "active",
                i32::try_from(step_order).unwrap_or(step),
                Some(due_at),
            ),
            NextStep::Done => ("completed", step, None),
        };
        let thread = if step == 1 { message_id } else { None };
        sqlx::query(
            "UPDATE campaign_leads SET status = $3, current_step_order = $4, \
                 next_scheduled_at = $5, \
                 thread_message_id = COALESCE(thread_message_id, $6), \
                 first_subject = COALESCE(first_subject, (SELECT g.subject \
                     FROM generated_messages g \
                     WHERE g.campaign_lead_id = $1 AND g.step_order = 1)), \
                 updated_at = $7 \
             WHERE id = $1 AND workspace_id = $2 AND status = 'active' \
                 AND current_step_order = $8 AND lease_token IS NULL",
        )
        .bind(lead)
        .bind(ws)
        .bind(status)
        .bind(next_step)
        .bind(due)
        .bind(thread)
        .bind(now)
        .bind(step)
        .execute(&mut *tx)
        .await
        .ctx("advance the lead of a resolved send")?;
        sqlx::query(
            "UPDATE campaigns SET emails_sent = emails_sent + 1 \
             WHERE id = $1 AND workspace_id = $2",
        )
        .bind(campaign)
        .bind(ws)
        .execute(&mut *tx)
        .await
        .ctx("count a resolved send")?;
        tx.commit().await.ctx("commit resolving a send")?;
        Ok(true)
    }

    async fn resolve_unknown_as_resend(
        &self,
        ws: WorkspaceId,
        send: SendId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.ctx("begin resolving a send")?;
        let lead: Option<CampaignLeadId> = sqlx::query_scalar(
            "UPDATE email_sends SET state = 'retry', next_attempt_at = $3, last_error = $4, \
                 updated_at = $3 \
             WHERE id = $1 AND workspace_id = $2 AND state = 'unknown' \
             RETURNING campaign_lead_id",
        )
        .bind(send)
        .bind(ws)
        .bind(now)
        .bind(RESOLVED_RESEND)
        .fetch_optional(&mut *tx)
        .await
        .ctx("requeue an unknown send")?;
        let Some(lead) = lead else {
            return Ok(false);
        };
        sqlx::query(
            "UPDATE campaign_leads SET next_scheduled_at = $3, updated_at = $3 \
             WHERE id = $1 AND workspace_id = $2 AND status = 'active' \
                 AND lease_token IS NULL",
        )
        .bind(lead)
        .bind(ws)
        .bind(now)
        .execute(&mut *tx)
        .await
        .ctx("make the lead of a requeued send due")?;
        tx.commit().await.ctx("commit resolving a send")?;
        Ok(true)
    }
}

/// Paused with `reason`, or active without one; the cooldown is cleared either way.
async fn set_state(
    pool: &sqlx::PgPool,
    ws: WorkspaceId,
    mailbox: MailboxId,
    paused_for: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let status = if paused_for.is_some() {
        "paused"
    } else {
        "active"
    };
    let done = sqlx::query(
        "UPDATE mailboxes SET status = $3, status_reason = $4, cooling_until = NULL, \
             updated_at = $5 \
         WHERE workspace_id = $1 AND id = $2",
    )
    .bind(ws)
    .bind(mailbox)
    .bind(status)
    .bind(paused_for)
    .bind(now)
    .execute(pool)
    .await
    .ctx("change a mailbox's state")?;
    if done.rows_affected() == 0 {
        return Err(StoreError::not_found("mailbox", mailbox.to_string()));
    }
    Ok(())
}
