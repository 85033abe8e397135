//! The statements of [`CatalogEdits`](crate::store::CatalogEdits), written once for both
//! backends as default methods of [`CatalogEditsSql`], and [`catalog_edits_role!`], which stamps
//! the role for a store. Each check-then-write runs in one write transaction; on PostgreSQL the
//! row is locked first (`FOR UPDATE`), which also waits out a campaign write that references it
//! (its foreign-key check locks the same row), so a check cannot be overtaken.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{Bound, Dialect};
use crate::domain::{MailboxId, Product, ProductId, ProductSpec, WorkspaceId};
use crate::store::rows::{PRODUCT_COLUMNS, ProductRow};
use crate::store::{QueryContext, Removal, StoreError};

/// Campaigns that still need a mailbox: `$1` workspace, `$2` mailbox.
const CAMPAIGNS_USING_MAILBOX: &str = "SELECT name FROM campaigns WHERE workspace_id = $1 AND ( \
        id IN (SELECT campaign_id FROM campaign_mailboxes WHERE mailbox_id = $2) \
        OR id IN (SELECT campaign_id FROM campaign_leads \
            WHERE mailbox_id = $2 AND status IN ('active', 'paused')) \
        OR id IN (SELECT campaign_id FROM email_sends \
            WHERE mailbox_id = $2 AND state IN ('claimed', 'sending', 'unknown'))) \
    ORDER BY name";

pub(crate) trait CatalogEditsSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> ProductRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> MailboxId: Bound<'q, Self>,
    for<'q> ProductId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> bool: Bound<'q, Self>,
{
    async fn delete_mailbox(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<Removal, StoreError> {
        let found: Option<MailboxId> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT id FROM mailboxes WHERE workspace_id = $1 AND id = $2{}",
            Self::FOR_UPDATE
        )))
        .bind(ws)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .ctx("lock a mailbox to delete")?;
        if found.is_none() {
            return Ok(Removal::NotFound);
        }
        let campaigns: Vec<String> = sqlx::query_scalar(CAMPAIGNS_USING_MAILBOX)
            .bind(ws)
            .bind(id)
            .fetch_all(&mut *conn)
            .await
            .ctx("find the campaigns that use a mailbox")?;
        if !campaigns.is_empty() {
            return Ok(Removal::InUse { campaigns });
        }
        sqlx::query("DELETE FROM mailboxes WHERE workspace_id = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .execute(conn)
            .await
            .ctx("delete a mailbox")?;
        Ok(Removal::Removed)
    }

    async fn list_products(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        after: Option<ProductId>,
        limit: u32,
    ) -> Result<Vec<Product>, StoreError> {
        let limit = i64::from(limit);
        let rows: Vec<ProductRow> = match after {
            None => {
                sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT {PRODUCT_COLUMNS} FROM products \
                     WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY id LIMIT $2"
                )))
                .bind(ws)
                .bind(limit)
                .fetch_all(conn)
                .await
            }
            Some(after) => {
                sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT {PRODUCT_COLUMNS} FROM products \
                     WHERE workspace_id = $1 AND deleted_at IS NULL AND id > $2 \
                     ORDER BY id LIMIT $3"
                )))
                .bind(ws)
                .bind(after)
                .bind(limit)
                .fetch_all(conn)
                .await
            }
        }
        .ctx("list products")?;
        Ok(rows.into_iter().map(Product::from).collect())
    }

    /// Locks product `id` where the backend locks rows; false when it is not there (or is
    /// deleted).
    async fn lock_live_product(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: ProductId,
    ) -> Result<bool, StoreError> {
        let found: Option<ProductId> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT id FROM products WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL{}",
            Self::FOR_UPDATE
        )))
        .bind(ws)
        .bind(id)
        .fetch_optional(conn)
        .await
        .ctx("lock a product")?;
        Ok(found.is_some())
    }

    /// The product named `name` and whether it is deleted, locked where the backend locks.
    async fn product_named(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<(ProductId, bool)>, StoreError> {
        sqlx::query_as(AssertSqlSafe(format!(
            "SELECT id, deleted_at IS NOT NULL FROM products \
             WHERE workspace_id = $1 AND name = $2{}",
            Self::FOR_UPDATE
        )))
        .bind(ws)
        .bind(name.to_owned())
        .fetch_optional(conn)
        .await
        .ctx("look up a product by name")
    }

    /// Writes `spec` over the product `id` and brings it back if it was deleted.
    async fn write_product(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: ProductId,
        spec: &ProductSpec,
        now: DateTime<Utc>,
    ) -> Result<Product, StoreError> {
        let row: ProductRow = sqlx::query_as(AssertSqlSafe(format!(
            "UPDATE products SET name = $3, description = $4, source_file_name = $5, \
                 deleted_at = NULL, updated_at = $6 \
             WHERE workspace_id = $1 AND id = $2 RETURNING {PRODUCT_COLUMNS}"
        )))
        .bind(ws)
        .bind(id)
        .bind(spec.name.clone())
        .bind(spec.description.clone())
        .bind(spec.source_file_name.clone())
        .bind(Self::time(now))
        .fetch_one(conn)
        .await
        .ctx("write a product")?;
        Ok(row.into())
    }

    async fn create_product(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        spec: &ProductSpec,
        now: DateTime<Utc>,
    ) -> Result<Product, StoreError> {
        match Self::product_named(&mut *conn, ws, &spec.name).await? {
            Some((_, false)) => return Err(taken(&spec.name)),
            Some((id, true)) => return Self::write_product(conn, ws, id, spec, now).await,
            None => {}
        }
        let row: Option<ProductRow> = sqlx::query_as(AssertSqlSafe(format!(
            "INSERT INTO products (id, workspace_id, name, description, source_file_name, \
                 created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (workspace_id, name) DO NOTHING RETURNING {PRODUCT_COLUMNS}"
        )))
        .bind(ProductId::new())
        .bind(ws)
        .bind(spec.name.clone())
        .bind(spec.description.clone())
        .bind(spec.source_file_name.clone())
        .bind(Self::time(now))
        .fetch_optional(conn)
        .await
        .ctx("create a product")?;
        // Nothing inserted: another writer created it since the lookup.
        row.map(Product::from).ok_or_else(|| taken(&spec.name))
    }

    async fn update_product(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: ProductId,
        spec: &ProductSpec,
        now: DateTime<Utc>,
    ) -> Result<Option<Product>, StoreError> {
        if !Self::lock_live_product(&mut *conn, ws, id).await? {
            return Ok(None);
        }
        match Self::product_named(&mut *conn, ws, &spec.name).await? {
            Some((other, false)) if other != id => return Err(taken(&spec.name)),
            Some((other, true)) if other != id => {
                return Err(StoreError::Conflict(format!(
                    "the name {:?} belongs to a deleted product; create a product with that name \
                     to bring it back, or choose another name",
                    spec.name
                )));
            }
            _ => {}
        }
        Self::write_product(conn, ws, id, spec, now).await.map(Some)
    }

    async fn delete_product(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: ProductId,
        now: DateTime<Utc>,
    ) -> Result<Removal, StoreError> {
        if !Self::lock_live_product(&mut *conn, ws, id).await? {
            return Ok(Removal::NotFound);
        }
        let campaigns: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM campaigns \
             WHERE workspace_id = $1 AND product_id = $2 AND status <> 'completed' ORDER BY name",
        )
        .bind(ws)
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .ctx("find the campaigns that use a product")?;
        if !campaigns.is_empty() {
            return Ok(Removal::InUse { campaigns });
        }
        sqlx::query(
            "UPDATE products SET deleted_at = $3, updated_at = $3 \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws)
        .bind(id)
        .bind(Self::time(now))
        .execute(conn)
        .await
        .ctx("delete a product")?;
        Ok(Removal::Removed)
    }
}

fn taken(name: &str) -> StoreError {
    StoreError::Conflict(format!("a product named {name:?} exists already"))
}

impl CatalogEditsSql for sqlx::Postgres {}
impl CatalogEditsSql for sqlx::Sqlite {}

/// Stamps the [`CatalogEdits`](crate::store::CatalogEdits) role for `$store` over the sqlx
/// database `$db` (see `store::sql::roles` for what a store offers the stamped code).
macro_rules! catalog_edits_role {
    ($store:ty, $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};

            use $crate::domain::{MailboxId, Product, ProductId, ProductSpec, WorkspaceId};
            use $crate::store::sql::catalog_edits::CatalogEditsSql;
            use $crate::store::{CatalogEdits, Removal, StoreError, deadlock::retrying};

            type Sql = $db;

            #[async_trait]
            impl CatalogEdits for $store {
                async fn delete_mailbox(
                    &self,
                    ws: WorkspaceId,
                    id: MailboxId,
                ) -> Result<Removal, StoreError> {
                    retrying(|| async move {
                        let mut tx = self.begin_write().await?;
                        let removal = Sql::delete_mailbox(tx.conn(), ws, id).await?;
                        tx.commit().await?;
                        Ok(removal)
                    })
                    .await
                }

                async fn list_products(
                    &self,
                    ws: WorkspaceId,
                    after: Option<ProductId>,
                    limit: u32,
                ) -> Result<Vec<Product>, StoreError> {
                    Sql::list_products(&mut *self.read().await?, ws, after, limit).await
                }

                async fn create_product(
                    &self,
                    ws: WorkspaceId,
                    spec: &ProductSpec,
                    now: DateTime<Utc>,
                ) -> Result<Product, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let product = Sql::create_product(tx.conn(), ws, spec, now).await?;
                    tx.commit().await?;
                    Ok(product)
                }

                async fn update_product(
                    &self,
                    ws: WorkspaceId,
                    id: ProductId,
                    spec: &ProductSpec,
                    now: DateTime<Utc>,
                ) -> Result<Option<Product>, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let product = Sql::update_product(tx.conn(), ws, id, spec, now).await?;
                    tx.commit().await?;
                    Ok(product)
                }

                async fn delete_product(
                    &self,
                    ws: WorkspaceId,
                    id: ProductId,
                    now: DateTime<Utc>,
                ) -> Result<Removal, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let removal = Sql::delete_product(tx.conn(), ws, id, now).await?;
                    tx.commit().await?;
                    Ok(removal)
                }
            }
        };
    };
}

pub(crate) use catalog_edits_role;
