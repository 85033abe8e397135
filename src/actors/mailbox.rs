//! The mailbox actor: the egress unit. It owns one transport (an SMTP connection, or the outbox
//! folder), its pacing (gap with jitter), its caps (hourly, daily, warm-up; seeded from the
//! store) and its state (`active | cooling{until} | paused{reason}`). One transaction at a time.
//!
//! For each job: check state and caps (a blocked job is released, not failed), wait for the
//! gap, build the message, mark the row `sending` (fenced by the lease), send, classify the
//! reply and hand the outcome to the completion writer.

mod answer;
mod outcome;
mod send;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::completions::Recorded;
use super::context::DispatchContext;
use super::job::SendJob;
use super::transport::Transport;
use crate::domain::{Mailbox, MailboxId, ReplySendJob};
use crate::limits::{BudgetConfig, GapPacer, MailboxState, SendBudget, gap_gate};

pub enum MailboxMsg {
    Send(Box<SendJob>),
    /// An approved answer to a lead's reply (see `answer.rs`).
    Reply(Box<ReplySendJob>),
    /// New limits from the store (apply, API); counts and the connection are kept.
    Reconfigure(Box<Mailbox>),
}

/// What the campaign actors may read about a mailbox without asking it.
struct Shared {
    remaining_today: AtomicU32,
    accepting: AtomicBool,
    min_gap_ms: AtomicU32,
    /// New limits (a reload or an apply), taken by the actor even while it waits for its gap.
    pending: std::sync::Mutex<Option<Mailbox>>,
    reconfigured: tokio::sync::Notify,
}

#[derive(Clone)]
pub struct MailboxHandle {
    pub id: MailboxId,
    tx: mpsc::Sender<MailboxMsg>,
    shared: Arc<Shared>,
}

impl MailboxHandle {
    /// Hands a job over without waiting; gives it back when the queue is full or the actor
    /// is gone (backpressure: the caller releases the claim).
    pub fn try_send(&self, job: SendJob) -> Result<(), Box<SendJob>> {
        let msg = match self.tx.try_send(MailboxMsg::Send(Box::new(job))) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Full(msg) | mpsc::error::TrySendError::Closed(msg)) => {
                msg
            }
        };
        match msg {
            MailboxMsg::Send(job) => Err(job),
            // We only ever try_send `Send` here; nothing to give back otherwise.
            MailboxMsg::Reconfigure(_) | MailboxMsg::Reply(_) => Ok(()),
        }
    }

    /// Hands an approved answer over without waiting; `false` when the queue is full or the
    /// actor is gone (the answer stays claimed until its hold runs out, then is offered again).
    pub fn try_send_reply(&self, job: ReplySendJob) -> bool {
        self.tx.try_send(MailboxMsg::Reply(Box::new(job))).is_ok()
    }

    /// Hands new limits (caps, gaps, warm-up) to the running actor: its connection and counts
    /// are kept, and a wait for the old gap is cut short. Never blocks on a full queue.
    pub async fn reconfigure(&self, mailbox: Mailbox) {
        if let Ok(mut pending) = self.shared.pending.lock() {
            *pending = Some(mailbox.clone());
        }
        self.shared.reconfigured.notify_one();
        // Wakes an idle actor; when the queue is full the actor is busy and takes the pending
        // limits at its next gap or message anyway.
        let _ = self.tx.try_send(MailboxMsg::Reconfigure(Box::new(mailbox)));
    }

    /// How many more jobs this mailbox could send within `horizon` (queue room, pacing, caps,
    /// state): a campaign claims no more than its mailboxes can send before the lease ends.
    pub fn capacity_within(&self, horizon: std::time::Duration) -> usize {
        if !self.shared.accepting.load(Ordering::Relaxed) || self.tx.is_closed() {
            return 0;
        }
        let room = self.tx.capacity();
        let gap_ms = u128::from(self.shared.min_gap_ms.load(Ordering::Relaxed));
        let paced = horizon
            .as_millis()
            .checked_div(gap_ms)
            .map_or(room, |n| n as usize + 1);
        let queued = self.tx.max_capacity() - room;
        let remaining = self.shared.remaining_today.load(Ordering::Relaxed) as usize;
        if remaining == 0 {
            // Capped for today: take what is due anyway, only to release each job to the
            // cap's reset with its reason (once per period), so no lead waits unexplained.
            return room;
        }
        let cap_left =
            (self.shared.remaining_today.load(Ordering::Relaxed) as usize).saturating_sub(queued);
        room.min(paced.saturating_sub(queued)).min(cap_left)
    }
}

struct MailboxActor {
    mailbox: Mailbox,
    transport: Transport,
    pacer: GapPacer,
    budget: SendBudget,
    state: MailboxState,
    ctx: Arc<DispatchContext>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    metrics: crate::telemetry::MailboxMetrics,
    /// Receipts for the outcomes of the batch before the last one and of the last one: a new
    /// batch is marked `sending` only once the older are recorded (see `send.rs`).
    older_outcomes: Vec<Recorded>,
    newer_outcomes: Vec<Recorded>,
    /// Answers taken from the queue while a batch was gathered, sent after it.
    answers: Vec<ReplySendJob>,
}

/// Starts a mailbox actor. Loads today's usage from the store first, so a restart grants no
/// fresh burst. Fails if the store cannot be read (the supervisor retries with backoff).
pub async fn spawn_mailbox(
    mailbox: Mailbox,
    transport: Transport,
    ctx: Arc<DispatchContext>,
    cancel: CancellationToken,
) -> Result<(MailboxHandle, tokio::task::JoinHandle<()>), crate::store::StoreError> {
    let now = Utc::now();
    let config = BudgetConfig::for_mailbox(&mailbox);
    let local_date = now.with_timezone(&config.timezone).date_naive();
    let usage = ctx
        .store
        .mailbox_usage(mailbox.id, local_date, now - TimeDelta::hours(1))
        .await?;
    let budget = SendBudget::new(config, now, usage.sent_today, &usage.last_hour);
    let (tx, rx) = mpsc::channel(ctx.settings.mailbox_queue as usize);
    let shared = Arc::new(Shared {
        remaining_today: AtomicU32::new(0),
        accepting: AtomicBool::new(true),
        min_gap_ms: AtomicU32::new(0),
        pending: std::sync::Mutex::new(None),
        reconfigured: tokio::sync::Notify::new(),
    });
    let state = MailboxState::from_row(
        mailbox.status,
        mailbox.status_reason.as_deref(),
        mailbox.cooling_until,
        now,
    );
    let handle = MailboxHandle {
        id: mailbox.id,
        tx,
        shared: shared.clone(),
    };
    let mut pacer = GapPacer::new(mailbox.min_gap.as_duration(), mailbox.max_gap.as_duration());
    if let Some(free_at) = gap_gate(&usage.last_hour, mailbox.min_gap.to_chrono(), now) {
        pacer.hold_for((free_at - now).to_std().unwrap_or_default());
    }
    let mut actor = MailboxActor {
        pacer,
        metrics: ctx.metrics.mailbox(&mailbox.address),
        mailbox,
        transport,
        budget,
        state,
        ctx,
        shared,
        cancel,
        older_outcomes: Vec::new(),
        newer_outcomes: Vec::new(),
        answers: Vec::new(),
    };
    actor.publish(now);
    let task = tokio::spawn(async move { actor.run(rx).await });
    Ok((handle, task))
}

impl MailboxActor {
    async fn run(&mut self, mut rx: mpsc::Receiver<MailboxMsg>) {
        tracing::debug!(mailbox = %self.mailbox.address, "Mailbox actor started.");
        // What campaign actors read (accepting, remaining today) also changes with time alone:
        // a cooldown ends, the local day rolls over. Refresh it without waiting for a message.
        let mut refresh = tokio::time::interval(std::time::Duration::from_secs(1));
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let msg = tokio::select! {
                biased;
                () = self.cancel.cancelled() => break,
                msg = rx.recv() => msg,
                _ = refresh.tick() => {
                    let now = Utc::now();
                    if let MailboxState::Cooling { until, .. } = self.state
                        && until <= now
                    {
                        self.state = MailboxState::Active;
                    }
                    self.publish(now);
                    continue;
                }
            };
            match msg {
                None => break,
                Some(MailboxMsg::Reconfigure(mailbox)) => self.reconfigure(*mailbox),
                Some(MailboxMsg::Send(job)) => {
                    let mut batch = vec![*job];
                    // Unpaced mailboxes take what is already queued, to mark it `sending` in
                    // one commit; paced ones send one at a time anyway.
                    if self.mailbox.min_gap.as_duration().is_zero() {
                        self.take_queued(&mut rx, &mut batch);
                    }
                    self.handle_batch(batch).await;
                    for answer in std::mem::take(&mut self.answers) {
                        self.send_answer(answer).await;
                    }
                }
                Some(MailboxMsg::Reply(job)) => self.send_answer(*job).await,
            }
            self.publish(Utc::now());
        }
        // Shutdown: release what is queued (nothing left the machine), close the session.
        self.shared.accepting.store(false, Ordering::Relaxed);
        rx.close();
        while let Some(msg) = rx.recv().await {
            if let MailboxMsg::Send(job) = msg {
                self.ctx
                    .sink
                    .release(job.claim.send, job.claim.due_at, "daemon shutting down")
                    .await;
            }
        }
        self.transport.close().await;
        tracing::debug!(mailbox = %self.mailbox.address, "Mailbox actor stopped.");
    }

    /// Applies limits handed over by [`MailboxHandle::reconfigure`], if any.
    fn take_pending(&mut self) -> bool {
        let pending = self.shared.pending.lock().ok().and_then(|mut p| p.take());
        match pending {
            Some(mailbox) => {
                self.reconfigure(mailbox);
                true
            }
            None => false,
        }
    }

    fn reconfigure(&mut self, mailbox: Mailbox) {
        if let Ok(mut pending) = self.shared.pending.lock() {
            pending.take();
        }
        tracing::info!(
            mailbox = %mailbox.address,
            daily_cap = mailbox.daily_cap,
            hourly_cap = mailbox.hourly_cap.unwrap_or(0),
            min_gap = %mailbox.min_gap,
            max_gap = %mailbox.max_gap,
            "Mailbox limits reloaded; SMTP connection kept."
        );
        if mailbox.min_gap != self.mailbox.min_gap || mailbox.max_gap != self.mailbox.max_gap {
            self.pacer =
                GapPacer::new(mailbox.min_gap.as_duration(), mailbox.max_gap.as_duration());
            // The new gap counts from now, never granting an immediate send.
            self.pacer.spend();
        }
        self.budget.reconfigure(BudgetConfig::for_mailbox(&mailbox));
        self.mailbox = mailbox;
    }

    /// Refreshes what campaign actors read: remaining sends today, whether to feed us at all.
    fn publish(&mut self, now: DateTime<Utc>) {
        let accepting = self.state.hold(now).is_none();
        self.shared.accepting.store(accepting, Ordering::Relaxed);
        self.shared
            .remaining_today
            .store(self.budget.remaining_today(now), Ordering::Relaxed);
        let gap = u32::try_from(self.mailbox.min_gap.as_duration().as_millis()).unwrap_or(u32::MAX);
        self.shared.min_gap_ms.store(gap, Ordering::Relaxed);
        let today = now
            .with_timezone(&self.budget.config().timezone)
            .date_naive();
        self.metrics
            .cap_used(self.budget.sent_today(), self.budget.daily_cap_on(today));
    }
}
