//! One batch of jobs through the mailbox: gate (state, caps), pace, build, mark `sending`, send.

use chrono::Utc;

use super::MailboxActor;
use crate::actors::job::SendJob;
use crate::domain::{Completion, EmailAddress, SendRef};
use crate::limits::Hold;
use crate::smtp::{self, ListUnsubscribe, OutgoingMessage};

use crate::telemetry::ProviderClass;

fn marks_of(ready: &[Ready]) -> Vec<(SendRef, String)> {
    ready
        .iter()
        .map(|r| (r.job.claim.send, r.message_id.clone()))
        .collect()
}

/// A job that passed the gates, with its wire form.
struct Ready {
    job: SendJob,
    message_id: String,
    envelope: smtp::Envelope,
    bytes: Vec<u8>,
}

impl MailboxActor {
    /// One batch on its own: gate, build, mark, send.
    pub(super) async fn handle_batch(&mut self, batch: Vec<SendJob>) {
        let marked = self.mark_batch(batch).await;
        if marked.is_empty() {
            return;
        }
        let receipts = self.send_marked(marked).await;
        self.older_outcomes = std::mem::replace(&mut self.newer_outcomes, receipts);
    }

    /// Gates, builds and marks a batch, once the outcomes of the batch before the last are
    /// recorded. Returns what was marked.
    async fn mark_batch(&mut self, batch: Vec<SendJob>) -> Vec<Ready> {
        let ready = self.gate_batch(batch).await;
        if ready.is_empty() {
            return ready;
        }
        if !self.older_outcomes_recorded().await {
            for r in &ready {
                let due = r.job.claim.due_at;
                self.ctx
                    .sink
                    .release(r.job.claim.send, due, "daemon shutting down")
                    .await;
            }
            return Vec::new();
        }
        let marks = marks_of(&ready);
        let lease = self.ctx.settings.sending_lease.to_chrono();
        match self.ctx.marker.mark(marks, lease).await {
            Ok(flags) => self.keep_marked(ready, flags),
            Err(e) => {
                self.mark_failed(&ready, &e).await;
                Vec::new()
            }
        }
    }

    /// Adds queued jobs to `batch` up to `dispatch.sending_batch`, without waiting.
    pub(super) fn take_queued(
        &mut self,
        rx: &mut tokio::sync::mpsc::Receiver<super::MailboxMsg>,
        batch: &mut Vec<SendJob>,
    ) {
        while batch.len() < self.ctx.settings.sending_batch as usize {
            match rx.try_recv() {
                Ok(super::MailboxMsg::Send(job)) => batch.push(*job),
                Ok(super::MailboxMsg::Reconfigure(m)) => self.reconfigure(*m),
                Ok(super::MailboxMsg::Reply(job)) => self.answers.push(*job),
                Err(_) => break,
            }
        }
    }

    /// Gates and builds each job; the ones ahead of it in the batch count against the caps.
    async fn gate_batch(&mut self, batch: Vec<SendJob>) -> Vec<Ready> {
        let mut ready = Vec::with_capacity(batch.len());
        for job in batch {
            let pending = u32::try_from(ready.len()).unwrap_or(u32::MAX);
            if let Some(r) = self.gate_and_build(job, pending).await {
                ready.push(r);
            }
        }
        ready
    }

    /// Drops (and counts) the jobs whose lease was gone when they were to be marked.
    fn keep_marked(&self, ready: Vec<Ready>, flags: Vec<bool>) -> Vec<Ready> {
        let mut kept = Vec::with_capacity(ready.len());
        for (r, ok) in ready.into_iter().zip(flags) {
            if ok {
                kept.push(r);
            } else {
                tracing::warn!(mailbox = %self.mailbox.address, send = %r.job.claim.send.send_id, "Lease lost before sending; job dropped.");
                self.ctx.sink.abandoned(1);
            }
        }
        kept
    }

    async fn mark_failed(&self, ready: &[Ready], error: &str) {
        tracing::warn!(mailbox = %self.mailbox.address, error = %error, "Cannot mark sends as sending; releasing them.");
        let retry_at = Utc::now() + chrono::TimeDelta::seconds(30);
        for r in ready {
            self.ctx
                .sink
                .release(r.job.claim.send, retry_at, "store unavailable")
                .await;
        }
    }

    /// Sends each marked job over SMTP and hands its outcome to the completion writer.
    async fn send_marked(
        &mut self,
        marked: Vec<Ready>,
    ) -> Vec<super::super::completions::Recorded> {
        let mut receipts = Vec::with_capacity(marked.len());
        for r in marked {
            // A reply to an earlier send of this batch may have cooled or paused the mailbox:
            // the rest is not sent into a server that asked us to stop, it is due again later.
            if let Some((at, reason)) = self.held_until(Utc::now()) {
                self.ctx
                    .sink
                    .release(r.job.claim.send, at.max(r.job.claim.due_at), &reason)
                    .await;
                continue;
            }
            let started = std::time::Instant::now();
            let result = self.transport.send(&r.envelope, &r.bytes).await;
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
        receipts
    }

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

    /// When and why a cooling or paused mailbox releases its jobs; `None` when it sends.
    pub(super) fn held_until(
        &self,
        now: chrono::DateTime<Utc>,
    ) -> Option<(chrono::DateTime<Utc>, String)> {
        match self.state.hold(now)? {
            Hold::Until(until) => Some((until, "mailbox cooling down".to_owned())),
            Hold::Paused(reason) => Some((
                now + self.ctx.settings.throttle_cooldown.to_chrono(),
                format!("mailbox paused: {reason}"),
            )),
        }
    }

    /// Checks state and caps, waits for the gap, builds the message. `None` when the job was
    /// released or failed instead.
    async fn gate_and_build(&mut self, job: SendJob, pending: u32) -> Option<Ready> {
        let now = Utc::now();
        if let Some((at, reason)) = self.held_until(now) {
            self.ctx.sink.release(job.claim.send, at, &reason).await;
            return None;
        }
        if let Err(blocked) = self.budget.check_with_pending(now, pending) {
            let reason = blocked.reason();
            self.ctx
                .sink
                .release(job.claim.send, blocked.until.max(job.claim.due_at), reason)
                .await;
            return None;
        }
        let waiting = std::time::Instant::now();
        loop {
            let reconfigured = tokio::select! {
                biased;
                () = self.cancel.cancelled() => {
                    self.ctx.sink.release(job.claim.send, job.claim.due_at, "daemon shutting down").await;
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
                let reason = blocked.reason();
                self.ctx
                    .sink
                    .release(job.claim.send, blocked.until.max(job.claim.due_at), reason)
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
