//! The supervisor: one reconcile loop that starts and stops every actor the store wants
//! running (campaign actors, mailbox actors and IMAP pollers), every `daemon.reconcile_interval`
//! and whenever notified. Each pass costs a fixed number of queries however many campaigns and
//! mailboxes are idle: expire leases, list pool mailboxes of running campaigns, list running
//! campaigns with their next due time, read when a running campaign last changed (an apply from
//! another process: campaign actors reload their plan), and, at most once per interval, list
//! the mailboxes to poll and those with `unknown` sends.
//!
//! It restarts a failed actor (campaign and mailbox actors after an exponential backoff, a
//! poller at the next pass), stops the actor of a paused mailbox and starts it again once an
//! operator resumes the mailbox (a fresh one when the resume lifted a cooldown the old actor
//! held), wakes campaign actors when their work is due, and on shutdown stops pollers,
//! campaigns (no new claims) and mailboxes (finish the transaction in flight, release the
//! rest), then drains the completion writer, so nothing is left `sending`.

mod actors;
mod answers;
mod pollers;
mod shutdown;
mod slot;
mod upkeep;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::completions::InFlight;
use super::context::DispatchContext;
use super::registry::MailboxRegistry;
use crate::domain::{CampaignId, MailboxId};
use crate::store::Store;
use crate::telemetry::Metrics;
use slot::{Backoff, Slot};

pub use actors::OUTBOX_HOST;

/// A cheap, cloneable handle to the running supervisor.
#[derive(Clone)]
pub struct SupervisorHandle {
    notify: Arc<Notify>,
    /// Unix millis of the last completed reconcile pass; 0 before the first.
    heartbeat_ms: Arc<AtomicI64>,
    interval: Duration,
    cancel: CancellationToken,
    /// Not a `CompletionSink`: this handle outlives the actors (see `InFlight`).
    in_flight: InFlight,
    /// Shared with the dispatch context: which leads a Run Now sends outside their window.
    run_now: super::RunNowWindows,
}

impl SupervisorHandle {
    /// Asks for a reconcile pass now (after an apply or an API change): actors reload.
    pub fn notify(&self) {
        self.notify.notify_one();
    }

    /// Running and has completed a pass within three intervals.
    pub fn is_healthy(&self) -> bool {
        let last = self.heartbeat_ms.load(Ordering::Relaxed);
        if last == 0 || self.cancel.is_cancelled() {
            return false;
        }
        let age_ms = Utc::now().timestamp_millis() - last;
        age_ms <= 3 * self.interval.as_millis() as i64 + 1_000
    }

    /// Claimed sends not yet recorded.
    pub fn in_flight(&self) -> usize {
        self.in_flight.get()
    }

    /// A Run Now of `campaign` is about to make its leads due at `due_at`: they are sent
    /// outside the campaign's window (see [`super::RunNowWindows`]).
    pub fn run_now_started(&self, campaign: CampaignId, due_at: chrono::DateTime<Utc>) {
        self.run_now.started(campaign, due_at);
    }
}

/// How the supervisor runs.
#[derive(Clone, Copy, Debug)]
pub struct SupervisorOptions {
    pub interval: Duration,
    /// `Some(period)`: cancel `shutdown` once nothing is in flight and nothing is due within
    /// `period` (the `run --until-idle` mode).
    pub until_idle: Option<Duration>,
    /// Run Now: reconcile only this campaign (other campaigns are left to the daemons).
    pub only_campaign: Option<CampaignId>,
    /// Run the IMAP pollers (when `[imap] enabled`); a Run Now process leaves them to the
    /// daemon.
    pub imap_pollers: bool,
}

struct Supervisor {
    ctx: Arc<DispatchContext>,
    registry: MailboxRegistry,
    mailboxes: HashMap<MailboxId, Slot<super::mailbox::MailboxHandle>>,
    mailbox_rows: HashMap<MailboxId, crate::domain::Mailbox>,
    campaigns: HashMap<CampaignId, Slot<super::campaign::CampaignHandle>>,
    /// `None` when this daemon reads no mail (`[imap] enabled = false`, Run Now).
    pollers: Option<pollers::Pollers>,
    backoff: HashMap<uuid::Uuid, Backoff>,
    handle: SupervisorHandle,
    options: SupervisorOptions,
    /// Cancelled to stop the whole daemon (until-idle).
    shutdown: CancellationToken,
    idle_since: Option<tokio::time::Instant>,
    /// The latest campaign update seen; when it moves, campaign actors reload their plan.
    campaigns_changed_at: Option<chrono::DateTime<Utc>>,
    metrics: crate::telemetry::SupervisorMetrics,
    /// When the due backlog was last counted (every [`BACKLOG_EVERY`] at most).
    backlog_read_at: Option<tokio::time::Instant>,
}

/// Starts the supervisor and the completion writer on `tracker`; both stop when `cancel`
/// fires, after draining.
pub fn spawn_supervisor(
    store: Arc<dyn Store>,
    ctx_parts: DispatchParts,
    metrics: Metrics,
    options: SupervisorOptions,
    cancel: CancellationToken,
    shutdown: CancellationToken,
    tracker: &TaskTracker,
) -> SupervisorHandle {
    let settings = ctx_parts.settings.clone();
    let pollers = pollers::Pollers::new(ctx_parts.imap, options.imap_pollers, metrics.inbound());
    let (sink, writer) = super::completions::spawn_completion_writer(
        store.clone(),
        settings.completion_batch as usize,
        settings.completion_flush.as_duration(),
        metrics.completions(),
    );
    let (marker, _) = super::marker::spawn_marker(store.clone());
    let ctx = Arc::new(DispatchContext {
        store,
        sink: sink.clone(),
        marker,
        content_metrics: metrics.content(ctx_parts.content.name()),
        content: ctx_parts.content,
        usage: ctx_parts.usage,
        insights: ctx_parts.insights,
        settings,
        signer: ctx_parts.signer,
        unsubscribe_base: ctx_parts.unsubscribe_base,
        outbox_dir: ctx_parts.outbox_dir,
        metrics,
        run_now: ctx_parts.run_now,
        dkim: ctx_parts.dkim,
        sent_copies: ctx_parts.sent_copies,
        extra_root_pem: ctx_parts.extra_root_pem,
        replies: ctx_parts.replies,
    });
    let handle = SupervisorHandle {
        notify: Arc::new(Notify::new()),
        heartbeat_ms: Arc::new(AtomicI64::new(0)),
        interval: options.interval,
        cancel: cancel.clone(),
        in_flight: sink.in_flight_view(),
        run_now: ctx.run_now.clone(),
    };
    let mut supervisor = Supervisor {
        metrics: ctx.metrics.supervisor(),
        backlog_read_at: None,
        ctx,
        registry: MailboxRegistry::default(),
        mailboxes: HashMap::new(),
        mailbox_rows: HashMap::new(),
        campaigns: HashMap::new(),
        pollers,
        backoff: HashMap::new(),
        handle: handle.clone(),
        options,
        shutdown,
        idle_since: None,
        campaigns_changed_at: None,
    };
    tracker.spawn(async move {
        supervisor.run(cancel).await;
        let pollers = supervisor.stop_all().await;
        // Every sink clone is gone once the actors and the context are dropped; the writer
        // then records what is left and ends. Pollers record nothing there: they end meanwhile.
        drop(supervisor);
        let (_, ()) = tokio::join!(writer, pollers::await_pollers(pollers));
        tracing::info!("Supervisor stopped; all outcomes recorded.");
    });
    handle
}

/// What the daemon hands the supervisor to build the dispatch context.
pub struct DispatchParts {
    pub settings: crate::config::Live<crate::config::DispatchSettings>,
    pub content: Arc<dyn crate::content::ContentProvider>,
    /// Budgets and `api_usage` rows for the content provider's calls.
    pub usage: Arc<crate::service::usage::UsageRecorder>,
    /// Company insights for the texts' prompts.
    pub insights: Arc<crate::service::insights::Insights>,
    pub signer: crate::smtp::UnsubscribeSigner,
    pub unsubscribe_base: Option<String>,
    pub outbox_dir: std::path::PathBuf,
    /// Run Now: which leads are sent regardless of their campaign's window.
    pub run_now: super::RunNowWindows,
    pub dkim: crate::smtp::DkimSigners,
    /// Mailbox actors offer sent messages here for their pollers (`append_sent`).
    pub sent_copies: super::SentCopies,
    /// `[imap]`: how the pollers read mail.
    pub imap: crate::imap::ImapSettings,
    /// `security.tls_ca_file`'s certificates, trusted besides the public roots.
    pub extra_root_pem: Option<Arc<str>>,
    /// Where the pollers offer the lead replies they keep, to draft answers.
    pub replies: super::ReplyInbox,
}

impl Supervisor {
    async fn run(&mut self, cancel: CancellationToken) {
        let tick = match self.options.until_idle {
            Some(_) => self.options.interval.min(Duration::from_millis(500)),
            None => self.options.interval,
        };
        // The first pass, and one after each notification, also reconciles the pollers at once.
        let mut notified = true;
        loop {
            let ok = self.reconcile().await;
            if ok {
                self.offer_answers().await;
            }
            self.reconcile_pollers(notified).await;
            self.metrics.reconciled(ok);
            self.metrics.db_pool.set(self.ctx.store.pool_stats());
            self.metrics.in_flight(self.handle.in_flight());
            self.ctx.metrics.run_upkeep();
            if ok {
                self.handle
                    .heartbeat_ms
                    .store(Utc::now().timestamp_millis(), Ordering::Relaxed);
            }
            notified = false;
            tokio::select! {
                () = cancel.cancelled() => break,
                () = self.handle.notify.notified() => {
                    self.reload_all();
                    notified = true;
                }
                () = tokio::time::sleep(tick) => {}
            }
        }
    }

    /// One pass. `false` when the store could not be read.
    async fn reconcile(&mut self) -> bool {
        let store = self.ctx.store.clone();
        match store.expire_leases(Utc::now()).await {
            Ok(r) if r.unknown > 0 => tracing::warn!(
                unknown = r.unknown,
                "Sends stuck in flight past their lease are now unknown; they will not be resent automatically."
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "Supervisor cannot reach the store; retrying.");
                self.ctx.metrics.error("supervisor", "store");
                return false;
            }
        }
        let mailboxes = match store.dispatch_mailboxes().await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "Cannot list mailboxes to run.");
                return false;
            }
        };
        self.metrics
            .mailbox_states(mailboxes.iter().map(|m| (m.address.as_str(), m.status)));
        self.reconcile_mailboxes(mailboxes).await;
        let due = match store.campaigns_due().await {
            Ok(d) => d
                .into_iter()
                .filter(|c| {
                    self.options
                        .only_campaign
                        .is_none_or(|only| only == c.campaign_id)
                })
                .collect::<Vec<_>>(),
            Err(e) => {
                tracing::warn!(error = %e, "Cannot list running campaigns.");
                return false;
            }
        };
        self.metrics
            .due(Utc::now(), due.iter().map(|c| (c.campaign_id, c.next_due)));
        self.count_backlog(&due).await;
        self.reconcile_campaigns(&due);
        self.reload_changed_campaigns().await;
        self.check_idle(&due);
        true
    }

    fn reload_all(&self) {
        for slot in self.campaigns.values() {
            slot.handle.reload();
        }
    }
}
