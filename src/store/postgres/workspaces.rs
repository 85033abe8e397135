//! Workspaces: the tenants. A workspace has only a name, so an upsert either creates it or
//! finds it unchanged.

use chrono::Utc;
use sqlx::PgPool;

use crate::domain::WorkspaceId;
use crate::store::rows::WorkspaceRow;
use crate::store::{Change, QueryContext, StoreError, Upserted, Workspace};

pub(super) async fn upsert(pool: &PgPool, name: &str) -> Result<Upserted<Workspace>, StoreError> {
    let inserted: Option<WorkspaceRow> = sqlx::query_as(
        "INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at",
    )
    .bind(WorkspaceId::new())
    .bind(name)
    .bind(Utc::now())
    .fetch_optional(pool)
    .await
    .ctx("create a workspace")?;
    if let Some(row) = inserted {
        return Ok(Upserted {
            value: row.into(),
            change: Change::Created,
        });
    }
    let existing = by_name(pool, name)
        .await?
        .ok_or_else(|| StoreError::not_found("workspace", name))?;
    Ok(Upserted {
        value: existing,
        change: Change::Unchanged,
    })
}

pub(super) async fn by_name(pool: &PgPool, name: &str) -> Result<Option<Workspace>, StoreError> {
    let row: Option<WorkspaceRow> =
        sqlx::query_as("SELECT id, name, created_at FROM workspaces WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await
            .ctx("load a workspace")?;
    Ok(row.map(Workspace::from))
}

pub(super) async fn list(pool: &PgPool) -> Result<Vec<Workspace>, StoreError> {
    let rows: Vec<WorkspaceRow> =
        sqlx::query_as("SELECT id, name, created_at FROM workspaces ORDER BY name")
            .fetch_all(pool)
            .await
            .ctx("list workspaces")?;
    Ok(rows.into_iter().map(Workspace::from).collect())
}
