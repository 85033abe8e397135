//! `SmtpError`: failures of this module that are not an SMTP exchange: a message that cannot be
//! built safely, an outbox that cannot be written, a weak unsubscribe key. Exchange failures
//! are `SendError`s (failure.rs), which carry the phase and the server's reply.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// A value that would be unsafe or invalid in the message (a Message-ID with spaces, a
    /// List-Unsubscribe URL with "<", an address lettre refuses). Lead data and LLM output are
    /// cleaned instead of refused; this is for values the system itself supplies.
    #[error("invalid {field} {value:?}: {detail}")]
    InvalidField {
        field: &'static str,
        value: String,
        detail: String,
    },
    #[error("failed to build the message: {0}")]
    Build(String),
    #[error("failed to write {path} to the outbox: {source}")]
    Outbox {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the unsubscribe key must be at least {min} bytes, got {got}")]
    WeakUnsubscribeKey { min: usize, got: usize },
}

impl SmtpError {
    pub(crate) fn invalid(field: &'static str, value: &str, detail: impl Into<String>) -> Self {
        Self::InvalidField {
            field,
            value: value.to_owned(),
            detail: detail.into(),
        }
    }
}
