//! Orderly stop: campaigns first (no new claims), then mailboxes (each finishes the SMTP
//! transaction in flight and releases what is queued), so nothing is left `sending`.

use super::Supervisor;

impl Supervisor {
    pub(super) async fn stop_all(&mut self) {
        for (_, slot) in self.campaigns.drain() {
            slot.cancel.cancel();
            let _ = slot.task.await;
        }
        for (id, slot) in self.mailboxes.drain() {
            self.registry.remove(id);
            slot.cancel.cancel();
            let _ = slot.task.await;
        }
    }
}
