//! The HTTP API: requests by route and status, and their latency.

use super::{MetricDef, MetricKind};

pub const REQUESTS: &str = "outreachd_http_requests_total";
pub const DURATION: &str = "outreachd_http_request_duration_seconds";

/// API reads answer in milliseconds; imports and Run Now may take seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

pub const DEFS: &[MetricDef] = &[
    MetricDef {
        name: REQUESTS,
        kind: MetricKind::Counter,
        labels: &["method", "route", "status"],
        help: "HTTP requests answered, by method, route template (`/api/v1/leads/{id}`; `unmatched` for unknown paths) and status code. A rising share of 5xx is a bug or an unreachable database: read the daemon's log; many 401 or 429 from one client means a bad or over-eager integration.",
    },
    MetricDef {
        name: DURATION,
        kind: MetricKind::Histogram(BUCKETS),
        labels: &["method", "route"],
        help: "Seconds to answer an HTTP request, by method and route template. A rising p99 on list and stats routes means the database is slow or a query lost its index: check the database and the route's plan.",
    },
];
