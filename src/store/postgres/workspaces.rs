//! Workspaces: the tenants. A workspace has only a name, so an upsert either creates it or
//! finds it unchanged.

use super::*;
use crate::store::Workspaces;
use crate::store::sql::catalog::CatalogSql;
use crate::store::sql::reads::Reads;
use async_trait::async_trait;
use chrono::Utc;

use crate::domain::{Upserted, Workspace};
use crate::store::StoreError;

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

#[async_trait]
impl Workspaces for PgStore {
    async fn upsert_workspace(&self, name: &str) -> Result<Upserted<Workspace>, StoreError> {
        Sql::upsert_workspace(&mut *self.read().await?, name, Utc::now()).await
    }

    async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError> {
        Sql::workspace_by_name(&mut *self.read().await?, name).await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        Sql::list_workspaces(&mut *self.read().await?).await
    }
}
