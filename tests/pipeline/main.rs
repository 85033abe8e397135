//! End-to-end tests of the sending pipeline: the real daemon (supervisor, campaign and mailbox
//! actors, completion writer) on a real database, sending through real Postfix `smtp-sink`
//! servers. Assertions count what the SMTP server received.

#[path = "../support/mod.rs"]
mod support;
use support::{app as helpers, fixtures, sink};

mod ahead;
mod faults;
mod limits;
mod login;
mod observe;
mod pacing;
mod resume;
mod run_now;
mod sequence;
mod unsubscribe;
mod windows;
