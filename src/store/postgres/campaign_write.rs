//! `upsert_campaign`: the campaign row, its mailbox pool and its steps, in one transaction.
//!
//! The existing campaign is locked and compared with the spec first (`Campaign::matches_spec`),
//! so re-applying the same definition writes nothing. Steps are matched by position: step N of
//! the spec updates step N in place (its id, and so its history, survive), extra steps are
//! added and missing ones removed, unless active leads still have to send one of them.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgConnection, PgPool, Postgres};

use crate::domain::{
    Campaign, CampaignId, CampaignSpec, CampaignStatus, Change, MailboxId, StepId, Upserted,
    WorkspaceId,
};
use crate::store::rows::duration_ms;
use crate::store::sql::campaign_control::{Target, name_taken};
use crate::store::sql::reads::Reads;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

pub(super) async fn upsert(
    pool: &PgPool,
    ws: WorkspaceId,
    spec: &CampaignSpec,
    target: Target,
) -> Result<Upserted<Campaign>, StoreError> {
    // A mailbox listed twice is still one pool member (the pool table's key says so).
    let mut spec = spec.clone();
    let mut seen = std::collections::HashSet::new();
    spec.mailbox_ids.retain(|id| seen.insert(*id));

    let mut tx = pool.begin().await.ctx("begin a campaign upsert")?;
    ensure_mailboxes_in_workspace(&mut tx, ws, &spec.mailbox_ids).await?;
    if let Some(product) = spec.product_id {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM products WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(ws)
        .bind(product)
        .fetch_optional(&mut *tx)
        .await
        .ctx("look up a campaign's product")?;
        if found.is_none() {
            return Err(StoreError::not_found("product", product.to_string()));
        }
    }

    let now = Utc::now();
    let id = match target {
        Target::Id(id) => lock_for_replace(&mut tx, ws, id, &spec.name).await?,
        Target::New => match insert_new(&mut tx, ws, &spec, now).await? {
            Some(id) => {
                write_pool_and_steps(&mut tx, id, &spec).await?;
                return finish(tx, ws, id, Change::Created).await;
            }
            None => return Err(name_taken(&spec.name)),
        },
        Target::Name => match find_for_update(&mut tx, ws, &spec.name).await? {
            Some(id) => id,
            None => {
                if let Some(id) = insert_new(&mut tx, ws, &spec, now).await? {
                    write_pool_and_steps(&mut tx, id, &spec).await?;
                    return finish(tx, ws, id, Change::Created).await;
                }
                // Created concurrently by another writer: compare with theirs.
                find_for_update(&mut tx, ws, &spec.name)
                    .await?
                    .ok_or_else(|| StoreError::not_found("campaign", spec.name.as_str()))?
            }
        },
    };

    let current = Sql::campaign_by_id(&mut tx, ws, id)
        .await?
        .ok_or_else(|| StoreError::not_found("campaign", spec.name.as_str()))?;
    let steps = Sql::steps_of(&mut tx, id).await?;
    if current.matches_spec(&spec, &steps) {
        return finish(tx, ws, id, Change::Unchanged).await;
    }
    ensure_no_lead_on_removed_step(&mut tx, id, &spec).await?;
    bind_row(
        sqlx::query(
            "UPDATE campaigns SET name = $3, goal = $4, status = COALESCE($5, status), \
             product_id = $6, window_days = $7, window_start_minute = $8, \
             window_end_minute = $9, timezone = $10, timezone_policy = $11, \
             daily_new_leads_cap = $12, stop_on_reply = $13, stop_on_company_reply = $14, \
             track_opens = $15, track_clicks = $16, updated_at = $17, \
             stop_other_campaigns_on_reply = $18, ai_provider = $19, ai_model = $20 \
             WHERE id = $1 AND workspace_id = $2",
        ),
        id,
        ws,
        &spec,
        now,
    )
    .execute(&mut *tx)
    .await
    .ctx("update a campaign")?;
    write_pool_and_steps(&mut tx, id, &spec).await?;
    finish(tx, ws, id, Change::Updated).await
}

/// Inserts the campaign row; `None` when another writer created one with that name first.
async fn insert_new(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    spec: &CampaignSpec,
    now: DateTime<Utc>,
) -> Result<Option<CampaignId>, StoreError> {
    let id = CampaignId::new();
    let inserted = bind_row(
        sqlx::query(
            "INSERT INTO campaigns (id, workspace_id, name, goal, status, product_id, \
             window_days, window_start_minute, window_end_minute, timezone, \
             timezone_policy, daily_new_leads_cap, stop_on_reply, stop_on_company_reply, \
             track_opens, track_clicks, created_at, updated_at, \
             stop_other_campaigns_on_reply, ai_provider, ai_model) \
             VALUES ($1, $2, $3, $4, COALESCE($5, 'draft'), $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $17, $18, $19, $20) \
             ON CONFLICT (workspace_id, name) DO NOTHING",
        ),
        id,
        ws,
        spec,
        now,
    )
    .execute(conn)
    .await
    .ctx("create a campaign")?;
    Ok((inserted.rows_affected() == 1).then_some(id))
}

/// Reads the campaign back inside the transaction, then commits.
async fn finish(
    mut tx: sqlx::Transaction<'_, Postgres>,
    ws: WorkspaceId,
    id: CampaignId,
    change: Change,
) -> Result<Upserted<Campaign>, StoreError> {
    let value = Sql::campaign_by_id(&mut tx, ws, id)
        .await?
        .ok_or_else(|| StoreError::not_found("campaign", id.to_string()))?;
    tx.commit().await.ctx("commit a campaign upsert")?;
    Ok(Upserted { value, change })
}

/// Locks campaign `id` for a replacement that names it `name`: `NotFound` when it is not in
/// the workspace, `Conflict` when another campaign of the workspace has that name.
async fn lock_for_replace(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    id: CampaignId,
    name: &str,
) -> Result<CampaignId, StoreError> {
    let found: Option<CampaignId> = sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(ws)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .ctx("load a campaign for update")?;
    let id = found.ok_or_else(|| StoreError::not_found("campaign", id.to_string()))?;
    // The unique key would refuse the rename too; this says which name is taken.
    let clash: Option<CampaignId> = sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE workspace_id = $1 AND name = $2 AND id <> $3",
    )
    .bind(ws)
    .bind(name)
    .bind(id)
    .fetch_optional(conn)
    .await
    .ctx("look for a campaign with the new name")?;
    match clash {
        Some(_) => Err(name_taken(name)),
        None => Ok(id),
    }
}

async fn find_for_update(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    name: &str,
) -> Result<Option<CampaignId>, StoreError> {
    sqlx::query_scalar("SELECT id FROM campaigns WHERE workspace_id = $1 AND name = $2 FOR UPDATE")
        .bind(ws)
        .bind(name)
        .fetch_optional(conn)
        .await
        .ctx("load a campaign for update")
}

/// Binds `$1` id, `$2` workspace, `$3..=$16` the spec's columns, `$17` the timestamp and `$18`
/// `stop_other_campaigns_on_reply` (added by migration 0003).
fn bind_row<'q>(
    query: Query<'q, Postgres, PgArguments>,
    id: CampaignId,
    ws: WorkspaceId,
    spec: &'q CampaignSpec,
    now: DateTime<Utc>,
) -> Query<'q, Postgres, PgArguments> {
    let rules = &spec.rules;
    // Minutes are at most 1440 and caps absurd beyond i32; the schema's CHECKs catch the rest.
    let minute = |m: u16| i16::try_from(m).unwrap_or(i16::MAX);
    query
        .bind(id)
        .bind(ws)
        .bind(&spec.name)
        .bind(&spec.goal)
        .bind(spec.status.map(|s: CampaignStatus| s.as_str()))
        .bind(spec.product_id)
        .bind(i16::from(rules.window.days.bits()))
        .bind(minute(rules.window.start_minute))
        .bind(minute(rules.window.end_minute))
        .bind(&rules.timezone)
        .bind(rules.timezone_policy.as_str())
        .bind(
            rules
                .daily_new_leads_cap
                .map(|c| i32::try_from(c).unwrap_or(i32::MAX)),
        )
        .bind(rules.stop_on_reply)
        .bind(rules.stop_on_company_reply)
        .bind(rules.track_opens)
        .bind(rules.track_clicks)
        .bind(now)
        .bind(rules.stop_other_campaigns_on_reply)
        .bind(spec.ai.provider.map(crate::ai::ProviderName::as_str))
        .bind(spec.ai.model.as_deref())
}

async fn ensure_mailboxes_in_workspace(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    ids: &[MailboxId],
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let raw: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
    let found: Vec<MailboxId> =
        sqlx::query_scalar("SELECT id FROM mailboxes WHERE workspace_id = $1 AND id = ANY($2)")
            .bind(ws)
            .bind(&raw)
            .fetch_all(conn)
            .await
            .ctx("check a campaign's mailboxes")?;
    match ids.iter().find(|id| !found.contains(id)) {
        Some(missing) => Err(StoreError::not_found("mailbox", missing.to_string())),
        None => Ok(()),
    }
}

/// `Conflict` if the new definition drops a step that active leads are still due to send.
async fn ensure_no_lead_on_removed_step(
    conn: &mut PgConnection,
    id: CampaignId,
    spec: &CampaignSpec,
) -> Result<(), StoreError> {
    let step_count = i32::try_from(spec.steps.len()).unwrap_or(i32::MAX);
    let (leads, first_step): (i64, Option<i32>) = sqlx::query_as(
        "SELECT count(*), min(current_step_order) FROM campaign_leads \
         WHERE campaign_id = $1 AND status = 'active' AND current_step_order > $2",
    )
    .bind(id)
    .bind(step_count)
    .fetch_one(conn)
    .await
    .ctx("check leads on removed steps")?;
    match first_step {
        Some(step) if leads > 0 => Err(StoreError::Conflict(format!(
            "campaign {:?} would drop step {step}, but {leads} active lead(s) still have to send \
             it (the new definition has {} step(s)); keep the step, or pause or complete those \
             leads first",
            spec.name,
            spec.steps.len()
        ))),
        _ => Ok(()),
    }
}

/// Replaces the pool (position = index in the spec) and upserts steps by position, deleting
/// steps beyond the new count.
async fn write_pool_and_steps(
    conn: &mut PgConnection,
    id: CampaignId,
    spec: &CampaignSpec,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM campaign_mailboxes WHERE campaign_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .ctx("clear a campaign's mailbox pool")?;
    let pool: Vec<uuid::Uuid> = spec.mailbox_ids.iter().map(|m| m.0).collect();
    sqlx::query(
        "INSERT INTO campaign_mailboxes (campaign_id, mailbox_id, position) \
         SELECT $1, u.mailbox_id, (u.ord - 1)::integer \
         FROM UNNEST($2::uuid[]) WITH ORDINALITY AS u(mailbox_id, ord)",
    )
    .bind(id)
    .bind(&pool)
    .execute(&mut *conn)
    .await
    .ctx("write a campaign's mailbox pool")?;

    let steps = &spec.steps;
    let ids: Vec<uuid::Uuid> = steps.iter().map(|_| StepId::new().0).collect();
    let orders: Vec<i32> = (1..=steps.len())
        .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect();
    let delays: Vec<i64> = steps.iter().map(|s| duration_ms(s.delay)).collect();
    let subjects: Vec<Option<&str>> = steps
        .iter()
        .map(|s| s.subject_template.as_deref())
        .collect();
    let bodies: Vec<&str> = steps.iter().map(|s| s.body_template.as_str()).collect();
    let ai: Vec<Option<&str>> = steps.iter().map(|s| s.ai_instructions.as_deref()).collect();
    sqlx::query(
        "INSERT INTO sequence_steps (id, campaign_id, step_order, delay_ms, subject_template, \
         body_template, ai_instructions) \
         SELECT u.id, $1, u.step_order, u.delay_ms, u.subject, u.body, u.ai \
         FROM UNNEST($2::uuid[], $3::integer[], $4::bigint[], $5::text[], $6::text[], $7::text[]) \
             AS u(id, step_order, delay_ms, subject, body, ai) \
         ON CONFLICT (campaign_id, step_order) DO UPDATE SET \
             delay_ms = EXCLUDED.delay_ms, subject_template = EXCLUDED.subject_template, \
             body_template = EXCLUDED.body_template, ai_instructions = EXCLUDED.ai_instructions",
    )
    .bind(id)
    .bind(&ids)
    .bind(&orders)
    .bind(&delays)
    .bind(&subjects)
    .bind(&bodies)
    .bind(&ai)
    .execute(&mut *conn)
    .await
    .ctx("write campaign steps")?;
    let step_count = i32::try_from(steps.len()).unwrap_or(i32::MAX);
    sqlx::query("DELETE FROM sequence_steps WHERE campaign_id = $1 AND step_order > $2")
        .bind(id)
        .bind(step_count)
        .execute(conn)
        .await
        .ctx("remove dropped campaign steps")?;
    Ok(())
}
