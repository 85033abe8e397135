//! Lead replies and their answers, written once for both backends as default methods of
//! [`ReplySql`]; [`replies_role!`] stamps the `Replies` impl for each store.
//!
//! Every state move is one `UPDATE … WHERE status IN (…)`: the row's status is the fence, so a
//! person's decision and the sender never both win. Sending is fenced twice: `approved` ->
//! `sending` happens once (the mark), and the outcome is written only under the mark's lease
//! token, so a stalled process cannot overwrite what a later one decided.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

use super::{Bound, Dialect};
use crate::domain::{
    CampaignId, CampaignLeadId, DraftInputs, LeadId, LeadReply, LeadReplyId, MailboxId,
    ReplyFilter, ReplySendJob, ReplySendOutcome, ReplyStatus, ThreadMessage, WorkspaceId,
};
use crate::store::replies::ReplyDecision;
use crate::store::rows::parse;
use crate::store::{QueryContext, StoreError};

const REPLY_FROM: &str = "SELECT r.id, r.campaign_id, r.campaign_lead_id, r.mailbox_id, \
    m.address AS mailbox, l.email AS lead_email, r.message_id, r.subject, r.body, \
    r.received_at, r.status, r.draft_subject, r.draft_body, r.draft_provider, r.draft_model, \
    r.draft_error, r.drafted_at, r.decided_by, r.decided_at, r.sent_message_id, r.sent_at, \
    r.send_error \
    FROM lead_replies r JOIN mailboxes m ON m.id = r.mailbox_id \
    JOIN campaign_leads cl ON cl.id = r.campaign_lead_id JOIN leads l ON l.id = cl.lead_id";

#[derive(sqlx::FromRow)]
pub(crate) struct ReplyRow {
    id: LeadReplyId,
    campaign_id: CampaignId,
    campaign_lead_id: CampaignLeadId,
    mailbox_id: MailboxId,
    mailbox: String,
    lead_email: String,
    message_id: String,
    subject: String,
    body: String,
    received_at: DateTime<Utc>,
    status: String,
    draft_subject: Option<String>,
    draft_body: Option<String>,
    draft_provider: Option<String>,
    draft_model: Option<String>,
    draft_error: Option<String>,
    drafted_at: Option<DateTime<Utc>>,
    decided_by: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    sent_message_id: Option<String>,
    sent_at: Option<DateTime<Utc>>,
    send_error: Option<String>,
}

impl TryFrom<ReplyRow> for LeadReply {
    type Error = StoreError;
    fn try_from(r: ReplyRow) -> Result<Self, StoreError> {
        Ok(LeadReply {
            id: r.id,
            campaign_id: r.campaign_id,
            campaign_lead_id: r.campaign_lead_id,
            mailbox_id: r.mailbox_id,
            mailbox: r.mailbox,
            lead_email: r.lead_email,
            message_id: r.message_id,
            subject: r.subject,
            body: r.body,
            received_at: r.received_at,
            status: parse("lead_replies.status", &r.status)?,
            draft_subject: r.draft_subject,
            draft_body: r.draft_body,
            draft_provider: r.draft_provider,
            draft_model: r.draft_model,
            draft_error: r.draft_error,
            drafted_at: r.drafted_at,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            sent_message_id: r.sent_message_id,
            sent_at: r.sent_at,
            send_error: r.send_error,
        })
    }
}

/// The lead, campaign and product around a reply.
#[derive(sqlx::FromRow)]
pub(crate) struct AroundRow {
    workspace_id: WorkspaceId,
    lead_id: LeadId,
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    persona: Option<Json<serde_json::Value>>,
    goal: String,
    product_name: Option<String>,
    product_description: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ThreadRow {
    step_order: i32,
    subject: String,
    body_text: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: LeadReplyId,
    mailbox_id: MailboxId,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    draft_subject: Option<String>,
    draft_body: Option<String>,
    message_id: String,
    thread_message_id: Option<String>,
}

/// A mailbox's recent sequence sends and answers together, oldest first.
pub(crate) fn with_answers(
    mut sends: Vec<DateTime<Utc>>,
    answers: Vec<DateTime<Utc>>,
) -> Vec<DateTime<Utc>> {
    if !answers.is_empty() {
        sends.extend(answers);
        sends.sort_unstable();
    }
    sends
}

/// `first last`, or whichever is known.
fn full_name(first: Option<String>, last: Option<String>) -> Option<String> {
    match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(n), None) | (None, Some(n)) => Some(n),
        (None, None) => None,
    }
}

/// Reply statements over one connection of the backend `Self`.
pub(crate) trait ReplySql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> ReplyRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> AroundRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> ThreadRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> JobRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> (LeadReplyId,): sqlx::FromRow<'r, Self::Row>,
    for<'r> (String,): sqlx::FromRow<'r, Self::Row>,
    for<'q> LeadReplyId: Bound<'q, Self>,
    for<'q> Option<LeadReplyId>: Bound<'q, Self>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> MailboxId: Bound<'q, Self>,
    for<'q> Option<CampaignId>: Bound<'q, Self>,
    for<'q> CampaignLeadId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'a, 'q> &'a str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> uuid::Uuid: Bound<'q, Self>,
    for<'q> NaiveDate: Bound<'q, Self>,
    for<'q> Option<WorkspaceId>: Bound<'q, Self>,
    for<'q> Option<Self::Time>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
{
    async fn list_replies(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        filter: &ReplyFilter,
    ) -> Result<Vec<LeadReply>, StoreError> {
        let rows: Vec<ReplyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{REPLY_FROM} WHERE r.workspace_id = $1 AND ($2 = 'all' OR r.status = $2) \
                 AND ($3 IS NULL OR r.campaign_id = $3) AND ($4 IS NULL OR r.id > $4) \
             ORDER BY r.id LIMIT $5"
        )))
        .bind(ws)
        .bind(filter.status.map_or("all", |s| s.as_str()))
        .bind(filter.campaign)
        .bind(filter.after)
        .bind(i64::from(filter.limit))
        .fetch_all(&mut *conn)
        .await
        .ctx("list replies")?;
        rows.into_iter().map(LeadReply::try_from).collect()
    }

    async fn reply_by_id(
        conn: &mut Self::Connection,
        ws: Option<WorkspaceId>,
        id: LeadReplyId,
    ) -> Result<Option<LeadReply>, StoreError> {
        let row: Option<ReplyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{REPLY_FROM} WHERE r.id = $1 AND ($2 IS NULL OR r.workspace_id = $2)"
        )))
        .bind(id)
        .bind(ws)
        .fetch_optional(&mut *conn)
        .await
        .ctx("load a reply")?;
        row.map(LeadReply::try_from).transpose()
    }

    async fn pending_replies(
        conn: &mut Self::Connection,
        limit: u32,
    ) -> Result<Vec<LeadReplyId>, StoreError> {
        let rows: Vec<(LeadReplyId,)> = sqlx::query_as(
            "SELECT id FROM lead_replies WHERE status = 'pending' ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await
        .ctx("list replies waiting for a draft")?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn draft_inputs(
        conn: &mut Self::Connection,
        id: LeadReplyId,
    ) -> Result<Option<DraftInputs>, StoreError> {
        let Some(reply) = Self::reply_by_id(conn, None, id).await? else {
            return Ok(None);
        };
        let around: AroundRow = sqlx::query_as(
            "SELECT c.workspace_id, cl.lead_id, l.first_name, l.last_name, l.company, l.persona, c.goal, \
                 p.name AS product_name, p.description AS product_description \
             FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id \
             JOIN campaigns c ON c.id = cl.campaign_id \
             LEFT JOIN products p ON p.id = c.product_id \
             WHERE cl.id = $1",
        )
        .bind(reply.campaign_lead_id)
        .fetch_one(&mut *conn)
        .await
        .ctx("load what a reply's answer is drafted from")?;
        // Only what reached the lead: a text written for a step never sent is not in the thread.
        let thread: Vec<ThreadRow> = sqlx::query_as(
            "SELECT gm.step_order, gm.subject, gm.body_text FROM generated_messages gm \
             WHERE gm.campaign_lead_id = $1 AND EXISTS (SELECT 1 FROM email_sends es \
                 WHERE es.campaign_lead_id = gm.campaign_lead_id \
                     AND es.step_order = gm.step_order AND es.state IN ('sent', 'unknown')) \
             ORDER BY gm.step_order",
        )
        .bind(reply.campaign_lead_id)
        .fetch_all(&mut *conn)
        .await
        .ctx("load a lead's thread")?;
        Ok(Some(DraftInputs {
            workspace_id: around.workspace_id,
            lead_id: around.lead_id,
            reply,
            thread: thread
                .into_iter()
                .map(|t| ThreadMessage {
                    step_order: u32::try_from(t.step_order).unwrap_or(0),
                    subject: t.subject,
                    body: t.body_text,
                })
                .collect(),
            lead_name: full_name(around.first_name, around.last_name),
            lead_company: around.company,
            persona: around.persona.map(|p| p.0),
            product_name: around.product_name,
            product_description: around.product_description,
            campaign_goal: around.goal,
        }))
    }

    async fn save_draft(
        conn: &mut Self::Connection,
        id: LeadReplyId,
        subject: &str,
        body: &str,
        provider: &str,
        model: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // A campaign with `auto_send_replies` approves the draft as it is written.
        let done = sqlx::query(
            "UPDATE lead_replies SET status = CASE WHEN (SELECT c.auto_send_replies \
                     FROM campaigns c WHERE c.id = lead_replies.campaign_id) \
                     THEN 'approved' ELSE 'drafted' END, \
                 decided_by = CASE WHEN (SELECT c.auto_send_replies \
                     FROM campaigns c WHERE c.id = lead_replies.campaign_id) \
                     THEN 'auto' ELSE decided_by END, \
                 decided_at = CASE WHEN (SELECT c.auto_send_replies \
                     FROM campaigns c WHERE c.id = lead_replies.campaign_id) \
                     THEN $6 ELSE decided_at END, \
                 draft_subject = $2, draft_body = $3, \
                 draft_provider = $4, draft_model = $5, draft_error = NULL, drafted_at = $6, \
                 updated_at = $6 \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(subject.to_owned())
        .bind(body.to_owned())
        .bind(provider.to_owned())
        .bind(model.to_owned())
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("store a drafted answer")?;
        Ok(Self::rows_affected(&done) > 0)
    }

    async fn draft_failed(
        conn: &mut Self::Connection,
        id: LeadReplyId,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE lead_replies SET draft_error = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(error.to_owned())
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("note a failed draft")?;
        Ok(())
    }

    /// The status of a workspace's reply, for the error of a refused move.
    async fn refused(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: LeadReplyId,
        wanted: &str,
    ) -> StoreError {
        let status: Result<Option<(String,)>, StoreError> =
            sqlx::query_as("SELECT status FROM lead_replies WHERE id = $1 AND workspace_id = $2")
                .bind(id)
                .bind(ws)
                .fetch_optional(&mut *conn)
                .await
                .ctx("load a reply's status");
        match status {
            Ok(Some((status,))) => {
                StoreError::Conflict(format!("reply {id} is {status}; it cannot be {wanted}"))
            }
            Ok(None) => StoreError::not_found("reply", id.to_string()),
            Err(e) => e,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn edit_reply(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: LeadReplyId,
        subject: &str,
        body: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE lead_replies SET status = 'drafted', draft_subject = $3, draft_body = $4, \
                 drafted_at = COALESCE(drafted_at, $6), decided_by = $5, decided_at = $6, \
                 updated_at = $6 \
             WHERE id = $1 AND workspace_id = $2 AND status IN ('pending', 'drafted')",
        )
        .bind(id)
        .bind(ws)
        .bind(subject.to_owned())
        .bind(body.to_owned())
        .bind(by.to_owned())
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("edit an answer")?;
        if Self::rows_affected(&done) == 0 {
            return Err(Self::refused(conn, ws, id, "edited").await);
        }
        Ok(())
    }

    async fn decide_reply(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: LeadReplyId,
        decision: ReplyDecision,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (to, from, wanted) = match decision {
            ReplyDecision::Approve => ("approved", "('drafted')", "approved"),
            ReplyDecision::Discard => (
                "discarded",
                "('pending', 'drafted', 'approved')",
                "discarded",
            ),
        };
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE lead_replies SET status = $3, decided_by = $4, decided_at = $5, \
                 send_after = NULL, updated_at = $5 \
             WHERE id = $1 AND workspace_id = $2 AND status IN {from}"
        )))
        .bind(id)
        .bind(ws)
        .bind(to)
        .bind(by.to_owned())
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("decide about an answer")?;
        if Self::rows_affected(&done) == 0 {
            return Err(Self::refused(conn, ws, id, wanted).await);
        }
        Ok(())
    }

    async fn claim_reply_sends(
        conn: &mut Self::Connection,
        now: DateTime<Utc>,
        hold: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ReplySendJob>, StoreError> {
        let claimed: Vec<(LeadReplyId,)> = sqlx::query_as(
            "UPDATE lead_replies SET send_after = $2, updated_at = $1 \
             WHERE id IN (SELECT id FROM lead_replies WHERE status = 'approved' \
                 AND (send_after IS NULL OR send_after <= $1) ORDER BY id LIMIT $3) \
             RETURNING id",
        )
        .bind(Self::time(now))
        .bind(Self::time(hold))
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await
        .ctx("claim approved answers")?;
        let mut jobs = Vec::with_capacity(claimed.len());
        for (id,) in claimed {
            let row: JobRow = sqlx::query_as(
                "SELECT r.id, r.mailbox_id, l.email, l.first_name, l.last_name, \
                     r.draft_subject, r.draft_body, r.message_id, cl.thread_message_id \
                 FROM lead_replies r JOIN campaign_leads cl ON cl.id = r.campaign_lead_id \
                 JOIN leads l ON l.id = cl.lead_id WHERE r.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .ctx("load an approved answer")?;
            jobs.push(ReplySendJob {
                id: row.id,
                mailbox_id: row.mailbox_id,
                lead_email: row.email,
                lead_name: full_name(row.first_name, row.last_name),
                subject: row.draft_subject.unwrap_or_default(),
                body: row.draft_body.unwrap_or_default(),
                in_reply_to: row.message_id,
                thread_message_id: row.thread_message_id,
            });
        }
        Ok(jobs)
    }

    async fn hold_reply_send(
        conn: &mut Self::Connection,
        id: LeadReplyId,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE lead_replies SET send_after = $2 WHERE id = $1 AND status = 'approved'",
        )
        .bind(id)
        .bind(Self::time(until))
        .execute(&mut *conn)
        .await
        .ctx("hold an approved answer back")?;
        Ok(())
    }

    async fn mark_reply_sending(
        conn: &mut Self::Connection,
        id: LeadReplyId,
        token: uuid::Uuid,
        message_id: &str,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE lead_replies SET status = 'sending', lease_token = $2, \
                 lease_expires_at = $3, sent_message_id = $4, updated_at = $5 \
             WHERE id = $1 AND status = 'approved'",
        )
        .bind(id)
        .bind(token)
        .bind(Self::time(lease_until))
        .bind(message_id.to_owned())
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("mark an answer sending")?;
        Ok(Self::rows_affected(&done) > 0)
    }

    async fn complete_reply_send(
        conn: &mut Self::Connection,
        id: LeadReplyId,
        token: uuid::Uuid,
        outcome: &ReplySendOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (status, error, sent_at, send_after, count_date) = match outcome {
            ReplySendOutcome::Sent { count_date, .. } => {
                (ReplyStatus::Sent, None, Some(now), None, Some(*count_date))
            }
            ReplySendOutcome::Failed { reason } => {
                (ReplyStatus::Failed, Some(reason.clone()), None, None, None)
            }
            // Nothing was accepted: approved again, to go once the server lets us.
            ReplySendOutcome::Retry { at, reason } => (
                ReplyStatus::Approved,
                Some(reason.clone()),
                None,
                Some(*at),
                None,
            ),
            ReplySendOutcome::Unknown {
                reason, count_date, ..
            } => (
                ReplyStatus::Unknown,
                Some(reason.clone()),
                Some(now),
                None,
                Some(*count_date),
            ),
        };
        let done = sqlx::query(
            "UPDATE lead_replies SET status = $3, send_error = $4, sent_at = $5, \
                 send_after = $6, lease_token = NULL, lease_expires_at = NULL, updated_at = $7 \
             WHERE id = $1 AND status = 'sending' AND lease_token = $2",
        )
        .bind(id)
        .bind(token)
        .bind(status.as_str())
        .bind(error)
        .bind(sent_at.map(Self::time))
        .bind(send_after.map(Self::time))
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("record how sending an answer ended")?;
        if Self::rows_affected(&done) == 0 {
            return Ok(false);
        }
        if let Some(date) = count_date {
            sqlx::query(
                "INSERT INTO mailbox_daily_counts (mailbox_id, local_date, sent) \
                 SELECT mailbox_id, $2, 1 FROM lead_replies WHERE id = $1 \
                 ON CONFLICT (mailbox_id, local_date) \
                 DO UPDATE SET sent = mailbox_daily_counts.sent + 1",
            )
            .bind(id)
            .bind(date)
            .execute(&mut *conn)
            .await
            .ctx("count an answer on its mailbox's day")?;
        }
        Ok(true)
    }

    /// When a mailbox's answers went out since `since` (sent, or maybe sent), oldest first:
    /// with its sequence sends, what the hourly cap counts after a restart.
    async fn recent_reply_sends(
        conn: &mut Self::Connection,
        mailbox: MailboxId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, StoreError>
    where
        for<'r> (DateTime<Utc>,): sqlx::FromRow<'r, Self::Row>,
    {
        let rows: Vec<(DateTime<Utc>,)> = sqlx::query_as(
            "SELECT sent_at FROM lead_replies WHERE mailbox_id = $1 AND sent_at >= $2 \
             ORDER BY sent_at",
        )
        .bind(mailbox)
        .bind(Self::time(since))
        .fetch_all(&mut *conn)
        .await
        .ctx("load a mailbox's recent answers")?;
        Ok(rows.into_iter().map(|(at,)| at).collect())
    }

    async fn expire_reply_sends(
        conn: &mut Self::Connection,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE lead_replies SET status = 'unknown', lease_token = NULL, \
                 lease_expires_at = NULL, \
                 send_error = 'the daemon stopped while sending; the server may have it', \
                 updated_at = $1 \
             WHERE status = 'sending' AND lease_expires_at < $1",
        )
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("expire answers stuck sending")?;
        Ok(Self::rows_affected(&done))
    }
}

impl ReplySql for sqlx::Postgres {}
impl ReplySql for sqlx::Sqlite {}

/// Stamps the `Replies` impl for `$store` over the sqlx database `$db`.
macro_rules! replies_role {
    ($store:ty, $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};

            use $crate::domain::{
                DraftInputs, LeadReply, LeadReplyId, ReplyFilter, ReplySendJob, ReplySendOutcome,
                WorkspaceId,
            };
            use $crate::store::StoreError;
            use $crate::store::replies::{Replies, ReplyDecision};
            use $crate::store::sql::replies::ReplySql;

            type Sql = $db;

            #[async_trait]
            impl Replies for $store {
                async fn list_replies(
                    &self,
                    ws: WorkspaceId,
                    filter: &ReplyFilter,
                ) -> Result<Vec<LeadReply>, StoreError> {
                    Sql::list_replies(&mut *self.read().await?, ws, filter).await
                }

                async fn reply_by_id(
                    &self,
                    ws: WorkspaceId,
                    id: LeadReplyId,
                ) -> Result<Option<LeadReply>, StoreError> {
                    Sql::reply_by_id(&mut *self.read().await?, Some(ws), id).await
                }

                async fn pending_replies(
                    &self,
                    limit: u32,
                ) -> Result<Vec<LeadReplyId>, StoreError> {
                    Sql::pending_replies(&mut *self.read().await?, limit).await
                }

                async fn draft_inputs(
                    &self,
                    id: LeadReplyId,
                ) -> Result<Option<DraftInputs>, StoreError> {
                    Sql::draft_inputs(&mut *self.snapshot().await?, id).await
                }

                async fn save_draft(
                    &self,
                    id: LeadReplyId,
                    subject: &str,
                    body: &str,
                    provider: &str,
                    model: &str,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let mut unit = self.one_write().await?;
                    let saved =
                        Sql::save_draft(unit.conn(), id, subject, body, provider, model, now)
                            .await?;
                    unit.commit().await?;
                    Ok(saved)
                }

                async fn draft_failed(
                    &self,
                    id: LeadReplyId,
                    error: &str,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::draft_failed(unit.conn(), id, error, now).await?;
                    unit.commit().await
                }

                async fn edit_reply(
                    &self,
                    ws: WorkspaceId,
                    id: LeadReplyId,
                    subject: &str,
                    body: &str,
                    by: &str,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let mut tx = self.begin_write().await?;
                    Sql::edit_reply(tx.conn(), ws, id, subject, body, by, now).await?;
                    tx.commit().await
                }

                async fn decide_reply(
                    &self,
                    ws: WorkspaceId,
                    id: LeadReplyId,
                    decision: ReplyDecision,
                    by: &str,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let mut tx = self.begin_write().await?;
                    Sql::decide_reply(tx.conn(), ws, id, decision, by, now).await?;
                    tx.commit().await
                }

                async fn claim_reply_sends(
                    &self,
                    now: DateTime<Utc>,
                    hold: DateTime<Utc>,
                    limit: u32,
                ) -> Result<Vec<ReplySendJob>, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let jobs = Sql::claim_reply_sends(tx.conn(), now, hold, limit).await?;
                    tx.commit().await?;
                    Ok(jobs)
                }

                async fn hold_reply_send(
                    &self,
                    id: LeadReplyId,
                    until: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::hold_reply_send(unit.conn(), id, until).await?;
                    unit.commit().await
                }

                async fn mark_reply_sending(
                    &self,
                    id: LeadReplyId,
                    token: uuid::Uuid,
                    message_id: &str,
                    lease_until: DateTime<Utc>,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let mut unit = self.one_write().await?;
                    let marked = Sql::mark_reply_sending(
                        unit.conn(),
                        id,
                        token,
                        message_id,
                        lease_until,
                        now,
                    )
                    .await?;
                    unit.commit().await?;
                    Ok(marked)
                }

                async fn complete_reply_send(
                    &self,
                    id: LeadReplyId,
                    token: uuid::Uuid,
                    outcome: &ReplySendOutcome,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let done = Sql::complete_reply_send(tx.conn(), id, token, outcome, now).await?;
                    tx.commit().await?;
                    Ok(done)
                }

                async fn expire_reply_sends(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
                    let mut unit = self.one_write().await?;
                    let expired = Sql::expire_reply_sends(unit.conn(), now).await?;
                    unit.commit().await?;
                    Ok(expired)
                }
            }
        };
    };
}

pub(crate) use replies_role;
