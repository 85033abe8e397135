//! The inbound half end to end: the real daemon sends through a Postfix `smtp-sink`, its IMAP
//! pollers read a real Dovecot (started by `scripts/mail-peers/start.sh`, ports from
//! `$MAILPEERS_DIR/env.sh`), and the tests put real messages (replies, DSNs, auto-replies,
//! copies in Sent) into the sender's folders over IMAP. Each test creates its own Dovecot
//! users, so tests run in parallel without seeing each other's mail.
//!
//! Without mail peers in the environment the tests are skipped with a note, except under
//! `CI=true`, where they fail (scripts/test.sh always starts the peers).

#[path = "../support/mod.rs"]
mod support;
use support::{app as helpers, certs, fixtures, sink};

mod messages;
mod peers;
mod private_dovecot;
mod reconcile;
mod resilience;
mod restart;
mod review;
mod scenario;
mod sent_copy;
mod setup;
mod tls;
