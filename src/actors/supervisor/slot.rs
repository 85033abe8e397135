//! What the supervisor keeps per running actor (its handle, task and cancellation token) and
//! the restart backoff of an actor that failed.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// A running actor and its restart bookkeeping.
pub(super) struct Slot<H> {
    pub(super) handle: H,
    pub(super) task: tokio::task::JoinHandle<()>,
    pub(super) cancel: CancellationToken,
}

/// When a failed actor may start again: 1 s, 2 s, 4 s, … up to 64 s after each failure.
#[derive(Default)]
pub(super) struct Backoff {
    failures: u32,
    retry_at: Option<tokio::time::Instant>,
}

impl Backoff {
    pub(super) fn fail(&mut self) -> Duration {
        self.failures += 1;
        let delay = Duration::from_millis(500) * 2u32.pow(self.failures.min(7));
        self.retry_at = Some(tokio::time::Instant::now() + delay);
        delay
    }

    pub(super) fn may_start(&self) -> bool {
        self.retry_at
            .is_none_or(|at| tokio::time::Instant::now() >= at)
    }
}
