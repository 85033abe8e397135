//! The SQL behind an operator's commands, written once for both backends as default methods
//! of [`OperatorSql`]: setting a mailbox's state (the operator's pause and resume, the actor's cooldowns), a
//! mailbox's day count, listing and
//! resolving `unknown` sends. Each statement is fenced by the workspace and by the state it
//! expects (a send no longer `unknown`, or a lead leased meanwhile, is left alone); the backend
//! owns the transaction the statements of one resolution run in.

use chrono::{DateTime, NaiveDate, Utc};

use super::{ADVANCE_RESOLVED_LEAD, Bound, COUNT_RESOLVED_SEND, Dialect, REQUEUE_RESOLVED_LEAD};
use crate::domain::{
    CampaignId, CampaignLeadId, MailboxId, MailboxStateChange, MailboxStatus, NextStep, SendId,
    WorkspaceId,
};
use crate::store::{QueryContext, StoreError, UnknownFilter, UnknownSendInfo};

/// A resolved send's reply column, so a reader of the row knows who decided.
const RESOLVED_SENT: &str = "resolved as sent by an operator";
const RESOLVED_RESEND: &str = "resolved by an operator: sending again";

/// The columns selected for an [`UnknownSendInfo`], in field order.
type UnknownRow = (
    SendId,
    CampaignId,
    String,
    CampaignLeadId,
    Option<String>,
    String,
    Option<String>,
    i32,
    Option<String>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

fn info(r: UnknownRow) -> UnknownSendInfo {
    UnknownSendInfo {
        send_id: r.0,
        campaign_id: r.1,
        campaign: r.2,
        campaign_lead_id: r.3,
        mailbox: r.4,
        lead_email: r.5,
        lead_timezone: r.6,
        step_order: u32::try_from(r.7).unwrap_or(1),
        message_id: r.8,
        sent_at: r.9,
        since: r.10,
    }
}

/// An operator's statements over one connection of the backend `Self`.
pub(crate) trait OperatorSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> Option<WorkspaceId>: Bound<'q, Self>,
    for<'q> MailboxId: Bound<'q, Self>,
    for<'q> SendId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> CampaignLeadId: Bound<'q, Self>,
    for<'q> Option<CampaignId>: Bound<'q, Self>,
    for<'q> NaiveDate: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> &'static str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> Option<i32>: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> DateTime<Utc>: Bound<'q, Self>,
    for<'q> Option<DateTime<Utc>>: Bound<'q, Self>,
    for<'q> Option<Self::Time>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
{
    /// Sets a mailbox's status, reason and cooldown, fenced by `ws` when given (an operator's
    /// change). The actors, which own the mailbox, give none, and cannot lift a pause: a
    /// throttling reply that arrives while an operator pauses the mailbox leaves it paused, it
    /// does not turn it into a cooldown that would end by itself. `NotFound` when the mailbox
    /// does not exist there.
    async fn set_mailbox_state(
        conn: &mut Self::Connection,
        ws: Option<WorkspaceId>,
        mailbox: MailboxId,
        change: &MailboxStateChange,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE mailboxes SET status = $3, status_reason = $4, cooling_until = $5, \
                 updated_at = $6 \
             WHERE id = $2 AND ($1 IS NULL OR workspace_id = $1) \
                 AND ($1 IS NOT NULL OR status <> 'paused' OR $3 = 'paused')",
        )
        .bind(ws)
        .bind(mailbox)
        .bind(change.status.as_str().to_owned())
        .bind(change.reason.clone())
        .bind(change.cooling_until.map(Self::time))
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("change a mailbox's state")?;
        if Self::rows_affected(&done) == 0 {
            // Nothing changed: either the mailbox is gone, or (an actor's change) a pause holds.
            let exists: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM mailboxes WHERE id = $2 AND ($1 IS NULL OR workspace_id = $1)",
            )
            .bind(ws)
            .bind(mailbox)
            .fetch_optional(&mut *conn)
            .await
            .ctx("look up a mailbox")?;
            if exists.is_none() {
                return Err(StoreError::not_found("mailbox", mailbox.to_string()));
            }
        }
        Ok(())
    }

    async fn mailbox_sent_on(
        conn: &mut Self::Connection,
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
        .fetch_optional(conn)
        .await
        .ctx("read a mailbox's day count")?;
        Ok(sent.and_then(|n| u32::try_from(n).ok()).unwrap_or(0))
    }

    async fn unknown_sends_in(
        conn: &mut Self::Connection,
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
                 AND ($2 IS NULL OR es.campaign_id = $2) \
                 AND ($3 IS NULL OR es.updated_at < $3) \
             ORDER BY es.updated_at, es.id",
        )
        .bind(ws)
        .bind(filter.campaign)
        .bind(filter.before.map(Self::time))
        .fetch_all(conn)
        .await
        .ctx("list unknown sends")?;
        Ok(rows.into_iter().map(info).collect())
    }

    /// `unknown → sent` and the lead moved on, on a connection inside a transaction; `false`
    /// (nothing written) when the send is not `unknown` in `ws`.
    async fn resolve_unknown_as_sent(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        send: SendId,
        next: NextStep,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let row: Option<(CampaignLeadId, i32, Option<String>)> = sqlx::query_as(
            "UPDATE email_sends SET state = 'sent', smtp_reply = $3, \
                 sent_at = COALESCE(sent_at, $4), updated_at = $4 \
             WHERE id = $1 AND workspace_id = $2 AND state = 'unknown' \
             RETURNING campaign_lead_id, step_order, message_id",
        )
        .bind(send)
        .bind(ws)
        .bind(RESOLVED_SENT)
        .bind(Self::time(now))
        .fetch_optional(&mut *conn)
        .await
        .ctx("mark an unknown send as sent")?;
        let Some((lead, step, message_id)) = row else {
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
        sqlx::query(ADVANCE_RESOLVED_LEAD)
            .bind(lead)
            .bind(Some(ws))
            .bind(status)
            .bind(next_step)
            .bind(due.map(Self::time))
            .bind(thread)
            .bind(Self::time(now))
            .bind(step)
            .execute(&mut *conn)
            .await
            .ctx("advance the lead of a resolved send")?;
        sqlx::query(COUNT_RESOLVED_SEND)
            .bind(lead)
            .execute(conn)
            .await
            .ctx("count a resolved send")?;
        Ok(true)
    }

    /// `unknown → retry` due at `now`, and its lead due too, on a connection inside a
    /// transaction; `false` (nothing written) when the send is not `unknown` in `ws`.
    async fn resolve_unknown_as_resend(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        send: SendId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let lead: Option<CampaignLeadId> = sqlx::query_scalar(
            "UPDATE email_sends SET state = 'retry', next_attempt_at = $3, last_error = $4, \
                 updated_at = $3 \
             WHERE id = $1 AND workspace_id = $2 AND state = 'unknown' \
             RETURNING campaign_lead_id",
        )
        .bind(send)
        .bind(ws)
        .bind(Self::time(now))
        .bind(RESOLVED_RESEND)
        .fetch_optional(&mut *conn)
        .await
        .ctx("requeue an unknown send")?;
        let Some(lead) = lead else {
            return Ok(false);
        };
        sqlx::query(REQUEUE_RESOLVED_LEAD)
            .bind(lead)
            .bind(Some(ws))
            .bind(Self::time(now))
            .bind(Self::time(now))
            .execute(conn)
            .await
            .ctx("make the lead of a requeued send due")?;
        Ok(true)
    }
}

impl OperatorSql for sqlx::Postgres {}
impl OperatorSql for sqlx::Sqlite {}

/// An operator's pause (with `reason`) or resume: the cooldown is cleared either way.
pub(crate) fn operator_state(paused_for: Option<&str>) -> MailboxStateChange {
    MailboxStateChange {
        status: match paused_for {
            Some(_) => MailboxStatus::Paused,
            None => MailboxStatus::Active,
        },
        reason: paused_for.map(str::to_owned),
        cooling_until: None,
    }
}
