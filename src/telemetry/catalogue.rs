//! The metric catalogue: every series outreachd exports, declared once.
//!
//! Names follow `outreachd_<noun>_<unit>[_total]`. Labels are bounded (outcome, stage, state,
//! provider class, error type; mailbox only on counters and gauges; never lead or message ids).
//! Histograms use explicit buckets. The README's metrics reference is generated from
//! [`CATALOGUE`] and a test keeps the two in sync.
#![allow(clippy::disallowed_macros)] // the one place allowed to name metrics

use std::sync::OnceLock;

use metrics::{Gauge, describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram(&'static [f64]),
}

#[derive(Clone, Copy, Debug)]
pub struct MetricDef {
    pub name: &'static str,
    pub kind: MetricKind,
    pub labels: &'static [&'static str],
    /// What it measures, then what to do when it moves.
    pub help: &'static str,
}

pub const BUILD_INFO: &str = "outreachd_build_info";
pub const DB_POOL_CONNECTIONS: &str = "outreachd_db_pool_connections";
pub const SENDS: &str = "outreachd_sends_total";
pub const SUPERVISOR_RECONCILES: &str = "outreachd_supervisor_reconciles_total";

pub const CATALOGUE: &[MetricDef] = &[
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
        name: SENDS,
        kind: MetricKind::Counter,
        labels: &["outcome"],
        help: "Send attempts by outcome: sent, retry, soft_bounced, bounced, failed, unknown, mailbox_throttled, mailbox_misconfigured. A rise in bounced means bad lead data; mailbox_throttled means providers push back: lower caps or warm up longer; unknown needs an operator to reconcile.",
    },
    MetricDef {
        name: SUPERVISOR_RECONCILES,
        kind: MetricKind::Counter,
        labels: &["result"],
        help: "Supervisor passes comparing wanted actors with running ones, by result (ok, error). A rising error rate means the store is unreachable: check the database.",
    },
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Handles to the process-wide metrics. Cheap to clone; resolve handles once per actor.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

impl Metrics {
    /// Installs the Prometheus recorder once per process (later calls share it) and describes
    /// every metric in the catalogue.
    pub fn install() -> Self {
        let handle = HANDLE.get_or_init(|| {
            let mut builder = PrometheusBuilder::new();
            for def in CATALOGUE {
                if let MetricKind::Histogram(buckets) = def.kind
                    && !buckets.is_empty()
                {
                    builder = builder
                        .set_buckets_for_metric(Matcher::Full(def.name.to_owned()), buckets)
                        // Infallible: it only rejects an empty bucket list, excluded above.
                        .expect("non-empty bucket list");
                }
            }
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first (never in this binary).
            let _ = metrics::set_global_recorder(recorder);
            for def in CATALOGUE {
                match def.kind {
                    MetricKind::Counter => describe_counter!(def.name, def.help),
                    MetricKind::Gauge => describe_gauge!(def.name, def.help),
                    MetricKind::Histogram(_) => describe_histogram!(def.name, def.help),
                }
            }
            gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            handle
        });
        Self {
            handle: handle.clone(),
        }
    }

    /// The Prometheus text exposition for `/metrics`.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Drains histogram buffers; call periodically (the daemon does every 5 s).
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }

    pub fn db_pool(&self) -> DbPoolGauges {
        DbPoolGauges {
            in_use: gauge!(DB_POOL_CONNECTIONS, "state" => "in_use"),
            idle: gauge!(DB_POOL_CONNECTIONS, "state" => "idle"),
        }
    }

    /// Per-outcome send counters, resolved once (call per actor, not per message).
    pub fn send_counters(&self) -> SendCounters {
        let c = |outcome: &'static str| metrics::counter!(SENDS, "outcome" => outcome);
        SendCounters {
            sent: c("sent"),
            retry: c("retry"),
            soft_bounced: c("soft_bounced"),
            bounced: c("bounced"),
            failed: c("failed"),
            unknown: c("unknown"),
            throttled: c("mailbox_throttled"),
            misconfigured: c("mailbox_misconfigured"),
        }
    }

    pub fn supervisor_reconcile(&self, ok: bool) {
        metrics::counter!(SUPERVISOR_RECONCILES, "result" => if ok { "ok" } else { "error" })
            .increment(1);
    }
}

pub struct SendCounters {
    pub sent: metrics::Counter,
    pub retry: metrics::Counter,
    pub soft_bounced: metrics::Counter,
    pub bounced: metrics::Counter,
    pub failed: metrics::Counter,
    pub unknown: metrics::Counter,
    pub throttled: metrics::Counter,
    pub misconfigured: metrics::Counter,
}

pub struct DbPoolGauges {
    pub in_use: Gauge,
    pub idle: Gauge,
}

impl DbPoolGauges {
    pub fn set(&self, stats: crate::store::PoolStats) {
        self.in_use
            .set(f64::from(stats.size.saturating_sub(stats.idle)));
        self.idle.set(f64::from(stats.idle));
    }
}

/// Markdown table of the catalogue, for the README's metrics reference.
pub fn markdown_reference() -> String {
    let mut out =
        String::from("| metric | type | labels | meaning and action |\n|---|---|---|---|\n");
    for def in CATALOGUE {
        let kind = match def.kind {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram(_) => "histogram",
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            def.name,
            kind,
            def.labels.join(", "),
            def.help
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's metrics reference is generated from the catalogue. Regenerate it with
    /// `OUTREACHD_BLESS=1 cargo test --lib readme_metrics_reference`.
    #[test]
    fn readme_metrics_reference_matches_the_catalogue() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let (start, end) = ("<!-- metrics:start -->\n", "<!-- metrics:end -->");
        let a = readme.find(start).expect("start marker") + start.len();
        let b = readme.find(end).expect("end marker");
        let expected = markdown_reference();
        if std::env::var("OUTREACHD_BLESS").is_ok() {
            let updated = format!("{}{}{}", &readme[..a], expected, &readme[b..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        assert_eq!(
            &readme[a..b],
            expected,
            "README metrics reference is stale: run with OUTREACHD_BLESS=1"
        );
    }

    #[test]
    fn every_metric_is_well_named_and_documented() {
        let mut names = std::collections::HashSet::new();
        for def in CATALOGUE {
            assert!(def.name.starts_with("outreachd_"), "{}", def.name);
            assert!(names.insert(def.name), "{} declared twice", def.name);
            assert!(
                def.help.len() > 40,
                "{} needs help text that says what to do",
                def.name
            );
            match def.kind {
                MetricKind::Counter => assert!(def.name.ends_with("_total"), "{}", def.name),
                MetricKind::Histogram(b) => assert!(!b.is_empty(), "{}", def.name),
                MetricKind::Gauge => assert!(!def.name.ends_with("_total"), "{}", def.name),
            }
            assert!(
                !def.labels
                    .iter()
                    .any(|l| l.contains("lead") || l.contains("message"))
            );
        }
    }
}
