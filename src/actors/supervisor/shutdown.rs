//! Orderly stop: every IMAP poller is told to stop at once (each ends its IDLE or command), then
//! campaigns stop (no new claims), then mailboxes (each finishes the SMTP transaction in flight
//! and releases what is queued), so nothing is left `sending`. The pollers' tasks are handed
//! back, to be awaited while the completion writer drains.

use super::Supervisor;

impl Supervisor {
    pub(super) async fn stop_all(&mut self) -> Vec<tokio::task::JoinHandle<()>> {
        let pollers = self.cancel_pollers();
        for (_, slot) in self.campaigns.drain() {
            slot.cancel.cancel();
            let _ = slot.task.await;
        }
        for (id, slot) in self.mailboxes.drain() {
            self.registry.remove(id);
            slot.cancel.cancel();
            let _ = slot.task.await;
        }
        pollers
    }
}
