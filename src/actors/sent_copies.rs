//! [`SentCopies`] links the senders to the IMAP pollers of `append_sent = true` mailboxes: a
//! mailbox actor offers each successfully sent message, the mailbox's poller appends it to the
//! Sent folder between polls. Offering never waits: a full queue or a stopped poller drops the
//! copy (the message itself was sent; only the Sent folder misses it).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, mpsc};

use crate::domain::MailboxId;

/// Our sent copies waiting to be appended to Sent, as the poller receives them: the bytes
/// exactly as sent, and a wake-up so a waiting poller appends at once.
pub struct SentCopyQueue {
    pub copies: mpsc::Receiver<Vec<u8>>,
    pub wake: Arc<Notify>,
}

/// Sent copies waiting per mailbox poller before new ones are dropped (a poller appends them
/// within one poll interval; only a stuck connection fills this).
const SENT_COPY_QUEUE: usize = 256;

/// The sending end of one poller's [`SentCopyQueue`].
type SentCopySender = (mpsc::Sender<Vec<u8>>, Arc<Notify>);

/// Mailbox → the queue of its poller, for mailboxes with `append_sent = true` and a running
/// poller. Cheap to clone; shared by the supervisor (which opens a queue as it starts a poller)
/// and the dispatch context (whose mailbox actors offer copies).
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
    pub(super) fn open(&self, mailbox: MailboxId) -> SentCopyQueue {
        let (tx, copies) = mpsc::channel(SENT_COPY_QUEUE);
        let wake = Arc::new(Notify::new());
        if let Ok(mut q) = self.queues.lock() {
            q.insert(mailbox, (tx, wake.clone()));
        }
        SentCopyQueue { copies, wake }
    }

    pub(super) fn close(&self, mailbox: MailboxId) {
        if let Ok(mut q) = self.queues.lock() {
            q.remove(&mailbox);
        }
    }
}
