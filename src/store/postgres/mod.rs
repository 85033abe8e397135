//! The PostgreSQL backend (production; several daemons may share one database).
//!
//! This file connects the pool. Each role trait is implemented in the file that owns its SQL:
//! `meta` (migrations, readiness, key canary), `workspaces`, `mailboxes`, `products`,
//! `campaigns` (+ `campaign_write` for the upsert), `leads`, `suppressions`, `enroll`, `report`
//! and `inbound`. Bulk paths (`insert_leads`, `enroll_leads`) bind whole columns
//! as arrays and `UNNEST` them, so a batch costs a fixed number of round trips whatever its size.
//!
//! The step contract lives in `dispatch_claim` (one `SKIP LOCKED` statement per claim),
//! `dispatch_send` (stored text, `claimed → sending` one by one or per batch, lease expiry),
//! `dispatch_complete`, `dispatch_batch` and `dispatch_outcomes` (one statement per outcome
//! kind per batch) and `dispatch_misc` (the `Dispatch` impl and what the supervisor reads); `deadlock`
//! retries a unit PostgreSQL aborted to break one.

mod campaign_write;

mod dispatch_batch;
mod dispatch_claim;
mod dispatch_complete;
mod dispatch_generated;
mod dispatch_misc;
mod dispatch_outcomes;
mod dispatch_prefetch;
mod dispatch_send;
mod enroll;
mod leads;
mod meta;
mod plans;
mod suppressions;

#[cfg(test)]
mod tests;

use std::str::FromStr;

use chrono::DateTime;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

use super::*;
use crate::config::{Backend, DatabaseSettings, redact_url};
use crate::domain::*;

/// A `Store` over a PostgreSQL connection pool.
pub struct PgStore {
    pool: PgPool,
    cipher: SecretCipher,
}

impl PgStore {
    /// Connects eagerly, so a wrong URL, password or host fails at start-up with the (redacted)
    /// URL in the message, not at the first query. `open` connections are opened at once: one
    /// for a tool, the whole pool for the daemon. A new connection costs a TLS handshake (about
    /// 90 ms on loopback with the default `sslmode=prefer`, against 6 ms without TLS), and a
    /// daemon that opened them one by one as load grew made an actor wait for each one in its
    /// first second of sending; opened together they cost one handshake's time.
    pub async fn connect(
        settings: &DatabaseSettings,
        cipher: SecretCipher,
        open: Opened,
    ) -> Result<Self, StoreError> {
        let url = settings.url();
        let connect_error = |source| StoreError::Connect {
            url: redact_url(url),
            source,
        };
        let options = PgConnectOptions::from_str(url)
            .map_err(connect_error)?
            .application_name("outreachd");
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout.as_duration())
            .connect_lazy_with(options);
        let count = match open {
            Opened::One => 1,
            Opened::All => settings.max_connections.max(1),
        };
        let opened = futures_util::future::join_all((0..count).map(|_| pool.acquire())).await;
        let mut failures = opened.into_iter().filter_map(Result::err);
        // The pool stays usable if only some failed (the server's connection limit, say):
        // queries report their own errors. None opened: the settings are wrong.
        if let Some(first) = failures.next() {
            let failed = 1 + failures.count();
            if failed == count as usize {
                return Err(connect_error(first));
            }
            tracing::warn!(failed, error = %first, "Some database connections could not be opened yet.");
        }
        Ok(Self { pool, cipher })
    }
}

/// How this store reads and writes, for the role impls `shared_roles!` stamps (see
/// `store::sql::roles`).
impl PgStore {
    /// A pooled connection, for the statements shared in `store::sql`.
    async fn read(&self) -> Result<PoolConnection<Postgres>, StoreError> {
        self.pool
            .acquire()
            .await
            .ctx("acquire a database connection")
    }

    /// Several reads that belong together: a pooled connection (each statement sees the
    /// committed state of its own moment; none of these reads needs more).
    async fn snapshot(&self) -> Result<PoolConnection<Postgres>, StoreError> {
        self.read().await
    }

    pub(crate) async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let tx = self.pool.begin().await.ctx("begin a write transaction")?;
        Ok(WriteTx(Unit::Transaction(tx)))
    }

    /// One write statement needs no transaction of its own: it runs in autocommit.
    async fn one_write(&self) -> Result<WriteTx, StoreError> {
        Ok(WriteTx(Unit::Autocommit(self.read().await?)))
    }

    async fn upsert_campaign_in(
        &self,
        ws: WorkspaceId,
        spec: &CampaignSpec,
    ) -> Result<Upserted<Campaign>, StoreError> {
        campaign_write::upsert(&self.pool, ws, spec, sql::campaign_control::Target::Name).await
    }

    /// The upsert that only creates (see `store::CampaignControl::create_campaign`).
    async fn create_campaign_in(
        &self,
        ws: WorkspaceId,
        spec: &CampaignSpec,
    ) -> Result<Campaign, StoreError> {
        let created =
            campaign_write::upsert(&self.pool, ws, spec, sql::campaign_control::Target::New)
                .await?;
        Ok(created.value)
    }

    /// The upsert of campaign `id` by id (see `store::CampaignControl::replace_campaign`).
    async fn replace_campaign_in(
        &self,
        ws: WorkspaceId,
        id: CampaignId,
        spec: &CampaignSpec,
    ) -> Result<Upserted<Campaign>, StoreError> {
        campaign_write::upsert(&self.pool, ws, spec, sql::campaign_control::Target::Id(id)).await
    }
}

crate::store::sql::roles::shared_roles!(PgStore, sqlx::Postgres);
crate::store::sql::idempotency::idempotency_role!(PgStore, sqlx::Postgres);
crate::store::sql::campaign_control::campaign_control_role!(PgStore, sqlx::Postgres);
crate::store::sql::lead_records::lead_records_role!(PgStore, sqlx::Postgres);
crate::store::sql::import_jobs::import_jobs_role!(PgStore, sqlx::Postgres);
crate::store::sql::catalog_edits::catalog_edits_role!(PgStore, sqlx::Postgres);
crate::store::sql::activity::activity_roles!(PgStore, sqlx::Postgres);
crate::store::sql::privacy::privacy_roles!(PgStore, sqlx::Postgres);
crate::store::sql::reviews::reviews_role!(PgStore, sqlx::Postgres);
crate::store::sql::usage::usage_role!(PgStore, sqlx::Postgres);
crate::store::sql::insights::insights_role!(PgStore, sqlx::Postgres);
crate::store::sql::replies::replies_role!(PgStore, sqlx::Postgres);
crate::store::sql::personas::personas_role!(PgStore, sqlx::Postgres);

/// A write unit: a transaction, or one autocommitted statement.
pub(crate) struct WriteTx(Unit);

enum Unit {
    Transaction(Transaction<'static, Postgres>),
    Autocommit(PoolConnection<Postgres>),
}

impl WriteTx {
    pub(crate) fn conn(&mut self) -> &mut PgConnection {
        match &mut self.0 {
            Unit::Transaction(tx) => tx,
            Unit::Autocommit(conn) => conn,
        }
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self.0 {
            Unit::Transaction(tx) => tx.commit().await.ctx("commit a write transaction"),
            Unit::Autocommit(_) => Ok(()),
        }
    }
}

/// How many connections [`PgStore::connect`] opens before it returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opened {
    One,
    All,
}
