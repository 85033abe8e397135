//! Idempotency keys, written once for both backends as default methods of
//! [`IdempotencySql`], and the role's impl stamped for each store by [`idempotency_role!`].

use chrono::{DateTime, Utc};

use super::{Bound, Dialect};
use crate::domain::WorkspaceId;
use crate::store::idempotency::{IdempotentRequest, KeyClaim, StoredAnswer};
use crate::store::{QueryContext, StoreError};

#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    method: String,
    path: String,
    request_sha256: Option<Vec<u8>>,
    status: Option<i32>,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
}

impl KeyRow {
    fn claim_for(self, request: &IdempotentRequest<'_>) -> KeyClaim {
        let same_body = match (&self.request_sha256, &request.sha256) {
            (Some(stored), Some(given)) => stored.as_slice() == given.as_slice(),
            (None, None) => true,
            _ => false,
        };
        if self.method != request.method || self.path != request.path || !same_body {
            return KeyClaim::Mismatch;
        }
        match self.status.and_then(|s| u16::try_from(s).ok()) {
            Some(status) => KeyClaim::Answered(StoredAnswer {
                status,
                content_type: self.content_type,
                body: self.body.unwrap_or_default(),
            }),
            None => KeyClaim::InProgress,
        }
    }
}

/// Idempotency statements over one connection of the backend `Self`.
pub(crate) trait IdempotencySql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> KeyRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> Vec<u8>: Bound<'q, Self>,
    for<'q> Option<Vec<u8>>: Bound<'q, Self>,
{
    async fn claim_key(
        conn: &mut Self::Connection,
        request: &IdempotentRequest<'_>,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<KeyClaim, StoreError> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE workspace_id = $1 AND key = $2 \
             AND method = $5 AND path = $6 \
             AND (created_at < $3 OR (status IS NULL AND created_at < $4))",
        )
        .bind(request.workspace)
        .bind(request.key.to_owned())
        .bind(Self::time(expired_before))
        .bind(Self::time(stale_before))
        .bind(request.method.to_owned())
        .bind(request.path.to_owned())
        .execute(&mut *conn)
        .await
        .ctx("expire an idempotency key")?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (workspace_id, key, method, path, request_sha256, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (workspace_id, method, path, key) DO NOTHING",
        )
        .bind(request.workspace)
        .bind(request.key.to_owned())
        .bind(request.method.to_owned())
        .bind(request.path.to_owned())
        .bind(request.sha256.map(|h| h.to_vec()))
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("claim an idempotency key")?;
        if Self::rows_affected(&inserted) == 1 {
            return Ok(KeyClaim::Claimed);
        }
        let row: KeyRow = sqlx::query_as(
            "SELECT method, path, request_sha256, status, content_type, body \
             FROM idempotency_keys \
             WHERE workspace_id = $1 AND key = $2 AND method = $3 AND path = $4",
        )
        .bind(request.workspace)
        .bind(request.key.to_owned())
        .bind(request.method.to_owned())
        .bind(request.path.to_owned())
        .fetch_one(conn)
        .await
        .ctx("read an idempotency key")?;
        Ok(row.claim_for(request))
    }

    async fn finish_key(
        conn: &mut Self::Connection,
        request: &IdempotentRequest<'_>,
        answer: &StoredAnswer,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 \
             WHERE workspace_id = $1 AND key = $2 AND method = $6 AND path = $7",
        )
        .bind(request.workspace)
        .bind(request.key.to_owned())
        .bind(i32::from(answer.status))
        .bind(answer.content_type.clone())
        .bind(answer.body.clone())
        .bind(request.method.to_owned())
        .bind(request.path.to_owned())
        .execute(conn)
        .await
        .ctx("store an idempotent answer")?;
        Ok(())
    }

    async fn release_key(
        conn: &mut Self::Connection,
        request: &IdempotentRequest<'_>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE workspace_id = $1 AND key = $2 \
             AND method = $3 AND path = $4 AND status IS NULL",
        )
        .bind(request.workspace)
        .bind(request.key.to_owned())
        .bind(request.method.to_owned())
        .bind(request.path.to_owned())
        .execute(conn)
        .await
        .ctx("release an idempotency key")?;
        Ok(())
    }

    async fn purge_keys(
        conn: &mut Self::Connection,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(Self::time(before))
            .execute(conn)
            .await
            .ctx("purge idempotency keys")?;
        Ok(Self::rows_affected(&done))
    }
}

impl IdempotencySql for sqlx::Postgres {}
impl IdempotencySql for sqlx::Sqlite {}

/// Stamps `impl Idempotency` for `$store` over `$db` (see `store::sql::roles`).
macro_rules! idempotency_role {
    ($store:ty, $db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};

            use $crate::store::StoreError;
            use $crate::store::idempotency::{
                Idempotency, IdempotentRequest, KeyClaim, StoredAnswer,
            };
            use $crate::store::sql::idempotency::IdempotencySql;

            type Sql = $db;

            #[async_trait::async_trait]
            impl Idempotency for $store {
                async fn claim_key(
                    &self,
                    request: &IdempotentRequest<'_>,
                    now: DateTime<Utc>,
                    expired_before: DateTime<Utc>,
                    stale_before: DateTime<Utc>,
                ) -> Result<KeyClaim, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let claim =
                        Sql::claim_key(tx.conn(), request, now, expired_before, stale_before)
                            .await?;
                    tx.commit().await?;
                    Ok(claim)
                }

                async fn finish_key(
                    &self,
                    request: &IdempotentRequest<'_>,
                    answer: &StoredAnswer,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::finish_key(unit.conn(), request, answer).await?;
                    unit.commit().await
                }

                async fn release_key(
                    &self,
                    request: &IdempotentRequest<'_>,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::release_key(unit.conn(), request).await?;
                    unit.commit().await
                }

                async fn purge_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
                    let mut unit = self.one_write().await?;
                    let purged = Sql::purge_keys(unit.conn(), before).await?;
                    unit.commit().await?;
                    Ok(purged)
                }
            }
        };
    };
}

pub(crate) use idempotency_role;
