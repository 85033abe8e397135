//! The SQLite backend: the embedded default, one daemon per database file.
//!
//! This file opens the database (WAL, foreign keys, busy timeout, the daemon's file lock) and
//! hands out connections and write transactions; each role trait is implemented in the file
//! that owns its SQL (one per table family, the step contract in `dispatch_*`). SQLite allows one
//! writer at a time, so every write transaction goes through [`SqliteStore::begin_write`]: an
//! in-process queue (a tokio mutex) plus `BEGIN IMMEDIATE`, which takes the write lock up front
//! instead of failing with `SQLITE_BUSY` when a reader later tries to upgrade.
//!
//! Timestamps are bound as fixed-width RFC 3339 text via [`ts`], never as `DateTime`: sqlx would
//! write a variable number of fraction digits, and then text comparison is not time order.

mod campaign_write;
mod dispatch_bounce;
mod dispatch_claim;
mod dispatch_complete;
mod dispatch_generated;
mod dispatch_misc;
mod dispatch_outcomes;
mod dispatch_prefetch;
mod dispatch_send;
mod enroll;
mod leads;
mod lock;
mod meta;
mod suppressions;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use tokio::sync::{Mutex, MutexGuard};

use self::lock::{LockFailure, lock_exclusively};
use super::*;
use crate::config::DatabaseSettings;
use crate::config::redact_url;
use crate::domain::WorkspaceId;
use crate::domain::*;
use crate::store::{OpenMode, QueryContext, SecretCipher, StoreError};

/// SQLite's limit on bound parameters per statement (SQLITE_MAX_VARIABLE_NUMBER since 3.32).
pub(crate) const MAX_PARAMS: usize = 32_766;

/// How long a connection waits for another process's write lock before `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct SqliteStore {
    pool: SqlitePool,
    cipher: SecretCipher,
    /// Queues this process's write transactions so they wait in tokio, not in SQLite's busy
    /// handler (which polls with sleeps).
    write_lock: Mutex<()>,
    /// Held for the store's lifetime in `OpenMode::Daemon`; the OS drops the lock when the file
    /// is closed, also when the process dies.
    _daemon_lock: Option<File>,
}

/// The text form of a timestamp in every column: `2026-11-23T03:52:31.123456Z`. Fixed width,
/// so comparing texts compares times.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The text form of a date (`mailbox_daily_counts.local_date`): `2026-11-23`.
pub(crate) fn day(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// An id as a JSON string of 32 hex digits, read back in SQL with `unhex(...)`.
pub(crate) fn json_id(id: uuid::Uuid) -> serde_json::Value {
    serde_json::Value::String(id.simple().to_string())
}

/// Rows (JSON arrays or single values) as one JSON array, bound as a single parameter and read
/// back with `json_each(?)`: SQLite's stand-in for array parameters, so a statement over a whole
/// batch has one fixed text (prepared once) and costs one round trip whatever the batch size.
pub(crate) fn json_rows(rows: impl IntoIterator<Item = serde_json::Value>) -> String {
    serde_json::Value::Array(rows.into_iter().collect()).to_string()
}

/// Ids for `WHERE id IN (SELECT unhex(value) FROM json_each(?))`.
pub(crate) fn id_list(ids: impl IntoIterator<Item = uuid::Uuid>) -> String {
    json_rows(ids.into_iter().map(json_id))
}

/// `count` placeholders for one row: `(?, ?, ?)`.
pub(crate) fn row_placeholders(count: usize) -> String {
    let mut s = String::with_capacity(count * 3 + 2);
    s.push('(');
    for i in 0..count {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s.push(')');
    s
}

/// `rows` rows of `cols` placeholders each, comma separated, for a multi-row `VALUES`.
pub(crate) fn values_placeholders(rows: usize, cols: usize) -> String {
    let one = row_placeholders(cols);
    vec![one; rows].join(", ")
}

/// A write transaction that holds this process's write queue until it ends. Field order matters:
/// the transaction is dropped (rolled back) before the queue is released.
pub(crate) struct WriteTx<'a> {
    tx: Transaction<'static, Sqlite>,
    _queue: MutexGuard<'a, ()>,
}

impl WriteTx<'_> {
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.ctx("commit a write transaction")
    }
}

crate::store::sql::roles::shared_roles!(SqliteStore, sqlx::Sqlite);
crate::store::sql::idempotency::idempotency_role!(SqliteStore, sqlx::Sqlite);
crate::store::sql::campaign_control::campaign_control_role!(SqliteStore, sqlx::Sqlite);
crate::store::sql::lead_records::lead_records_role!(SqliteStore, sqlx::Sqlite);
crate::store::sql::import_jobs::import_jobs_role!(SqliteStore, sqlx::Sqlite);
crate::store::sql::catalog_edits::catalog_edits_role!(SqliteStore, sqlx::Sqlite);
crate::store::sql::activity::activity_roles!(SqliteStore, sqlx::Sqlite);
crate::store::sql::privacy::privacy_roles!(SqliteStore, sqlx::Sqlite);
crate::store::sql::reviews::reviews_role!(SqliteStore, sqlx::Sqlite);
crate::store::sql::usage::usage_role!(SqliteStore, sqlx::Sqlite);
crate::store::sql::insights::insights_role!(SqliteStore, sqlx::Sqlite);
crate::store::sql::replies::replies_role!(SqliteStore, sqlx::Sqlite);
crate::store::sql::personas::personas_role!(SqliteStore, sqlx::Sqlite);

impl SqliteStore {
    /// Opens (creating if missing) the database file named by `settings.url`. A `Daemon` first
    /// takes an exclusive lock on `<file>.lock` and fails with `Locked` if another daemon has it.
    pub async fn open(
        settings: &DatabaseSettings,
        cipher: SecretCipher,
        mode: OpenMode,
    ) -> Result<Self, StoreError> {
        let url = settings.url();
        let shown = redact_url(url);
        let connect_err = |source| StoreError::Connect {
            url: shown.clone(),
            source,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(connect_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // REGEXP, for lead search that ignores case beyond ASCII (store::sql::lead_records).
            .with_regexp();
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let file = options.get_filename().to_owned();
        let mut daemon_lock = None;
        if !in_memory {
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| connect_err(sqlx::Error::Io(e)))?;
            }
            if mode == OpenMode::Daemon {
                daemon_lock = Some(lock_exclusively(&file).map_err(|e| match e {
                    LockFailure::Held => StoreError::Locked(file.display().to_string()),
                    LockFailure::Io(e) => connect_err(sqlx::Error::Io(e)),
                })?);
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(settings.acquire_timeout.as_duration())
            .connect_with(options)
            .await
            .map_err(connect_err)?;
        Ok(Self {
            pool,
            cipher,
            write_lock: Mutex::new(()),
            _daemon_lock: daemon_lock,
        })
    }

    /// Starts a write transaction: waits for this process's earlier writers, then takes
    /// SQLite's write lock (`BEGIN IMMEDIATE`, waiting up to the busy timeout for others).
    pub(crate) async fn begin_write(&self) -> Result<WriteTx<'_>, StoreError> {
        let queue = self.write_lock.lock().await;
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .ctx("begin a write transaction")?;
        Ok(WriteTx { tx, _queue: queue })
    }

    /// A pooled connection for single-statement reads.
    async fn read(&self) -> Result<PoolConnection<Sqlite>, StoreError> {
        self.pool
            .acquire()
            .await
            .ctx("acquire a database connection")
    }

    /// One write statement: a write transaction like any other write.
    async fn one_write(&self) -> Result<WriteTx<'_>, StoreError> {
        self.begin_write().await
    }

    async fn upsert_campaign_in(
        &self,
        ws: WorkspaceId,
        spec: &CampaignSpec,
    ) -> Result<Upserted<Campaign>, StoreError> {
        campaign_write::upsert(self, ws, spec, sql::campaign_control::Target::Name).await
    }

    /// The upsert that only creates (see `store::CampaignControl::create_campaign`).
    async fn create_campaign_in(
        &self,
        ws: WorkspaceId,
        spec: &CampaignSpec,
    ) -> Result<Campaign, StoreError> {
        let created =
            campaign_write::upsert(self, ws, spec, sql::campaign_control::Target::New).await?;
        Ok(created.value)
    }

    /// The upsert of campaign `id` by id (see `store::CampaignControl::replace_campaign`).
    async fn replace_campaign_in(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
        spec: &CampaignSpec,
    ) -> Result<Upserted<Campaign>, StoreError> {
        campaign_write::upsert(self, ws, spec, sql::campaign_control::Target::Id(id)).await
    }

    /// A read transaction, so reads of several tables see one consistent state (under WAL it
    /// blocks no writer). Dropping it ends it.
    async fn snapshot(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool.begin().await.ctx("begin a read transaction")
    }
}
