//! Writing texts ahead: with a model writing the texts, the texts of leads due within
//! `dispatch.generate_ahead` are written and stored before their claim, so a mailbox that may
//! send finds its text ready instead of waiting seconds on the model.
//!
//! One writer per campaign actor keeps up to `generation_concurrency` texts in flight. It asks
//! the store for a window: the next leads in claim order that the campaign's mailboxes can take
//! within the horizon (`MailboxRegistry::with_room_within`, at most [`MAX_WINDOW`]), of which it
//! writes those without a text. Leads whose text is ready stay in the window, so the writer is
//! never further ahead than the mailboxes can send, however long the backlog; the window slides
//! as claims send them, and each claim wakes the writer.
//!
//! Texts are stored as a claim's are (first writer wins), so a claim that races the writer
//! sends whichever text was stored first. A claim whose text is being written waits for it
//! ([`Writing`]) rather than asking the model twice. A failure here only logs: the claim writes
//! the text itself and records the failure against the step, as without writing ahead.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::text::{Subject, WriteError, write};
use crate::actors::context::DispatchContext;
use crate::actors::job::CampaignPlan;
use crate::actors::registry::MailboxRegistry;
use crate::domain::{
    CampaignId, CampaignLeadId, GeneratedFor, GeneratedMessage, Mailbox, MailboxId, PrefetchJob,
    PrefetchRequest, Product, WorkspaceId,
};

/// Most leads one window holds: bounds both the statement and how far ahead money is spent.
pub(super) const MAX_WINDOW: usize = 1_000;

/// What the campaign actor last loaded: the writer composes texts exactly as a claim does.
pub(super) struct Snapshot {
    pub(super) plan: Arc<CampaignPlan>,
    pub(super) product: Option<Product>,
    pub(super) mailboxes: Arc<HashMap<MailboxId, Mailbox>>,
}

/// Where a lead of the window stands with the writer-ahead.
enum Entry {
    /// Waiting for a slot: a claim that comes first takes it back and writes the text itself.
    Queued,
    /// Being written: the stored text once written, `None` (the sender dropped) if it failed.
    Writing(watch::Receiver<Option<GeneratedMessage>>),
    /// Claimed before the writer queued it, at this time: the window read just before the
    /// claim may still offer it, and the writer must not write it too.
    Claimed(Instant),
}

/// How long a claim's mark keeps the writer off its lead: longer than one look at the window.
const CLAIMED_FOR: Duration = Duration::from_secs(60);

/// The leads the writer-ahead has taken on, by campaign lead, shared with the claims: a claim
/// never asks the model for a text that is being written, and the writer never writes one a
/// claim took back.
#[derive(Clone, Default)]
pub(super) struct Writing {
    inner: Arc<Mutex<HashMap<CampaignLeadId, Entry>>>,
}

impl Writing {
    /// Forgets the claims' marks older than [`CLAIMED_FOR`].
    fn purge(&self) {
        if let Ok(mut map) = self.inner.lock() {
            map.retain(|_, e| !matches!(e, Entry::Claimed(at) if at.elapsed() > CLAIMED_FOR));
        }
    }

    /// Queues `id`; false if the writer already has it or a claim took it.
    fn queue(&self, id: CampaignLeadId) -> bool {
        let Ok(mut map) = self.inner.lock() else {
            return false;
        };
        if map.contains_key(&id) {
            return false;
        }
        map.insert(id, Entry::Queued);
        true
    }

    /// Moves a queued `id` to writing, or `None` if a claim took it back meanwhile.
    fn start(&self, id: CampaignLeadId) -> Option<watch::Sender<Option<GeneratedMessage>>> {
        let mut map = self.inner.lock().ok()?;
        let entry = map.get_mut(&id)?;
        if !matches!(entry, Entry::Queued) {
            return None;
        }
        let (tx, rx) = watch::channel(None);
        *entry = Entry::Writing(rx);
        Some(tx)
    }

    fn finish(&self, id: CampaignLeadId) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(&id);
        }
    }

    /// For a claim of `id`: the text being written ahead, once stored (waiting at most
    /// `limit`), or `None` when the claim must write it: the writer does not have it, failed,
    /// or had only queued it (then it is taken back, so the model is asked once).
    pub(super) async fn claim(
        &self,
        id: CampaignLeadId,
        limit: Duration,
    ) -> Option<GeneratedMessage> {
        let mut rx = {
            let mut map = self.inner.lock().ok()?;
            match map.get(&id) {
                Some(Entry::Writing(rx)) => rx.clone(),
                Some(Entry::Queued | Entry::Claimed(_)) | None => {
                    map.insert(id, Entry::Claimed(Instant::now()));
                    return None;
                }
            }
        };
        let done = tokio::time::timeout(limit, rx.wait_for(Option::is_some)).await;
        done.ok()?.ok()?.clone()
    }
}

/// The writer of one campaign (see the module comment).
pub(super) struct Prefetcher {
    pub(super) workspace_id: WorkspaceId,
    pub(super) campaign_id: CampaignId,
    pub(super) ctx: Arc<DispatchContext>,
    pub(super) registry: MailboxRegistry,
    pub(super) snapshot: watch::Receiver<Option<Arc<Snapshot>>>,
    pub(super) writing: Writing,
    pub(super) wake: Arc<Notify>,
    pub(super) cancel: CancellationToken,
    /// Leads whose text could not be written ahead, and when: not tried again within a rest,
    /// so one lead the model refuses does not cost a call per look.
    pub(super) failed: HashMap<CampaignLeadId, Instant>,
}

/// How long the writer rests when its window holds nothing to write.
fn rest(horizon: Duration) -> Duration {
    if horizon.is_zero() {
        Duration::from_secs(30)
    } else {
        (horizon / 4).clamp(Duration::from_secs(1), Duration::from_secs(30))
    }
}

impl Prefetcher {
    pub(super) async fn run(mut self) {
        let mut tasks: JoinSet<Option<CampaignLeadId>> = JoinSet::new();
        let mut queue: VecDeque<PrefetchJob> = VecDeque::new();
        // Look at the window at once; afterwards when a claim wakes the writer, when the
        // campaign is reloaded, or after a rest.
        let mut look = true;
        loop {
            self.writing.purge();
            let horizon = self.ctx.settings.generate_ahead.as_duration();
            let concurrency = (self.ctx.settings.generation_concurrency as usize).max(1);
            if look && queue.is_empty() && tasks.len() < concurrency && !horizon.is_zero() {
                look = false;
                match self.window(horizon).await {
                    Ok(jobs) => queue.extend(jobs),
                    Err(e) => {
                        tracing::warn!(campaign = %self.campaign_id, error = %e, "Finding texts to write ahead failed; trying again shortly.");
                    }
                }
            }
            while tasks.len() < concurrency {
                let Some(job) = queue.pop_front() else { break };
                self.spawn(&mut tasks, job);
            }
            let idle = tasks.is_empty();
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => break,
                Some(done) = tasks.join_next(), if !idle => {
                    // The window slides only as claims take its leads: a finished text
                    // frees a slot for the queue, not a reason to read the window again.
                    if let Ok(Some(failed)) = done {
                        self.failed.insert(failed, Instant::now());
                    }
                }
                () = self.wake.notified() => look = true,
                changed = self.snapshot.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    look = true;
                }
                () = tokio::time::sleep(rest(horizon)) => look = true,
            }
        }
        tasks.shutdown().await;
    }

    /// The leads of the window without a text, minus those being written.
    async fn window(
        &mut self,
        horizon: Duration,
    ) -> Result<Vec<PrefetchJob>, crate::store::StoreError> {
        let Some(snapshot) = self.snapshot.borrow().clone() else {
            return Ok(Vec::new());
        };
        let (room, _) = self
            .registry
            .with_room_within(&snapshot.plan.campaign.mailbox_ids, horizon);
        let window = room.min(MAX_WINDOW);
        if window == 0 {
            return Ok(Vec::new());
        }
        let now = Utc::now();
        let until = now + chrono::TimeDelta::from_std(horizon).unwrap_or(chrono::TimeDelta::MAX);
        let jobs = self
            .ctx
            .store
            .texts_to_write(&PrefetchRequest {
                workspace_id: self.workspace_id,
                campaign_id: self.campaign_id,
                now,
                until,
                max_rows: u32::try_from(window).unwrap_or(u32::MAX),
            })
            .await?;
        let pause = rest(horizon);
        self.failed.retain(|_, at| at.elapsed() < pause);
        Ok(jobs
            .into_iter()
            .filter(|j| {
                !self.failed.contains_key(&j.campaign_lead_id)
                    && self.writing.queue(j.campaign_lead_id)
            })
            .collect())
    }

    fn spawn(&self, tasks: &mut JoinSet<Option<CampaignLeadId>>, job: PrefetchJob) {
        let snapshot = self.snapshot.borrow().clone();
        let mailbox = snapshot
            .as_ref()
            .and_then(|s| s.mailboxes.get(&job.mailbox_id).cloned());
        let (Some(snapshot), Some(mailbox)) = (snapshot, mailbox) else {
            // No plan, or not in the pool the actor loaded: its claim decides what happens.
            self.writing.finish(job.campaign_lead_id);
            return;
        };
        let Some(done) = self.writing.start(job.campaign_lead_id) else {
            return; // a claim took it back
        };
        let ctx = self.ctx.clone();
        let writing = self.writing.clone();
        let campaign = self.campaign_id;
        tasks.spawn(async move {
            let subject = Subject {
                lead: &job.lead,
                step_order: job.step_order,
                thread: job.thread.as_ref(),
            };
            let written = write(
                &ctx,
                &snapshot.plan,
                snapshot.product.as_ref(),
                &mailbox,
                subject,
            )
            .await;
            let id = job.campaign_lead_id;
            let ok = match written {
                Ok(message) => {
                    let item = GeneratedFor {
                        campaign_lead_id: job.campaign_lead_id,
                        step_order: job.step_order,
                        message,
                    };
                    match ctx.store.save_generated_many(&[item]).await {
                        Ok(mut stored) => {
                            let _ = done.send(stored.pop());
                            true
                        }
                        Err(e) => {
                            tracing::warn!(campaign = %campaign, error = %e, "Storing a text written ahead failed; its claim writes it.");
                            false
                        }
                    }
                }
                Err(WriteError::Permanent(reason)) => {
                    tracing::debug!(campaign = %campaign, lead = %job.lead.id, reason, "A text cannot be written ahead; its claim records why.");
                    false
                }
                Err(WriteError::Provider(e, _)) => {
                    tracing::debug!(campaign = %campaign, lead = %job.lead.id, error = %e, "Writing a text ahead failed; its claim tries again.");
                    false
                }
            };
            writing.finish(id);
            (!ok).then_some(id)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> GeneratedMessage {
        GeneratedMessage {
            subject: "Written ahead".into(),
            body_text: "Body".into(),
            body_html: None,
            provider: "openai".into(),
            model: None,
            prompt_tokens: 0,
            completion_tokens: 0,
            cost_usd: 0.0,
        }
    }

    #[tokio::test]
    async fn a_claim_takes_back_a_queued_lead_and_the_writer_then_skips_it() {
        let writing = Writing::default();
        let id = CampaignLeadId::new();
        assert!(writing.queue(id));
        assert_eq!(writing.claim(id, Duration::from_secs(1)).await, None);
        assert!(
            writing.start(id).is_none(),
            "the writer does not write it too"
        );
        assert!(
            !writing.queue(id),
            "nor queues it again from a stale window"
        );
    }

    #[tokio::test]
    async fn a_claim_waits_for_a_text_being_written_and_gets_the_stored_one() {
        let writing = Writing::default();
        let id = CampaignLeadId::new();
        assert!(writing.queue(id));
        let done = writing.start(id).unwrap();
        let waiter = {
            let writing = writing.clone();
            tokio::spawn(async move { writing.claim(id, Duration::from_secs(5)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        done.send(Some(text())).unwrap();
        assert_eq!(waiter.await.unwrap(), Some(text()));
    }

    #[tokio::test]
    async fn a_failed_write_sends_the_claim_to_the_model_itself() {
        let writing = Writing::default();
        let id = CampaignLeadId::new();
        assert!(writing.queue(id));
        let done = writing.start(id).unwrap();
        drop(done);
        assert_eq!(writing.claim(id, Duration::from_secs(1)).await, None);
    }
}
