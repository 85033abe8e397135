//! Runs one IMAP poller task per mailbox that has IMAP configured (and is in the pool of a
//! running or paused campaign), next to the supervisor. Every `interval` it reads the wanted
//! set (one query however many mailboxes), starts the missing pollers, stops unwanted ones and
//! restarts a poller whose server settings changed or whose task died (a panic in one poller
//! never touches another). A second query per pass lists the mailboxes with `unknown` sends and
//! flags their pollers to look in Sent, so idle pollers never query the store on their own. The protocol lives in `imap::poller`; this file only supervises.
//!
//! [`SentCopies`] links the senders to the pollers of `append_sent = true` mailboxes: a mailbox
//! actor offers each successfully sent message, the poller appends it to Sent between polls.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::domain::{InboundOptions, Mailbox, MailboxId, ServerInfo};
use crate::imap::ImapSettings;
use crate::imap::poller::{PollerConfig, SentCopyQueue, run};
use crate::store::Store;
use crate::telemetry::{InboundMetrics, Metrics};

/// How long stopping pollers may take on shutdown (each ends its IDLE or command first).
const STOP_LIMIT: Duration = Duration::from_secs(10);

/// Sent copies waiting per mailbox poller before new ones are dropped (a poller appends them
/// within one poll interval; only a stuck connection fills this).
const SENT_COPY_QUEUE: usize = 256;

/// The sending end of one poller's [`SentCopyQueue`].
type SentCopySender = (mpsc::Sender<Vec<u8>>, Arc<Notify>);

/// Mailbox → the queue of its poller, for mailboxes with `append_sent = true` and a running
/// poller. Cheap to clone; shared by the poller manager (which fills it) and the dispatch
/// context (whose mailbox actors offer copies).
#[derive(Clone, Default)]
pub struct SentCopies {
    queues: Arc<Mutex<HashMap<MailboxId, SentCopySender>>>,
    dropped: Arc<AtomicU64>,
}

impl SentCopies {
    /// Whether `mailbox` wants copies of its sent messages (append_sent and a running poller).
    pub fn wants(&self, mailbox: MailboxId) -> bool {
        self.queues
            .lock()
            .is_ok_and(|q| q.get(&mailbox).is_some_and(|(tx, _)| !tx.is_closed()))
    }

    /// Hands a sent message to the mailbox's poller; never waits. A full queue or a stopped
    /// poller drops the copy (logged at debug, counted in [`SentCopies::dropped`]).
    pub fn offer(&self, mailbox: MailboxId, message: &[u8]) {
        let Ok(queues) = self.queues.lock() else {
            return;
        };
        let Some((tx, wake)) = queues.get(&mailbox) else {
            return;
        };
        match tx.try_send(message.to_vec()) {
            Ok(()) => wake.notify_one(),
            Err(e) => {
                let reason = match e {
                    mpsc::error::TrySendError::Full(_) => "queue full",
                    mpsc::error::TrySendError::Closed(_) => "poller stopped",
                };
                self.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(mailbox = %mailbox, reason, "Sent copy not appended to Sent.");
            }
        }
    }

    /// Copies dropped since the daemon started (queue full or no poller).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// A new queue for `mailbox`'s poller, replacing any previous one.
    fn open(&self, mailbox: MailboxId) -> SentCopyQueue {
        let (tx, copies) = mpsc::channel(SENT_COPY_QUEUE);
        let wake = Arc::new(Notify::new());
        if let Ok(mut q) = self.queues.lock() {
            q.insert(mailbox, (tx, wake.clone()));
        }
        SentCopyQueue { copies, wake }
    }

    fn close(&self, mailbox: MailboxId) {
        if let Ok(mut q) = self.queues.lock() {
            q.remove(&mailbox);
        }
    }
}

struct Running {
    key: (ServerInfo, InboundOptions, String),
    unknown_sends: Arc<AtomicBool>,
    task: JoinHandle<()>,
    cancel: CancellationToken,
    /// `outreachd_imap_poller_up{mailbox}`: 1 from the start, 0 once stopped.
    up: crate::telemetry::handles::PollerUp,
}

/// What the poller manager runs with, from the daemon's settings.
pub struct PollerSetup {
    pub settings: ImapSettings,
    /// How often the manager re-reads which mailboxes to poll.
    pub interval: Duration,
    /// `security.tls_ca_file`'s certificates, trusted besides the public roots.
    pub extra_root_pem: Option<Arc<str>>,
}

/// Starts the poller manager on `tracker` (nothing when `[imap] enabled = false`); it stops
/// every poller when `cancel` fires.
pub fn spawn_imap_pollers(
    store: Arc<dyn Store>,
    setup: PollerSetup,
    metrics: Metrics,
    sent_copies: SentCopies,
    cancel: CancellationToken,
    tracker: &TaskTracker,
) {
    let PollerSetup {
        settings,
        interval,
        extra_root_pem,
    } = setup;
    if !settings.enabled {
        tracing::info!("IMAP pollers disabled ([imap] enabled = false).");
        return;
    }
    tracker.spawn(async move {
        let inbound = metrics.inbound();
        let manager = Manager {
            store: &store,
            settings: &settings,
            extra_root_pem: &extra_root_pem,
            metrics: &metrics,
            inbound: &inbound,
            cancel: &cancel,
            sent_copies: &sent_copies,
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
        for (id, poller) in &running {
            poller.cancel.cancel();
            poller.up.stopped();
            sent_copies.close(*id);
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
    extra_root_pem: &'a Option<Arc<str>>,
    metrics: &'a Metrics,
    inbound: &'a InboundMetrics,
    cancel: &'a CancellationToken,
    sent_copies: &'a SentCopies,
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
            extra_root_pem,
            metrics,
            inbound,
            cancel,
            sent_copies,
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
                        r.up.stopped();
                    }
                    let up = inbound.poller_up(&key.2);
                    up.started();
                    let child = cancel.child_token();
                    let unknown_sends = Arc::new(AtomicBool::new(false));
                    let queue = if options.append_sent {
                        Some(sent_copies.open(id))
                    } else {
                        sent_copies.close(id);
                        None
                    };
                    let config = PollerConfig {
                        mailbox,
                        options,
                        settings: settings.clone(),
                        extra_root_pem: extra_root_pem.clone(),
                        unknown_sends: unknown_sends.clone(),
                        metrics: metrics.clone(),
                        sent_copies: queue,
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
                            up,
                        },
                    );
                }
            }
        }
        for (id, r) in running.drain() {
            tracing::debug!(mailbox = %id, "IMAP poller no longer wanted; stopping.");
            r.cancel.cancel();
            r.up.stopped();
            sent_copies.close(id);
        }
        *running = keep;
    }
}
