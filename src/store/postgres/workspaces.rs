//! Workspaces: the tenants. A workspace has only a name, so an upsert either creates it or
//! finds it unchanged.

use super::*;
use crate::store::Workspaces;
use crate::store::sql::reads::Reads;
use async_trait::async_trait;
use chrono::Utc;

use crate::domain::{Change, Upserted, Workspace, WorkspaceId};
use crate::store::rows::WorkspaceRow;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

#[async_trait]
impl Workspaces for PgStore {
    async fn upsert_workspace(&self, name: &str) -> Result<Upserted<Workspace>, StoreError> {
        let pool = &self.pool;
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
        let existing = Sql::workspace_by_name(&mut *self.read().await?, name)
            .await?
            .ok_or_else(|| StoreError::not_found("workspace", name))?;
        Ok(Upserted {
            value: existing,
            change: Change::Unchanged,
        })
    }

    async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError> {
        Sql::workspace_by_name(&mut *self.read().await?, name).await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        Sql::list_workspaces(&mut *self.read().await?).await
    }
}
