//! The transitions of a claimed send between its claim and its completion: `claimed → sending`
//! (one send, or a mailbox's batch in one statement), which creates the send row, and turning
//! sends whose lease ran out mid-send into `unknown`.
//!
//! Like claims and completions, marking and expiring lock the campaign lead before its send
//! row and re-check the lead's lease token on the locked row, so they never deadlock with a
//! claim and never act on a lease that changed meanwhile.

use crate::domain::{ExpiryReport, SendRef};
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;

use super::plans::PROBE_JOINS;
use crate::store::deadlock::retrying;
use crate::store::{QueryContext, StoreError};

pub(super) async fn mark_sending(
    pool: &PgPool,
    send: &SendRef,
    message_id: &str,
    now: DateTime<Utc>,
    lease_for: TimeDelta,
) -> Result<bool, StoreError> {
    let marked = mark_sending_many(pool, &[(*send, message_id.to_owned())], now, lease_for).await?;
    Ok(marked.first().copied().unwrap_or(false))
}

/// `mark_sending_many`: $1 send ids, $2 lease tokens, $3 campaign leads, $4 Message-IDs,
/// $5 lease expiry, $6 now.
pub(super) const MARK_MANY_SQL: &str = "WITH u AS ( \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) \
         AS u(send_id, token, lead_id, message_id)), \
     f AS MATERIALIZED (SELECT u.*, 'active'::text AS active FROM u), \
     c AS ( \
         UPDATE campaign_leads cl SET lease_expires_at = $5, updated_at = $6 \
         FROM f u WHERE cl.id = u.lead_id AND cl.lease_token = u.token \
             AND cl.status = u.active \
         RETURNING u.send_id, u.token, u.message_id, cl.id AS lead_id, cl.workspace_id, \
             cl.campaign_id, cl.mailbox_id, cl.current_step_order), \
     s AS ( \
         INSERT INTO email_sends AS es (id, workspace_id, campaign_id, campaign_lead_id, \
             mailbox_id, step_order, state, lease_token, lease_expires_at, message_id, \
             created_at, updated_at) \
         SELECT send_id, workspace_id, campaign_id, lead_id, mailbox_id, current_step_order, \
             'sending', token, $5, message_id, $6, $6 FROM c \
         ON CONFLICT (campaign_lead_id, step_order) DO UPDATE SET state = 'sending', \
             lease_token = EXCLUDED.lease_token, lease_expires_at = EXCLUDED.lease_expires_at, \
             message_id = EXCLUDED.message_id, mailbox_id = EXCLUDED.mailbox_id, \
             updated_at = EXCLUDED.updated_at \
         WHERE es.state IN ('claimed', 'retry') AND es.id = EXCLUDED.id \
         RETURNING es.id) \
     SELECT id FROM s";

/// `mark_sending` for a mailbox's batch in one statement and one commit: the same fence per
/// send, set-based. Results are in input order; a send listed twice is marked once (the first).
///
/// The fence is the campaign lead's lease (`c`); only leads that pass it get their send row
/// (`s`): inserted in `sending`, or taken over from the `retry` row an earlier attempt left
/// (same id, which the claim handed out). Shaped so that every plan is linear in the batch,
/// whatever the planner believes about the tables (none at all on a fresh database, stale ones
/// after a bulk import; see [`super::plans`]): the updated lead rows carry no condition of
/// their own, only join conditions on the driving rows (even the wanted status comes from
/// them), and the insert finds a conflict by the unique key.
pub(super) async fn mark_sending_many(
    pool: &PgPool,
    sends: &[(SendRef, String)],
    now: DateTime<Utc>,
    lease_for: TimeDelta,
) -> Result<Vec<bool>, StoreError> {
    if sends.is_empty() {
        return Ok(Vec::new());
    }
    let until = now + lease_for;
    let send_ids: Vec<uuid::Uuid> = sends.iter().map(|(s, _)| s.send_id.0).collect();
    let tokens: Vec<uuid::Uuid> = sends.iter().map(|(s, _)| s.lease.0).collect();
    let leads: Vec<uuid::Uuid> = sends.iter().map(|(s, _)| s.campaign_lead_id.0).collect();
    let message_ids: Vec<&str> = sends.iter().map(|(_, m)| m.as_str()).collect();
    let (send_ids, tokens, leads, message_ids) = (&send_ids, &tokens, &leads, &message_ids);
    let marked: Vec<uuid::Uuid> = retrying(|| async move {
        let mut tx = pool.begin().await.ctx("begin marking sends")?;
        sqlx::raw_sql(PROBE_JOINS)
            .execute(&mut *tx)
            .await
            .ctx("plan marks as probes")?;
        let marked = sqlx::query_scalar(MARK_MANY_SQL)
            .bind(send_ids)
            .bind(tokens)
            .bind(leads)
            .bind(message_ids)
            .bind(until)
            .bind(now)
            .fetch_all(&mut *tx)
            .await
            .ctx("mark sends as sending")?;
        tx.commit().await.ctx("commit marking sends")?;
        Ok(marked)
    })
    .await?;
    Ok(in_input_order(send_ids, marked))
}

/// One flag per input send id: whether it was marked; a send listed twice counts once (the
/// first time).
fn in_input_order(inputs: &[uuid::Uuid], marked: Vec<uuid::Uuid>) -> Vec<bool> {
    let mut marked: std::collections::HashSet<uuid::Uuid> = marked.into_iter().collect();
    inputs.iter().map(|id| marked.remove(id)).collect()
}

const EXPIRED_WHILE_SENDING: &str =
    "lease expired while sending: the daemon stopped or stalled mid-transaction";

/// `sending` rows past their lease become `unknown` and their leads are parked. An expired
/// claim that was never marked needs nothing: it has no send row, and its lead is due again at
/// its lease expiry, so the next claim takes it.
pub(super) async fn expire_leases(
    pool: &PgPool,
    now: DateTime<Utc>,
) -> Result<ExpiryReport, StoreError> {
    let unknown: i64 = retrying(|| async move {
        sqlx::query_scalar(
            "WITH stale AS ( \
                 SELECT id, campaign_lead_id, lease_token FROM email_sends \
                 WHERE state = 'sending' AND lease_expires_at < $1), \
             c AS ( \
                 UPDATE campaign_leads cl SET next_scheduled_at = NULL, lease_token = NULL, \
                     lease_expires_at = NULL, updated_at = $1 \
                 FROM stale WHERE cl.id = stale.campaign_lead_id \
                     AND cl.lease_token = stale.lease_token AND cl.lease_expires_at < $1 \
                 RETURNING stale.id, stale.lease_token), \
             s AS ( \
                 UPDATE email_sends es SET state = 'unknown', last_error = $2, sent_at = $1, \
                     lease_token = NULL, lease_expires_at = NULL, updated_at = $1 \
                 FROM c WHERE es.id = c.id AND es.lease_token = c.lease_token \
                     AND es.state = 'sending' \
                 RETURNING es.id) \
             SELECT count(*) FROM s",
        )
        .bind(now)
        .bind(EXPIRED_WHILE_SENDING)
        .fetch_one(pool)
        .await
        .ctx("expire send leases")
    })
    .await?;
    Ok(ExpiryReport {
        unknown: u32::try_from(unknown).unwrap_or(u32::MAX),
    })
}
