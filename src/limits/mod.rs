//! Pacing, caps and gates for one mailbox: the minimum gap between sends with random jitter
//! ([`GapPacer`], a governor limiter), the hourly and daily caps with the warm-up ramp
//! ([`SendBudget`] over [`daily_gate`] and [`hourly_gate`]), the mailbox's state and cooldown
//! ([`MailboxState`]) and the sending window ([`window_gate`]). The actors decide with these
//! functions and `explain` reports with the same ones. Limits are in-process: budgets shared
//! between daemons are not built, so one daemon per database runs capped mailboxes.
//!
//! Everything here is in-memory and clock-explicit so it is testable without sleeping; the
//! authoritative daily count lives in the store and seeds a `SendBudget` at actor start, so a
//! restart never grants a fresh burst.

mod budget;
pub mod explain;
mod gates;
mod pacer;

pub use budget::{Blocked, BudgetConfig, CapKind, SendBudget, daily_gate, hourly_gate};
pub use gates::{Hold, MailboxState, gap_gate, send_zone, window_gate};
pub use pacer::GapPacer;
