//! Schema migrations, readiness and the encryption-key canary.
//!
//! Migrations are embedded at compile time, so a binary always carries the schema it expects;
//! sqlx takes an advisory lock while applying them, so daemons starting together on one
//! database do not race. The canary is a known plaintext encrypted with the configured key the
//! first time any daemon starts: every later start decrypts it, so a wrong key is refused before
//! it can write passwords nobody can read back.

use super::*;
use crate::store::Meta;
use async_trait::async_trait;
use std::collections::HashSet;

use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::migrate::Migrator;

use crate::store::{CipherError, QueryContext, Readiness, SecretPurpose, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

const KEY_CHECK_KEY: &str = "encryption_key_check";
const KEY_CHECK_PLAINTEXT: &str = "outreachd";

/// Embedded up-migrations not yet recorded as applied; all of them when the bookkeeping table
/// does not exist yet (a database nobody has migrated).
async fn pending_migrations(pool: &PgPool) -> Result<u32, sqlx::Error> {
    let table_exists: bool =
        sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(pool)
            .await?;
    let applied: HashSet<i64> = if table_exists {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect()
    } else {
        HashSet::new()
    };
    let pending = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration() && !applied.contains(&m.version))
        .count();
    Ok(u32::try_from(pending).unwrap_or(u32::MAX))
}

#[async_trait]
impl Meta for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let pool = &self.pool;
        MIGRATOR.run(pool).await?;
        Ok(())
    }

    async fn verify_encryption_key(&self) -> Result<(), StoreError> {
        let pool = &self.pool;
        let cipher = &self.cipher;
        // Insert-if-absent then re-read: when two daemons start together on an empty database, only
        // one canary wins and both check against it.
        let canary = cipher.encrypt(SecretPurpose::KeyCheck, KEY_CHECK_PLAINTEXT);
        sqlx::query(
            "INSERT INTO daemon_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(KEY_CHECK_KEY)
        .bind(canary)
        .execute(pool)
        .await
        .ctx("store the encryption key canary")?;
        let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM daemon_meta WHERE key = $1")
            .bind(KEY_CHECK_KEY)
            .fetch_one(pool)
            .await
            .ctx("read the encryption key canary")?;
        let plaintext = cipher.decrypt(SecretPurpose::KeyCheck, &stored)?;
        if plaintext.expose_secret() != KEY_CHECK_PLAINTEXT {
            return Err(CipherError::Decrypt.into());
        }
        Ok(())
    }

    async fn readiness(&self) -> Readiness {
        let pool = &self.pool;
        match pending_migrations(pool).await {
            Ok(pending) => Readiness {
                reachable: true,
                migrations_pending: pending,
            },
            Err(error) => {
                tracing::warn!(%error, "PostgreSQL readiness check failed.");
                Readiness {
                    reachable: false,
                    migrations_pending: 0,
                }
            }
        }
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
        }
    }
}
