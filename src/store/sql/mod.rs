//! SQL written once for both backends: statements that read the same in the PostgreSQL
//! and the SQLite dialect. Placeholders are `$N` (sqlx-sqlite binds `$N` to the N-th argument,
//! as PostgreSQL does); no casts, no date arithmetic (times are computed in Rust and bound by
//! each backend in its own form: `DateTime<Utc>` on PostgreSQL, fixed-width text on SQLite).
//!
//! Each family of shared statements is a trait of default methods (`catalog::CatalogSql`,
//! `inbound::InboundSql`, `operator::OperatorSql`, `pollers::PollerSql`, `reads::Reads`,
//! `summary::SummarySql`) implemented by `sqlx::Postgres` and `sqlx::Sqlite`: its where-clauses
//! name the types the statements bind and read, so the bodies are checked once as generic code,
//! and a backend calls them as `<sqlx::Postgres as Reads>::lead_ids(conn, ws)`. What differs (the
//! claim with `SKIP LOCKED`, batch statements over arrays or JSON rows, writes that SQLite queues
//! behind its write lock) stays in the backend's own files.

pub(crate) mod access;
pub(crate) mod activity;
pub(crate) mod campaign_control;
pub(crate) mod catalog;
pub(crate) mod catalog_edits;
pub(crate) mod idempotency;
pub(crate) mod import_jobs;
pub(crate) mod inbound;
pub(crate) mod insights;
pub(crate) mod lead_records;
pub(crate) mod operator;
pub(crate) mod personas;
pub(crate) mod pollers;
pub(crate) mod privacy;
pub(crate) mod reads;
pub(crate) mod replies;
pub(crate) mod reviews;
pub(crate) mod roles;
pub(crate) mod summary;
pub(crate) mod usage;

use chrono::{DateTime, Utc};

/// Moves the lead of a send resolved from `unknown` (by an operator or by the IMAP
/// reconciliation) as a completed send would: `$1` campaign lead, `$2` workspace fence (or
/// `NULL`), `$3` status, `$4` next step, `$5` due, `$6` thread Message-ID, `$7` now, `$8` the
/// step sent. A lead leased or moved on meanwhile is left alone.
pub(crate) const ADVANCE_RESOLVED_LEAD: &str = "UPDATE campaign_leads SET status = $3, \
    current_step_order = $4, next_scheduled_at = $5, \
    thread_message_id = COALESCE(thread_message_id, $6), \
    first_subject = COALESCE(first_subject, (SELECT g.subject FROM generated_messages g \
        WHERE g.campaign_lead_id = $1 AND g.step_order = 1)), \
    updated_at = $7 \
    WHERE id = $1 AND ($2 IS NULL OR workspace_id = $2) AND status = 'active' \
        AND current_step_order = $8 AND lease_token IS NULL";

/// Counts a send resolved from `unknown` as sent in its campaign's `emails_sent`, as a
/// delivered send's completion does: `$1` campaign lead (already fenced by the send's update).
pub(crate) const COUNT_RESOLVED_SEND: &str = "UPDATE campaigns SET emails_sent = emails_sent + 1 \
    WHERE id = (SELECT campaign_id FROM campaign_leads WHERE id = $1)";

/// Makes the lead of a send requeued from `unknown` due: `$1` campaign lead, `$2` workspace
/// fence (or `NULL`), `$3` due, `$4` now.
pub(crate) const REQUEUE_RESOLVED_LEAD: &str = "UPDATE campaign_leads \
    SET next_scheduled_at = $3, updated_at = $4 \
    WHERE id = $1 AND ($2 IS NULL OR workspace_id = $2) AND status = 'active' \
        AND lease_token IS NULL";

/// What the shared statements need to know of a backend: how it binds a timestamp, and how many
/// rows a statement changed (sqlx has no common method for that).
pub(crate) trait Dialect: sqlx::Database {
    type Time: for<'q> sqlx::Encode<'q, Self> + sqlx::Type<Self> + Send + 'static;

    /// What locks the rows a `SELECT` read until the transaction ends.
    const FOR_UPDATE: &'static str;

    fn time(t: DateTime<Utc>) -> Self::Time;

    fn rows_affected(done: &Self::QueryResult) -> u64;
}

impl Dialect for sqlx::Postgres {
    type Time = DateTime<Utc>;

    const FOR_UPDATE: &'static str = " FOR UPDATE";

    fn time(t: DateTime<Utc>) -> Self::Time {
        t
    }

    fn rows_affected(done: &Self::QueryResult) -> u64 {
        done.rows_affected()
    }
}

/// SQLite keeps timestamps as fixed-width RFC 3339 text (see `sqlite::ts`).
impl Dialect for sqlx::Sqlite {
    type Time = String;

    /// Nothing: a SQLite write transaction (`BEGIN IMMEDIATE` behind the store's write lock)
    /// already keeps every other writer out.
    const FOR_UPDATE: &'static str = "";

    fn time(t: DateTime<Utc>) -> Self::Time {
        super::sqlite::ts(t)
    }

    fn rows_affected(done: &Self::QueryResult) -> u64 {
        done.rows_affected()
    }
}

/// A type both bound as a parameter and read from a column of the backend `DB`.
pub(crate) trait Bound<'q, DB: sqlx::Database>:
    sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>
{
}

impl<'q, DB: sqlx::Database, T> Bound<'q, DB> for T where
    T: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>
{
}
