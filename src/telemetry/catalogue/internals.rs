//! The daemon itself: build, database pool, supervision and errors.

use super::{MetricDef, MetricKind};

pub const BUILD_INFO: &str = "outreachd_build_info";
pub const DB_POOL_CONNECTIONS: &str = "outreachd_db_pool_connections";
pub const SUPERVISOR_RECONCILES: &str = "outreachd_supervisor_reconciles_total";
pub const ACTOR_RESTARTS: &str = "outreachd_actor_restarts_total";
pub const ERRORS: &str = "outreachd_errors_total";
pub use crate::telemetry::reload::CONFIG_RELOADS;

pub const DEFS: &[MetricDef] = &[
    MetricDef {
        name: BUILD_INFO,
        kind: MetricKind::Gauge,
        labels: &["version"],
        help: "Always 1; the version label says which build runs. Two values at once during a rollout is normal, for longer it means a stuck deploy.",
    },
    MetricDef {
        name: DB_POOL_CONNECTIONS,
        kind: MetricKind::Gauge,
        labels: &["state"],
        help: "Database pool connections by state (in_use, idle). in_use pinned at database.max_connections means queries queue: raise the pool or find the slow query.",
    },
    MetricDef {
        name: SUPERVISOR_RECONCILES,
        kind: MetricKind::Counter,
        labels: &["result"],
        help: "Supervisor passes comparing wanted actors with running ones, by result (ok, error). A rising error rate means the store is unreachable: check the database.",
    },
    MetricDef {
        name: ACTOR_RESTARTS,
        kind: MetricKind::Counter,
        labels: &["actor"],
        help: "Actors (mailbox, campaign, imap_poller) that stopped unexpectedly or failed to start and are restarted after backoff. More than a few per hour is a crash loop: read the daemon's ERROR logs for the actor and fix the cause (store, credentials, a bad row).",
    },
    MetricDef {
        name: ERRORS,
        kind: MetricKind::Counter,
        labels: &["stage", "type"],
        help: "Errors by pipeline stage (claim, generate, store, smtp, imap, completion, supervisor) and type. A sustained rate in one stage points at its dependency: the database for claim/store/completion, the LLM provider for generate, relays for smtp. smtp counts every send without a clean 2xx, by type: connect, connection, tls, timeout, auth, protocol (set-up refused) point at the relay or the mailbox's settings; throttled at sending reputation or rates; rejected (bounces, content) at the list or the message.",
    },
    MetricDef {
        name: CONFIG_RELOADS,
        kind: MetricKind::Counter,
        labels: &["result"],
        help: "Configuration reloads (SIGHUP or file change) by result (ok, rejected). A rejected reload leaves the old configuration in force: read the daemon's log line for the reason, fix the file and reload again.",
    },
];
