//! Creating and updating a campaign, its mailbox pool and its steps, in one transaction.
//!
//! The pool is written with `position` = index in the spec; steps are matched by `step_order`
//! and rewritten in place (keeping their ids) only where they differ. Nothing is written when the
//! spec matches what is stored. Dropping steps that active leads still have to send is refused.

use std::collections::HashSet;

use chrono::Utc;
use sqlx::sqlite::SqliteConnection;

use super::{MAX_PARAMS, SqliteStore, row_placeholders, ts};
use crate::domain::{
    Campaign, CampaignId, CampaignSpec, CampaignStatus, Change, MailboxId, Step, StepId, StepSpec,
    Upserted, WorkspaceId,
};
use crate::store::rows::duration_ms;
use crate::store::sql::campaign_control::{Target, name_taken};
use crate::store::sql::reads::Reads;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Sqlite;

/// The columns an upsert writes, bound by [`bind_spec`] in this order.
const SPEC_COLUMNS: [&str; 17] = [
    "name",
    "goal",
    "product_id",
    "status",
    "window_days",
    "window_start_minute",
    "window_end_minute",
    "timezone",
    "timezone_policy",
    "daily_new_leads_cap",
    "stop_on_reply",
    "stop_on_company_reply",
    "track_opens",
    "track_clicks",
    "stop_other_campaigns_on_reply",
    "ai_provider",
    "ai_model",
];

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

fn bind_spec<'q>(q: Query<'q>, spec: &CampaignSpec, status: CampaignStatus) -> Query<'q> {
    let rules = &spec.rules;
    q.bind(spec.name.clone())
        .bind(spec.goal.clone())
        .bind(spec.product_id)
        .bind(status.as_str())
        .bind(i64::from(rules.window.days.bits()))
        .bind(i64::from(rules.window.start_minute))
        .bind(i64::from(rules.window.end_minute))
        .bind(rules.timezone.clone())
        .bind(rules.timezone_policy.as_str())
        .bind(rules.daily_new_leads_cap.map(i64::from))
        .bind(rules.stop_on_reply)
        .bind(rules.stop_on_company_reply)
        .bind(rules.track_opens)
        .bind(rules.track_clicks)
        .bind(rules.stop_other_campaigns_on_reply)
        .bind(spec.ai.provider.map(crate::ai::ProviderName::as_str))
        .bind(spec.ai.model.clone())
}

pub(super) async fn upsert(
    s: &SqliteStore,
    ws: WorkspaceId,
    spec: &CampaignSpec,
    target: Target,
) -> Result<Upserted<Campaign>, StoreError> {
    let mut tx = s.begin_write().await?;
    let conn = tx.conn();
    Sql::ensure_workspace(conn, ws).await?;
    check_references(conn, ws, spec).await?;
    let pool = dedup(&spec.mailbox_ids);
    let now = ts(Utc::now());
    let columns = SPEC_COLUMNS.join(", ");
    let existing = match target {
        Target::Name => Sql::campaign_by_name(conn, ws, &spec.name).await?,
        Target::New => match Sql::campaign_by_name(conn, ws, &spec.name).await? {
            Some(_) => return Err(name_taken(&spec.name)),
            None => None,
        },
        Target::Id(id) => Some(for_replace(conn, ws, id, &spec.name).await?),
    };
    let (id, change) = match existing {
        Some(current) => {
            let current_steps = Sql::steps_of(conn, current.id).await?;
            if current.matches_spec(spec, &current_steps) {
                return Ok(Upserted {
                    value: current,
                    change: Change::Unchanged,
                });
            }
            refuse_dropping_busy_steps(conn, &current, spec.steps.len()).await?;
            let status = spec.status.unwrap_or(current.status);
            let sql = format!(
                "UPDATE campaigns SET ({columns}) = {}, updated_at = ? WHERE id = ?",
                row_placeholders(SPEC_COLUMNS.len())
            );
            bind_spec(sqlx::query(sqlx::AssertSqlSafe(sql)), spec, status)
                .bind(now)
                .bind(current.id)
                .execute(&mut *conn)
                .await
                .ctx("update the campaign")?;
            if current.mailbox_ids != pool {
                write_pool(conn, current.id, &pool).await?;
            }
            write_steps(conn, current.id, &current_steps, &spec.steps).await?;
            (current.id, Change::Updated)
        }
        None => {
            let id = CampaignId::new();
            let sql = format!(
                "INSERT INTO campaigns (id, workspace_id, created_at, updated_at, {columns}) \
                 VALUES {}",
                row_placeholders(SPEC_COLUMNS.len() + 4)
            );
            let q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(ws)
                .bind(now.clone())
                .bind(now);
            bind_spec(q, spec, spec.status.unwrap_or(CampaignStatus::Draft))
                .execute(&mut *conn)
                .await
                .ctx("create the campaign")?;
            write_pool(conn, id, &pool).await?;
            write_steps(conn, id, &[], &spec.steps).await?;
            (id, Change::Created)
        }
    };
    let value = Sql::campaign_by_id(conn, ws, id)
        .await?
        .ok_or_else(|| StoreError::not_found("campaign", id.to_string()))?;
    tx.commit().await?;
    Ok(Upserted { value, change })
}

/// Campaign `id`, to be renamed `name`: `NotFound` when it is not in the workspace,
/// `Conflict` when another campaign of the workspace has that name.
async fn for_replace(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    id: CampaignId,
    name: &str,
) -> Result<Campaign, StoreError> {
    let current = Sql::campaign_by_id(&mut *conn, ws, id)
        .await?
        .ok_or_else(|| StoreError::not_found("campaign", id.to_string()))?;
    match Sql::campaign_by_name(conn, ws, name).await? {
        Some(other) if other.id != id => Err(name_taken(name)),
        _ => Ok(current),
    }
}

/// The product and every pool mailbox must belong to the workspace.
async fn check_references(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    spec: &CampaignSpec,
) -> Result<(), StoreError> {
    if let Some(product) = spec.product_id {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM products WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL",
        )
        .bind(product)
        .bind(ws)
        .fetch_optional(&mut *conn)
        .await
        .ctx("look up the campaign's product")?;
        if found.is_none() {
            return Err(StoreError::not_found("product", product.to_string()));
        }
    }
    let wanted = dedup(&spec.mailbox_ids);
    let mut known = HashSet::with_capacity(wanted.len());
    for chunk in wanted.chunks(MAX_PARAMS - 1) {
        let sql = format!(
            "SELECT id FROM mailboxes WHERE workspace_id = ? AND id IN {}",
            row_placeholders(chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, MailboxId>(sqlx::AssertSqlSafe(sql)).bind(ws);
        for id in chunk {
            q = q.bind(*id);
        }
        known.extend(
            q.fetch_all(&mut *conn)
                .await
                .ctx("look up the pool's mailboxes")?,
        );
    }
    match wanted.iter().find(|id| !known.contains(id)) {
        Some(missing) => Err(StoreError::not_found("mailbox", missing.to_string())),
        None => Ok(()),
    }
}

/// Refuses a sequence shorter than the step an active lead is waiting to send.
async fn refuse_dropping_busy_steps(
    conn: &mut SqliteConnection,
    campaign: &Campaign,
    new_len: usize,
) -> Result<(), StoreError> {
    let new_len = i64::try_from(new_len).unwrap_or(i64::MAX);
    let (count, first_needed): (i64, Option<i64>) = sqlx::query_as(
        "SELECT count(*), min(current_step_order) FROM campaign_leads \
         WHERE campaign_id = ? AND status = 'active' AND current_step_order > ?",
    )
    .bind(campaign.id)
    .bind(new_len)
    .fetch_one(conn)
    .await
    .ctx("check which steps active leads are on")?;
    if count == 0 {
        return Ok(());
    }
    Err(StoreError::Conflict(format!(
        "campaign {:?}: {count} active lead(s) still have to send step {} but the new sequence \
         has only {new_len} step(s); complete or pause those leads first, or keep the steps",
        campaign.name,
        first_needed.unwrap_or(new_len + 1)
    )))
}

/// Replaces the pool with `pool`, in that order.
async fn write_pool(
    conn: &mut SqliteConnection,
    campaign: CampaignId,
    pool: &[MailboxId],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM campaign_mailboxes WHERE campaign_id = ?")
        .bind(campaign)
        .execute(&mut *conn)
        .await
        .ctx("clear the campaign's mailbox pool")?;
    for (position, mailbox) in pool.iter().enumerate() {
        sqlx::query(
            "INSERT INTO campaign_mailboxes (campaign_id, mailbox_id, position) VALUES (?, ?, ?)",
        )
        .bind(campaign)
        .bind(*mailbox)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await
        .ctx("write the campaign's mailbox pool")?;
    }
    Ok(())
}

/// Makes the stored steps equal `wanted`: rewrites the ones that differ (keeping their ids) and
/// deletes those past the end.
async fn write_steps(
    conn: &mut SqliteConnection,
    campaign: CampaignId,
    current: &[Step],
    wanted: &[StepSpec],
) -> Result<(), StoreError> {
    for (index, step) in wanted.iter().enumerate() {
        if current.get(index).is_some_and(|have| have.spec() == *step) {
            continue;
        }
        sqlx::query(
            "INSERT INTO sequence_steps (id, campaign_id, step_order, delay_ms, subject_template, \
             body_template, ai_instructions) VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (campaign_id, step_order) DO UPDATE SET delay_ms = excluded.delay_ms, \
             subject_template = excluded.subject_template, body_template = excluded.body_template, \
             ai_instructions = excluded.ai_instructions",
        )
        .bind(StepId::new())
        .bind(campaign)
        .bind(i64::try_from(index + 1).unwrap_or(i64::MAX))
        .bind(duration_ms(step.delay))
        .bind(step.subject_template.clone())
        .bind(step.body_template.clone())
        .bind(step.ai_instructions.clone())
        .execute(&mut *conn)
        .await
        .ctx("write a sequence step")?;
    }
    sqlx::query("DELETE FROM sequence_steps WHERE campaign_id = ? AND step_order > ?")
        .bind(campaign)
        .bind(i64::try_from(wanted.len()).unwrap_or(i64::MAX))
        .execute(conn)
        .await
        .ctx("delete dropped sequence steps")?;
    Ok(())
}

/// The ids in first-seen order without repeats (the pool's primary key forbids repeats).
fn dedup(ids: &[MailboxId]) -> Vec<MailboxId> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}
