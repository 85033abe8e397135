//! `complete_sends`: recording a batch of outcomes in one transaction.
//!
//! The batch is split by kind into column arrays (`dispatch_batch`), and each kind present
//! costs one statement (`dispatch_outcomes`), so 500 completions take at most five statements
//! plus BEGIN and COMMIT whatever their mix. The transaction is retried whole if PostgreSQL
//! breaks a deadlock with it (two batches bouncing the same lead in two campaigns can meet in a
//! cycle).

use crate::domain::{Completion, CompletionReport};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::dispatch_batch::Batch;
use super::dispatch_outcomes::{BOUNCED, FAILED, RETRY, SENT, UNKNOWN};
use super::plans::PROBE_JOINS;
use crate::store::deadlock::retrying;
use crate::store::{QueryContext, StoreError};

impl Batch<'_> {
    /// Runs one statement per kind present, in one transaction; returns how many applied.
    /// Bounces run last, so a lead sent in one campaign and bounced in another ends bounced.
    async fn apply(&self, pool: &PgPool, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut tx = pool.begin().await.ctx("begin recording send outcomes")?;
        sqlx::raw_sql(PROBE_JOINS)
            .execute(&mut *tx)
            .await
            .ctx("plan outcomes as probes")?;
        let mut applied = 0;
        if !self.sent.fence.is_empty() {
            applied += self.apply_sent(&mut tx, now).await?;
        }
        if !self.unknown.fence.is_empty() {
            applied += self.apply_unknown(&mut tx, now).await?;
        }
        if !self.retry.fence.is_empty() {
            applied += self.apply_retry(&mut tx, now).await?;
        }
        if !self.failed.fence.is_empty() {
            applied += self.apply_failed(&mut tx, now).await?;
        }
        if !self.bounced.fence.is_empty() {
            applied += self.apply_bounced(&mut tx, now).await?;
        }
        tx.commit().await.ctx("commit send outcomes")?;
        Ok(applied)
    }

    async fn apply_sent(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let s = &self.sent;
        let n: i64 = sqlx::query_scalar(SENT)
            .bind(&s.fence.send_ids)
            .bind(&s.fence.tokens)
            .bind(&s.message_ids)
            .bind(&s.replies)
            .bind(&s.sent_at)
            .bind(&s.thread_ids)
            .bind(&s.thread_subjects)
            .bind(&s.next_steps)
            .bind(&s.next_due)
            .bind(&s.count_dates)
            .bind(now)
            .fetch_one(conn)
            .await
            .ctx("record sent emails")?;
        Ok(count(n))
    }

    async fn apply_unknown(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let u = &self.unknown;
        let n: i64 = sqlx::query_scalar(UNKNOWN)
            .bind(&u.fence.send_ids)
            .bind(&u.fence.tokens)
            .bind(&u.message_ids)
            .bind(&u.reasons)
            .bind(&u.count_dates)
            .bind(now)
            .fetch_one(conn)
            .await
            .ctx("record sends of unknown outcome")?;
        Ok(count(n))
    }

    async fn apply_retry(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let r = &self.retry;
        let n: i64 = sqlx::query_scalar(RETRY.as_str())
            .bind(&r.fence.send_ids)
            .bind(&r.fence.tokens)
            .bind(&r.fence.leads)
            .bind(&r.at)
            .bind(&r.reasons)
            .bind(&r.counts)
            .bind(now)
            .fetch_one(conn)
            .await
            .ctx("record sends to retry")?;
        Ok(count(n))
    }

    async fn apply_failed(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let f = &self.failed;
        let n: i64 = sqlx::query_scalar(FAILED.as_str())
            .bind(&f.fence.send_ids)
            .bind(&f.fence.tokens)
            .bind(&f.fence.leads)
            .bind(&f.reasons)
            .bind(now)
            .fetch_one(conn)
            .await
            .ctx("record failed sends")?;
        Ok(count(n))
    }

    async fn apply_bounced(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let b = &self.bounced;
        let n: i64 = sqlx::query_scalar(BOUNCED.as_str())
            .bind(&b.fence.send_ids)
            .bind(&b.fence.tokens)
            .bind(&b.fence.leads)
            .bind(&b.replies)
            .bind(&b.suppression_ids)
            .bind(&b.event_ids)
            .bind(now)
            .fetch_one(conn)
            .await
            .ctx("record bounced sends")?;
        Ok(count(n))
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

pub(super) async fn complete_sends(
    pool: &PgPool,
    completions: &[Completion],
    now: DateTime<Utc>,
) -> Result<CompletionReport, StoreError> {
    if completions.is_empty() {
        return Ok(CompletionReport::default());
    }
    let batch = Batch::new(completions)?;
    let batch = &batch;
    let applied = retrying(|| async move { batch.apply(pool, now).await }).await?;
    let applied = u32::try_from(applied).unwrap_or(u32::MAX);
    let total = u32::try_from(completions.len()).unwrap_or(u32::MAX);
    Ok(CompletionReport {
        applied,
        fenced: total.saturating_sub(applied),
    })
}
