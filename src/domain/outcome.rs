//! `StepOutcome`: what one attempt to send one step to one lead came to, as the step contract
//! (docs/architecture.md) needs it. `smtp::classify` produces it from a server reply or a failure;
//! the mailbox actor turns it into a send-row transition, a lead transition and a mailbox
//! transition. Only outcomes drive state and metrics, never raw error kinds.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::SendState;

/// The result of one SMTP attempt for one (campaign lead, step).
///
/// Each variant says who is to blame: the recipient (`Retry`, `Bounced`), the message (`Failed`),
/// the sending mailbox (`MailboxThrottled`, `MailboxMisconfigured`) or nobody knows (`Unknown`).
/// A mailbox-side outcome never counts against the lead: the lead is requeued untouched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum StepOutcome {
    /// The server accepted the message after the final "." (2xx). The send row becomes `sent`
    /// and the lead advances to its next step.
    Sent { reply: String },
    /// A temporary, recipient-side refusal (4xx on RCPT or after the data, greylisting, a
    /// recipient mailbox receiving too fast). The send row becomes `retry` with backoff; the
    /// caller gives up (lead `failed`) after its attempt limit.
    Retry { reason: String },
    /// The recipient cannot receive mail. `hard` (5.1.x unknown user or domain, 5.2.1 disabled):
    /// the lead stops as `bounced` and the address is suppressed. Soft (x.2.2 mailbox full): a
    /// bounce_soft event is recorded and the step is retried like `Retry`, with its own limit;
    /// the address is not suppressed.
    Bounced { reply: String, hard: bool },
    /// The server refused the *mailbox*, not the recipient: 421, rate limits, reputation or
    /// blocklist replies (4.7.x / 5.7.x policy), a connection that dropped or timed out before
    /// the message was accepted. Nothing was delivered. The mailbox cools down; the lead is
    /// requeued without counting an attempt.
    MailboxThrottled { reason: String },
    /// The mailbox cannot send until an operator acts: AUTH rejected (535), TLS or STARTTLS
    /// failures, sender address not allowed, SPF/DKIM/DMARC failures (5.7.2x). Nothing was
    /// delivered. The mailbox is paused with this reason; the lead is requeued untouched.
    MailboxMisconfigured { reason: String },
    /// The final "." was sent but no reply came (connection lost, timeout). The server may have
    /// accepted the message (RFC 1047). The send row becomes `unknown` and is never resent
    /// automatically: it is reconciled by Message-ID over IMAP or by an operator.
    Unknown { reason: String },
    /// A permanent refusal that is about this message, not the recipient's address: content or
    /// size rejected (5.6.x, 5.3.4), a policy refusal without rate or reputation wording. The
    /// send row becomes `failed` and the lead stops as `failed`; the address is not suppressed.
    Failed { reason: String },
}

/// What the mailbox actor should do with the mailbox after an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailboxVerdict {
    /// Keep sending.
    Healthy,
    /// Stop sending for a while (backoff), then resume on its own.
    CoolDown,
    /// Stop sending until an operator resumes the mailbox.
    Pause,
}

impl StepOutcome {
    /// The state the `email_sends` row moves to. Mailbox-side outcomes requeue the step as
    /// `retry` (due again once the mailbox may send), without counting an attempt: see
    /// [`StepOutcome::counts_as_attempt`].
    pub fn send_state(&self) -> SendState {
        match self {
            Self::Sent { .. } => SendState::Sent,
            Self::Retry { .. }
            | Self::MailboxThrottled { .. }
            | Self::MailboxMisconfigured { .. } => SendState::Retry,
            Self::Bounced { hard: true, .. } => SendState::Bounced,
            Self::Bounced { hard: false, .. } => SendState::Retry,
            Self::Unknown { .. } => SendState::Unknown,
            Self::Failed { .. } => SendState::Failed,
        }
    }

    /// True when the attempt counts toward the step's retry limit. Outcomes that blame the
    /// mailbox never do: a throttled mailbox must not exhaust its leads' attempts.
    pub fn counts_as_attempt(&self) -> bool {
        !matches!(
            self,
            Self::MailboxThrottled { .. } | Self::MailboxMisconfigured { .. }
        )
    }

    /// True when the recipient's address must be suppressed (hard bounce only).
    pub fn suppresses_recipient(&self) -> bool {
        matches!(self, Self::Bounced { hard: true, .. })
    }

    pub fn mailbox_verdict(&self) -> MailboxVerdict {
        match self {
            Self::MailboxThrottled { .. } => MailboxVerdict::CoolDown,
            Self::MailboxMisconfigured { .. } => MailboxVerdict::Pause,
            _ => MailboxVerdict::Healthy,
        }
    }

    /// A bounded label for metrics and logs (`outcome="hard_bounce"`).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Sent { .. } => "sent",
            Self::Retry { .. } => "retry",
            Self::Bounced { hard: true, .. } => "hard_bounce",
            Self::Bounced { hard: false, .. } => "soft_bounce",
            Self::MailboxThrottled { .. } => "mailbox_throttled",
            Self::MailboxMisconfigured { .. } => "mailbox_misconfigured",
            Self::Unknown { .. } => "unknown",
            Self::Failed { .. } => "failed",
        }
    }

    /// The server reply or the reason, for the send row and the operator.
    pub fn detail(&self) -> &str {
        match self {
            Self::Sent { reply } | Self::Bounced { reply, .. } => reply,
            Self::Retry { reason }
            | Self::MailboxThrottled { reason }
            | Self::MailboxMisconfigured { reason }
            | Self::Unknown { reason }
            | Self::Failed { reason } => reason,
        }
    }
}

impl fmt::Display for StepOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.label(), self.detail())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_side_outcomes_never_count_against_the_lead() {
        let throttled = StepOutcome::MailboxThrottled {
            reason: "421".into(),
        };
        let misconfigured = StepOutcome::MailboxMisconfigured {
            reason: "535".into(),
        };
        assert!(!throttled.counts_as_attempt());
        assert!(!misconfigured.counts_as_attempt());
        assert_eq!(throttled.mailbox_verdict(), MailboxVerdict::CoolDown);
        assert_eq!(misconfigured.mailbox_verdict(), MailboxVerdict::Pause);
        assert_eq!(throttled.send_state(), SendState::Retry);
    }

    #[test]
    fn only_a_hard_bounce_suppresses_the_recipient() {
        let hard = StepOutcome::Bounced {
            reply: "550 5.1.1".into(),
            hard: true,
        };
        let soft = StepOutcome::Bounced {
            reply: "552 5.2.2".into(),
            hard: false,
        };
        assert!(hard.suppresses_recipient());
        assert!(!soft.suppresses_recipient());
        assert_eq!(hard.send_state(), SendState::Bounced);
        assert_eq!(soft.send_state(), SendState::Retry);
    }

    #[test]
    fn unknown_is_never_resent_and_serialises_with_its_tag() {
        let unknown = StepOutcome::Unknown {
            reason: "connection lost after final dot".into(),
        };
        assert_eq!(unknown.send_state(), SendState::Unknown);
        let json = serde_json::to_string(&unknown).unwrap();
        assert_eq!(
            json,
            r#"{"outcome":"unknown","reason":"connection lost after final dot"}"#
        );
        assert_eq!(
            unknown.to_string(),
            "unknown: connection lost after final dot"
        );
    }
}
