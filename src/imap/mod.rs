//! Inbound IMAP protocol: sessions, reading folders past a UID mark, and the pure classifier that
//! turns a raw message into a reply, auto-reply, bounce, complaint or unsubscribe.
//!
//! `session` speaks IMAP (one connection, a timeout on every command), `fetch` reads a folder
//! past its mark in batches, `classify` and `actions` turn a message into what the store must
//! do. It never writes the store, holds no pausing policy, never touches SMTP and knows no
//! actors: `actors::imap_poller` runs one mailbox's loop over these pieces.

mod actions;
pub mod classify;
mod error;
mod fetch;
mod probe;
pub mod session;
mod settings;
mod stream;

pub use actions::{
    actions_for, class_name, header_date, inbound_class, inbound_key, resolution_actions,
    resolutions_for, review_label,
};
pub use error::ImapError;
pub use fetch::{FolderCursor, FolderRead, INBOX, UidMark, has_news, open_folder};
pub use probe::probe;
pub use session::{Fetched, FolderState, IdleEnd, ImapSession, ImapTarget};
pub use settings::ImapSettings;
pub use stream::ImapStream;
