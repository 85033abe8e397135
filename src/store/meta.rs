//! The store's own housekeeping: which backend it is, migrations, the encryption-key canary,
//! readiness and pool occupancy. No tenant data.

use async_trait::async_trait;

use super::{PoolStats, Readiness, StoreError};
use crate::config::Backend;

/// The store's own housekeeping, for start-up, `/readyz` and the pool gauges.
#[async_trait]
pub trait Meta: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Applies pending migrations; a no-op when there are none.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Checks the configured encryption key against the canary stored on first use (and stores
    /// one if there is none yet), so a wrong key fails at start-up, not at the first send.
    async fn verify_encryption_key(&self) -> Result<(), StoreError>;

    /// Is the database reachable, and are all migrations applied?
    async fn readiness(&self) -> Readiness;

    fn pool_stats(&self) -> PoolStats;
}
