//! Marking sends `sending` for all mailboxes together: one statement and one commit for every
//! mark request that arrived while the previous statement ran (group commit).
//!
//! Each mailbox must mark its batch before it sends it (the step contract), and each mark is
//! a commit, which on PostgreSQL waits for a WAL flush. With ten mailboxes marking a handful of
//! rows each, the flushes, not the rows, are the bottleneck (seven rows per commit put most of
//! the database time in `WALWrite`). The marker never waits for company: an idle
//! daemon marks at once, a busy one gathers what queued up meanwhile.

use crate::domain::SendRef;
use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::store::Store;

/// Most rows one statement marks.
const MAX_ROWS: usize = 1_000;

struct MarkRequest {
    sends: Vec<(SendRef, String)>,
    lease_for: TimeDelta,
    reply: oneshot::Sender<Result<Vec<bool>, String>>,
}

/// Where mailbox actors send their marks. Cheap to clone.
#[derive(Clone)]
pub struct MarkerHandle {
    tx: mpsc::Sender<MarkRequest>,
}

impl MarkerHandle {
    /// `claimed → sending` for `sends` (with their Message-IDs), as
    /// [`Dispatch::mark_sending_many`](crate::store::Dispatch::mark_sending_many): one flag per
    /// send, `false` when its lease is gone.
    pub async fn mark(
        &self,
        sends: Vec<(SendRef, String)>,
        lease_for: TimeDelta,
    ) -> Result<Vec<bool>, String> {
        let (reply, answer) = oneshot::channel();
        let request = MarkRequest {
            sends,
            lease_for,
            reply,
        };
        self.tx
            .send(request)
            .await
            .map_err(|_| "the marker has stopped".to_owned())?;
        answer
            .await
            .map_err(|_| "the marker has stopped".to_owned())?
    }
}

/// Starts the marker; it ends when every handle is dropped.
pub fn spawn_marker(store: Arc<dyn Store>) -> (MarkerHandle, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<MarkRequest>(1_024);
    let task = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut rows = first.sends.len();
            let mut requests = vec![first];
            while rows < MAX_ROWS {
                match rx.try_recv() {
                    Ok(request) => {
                        rows += request.sends.len();
                        requests.push(request);
                    }
                    Err(_) => break,
                }
            }
            mark_together(store.as_ref(), requests).await;
        }
    });
    (MarkerHandle { tx }, task)
}

async fn mark_together(store: &dyn Store, requests: Vec<MarkRequest>) {
    let all: Vec<(SendRef, String)> = requests
        .iter()
        .flat_map(|r| r.sends.iter().cloned())
        .collect();
    // Requests carry the same lease unless a reload changed it between them: the longer one
    // is the safe one (a send is declared unknown later, never while still on the wire).
    let lease_for = requests
        .iter()
        .map(|r| r.lease_for)
        .max()
        .unwrap_or_default();
    match store.mark_sending_many(&all, Utc::now(), lease_for).await {
        Ok(marked) => {
            let mut marked = marked.into_iter();
            for request in requests {
                let part: Vec<bool> = marked.by_ref().take(request.sends.len()).collect();
                let _ = request.reply.send(Ok(part));
            }
        }
        Err(e) => {
            let message = e.to_string();
            for request in requests {
                let _ = request.reply.send(Err(message.clone()));
            }
        }
    }
}
