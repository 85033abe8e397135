//! The bounded `type` label of `outreachd_errors_total{stage="smtp"}`: what went wrong with a
//! send that did not end in a clean 2xx, derived from the `SendError` and the outcome
//! `smtp::classify` gave it. Pure; the mailbox actor's handles count it.

use crate::domain::StepOutcome;
use crate::smtp::{Cause, Phase, SendError};

/// Why an SMTP send failed, as an operator would look into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpErrorType {
    /// The TCP connection could not be opened (refused, unreachable, name not resolved).
    Connect,
    /// An open session broke (reset, closed, an unparsable reply) or the outbox write failed.
    Connection,
    /// The TLS handshake failed (certificate, name, protocol).
    Tls,
    /// No reply within the phase's time limit.
    Timeout,
    /// The server refused our credentials (AUTH 4xx/5xx other than 421).
    Auth,
    /// Session set-up refused: a 5xx greeting/EHLO/STARTTLS, or we refused to go on (no
    /// STARTTLS, no usable AUTH, SMTPUTF8 missing).
    Protocol,
    /// The server throttled the mailbox (421, rate or reputation wording, transient set-up).
    Throttled,
    /// A negative reply in the transaction: bounces, content and sender-identity refusals,
    /// greylisting and other retries.
    Rejected,
}

impl SmtpErrorType {
    pub const ALL: [SmtpErrorType; 8] = [
        Self::Connect,
        Self::Connection,
        Self::Tls,
        Self::Timeout,
        Self::Auth,
        Self::Protocol,
        Self::Throttled,
        Self::Rejected,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Connection => "connection",
            Self::Tls => "tls",
            Self::Timeout => "timeout",
            Self::Auth => "auth",
            Self::Protocol => "protocol",
            Self::Throttled => "throttled",
            Self::Rejected => "rejected",
        }
    }

    /// The type of `error`, which `smtp::classify` turned into `outcome`.
    pub fn of(error: &SendError, outcome: &StepOutcome) -> Self {
        match &error.cause {
            Cause::Timeout(_) => Self::Timeout,
            Cause::Tls { .. } => Self::Tls,
            Cause::Connection(_) if error.phase == Phase::Connect => Self::Connect,
            Cause::Connection(_) => Self::Connection,
            Cause::Refused(_) => Self::Protocol,
            Cause::Rejected(reply) if error.phase == Phase::Auth && reply.code != 421 => Self::Auth,
            Cause::Rejected(_) => match outcome {
                StepOutcome::MailboxThrottled { .. } => Self::Throttled,
                _ if error.phase.is_session_setup() => Self::Protocol,
                _ => Self::Rejected,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::smtp::{Reply, classify_error};

    fn type_of(phase: Phase, cause: Cause) -> &'static str {
        let error = SendError::new(phase, cause);
        SmtpErrorType::of(&error, &classify_error(&error)).label()
    }

    fn rejected(phase: Phase, code: u16, text: &str) -> &'static str {
        type_of(phase, Cause::Rejected(Reply::new(code, text)))
    }

    #[test]
    fn network_failures_are_typed_by_cause_and_phase() {
        let refused = || Cause::Connection("connection refused".into());
        assert_eq!(type_of(Phase::Connect, refused()), "connect");
        assert_eq!(type_of(Phase::Rcpt, refused()), "connection");
        assert_eq!(type_of(Phase::AfterData, refused()), "connection");
        let slow = Cause::Timeout(Duration::from_secs(30));
        assert_eq!(type_of(Phase::AfterData, slow), "timeout");
        let tls = |verification| Cause::Tls {
            detail: "bad certificate".into(),
            verification,
        };
        assert_eq!(type_of(Phase::Tls, tls(true)), "tls");
        assert_eq!(type_of(Phase::Starttls, tls(false)), "tls");
    }

    #[test]
    fn session_setup_refusals_are_auth_protocol_or_throttled() {
        assert_eq!(rejected(Phase::Auth, 535, "5.7.8 Bad credentials"), "auth");
        assert_eq!(rejected(Phase::Auth, 454, "4.7.0 Try again"), "auth");
        assert_eq!(rejected(Phase::Auth, 421, "4.7.0 Closing"), "throttled");
        assert_eq!(rejected(Phase::Ehlo, 550, "5.5.0 Go away"), "protocol");
        assert_eq!(rejected(Phase::Greeting, 450, "4.3.2 Busy"), "throttled");
        let no_starttls = Cause::Refused("STARTTLS not offered".into());
        assert_eq!(type_of(Phase::Starttls, no_starttls), "protocol");
        let no_utf8 = Cause::Refused("SMTPUTF8 not offered".into());
        assert_eq!(type_of(Phase::Mail, no_utf8), "protocol");
    }

    #[test]
    fn transaction_replies_are_rejected_unless_they_throttle_the_mailbox() {
        assert_eq!(rejected(Phase::Rcpt, 550, "5.1.1 User unknown"), "rejected");
        assert_eq!(rejected(Phase::Rcpt, 451, "4.7.1 Greylisted"), "rejected");
        assert_eq!(
            rejected(Phase::AfterData, 554, "5.6.0 Content rejected"),
            "rejected"
        );
        assert_eq!(rejected(Phase::Rcpt, 421, "4.7.0 Too many"), "throttled");
        assert_eq!(
            rejected(Phase::Mail, 550, "5.7.1 Blocked for reputation"),
            "throttled"
        );
    }

    #[test]
    fn labels_are_distinct() {
        let labels: std::collections::HashSet<_> =
            SmtpErrorType::ALL.iter().map(|t| t.label()).collect();
        assert_eq!(labels.len(), SmtpErrorType::ALL.len());
        for (i, t) in SmtpErrorType::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i, "ALL is in declaration order");
        }
    }
}
