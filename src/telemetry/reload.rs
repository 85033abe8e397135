//! The configuration reload counter (`outreachd_config_reloads_total`, declared in the
//! catalogue). Kept apart from the catalogue's own handles so the reload code owns its metric.
#![allow(clippy::disallowed_macros)] // telemetry is the one place allowed to name metrics

use super::Metrics;

/// The catalogue name of the reload counter.
pub const CONFIG_RELOADS: &str = "outreachd_config_reloads_total";

impl Metrics {
    /// Counts one reload attempt: `ok`, or `rejected` (the old configuration stays in force).
    pub fn config_reload(&self, ok: bool) {
        metrics::counter!(CONFIG_RELOADS, "result" => if ok { "ok" } else { "rejected" })
            .increment(1);
    }
}
