//! `impl Products for PgStore`: the shared statements of `store::sql::catalog` and
//! `store::sql::reads`, an upsert in one transaction.

use async_trait::async_trait;
use chrono::Utc;

use super::PgStore;
use crate::domain::{Product, ProductId, ProductSpec, Upserted, WorkspaceId};
use crate::store::Products;
use crate::store::sql::catalog::CatalogSql;
use crate::store::sql::reads::Reads;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

#[async_trait]
impl Products for PgStore {
    async fn upsert_product(
        &self,
        ws: WorkspaceId,
        spec: &ProductSpec,
    ) -> Result<Upserted<Product>, StoreError> {
        let mut tx = self.pool.begin().await.ctx("begin a product upsert")?;
        let upserted = Sql::upsert_product(&mut tx, ws, spec, Utc::now()).await?;
        tx.commit().await.ctx("commit a product upsert")?;
        Ok(upserted)
    }

    async fn product_by_name(
        &self,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Product>, StoreError> {
        Sql::product_by_name(&mut *self.read().await?, ws, name).await
    }

    /// A soft-deleted product is absent, as it is for `product_by_name`.
    async fn product_by_id(
        &self,
        ws: WorkspaceId,
        id: ProductId,
    ) -> Result<Option<Product>, StoreError> {
        Sql::product_by_id(&mut *self.read().await?, ws, id).await
    }
}
