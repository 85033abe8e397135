//! Facts about the database itself: migrations, readiness and the encryption-key canary.

use super::*;
use crate::config::Backend;
use crate::store::Meta;
use async_trait::async_trait;
use secrecy::ExposeSecret;
use sqlx::migrate::Migrator;

use crate::store::{CipherError, QueryContext, Readiness, SecretPurpose, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// `daemon_meta` key of the encryption-key canary.
const KEY_CHECK: &str = "encryption_key_check";
const KEY_CHECK_PLAINTEXT: &str = "outreachd";

async fn applied_migrations(s: &SqliteStore) -> Result<Vec<i64>, sqlx::Error> {
    let exists: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&s.pool)
    .await?;
    if exists == 0 {
        return Ok(Vec::new());
    }
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1")
        .fetch_all(&s.pool)
        .await
}

#[async_trait]
impl Meta for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Decrypts the canary, storing one first if this database has none yet.
    async fn verify_encryption_key(&self) -> Result<(), StoreError> {
        let load = || {
            sqlx::query_scalar::<_, Vec<u8>>("SELECT value FROM daemon_meta WHERE key = ?")
                .bind(KEY_CHECK)
                .fetch_optional(&self.pool)
        };
        let stored = if let Some(blob) = load().await.ctx("read the encryption key canary")? {
            blob
        } else {
            let canary = self
                .cipher
                .encrypt(SecretPurpose::KeyCheck, KEY_CHECK_PLAINTEXT);
            let mut tx = self.begin_write().await?;
            // Another process may have written its canary meanwhile: keep the first one.
            sqlx::query(
                "INSERT INTO daemon_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            )
            .bind(KEY_CHECK)
            .bind(canary)
            .execute(tx.conn())
            .await
            .ctx("store the encryption key canary")?;
            tx.commit().await?;
            load()
                .await
                .ctx("read the encryption key canary")?
                .ok_or_else(|| StoreError::Conflict("the encryption key canary vanished".into()))?
        };
        let plain = self.cipher.decrypt(SecretPurpose::KeyCheck, &stored)?;
        if plain.expose_secret() != KEY_CHECK_PLAINTEXT {
            return Err(CipherError::Decrypt.into());
        }
        Ok(())
    }

    /// Reachable, and how many embedded migrations are not applied (all of them while the
    /// migrations table does not exist).
    async fn readiness(&self) -> Readiness {
        let wanted: Vec<i64> = MIGRATOR
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| m.version)
            .collect();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let unreachable = Readiness {
            reachable: false,
            migrations_pending: count(wanted.len()),
        };
        if sqlx::query("SELECT 1").execute(&self.pool).await.is_err() {
            return unreachable;
        }
        match applied_migrations(self).await {
            Ok(applied) => Readiness {
                reachable: true,
                migrations_pending: count(wanted.iter().filter(|v| !applied.contains(v)).count()),
            },
            Err(_) => unreachable,
        }
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
        }
    }
}
