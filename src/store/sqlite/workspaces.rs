//! Workspaces: the tenants. Identity is the unique name.

use super::*;
use crate::store::Workspaces;
use async_trait::async_trait;
use chrono::Utc;
use sqlx::sqlite::SqliteConnection;

use super::{SqliteStore, ts};
use crate::domain::{Change, Upserted, Workspace, WorkspaceId};
use crate::store::rows::WorkspaceRow;
use crate::store::{QueryContext, StoreError};

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

#[async_trait]
impl Workspaces for SqliteStore {
    async fn upsert_workspace(&self, name: &str) -> Result<Upserted<Workspace>, StoreError> {
        // Most calls find it already there: answer those without queueing for the write lock.
        if let Some(found) = by_name(&mut *self.read().await?, name).await? {
            return Ok(Upserted {
                value: found,
                change: Change::Unchanged,
            });
        }
        let mut tx = self.begin_write().await?;
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

    async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError> {
        workspaces::by_name(&mut *self.read().await?, name).await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let mut conn_ = self.read().await?;
        let conn = &mut *conn_;
        let rows: Vec<WorkspaceRow> =
            sqlx::query_as("SELECT id, name, created_at FROM workspaces ORDER BY name")
                .fetch_all(conn)
                .await
                .ctx("list workspaces")?;
        Ok(rows.into_iter().map(Workspace::from).collect())
    }
}
