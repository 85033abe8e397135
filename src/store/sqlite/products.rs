//! Products a campaign can pitch. Identity is (workspace, name); a soft-deleted product is
//! revived by upserting it again.

use crate::store::Products;
use crate::store::sql::reads::Reads;
use async_trait::async_trait;
use chrono::Utc;

use super::{SqliteStore, ensure_workspace, ts};
use crate::domain::{Change, Product, ProductId, ProductSpec, Upserted, WorkspaceId};
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Sqlite;

#[async_trait]
impl Products for SqliteStore {
    async fn upsert_product(
        &self,
        ws: WorkspaceId,
        spec: &ProductSpec,
    ) -> Result<Upserted<Product>, StoreError> {
        let mut tx = self.begin_write().await?;
        ensure_workspace(tx.conn(), ws).await?;
        let existing: Option<(ProductId, String, Option<String>, bool)> = sqlx::query_as(
            "SELECT id, description, source_file_name, deleted_at IS NOT NULL \
         FROM products WHERE workspace_id = ? AND name = ?",
        )
        .bind(ws)
        .bind(spec.name.clone())
        .fetch_optional(tx.conn())
        .await
        .ctx("load the product")?;
        let now = ts(Utc::now());
        let change = match existing {
            Some((_, description, source, deleted))
                if !deleted
                    && description == spec.description
                    && source == spec.source_file_name =>
            {
                Change::Unchanged
            }
            Some((id, ..)) => {
                sqlx::query(
                    "UPDATE products SET description = ?, source_file_name = ?, deleted_at = NULL, \
                 updated_at = ? WHERE id = ?",
                )
                .bind(spec.description.clone())
                .bind(spec.source_file_name.clone())
                .bind(now)
                .bind(id)
                .execute(tx.conn())
                .await
                .ctx("update the product")?;
                Change::Updated
            }
            None => {
                sqlx::query(
                    "INSERT INTO products (id, workspace_id, name, description, source_file_name, \
                 created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(ProductId::new())
                .bind(ws)
                .bind(spec.name.clone())
                .bind(spec.description.clone())
                .bind(spec.source_file_name.clone())
                .bind(now.clone())
                .bind(now)
                .execute(tx.conn())
                .await
                .ctx("create the product")?;
                Change::Created
            }
        };
        let value = Sql::product_by_name(tx.conn(), ws, &spec.name)
            .await?
            .ok_or_else(|| StoreError::not_found("product", spec.name.clone()))?;
        if change != Change::Unchanged {
            tx.commit().await?;
        }
        Ok(Upserted { value, change })
    }

    async fn product_by_name(
        &self,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<Product>, StoreError> {
        Sql::product_by_name(&mut *self.read().await?, ws, name).await
    }

    /// A soft-deleted product is absent, as it is for `by_name`.
    async fn product_by_id(
        &self,
        ws: WorkspaceId,
        id: ProductId,
    ) -> Result<Option<Product>, StoreError> {
        Sql::product_by_id(&mut *self.read().await?, ws, id).await
    }
}
