//! Crash and shutdown tests of the step contract (issue #4): "nothing lost, nothing twice".
//!
//! Each test runs the real `outreachd` binary as a child process over a fresh database and a
//! real Postfix `smtp-sink` that dumps every transaction it accepts, then hurts it: SIGKILL
//! mid-run, SIGTERM mid-run, the database cutting its connections, a second daemon on the same
//! database. Afterwards the [`ledger`] holds the sink's dumps against the store's `email_sends`
//! rows: no (lead, step) may arrive twice, and every step the store does not mark `unknown`
//! (in flight at the crash, parked, never resent) must have arrived exactly once.

#[path = "../support/mod.rs"]
mod support;

#[path = "../smtp/sink.rs"]
#[allow(dead_code)] // shared with the SMTP tests; this binary uses part of it
mod sink;

#[path = "../pipeline/fixtures.rs"]
#[allow(dead_code)] // shared with the pipeline tests; this binary uses part of it
mod fixtures;

mod daemon;
mod ledger;
mod scenario;

mod kill;
mod outage;
mod resolve;
mod term;
mod zombie;

/// The message inside a smtp-sink dump, after the sink's own 3-line Received header (the
/// pipeline fixtures call it through the crate root; same as `tests/pipeline/main.rs`).
pub fn sink_message(dump: &str) -> &str {
    let Some(at) = dump.find("\nReceived: ") else {
        return dump;
    };
    let rest = &dump[at + 1..];
    let mut offset = 0;
    for _ in 0..3 {
        match rest[offset..].find('\n') {
            Some(n) => offset += n + 1,
            None => return rest,
        }
    }
    &rest[offset..]
}
