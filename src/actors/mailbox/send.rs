//! One batch of jobs through the mailbox: gate (state, caps), pace, build, mark `sending`, send.

use chrono::Utc;

use super::{MailboxActor, State};
use crate::actors::job::SendJob;
use crate::domain::EmailAddress;
use crate::smtp::{self, ListUnsubscribe, OutgoingMessage};
use crate::store::{Completion, SendRef};
use crate::telemetry::ProviderClass;

/// A job that passed the gates, with its wire form.
struct Ready {
    job: SendJob,
    message_id: String,
    envelope: smtp::Envelope,
    bytes: Vec<u8>,
}

impl MailboxActor {
    pub(super) async fn handle_batch(&mut self, batch: Vec<SendJob>) {
        let mut ready = Vec::with_capacity(batch.len());
        for job in batch {
            let pending = ready.len() as u32;
            if let Some(r) = self.gate_and_build(job, pending).await {
                ready.push(r);
            }
        }
        if ready.is_empty() {
            return;
        }
        // Rows stay `sending` until the writer records their outcomes, and a crash turns every
        // `sending` row `unknown`. A mailbox racing ahead of a slow writer would leave any
        // number of sent-but-unrecorded rows in doubt (issue #4: the kill test found 59 with
        // 3 mailboxes of batch 16). So wait until the batch before the last is recorded: at
        // most two batches per mailbox are ever `sending` (the one on the wire, the one being
        // recorded), and the writer still works while the next batch goes out.
        if !self.older_outcomes_recorded().await {
            for r in &ready {
                self.release(&r.job, r.job.claim.due_at, "daemon shutting down")
                    .await;
            }
            return;
        }
        let marks: Vec<(SendRef, String)> = ready
            .iter()
            .map(|r| (r.job.claim.send, r.message_id.clone()))
            .collect();
        let lease = self.ctx.settings.sending_lease.to_chrono();
        let marked = match self.ctx.marker.mark(marks, lease).await {
            Ok(marked) => marked,
            Err(e) => {
                tracing::warn!(mailbox = %self.mailbox.address, error = %e, "Cannot mark sends as sending; releasing them.");
                for r in &ready {
                    self.release(
                        &r.job,
                        Utc::now() + chrono::TimeDelta::seconds(30),
                        "store unavailable",
                    )
                    .await;
                }
                return;
            }
        };
        let mut receipts = Vec::with_capacity(marked.len());
        for (r, ok) in ready.into_iter().zip(marked) {
            if !ok {
                // Our lease is gone: another claimer owns the row now. Sending would risk a
                // duplicate, so the job is dropped.
                tracing::warn!(mailbox = %self.mailbox.address, send = %r.job.claim.send.send_id, "Lease lost before sending; job dropped.");
                // No outcome will be recorded for it, so it must leave the in-flight count
                // here, or `run --until-idle` waits for it forever.
                self.ctx.sink.abandoned(1);
                continue;
            }
            let started = std::time::Instant::now();
            let result = self.transport.send(&r.envelope, &r.bytes).await;
            // `append_sent`: the poller files our copy in Sent (only when surely sent).
            if self.ctx.sent_copies.wants(self.mailbox.id)
                && matches!(
                    smtp::classify(&result),
                    crate::domain::StepOutcome::Sent { .. }
                )
            {
                self.ctx.sent_copies.offer(self.mailbox.id, &r.bytes);
            }
            self.metrics.smtp_transaction(
                ProviderClass::of(&r.job.claim.lead.email),
                started.elapsed(),
            );
            receipts.push(self.finish(r.job, r.message_id, result).await);
        }
        self.older_outcomes = std::mem::replace(&mut self.newer_outcomes, receipts);
    }

    /// Waits until the outcomes of the batch before the last are recorded; `false` when the
    /// daemon is shutting down meanwhile.
    async fn older_outcomes_recorded(&mut self) -> bool {
        let older = std::mem::take(&mut self.older_outcomes);
        let recorded = async {
            for receipt in older {
                receipt.wait().await;
            }
        };
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => false,
            () = recorded => true,
        }
    }

    /// Checks state and caps, waits for the gap, builds the message. `None` when the job was
    /// released or failed instead.
    async fn gate_and_build(&mut self, job: SendJob, pending: u32) -> Option<Ready> {
        let now = Utc::now();
        match &self.state {
            State::Cooling { until, .. } if *until > now => {
                let until = *until;
                self.release(&job, until, "mailbox cooling down").await;
                return None;
            }
            State::Paused { reason } => {
                let reason = format!("mailbox paused: {reason}");
                let at = now + self.ctx.settings.throttle_cooldown.to_chrono();
                self.release(&job, at, &reason).await;
                return None;
            }
            _ => {}
        }
        if let Err(blocked) = self.budget.check_with_pending(now, pending) {
            let reason = match blocked.cap {
                crate::limits::CapKind::Daily => "mailbox daily cap reached",
                crate::limits::CapKind::Hourly => "mailbox hourly cap reached",
            };
            self.release(&job, blocked.until.max(job.claim.due_at), reason)
                .await;
            return None;
        }
        let waiting = std::time::Instant::now();
        loop {
            let reconfigured = tokio::select! {
                biased;
                () = self.cancel.cancelled() => {
                    self.release(&job, job.claim.due_at, "daemon shutting down").await;
                    return None;
                }
                () = self.shared.reconfigured.notified() => true,
                () = self.pacer.wait() => false,
            };
            // New limits arrived while waiting (a reload): wait on the new gap instead, and
            // check the new caps again.
            if !reconfigured || !self.take_pending() {
                if reconfigured {
                    continue;
                }
                break;
            }
            if let Err(blocked) = self.budget.check_with_pending(Utc::now(), pending) {
                let reason = match blocked.cap {
                    crate::limits::CapKind::Daily => "mailbox daily cap reached",
                    crate::limits::CapKind::Hourly => "mailbox hourly cap reached",
                };
                self.release(&job, blocked.until.max(job.claim.due_at), reason)
                    .await;
                return None;
            }
        }
        self.metrics.limiter_wait(waiting.elapsed());
        match self.build(&job) {
            Ok((message_id, envelope, bytes)) => Some(Ready {
                job,
                message_id,
                envelope,
                bytes,
            }),
            Err(reason) => {
                self.ctx
                    .sink
                    .record(Completion::Failed {
                        send: job.claim.send,
                        reason,
                    })
                    .await;
                None
            }
        }
    }

    /// The wire form of a job's message. Errors are permanent for this step (a lead address
    /// that does not parse, a value lettre refuses) and fail it with the reason.
    fn build(&self, job: &SendJob) -> Result<(String, smtp::Envelope, Vec<u8>), String> {
        let from =
            EmailAddress::parse(&self.mailbox.address).map_err(|e| format!("sender: {e}"))?;
        let to =
            EmailAddress::parse(&job.claim.lead.email).map_err(|e| format!("recipient: {e}"))?;
        let send_id = job.claim.send.send_id;
        let message_id = smtp::message_id_for(send_id, &from.domain());
        let thread = job
            .claim
            .thread
            .as_ref()
            .filter(|_| job.claim.step_order > 1);
        let lead = &job.claim.lead;
        let to_name = match (&lead.first_name, &lead.last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(n), None) | (None, Some(n)) => Some(n.clone()),
            (None, None) => None,
        };
        let message = OutgoingMessage {
            from_name: self.mailbox.from_name.clone(),
            from: from.clone(),
            to,
            to_name,
            subject: job.message.subject.clone(),
            text_body: job.message.body_text.clone(),
            html_body: job.message.body_html.clone(),
            message_id: message_id.clone(),
            in_reply_to: thread.map(|t| t.message_id.clone()),
            references: thread
                .map(|t| vec![t.message_id.clone()])
                .unwrap_or_default(),
            list_unsubscribe: Some(ListUnsubscribe {
                mailto: Some(format!("mailto:{}?subject=unsubscribe", from.as_str())),
                https_url: self
                    .ctx
                    .unsubscribe_base
                    .as_ref()
                    .map(|base| self.ctx.signer.one_click_url(base, send_id)),
            }),
            date: Utc::now(),
        };
        let (envelope, bytes) = self.ctx.dkim.build(&message).map_err(|e| e.to_string())?;
        Ok((message_id, envelope, bytes))
    }
}
