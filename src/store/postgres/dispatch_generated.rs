//! Storing generated texts before they are sent, a claim's worth per round trip.
//!
//! First writer wins: a text stored for (campaign lead, step) is never replaced, so a retry
//! resends the same words. Under a live lease nobody else writes that pair, so the insert is
//! the whole story; only a zombie's late write (an expired lease) makes it fall back to reading
//! the stored text, in a statement of its own that sees the other writer's commit.

use crate::domain::{GeneratedFor, GeneratedMessage};
use std::collections::HashMap;

use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;

use crate::store::rows::{GENERATED_COLUMNS, GeneratedRow, generated_in_order};
use crate::store::{QueryContext, StoreError};

fn tokens(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

fn step(v: u32) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(|_| StoreError::Invalid(format!("step order {v} is too large")))
}

pub(super) async fn save_generated_many(
    pool: &PgPool,
    items: &[GeneratedFor],
) -> Result<Vec<GeneratedMessage>, StoreError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let steps = items
        .iter()
        .map(|i| step(i.step_order))
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<Uuid> = items.iter().map(|_| Uuid::now_v7()).collect();
    let leads: Vec<Uuid> = items.iter().map(|i| i.campaign_lead_id.0).collect();
    let text = |f: fn(&GeneratedMessage) -> &str| -> Vec<&str> {
        items.iter().map(|i| f(&i.message)).collect()
    };
    let optional = |f: fn(&GeneratedMessage) -> Option<&str>| -> Vec<Option<&str>> {
        items.iter().map(|i| f(&i.message)).collect()
    };
    let count = |f: fn(&GeneratedMessage) -> u32| -> Vec<i32> {
        items.iter().map(|i| tokens(f(&i.message))).collect()
    };
    let costs: Vec<f64> = items.iter().map(|i| i.message.cost_usd).collect();
    let inserted: Vec<GeneratedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO generated_messages (id, campaign_lead_id, step_order, subject, body_text, \
             body_html, provider, model, prompt_tokens, completion_tokens, cost_usd, created_at) \
         SELECT *, $12 FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], \
             $6::text[], $7::text[], $8::text[], $9::int[], $10::int[], $11::float8[]) \
         ON CONFLICT (campaign_lead_id, step_order) DO NOTHING \
         RETURNING {GENERATED_COLUMNS}"
    )))
    .bind(&ids)
    .bind(&leads)
    .bind(&steps)
    .bind(text(|m| &m.subject))
    .bind(text(|m| &m.body_text))
    .bind(optional(|m| m.body_html.as_deref()))
    .bind(text(|m| &m.provider))
    .bind(optional(|m| m.model.as_deref()))
    .bind(count(|m| m.prompt_tokens))
    .bind(count(|m| m.completion_tokens))
    .bind(&costs)
    .bind(Utc::now())
    .fetch_all(pool)
    .await
    .ctx("store generated messages")?;
    let mut stored = HashMap::with_capacity(items.len());
    for row in inserted {
        stored.insert((row.campaign_lead_id, row.step_order), row);
    }
    if stored.len() < items.len() {
        // Somebody stored some of these first: read theirs.
        let earlier: Vec<GeneratedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {GENERATED_COLUMNS} FROM generated_messages g \
             JOIN UNNEST($1::uuid[], $2::int[]) AS w(lead, step) \
                 ON g.campaign_lead_id = w.lead AND g.step_order = w.step"
        )))
        .bind(&leads)
        .bind(&steps)
        .fetch_all(pool)
        .await
        .ctx("load the stored generated messages")?;
        for row in earlier {
            stored
                .entry((row.campaign_lead_id, row.step_order))
                .or_insert(row);
        }
    }
    generated_in_order(items, stored)
}
