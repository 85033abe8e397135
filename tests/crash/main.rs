//! Crash and shutdown tests of the step contract: "nothing lost, nothing twice".
//!
//! Each test runs the real `outreachd` binary as a child process over a fresh database and a
//! real Postfix `smtp-sink` that dumps every transaction it accepts, then hurts it: SIGKILL
//! mid-run, SIGTERM mid-run, the database cutting its connections, a second daemon on the same
//! database. Afterwards the [`ledger`] holds the sink's dumps against the store's `email_sends`
//! rows: no (lead, step) may arrive twice, and every step the store does not mark `unknown`
//! (in flight at the crash, parked, never resent) must have arrived exactly once.

#[path = "../support/mod.rs"]
mod support;
use support::{fixtures, sink};

mod daemon;
mod ledger;
mod scenario;

mod kill;
mod outage;
mod resolve;
mod term;
mod zombie;
