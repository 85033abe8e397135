//! The inbound half end to end: the real daemon sends through a Postfix `smtp-sink`, its IMAP
//! pollers read a real Dovecot (started by `scripts/mail-peers/start.sh`, ports from
//! `$MAILPEERS_DIR/env.sh`), and the tests put real messages (replies, DSNs, auto-replies,
//! copies in Sent) into the sender's folders over IMAP. Each test creates its own Dovecot
//! users, so tests run in parallel without seeing each other's mail.
//!
//! Without mail peers in the environment the tests are skipped with a note, except under
//! `CI=true`, where they fail (scripts/test.sh always starts the peers).

#[path = "../support/certs.rs"]
mod certs;
#[path = "../support/mod.rs"]
mod support;

#[path = "../api/helpers.rs"]
mod helpers;

#[allow(dead_code)]
#[path = "../smtp/sink.rs"]
mod sink;

#[allow(dead_code)]
#[path = "../pipeline/fixtures.rs"]
mod fixtures;

mod messages;
mod peers;
mod private_dovecot;
mod reconcile;
mod resilience;
mod restart;
mod scenario;
mod sent_copy;
mod setup;
mod tls;

/// The message inside a smtp-sink dump (see `tests/pipeline/main.rs`).
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
