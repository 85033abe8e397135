//! The completion writer: actors hand it outcomes; it records them in batches, one transaction
//! per batch (this is where the throughput comes from). It never drops an outcome: if the store
//! is down it retries with backoff, and the bounded channel makes senders wait meanwhile.
//!
//! A mailbox actor takes a [`Recorded`] receipt for each outcome and waits on it before it
//! marks more sends `sending`: that bounds how many sent-but-unrecorded rows a crash can turn
//! into `unknown` (see `mailbox/send.rs`).

use crate::domain::{Completion, SendRef};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use chrono::{DateTime, Utc};

use crate::store::Store;
use crate::telemetry::CompletionMetrics;

/// Where actors send outcomes. Cloning is cheap; the writer stops once every clone is dropped
/// and what was sent is written.
#[derive(Clone)]
pub struct CompletionSink {
    tx: mpsc::Sender<Entry>,
    in_flight: Arc<AtomicUsize>,
}

/// An outcome on its way to the writer, with whom to tell once it is committed.
struct Entry {
    completion: Completion,
    recorded: Option<oneshot::Sender<()>>,
}

impl Entry {
    fn split_into(self, batch: &mut Vec<Completion>, waiting: &mut Vec<oneshot::Sender<()>>) {
        batch.push(self.completion);
        waiting.extend(self.recorded);
    }
}

/// Resolves once the outcome it was handed out for is in the store (or was fenced there), or
/// once the writer is gone.
pub struct Recorded(oneshot::Receiver<()>);

impl Recorded {
    pub async fn wait(self) {
        let _ = self.0.await;
    }
}

/// A read-only view of the in-flight count. Handles that outlive the actors (the supervisor
/// handle held by the HTTP server and the `Application`) keep this, not a [`CompletionSink`]:
/// a sink clone keeps the writer's channel open, so the writer (and with it the shutdown
/// drain) would wait for the server, which is only stopped after the drain.
#[derive(Clone)]
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

impl CompletionSink {
    /// Queues an outcome, waiting while the writer is behind (backpressure).
    pub async fn record(&self, completion: Completion) {
        self.send(Entry {
            completion,
            recorded: None,
        })
        .await;
    }

    /// [`Self::record`], with a receipt that resolves once the outcome is written.
    pub async fn record_tracked(&self, completion: Completion) -> Recorded {
        let (tx, rx) = oneshot::channel();
        self.send(Entry {
            completion,
            recorded: Some(tx),
        })
        .await;
        Recorded(rx)
    }

    async fn send(&self, entry: Entry) {
        if self.tx.send(entry).await.is_err() {
            // Only after shutdown drained the writer; the lease expiry recovers the row.
            tracing::error!("Completion writer is gone; an outcome was not recorded.");
        }
    }

    /// Gives a claim back untouched: due again at `at`, no attempt counted, `reason` kept on
    /// the row for `explain` and operators. The one way every actor hands back work it will
    /// not do now (outside the window, mailbox busy, capped, cooling, shutting down).
    pub async fn release(&self, send: SendRef, at: DateTime<Utc>, reason: &str) {
        self.record(Completion::Retry {
            send,
            at,
            reason: reason.to_owned(),
            counts_as_attempt: false,
        })
        .await;
    }

    /// A view of the in-flight count that does not keep the writer running.
    pub fn in_flight_view(&self) -> InFlight {
        InFlight(self.in_flight.clone())
    }

    /// Counts freshly claimed sends as in flight.
    pub fn claimed(&self, n: usize) {
        self.in_flight.fetch_add(n, Ordering::Relaxed);
    }

    /// Stops counting `n` claimed sends that end without an outcome to record: their lease
    /// was lost to another claimer, who now owns (and counts) the row. Without this the count
    /// never returns to zero and `run --until-idle` never exits.
    pub fn abandoned(&self, n: usize) {
        release_count(&self.in_flight, n);
    }
}

/// Subtracts `n` from the in-flight count without wrapping: a released claim that was never
/// counted (or counted twice as gone) must not wrap the counter.
fn release_count(in_flight: &AtomicUsize, n: usize) {
    let _ = in_flight.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
        Some(v.saturating_sub(n))
    });
}

/// Starts the writer. `batch` outcomes per transaction at most; an outcome waits at most
/// `flush` for companions.
pub fn spawn_completion_writer(
    store: Arc<dyn Store>,
    batch: usize,
    flush: Duration,
    metrics: CompletionMetrics,
) -> (CompletionSink, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Entry>(batch * 4);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let counter = in_flight.clone();
    let task = tokio::spawn(async move {
        let mut buffer = Vec::with_capacity(batch);
        let mut waiting = Vec::new();
        while let Some(first) = rx.recv().await {
            first.split_into(&mut buffer, &mut waiting);
            let deadline = tokio::time::Instant::now() + flush;
            while buffer.len() < batch {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(entry)) => entry.split_into(&mut buffer, &mut waiting),
                    Ok(None) | Err(_) => break,
                }
            }
            write_batch(store.as_ref(), &buffer, &metrics).await;
            release_count(&counter, buffer.len());
            buffer.clear();
            for recorded in waiting.drain(..) {
                let _ = recorded.send(());
            }
        }
    });
    (CompletionSink { tx, in_flight }, task)
}

async fn write_batch(store: &dyn Store, batch: &[Completion], metrics: &CompletionMetrics) {
    let mut delay = Duration::from_millis(100);
    loop {
        match store.complete_sends(batch, chrono::Utc::now()).await {
            Ok(report) => {
                metrics.written(batch.len(), u64::from(report.fenced));
                if report.fenced > 0 {
                    tracing::warn!(
                        fenced = report.fenced,
                        "Outcomes arrived after their lease expired and were ignored; the rows were re-claimed or declared unknown."
                    );
                }
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, size = batch.len(), "Cannot record send outcomes; retrying.");
                metrics.failed();
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}
