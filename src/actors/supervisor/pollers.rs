//! Starting, restarting and stopping the IMAP poller actors of one reconcile pass: one per
//! mailbox that has IMAP configured and is in the pool of a running or paused campaign. A pass
//! reads the wanted set (one query however many mailboxes), starts the missing pollers, stops
//! unwanted ones and restarts a poller whose server settings changed or whose task died (a
//! panic in one poller never touches another). A second query lists the mailboxes with
//! `unknown` sends and flags their pollers to look in Sent, so idle pollers never query the
//! store on their own.

use std::collections::HashMap;
use std::time::Duration;

use super::{Slot, Supervisor};
use crate::actors::imap_poller::{ImapPollerHandle, PollerConfig, spawn_imap_poller};
use crate::domain::{InboundOptions, Mailbox, MailboxId, ServerInfo};
use crate::imap::ImapSettings;

use crate::telemetry::InboundMetrics;
use crate::telemetry::handles::PollerUp;

/// How long stopping pollers may take on shutdown (each ends its IDLE or command first).
const STOP_LIMIT: Duration = Duration::from_secs(10);

/// A running poller: what it was started with (a change restarts it) and its up gauge.
pub(super) struct PollerSlot {
    slot: Slot<ImapPollerHandle>,
    key: (ServerInfo, InboundOptions, String),
    /// `outreachd_imap_poller_up{mailbox}`: 1 from the start, 0 once stopped.
    up: PollerUp,
}

/// The pollers the supervisor runs, and what it starts them with.
pub(super) struct Pollers {
    settings: ImapSettings,
    inbound: InboundMetrics,
    running: HashMap<MailboxId, PollerSlot>,
    /// When the wanted set was last read; pollers are reconciled every `reconcile_interval`
    /// (and on a notification), not on every quicker `--until-idle` tick.
    last_pass: Option<tokio::time::Instant>,
}

impl Pollers {
    /// `None` when pollers are off: `[imap] enabled = false`, or a Run Now daemon.
    pub(super) fn new(
        settings: ImapSettings,
        wanted: bool,
        inbound: InboundMetrics,
    ) -> Option<Self> {
        if !wanted {
            return None;
        }
        if !settings.enabled {
            tracing::info!("IMAP pollers disabled ([imap] enabled = false).");
            return None;
        }
        Some(Self {
            settings,
            inbound,
            running: HashMap::new(),
            last_pass: None,
        })
    }
}

impl Supervisor {
    /// One pass over the pollers, at most every `interval` unless `now` (a notification).
    pub(super) async fn reconcile_pollers(&mut self, now: bool) {
        let interval = self.options.interval;
        let Some(pollers) = self.pollers.as_mut() else {
            return;
        };
        if self.handle.cancel.is_cancelled()
            || !now && pollers.last_pass.is_some_and(|at| at.elapsed() < interval)
        {
            return;
        }
        pollers.last_pass = Some(tokio::time::Instant::now());
        let store = self.ctx.store.clone();
        match store.inbound_mailboxes().await {
            Ok(wanted) => {
                self.start_and_stop_pollers(wanted);
            }
            Err(e) => {
                self.ctx.metrics.error("imap", "store");
                tracing::warn!(error = %e, "Cannot list mailboxes to poll; retrying.");
            }
        }
        match store.mailboxes_with_unknown_sends().await {
            Ok(ids) => {
                let Some(pollers) = self.pollers.as_ref() else {
                    return;
                };
                for id in ids {
                    if let Some(p) = pollers.running.get(&id) {
                        p.slot.handle.look_for_unknown_sends();
                    }
                }
            }
            Err(e) => {
                self.ctx.metrics.error("imap", "store");
                tracing::warn!(error = %e, "Cannot list mailboxes with unknown sends.");
            }
        }
    }

    fn start_and_stop_pollers(&mut self, wanted: Vec<(Mailbox, InboundOptions)>) {
        let Some(pollers) = self.pollers.as_mut() else {
            return;
        };
        let sent_copies = &self.ctx.sent_copies;
        let mut keep = HashMap::with_capacity(wanted.len());
        for (mailbox, options) in wanted {
            let Some(imap) = mailbox.imap.clone() else {
                continue;
            };
            let key = (imap, options, mailbox.address.clone());
            let id = mailbox.id;
            match pollers.running.remove(&id) {
                Some(p) if p.key == key && !p.slot.task.is_finished() => {
                    keep.insert(id, p);
                }
                previous => {
                    if let Some(p) = previous {
                        if p.slot.task.is_finished() {
                            pollers.inbound.poller_restarted();
                            tracing::warn!(mailbox = %id, "IMAP poller ended unexpectedly; restarting.");
                        }
                        p.slot.cancel.cancel();
                        p.up.stopped();
                    }
                    let up = pollers.inbound.poller_up(&key.2);
                    up.started();
                    let cancel = self.handle.cancel.child_token();
                    let queue = if options.append_sent {
                        Some(sent_copies.open(id))
                    } else {
                        sent_copies.close(id);
                        None
                    };
                    let config = PollerConfig {
                        mailbox,
                        options,
                        settings: pollers.settings.clone(),
                        extra_root_pem: self.ctx.extra_root_pem.clone(),
                        metrics: self.ctx.metrics.clone(),
                        sent_copies: queue,
                        replies: self.ctx.replies.clone(),
                    };
                    let (handle, task) =
                        spawn_imap_poller(self.ctx.store.clone(), config, cancel.clone());
                    tracing::debug!(mailbox = %id, "IMAP poller started.");
                    let slot = Slot {
                        handle,
                        task,
                        cancel,
                    };
                    keep.insert(id, PollerSlot { slot, key, up });
                }
            }
        }
        for (id, p) in pollers.running.drain() {
            tracing::debug!(mailbox = %id, "IMAP poller no longer wanted; stopping.");
            p.slot.cancel.cancel();
            p.up.stopped();
            sent_copies.close(id);
        }
        pollers.running = keep;
        pollers.inbound.pollers_running(pollers.running.len());
    }

    /// Cancels every poller at once (each ends its IDLE or command first); the tasks are
    /// awaited by [`Self::await_pollers`], so they stop while campaigns and mailboxes drain.
    pub(super) fn cancel_pollers(&mut self) -> Vec<tokio::task::JoinHandle<()>> {
        let Some(pollers) = self.pollers.as_mut() else {
            return Vec::new();
        };
        let mut tasks = Vec::with_capacity(pollers.running.len());
        for (id, p) in pollers.running.drain() {
            p.slot.cancel.cancel();
            p.up.stopped();
            self.ctx.sent_copies.close(id);
            tasks.push(p.slot.task);
        }
        pollers.inbound.pollers_running(0);
        tasks
    }
}

/// Waits for cancelled pollers, at most [`STOP_LIMIT`].
pub(super) async fn await_pollers(tasks: Vec<tokio::task::JoinHandle<()>>) {
    let count = tasks.len();
    if tokio::time::timeout(STOP_LIMIT, futures_util::future::join_all(tasks))
        .await
        .is_err()
    {
        tracing::warn!(pollers = count, "IMAP pollers did not all stop in time.");
    }
}
