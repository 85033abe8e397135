//! One connection's life: log in, then read, append, reconcile and wait, until cancelled or
//! the connection fails.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Poller;
use super::error::PollError;
use crate::imap::{INBOX, IdleEnd, ImapSession, ImapTarget, has_news};

/// Resolves when a sent copy is offered; never without `append_sent`.
async fn copy_offered(wake: Option<Arc<Notify>>) {
    match wake {
        Some(w) => w.notified().await,
        None => std::future::pending().await,
    }
}

impl Poller {
    /// Returns `Ok` only when cancelled.
    pub(super) async fn serve(
        &mut self,
        target: &ImapTarget,
        cancel: &CancellationToken,
    ) -> Result<(), PollError> {
        let mut session = ImapSession::connect(target).await?;
        self.connected_once = true;
        self.missing.clear();
        self.set_status("ok", None).await;
        // Each new session looks for unknown sends once, whatever the flag says.
        self.unknown_sends.store(true, Ordering::Relaxed);
        self.next_reconcile = Instant::now();
        if self.checkpoints.is_none() {
            self.load_checkpoints().await?;
        }
        tracing::debug!(mailbox = %self.mailbox.id, idle = session.supports_idle(), "IMAP session ready.");
        loop {
            session.drain_notes();
            for folder in self.folders() {
                self.check_folder(&mut session, &folder).await?;
            }
            self.polls.polled(true, Utc::now());
            self.append_sent_copies(&mut session).await?;
            if Instant::now() >= self.next_reconcile {
                self.next_reconcile =
                    Instant::now() + self.settings.reconcile_interval.as_duration();
                if self.unknown_sends.swap(false, Ordering::Relaxed) {
                    self.reconcile_unknown(&mut session).await?;
                }
            }
            if cancel.is_cancelled() {
                session.logout().await;
                return Ok(());
            }
            let until_reconcile = self
                .next_reconcile
                .saturating_duration_since(Instant::now());
            if session.supports_idle() && self.settings.idle {
                let mut renewal = self
                    .settings
                    .idle_renewal
                    .as_duration()
                    .min(until_reconcile.max(Duration::from_millis(100)));
                if self.folders().len() > 1 {
                    renewal = renewal.min(self.settings.poll_interval.as_duration());
                }
                // Mail that arrived after INBOX's STATUS is not announced by IDLE: look first.
                let inbox = session.examine(INBOX).await?;
                let known = self
                    .checkpoints
                    .as_ref()
                    .and_then(|c| c.get(INBOX))
                    .copied();
                if has_news(&inbox, known) || self.copies_waiting() {
                    continue;
                }
                let woken = copy_offered(self.sent_copies.as_ref().map(|q| q.wake.clone()));
                let (back, end) = session.idle(renewal, cancel, woken).await?;
                session = back;
                if end == IdleEnd::Changed {
                    tracing::debug!(mailbox = %self.mailbox.id, "IMAP IDLE reported new mail.");
                }
            } else {
                let wait = self
                    .settings
                    .poll_interval
                    .as_duration()
                    .min(until_reconcile.max(Duration::from_millis(100)));
                let woken = copy_offered(self.sent_copies.as_ref().map(|q| q.wake.clone()));
                tokio::select! {
                    () = cancel.cancelled() => {}
                    () = tokio::time::sleep(wait) => {}
                    () = woken => {}
                }
            }
        }
    }

    fn folders(&self) -> Vec<String> {
        std::iter::once(INBOX.to_owned())
            .chain(self.settings.extra_folders.iter().cloned())
            .filter(|f| !self.missing.contains(f))
            .collect()
    }
}
