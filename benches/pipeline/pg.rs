//! PostgreSQL chores of the end-to-end run: a throw-away database, what the server counted
//! while the daemon ran (commits, rows, time spent in statements), and an optional sampler of
//! `pg_stat_activity` that shows which statements the daemon waits on.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use sqlx::{Connection, PgConnection};

/// Creates `outreachd_bench_<uuid>` on the server of `admin_url`; returns its name and URL.
/// `settings` (`name=value`) apply to this database only, for experiments and profiling:
/// `synchronous_commit=off` shows how much of the run waits for WAL flushes;
/// `session_preload_libraries=auto_explain` with `auto_explain.log_min_duration=5ms` logs the
/// plans of slow statements to the server log. Never settings to run the daemon with.
pub async fn create_database(
    admin_url: &str,
    settings: &[(String, String)],
) -> anyhow::Result<(String, String)> {
    let name = format!("outreachd_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("Failed to connect to PostgreSQL at {admin_url}"))?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .context("Failed to create the bench database")?;
    for (key, value) in settings {
        // Names and values go into the SQL text (SET takes no parameters): allow only the
        // characters setting names and simple values use.
        let plain = |s: &str, extra: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.".contains(c) || extra.contains(c))
        };
        if !plain(key, "") || !plain(value, ",") {
            anyhow::bail!("database setting {key}={value:?} has unexpected characters");
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE \"{name}\" SET {key} = '{value}'"
        )))
        .execute(&mut conn)
        .await
        .with_context(|| format!("Failed to set {key} on the bench database"))?;
    }
    // Same server and options (e.g. `?sslmode=disable`), another database.
    let (address, query) = admin_url
        .split_once('?')
        .map_or((admin_url, ""), |(a, q)| (a, q));
    let base = address.rsplit_once('/').map_or(address, |(b, _)| b);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    Ok((name.clone(), format!("{base}/{name}{query}")))
}

/// Drops the database, closing connections still open (`FORCE`).
pub async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(admin_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .context("Failed to drop the bench database")?;
    Ok(())
}

/// Server-side counters of one database (`pg_stat_database`).
#[derive(Clone, Copy, Debug, Default, Serialize, sqlx::FromRow)]
pub struct DbCounters {
    pub xact_commit: i64,
    pub xact_rollback: i64,
    pub tup_inserted: i64,
    pub tup_updated: i64,
    pub tup_deleted: i64,
    pub tup_returned: i64,
    /// Milliseconds backends spent executing statements.
    pub active_time_ms: f64,
    /// Shared-buffer pages read (found in memory, or from the OS): the work of the statements.
    pub blks_hit: i64,
    pub blks_read: i64,
    /// WAL the server wrote (`pg_stat_wal`: the whole server, but the bench is alone on it
    /// while it runs). Unlike times, these counts do not move with the machine's load.
    pub wal_records: i64,
    pub wal_bytes: i64,
}

impl DbCounters {
    pub fn minus(&self, earlier: &DbCounters) -> DbCounters {
        DbCounters {
            xact_commit: self.xact_commit - earlier.xact_commit,
            xact_rollback: self.xact_rollback - earlier.xact_rollback,
            tup_inserted: self.tup_inserted - earlier.tup_inserted,
            tup_updated: self.tup_updated - earlier.tup_updated,
            tup_deleted: self.tup_deleted - earlier.tup_deleted,
            tup_returned: self.tup_returned - earlier.tup_returned,
            active_time_ms: self.active_time_ms - earlier.active_time_ms,
            blks_hit: self.blks_hit - earlier.blks_hit,
            blks_read: self.blks_read - earlier.blks_read,
            wal_records: self.wal_records - earlier.wal_records,
            wal_bytes: self.wal_bytes - earlier.wal_bytes,
        }
    }
}

/// The counters once every backend of the database has exited (a backend flushes its
/// statistics when it exits; idle ones only every few seconds).
pub async fn counters_when_quiet(admin_url: &str, name: &str) -> anyhow::Result<DbCounters> {
    let mut conn = PgConnection::connect(admin_url).await?;
    for _ in 0..100 {
        let open: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
                .bind(name)
                .fetch_one(&mut conn)
                .await?;
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Statistics reach the shared view shortly after a backend exits.
    tokio::time::sleep(Duration::from_millis(700)).await;
    sqlx::query("SELECT pg_stat_clear_snapshot()")
        .execute(&mut conn)
        .await?;
    let counters = sqlx::query_as(
        "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, \
             tup_returned, active_time AS active_time_ms, blks_hit, blks_read, \
             (SELECT wal_records FROM pg_stat_wal) AS wal_records, \
             (SELECT wal_bytes::int8 FROM pg_stat_wal) AS wal_bytes \
         FROM pg_stat_database WHERE datname = $1",
    )
    .bind(name)
    .fetch_one(&mut conn)
    .await
    .context("Failed to read pg_stat_database")?;
    Ok(counters)
}

/// Samples the database's active statements every `every` until stopped; tallies
/// (wait event, statement start) pairs and the number of busy backends.
pub struct ActivitySampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<anyhow::Result<Activity>>,
}

#[derive(Debug, Default, Serialize)]
pub struct Activity {
    pub samples: u64,
    /// Mean number of backends running a statement of this database.
    pub mean_active_backends: f64,
    /// The most frequent (wait event | statement) pairs, with their share of samples.
    pub top: Vec<(String, f64)>,
}

impl ActivitySampler {
    pub async fn start(admin_url: &str, name: &str, every: Duration) -> anyhow::Result<Self> {
        let mut conn = PgConnection::connect(admin_url).await?;
        let name = name.to_owned();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut tally: HashMap<String, u64> = HashMap::new();
            let (mut samples, mut active) = (0u64, 0u64);
            while !flag.load(Ordering::Relaxed) {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU'), \
                         left(regexp_replace(query, '\\s+', ' ', 'g'), 70) \
                     FROM pg_stat_activity \
                     WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()",
                )
                .bind(&name)
                .fetch_all(&mut conn)
                .await?;
                samples += 1;
                active += rows.len() as u64;
                for (wait, query) in rows {
                    *tally.entry(format!("{wait} | {query}")).or_default() += 1;
                }
                tokio::time::sleep(every).await;
            }
            let mut top: Vec<(String, u64)> = tally.into_iter().collect();
            top.sort_by_key(|t| std::cmp::Reverse(t.1));
            let n = samples.max(1) as f64;
            Ok(Activity {
                samples,
                mean_active_backends: active as f64 / n,
                top: top
                    .into_iter()
                    .take(12)
                    .map(|(k, c)| (k, c as f64 / n))
                    .collect(),
            })
        });
        Ok(Self { stop, task })
    }

    pub async fn finish(self) -> anyhow::Result<Activity> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await?
    }
}
