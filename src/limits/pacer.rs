//! `GapPacer`: at least `min_gap` between two sends of a mailbox, plus a uniform random extra of
//! up to `max_gap - min_gap`, so a mailbox never sends on a machine-regular beat.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Jitter, Quota, RateLimiter};

pub struct GapPacer {
    /// `None` when `min_gap` is zero: pacing off (benchmarks, tests).
    limiter: Option<DefaultDirectRateLimiter>,
    jitter: Jitter,
    /// No send before this, whatever the limiter says: the gap after a send that an earlier
    /// actor made (see [`GapPacer::hold_for`]).
    not_before: Option<tokio::time::Instant>,
}

impl GapPacer {
    pub fn new(min_gap: Duration, max_gap: Duration) -> Self {
        let limiter = Quota::with_period(min_gap)
            .map(|q| RateLimiter::direct(q.allow_burst(NonZeroU32::MIN)));
        Self {
            limiter,
            jitter: Jitter::up_to(max_gap.saturating_sub(min_gap)),
            not_before: None,
        }
    }

    /// Holds the first send for `rest`: a new actor's pacer knows nothing of the sends before
    /// it, so a restart would otherwise send at once after the last send of the old actor.
    pub fn hold_for(&mut self, rest: Duration) {
        self.not_before = Some(tokio::time::Instant::now() + rest);
    }

    /// Waits until the next send may start. The first send after start-up goes at once,
    /// unless [`GapPacer::hold_for`] holds it.
    pub async fn wait(&self) {
        if let Some(at) = self.not_before {
            tokio::time::sleep_until(at).await;
        }
        if let Some(limiter) = &self.limiter {
            limiter.until_ready_with_jitter(self.jitter).await;
        }
    }

    /// Counts a send as if it just happened, so the next one waits a full gap (a pacer
    /// replaced by a reload must not grant a send at once).
    pub fn spend(&self) {
        if let Some(limiter) = &self.limiter {
            let _ = limiter.check();
        }
    }

    /// True if a send could start now without waiting (ignoring jitter).
    pub fn ready_now(&self) -> bool {
        self.not_before
            .is_none_or(|at| at <= tokio::time::Instant::now())
            && self.limiter.as_ref().is_none_or(|l| l.check().is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_pacer_makes_the_next_send_wait() {
        let pacer = GapPacer::new(Duration::from_secs(60), Duration::from_secs(60));
        assert!(pacer.ready_now());
        pacer.spend();
        assert!(!pacer.ready_now());
    }

    #[tokio::test]
    async fn a_held_pacer_waits_out_the_hold_before_its_first_send() {
        let mut pacer = GapPacer::new(Duration::from_secs(60), Duration::from_secs(60));
        pacer.hold_for(Duration::from_millis(150));
        assert!(!pacer.ready_now());
        let start = std::time::Instant::now();
        pacer.wait().await;
        let held = start.elapsed();
        assert!(held >= Duration::from_millis(140), "{held:?}");
    }

    #[tokio::test]
    async fn a_zero_gap_never_waits() {
        let pacer = GapPacer::new(Duration::ZERO, Duration::ZERO);
        let start = std::time::Instant::now();
        for _ in 0..1_000 {
            pacer.wait().await;
        }
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn the_second_send_waits_at_least_the_minimum_gap() {
        let pacer = GapPacer::new(Duration::from_millis(150), Duration::from_millis(200));
        pacer.wait().await;
        let start = std::time::Instant::now();
        pacer.wait().await;
        let gap = start.elapsed();
        assert!(gap >= Duration::from_millis(140), "{gap:?}");
        assert!(gap < Duration::from_millis(1_000), "{gap:?}");
    }
}
