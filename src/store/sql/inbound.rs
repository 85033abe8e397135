//! The SQL of recording an inbound message and applying its actions (reply, auto-reply,
//! bounce, opt-out, a pause for a review, a refusal of our sender that pauses the mailbox),
//! also what a review's resolution applies (`reviews::ReviewSql`), written once for both
//! backends as default methods of [`InboundSql`], which `sqlx::Postgres` and `sqlx::Sqlite`
//! implement.
//!
//! Every statement here is valid on PostgreSQL and SQLite: `$N` placeholders, `ON CONFLICT …
//! DO NOTHING`, `RETURNING`, no casts, no date arithmetic (times are computed in Rust and bound
//! through [`Dialect::time`]). The functions run on one connection; the backend files
//! (`postgres/inbound.rs`, `sqlite/inbound.rs`) own the transactions.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

use super::operator::OperatorSql;
use super::{Bound, Dialect};
use crate::domain::{
    BounceSeverity, CampaignId, CampaignLeadId, InboundAction, InboundOutcome, InboundRecord,
    LeadId, LeadReplyId, MailboxId, MailboxStateChange, MailboxStatus, OptOut, REVIEW_STOP_PREFIX,
    ReplyContent, SendId, WorkspaceId,
};
use crate::imap::classify::ReviewReason;
use crate::store::{QueryContext, StoreError};

/// The campaign lead an inbound action is about.
pub(crate) struct Target {
    pub(crate) campaign_lead: CampaignLeadId,
    lead: LeadId,
    campaign: CampaignId,
    send: Option<SendId>,
    email: String,
}

type TargetRow = (CampaignLeadId, LeadId, CampaignId, String);

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

/// Recording inbound messages over one connection of the backend `Self`. The bounds name every
/// type the statements bind or read; inside the trait they hold for `Self`.
pub(crate) trait InboundSql: Dialect + OperatorSql
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
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
    for<'q> bool: Bound<'q, Self>,
    for<'q> DateTime<Utc>: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> Option<i64>: Bound<'q, Self>,
    for<'q> Option<LeadId>: Bound<'q, Self>,
    for<'q> Option<SendId>: Bound<'q, Self>,
    for<'q> Option<CampaignLeadId>: Bound<'q, Self>,
    for<'q> Json<serde_json::Value>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Option<Json<serde_json::Value>>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    // What pausing the mailbox (`OperatorSql::set_mailbox_state`) binds.
    for<'q> Option<WorkspaceId>: Bound<'q, Self>,
    for<'q> Option<CampaignId>: Bound<'q, Self>,
    for<'q> NaiveDate: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> Option<i32>: Bound<'q, Self>,
    for<'q> Option<DateTime<Utc>>: Bound<'q, Self>,
    for<'q> Option<Self::Time>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
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
            // Kept also when the lead had finished the sequence: its reply still waits for
            // an answer.
            if let Some(words) = &rec.reply {
                out.reply = Self::keep_reply(conn, rec, &t, words).await?;
            }
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

    /// Keeps the words of a reply to a campaign that stops on replies, for an answer to be
    /// drafted (once per mailbox and Message-ID).
    async fn keep_reply(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        t: &Target,
        words: &ReplyContent,
    ) -> Result<Option<LeadReplyId>, StoreError> {
        let id = LeadReplyId::new();
        let done = sqlx::query(
            "INSERT INTO lead_replies (id, workspace_id, campaign_id, campaign_lead_id, \
                 mailbox_id, message_id, subject, body, received_at, status, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $9) \
             ON CONFLICT (mailbox_id, message_id) DO NOTHING",
        )
        .bind(id.0)
        .bind(rec.workspace_id)
        .bind(t.campaign)
        .bind(t.campaign_lead)
        .bind(rec.mailbox_id)
        .bind(words.message_id.clone())
        .bind(words.subject.clone())
        .bind(words.text.clone())
        .bind(Self::time(rec.received_at))
        .execute(&mut *conn)
        .await
        .ctx("keep a lead's reply")?;
        Ok((Self::rows_affected(&done) > 0).then_some(id))
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

    /// Pauses an active target lead for a person to read the message (its next step is kept
    /// for when it is active again) and stores a `needs_review` event; the lead's address is
    /// kept with the message for the review list.
    async fn review(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        out: &mut InboundOutcome,
        send: Option<SendId>,
        email: Option<&str>,
        reason: ReviewReason,
    ) -> Result<(), StoreError> {
        let t = Self::target(conn, rec, send, email).await?;
        let lead = match (&t, email) {
            (Some(t), _) => Some(t.lead),
            (None, Some(e)) => Self::lead_by_email(conn, rec.workspace_id, e).await?,
            (None, None) => None,
        };
        if let Some(t) = &t {
            out.matched += 1;
            let done = sqlx::query(
                "UPDATE campaign_leads SET status = 'paused', stop_reason = $2, updated_at = $3 \
                 WHERE id = $1 AND status = 'active'",
            )
            .bind(t.campaign_lead)
            .bind(format!("{REVIEW_STOP_PREFIX}: {}", reason.as_str()))
            .bind(Self::time(rec.received_at))
            .execute(&mut *conn)
            .await
            .ctx("pause a lead for a review")?;
            out.paused_for_review += u32::try_from(Self::rows_affected(&done)).unwrap_or(0);
            sqlx::query(
                "UPDATE inbound_messages SET review_email = $3 \
                 WHERE mailbox_id = $1 AND message_id = $2 AND review_email IS NULL",
            )
            .bind(rec.mailbox_id)
            .bind(rec.message_id.clone())
            .bind(t.email.clone())
            .execute(&mut *conn)
            .await
            .ctx("name the lead of a review")?;
        }
        let mut d = detail(rec);
        d["reason"] = serde_json::json!(reason.as_str());
        if lead.is_some() {
            Self::event(conn, rec, lead, t.as_ref(), "needs_review", d).await?;
        }
        Ok(())
    }

    /// A server refused our sender: the lead is left as it is (with a `bounce_sender` event,
    /// which the soft-bounce limit does not count) and the mailbox is paused with the
    /// server's words, in the message's transaction.
    async fn sender_bounce(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        out: &mut InboundOutcome,
        send: Option<SendId>,
        email: &str,
        status: Option<&str>,
        diagnostic: Option<&str>,
    ) -> Result<(), StoreError> {
        let t = Self::target(conn, rec, send, Some(email)).await?;
        let lead = match &t {
            Some(t) => Some(t.lead),
            None => Self::lead_by_email(conn, rec.workspace_id, email).await?,
        };
        if let Some(lead) = lead {
            out.matched += 1;
            let mut d = detail(rec);
            d["email"] = serde_json::json!(email);
            d["status"] = serde_json::json!(status);
            d["diagnostic"] = serde_json::json!(diagnostic);
            Self::event(conn, rec, Some(lead), t.as_ref(), "bounce_sender", d).await?;
        }
        let words = [status, diagnostic]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        let change = MailboxStateChange {
            status: MailboxStatus::Paused,
            reason: Some(format!(
                "a server refused our sender (to {email}): {}",
                words.join(" ")
            )),
            cooling_until: None,
        };
        Self::set_mailbox_state(conn, None, rec.mailbox_id, &change, rec.received_at).await?;
        out.mailbox_paused = true;
        Ok(())
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
        let review_email = rec.actions.iter().find_map(|a| match a {
            InboundAction::Review { email, .. } => email.clone(),
            _ => None,
        });
        let inserted = sqlx::query(
            "INSERT INTO inbound_messages (id, mailbox_id, message_id, folder, \
                 classification, received_at, needs_review, judgement, review_email) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (mailbox_id, message_id) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(rec.mailbox_id)
        .bind(rec.message_id.clone())
        .bind(rec.folder.clone())
        .bind(rec.class)
        .bind(Self::time(rec.received_at))
        .bind(rec.needs_review.map(|r| r.as_str().to_owned()))
        .bind(rec.judgement.clone().map(Json))
        .bind(review_email)
        .execute(&mut *conn)
        .await
        .ctx("record an inbound message")?;
        let mut out = InboundOutcome::default();
        if Self::rows_affected(&inserted) == 0 {
            out.duplicate = true;
            return Ok(out);
        }
        Self::apply(conn, rec, &rec.actions, &mut out).await?;
        Ok(out)
    }

    /// Applies `actions` as coming from the message `rec` (at `rec.received_at`): what the
    /// poller records, and what a person's resolution of a review does.
    async fn apply(
        conn: &mut Self::Connection,
        rec: &InboundRecord,
        actions: &[InboundAction],
        out: &mut InboundOutcome,
    ) -> Result<(), StoreError> {
        for action in actions {
            match action {
                InboundAction::Reply { send_id, email } => {
                    Self::reply(conn, rec, out, *send_id, email.as_deref()).await?
                }
                InboundAction::AutoReply {
                    send_id,
                    email,
                    resume_at,
                } => {
                    Self::auto_reply(conn, rec, out, *send_id, email.as_deref(), *resume_at).await?
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
                        out,
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
                } => Self::opt_out(conn, rec, out, *kind, *send_id, email.as_deref()).await?,
                InboundAction::Review {
                    send_id,
                    email,
                    reason,
                } => Self::review(conn, rec, out, *send_id, email.as_deref(), *reason).await?,
                InboundAction::SenderBounce {
                    send_id,
                    email,
                    status,
                    diagnostic,
                } => {
                    Self::sender_bounce(
                        conn,
                        rec,
                        out,
                        *send_id,
                        email,
                        status.as_deref(),
                        diagnostic.as_deref(),
                    )
                    .await?
                }
            }
        }
        Ok(())
    }
}

impl InboundSql for sqlx::Postgres {}
impl InboundSql for sqlx::Sqlite {}
