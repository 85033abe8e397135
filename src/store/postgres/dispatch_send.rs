//! The transitions of a claimed send between its claim and its completion: `claimed → sending` (one send, or a mailbox's batch in one statement), and
//! turning sends whose lease ran out mid-send into `unknown`.
//!
//! Like claims and completions, marking and expiring lock the campaign lead before its send
//! row and re-check the lead's lease token on the locked row, so they never deadlock with a
//! claim and never act on a lease that changed meanwhile.

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;

use super::deadlock::retrying;
use super::plans::PROBE_JOINS;
use crate::store::{ExpiryReport, QueryContext, SendRef, StoreError};

pub(super) async fn mark_sending(
    pool: &PgPool,
    send: &SendRef,
    message_id: &str,
    now: DateTime<Utc>,
    lease_for: TimeDelta,
) -> Result<bool, StoreError> {
    let until = now + lease_for;
    let marked: i64 = retrying(|| async move {
        sqlx::query_scalar(
            "WITH c AS ( \
                 UPDATE campaign_leads cl SET lease_expires_at = $4, updated_at = $5 \
                 WHERE cl.id = $3 AND cl.lease_token = $2 AND cl.status = 'active' AND EXISTS ( \
                     SELECT 1 FROM email_sends es WHERE es.id = $1 AND es.lease_token = $2 \
                     AND es.state = 'claimed' AND es.campaign_lead_id = cl.id) \
                 RETURNING cl.id), \
             s AS ( \
                 UPDATE email_sends es SET state = 'sending', message_id = $6, \
                     lease_expires_at = $4, updated_at = $5 \
                 FROM c WHERE es.id = $1 AND es.campaign_lead_id = c.id \
                     AND es.lease_token = $2 AND es.state = 'claimed' \
                 RETURNING es.id) \
             SELECT count(*) FROM s",
        )
        .bind(send.send_id)
        .bind(send.lease)
        .bind(send.campaign_lead_id)
        .bind(until)
        .bind(now)
        .bind(message_id)
        .fetch_one(pool)
        .await
        .ctx("mark a send as sending")
    })
    .await?;
    Ok(marked == 1)
}

/// `mark_sending_many`: $1 send ids, $2 lease tokens, $3 campaign leads, $4 Message-IDs,
/// $5 lease expiry, $6 now.
pub(super) const MARK_MANY_SQL: &str = "WITH u AS ( \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) \
         AS u(send_id, token, lead_id, message_id)), \
     f AS MATERIALIZED ( \
         SELECT u.*, 'active'::text AS active, 'claimed'::text AS claimed FROM u \
         CROSS JOIN LATERAL (SELECT 1 FROM email_sends es WHERE es.id = u.send_id \
             AND es.lease_token = u.token AND es.state = 'claimed' \
             AND es.campaign_lead_id = u.lead_id OFFSET 0) es), \
     c AS ( \
         UPDATE campaign_leads cl SET lease_expires_at = $5, updated_at = $6 \
         FROM f WHERE cl.id = f.lead_id AND cl.lease_token = f.token \
             AND cl.status = f.active \
         RETURNING f.send_id, f.token, f.message_id, f.claimed, cl.id AS lead_id), \
     s AS ( \
         UPDATE email_sends es SET state = 'sending', message_id = c.message_id, \
             lease_expires_at = $5, updated_at = $6 \
         FROM c WHERE es.id = c.send_id AND es.campaign_lead_id = c.lead_id \
             AND es.lease_token = c.token AND es.state = c.claimed \
         RETURNING es.id) \
     SELECT id FROM s";

/// `mark_sending` for a mailbox's batch in one statement and one commit: the same fence per
/// send, set-based. Results are in input order; a send listed twice is marked once (the first).
///
/// Shaped so that every plan is linear in the batch, whatever the planner believes about the
/// tables (none at all on a fresh database, stale ones after a bulk import; see
/// [`super::plans`]): send rows are probed by key per input row (`LATERAL … OFFSET 0`), and
/// the updated tables carry no condition of their own, only join conditions on the driving
/// rows (even the wanted states come from them).
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

/// `sending` rows past their lease become `unknown` and their leads are parked; expired
/// `claimed` rows need nothing (their lead's lease expired too, so the next claim takes them
/// again) and are only counted.
pub(super) async fn expire_leases(
    pool: &PgPool,
    now: DateTime<Utc>,
) -> Result<ExpiryReport, StoreError> {
    let (unknown, released): (i64, i64) = retrying(|| async move {
        sqlx::query_as(
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
             SELECT (SELECT count(*) FROM s), \
                 (SELECT count(*) FROM email_sends \
                     WHERE state = 'claimed' AND lease_expires_at < $1)",
        )
        .bind(now)
        .bind(EXPIRED_WHILE_SENDING)
        .fetch_one(pool)
        .await
        .ctx("expire send leases")
    })
    .await?;
    let to_u32 = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(ExpiryReport {
        released: to_u32(released),
        unknown: to_u32(unknown),
    })
}
