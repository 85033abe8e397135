//! The transitions of one claimed send between its claim and its completion: `claimed →
//! sending` (one send or a mailbox's batch in one transaction), which creates the send row,
//! and turning sends whose lease ran out mid-send into `unknown`.
//!
//! A mark is fenced by its campaign lead's lease token, as on PostgreSQL. Batches are bound as
//! JSON rows (see [`json_rows`]), so marking a mailbox's sends costs two statements however
//! many there are.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::{SqliteStore, id_list, json_id, json_rows, ts};
use crate::domain::{CampaignLeadId, ExpiryReport, SendId, SendRef};
use crate::store::{QueryContext, StoreError};

pub(super) async fn mark_sending(
    s: &SqliteStore,
    send: &SendRef,
    message_id: &str,
    now: DateTime<Utc>,
    lease_for: TimeDelta,
) -> Result<bool, StoreError> {
    let marked = mark_sending_many(s, &[(*send, message_id.to_owned())], now, lease_for).await?;
    Ok(marked.first().copied().unwrap_or(false))
}

/// `→ sending` for each send whose lead still carries its lease token: creates the send row
/// (or takes over the `retry` row an earlier attempt left, keeping its id and attempts). ?1
/// lease expiry, ?2 now, ?3 rows `[send id, token, campaign lead id, message id]`. A send
/// listed twice conflicts with its own new row the second time and is skipped. (`WHERE true`
/// keeps SQLite from reading `ON CONFLICT` as part of the join.)
pub(super) const MARK_SQL: &str = "INSERT INTO email_sends (id, workspace_id, campaign_id, \
        campaign_lead_id, mailbox_id, step_order, state, lease_token, lease_expires_at, \
        message_id, created_at, updated_at) \
    SELECT unhex(j.value ->> 0), cl.workspace_id, cl.campaign_id, cl.id, cl.mailbox_id, \
        cl.current_step_order, 'sending', cl.lease_token, ?1, j.value ->> 3, ?2, ?2 \
    FROM json_each(?3) AS j JOIN campaign_leads cl ON cl.id = unhex(j.value ->> 2) \
        AND cl.lease_token = unhex(j.value ->> 1) AND cl.status = 'active' \
    WHERE true \
    ON CONFLICT (campaign_lead_id, step_order) DO UPDATE SET state = 'sending', \
        lease_token = excluded.lease_token, lease_expires_at = excluded.lease_expires_at, \
        message_id = excluded.message_id, mailbox_id = excluded.mailbox_id, \
        updated_at = excluded.updated_at \
    WHERE email_sends.state IN ('claimed', 'retry') AND email_sends.id = excluded.id \
    RETURNING id, campaign_lead_id";

/// The marked sends' leads hold their lease as long: ?1 lease expiry, ?2 now, ?3 lead ids.
const EXTEND_SQL: &str = "UPDATE campaign_leads SET lease_expires_at = ?1, updated_at = ?2 \
    WHERE id IN (SELECT unhex(value) FROM json_each(?3))";

/// Several sends (of one mailbox) in one transaction and two statements. Results in input
/// order; a send listed twice is marked once, for its first listing.
pub(super) async fn mark_sending_many(
    s: &SqliteStore,
    sends: &[(SendRef, String)],
    now: DateTime<Utc>,
    lease_for: TimeDelta,
) -> Result<Vec<bool>, StoreError> {
    if sends.is_empty() {
        return Ok(Vec::new());
    }
    let (now, until) = (ts(now), ts(now + lease_for));
    let rows = json_rows(sends.iter().map(|(send, message_id)| {
        json!([
            json_id(send.send_id.0),
            json_id(send.lease.0),
            json_id(send.campaign_lead_id.0),
            message_id
        ])
    }));
    let mut tx = s.begin_write().await?;
    let marked: Vec<(SendId, CampaignLeadId)> = sqlx::query_as(MARK_SQL)
        .bind(until.clone())
        .bind(now.clone())
        .bind(rows)
        .fetch_all(tx.conn())
        .await
        .ctx("mark sends as sending")?;
    if marked.is_empty() {
        return Ok(vec![false; sends.len()]);
    }
    sqlx::query(EXTEND_SQL)
        .bind(until)
        .bind(now)
        .bind(id_list(marked.iter().map(|(_, lead)| lead.0)))
        .execute(tx.conn())
        .await
        .ctx("extend the leases of leads being sent")?;
    tx.commit().await?;
    let mut marked: HashSet<SendId> = marked.into_iter().map(|(id, _)| id).collect();
    Ok(sends
        .iter()
        .map(|(send, _)| marked.remove(&send.send_id))
        .collect())
}

const EXPIRED_WHILE_SENDING: &str =
    "lease expired while sending: the daemon stopped or stalled mid-transaction";

/// `sending` rows past their lease (?1 now) become `unknown` with reason ?2, when their lead
/// still carries the same, expired lease.
pub(super) const EXPIRE_SENDING_SQL: &str = "UPDATE email_sends SET state = 'unknown', \
        last_error = ?2, sent_at = ?1, lease_token = NULL, lease_expires_at = NULL, updated_at = ?1 \
    WHERE state IN ('claimed', 'sending', 'unknown') AND state = 'sending' \
        AND lease_expires_at < ?1 \
        AND EXISTS (SELECT 1 FROM campaign_leads cl WHERE cl.id = email_sends.campaign_lead_id \
            AND cl.lease_token = email_sends.lease_token AND cl.lease_expires_at < ?1) \
    RETURNING campaign_lead_id";

/// `sending` rows past their lease become `unknown` and their leads are parked. An expired
/// claim that was never marked needs nothing: it has no send row, and its lead is due again
/// at its lease expiry. The `state IN (...)` terms let SQLite use `email_sends_open`.
pub(super) async fn expire_leases(
    s: &SqliteStore,
    now: DateTime<Utc>,
) -> Result<ExpiryReport, StoreError> {
    let now = ts(now);
    let mut tx = s.begin_write().await?;
    let stale: Vec<uuid::Uuid> = sqlx::query_scalar(EXPIRE_SENDING_SQL)
        .bind(now.clone())
        .bind(EXPIRED_WHILE_SENDING)
        .fetch_all(tx.conn())
        .await
        .ctx("turn stale sends into unknown")?;
    if !stale.is_empty() {
        sqlx::query(
            "UPDATE campaign_leads SET next_scheduled_at = NULL, lease_token = NULL, \
                 lease_expires_at = NULL, updated_at = ?1 \
             WHERE id IN (SELECT unhex(value) FROM json_each(?2))",
        )
        .bind(now.clone())
        .bind(id_list(stale.iter().copied()))
        .execute(tx.conn())
        .await
        .ctx("park the leads of stale sends")?;
    }
    tx.commit().await?;
    Ok(ExpiryReport {
        unknown: u32::try_from(stale.len()).unwrap_or(u32::MAX),
    })
}
