//! Handles for the sending path: the mailbox actor (outcomes, SMTP time, lag, pacing, cap use)
//! and the campaign actor (claims).

use std::collections::HashMap;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};

use super::SmtpErrorType;
use crate::domain::{CampaignId, StepOutcome};
use crate::smtp::SendError;
use crate::telemetry::ProviderClass;
use crate::telemetry::catalogue::dispatch::{
    CAMPAIGN_SENDS, CLAIM_BATCH, CLAIMED, COMPLETION_BATCH, COMPLETIONS_FENCED, LIMITER_WAIT,
    MAILBOX_CAP_USED, MAILBOX_SENDS, SCHEDULE_LAG, SENDS, SMTP_TRANSACTION,
};
use crate::telemetry::catalogue::internals::ERRORS;

/// Every `outcome` label value, in [`outcome_index`] order.
pub const OUTCOMES: [&str; 8] = [
    "sent",
    "retry",
    "soft_bounced",
    "bounced",
    "failed",
    "unknown",
    "mailbox_throttled",
    "mailbox_misconfigured",
];

fn outcome_index(outcome: &StepOutcome) -> usize {
    match outcome {
        StepOutcome::Sent { .. } => 0,
        StepOutcome::Retry { .. } => 1,
        StepOutcome::Bounced { hard: false, .. } => 2,
        StepOutcome::Bounced { hard: true, .. } => 3,
        StepOutcome::Failed { .. } => 4,
        StepOutcome::Unknown { .. } => 5,
        StepOutcome::MailboxThrottled { .. } => 6,
        StepOutcome::MailboxMisconfigured { .. } => 7,
    }
}

/// The `outcome` label of a classified send.
pub fn outcome_label(outcome: &StepOutcome) -> &'static str {
    OUTCOMES[outcome_index(outcome)]
}

type ByOutcome = [Counter; OUTCOMES.len()];

/// One mailbox actor's handles. Campaign counters are resolved the first time the mailbox
/// sends for a campaign and kept.
pub struct MailboxMetrics {
    sends: [[Counter; ProviderClass::ALL.len()]; OUTCOMES.len()],
    mailbox_sends: ByOutcome,
    campaign_sends: HashMap<CampaignId, ByOutcome>,
    smtp: [Histogram; ProviderClass::ALL.len()],
    schedule_lag: Histogram,
    limiter_wait: Histogram,
    cap_used: Gauge,
    smtp_errors: [Counter; SmtpErrorType::ALL.len()],
}

impl MailboxMetrics {
    pub(super) fn new(mailbox: &str) -> Self {
        let mailbox = mailbox.to_owned();
        Self {
            sends: std::array::from_fn(|o| {
                std::array::from_fn(
                    |p| counter!(SENDS, "outcome" => OUTCOMES[o], "provider" => ProviderClass::ALL[p].label()),
                )
            }),
            mailbox_sends: std::array::from_fn(
                |o| counter!(MAILBOX_SENDS, "mailbox" => mailbox.clone(), "outcome" => OUTCOMES[o]),
            ),
            campaign_sends: HashMap::new(),
            smtp: std::array::from_fn(
                |p| histogram!(SMTP_TRANSACTION, "provider" => ProviderClass::ALL[p].label()),
            ),
            schedule_lag: histogram!(SCHEDULE_LAG),
            limiter_wait: histogram!(LIMITER_WAIT),
            cap_used: gauge!(MAILBOX_CAP_USED, "mailbox" => mailbox),
            smtp_errors: std::array::from_fn(
                |t| counter!(ERRORS, "stage" => "smtp", "type" => SmtpErrorType::ALL[t].label()),
            ),
        }
    }

    /// Counts one classified send attempt.
    pub fn outcome(
        &mut self,
        outcome: &StepOutcome,
        provider: ProviderClass,
        campaign: CampaignId,
    ) {
        let o = outcome_index(outcome);
        self.sends[o][provider.index()].increment(1);
        self.mailbox_sends[o].increment(1);
        self.campaign_sends.entry(campaign).or_insert_with(|| {
            let id = campaign.to_string();
            std::array::from_fn(
                |o| counter!(CAMPAIGN_SENDS, "campaign" => id.clone(), "outcome" => OUTCOMES[o]),
            )
        })[o]
            .increment(1);
    }

    /// A send ended in `error` rather than a clean 2xx; `outcome` is its classification.
    pub fn smtp_error(&self, error: &SendError, outcome: &StepOutcome) {
        self.smtp_errors[SmtpErrorType::of(error, outcome) as usize].increment(1);
    }

    /// One SMTP transaction (or outbox write) took `took`.
    pub fn smtp_transaction(&self, provider: ProviderClass, took: Duration) {
        self.smtp[provider.index()].record(took.as_secs_f64());
    }

    /// A step went out `lag` after it was due (negative lags count as 0).
    pub fn schedule_lag(&self, lag: chrono::TimeDelta) {
        let seconds = lag.num_milliseconds().max(0) as f64 / 1000.0;
        self.schedule_lag.record(seconds);
    }

    /// The pacer held a send back for `waited`.
    pub fn limiter_wait(&self, waited: Duration) {
        self.limiter_wait.record(waited.as_secs_f64());
    }

    /// `used` of today's `cap` sends are spent (a cap of 0 reads as fully used).
    pub fn cap_used(&self, used: u32, cap: u32) {
        let ratio = if cap == 0 {
            1.0
        } else {
            (f64::from(used) / f64::from(cap)).min(1.0)
        };
        self.cap_used.set(ratio);
    }
}

/// One campaign actor's handles.
pub struct CampaignMetrics {
    claim_batch: Histogram,
    claimed: Counter,
}

impl CampaignMetrics {
    pub(super) fn new(campaign: CampaignId) -> Self {
        Self {
            claim_batch: histogram!(CLAIM_BATCH),
            claimed: counter!(CLAIMED, "campaign" => campaign.to_string()),
        }
    }

    /// One claim returned `rows` rows.
    pub fn claimed(&self, rows: usize) {
        self.claim_batch.record(rows as f64);
        self.claimed.increment(rows as u64);
    }
}

/// The completion writer's handles.
#[derive(Clone)]
pub struct CompletionMetrics {
    batch: Histogram,
    fenced: Counter,
    errors: Counter,
}

impl CompletionMetrics {
    pub(super) fn new() -> Self {
        Self {
            batch: histogram!(COMPLETION_BATCH),
            fenced: counter!(COMPLETIONS_FENCED),
            errors: counter!(ERRORS, "stage" => "completion", "type" => "store"),
        }
    }

    /// A batch of `rows` outcomes was written; `fenced` of them were ignored (lease expired).
    pub fn written(&self, rows: usize, fenced: u64) {
        self.batch.record(rows as f64);
        self.fenced.increment(fenced);
    }

    /// Writing a batch failed (it is retried).
    pub fn failed(&self) {
        self.errors.increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_labels_cover_every_step_outcome() {
        assert_eq!(
            outcome_label(&StepOutcome::Sent {
                reply: String::new()
            }),
            "sent"
        );
        assert_eq!(
            outcome_label(&StepOutcome::Bounced {
                reply: String::new(),
                hard: true
            }),
            "bounced"
        );
        assert_eq!(
            outcome_label(&StepOutcome::MailboxThrottled {
                reason: String::new()
            }),
            "mailbox_throttled"
        );
    }
}
