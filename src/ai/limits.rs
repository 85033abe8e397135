//! Per-key limits: requests per minute, tokens per minute and calls in flight, so a busy daemon
//! queues its calls instead of collecting 429s from the provider.
//!
//! Tokens are counted before a call, from an estimate (the prompt at 4 characters a token plus
//! the answer cap): the real count is known only afterwards, and what matters is not to start a
//! call the provider would refuse. The limits are read once when the registry is built: a
//! changed limit takes effect at the next restart.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::settings::ProviderSettings;

pub(crate) struct Limits {
    requests: Option<DefaultDirectRateLimiter>,
    tokens: Option<(DefaultDirectRateLimiter, NonZeroU32)>,
    in_flight: Semaphore,
}

impl Limits {
    pub(crate) fn new(settings: &ProviderSettings) -> Self {
        let per_minute =
            |n: u32| NonZeroU32::new(n).map(|n| (RateLimiter::direct(Quota::per_minute(n)), n));
        Self {
            requests: per_minute(settings.requests_per_minute).map(|(limiter, _)| limiter),
            tokens: per_minute(settings.tokens_per_minute),
            in_flight: Semaphore::new(settings.concurrency.max(1) as usize),
        }
    }

    /// Waits for a slot and for `tokens` of the per-minute budget; the slot is held until the
    /// permit drops (the whole call, retries included).
    pub(crate) async fn start(&self, tokens: u32) -> Option<SemaphorePermit<'_>> {
        let permit = self.in_flight.acquire().await.ok();
        if let Some((limiter, burst)) = &self.tokens {
            // A call bigger than a minute's budget waits for a full minute's budget, not forever.
            let wanted = NonZeroU32::new(tokens.max(1))
                .unwrap_or(NonZeroU32::MIN)
                .min(*burst);
            let _ = limiter.until_n_ready(wanted).await;
        }
        permit
    }

    /// Waits for the turn of one HTTP request (each attempt counts).
    pub(crate) async fn request(&self) {
        if let Some(limiter) = &self.requests {
            limiter.until_ready().await;
        }
    }
}

/// The estimate a call is counted with: prompt characters / 4, plus the answer cap.
pub(crate) fn estimated_tokens(prompt_chars: usize, max_tokens: Option<u32>) -> u32 {
    let prompt = u32::try_from(prompt_chars / 4).unwrap_or(u32::MAX);
    prompt.saturating_add(max_tokens.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_concurrency_makes_the_next_call_wait() {
        let limits = Limits::new(&ProviderSettings {
            concurrency: 1,
            ..ProviderSettings::default()
        });
        let first = limits.start(10).await;
        assert!(first.is_some());
        let second = tokio::time::timeout(std::time::Duration::from_millis(50), limits.start(10));
        assert!(second.await.is_err(), "the second call waits for the first");
        drop(first);
        assert!(limits.start(10).await.is_some());
    }

    #[tokio::test]
    async fn a_spent_token_budget_makes_the_next_call_wait() {
        let limits = Limits::new(&ProviderSettings {
            tokens_per_minute: 1000,
            ..ProviderSettings::default()
        });
        drop(limits.start(5000).await);
        let next = tokio::time::timeout(std::time::Duration::from_millis(50), limits.start(500));
        assert!(next.await.is_err(), "the minute's budget is spent");
    }

    #[test]
    fn the_estimate_counts_the_prompt_and_the_answer_cap() {
        assert_eq!(estimated_tokens(4000, Some(600)), 1600);
        assert_eq!(estimated_tokens(7, None), 1);
    }
}
