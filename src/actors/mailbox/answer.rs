//! Sending an approved answer to a lead's reply through this mailbox: the same gates as a
//! sequence step (state, caps, gap), then the same fence as the step contract. The answer is
//! marked `sending` (a conditional move from `approved`, so it is marked once) just before SMTP,
//! and its outcome is written under the mark's token. A crash between the two leaves it
//! `sending` until its lease runs out; it then becomes `unknown` and is never resent
//! automatically. An answer held back by a cap or a cooldown waits, `approved`, for the time
//! the mailbox may send again; it is never sent past a cap.

use chrono::{DateTime, Utc};

use super::MailboxActor;
use crate::domain::{EmailAddress, ReplySendJob, ReplySendOutcome, SendId, StepOutcome};
use crate::smtp::{self, OutgoingMessage, Reply, SendError};

/// How often writing an answer's outcome is tried before it is left to its lease (`unknown`).
const COMPLETE_TRIES: u32 = 5;

impl MailboxActor {
    /// Gates, paces, marks and sends one approved answer.
    pub(super) async fn send_answer(&mut self, job: ReplySendJob) {
        let now = Utc::now();
        if let Some((until, reason)) = self.held_until(now) {
            self.hold_answer(&job, until, &reason).await;
            return;
        }
        if let Err(blocked) = self.budget.check(now) {
            self.hold_answer(&job, blocked.until, blocked.reason())
                .await;
            return;
        }
        tokio::select! {
            biased;
            // Not marked: the claim runs out and the answer is offered again.
            () = self.cancel.cancelled() => return,
            () = self.pacer.wait() => {}
        }
        let (message_id, envelope, bytes) = match self.build_answer(&job) {
            Ok(built) => built,
            Err(reason) => {
                tracing::warn!(mailbox = %self.mailbox.address, reply = %job.id, %reason, "Answer cannot be built; failed.");
                let token = uuid::Uuid::now_v7();
                if self.mark_answer(&job, token, "").await {
                    self.complete_answer(&job, token, ReplySendOutcome::Failed { reason })
                        .await;
                }
                return;
            }
        };
        let token = uuid::Uuid::now_v7();
        if !self.mark_answer(&job, token, &message_id).await {
            return;
        }
        let result = self.transport.send(&envelope, &bytes).await;
        let outcome = self.answer_outcome(&message_id, &result).await;
        if matches!(outcome, ReplySendOutcome::Sent { .. })
            && self.ctx.sent_copies.wants(self.mailbox.id)
        {
            self.ctx.sent_copies.offer(self.mailbox.id, &bytes);
        }
        self.complete_answer(&job, token, outcome).await;
    }

    async fn hold_answer(&self, job: &ReplySendJob, until: DateTime<Utc>, reason: &str) {
        tracing::info!(mailbox = %self.mailbox.address, reply = %job.id, %until, %reason, "Answer waits for its mailbox.");
        if let Err(e) = self.ctx.store.hold_reply_send(job.id, until).await {
            // The claim runs out on its own; the answer is offered again then.
            tracing::warn!(reply = %job.id, error = %e, "Cannot hold an answer back.");
        }
    }

    /// `approved` -> `sending`; `false` when it must not be sent (discarded meanwhile, marked
    /// already, or the store is unreachable: then the claim runs out and it is offered again).
    async fn mark_answer(&self, job: &ReplySendJob, token: uuid::Uuid, message_id: &str) -> bool {
        let now = Utc::now();
        let lease_until = now + self.ctx.settings.sending_lease.to_chrono();
        match self
            .ctx
            .store
            .mark_reply_sending(job.id, token, message_id, lease_until, now)
            .await
        {
            Ok(true) => true,
            Ok(false) => {
                tracing::info!(reply = %job.id, "Answer no longer approved; not sent.");
                false
            }
            Err(e) => {
                tracing::warn!(reply = %job.id, error = %e, "Cannot mark an answer sending; it is offered again later.");
                false
            }
        }
    }

    /// The answer's outcome, with the mailbox's own state change (the same rules as a step).
    async fn answer_outcome(
        &mut self,
        message_id: &str,
        result: &Result<Reply, SendError>,
    ) -> ReplySendOutcome {
        let now = Utc::now();
        let count_date = now
            .with_timezone(&self.budget.config().timezone)
            .date_naive();
        match smtp::classify(result) {
            StepOutcome::Sent { .. } => {
                self.budget.record(now);
                self.on_success();
                ReplySendOutcome::Sent {
                    message_id: message_id.to_owned(),
                    count_date,
                }
            }
            StepOutcome::Unknown { reason } => {
                self.budget.record(now);
                ReplySendOutcome::Unknown {
                    message_id: message_id.to_owned(),
                    reason,
                    count_date,
                }
            }
            StepOutcome::Retry { reason }
            | StepOutcome::Bounced {
                reply: reason,
                hard: false,
            } => ReplySendOutcome::Retry {
                at: now + self.ctx.retry_delay(0),
                reason,
            },
            StepOutcome::Bounced {
                reply: reason,
                hard: true,
            }
            | StepOutcome::Failed { reason } => ReplySendOutcome::Failed { reason },
            StepOutcome::MailboxThrottled { reason } => {
                let at = self.cool_down(&reason).await;
                ReplySendOutcome::Retry { at, reason }
            }
            StepOutcome::MailboxMisconfigured { reason } => {
                self.pause(&reason).await;
                let at = now + self.ctx.settings.throttle_cooldown.to_chrono();
                ReplySendOutcome::Retry { at, reason }
            }
        }
    }

    /// Writes the outcome under the mark's token, trying a few times; what is never written
    /// stays `sending` and becomes `unknown` when its lease runs out (never sent twice).
    async fn complete_answer(
        &self,
        job: &ReplySendJob,
        token: uuid::Uuid,
        outcome: ReplySendOutcome,
    ) {
        let mut wait = std::time::Duration::from_millis(200);
        for _ in 0..COMPLETE_TRIES {
            match self
                .ctx
                .store
                .complete_reply_send(job.id, token, &outcome, Utc::now())
                .await
            {
                Ok(true) => {
                    tracing::info!(mailbox = %self.mailbox.address, reply = %job.id, outcome = ?outcome, "Answer sent to the lead's thread.");
                    return;
                }
                Ok(false) => {
                    tracing::warn!(reply = %job.id, "Answer's lease was lost before its outcome was recorded.");
                    return;
                }
                Err(e) => {
                    tracing::warn!(reply = %job.id, error = %e, "Cannot record an answer's outcome; retrying.");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
        tracing::error!(reply = %job.id, "An answer's outcome could not be recorded; it becomes unknown when its lease runs out.");
    }

    /// The answer's wire form: From this mailbox, To the lead, in the lead's thread.
    fn build_answer(
        &self,
        job: &ReplySendJob,
    ) -> Result<(String, smtp::Envelope, Vec<u8>), String> {
        let from =
            EmailAddress::parse(&self.mailbox.address).map_err(|e| format!("sender: {e}"))?;
        let to = EmailAddress::parse(&job.lead_email).map_err(|e| format!("recipient: {e}"))?;
        // The answer's id has the shape of our send ids, so a copy that comes back is ours.
        let message_id = smtp::message_id_for(SendId(job.id.0), &from.domain());
        // A reply without a Message-ID is kept under a content hash: nothing to point at.
        let replied = Some(job.in_reply_to.clone()).filter(|id| id.starts_with('<'));
        let references = job
            .thread_message_id
            .iter()
            .chain(replied.iter())
            .cloned()
            .collect();
        let message = OutgoingMessage {
            from_name: self.mailbox.from_name.clone(),
            from,
            to,
            to_name: job.lead_name.clone(),
            subject: job.subject.clone(),
            text_body: job.body.clone(),
            html_body: None,
            message_id: message_id.clone(),
            in_reply_to: replied.or_else(|| job.thread_message_id.clone()),
            references,
            list_unsubscribe: None,
            date: Utc::now(),
        };
        let (envelope, bytes) = self.ctx.dkim.build(&message).map_err(|e| e.to_string())?;
        Ok((message_id, envelope, bytes))
    }
}
