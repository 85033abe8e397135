//! The SQL of the inbound role, written once for both backends as default methods of
//! [`InboundSql`], which `sqlx::Postgres` and `sqlx::Sqlite` implement.
//!
//! Every statement here is valid on PostgreSQL and SQLite: `$N` placeholders, `ON CONFLICT …
//! DO NOTHING`, `RETURNING`, no casts, no date arithmetic (times are computed in Rust and bound
//! through [`Dialect::time`]). The functions run on one connection; the backend files
//! (`postgres/inbound.rs`, `sqlite/inbound.rs`) own the transactions.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::domain::{
    BounceRate, BounceSeverity, CampaignId, CampaignLeadId, ImapCheckpoint, ImapStatus,
    InboundAction, InboundOptions, InboundOutcome, InboundRecord, LeadId, Mailbox, MailboxId,
    MailboxLeads, OptOut, SendId, UnknownResolution, UnknownSend, WorkspaceId,
};
use crate::store::rows::{MAILBOX_COLUMNS, MailboxRow};
use crate::store::{QueryContext, StoreError};

/// The campaign lead an inbound action is about.
pub(crate) struct Target {
    campaign_lead: CampaignLeadId,
    lead: LeadId,
    campaign: CampaignId,
    send: Option<SendId>,
    email: String,
}

type TargetRow = (CampaignLeadId, LeadId, CampaignId, String);

/// A resolved send's campaign lead, step, send time and Message-ID.
type UnknownRow = (CampaignLeadId, i32, Option<DateTime<Utc>>, Option<String>);

use super::Dialect;

fn detail(rec: &InboundRecord) -> serde_json::Value {
    serde_json::json!({ "message_id": rec.message_id, "folder": rec.folder })
}

/// Free-mail domains: a reply from one says nothing about a company.
const FREEMAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "proton.me",
    "protonmail.com",
    "yandex.ru",
    "mail.ru",
];

/// The inbound statements over one connection of the backend `Self`. The bounds name every type
/// the statements bind or read; inside the trait they hold for `Self`.
pub(crate) trait InboundSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> MailboxRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> uuid::Uuid: Bound<'q, Self>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> MailboxId: Bound<'q, Self>,
    for<'q> SendId: Bound<'q, Self>,
    for<'q> LeadId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> CampaignLeadId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'a, 'q> &'a str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> bool: Bound<'q, Self>,
    for<'q> DateTime<Utc>: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> Option<i64>: Bound<'q, Self>,
    for<'q> Option<LeadId>: Bound<'q, Self>,
    for<'q> Option<SendId>: Bound<'q, Self>,
    for<'q> Option<CampaignLeadId>: Bound<'q, Self>,
    for<'q> Option<DateTime<Utc>>: Bound<'q, Self>,
    for<'q> Option<Self::Time>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Json<serde_json::Value>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
{
    /// The send's campaign lead (same workspace), else the lead with `email` as enrolled
    /// through this mailbox most recently (and its latest send).
    async fn target(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        send: Option<SendId>,
        email: Option<&str>,
    ) -> Result<Option<Target>, StoreError> {
        if let Some(send) = send {
            let row: Option<TargetRow> = sqlx::query_as(
                "SELECT cl.id, cl.lead_id, cl.campaign_id, l.email FROM email_sends es \
                 JOIN campaign_leads cl ON cl.id = es.campaign_lead_id \
                 JOIN leads l ON l.id = cl.lead_id \
                 WHERE es.id = $1 AND es.workspace_id = $2",
            )
            .bind(send)
            .bind(rec.workspace_id)
            .fetch_optional(&mut *conn)
            .await
            .ctx("find the send an inbound message refers to")?;
            if let Some((campaign_lead, lead, campaign, email)) = row {
                return Ok(Some(Target {
                    campaign_lead,
                    lead,
                    campaign,
                    send: Some(send),
                    email,
                }));
            }
        }
        let Some(email) = email else {
            return Ok(None);
        };
        let row: Option<TargetRow> = sqlx::query_as(
            "SELECT cl.id, cl.lead_id, cl.campaign_id, l.email FROM leads l \
             JOIN campaign_leads cl ON cl.lead_id = l.id \
             WHERE l.workspace_id = $1 AND lower(l.email) = lower($2) \
                 AND cl.mailbox_id = $3 \
             ORDER BY cl.updated_at DESC LIMIT 1",
        )
        .bind(rec.workspace_id)
        .bind(email.to_owned())
        .bind(rec.mailbox_id)
        .fetch_optional(&mut *conn)
        .await
        .ctx("find the lead an inbound message comes from")?;
        let Some((campaign_lead, lead, campaign, email)) = row else {
            return Ok(None);
        };
        let send: Option<SendId> = sqlx::query_scalar(
            "SELECT id FROM email_sends WHERE campaign_lead_id = $1 \
                 AND state IN ('sent', 'unknown', 'bounced') \
             ORDER BY step_order DESC LIMIT 1",
        )
        .bind(campaign_lead)
        .fetch_optional(&mut *conn)
        .await
        .ctx("find a lead's latest send")?;
        Ok(Some(Target {
            campaign_lead,
            lead,
            campaign,
            send,
            email,
        }))
    }

    /// The lead of the workspace with this address, if any.
    async fn lead_by_email(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        email: &str,
    ) -> Result<Option<LeadId>, StoreError> {
        sqlx::query_scalar(
            "SELECT id FROM leads WHERE workspace_id = $1 AND lower(email) = lower($2)",
        )
        .bind(ws)
        .bind(email.to_owned())
        .fetch_optional(&mut *conn)
        .await
        .ctx("find a lead by address")
    }

    async fn event(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        lead: Option<LeadId>,
        target: Option<&Target>,
        kind: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO engagement_events (id, workspace_id, lead_id, campaign_lead_id, \
                 email_send_id, kind, detail, occurred_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(rec.workspace_id)
        .bind(lead.or(target.map(|t| t.lead)))
        .bind(target.map(|t| t.campaign_lead))
        .bind(target.and_then(|t| t.send))
        .bind(kind.to_owned())
        .bind(sqlx::types::Json(detail))
        .bind(Self::time(rec.received_at))
        .execute(&mut *conn)
        .await
        .ctx("record an engagement event")?;
        Ok(())
    }

    async fn suppress(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        email: &str,
        reason: String,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
             VALUES ($1, $2, 'email', $3, $4, $5) \
             ON CONFLICT (workspace_id, kind, value) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(rec.workspace_id)
        .bind(email.trim().to_lowercase())
        .bind(reason)
        .bind(Self::time(rec.received_at))
        .execute(&mut *conn)
        .await
        .ctx("suppress an address")?;
        Ok(())
    }

    /// Every active or paused enrolment of `lead` in the workspace gets `status`. By status
    /// only: a send in flight keeps its lease (and `mark_sending` refuses a stopped lead).
    async fn stop_everywhere(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        lead: LeadId,
        status: &str,
        reason: &str,
    ) -> Result<u32, StoreError> {
        let done = sqlx::query(
            "UPDATE campaign_leads SET status = $3, stop_reason = $4, \
                 next_scheduled_at = NULL, updated_at = $5 \
             WHERE workspace_id = $1 AND lead_id = $2 AND status IN ('active', 'paused')",
        )
        .bind(rec.workspace_id)
        .bind(lead)
        .bind(status.to_owned())
        .bind(reason.to_owned())
        .bind(Self::time(rec.received_at))
        .execute(&mut *conn)
        .await
        .ctx("stop a lead in every campaign")?;
        Ok(u32::try_from(Self::rows_affected(&done)).unwrap_or(u32::MAX))
    }

    async fn reply(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        out: &mut InboundOutcome,
        send: Option<SendId>,
        email: Option<&str>,
    ) -> Result<(), StoreError> {
        let Some(t) = Self::target(conn, rec, send, email).await? else {
            return Ok(());
        };
        out.matched += 1;
        let (own, company, others): (bool, bool, bool) = sqlx::query_as(
            "SELECT stop_on_reply, stop_on_company_reply, stop_other_campaigns_on_reply \
             FROM campaigns WHERE id = $1",
        )
        .bind(t.campaign)
        .fetch_one(&mut *conn)
        .await
        .ctx("load a campaign's reply rules")?;
        if own {
            let done = sqlx::query(
                "UPDATE campaign_leads SET status = 'replied', stop_reason = 'replied', \
                     next_scheduled_at = NULL, updated_at = $2 \
                 WHERE id = $1 AND status IN ('active', 'paused')",
            )
            .bind(t.campaign_lead)
            .bind(Self::time(rec.received_at))
            .execute(&mut *conn)
            .await
            .ctx("stop a lead that replied")?;
            out.stopped += u32::try_from(Self::rows_affected(&done)).unwrap_or(0);
        }
        if others {
            let done = sqlx::query(
                "UPDATE campaign_leads SET status = 'replied', \
                     stop_reason = 'replied in another campaign', \
                     next_scheduled_at = NULL, updated_at = $4 \
                 WHERE workspace_id = $1 AND lead_id = $2 AND id <> $3 \
                     AND status IN ('active', 'paused')",
            )
            .bind(rec.workspace_id)
            .bind(t.lead)
            .bind(t.campaign_lead)
            .bind(Self::time(rec.received_at))
            .execute(&mut *conn)
            .await
            .ctx("stop a lead's other campaigns after a reply")?;
            out.stopped += u32::try_from(Self::rows_affected(&done)).unwrap_or(0);
        }
        let domain = t
            .email
            .rsplit_once('@')
            .map(|(_, d)| d.trim().to_lowercase())
            .filter(|d| !d.is_empty() && !FREEMAIL.contains(&d.as_str()));
        if let (true, Some(domain)) = (company, domain) {
            let done = sqlx::query(
                "UPDATE campaign_leads SET status = 'completed', stop_reason = $4, \
                     next_scheduled_at = NULL, updated_at = $5 \
                 WHERE campaign_id = $1 AND id <> $2 AND status = 'active' \
                     AND lead_id IN (SELECT id FROM leads \
                         WHERE workspace_id = $3 AND lower(email) LIKE $6)",
            )
            .bind(t.campaign)
            .bind(t.campaign_lead)
            .bind(rec.workspace_id)
            .bind(format!("a colleague replied: {}", t.email))
            .bind(Self::time(rec.received_at))
            .bind(format!("%@{domain}"))
            .execute(&mut *conn)
            .await
            .ctx("stop a company's leads after a reply")?;
            out.stopped += u32::try_from(Self::rows_affected(&done)).unwrap_or(0);
        }
        Self::event(conn, rec, None, Some(&t), "reply", detail(rec)).await
    }

    async fn auto_reply(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        out: &mut InboundOutcome,
        send: Option<SendId>,
        email: Option<&str>,
        resume_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let Some(t) = Self::target(conn, rec, send, email).await? else {
            return Ok(());
        };
        out.matched += 1;
        if let Some(at) = resume_at {
            sqlx::query(
                "UPDATE campaign_leads SET next_scheduled_at = $2, updated_at = $3 \
                 WHERE id = $1 AND status = 'active' AND next_scheduled_at IS NOT NULL \
                     AND next_scheduled_at < $2",
            )
            .bind(t.campaign_lead)
            .bind(Self::time(at))
            .bind(Self::time(rec.received_at))
            .execute(&mut *conn)
            .await
            .ctx("push a lead's next step past its return date")?;
        }
        let mut d = detail(rec);
        d["resume_at"] = serde_json::json!(resume_at);
        Self::event(conn, rec, None, Some(&t), "auto_reply", d).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn bounce(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        out: &mut InboundOutcome,
        send: Option<SendId>,
        email: &str,
        severity: BounceSeverity,
        status: Option<&str>,
        diagnostic: Option<&str>,
        soft_limit: u32,
    ) -> Result<(), StoreError> {
        let t = Self::target(conn, rec, send, Some(email)).await?;
        let lead = match &t {
            Some(t) => Some(t.lead),
            None => Self::lead_by_email(conn, rec.workspace_id, email).await?,
        };
        let Some(lead) = lead else {
            return Ok(());
        };
        out.matched += 1;
        let mut d = detail(rec);
        d["email"] = serde_json::json!(email);
        d["status"] = serde_json::json!(status);
        d["diagnostic"] = serde_json::json!(diagnostic);
        let words = [status, diagnostic]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        match severity {
            BounceSeverity::Hard => {
                let reason = format!("hard bounce: {}", words.join(" "));
                out.stopped += Self::stop_everywhere(conn, rec, lead, "bounced", &reason).await?;
                let address = t.as_ref().map_or(email, |t| t.email.as_str()).to_owned();
                Self::suppress(conn, rec, &address, reason).await?;
                out.hard_bounces += 1;
                Self::event(conn, rec, Some(lead), t.as_ref(), "bounce_hard", d).await
            }
            BounceSeverity::Soft => {
                Self::event(conn, rec, Some(lead), t.as_ref(), "bounce_soft", d).await?;
                let Some(t) = t.filter(|_| soft_limit > 0) else {
                    return Ok(());
                };
                let soft: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM engagement_events \
                     WHERE campaign_lead_id = $1 AND kind = 'bounce_soft'",
                )
                .bind(t.campaign_lead)
                .fetch_one(&mut *conn)
                .await
                .ctx("count a lead's soft bounces")?;
                if soft >= i64::from(soft_limit) {
                    let done = sqlx::query(
                        "UPDATE campaign_leads SET status = 'bounced', stop_reason = $2, \
                             next_scheduled_at = NULL, updated_at = $3 \
                         WHERE id = $1 AND status IN ('active', 'paused')",
                    )
                    .bind(t.campaign_lead)
                    .bind(format!("{soft} soft bounces, last: {}", words.join(" ")))
                    .bind(Self::time(rec.received_at))
                    .execute(&mut *conn)
                    .await
                    .ctx("stop a lead after repeated soft bounces")?;
                    out.stopped += u32::try_from(Self::rows_affected(&done)).unwrap_or(0);
                }
                Ok(())
            }
        }
    }

    async fn opt_out(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        out: &mut InboundOutcome,
        kind: OptOut,
        send: Option<SendId>,
        email: Option<&str>,
    ) -> Result<(), StoreError> {
        let t = Self::target(conn, rec, send, email).await?;
        let (lead, address) = match (&t, email) {
            (Some(t), _) => (Some(t.lead), t.email.clone()),
            (None, Some(e)) => (
                Self::lead_by_email(conn, rec.workspace_id, e).await?,
                e.to_owned(),
            ),
            (None, None) => return Ok(()),
        };
        let Some(lead) = lead else {
            return Ok(());
        };
        out.matched += 1;
        let (reason, kind) = match kind {
            OptOut::Complaint => ("spam complaint", "complaint"),
            OptOut::Unsubscribe => ("unsubscribe request", "unsubscribe"),
        };
        Self::suppress(conn, rec, &address, reason.to_owned()).await?;
        out.stopped += Self::stop_everywhere(conn, rec, lead, "unsubscribed", reason).await?;
        sqlx::query(
            "UPDATE leads SET unsubscribed_at = $3, updated_at = $3 \
             WHERE id = $1 AND workspace_id = $2 AND unsubscribed_at IS NULL",
        )
        .bind(lead)
        .bind(rec.workspace_id)
        .bind(Self::time(rec.received_at))
        .execute(&mut *conn)
        .await
        .ctx("mark a lead unsubscribed")?;
        Self::event(conn, rec, Some(lead), t.as_ref(), kind, detail(rec)).await
    }

    /// Records the message (once per mailbox and Message-ID) and applies its actions, inside
    /// the caller's transaction.
    async fn record_inbound(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
    ) -> Result<InboundOutcome, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO inbound_messages (id, mailbox_id, message_id, folder, \
                 classification, received_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (mailbox_id, message_id) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(rec.mailbox_id)
        .bind(rec.message_id.clone())
        .bind(rec.folder.clone())
        .bind(rec.class)
        .bind(Self::time(rec.received_at))
        .execute(&mut *conn)
        .await
        .ctx("record an inbound message")?;
        let mut out = InboundOutcome::default();
        if Self::rows_affected(&inserted) == 0 {
            out.duplicate = true;
            return Ok(out);
        }
        for action in &rec.actions {
            match action {
                InboundAction::Reply { send_id, email } => {
                    Self::reply(conn, rec, &mut out, *send_id, email.as_deref()).await?
                }
                InboundAction::AutoReply {
                    send_id,
                    email,
                    resume_at,
                } => {
                    Self::auto_reply(conn, rec, &mut out, *send_id, email.as_deref(), *resume_at)
                        .await?
                }
                InboundAction::Bounce {
                    send_id,
                    email,
                    severity,
                    status,
                    diagnostic,
                    soft_limit,
                } => {
                    Self::bounce(
                        conn,
                        rec,
                        &mut out,
                        *send_id,
                        email,
                        *severity,
                        status.as_deref(),
                        diagnostic.as_deref(),
                        *soft_limit,
                    )
                    .await?
                }
                InboundAction::OptOut {
                    kind,
                    send_id,
                    email,
                } => Self::opt_out(conn, rec, &mut out, *kind, *send_id, email.as_deref()).await?,
            }
        }
        Ok(out)
    }

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
                sqlx::query(
                    "UPDATE campaign_leads SET status = $2, current_step_order = $3, \
                         next_scheduled_at = $4, \
                         thread_message_id = COALESCE(thread_message_id, $5), \
                         first_subject = COALESCE(first_subject, (SELECT g.subject \
                             FROM generated_messages g \
                             WHERE g.campaign_lead_id = $1 AND g.step_order = 1)), \
                         updated_at = $6 \
                     WHERE id = $1 AND status = 'active' AND current_step_order = $7 \
                         AND lease_token IS NULL",
                )
                .bind(campaign_lead)
                .bind(status)
                .bind(next_step)
                .bind(due)
                .bind(thread)
                .bind(Self::time(now))
                .bind(step)
                .execute(&mut *conn)
                .await
                .ctx("advance the lead of a reconciled send")?;
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
                sqlx::query(
                    "UPDATE campaign_leads SET next_scheduled_at = $2, updated_at = $3 \
                     WHERE id = $1 AND status = 'active' AND lease_token IS NULL",
                )
                .bind(lead)
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

/// A type both bound as a parameter and read from a column of the backend `DB`.
pub(crate) trait Bound<'q, DB: sqlx::Database>:
    sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>
{
}

impl<'q, DB: sqlx::Database, T> Bound<'q, DB> for T where
    T: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>
{
}

impl InboundSql for sqlx::Postgres {}
impl InboundSql for sqlx::Sqlite {}
