//! Inbound IMAP: sessions, IDLE or polling, UID checkpoints, and the pure classifier that turns
//! a raw message into a reply, auto-reply, bounce, complaint or unsubscribe.
//!
//! `session` speaks IMAP (one connection, a timeout on every command), `poller` runs one
//! mailbox's loop (checkpoints, classification, store actions, Sent-folder reconciliation),
//! `actions` turns a classification into store actions. It never touches SMTP and knows no
//! actors: `actors::imap_poller` spawns and supervises the pollers.

mod actions;
pub mod classify;
mod error;
pub mod poller;
pub mod session;
mod settings;
mod stream;

pub use actions::{actions_for, class_name, header_date, inbound_class, inbound_key};
pub use error::ImapError;
pub use session::{Fetched, FolderState, IdleEnd, ImapSession, ImapTarget};
pub use settings::ImapSettings;
pub use stream::ImapStream;
