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

    /// Jobs the given mailboxes could take and send within `horizon`, in total.
    pub fn capacity_within(&self, pool: &[MailboxId], horizon: Duration) -> usize {
        let Ok(map) = self.inner.read() else { return 0 };
        pool.iter()
            .filter_map(|id| map.get(id))
            .map(|h| h.capacity_within(horizon))
            .sum()
    }
}
