//! Inbound IMAP: sessions, IDLE or polling, UID checkpoints, and the pure classifier that turns
//! a raw message into a reply, auto-reply, bounce, complaint or unsubscribe.
//!
//! It never touches SMTP. Filled by the inbound issue (#5).

pub mod classify;
