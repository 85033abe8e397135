//! The process-wide Prometheus recorder: installed once, described from the catalogue, rendered
//! for `/metrics`. [`Metrics`] is the entry point other modules hold; it hands out the typed
//! handle structs of `telemetry::handles`.
#![allow(clippy::disallowed_macros)] // the one place allowed to name metrics

use std::sync::OnceLock;

use metrics::{describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::catalogue::internals::{BUILD_INFO, ERRORS};
use super::catalogue::{MetricKind, all};

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
            for def in all() {
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
            for def in all() {
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

    /// Counts one error of `kind` in `stage`. Errors are rare, so this looks the series up
    /// each time; both labels must come from a fixed set of literals (bounded).
    pub fn error(&self, stage: &'static str, kind: &'static str) {
        metrics::counter!(ERRORS, "stage" => stage, "type" => kind).increment(1);
    }
}
