//! Workspaces: the tenants. Identity is the unique name.

use chrono::Utc;
use sqlx::sqlite::SqliteConnection;

use super::{SqliteStore, ts};
use crate::domain::WorkspaceId;
use crate::store::rows::WorkspaceRow;
use crate::store::{Change, QueryContext, StoreError, Upserted, Workspace};

pub(super) async fn upsert(s: &SqliteStore, name: &str) -> Result<Upserted<Workspace>, StoreError> {
    // Most calls find it already there: answer those without queueing for the write lock.
    if let Some(found) = by_name(&mut *s.read().await?, name).await? {
        return Ok(Upserted {
            value: found,
            change: Change::Unchanged,
        });
    }
    let mut tx = s.begin_write().await?;
    if let Some(found) = by_name(tx.conn(), name).await? {
        return Ok(Upserted {
            value: found,
            change: Change::Unchanged,
        });
    }
    let row: WorkspaceRow = sqlx::query_as(
        "INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?) \
         RETURNING id, name, created_at",
    )
    .bind(WorkspaceId::new())
    .bind(name)
    .bind(ts(Utc::now()))
    .fetch_one(tx.conn())
    .await
    .ctx("create the workspace")?;
    tx.commit().await?;
    Ok(Upserted {
        value: row.into(),
        change: Change::Created,
    })
}

pub(super) async fn by_name(
    conn: &mut SqliteConnection,
    name: &str,
) -> Result<Option<Workspace>, StoreError> {
    let row: Option<WorkspaceRow> =
        sqlx::query_as("SELECT id, name, created_at FROM workspaces WHERE name = ?")
            .bind(name)
            .fetch_optional(conn)
            .await
            .ctx("load the workspace")?;
    Ok(row.map(Workspace::from))
}

pub(super) async fn list(conn: &mut SqliteConnection) -> Result<Vec<Workspace>, StoreError> {
    let rows: Vec<WorkspaceRow> =
        sqlx::query_as("SELECT id, name, created_at FROM workspaces ORDER BY name")
            .fetch_all(conn)
            .await
            .ctx("list workspaces")?;
    Ok(rows.into_iter().map(Workspace::from).collect())
}
