//! The running mailbox actors, shared by the supervisor (which starts and stops them) and the
//! campaign actors (which route jobs to them and ask their capacity).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::mailbox::MailboxHandle;
use crate::domain::MailboxId;

#[derive(Clone, Default)]
pub struct MailboxRegistry {
    inner: Arc<RwLock<HashMap<MailboxId, MailboxHandle>>>,
}

impl MailboxRegistry {
    pub fn get(&self, id: MailboxId) -> Option<MailboxHandle> {
        self.inner.read().ok()?.get(&id).cloned()
    }

    pub fn insert(&self, handle: MailboxHandle) {
        if let Ok(mut map) = self.inner.write() {
            map.insert(handle.id, handle);
        }
    }

    pub fn remove(&self, id: MailboxId) -> Option<MailboxHandle> {
        self.inner.write().ok()?.remove(&id)
    }

    /// The mailboxes of `pool` with room for jobs they could send within `horizon`, and the
    /// number of jobs in total.
    pub fn with_room_within(
        &self,
        pool: &[MailboxId],
        horizon: Duration,
    ) -> (usize, Vec<MailboxId>) {
        let Ok(map) = self.inner.read() else {
            return (0, Vec::new());
        };
        let mut total = 0;
        let mut ids = Vec::new();
        for (id, room) in pool
            .iter()
            .filter_map(|id| map.get(id).map(|h| (*id, h.capacity_within(horizon))))
        {
            if room > 0 {
                total += room;
                ids.push(id);
            }
        }
        (total, ids)
    }
}
