//! `SendError`: where an SMTP exchange failed (`Phase`) and how (`Cause`). Connecting and sending
//! fail with the same type so that `classify` turns either into a `StepOutcome`.
//!
//! Nothing here ever holds a password: causes are built from server replies and I/O errors,
//! never from the commands we wrote.

use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::Error as LettreError;

use super::reply::Reply;

/// The step of an SMTP session. Order matters: everything before `AfterData` means the
/// message was certainly not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// TCP connect (name resolution included).
    Connect,
    /// TLS handshake of an implicit-TLS (port 465) connection.
    Tls,
    /// The server's 220 greeting.
    Greeting,
    Ehlo,
    /// The STARTTLS command, its handshake and the EHLO that follows it.
    Starttls,
    Auth,
    /// MAIL FROM (and the checks made before it: SMTPUTF8, 8BITMIME).
    Mail,
    Rcpt,
    /// The DATA command, before any content was written.
    Data,
    /// Writing the content; the final "." has not been written yet.
    Payload,
    /// The final "." was written; waiting for the server's verdict.
    AfterData,
}

impl Phase {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::Greeting => "greeting",
            Self::Ehlo => "ehlo",
            Self::Starttls => "starttls",
            Self::Auth => "auth",
            Self::Mail => "mail",
            Self::Rcpt => "rcpt",
            Self::Data => "data",
            Self::Payload => "payload",
            Self::AfterData => "after-data",
        }
    }

    /// True for the phases of opening a session, before any transaction.
    pub fn is_session_setup(&self) -> bool {
        *self <= Self::Auth
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a phase failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The server answered with a negative (4xx/5xx) reply.
    Rejected(Reply),
    /// No complete reply within the phase's time limit.
    Timeout(Duration),
    /// The connection broke: refused, reset, closed, or a reply that could not be parsed.
    Connection(String),
    /// TLS could not be established. `verification` is true when rustls refused the peer
    /// (certificate, name, protocol): retrying will not help, an operator must act.
    Tls { detail: String, verification: bool },
    /// We refused to go on: STARTTLS or a usable AUTH mechanism not offered, SMTPUTF8 needed
    /// but missing, an invalid HELO name.
    Refused(String),
}

/// A failed phase. Display: `"rcpt: 550 5.1.1 User unknown"`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("SMTP {phase} failed: {cause}")]
pub struct SendError {
    pub phase: Phase,
    pub cause: Cause,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(reply) => write!(f, "{reply}"),
            Self::Timeout(limit) => write!(f, "no reply within {}s", limit.as_secs_f64()),
            Self::Connection(detail) => write!(f, "connection failed: {detail}"),
            Self::Tls { detail, .. } => write!(f, "TLS failed: {detail}"),
            Self::Refused(detail) => write!(f, "{detail}"),
        }
    }
}

impl SendError {
    pub fn new(phase: Phase, cause: Cause) -> Self {
        Self { phase, cause }
    }

    /// The server's reply, when the failure was a negative reply.
    pub fn reply(&self) -> Option<&Reply> {
        match &self.cause {
            Cause::Rejected(reply) => Some(reply),
            _ => None,
        }
    }

    /// True when the connection can carry another transaction (after an RSET): a negative
    /// reply other than 421, or a refusal of ours, leaves the session in a known state.
    pub fn leaves_session_usable(&self) -> bool {
        match &self.cause {
            Cause::Rejected(reply) => reply.code != 421,
            Cause::Refused(_) => !self.phase.is_session_setup(),
            Cause::Timeout(_) | Cause::Connection(_) | Cause::Tls { .. } => false,
        }
    }

    pub(crate) fn from_lettre(phase: Phase, error: &LettreError) -> Self {
        if let Some(reply) = Reply::from_lettre_error(error) {
            return Self::new(phase, Cause::Rejected(reply));
        }
        if let Some(tls) = rustls_error(error) {
            return Self::new(
                phase,
                Cause::Tls {
                    detail: super::tls::explain_certificate_error(tls.to_string()),
                    verification: true,
                },
            );
        }
        if error.is_tls() {
            return Self::new(
                phase,
                Cause::Tls {
                    detail: error.to_string(),
                    verification: false,
                },
            );
        }
        Self::new(phase, Cause::Connection(error.to_string()))
    }
}

/// Runs one lettre step under a time limit, naming the phase in any failure.
pub(crate) async fn within<T>(
    phase: Phase,
    limit: Duration,
    step: impl Future<Output = Result<T, LettreError>>,
) -> Result<T, SendError> {
    match tokio::time::timeout(limit, step).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(SendError::from_lettre(phase, &error)),
        Err(_elapsed) => Err(SendError::new(phase, Cause::Timeout(limit))),
    }
}

/// Finds a rustls error in a source chain. `io::Error::source` skips the error it wraps, so
/// each `io::Error` is opened with `get_ref`.
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&'a (dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(tls);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_before_after_data_are_ordered_by_the_protocol() {
        assert!(Phase::Auth.is_session_setup());
        assert!(!Phase::Mail.is_session_setup());
        assert!(Phase::Payload < Phase::AfterData);
    }

    #[test]
    fn a_rejection_displays_phase_and_reply() {
        let e = SendError::new(
            Phase::Rcpt,
            Cause::Rejected(Reply::new(550, "5.1.1 User unknown")),
        );
        assert_eq!(e.to_string(), "SMTP rcpt failed: 550 5.1.1 User unknown");
        assert!(e.leaves_session_usable());
        let closing = SendError::new(Phase::Rcpt, Cause::Rejected(Reply::new(421, "4.7.0 bye")));
        assert!(!closing.leaves_session_usable());
    }

    #[test]
    fn a_tls_verification_error_is_found_inside_an_io_error() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert!(rustls_error(&io).is_some());
    }
}
