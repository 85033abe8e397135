//! From a claim to a ready job: render the step's templates for the lead, let the content
//! provider write the final text, store it (so a retry resends the same words; a batch per
//! round trip), then route the job to the lead's mailbox. Template errors fail the step with
//! their reason; a provider error that may pass is retried later (the text itself: `text.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::task::JoinSet;

use super::prefetch::Writing;
use super::text::generate;
use crate::actors::context::DispatchContext;
use crate::actors::job::{CampaignPlan, SendJob};
use crate::actors::mailbox::MailboxHandle;
use crate::actors::registry::MailboxRegistry;
use crate::domain::{
    CampaignId, ClaimedSend, GeneratedFor, GeneratedMessage, Mailbox, MailboxId, Product,
};
use crate::limits::window_gate;
use crate::telemetry::TextReadiness;

/// Fresh texts are stored in batches of at most this many (one round trip each)...
const SAVE_BATCH: usize = 500;
/// ...and no ready message waits longer than this for its batch to fill (slow providers).
const SAVE_WAIT: Duration = Duration::from_millis(20);

/// A claim with its text, ready for its mailbox.
struct Ready {
    claim: ClaimedSend,
    message: GeneratedMessage,
    /// Written now, not stored by an earlier attempt: it must be stored before it is sent.
    fresh: bool,
    handle: MailboxHandle,
}

/// What generating and routing one claim batch needs, owned, so the batch can be dispatched
/// on a task of its own while the campaign actor claims the next one.
pub(super) struct Dispatcher {
    pub(super) campaign_id: CampaignId,
    pub(super) ctx: Arc<DispatchContext>,
    pub(super) registry: MailboxRegistry,
    pub(super) product: Option<Product>,
    pub(super) mailboxes: Arc<HashMap<MailboxId, Mailbox>>,
    /// With a model writing the texts: the texts being written ahead (a claim waits for its
    /// own rather than asking the model twice). `None` for the template provider.
    pub(super) writing: Option<Writing>,
}

impl Dispatcher {
    /// Generates every claim, at most `generation_concurrency` at once, stores the new texts in
    /// batches and routes each job to its mailbox.
    pub(super) async fn dispatch(self, plan: Arc<CampaignPlan>, claims: Vec<ClaimedSend>) {
        let plan = &plan;
        let concurrency = (self.ctx.settings.generation_concurrency as usize).max(1);
        let mut claims = claims.into_iter();
        let mut tasks = JoinSet::new();
        let mut batch: Vec<Ready> = Vec::new();
        let mut oldest: Option<Instant> = None;
        loop {
            while tasks.len() < concurrency {
                let Some(claim) = claims.next() else { break };
                let ctx = self.ctx.clone();
                let plan = plan.clone();
                let product = self.product.clone();
                let handle = self.registry.get(claim.send.mailbox_id);
                let mailbox = self.mailboxes.get(&claim.send.mailbox_id).cloned();
                let writing = self.writing.clone();
                tasks.spawn(async move {
                    let mailbox = mailbox.zip(handle);
                    let product = product.as_ref();
                    prepare(&ctx, &plan, product, mailbox, claim, writing.as_ref()).await
                });
            }
            if tasks.is_empty() {
                break;
            }
            let wait = oldest.map_or(Duration::MAX, |t| SAVE_WAIT.saturating_sub(t.elapsed()));
            // Anything else was released or failed (and recorded), or panicked: the lease
            // brings that claim back.
            if let Ok(Some(Ok(Some(ready)))) = tokio::time::timeout(wait, tasks.join_next()).await {
                oldest.get_or_insert_with(Instant::now);
                batch.push(ready);
            }
            let waited = oldest.is_some_and(|t| t.elapsed() >= SAVE_WAIT);
            if batch.len() >= SAVE_BATCH || (waited && !batch.is_empty()) {
                self.store_and_route(plan, std::mem::take(&mut batch)).await;
                oldest = None;
            }
        }
        self.store_and_route(plan, batch).await;
    }

    /// Stores the fresh texts of `batch` in one call (keeping any text stored first), then
    /// hands each job to its mailbox. If storing fails the fresh ones retry later: a text is
    /// never sent before it is stored.
    async fn store_and_route(&self, plan: &Arc<CampaignPlan>, batch: Vec<Ready>) {
        if batch.is_empty() {
            return;
        }
        let fresh: Vec<GeneratedFor> = batch
            .iter()
            .filter(|r| r.fresh)
            .map(|r| GeneratedFor {
                campaign_lead_id: r.claim.send.campaign_lead_id,
                step_order: r.claim.step_order,
                message: r.message.clone(),
            })
            .collect();
        let mut stored = match self.ctx.store.save_generated_many(&fresh).await {
            Ok(stored) => Some(stored.into_iter()),
            Err(e) => {
                tracing::warn!(campaign = %self.campaign_id, error = %e, "Storing generated messages failed; their sends retry shortly.");
                None
            }
        };
        for mut ready in batch {
            if ready.fresh {
                match stored.as_mut().and_then(Iterator::next) {
                    Some(text) => ready.message = text,
                    None => {
                        let at = Utc::now() + chrono::TimeDelta::seconds(30);
                        self.ctx
                            .sink
                            .release(ready.claim.send, at, "cannot store the generated message")
                            .await;
                        continue;
                    }
                }
            }
            let job = SendJob {
                claim: ready.claim,
                message: ready.message,
                plan: plan.clone(),
            };
            if let Err(job) = ready.handle.try_send(job) {
                // Backpressure: the mailbox is full. Give the claim back as it was.
                self.ctx
                    .sink
                    .release(job.claim.send, job.claim.due_at, "mailbox queue full")
                    .await;
            }
        }
    }
}

/// The claim's text and mailbox, or `None` when it was released or failed (recorded here).
async fn prepare(
    ctx: &DispatchContext,
    plan: &CampaignPlan,
    product: Option<&Product>,
    mailbox: Option<(Mailbox, MailboxHandle)>,
    claim: ClaimedSend,
    writing: Option<&Writing>,
) -> Option<Ready> {
    // A due row outside the campaign's sending window waits for its next opening: it is never
    // sent early, and never lost. Run Now bypasses windows (but never caps or suppressions).
    if !ctx.run_now.bypasses(plan.campaign.id, claim.due_at) {
        let zone = plan.zone_for(claim.lead.timezone.as_deref());
        if let Err(opens) = window_gate(&plan.campaign.rules.window, zone, Utc::now()) {
            ctx.sink
                .release(claim.send, opens, "outside the sending window")
                .await;
            return None;
        }
    }
    let Some((mailbox, handle)) = mailbox else {
        // The lead's mailbox is paused or gone: leave the lead waiting for it.
        let at = Utc::now() + ctx.settings.throttle_cooldown.to_chrono();
        ctx.sink
            .release(claim.send, at, "the lead's mailbox is not sending")
            .await;
        return None;
    };
    let started = Instant::now();
    let ready = |when| {
        if writing.is_some() {
            ctx.content_metrics.ready(when, started.elapsed());
        }
    };
    if let Some(stored) = claim.generated.clone() {
        ready(TextReadiness::Ahead);
        return Some(Ready {
            claim,
            message: stored,
            fresh: false,
            handle,
        });
    }
    if let Some(writing) = writing {
        let limit = ctx.settings.claim_lease.as_duration() / 2;
        if let Some(stored) = writing.claim(claim.send.campaign_lead_id, limit).await {
            ready(TextReadiness::Waited);
            return Some(Ready {
                claim,
                message: stored,
                fresh: false,
                handle,
            });
        }
    }
    match generate(ctx, plan, product, &mailbox, &claim).await {
        Ok(message) => {
            ready(TextReadiness::AtClaim);
            Some(Ready {
                claim,
                message,
                fresh: true,
                handle,
            })
        }
        Err(completion) => {
            ctx.sink.record(completion).await;
            None
        }
    }
}
