//! The due backlog for the metrics: how many lead steps of running campaigns are due, counted
//! up to a cap so the cost stays bounded however large the backlog grows (the partial index
//! `campaign_leads_due`, one range per running campaign).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::store::{QueryContext, StoreError};

pub(super) async fn due_backlog(
    pool: &PgPool,
    now: DateTime<Utc>,
    cap: u32,
) -> Result<u64, StoreError> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM ( \
             SELECT 1 FROM campaigns c JOIN campaign_leads cl ON cl.campaign_id = c.id \
             WHERE c.status = 'running' AND cl.status = 'active' \
                 AND cl.next_scheduled_at <= $1 \
             LIMIT $2) due",
    )
    .bind(now)
    .bind(i64::from(cap))
    .fetch_one(pool)
    .await
    .ctx("count the due backlog")?;
    Ok(u64::try_from(count).unwrap_or(0))
}
