//! Products campaigns pitch. Identity is (workspace, name); a soft-deleted product that is
//! applied again comes back (reported as `Updated`).

use super::*;
use crate::store::Products;
use crate::store::sql::reads::Reads;
use async_trait::async_trait;
use chrono::Utc;
use sqlx::{AssertSqlSafe, PgConnection};

use crate::domain::{Change, Product, ProductId, ProductSpec, Upserted, WorkspaceId};
use crate::store::rows::ProductRow;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

/// `SELECT` list matching [`ProductRow`].
pub(super) const COLUMNS: &str =
    "id, workspace_id, name, description, source_file_name, created_at";

#[derive(sqlx::FromRow)]
struct ExistingProduct {
    #[sqlx(flatten)]
    product: ProductRow,
    deleted: bool,
}

async fn find_for_update(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    name: &str,
) -> Result<Option<ExistingProduct>, StoreError> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS}, deleted_at IS NOT NULL AS deleted \
         FROM products WHERE workspace_id = $1 AND name = $2 FOR UPDATE"
    )))
    .bind(ws)
    .bind(name)
    .fetch_optional(conn)
    .await
    .ctx("load a product for update")
}

#[async_trait]
impl Products for PgStore {
    async fn upsert_product(
        &self,
        ws: WorkspaceId,
        spec: &ProductSpec,
    ) -> Result<Upserted<Product>, StoreError> {
        let pool = &self.pool;
        let mut tx = pool.begin().await.ctx("begin a product upsert")?;
        let now = Utc::now();
        let existing = match find_for_update(&mut tx, ws, &spec.name).await? {
            Some(existing) => existing,
            None => {
                let inserted: Option<ProductRow> = sqlx::query_as(AssertSqlSafe(format!(
                    "INSERT INTO products (id, workspace_id, name, description, source_file_name, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                 ON CONFLICT (workspace_id, name) DO NOTHING RETURNING {COLUMNS}"
                )))
                .bind(ProductId::new())
                .bind(ws)
                .bind(&spec.name)
                .bind(&spec.description)
                .bind(&spec.source_file_name)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
                .ctx("create a product")?;
                if let Some(row) = inserted {
                    tx.commit().await.ctx("commit a new product")?;
                    return Ok(Upserted {
                        value: row.into(),
                        change: Change::Created,
                    });
                }
                // Created concurrently by another writer: fall through to compare with theirs.
                find_for_update(&mut tx, ws, &spec.name)
                    .await?
                    .ok_or_else(|| StoreError::not_found("product", spec.name.as_str()))?
            }
        };
        let current = Product::from(existing.product);
        if !existing.deleted
            && current.description == spec.description
            && current.source_file_name == spec.source_file_name
        {
            tx.commit().await.ctx("release a product lock")?;
            return Ok(Upserted {
                value: current,
                change: Change::Unchanged,
            });
        }
        let row: ProductRow = sqlx::query_as(AssertSqlSafe(format!(
            "UPDATE products SET description = $3, source_file_name = $4, deleted_at = NULL, \
         updated_at = $5 WHERE id = $1 AND workspace_id = $2 RETURNING {COLUMNS}"
        )))
        .bind(current.id)
        .bind(ws)
        .bind(&spec.description)
        .bind(&spec.source_file_name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .ctx("update a product")?;
        tx.commit().await.ctx("commit a product update")?;
        Ok(Upserted {
            value: row.into(),
            change: Change::Updated,
        })
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
