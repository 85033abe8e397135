//! The campaign actor: for one running campaign, claims due leads in leased batches sized by
//! what its mailboxes can send before the lease ends (no hoarding), generates each message, and
//! hands the job to the lead's mailbox actor. A full mailbox queue is backpressure: the claim is
//! released untouched and the next claim is smaller.
//!
//! It does not poll: the supervisor wakes it with the campaign's next due time (one query for
//! all campaigns), so idle campaigns cost no queries.

mod claim_size;
mod generate;
mod prefetch;
mod text;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::context::DispatchContext;
use super::job::CampaignPlan;
use super::registry::MailboxRegistry;
use crate::domain::{CampaignId, ClaimRequest, WorkspaceId};
use crate::store::StoreError;
use claim_size::{ClaimRamp, NewLeadTally};
use generate::Dispatcher;
use prefetch::{Prefetcher, Snapshot, Writing};

/// Handle kept by the supervisor.
#[derive(Clone)]
pub struct CampaignHandle {
    wake: Arc<Notify>,
    /// Unix millis of the earliest known due time; `i64::MAX` when none.
    due_ms: Arc<AtomicI64>,
    reload: Arc<std::sync::atomic::AtomicBool>,
}

impl CampaignHandle {
    /// Tells the actor work is due at `at` (now or later).
    pub fn wake_at(&self, at: DateTime<Utc>) {
        self.due_ms
            .fetch_min(at.timestamp_millis(), Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// Asks the actor to reload its campaign, steps and product before the next claim.
    pub fn reload(&self) {
        self.reload.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }
}

struct Ahead {
    snapshot: tokio::sync::watch::Sender<Option<Arc<Snapshot>>>,
    writing: Writing,
    wake: Arc<Notify>,
}

struct CampaignActor {
    workspace_id: WorkspaceId,
    campaign_id: CampaignId,
    ctx: Arc<DispatchContext>,
    registry: MailboxRegistry,
    cancel: CancellationToken,
    handle: CampaignHandle,
    plan: Option<Arc<CampaignPlan>>,
    product: Option<crate::domain::Product>,
    /// The pool's mailbox rows (sender name and signature for templates).
    mailboxes: Arc<std::collections::HashMap<crate::domain::MailboxId, crate::domain::Mailbox>>,
    /// Step-1 claims and sends today, for the daily cap on new leads.
    new_today: Option<NewLeadTally>,
    /// With a model writing the texts: what the writer-ahead composes from, the texts it is
    /// writing, and its wake-up (each claim slides its window).
    ahead: Option<Ahead>,
    metrics: crate::telemetry::CampaignMetrics,
}

pub fn spawn_campaign(
    workspace_id: WorkspaceId,
    campaign_id: CampaignId,
    ctx: Arc<DispatchContext>,
    registry: MailboxRegistry,
    cancel: CancellationToken,
) -> (CampaignHandle, tokio::task::JoinHandle<()>) {
    let handle = CampaignHandle {
        wake: Arc::new(Notify::new()),
        due_ms: Arc::new(AtomicI64::new(i64::MAX)),
        reload: Arc::new(std::sync::atomic::AtomicBool::new(true)),
    };
    // The template provider is instant: nothing to write ahead.
    let ahead = (ctx.content.name() != "template").then(|| {
        let (snapshot, receiver) = tokio::sync::watch::channel(None);
        let ahead = Ahead {
            snapshot,
            writing: Writing::default(),
            wake: Arc::new(Notify::new()),
        };
        let prefetcher = Prefetcher {
            workspace_id,
            campaign_id,
            ctx: ctx.clone(),
            registry: registry.clone(),
            snapshot: receiver,
            writing: ahead.writing.clone(),
            wake: ahead.wake.clone(),
            cancel: cancel.clone(),
            failed: Default::default(),
        };
        tokio::spawn(prefetcher.run());
        ahead
    });
    let mut actor = CampaignActor {
        workspace_id,
        campaign_id,
        metrics: ctx.metrics.campaign(campaign_id),
        ctx,
        registry,
        cancel,
        handle: handle.clone(),
        plan: None,
        product: None,
        mailboxes: Default::default(),
        new_today: None,
        ahead,
    };
    let task = tokio::spawn(async move { actor.run().await });
    (handle, task)
}

impl CampaignActor {
    async fn run(&mut self) {
        loop {
            // The writer-ahead composes from the loaded plan before anything is due.
            let stale = self.plan.is_none() || self.handle.reload.load(Ordering::Relaxed);
            if self.ahead.is_some() && stale {
                self.handle.reload.store(false, Ordering::Relaxed);
                if let Err(e) = self.load().await {
                    tracing::warn!(campaign = %self.campaign_id, error = %e, "Loading the campaign failed; retrying at the next wake-up.");
                    self.handle.reload.store(true, Ordering::Relaxed);
                }
            }
            let due_ms = self.handle.due_ms.load(Ordering::Relaxed);
            let wait = if due_ms == i64::MAX {
                Duration::from_secs(3600)
            } else {
                let ms = due_ms - Utc::now().timestamp_millis();
                Duration::from_millis(u64::try_from(ms).unwrap_or(0))
            };
            if !wait.is_zero() {
                tokio::select! {
                    biased;
                    () = self.cancel.cancelled() => break,
                    () = self.handle.wake.notified() => continue,
                    () = tokio::time::sleep(wait) => {}
                }
            }
            if self.cancel.is_cancelled() {
                break;
            }
            self.handle.due_ms.store(i64::MAX, Ordering::Relaxed);
            if let Err(e) = self.drain().await {
                tracing::warn!(campaign = %self.campaign_id, error = %e, "Claiming failed; retrying shortly.");
                self.ctx.metrics.error("claim", "store");
                self.handle
                    .due_ms
                    .fetch_min(Utc::now().timestamp_millis() + 1_000, Ordering::Relaxed);
            }
        }
        tracing::debug!(campaign = %self.campaign_id, "Campaign actor stopped.");
    }

    /// Claims and dispatches until nothing is due or the mailboxes are full.
    async fn drain(&mut self) -> Result<(), StoreError> {
        if self.handle.reload.swap(false, Ordering::Relaxed) || self.plan.is_none() {
            self.load().await?;
        }
        let Some(plan) = self.plan.clone() else {
            return Ok(());
        };
        // One batch is generated and routed on its own task while the next one is claimed.
        let mut dispatching: Option<(tokio::task::JoinHandle<()>, usize)> = None;
        let result = self.claim_while_room(&plan, &mut dispatching).await;
        if let Some((task, _)) = dispatching {
            let _ = task.await;
        }
        result
    }

    async fn claim_while_room(
        &mut self,
        plan: &Arc<CampaignPlan>,
        dispatching: &mut Option<(tokio::task::JoinHandle<()>, usize)>,
    ) -> Result<(), StoreError> {
        let lease = self.ctx.settings.claim_lease.as_duration();
        let mut full_rounds = 0u32;
        let mut ramp = ClaimRamp::start(self.ctx.settings.max_claim_batch);
        while !self.cancel.is_cancelled() {
            let (room, with_room) = self
                .registry
                .with_room_within(&plan.campaign.mailbox_ids, lease);
            // Jobs still being dispatched take room they do not occupy yet.
            let capacity = room.saturating_sub(dispatching.as_ref().map_or(0, |(_, n)| *n));
            if capacity == 0 {
                if let Some((task, _)) = dispatching.take() {
                    let _ = task.await;
                    continue;
                }
                // Mailboxes are full, cooling or capped: look again shortly (bounded), then
                // leave it to the next wake-up.
                full_rounds += 1;
                if full_rounds > 20 {
                    self.handle
                        .due_ms
                        .fetch_min(Utc::now().timestamp_millis() + 1_000, Ordering::Relaxed);
                    return Ok(());
                }
                tokio::select! {
                    () = self.cancel.cancelled() => return Ok(()),
                    () = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
                continue;
            }
            full_rounds = 0;
            let now = Utc::now();
            let max_batch = self.ctx.settings.max_claim_batch;
            let max_rows = capacity.min(ramp.limit() as usize) as u32;
            let req = ClaimRequest {
                workspace_id: self.workspace_id,
                campaign_id: self.campaign_id,
                now,
                lease_for: self.ctx.settings.claim_lease.to_chrono(),
                max_rows,
                max_new_leads: self.new_lead_budget(plan, now).await?,
                mailboxes: Some(with_room),
            };
            let started = std::time::Instant::now();
            let claims = self.ctx.store.claim_due(&req).await?;
            let got = claims.len();
            tracing::debug!(
                campaign = %self.campaign_id,
                asked = max_rows,
                claimed = got,
                claim_ms = started.elapsed().as_millis() as u64,
                "Claimed a batch."
            );
            self.ctx.sink.claimed(got);
            self.metrics.claimed(got);
            let new_leads = claims.iter().filter(|c| c.step_order == 1).count() as u32;
            if let Some(tally) = &mut self.new_today {
                tally.count += new_leads;
            }
            // Batches reach the mailboxes in claim order: the previous one first.
            if let Some((task, _)) = dispatching.take() {
                let _ = task.await;
            }
            if got > 0 {
                let dispatcher = Dispatcher {
                    campaign_id: self.campaign_id,
                    ctx: self.ctx.clone(),
                    registry: self.registry.clone(),
                    product: self.product.clone(),
                    mailboxes: self.mailboxes.clone(),
                    writing: self.ahead.as_ref().map(|a| a.writing.clone()),
                };
                let task = tokio::spawn(dispatcher.dispatch(plan.clone(), claims));
                *dispatching = Some((task, got));
                // The claimed leads leave the writer's window: it may write the next ones.
                if let Some(ahead) = &self.ahead {
                    ahead.wake.notify_one();
                }
            }
            if got < max_rows as usize {
                return Ok(());
            }
            ramp.grow(max_batch);
        }
        Ok(())
    }

    async fn load(&mut self) -> Result<(), StoreError> {
        let store = &self.ctx.store;
        let Some(campaign) = store
            .campaign_by_id(self.workspace_id, self.campaign_id)
            .await?
        else {
            self.plan = None;
            if let Some(ahead) = &self.ahead {
                ahead.snapshot.send_replace(None);
            }
            return Ok(());
        };
        let steps = store
            .campaign_steps(self.workspace_id, self.campaign_id)
            .await?;
        self.product = match campaign.product_id {
            Some(id) => store.product_by_id(self.workspace_id, id).await?,
            None => None,
        };
        let mut mailboxes = std::collections::HashMap::new();
        for id in &campaign.mailbox_ids {
            if let Some(m) = store.mailbox_by_id(self.workspace_id, *id).await? {
                mailboxes.insert(m.id, m);
            }
        }
        self.mailboxes = Arc::new(mailboxes);
        let plan = Arc::new(CampaignPlan::new(campaign, steps));
        if let Some(ahead) = &self.ahead {
            ahead.snapshot.send_replace(Some(Arc::new(Snapshot {
                plan: plan.clone(),
                product: self.product.clone(),
                mailboxes: self.mailboxes.clone(),
            })));
        }
        self.plan = Some(plan);
        Ok(())
    }
}
