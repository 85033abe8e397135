//! Pacing and caps for one mailbox: the minimum gap between sends with random jitter
//! ([`GapPacer`], a governor limiter), and the hourly and daily caps with the warm-up ramp
//! ([`SendBudget`]). Recipient-domain and provider budgets shared through Redis come later.
//!
//! Everything here is in-memory and clock-explicit so it is testable without sleeping; the
//! authoritative daily count lives in the store and seeds a `SendBudget` at actor start, so a
//! restart never grants a fresh burst.

mod budget;
pub mod explain;
mod pacer;

pub use budget::{Blocked, BudgetConfig, CapKind, SendBudget};
pub use pacer::GapPacer;
