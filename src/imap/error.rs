//! `ImapError`: what can go wrong talking to one IMAP server. The poller actor maps each kind to
//! a mailbox IMAP status and a retry delay; none of them carries a password.

/// One failed IMAP operation.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot connect to {host}:{port}: {source}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS with {host} failed: {detail}")]
    Tls { host: String, detail: String },
    #[error("the server does not offer STARTTLS")]
    NoStarttls,
    /// The server refused the credentials; `reason` is its own text (e.g. `[AUTHENTICATIONFAILED]
    /// Authentication failed.`).
    #[error("login refused: {reason}")]
    Auth { reason: String },
    #[error("IMAP {command} timed out after {seconds}s")]
    Timeout { command: &'static str, seconds: u64 },
    #[error("IMAP {command} failed: {source}")]
    Protocol {
        command: &'static str,
        #[source]
        source: async_imap::error::Error,
    },
    #[error("the server closed the connection during {command}")]
    Closed { command: &'static str },
}

impl ImapError {
    /// Wrong credentials: retried slowly, never in a loop.
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Auth { .. })
    }

    /// The bounded `type` label of the error (`outreachd_errors_total{stage="imap"}`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Connect { .. } => "connect",
            Self::Tls { .. } => "tls",
            Self::NoStarttls => "starttls",
            Self::Auth { .. } => "auth",
            Self::Timeout { .. } => "timeout",
            Self::Protocol { .. } => "protocol",
            Self::Closed { .. } => "closed",
        }
    }

    /// The server's words when it answered a command with `NO` or `BAD`: that command was
    /// refused, the connection itself is fine.
    pub fn refusal(&self) -> Option<&str> {
        match self {
            Self::Protocol {
                source: async_imap::error::Error::No(reason) | async_imap::error::Error::Bad(reason),
                ..
            } => Some(reason),
            _ => None,
        }
    }
}
