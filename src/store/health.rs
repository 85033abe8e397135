//! The store's own health, as the daemon reports it: readiness for `/readyz` and pool occupancy
//! for the connection-pool gauges. Tenant data lives in `domain`.

use serde::Serialize;

/// Whether the store can serve the daemon (for `/readyz`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub reachable: bool,
    pub migrations_pending: u32,
}

/// Connection pool occupancy, for the DB pool gauges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
}
