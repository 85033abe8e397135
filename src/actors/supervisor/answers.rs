//! Approved answers to lead replies, handed to their mailbox actors at every pass. An answer is
//! claimed (held for [`ANSWER_HOLD`]) before it is offered, so a pass does not offer it again
//! while it waits in its mailbox's queue; one that no actor took (its mailbox is in no running
//! campaign's pool, or is paused, or its queue is full) is offered again once the hold runs
//! out. Answers stuck `sending` past their lease become `unknown` here, never resent.

use chrono::{TimeDelta, Utc};

use super::Supervisor;

/// How long a claimed answer is not offered again: longer than it waits in a queue.
const ANSWER_HOLD: TimeDelta = TimeDelta::minutes(15);
/// Answers claimed per pass at most.
const ANSWER_BATCH: u32 = 100;

impl Supervisor {
    pub(super) async fn offer_answers(&mut self) {
        let store = self.ctx.store.clone();
        let now = Utc::now();
        match store.expire_reply_sends(now).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                answers = n,
                "Answers stuck sending past their lease are now unknown; they will not be resent automatically."
            ),
            Err(e) => {
                tracing::warn!(error = %e, "Cannot expire answers stuck sending.");
                return;
            }
        }
        if self.mailboxes.is_empty() {
            return;
        }
        let jobs = match store
            .claim_reply_sends(now, now + ANSWER_HOLD, ANSWER_BATCH)
            .await
        {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(error = %e, "Cannot claim approved answers.");
                return;
            }
        };
        for job in jobs {
            let (id, mailbox) = (job.id, job.mailbox_id);
            let taken = self
                .mailboxes
                .get(&mailbox)
                .is_some_and(|slot| slot.handle.try_send_reply(job));
            if !taken {
                tracing::debug!(reply = %id, mailbox = %mailbox, "No mailbox actor took an approved answer; offered again later.");
            }
        }
    }
}
