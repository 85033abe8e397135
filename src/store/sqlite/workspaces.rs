//! Workspaces: the tenants. Identity is the unique name.

use crate::store::Workspaces;
use crate::store::sql::catalog::CatalogSql;
use crate::store::sql::reads::Reads;
use async_trait::async_trait;
use chrono::Utc;

use super::SqliteStore;
use crate::domain::{Change, Upserted, Workspace};
use crate::store::StoreError;

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Sqlite;

#[async_trait]
impl Workspaces for SqliteStore {
    async fn upsert_workspace(&self, name: &str) -> Result<Upserted<Workspace>, StoreError> {
        // Most calls find it already there: answer those without queueing for the write lock.
        if let Some(found) = Sql::workspace_by_name(&mut *self.read().await?, name).await? {
            return Ok(Upserted {
                value: found,
                change: Change::Unchanged,
            });
        }
        let mut tx = self.begin_write().await?;
        let upserted = Sql::upsert_workspace(tx.conn(), name, Utc::now()).await?;
        tx.commit().await?;
        Ok(upserted)
    }

    async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError> {
        Sql::workspace_by_name(&mut *self.read().await?, name).await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        Sql::list_workspaces(&mut *self.read().await?).await
    }
}
