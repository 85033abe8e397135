//! Turning a classified SMTP result into the step contract's completion and the mailbox's own
//! state change (cool down on throttling, pause on misconfiguration). The receipt it returns
//! tells when the outcome is in the store.

use chrono::Utc;

use super::MailboxActor;
use crate::actors::completions::Recorded;
use crate::actors::job::SendJob;
use crate::domain::{Completion, MailboxStateChange, MailboxStatus, StepOutcome, ThreadInfo};
use crate::limits::MailboxState;
use crate::smtp::{self, Reply, SendError};

impl MailboxActor {
    pub(super) async fn finish(
        &mut self,
        job: SendJob,
        message_id: String,
        result: Result<Reply, SendError>,
    ) -> Recorded {
        let now = Utc::now();
        let outcome = smtp::classify(&result);
        self.metrics.outcome(
            &outcome,
            crate::telemetry::ProviderClass::of(&job.claim.lead.email),
            job.plan.campaign.id,
        );
        if let Err(error) = &result {
            self.metrics.smtp_error(error, &outcome);
        }
        let send = job.claim.send;
        let attempts = job.claim.attempts;
        let completion = match outcome {
            StepOutcome::Sent { reply } => {
                self.budget.record(now);
                self.metrics.schedule_lag(now - job.claim.due_at);
                self.on_success();
                let step = job.claim.step_order;
                let thread = (step == 1).then(|| ThreadInfo {
                    message_id: message_id.clone(),
                    first_subject: job.message.subject.clone(),
                });
                let next = job
                    .plan
                    .next_step(step, now, job.claim.lead.timezone.as_deref());
                let count_date = now
                    .with_timezone(&self.budget.config().timezone)
                    .date_naive();
                Completion::Sent {
                    send,
                    message_id,
                    reply,
                    sent_at: now,
                    thread,
                    next,
                    count_date,
                }
            }
            StepOutcome::Retry { reason }
            | StepOutcome::Bounced {
                reply: reason,
                hard: false,
            } => {
                if attempts + 1 >= self.ctx.settings.max_attempts {
                    Completion::Failed {
                        send,
                        reason: format!("gave up after {} attempts: {reason}", attempts + 1),
                    }
                } else {
                    let at = now + self.ctx.retry_delay(attempts);
                    Completion::Retry {
                        send,
                        at,
                        reason,
                        counts_as_attempt: true,
                    }
                }
            }
            StepOutcome::Bounced { reply, hard: true } => Completion::Bounced { send, reply },
            StepOutcome::Failed { reason } => Completion::Failed { send, reason },
            StepOutcome::Unknown { reason } => {
                self.budget.record(now);
                let count_date = now
                    .with_timezone(&self.budget.config().timezone)
                    .date_naive();
                tracing::warn!(mailbox = %self.mailbox.address, %message_id, %reason, "Send outcome unknown; it will not be resent automatically.");
                Completion::Unknown {
                    send,
                    message_id,
                    reason,
                    count_date,
                }
            }
            StepOutcome::MailboxThrottled { reason } => {
                let until = self.cool_down(&reason).await;
                Completion::Retry {
                    send,
                    at: until.max(job.claim.due_at),
                    reason,
                    counts_as_attempt: false,
                }
            }
            StepOutcome::MailboxMisconfigured { reason } => {
                self.pause(&reason).await;
                let at = now + self.ctx.settings.throttle_cooldown.to_chrono();
                Completion::Retry {
                    send,
                    at,
                    reason,
                    counts_as_attempt: false,
                }
            }
        };
        self.ctx.sink.record_tracked(completion).await
    }

    pub(super) fn on_success(&mut self) {
        if self.state != MailboxState::Active {
            self.state = MailboxState::Active;
            let store = self.ctx.store.clone();
            let id = self.mailbox.id;
            // Best effort: the store's status is informational while the actor runs.
            tokio::spawn(async move {
                let change = MailboxStateChange {
                    status: MailboxStatus::Active,
                    reason: None,
                    cooling_until: None,
                };
                let _ = store.set_mailbox_state(id, &change).await;
            });
        }
    }

    /// Rests the mailbox; the rest doubles while throttling repeats (at most 16x).
    pub(super) async fn cool_down(&mut self, reason: &str) -> chrono::DateTime<Utc> {
        let base = self.ctx.settings.throttle_cooldown.to_chrono();
        let until = self.state.throttle(Utc::now(), base);
        tracing::warn!(mailbox = %self.mailbox.address, %reason, %until, "Mailbox throttled by server; cooling down.");
        let change = MailboxStateChange {
            status: MailboxStatus::Cooling,
            reason: Some(reason.to_owned()),
            cooling_until: Some(until),
        };
        if let Err(e) = self
            .ctx
            .store
            .set_mailbox_state(self.mailbox.id, &change)
            .await
        {
            tracing::warn!(error = %e, "Cannot record the mailbox state.");
        }
        until
    }

    pub(super) async fn pause(&mut self, reason: &str) {
        self.state = MailboxState::Paused {
            reason: reason.to_owned(),
        };
        tracing::error!(mailbox = %self.mailbox.address, %reason, "Mailbox paused: it cannot send until an operator fixes it.");
        let change = MailboxStateChange {
            status: MailboxStatus::Paused,
            reason: Some(reason.to_owned()),
            cooling_until: None,
        };
        if let Err(e) = self
            .ctx
            .store
            .set_mailbox_state(self.mailbox.id, &change)
            .await
        {
            tracing::warn!(error = %e, "Cannot record the mailbox state.");
        }
    }
}
