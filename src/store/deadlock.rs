//! Retrying a statement or transaction that PostgreSQL aborted to break a deadlock.
//!
//! Every dispatch writer locks a send's `campaign_leads` row before its `email_sends` row, and
//! claims skip locked rows, so a claim and a completion never wait on each other in a cycle.
//! Batches can still meet in a cycle (two completion batches bouncing the same lead in two
//! campaigns, a domain suppression crossing a completion batch). PostgreSQL then aborts one of
//! them with `40P01`; the whole unit is idempotent from its start, so running it again is right.

use std::future::Future;

use crate::store::StoreError;

/// Attempts in all, including the first. Deadlocks are rare; three in a row means contention
/// worth surfacing as an error rather than hiding.
const ATTEMPTS: u32 = 3;

fn is_deadlock(error: &StoreError) -> bool {
    match error {
        StoreError::Query {
            source: sqlx::Error::Database(db),
            ..
        } => db.code().as_deref() == Some("40P01"),
        _ => false,
    }
}

/// Runs `unit` again (up to [`ATTEMPTS`] times in all) while it fails with a deadlock.
pub(crate) async fn retrying<T, F, Fut>(mut unit: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut attempt = 1;
    loop {
        match unit().await {
            Err(e) if attempt < ATTEMPTS && is_deadlock(&e) => {
                tracing::debug!(attempt, error = %e, "Deadlock broken by PostgreSQL; retrying.");
                attempt += 1;
            }
            other => return other,
        }
    }
}
