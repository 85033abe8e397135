//! End-to-end tests of the sending pipeline: the real daemon (supervisor, campaign and mailbox
//! actors, completion writer) on a real database, sending through real Postfix `smtp-sink`
//! servers. Assertions count what the SMTP server received.

#[path = "../support/mod.rs"]
mod support;

#[path = "../api/helpers.rs"]
mod helpers;

#[path = "../smtp/sink.rs"]
mod sink;

mod faults;
mod fixtures;
mod limits;
mod login;
mod observe;
mod pacing;
mod resume;
mod run_now;
mod sequence;
mod unsubscribe;
mod windows;

/// The message inside a smtp-sink dump, after the sink's own 3-line Received header.
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
