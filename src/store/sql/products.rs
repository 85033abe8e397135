//! The product upsert, written once for both backends as a default method of [`ProductSql`].
//! Identity is (workspace, name); a soft-deleted product that is applied again comes back
//! (reported as `Updated`). The backend owns the transaction.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{Bound, Dialect};
use crate::domain::{Change, Product, ProductId, ProductSpec, Upserted, WorkspaceId};
use crate::store::rows::{PRODUCT_COLUMNS, ProductRow};
use crate::store::{QueryContext, StoreError};

/// A stored product and whether it is soft-deleted.
#[derive(sqlx::FromRow)]
pub(crate) struct ExistingProduct {
    #[sqlx(flatten)]
    product: ProductRow,
    deleted: bool,
}

/// The product upsert over one connection of the backend `Self`.
pub(crate) trait ProductSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> ProductRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> ExistingProduct: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> ProductId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
{
    /// The product `name` names in `ws`, deleted or not, locked where the backend locks rows.
    async fn product_for_update(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<ExistingProduct>, StoreError> {
        sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PRODUCT_COLUMNS}, deleted_at IS NOT NULL AS deleted \
             FROM products WHERE workspace_id = $1 AND name = $2{}",
            Self::FOR_UPDATE
        )))
        .bind(ws)
        .bind(name.to_owned())
        .fetch_optional(conn)
        .await
        .ctx("load a product for update")
    }

    async fn upsert_product(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        spec: &ProductSpec,
        now: DateTime<Utc>,
    ) -> Result<Upserted<Product>, StoreError> {
        let existing = match Self::product_for_update(&mut *conn, ws, &spec.name).await? {
            Some(existing) => existing,
            None => {
                let inserted: Option<ProductRow> = sqlx::query_as(AssertSqlSafe(format!(
                    "INSERT INTO products (id, workspace_id, name, description, \
                         source_file_name, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6) \
                     ON CONFLICT (workspace_id, name) DO NOTHING RETURNING {PRODUCT_COLUMNS}"
                )))
                .bind(ProductId::new())
                .bind(ws)
                .bind(spec.name.clone())
                .bind(spec.description.clone())
                .bind(spec.source_file_name.clone())
                .bind(Self::time(now))
                .fetch_optional(&mut *conn)
                .await
                .ctx("create a product")?;
                if let Some(row) = inserted {
                    return Ok(Upserted {
                        value: row.into(),
                        change: Change::Created,
                    });
                }
                // Created concurrently by another writer: fall through to compare with theirs.
                Self::product_for_update(&mut *conn, ws, &spec.name)
                    .await?
                    .ok_or_else(|| StoreError::not_found("product", spec.name.as_str()))?
            }
        };
        let current = Product::from(existing.product);
        if !existing.deleted
            && current.description == spec.description
            && current.source_file_name == spec.source_file_name
        {
            return Ok(Upserted {
                value: current,
                change: Change::Unchanged,
            });
        }
        let row: ProductRow = sqlx::query_as(AssertSqlSafe(format!(
            "UPDATE products SET description = $3, source_file_name = $4, deleted_at = NULL, \
                 updated_at = $5 \
             WHERE id = $1 AND workspace_id = $2 RETURNING {PRODUCT_COLUMNS}"
        )))
        .bind(current.id)
        .bind(ws)
        .bind(spec.description.clone())
        .bind(spec.source_file_name.clone())
        .bind(Self::time(now))
        .fetch_one(conn)
        .await
        .ctx("update a product")?;
        Ok(Upserted {
            value: row.into(),
            change: Change::Updated,
        })
    }
}

impl ProductSql for sqlx::Postgres {}
impl ProductSql for sqlx::Sqlite {}
