//! Runs one IMAP poller task per mailbox that has IMAP configured (and is in the pool of a
//! running or paused campaign), next to the supervisor. Every `interval` it reads the wanted
//! set (one query however many mailboxes), starts the missing pollers, stops unwanted ones and
//! restarts a poller whose server settings changed or whose task died (a panic in one poller
//! never touches another). A second query per pass lists the mailboxes with `unknown` sends and
//! flags their pollers to look in Sent, so idle pollers never query the store on their own. The protocol lives in `imap::poller`; this file only supervises.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::domain::MailboxId;
use crate::imap::ImapSettings;
use crate::imap::poller::{PollerConfig, run};
use crate::store::{InboundOptions, Mailbox, ServerInfo, Store};
use crate::telemetry::{InboundMetrics, Metrics};

/// How long stopping pollers may take on shutdown (each ends its IDLE or command first).
const STOP_LIMIT: Duration = Duration::from_secs(10);

struct Running {
    key: (ServerInfo, InboundOptions, String),
    unknown_sends: Arc<AtomicBool>,
    task: JoinHandle<()>,
    cancel: CancellationToken,
}

/// Starts the poller manager on `tracker` (nothing when `[imap] enabled = false`); it stops
/// every poller when `cancel` fires.
pub fn spawn_imap_pollers(
    store: Arc<dyn Store>,
    settings: ImapSettings,
    interval: Duration,
    metrics: Metrics,
    cancel: CancellationToken,
    tracker: &TaskTracker,
) {
    if !settings.enabled {
        tracing::info!("IMAP pollers disabled ([imap] enabled = false).");
        return;
    }
    tracker.spawn(async move {
        let inbound = metrics.inbound();
        let manager = Manager {
            store: &store,
            settings: &settings,
            metrics: &metrics,
            inbound: &inbound,
            cancel: &cancel,
        };
        let mut running: HashMap<MailboxId, Running> = HashMap::new();
        loop {
            match store.inbound_mailboxes().await {
                Ok(wanted) => {
                    manager.reconcile(&mut running, wanted);
                    inbound.pollers_running(running.len());
                }
                Err(e) => {
                    metrics.error("imap", "store");
                    tracing::warn!(error = %e, "Cannot list mailboxes to poll; retrying.");
                }
            }
            match store.mailboxes_with_unknown_sends().await {
                Ok(ids) => {
                    for id in ids {
                        if let Some(poller) = running.get(&id) {
                            poller.unknown_sends.store(true, Ordering::Relaxed);
                        }
                    }
                }
                Err(e) => {
                    metrics.error("imap", "store");
                    tracing::warn!(error = %e, "Cannot list mailboxes with unknown sends.");
                }
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(interval) => {}
            }
        }
        for poller in running.values() {
            poller.cancel.cancel();
        }
        let count = running.len();
        inbound.pollers_running(0);
        let tasks = running.into_values().map(|p| p.task);
        if tokio::time::timeout(STOP_LIMIT, futures_util::future::join_all(tasks))
            .await
            .is_err()
        {
            tracing::warn!(pollers = count, "IMAP pollers did not all stop in time.");
        }
    });
}

/// What starting a poller needs, borrowed from the manager task.
struct Manager<'a> {
    store: &'a Arc<dyn Store>,
    settings: &'a ImapSettings,
    metrics: &'a Metrics,
    inbound: &'a InboundMetrics,
    cancel: &'a CancellationToken,
}

impl Manager<'_> {
    fn reconcile(
        &self,
        running: &mut HashMap<MailboxId, Running>,
        wanted: Vec<(Mailbox, InboundOptions)>,
    ) {
        let Self {
            store,
            settings,
            metrics,
            inbound,
            cancel,
        } = *self;
        let mut keep = HashMap::with_capacity(wanted.len());
        for (mailbox, options) in wanted {
            let Some(imap) = mailbox.imap.clone() else {
                continue;
            };
            let key = (imap, options, mailbox.address.clone());
            let id = mailbox.id;
            match running.remove(&id) {
                Some(r) if r.key == key && !r.task.is_finished() => {
                    keep.insert(id, r);
                }
                previous => {
                    if let Some(r) = previous {
                        if r.task.is_finished() {
                            inbound.poller_restarted();
                            tracing::warn!(mailbox = %id, "IMAP poller ended unexpectedly; restarting.");
                        }
                        r.cancel.cancel();
                    }
                    let child = cancel.child_token();
                    let unknown_sends = Arc::new(AtomicBool::new(false));
                    let config = PollerConfig {
                        mailbox,
                        options,
                        settings: settings.clone(),
                        unknown_sends: unknown_sends.clone(),
                        metrics: metrics.clone(),
                    };
                    let task = tokio::spawn(run(store.clone(), config, child.clone()));
                    tracing::debug!(mailbox = %id, "IMAP poller started.");
                    keep.insert(
                        id,
                        Running {
                            key,
                            unknown_sends,
                            task,
                            cancel: child,
                        },
                    );
                }
            }
        }
        for (id, r) in running.drain() {
            tracing::debug!(mailbox = %id, "IMAP poller no longer wanted; stopping.");
            r.cancel.cancel();
        }
        *running = keep;
    }
}
