//! What ends one poller session: the IMAP server (an [`ImapError`]) or the store. The poller
//! maps each to a mailbox IMAP status, an error label and a retry delay.

use crate::imap::ImapError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error("cannot read or write the store: {0}")]
    Store(#[from] StoreError),
}

impl PollError {
    /// The bounded `type` label (`outreachd_errors_total{stage="imap"}`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Imap(e) => e.kind(),
            Self::Store(_) => "store",
        }
    }

    /// The server refused the credentials: its own words.
    pub fn auth_refusal(&self) -> Option<&str> {
        match self {
            Self::Imap(ImapError::Auth { reason }) => Some(reason),
            _ => None,
        }
    }
}
