//! The persona actor: generates the persona of each new lead in the background, once, with
//! its own concurrency, and sweeps for leads still without one (created while the queue was
//! full, imported by another process, or whose transient failure may now be retried).
//!
//! Handle and task: [`PersonaQueue::enqueue`] never waits (a full queue leaves the lead to the
//! sweep); the task owns the set of leads in flight so a lead queued twice is generated once,
//! and the store never replaces a persona on this path. Runs only with `[personas] enabled`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::domain::{LeadId, WorkspaceId};
use crate::service::personas::PersonaGenerator;
use crate::store::Store;

/// How often the sweep looks for leads without a persona when nothing wakes it.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Queues leads for the persona actor. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PersonaQueue {
    tx: mpsc::Sender<(WorkspaceId, LeadId)>,
    sweep: Arc<Notify>,
}

impl PersonaQueue {
    /// Asks for the persona of a new lead. Never waits: when the queue is full the sweep is
    /// woken instead, and finds the lead with the others.
    pub fn enqueue(&self, ws: WorkspaceId, id: LeadId) {
        if self.tx.try_send((ws, id)).is_err() {
            self.sweep.notify_one();
        }
    }

    /// Wakes the sweep (after an import, say).
    pub fn sweep_now(&self) {
        self.sweep.notify_one();
    }
}

struct PersonaActor {
    generator: PersonaGenerator,
    store: Arc<dyn Store>,
    permits: Arc<Semaphore>,
    in_flight: Arc<Mutex<HashSet<LeadId>>>,
    sweep_limit: u32,
    sweep: Arc<Notify>,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

/// Starts the actor; it stops when `cancel` fires (jobs in flight finish under `tracker`).
pub fn spawn_persona_actor(
    generator: PersonaGenerator,
    store: Arc<dyn Store>,
    concurrency: u32,
    queue: u32,
    cancel: CancellationToken,
    tracker: &TaskTracker,
) -> PersonaQueue {
    let capacity = usize::try_from(queue.max(1)).unwrap_or(usize::MAX);
    let (tx, rx) = mpsc::channel(capacity);
    let sweep = Arc::new(Notify::new());
    let actor = PersonaActor {
        generator,
        store,
        permits: Arc::new(Semaphore::new(
            usize::try_from(concurrency.max(1)).unwrap_or(1),
        )),
        in_flight: Arc::default(),
        sweep_limit: queue.max(1),
        sweep: sweep.clone(),
        cancel,
        tracker: tracker.clone(),
    };
    tracker.spawn(actor.run(rx));
    PersonaQueue { tx, sweep }
}

impl PersonaActor {
    async fn run(self, mut rx: mpsc::Receiver<(WorkspaceId, LeadId)>) {
        let mut tick = tokio::time::interval(SWEEP_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = self.cancel.cancelled() => break,
                next = rx.recv() => match next {
                    Some((ws, id)) => {
                        self.start(ws, id).await;
                    }
                    None => break,
                },
                _ = tick.tick() => self.sweep().await,
                () = self.sweep.notified() => self.sweep().await,
            }
        }
    }

    /// Starts a job for every lead the store says needs a persona; sweeps again at once when
    /// the page was full and moved on.
    async fn sweep(&self) {
        let found = match self
            .store
            .leads_needing_persona(chrono::Utc::now(), self.sweep_limit)
            .await
        {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "Failed to find leads without a persona.");
                return;
            }
        };
        let full = found.len() >= usize::try_from(self.sweep_limit).unwrap_or(usize::MAX);
        let mut started = 0;
        for (ws, id) in found {
            if self.cancel.is_cancelled() {
                return;
            }
            if self.start(ws, id).await {
                started += 1;
            }
        }
        if full && started > 0 {
            self.sweep.notify_one();
        }
    }

    /// Runs one lead's generation once a permit is free; `false` when it is in flight already
    /// or the actor is stopping.
    async fn start(&self, ws: WorkspaceId, id: LeadId) -> bool {
        if !self.claim(id) {
            return false;
        }
        let permit = tokio::select! {
            () = self.cancel.cancelled() => None,
            permit = self.permits.clone().acquire_owned() => permit.ok(),
        };
        let Some(permit) = permit else {
            self.release(id);
            return false;
        };
        let generator = self.generator.clone();
        let in_flight = self.in_flight.clone();
        self.tracker.spawn(async move {
            match generator.fill_in(ws, id).await {
                Ok(Some(usage)) => tracing::info!(
                    lead = %id, provider = usage.provider, model = %usage.model,
                    input_tokens = usage.input_tokens, output_tokens = usage.output_tokens,
                    cost_usd = usage.cost_usd, "Generated a lead persona."
                ),
                Ok(None) => {}
                Err(e) => tracing::warn!(
                    lead = %id, error = %e, transient = e.is_transient(),
                    "Failed to generate a lead persona."
                ),
            }
            if let Ok(mut set) = in_flight.lock() {
                set.remove(&id);
            }
            drop(permit);
        });
        true
    }

    fn claim(&self, id: LeadId) -> bool {
        self.in_flight.lock().is_ok_and(|mut set| set.insert(id))
    }

    fn release(&self, id: LeadId) {
        if let Ok(mut set) = self.in_flight.lock() {
            set.remove(&id);
        }
    }
}
