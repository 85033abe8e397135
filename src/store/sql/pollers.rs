//! The SQL of what the IMAP pollers read and keep between polls: which mailboxes to poll with
//! which options, folder checkpoints, the poller's status, the leads a reply may come from, the
//! bounce rate, and the `unknown` sends to look for in the Sent folder with their resolution.
//! Written once for both backends as default methods of [`PollerSql`] (see `store::sql`).

use chrono::{DateTime, Utc};

use super::{ADVANCE_RESOLVED_LEAD, Bound, COUNT_RESOLVED_SEND, Dialect, REQUEUE_RESOLVED_LEAD};
use crate::domain::{
    BounceRate, CampaignLeadId, ImapCheckpoint, ImapStatus, InboundOptions, Mailbox, MailboxId,
    MailboxLeads, SendId, UnknownResolution, UnknownSend, WorkspaceId,
};
use crate::store::rows::{MAILBOX_COLUMNS, MailboxRow};
use crate::store::{QueryContext, StoreError};

/// A resolved send's campaign lead, step, send time and Message-ID.
type UnknownRow = (CampaignLeadId, i32, Option<DateTime<Utc>>, Option<String>);

/// The pollers' statements over one connection of the backend `Self`.
pub(crate) trait PollerSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> MailboxRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> Option<WorkspaceId>: Bound<'q, Self>,
    for<'q> MailboxId: Bound<'q, Self>,
    for<'q> SendId: Bound<'q, Self>,
    for<'q> CampaignLeadId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'a, 'q> &'a str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> bool: Bound<'q, Self>,
    for<'q> DateTime<Utc>: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> Option<i64>: Bound<'q, Self>,
    for<'q> Option<DateTime<Utc>>: Bound<'q, Self>,
    for<'q> Option<Self::Time>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
{
    /// Mailboxes with IMAP configured in the pool of a running or paused campaign.
    async fn inbound_mailboxes(
        conn: &mut Self::Connection,
    ) -> Result<Vec<(Mailbox, InboundOptions)>, StoreError> {
        let rows: Vec<MailboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MAILBOX_COLUMNS} FROM mailboxes m WHERE imap_host IS NOT NULL \
                 AND EXISTS (SELECT 1 FROM campaign_mailboxes cm \
                     JOIN campaigns c ON c.id = cm.campaign_id \
                     WHERE cm.mailbox_id = m.id AND c.status IN ('running', 'paused')) \
             ORDER BY id"
        )))
        .fetch_all(&mut *conn)
        .await
        .ctx("list mailboxes to poll")?;
        let options: Vec<(MailboxId, bool, bool)> = sqlx::query_as(
            "SELECT id, sent_folder_is_authoritative, append_sent FROM mailboxes \
             WHERE imap_host IS NOT NULL",
        )
        .fetch_all(&mut *conn)
        .await
        .ctx("load mailboxes' inbound options")?;
        let options: std::collections::HashMap<MailboxId, InboundOptions> = options
            .into_iter()
            .map(|(id, authoritative, append)| {
                (
                    id,
                    InboundOptions {
                        sent_folder_is_authoritative: authoritative,
                        append_sent: append,
                    },
                )
            })
            .collect();
        rows.iter()
            .map(|row| {
                let mailbox = Mailbox::try_from(row)?;
                let opts = options.get(&mailbox.id).copied().unwrap_or_default();
                Ok((mailbox, opts))
            })
            .collect()
    }

    async fn set_inbound_options(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        mailbox: MailboxId,
        options: &InboundOptions,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE mailboxes SET sent_folder_is_authoritative = $3, append_sent = $4 \
             WHERE id = $1 AND workspace_id = $2",
        )
        .bind(mailbox)
        .bind(ws)
        .bind(options.sent_folder_is_authoritative)
        .bind(options.append_sent)
        .execute(&mut *conn)
        .await
        .ctx("set a mailbox's inbound options")?;
        if Self::rows_affected(&done) == 0 {
            return Err(StoreError::not_found("mailbox", mailbox.to_string()));
        }
        Ok(())
    }

    async fn inbound_options(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<InboundOptions>, StoreError> {
        let row: Option<(bool, bool)> = sqlx::query_as(
            "SELECT sent_folder_is_authoritative, append_sent FROM mailboxes \
             WHERE id = $1 AND workspace_id = $2",
        )
        .bind(mailbox)
        .bind(ws)
        .fetch_optional(&mut *conn)
        .await
        .ctx("load a mailbox's inbound options")?;
        Ok(row.map(|(a, b)| InboundOptions {
            sent_folder_is_authoritative: a,
            append_sent: b,
        }))
    }

    async fn imap_checkpoints(
        conn: &mut Self::Connection,
        mailbox: MailboxId,
    ) -> Result<Vec<ImapCheckpoint>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT folder, uidvalidity, last_uid FROM imap_checkpoints \
             WHERE mailbox_id = $1 ORDER BY folder",
        )
        .bind(mailbox)
        .fetch_all(&mut *conn)
        .await
        .ctx("load IMAP checkpoints")?;
        Ok(rows
            .into_iter()
            .map(|(folder, v, u)| ImapCheckpoint {
                folder,
                uidvalidity: u32::try_from(v).unwrap_or(0),
                last_uid: u32::try_from(u).unwrap_or(0),
            })
            .collect())
    }

    async fn save_imap_checkpoint(
        conn: &mut Self::Connection,
        mailbox: MailboxId,
        cp: &ImapCheckpoint,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO imap_checkpoints (mailbox_id, folder, uidvalidity, last_uid, \
                 updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (mailbox_id, folder) DO UPDATE SET \
                 uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, \
                 updated_at = excluded.updated_at",
        )
        .bind(mailbox)
        .bind(cp.folder.clone())
        .bind(i64::from(cp.uidvalidity))
        .bind(i64::from(cp.last_uid))
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("save an IMAP checkpoint")?;
        Ok(())
    }

    async fn set_imap_status(
        conn: &mut Self::Connection,
        mailbox: MailboxId,
        status: &ImapStatus,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE mailboxes SET imap_status = $2, imap_status_reason = $3 WHERE id = $1")
            .bind(mailbox)
            .bind(status.status.clone())
            .bind(status.reason.clone())
            .execute(&mut *conn)
            .await
            .ctx("set a mailbox's IMAP status")?;
        Ok(())
    }

    async fn imap_status(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<ImapStatus>, StoreError> {
        let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT imap_status, imap_status_reason FROM mailboxes \
             WHERE id = $1 AND workspace_id = $2",
        )
        .bind(mailbox)
        .bind(ws)
        .fetch_optional(&mut *conn)
        .await
        .ctx("load a mailbox's IMAP status")?;
        Ok(row.and_then(|(status, reason)| status.map(|status| ImapStatus { status, reason })))
    }

    async fn mailbox_leads(
        conn: &mut Self::Connection,
        mailbox: MailboxId,
    ) -> Result<MailboxLeads, StoreError> {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT l.email, cl.first_subject FROM campaign_leads cl \
             JOIN leads l ON l.id = cl.lead_id WHERE cl.mailbox_id = $1",
        )
        .bind(mailbox)
        .fetch_all(&mut *conn)
        .await
        .ctx("load a mailbox's leads")?;
        let mut out = MailboxLeads::default();
        for (email, subject) in rows {
            out.emails.push(email);
            out.subjects.extend(subject);
        }
        Ok(out)
    }

    async fn mailbox_bounce_rate(
        conn: &mut Self::Connection,
        mailbox: MailboxId,
        window: u32,
    ) -> Result<BounceRate, StoreError> {
        let (sends, bounced): (i64, Option<i64>) = sqlx::query_as(
            "SELECT count(*), sum(CASE WHEN r.state = 'bounced' OR EXISTS ( \
                     SELECT 1 FROM engagement_events e WHERE e.email_send_id = r.id \
                         AND e.kind = 'bounce_hard') THEN 1 ELSE 0 END) \
             FROM (SELECT id, state FROM email_sends \
                 WHERE mailbox_id = $1 AND state IN ('sent', 'bounced') \
                     AND sent_at IS NOT NULL \
                 ORDER BY sent_at DESC LIMIT $2) r",
        )
        .bind(mailbox)
        .bind(i64::from(window))
        .fetch_one(&mut *conn)
        .await
        .ctx("compute a mailbox's bounce rate")?;
        Ok(BounceRate {
            sends: u32::try_from(sends).unwrap_or(0),
            bounced: u32::try_from(bounced.unwrap_or(0)).unwrap_or(0),
        })
    }

    async fn mailboxes_with_unknown_sends(
        conn: &mut Self::Connection,
    ) -> Result<Vec<MailboxId>, StoreError> {
        sqlx::query_scalar(
            "SELECT DISTINCT mailbox_id FROM email_sends \
             WHERE state IN ('claimed', 'sending', 'unknown') AND state = 'unknown' \
                 AND mailbox_id IS NOT NULL",
        )
        .fetch_all(&mut *conn)
        .await
        .ctx("list mailboxes with unknown sends")
    }

    async fn unknown_sends(
        conn: &mut Self::Connection,
        mailbox: MailboxId,
    ) -> Result<Vec<UnknownSend>, StoreError> {
        let rows: Vec<(SendId, String, i32, DateTime<Utc>)> = sqlx::query_as(
            "SELECT id, message_id, step_order, updated_at FROM email_sends \
             WHERE state IN ('claimed', 'sending', 'unknown') AND state = 'unknown' \
                 AND mailbox_id = $1 AND message_id IS NOT NULL \
             ORDER BY updated_at LIMIT 500",
        )
        .bind(mailbox)
        .fetch_all(&mut *conn)
        .await
        .ctx("list a mailbox's unknown sends")?;
        Ok(rows
            .into_iter()
            .map(|(send_id, message_id, step, since)| UnknownSend {
                send_id,
                message_id,
                step_order: u32::try_from(step).unwrap_or(1),
                since,
            })
            .collect())
    }

    /// `unknown → sent` (lead advances) or `unknown → retry` (sent again); `false` when
    /// the send is no longer `unknown` (an operator or another daemon got there first).
    async fn resolve_unknown_send(
        conn: &mut Self::Connection,
        mailbox: MailboxId,
        send: SendId,
        resolution: UnknownResolution,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        match resolution {
            UnknownResolution::Sent => {
                let row: Option<UnknownRow> = sqlx::query_as(
                    "UPDATE email_sends SET state = 'sent', \
                             smtp_reply = 'found in the Sent folder', updated_at = $3 \
                         WHERE id = $1 AND mailbox_id = $2 AND state = 'unknown' \
                         RETURNING campaign_lead_id, step_order, sent_at, message_id",
                )
                .bind(send)
                .bind(mailbox)
                .bind(Self::time(now))
                .fetch_optional(&mut *conn)
                .await
                .ctx("mark an unknown send as sent")?;
                let Some((campaign_lead, step, sent_at, message_id)) = row else {
                    return Ok(false);
                };
                let next_delay: Option<i64> = sqlx::query_scalar(
                    "SELECT s.delay_ms FROM sequence_steps s \
                     JOIN campaign_leads cl ON cl.campaign_id = s.campaign_id \
                     WHERE cl.id = $1 AND s.step_order = $2",
                )
                .bind(campaign_lead)
                .bind(step + 1)
                .fetch_optional(&mut *conn)
                .await
                .ctx("load the step after a reconciled send")?;
                let thread = if step == 1 { message_id } else { None };
                let base = sent_at.unwrap_or(now);
                let (status, next_step, due) = match next_delay {
                    Some(ms) => (
                        "active",
                        step + 1,
                        Some(Self::time(base + chrono::TimeDelta::milliseconds(ms))),
                    ),
                    None => ("completed", step, None),
                };
                sqlx::query(ADVANCE_RESOLVED_LEAD)
                    .bind(campaign_lead)
                    .bind(None::<WorkspaceId>)
                    .bind(status)
                    .bind(next_step)
                    .bind(due)
                    .bind(thread)
                    .bind(Self::time(now))
                    .bind(step)
                    .execute(&mut *conn)
                    .await
                    .ctx("advance the lead of a reconciled send")?;
                sqlx::query(COUNT_RESOLVED_SEND)
                    .bind(campaign_lead)
                    .execute(&mut *conn)
                    .await
                    .ctx("count a reconciled send")?;
                Ok(true)
            }
            UnknownResolution::Resend { at } => {
                let lead: Option<CampaignLeadId> = sqlx::query_scalar(
                    "UPDATE email_sends SET state = 'retry', next_attempt_at = $3, \
                         last_error = 'not in the Sent folder, which is authoritative: \
                             sending again', updated_at = $4 \
                     WHERE id = $1 AND mailbox_id = $2 AND state = 'unknown' \
                     RETURNING campaign_lead_id",
                )
                .bind(send)
                .bind(mailbox)
                .bind(Self::time(at))
                .bind(Self::time(now))
                .fetch_optional(&mut *conn)
                .await
                .ctx("requeue an unknown send")?;
                let Some(lead) = lead else {
                    return Ok(false);
                };
                sqlx::query(REQUEUE_RESOLVED_LEAD)
                    .bind(lead)
                    .bind(None::<WorkspaceId>)
                    .bind(Self::time(at))
                    .bind(Self::time(now))
                    .execute(&mut *conn)
                    .await
                    .ctx("make the lead of a requeued send due")?;
                Ok(true)
            }
        }
    }
}

impl PollerSql for sqlx::Postgres {}
impl PollerSql for sqlx::Sqlite {}
