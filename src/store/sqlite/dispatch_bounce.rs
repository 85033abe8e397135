//! A hard bounce inside `complete_sends`: the send row becomes `bounced`, the lead stops in this
//! campaign and in every other campaign of the workspace, the address is suppressed and a
//! `bounce_hard` event is recorded.
//!
//! Other campaigns' enrolments of the lead are stopped by status only: a send of theirs in
//! flight keeps its lease and still records its outcome (which then leaves the status alone).
//! The suppression value is lower-cased in Rust, as `is_suppressed` and enrolment compare it.

use sqlx::sqlite::SqliteConnection;

use crate::domain::{CampaignLeadId, LeadId, SendRef, WorkspaceId};
use crate::store::{QueryContext, StoreError};

/// The send row, fenced by its lead's lease as retries and failures are (`dispatch_outcomes`,
/// `upserted_sends`: a claim may bounce before its mark created the row): ?1 now, ?2 send id,
/// ?3 lease token, ?4 the server's reply, ?5 campaign lead.
const BOUNCED_SEND: &str = "INSERT INTO email_sends AS es (id, workspace_id, campaign_id, \
        campaign_lead_id, mailbox_id, step_order, state, smtp_reply, sent_at, created_at, \
        updated_at) \
    SELECT ?2, cl.workspace_id, cl.campaign_id, cl.id, cl.mailbox_id, cl.current_step_order, \
        'bounced', ?4, ?1, ?1, ?1 \
    FROM campaign_leads cl WHERE cl.id = ?5 AND cl.lease_token = ?3 \
    ON CONFLICT (campaign_lead_id, step_order) DO UPDATE SET state = 'bounced', \
        smtp_reply = excluded.smtp_reply, sent_at = excluded.sent_at, lease_token = NULL, \
        lease_expires_at = NULL, updated_at = excluded.updated_at \
    WHERE es.state IN ('claimed', 'sending', 'retry') \
    RETURNING campaign_lead_id";

/// Applies one bounce; `false` when it is fenced.
pub(super) async fn bounce(
    conn: &mut SqliteConnection,
    send: &SendRef,
    reply: &str,
    now: &str,
) -> Result<bool, StoreError> {
    let bounced: Option<CampaignLeadId> = sqlx::query_scalar(BOUNCED_SEND)
        .bind(now.to_owned())
        .bind(send.send_id)
        .bind(send.lease)
        .bind(reply.to_owned())
        .bind(send.campaign_lead_id)
        .fetch_optional(&mut *conn)
        .await
        .ctx("record a bounced send")?;
    let Some(campaign_lead) = bounced else {
        return Ok(false);
    };
    let (ws, lead, email): (WorkspaceId, LeadId, String) = sqlx::query_as(
        "UPDATE campaign_leads SET \
             status = CASE WHEN status = 'active' THEN 'bounced' ELSE status END, \
             stop_reason = CASE WHEN status = 'active' THEN ?3 ELSE stop_reason END, \
             next_scheduled_at = NULL, lease_token = NULL, lease_expires_at = NULL, \
             updated_at = ?1 \
         WHERE id = ?2 \
         RETURNING workspace_id, lead_id, \
             (SELECT l.email FROM leads l WHERE l.id = campaign_leads.lead_id)",
    )
    .bind(now.to_owned())
    .bind(campaign_lead)
    .bind(reply.to_owned())
    .fetch_one(&mut *conn)
    .await
    .ctx("stop a bounced lead")?;
    sqlx::query(
        "UPDATE campaign_leads SET status = 'bounced', stop_reason = ?3, \
             next_scheduled_at = NULL, updated_at = ?1 \
         WHERE lead_id = ?2 AND workspace_id = ?4 AND status = 'active' AND id <> ?5",
    )
    .bind(now.to_owned())
    .bind(lead)
    .bind(reply.to_owned())
    .bind(ws)
    .bind(campaign_lead)
    .execute(&mut *conn)
    .await
    .ctx("stop a bounced lead in its other campaigns")?;
    sqlx::query(
        "INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
         VALUES (?, ?, 'email', ?, ?, ?) ON CONFLICT (workspace_id, kind, value) DO NOTHING",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(ws)
    .bind(email.to_lowercase())
    .bind(format!("hard bounce: {reply}"))
    .bind(now.to_owned())
    .execute(&mut *conn)
    .await
    .ctx("suppress a bounced address")?;
    sqlx::query(
        "INSERT INTO engagement_events (id, workspace_id, lead_id, campaign_lead_id, \
             email_send_id, kind, detail, occurred_at) \
         VALUES (?, ?, ?, ?, ?, 'bounce_hard', ?, ?)",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(ws)
    .bind(lead)
    .bind(campaign_lead)
    .bind(send.send_id)
    .bind(serde_json::json!({ "reply": reply }).to_string())
    .bind(now.to_owned())
    .execute(conn)
    .await
    .ctx("record a hard bounce event")?;
    Ok(true)
}
