//! A connection check: the steps of logging in to a mailbox's servers (connect, TLS, greeting,
//! EHLO, STARTTLS, AUTH; IMAP LOGIN), each with whether it worked, what the server said and how
//! long it took. Built by `smtp` and `imap`, reported by the API; a detail is a server's words or
//! an I/O error, never a credential.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckStep {
    /// `smtp_connect`, `smtp_ehlo`, `smtp_auth`, `imap_login`…
    pub step: &'static str,
    pub ok: bool,
    pub detail: String,
    pub elapsed: Duration,
}

impl CheckStep {
    pub fn passed(step: &'static str, detail: impl Into<String>, elapsed: Duration) -> Self {
        Self {
            step,
            ok: true,
            detail: detail.into(),
            elapsed,
        }
    }

    pub fn failed(step: &'static str, detail: impl Into<String>, elapsed: Duration) -> Self {
        Self {
            step,
            ok: false,
            detail: detail.into(),
            elapsed,
        }
    }
}
