//! The supervisor's bookkeeping around a pass: reloading campaign actors after an apply from
//! another process, the due-backlog gauge, and the `--until-idle` stop.

use crate::domain::CampaignDue;
use std::time::Duration;

use chrono::Utc;

use super::Supervisor;

/// How often the supervisor counts the due backlog for the metrics.
const BACKLOG_EVERY: Duration = Duration::from_secs(5);

impl Supervisor {
    /// An apply from another process changed a running campaign: its actor reloads the plan.
    /// One query per pass, however many campaigns run.
    pub(super) async fn reload_changed_campaigns(&mut self) {
        match self.ctx.store.campaigns_changed_at().await {
            Ok(latest) => {
                if self.campaigns_changed_at.is_some() && latest > self.campaigns_changed_at {
                    tracing::info!(
                        "A running campaign changed; campaign actors reload their plan."
                    );
                    self.reload_all();
                }
                self.campaigns_changed_at = latest;
            }
            Err(e) => tracing::warn!(error = %e, "Cannot read when campaigns last changed."),
        }
    }

    /// Refreshes the due-backlog gauge: free when nothing is due, else one capped count every
    /// [`BACKLOG_EVERY`].
    pub(super) async fn count_backlog(&mut self, due: &[CampaignDue]) {
        let now = Utc::now();
        if !due.iter().any(|c| c.next_due.is_some_and(|t| t <= now)) {
            self.metrics.due_backlog(0);
            return;
        }
        if self
            .backlog_read_at
            .is_some_and(|at| at.elapsed() < BACKLOG_EVERY)
        {
            return;
        }
        self.backlog_read_at = Some(tokio::time::Instant::now());
        let cap = crate::telemetry::catalogue::dispatch::DUE_BACKLOG_CAP;
        match self.ctx.store.due_backlog(now, cap).await {
            Ok(steps) => self.metrics.due_backlog(steps),
            Err(e) => {
                tracing::warn!(error = %e, "Cannot count the due backlog.");
                self.ctx.metrics.error("supervisor", "store");
            }
        }
    }

    pub(super) fn check_idle(&mut self, due: &[CampaignDue]) {
        let Some(period) = self.options.until_idle else {
            return;
        };
        let horizon = Utc::now() + chrono::TimeDelta::from_std(period).unwrap_or_default();
        let busy = self.handle.in_flight() > 0
            || due.iter().any(|c| c.next_due.is_some_and(|t| t <= horizon));
        if busy {
            self.idle_since = None;
            return;
        }
        let since = *self
            .idle_since
            .get_or_insert_with(tokio::time::Instant::now);
        if since.elapsed() >= period {
            tracing::info!("Nothing in flight and nothing due: stopping (--until-idle).");
            self.shutdown.cancel();
        }
    }
}
