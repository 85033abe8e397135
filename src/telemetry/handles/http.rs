//! Recording one answered HTTP request. Route templates are bounded (the API's own), so the
//! series count stays small; an unknown path is recorded as `unmatched`, never as its text.

use std::time::Duration;

use metrics::{counter, histogram};

use crate::telemetry::catalogue::http::{DURATION, REQUESTS};

pub struct HttpMetrics;

impl HttpMetrics {
    pub fn record(method: &str, route: Option<&str>, status: u16, elapsed: Duration) {
        let route = route.unwrap_or("unmatched").to_owned();
        let method = method.to_owned();
        counter!(REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
            .increment(1);
        histogram!(DURATION, "method" => method, "route" => route).record(elapsed.as_secs_f64());
    }
}
