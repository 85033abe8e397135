//! Handles for the supervisor: reconcile passes, restarts, the due backlog (from its
//! campaigns-due query, so it costs no extra query), mailbox states, in-flight sends and the
//! database pool.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use metrics::{Counter, Gauge, counter, gauge};

use crate::domain::{CampaignId, MailboxStatus};
use crate::telemetry::catalogue::dispatch::{
    CAMPAIGN_DUE_AGE, DUE_BACKLOG, DUE_CAMPAIGNS, DUE_OLDEST_AGE, MAILBOX_STATE, MAILBOXES,
    SENDS_IN_FLIGHT,
};
use crate::telemetry::catalogue::internals::{
    ACTOR_RESTARTS, DB_POOL_CONNECTIONS, SUPERVISOR_RECONCILES,
};

/// Which kind of actor was restarted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    Mailbox,
    Campaign,
}

const STATES: &[MailboxStatus] = MailboxStatus::ALL;

pub struct SupervisorMetrics {
    reconcile_ok: Counter,
    reconcile_error: Counter,
    restarts_mailbox: Counter,
    restarts_campaign: Counter,
    due_oldest_age: Gauge,
    due_campaigns: Gauge,
    due_backlog: Gauge,
    in_flight: Gauge,
    mailboxes_by_state: Vec<Gauge>,
    /// Per campaign and per mailbox gauges seen in earlier passes, to zero them once gone.
    campaign_due_age: HashMap<CampaignId, Gauge>,
    mailbox_state: HashMap<String, Vec<Gauge>>,
    pub db_pool: DbPoolGauges,
}

impl SupervisorMetrics {
    pub(super) fn new() -> Self {
        Self {
            reconcile_ok: counter!(SUPERVISOR_RECONCILES, "result" => "ok"),
            reconcile_error: counter!(SUPERVISOR_RECONCILES, "result" => "error"),
            restarts_mailbox: counter!(ACTOR_RESTARTS, "actor" => "mailbox"),
            restarts_campaign: counter!(ACTOR_RESTARTS, "actor" => "campaign"),
            due_oldest_age: gauge!(DUE_OLDEST_AGE),
            due_campaigns: gauge!(DUE_CAMPAIGNS),
            due_backlog: gauge!(DUE_BACKLOG),
            in_flight: gauge!(SENDS_IN_FLIGHT),
            mailboxes_by_state: STATES
                .iter()
                .map(|s| gauge!(MAILBOXES, "state" => s.as_str()))
                .collect(),
            campaign_due_age: HashMap::new(),
            mailbox_state: HashMap::new(),
            db_pool: DbPoolGauges::new(),
        }
    }

    pub fn reconciled(&self, ok: bool) {
        if ok {
            self.reconcile_ok.increment(1);
        } else {
            self.reconcile_error.increment(1);
        }
    }

    pub fn restarted(&self, actor: ActorKind) {
        match actor {
            ActorKind::Mailbox => self.restarts_mailbox.increment(1),
            ActorKind::Campaign => self.restarts_campaign.increment(1),
        }
    }

    /// Lead steps due now (as counted by the store, capped).
    pub fn due_backlog(&self, steps: u64) {
        self.due_backlog.set(steps as f64);
    }

    pub fn in_flight(&self, sends: usize) {
        self.in_flight.set(sends as f64);
    }

    /// The running campaigns with their earliest due time, as of `now`.
    pub fn due(
        &mut self,
        now: DateTime<Utc>,
        campaigns: impl IntoIterator<Item = (CampaignId, Option<DateTime<Utc>>)>,
    ) {
        let mut oldest = 0.0f64;
        let mut due = 0usize;
        let mut seen = std::collections::HashSet::new();
        for (id, next) in campaigns {
            let age = next
                .filter(|t| *t <= now)
                .map_or(0.0, |t| (now - t).num_milliseconds() as f64 / 1000.0);
            if next.is_some_and(|t| t <= now) {
                due += 1;
            }
            oldest = oldest.max(age);
            seen.insert(id);
            self.campaign_due_age
                .entry(id)
                .or_insert_with(|| gauge!(CAMPAIGN_DUE_AGE, "campaign" => id.to_string()))
                .set(age);
        }
        self.campaign_due_age.retain(|id, gauge| {
            let keep = seen.contains(id);
            if !keep {
                gauge.set(0.0);
            }
            keep
        });
        self.due_oldest_age.set(oldest);
        self.due_campaigns.set(due as f64);
    }

    /// The pool mailboxes of running campaigns with their stored state.
    pub fn mailbox_states<'a>(
        &mut self,
        mailboxes: impl IntoIterator<Item = (&'a str, MailboxStatus)>,
    ) {
        let mut counts = vec![0u32; STATES.len()];
        let mut seen = std::collections::HashSet::new();
        for (address, status) in mailboxes {
            let i = STATES.iter().position(|s| *s == status).unwrap_or(0);
            counts[i] += 1;
            let gauges = self
                .mailbox_state
                .entry(address.to_owned())
                .or_insert_with(|| {
                    STATES
                        .iter()
                        .map(|s| gauge!(MAILBOX_STATE, "mailbox" => address.to_owned(), "state" => s.as_str()))
                        .collect()
                });
            for (j, g) in gauges.iter().enumerate() {
                g.set(if i == j { 1.0 } else { 0.0 });
            }
            seen.insert(address.to_owned());
        }
        self.mailbox_state.retain(|address, gauges| {
            let keep = seen.contains(address);
            if !keep {
                gauges.iter().for_each(|g| g.set(0.0));
            }
            keep
        });
        for (g, n) in self.mailboxes_by_state.iter().zip(counts) {
            g.set(f64::from(n));
        }
    }
}

pub struct DbPoolGauges {
    pub in_use: Gauge,
    pub idle: Gauge,
}

impl DbPoolGauges {
    pub(super) fn new() -> Self {
        Self {
            in_use: gauge!(DB_POOL_CONNECTIONS, "state" => "in_use"),
            idle: gauge!(DB_POOL_CONNECTIONS, "state" => "idle"),
        }
    }

    pub fn set(&self, stats: crate::store::PoolStats) {
        self.in_use
            .set(f64::from(stats.size.saturating_sub(stats.idle)));
        self.idle.set(f64::from(stats.idle));
    }
}
