//! Handles for an operator's actions (resolving `unknown` sends), wherever the service that
//! carries them out runs: the CLI process, or the daemon behind its API.

use metrics::{Counter, counter};

use crate::telemetry::catalogue::dispatch::UNKNOWN_RESOLVED;

pub struct OperatorMetrics {
    resolved_sent: Counter,
    resolved_resend: Counter,
}

impl OperatorMetrics {
    pub fn new() -> Self {
        Self {
            resolved_sent: counter!(UNKNOWN_RESOLVED, "resolution" => "sent"),
            resolved_resend: counter!(UNKNOWN_RESOLVED, "resolution" => "resend"),
        }
    }

    /// One `unknown` send resolved as sent.
    pub fn resolved_as_sent(&self) {
        self.resolved_sent.increment(1);
    }

    /// One `unknown` send queued to be sent again.
    pub fn resolved_as_resend(&self) {
        self.resolved_resend.increment(1);
    }
}

impl Default for OperatorMetrics {
    fn default() -> Self {
        Self::new()
    }
}
