//! Storing generated texts before they are sent, a claim's worth per write transaction.
//!
//! First writer wins: a text stored for (campaign lead, step) is never replaced, so a retry
//! resends the same words. The batch is bound as JSON rows (see [`json_rows`]) and read back in
//! the same transaction, so the answer is what is stored whoever wrote it.

use chrono::Utc;
use serde_json::json;

use super::{SqliteStore, json_id, json_rows, ts};
use crate::domain::{GeneratedFor, GeneratedMessage};
use crate::store::rows::{GeneratedRow, generated_in_order};
use crate::store::{QueryContext, StoreError};

/// ?1 created_at, ?2 rows `[id, campaign lead id, step, subject, body_text, body_html,
/// provider, model, prompt tokens, completion tokens, cost]`. (`WHERE true` keeps SQLite from
/// reading `ON CONFLICT` as part of the `SELECT`.)
const INSERT_SQL: &str = "INSERT INTO generated_messages (id, campaign_lead_id, step_order, \
        subject, body_text, body_html, provider, model, prompt_tokens, completion_tokens, \
        cost_usd, created_at) \
    SELECT unhex(value ->> 0), unhex(value ->> 1), value ->> 2, value ->> 3, value ->> 4, \
        value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10, ?1 \
    FROM json_each(?2) WHERE true \
    ON CONFLICT (campaign_lead_id, step_order) DO NOTHING";

/// ?1 rows `[campaign lead id, step]`.
const SELECT_SQL: &str = "SELECT g.campaign_lead_id, g.step_order, g.subject, g.body_text, \
        g.body_html, g.provider, g.model, g.prompt_tokens, g.completion_tokens, g.cost_usd \
    FROM json_each(?1) j JOIN generated_messages g \
        ON g.campaign_lead_id = unhex(j.value ->> 0) AND g.step_order = j.value ->> 1";

pub(super) async fn save_generated_many(
    s: &SqliteStore,
    items: &[GeneratedFor],
) -> Result<Vec<GeneratedMessage>, StoreError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let rows = json_rows(items.iter().map(|i| {
        let m = &i.message;
        json!([
            json_id(uuid::Uuid::now_v7()),
            json_id(i.campaign_lead_id.0),
            i.step_order,
            m.subject,
            m.body_text,
            m.body_html,
            m.provider,
            m.model,
            m.prompt_tokens,
            m.completion_tokens,
            m.cost_usd,
        ])
    }));
    let keys = json_rows(
        items
            .iter()
            .map(|i| json!([json_id(i.campaign_lead_id.0), i.step_order])),
    );
    let mut tx = s.begin_write().await?;
    sqlx::query(INSERT_SQL)
        .bind(ts(Utc::now()))
        .bind(rows)
        .execute(tx.conn())
        .await
        .ctx("store generated messages")?;
    let stored: Vec<GeneratedRow> = sqlx::query_as(SELECT_SQL)
        .bind(keys)
        .fetch_all(tx.conn())
        .await
        .ctx("load the stored generated messages")?;
    tx.commit().await?;
    let stored = stored
        .into_iter()
        .map(|r| ((r.campaign_lead_id, r.step_order), r))
        .collect();
    generated_in_order(items, stored)
}
