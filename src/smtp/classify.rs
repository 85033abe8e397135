//! `classify`: turns what a send came to (a 2xx reply, or a `SendError` with its phase) into a
//! `StepOutcome`. Pure, table-tested with replies from Gmail, Outlook and Yahoo.
//!
//! The rules, in order (first match wins), for replies to RCPT, DATA and the final ".":
//! 1. 421 ⇒ the mailbox is throttled (the server is closing the session on us).
//! 2. Sender authentication or identity (x.7.20–x.7.27 SPF/DKIM/DMARC/PTR, x.1.7/x.1.8, "send
//!    as" denied, relaying denied) ⇒ 5xx: mailbox misconfigured, 4xx: throttled.
//! 3. x.2.2 mailbox full ⇒ soft bounce. x.2.1 disabled or x.1.x address ⇒ 5xx: hard bounce,
//!    4xx: retry (a recipient receiving too fast, a domain not resolving right now).
//! 4. Greylisting ⇒ retry.
//! 5. Content (x.6.x, x.3.4 size, x.2.3, words such as "content", "virus") ⇒ 5xx: failed,
//!    4xx: retry. Checked before rule 6 because content verdicts often also say "blocked".
//! 6. Rate, reputation, spam or blocklist wording ⇒ the mailbox is throttled, whatever the
//!    class: the recipient is not to blame.
//! 7. Any other 4xx ⇒ retry.
//! 8. 5xx with user-unknown wording ⇒ hard bounce; with mailbox-full wording ⇒ soft bounce.
//! 9. On RCPT only: x.4.1 (Outlook's directory-based blocking of unknown recipients) and bare
//!    550/551/553 ⇒ hard bounce, bare 552 ⇒ soft bounce (RFC 5321 meanings).
//! 10. Anything else permanent ⇒ failed: stop the lead, but do not suppress an address on a
//!     reply we do not understand.
//!
//! Failures without a reply: after the final "." ⇒ unknown (never resent); before it ⇒ the
//! mailbox is throttled (nothing was delivered; reconnect later). Session setup (connect, TLS,
//! greeting, EHLO, STARTTLS, AUTH) never blames the lead: 4xx and network trouble throttle the
//! mailbox, 5xx (AUTH 535, no STARTTLS, bad certificate) pauses it as misconfigured.

use super::failure::{Cause, Phase, SendError};
use super::reply::Reply;
use crate::domain::StepOutcome;

/// The outcome of `SmtpConnection::connect` or `send`.
pub fn classify(result: &Result<Reply, SendError>) -> StepOutcome {
    match result {
        Ok(reply) => StepOutcome::Sent {
            reply: reply.to_string(),
        },
        Err(error) => classify_error(error),
    }
}

pub fn classify_error(error: &SendError) -> StepOutcome {
    let reason = error.to_string();
    match &error.cause {
        Cause::Rejected(reply) => classify_reply(error.phase, reply, reason),
        Cause::Timeout(_) | Cause::Connection(_) if error.phase == Phase::AfterData => {
            StepOutcome::Unknown { reason }
        }
        Cause::Timeout(_) | Cause::Connection(_) => StepOutcome::MailboxThrottled { reason },
        Cause::Tls {
            verification: true, ..
        } => StepOutcome::MailboxMisconfigured { reason },
        Cause::Tls { .. } => StepOutcome::MailboxThrottled { reason },
        // Our own refusals before a transaction are configuration (no STARTTLS, no usable AUTH,
        // bad HELO name); within one they are about this message (SMTPUTF8, 8BITMIME).
        Cause::Refused(_) if error.phase.is_session_setup() => {
            StepOutcome::MailboxMisconfigured { reason }
        }
        Cause::Refused(_) => StepOutcome::Failed { reason },
    }
}

fn classify_reply(phase: Phase, reply: &Reply, reason: String) -> StepOutcome {
    let text = reply.text.to_ascii_lowercase();
    if reply.code == 421 {
        return StepOutcome::MailboxThrottled { reason };
    }
    match phase {
        Phase::Auth if reply.is_permanent() => StepOutcome::MailboxMisconfigured { reason },
        phase if phase.is_session_setup() => {
            if reply.is_transient() || mentions_reputation(&text) {
                StepOutcome::MailboxThrottled { reason }
            } else {
                StepOutcome::MailboxMisconfigured { reason }
            }
        }
        Phase::Mail => sender_reply(reply, &text, reason),
        _ => recipient_reply(phase, reply, &text, reason),
    }
}

/// MAIL FROM carries no recipient: a refusal is about the mailbox (or, rarely, the message).
fn sender_reply(reply: &Reply, text: &str, reason: String) -> StepOutcome {
    let enhanced = reply.enhanced;
    if enhanced.is_some_and(|e| e.subject == 6 || e.is(3, 4)) {
        return StepOutcome::Failed { reason };
    }
    if reply.is_transient() || mentions_reputation(text) {
        StepOutcome::MailboxThrottled { reason }
    } else {
        StepOutcome::MailboxMisconfigured { reason }
    }
}

fn recipient_reply(phase: Phase, reply: &Reply, text: &str, reason: String) -> StepOutcome {
    let permanent = reply.is_permanent();
    let enhanced = reply.enhanced;

    let sender_identity = enhanced.is_some_and(|e| {
        (e.subject == 7 && (20..=27).contains(&e.detail)) || e.is(1, 7) || e.is(1, 8)
    }) || contains_any(text, SENDER_IDENTITY);
    if sender_identity {
        return if permanent {
            StepOutcome::MailboxMisconfigured { reason }
        } else {
            StepOutcome::MailboxThrottled { reason }
        };
    }

    if let Some(e) = enhanced {
        // 5.2.1 (mailbox disabled) and 5.2.2 (full) say the address exists: soft, as the
        // inbound classifier says (a false hard bounce suppresses a good lead).
        if e.is(2, 2) || (permanent && e.is(2, 1)) {
            return soft_bounce(reply);
        }
        if e.is(2, 1) || e.subject == 1 {
            return if permanent {
                hard_bounce(reply)
            } else {
                StepOutcome::Retry { reason }
            };
        }
    }

    if contains_any(text, GREYLISTING) {
        return StepOutcome::Retry { reason };
    }

    let content = enhanced.is_some_and(|e| e.subject == 6 || e.is(3, 4) || e.is(2, 3))
        || contains_any(text, CONTENT);
    if content {
        return if permanent {
            StepOutcome::Failed { reason }
        } else {
            StepOutcome::Retry { reason }
        };
    }

    if mentions_reputation(text) {
        return StepOutcome::MailboxThrottled { reason };
    }
    if !permanent {
        return StepOutcome::Retry { reason };
    }

    if contains_any(text, USER_UNKNOWN) {
        return hard_bounce(reply);
    }
    if contains_any(text, MAILBOX_FULL) {
        return soft_bounce(reply);
    }
    if phase == Phase::Rcpt {
        if enhanced.is_some_and(|e| e.is(4, 1)) {
            return hard_bounce(reply);
        }
        if enhanced.is_none() {
            match reply.code {
                550 | 551 | 553 => return hard_bounce(reply),
                552 => return soft_bounce(reply),
                _ => {}
            }
        }
    }
    StepOutcome::Failed { reason }
}

fn hard_bounce(reply: &Reply) -> StepOutcome {
    StepOutcome::Bounced {
        reply: reply.to_string(),
        hard: true,
    }
}

fn soft_bounce(reply: &Reply) -> StepOutcome {
    StepOutcome::Bounced {
        reply: reply.to_string(),
        hard: false,
    }
}

/// Whole words (checked on word boundaries, so "rate" does not match "generate").
const REPUTATION_WORDS: &[&str] = &[
    "rate",
    "policy",
    "blocked",
    "blacklisted",
    "blocklisted",
    "listed",
    "banned",
    "reputation",
    "unsolicited",
    "suspicious",
    "throttled",
    "throttling",
    "rbl",
    "dnsbl",
    "spamhaus",
    "complaints",
    "volume",
];

/// Phrases (plain substrings).
const REPUTATION_PHRASES: &[&str] = &[
    "spam", // also inside words: "OutboundSpamException", "antispam"
    "too many",
    "block list",
    "blocklist",
    "blacklist",
    "denylist",
    "sending limit",
    "sending quota",
    "limit exceeded",
    "server busy",
    "from this ip",
    "your ip",
    "ip address",
    "client host",
    "temporarily deferred",
];

/// The sender may not send as this address, or the mailbox's server will not relay for it
/// (Postfix "Relay access denied" when AUTH is missing or wrong): every lead would meet the
/// same refusal, so the mailbox is to blame, not the recipient.
const SENDER_IDENTITY: &[&str] = &[
    "sendasdenied",
    "not allowed to send as",
    "send as",
    "not owned by user",
    "sender address rejected",
    "relay access denied",
    "relaying denied",
    "relay denied",
    "relay not permitted",
    "not permitted to relay",
    "unable to relay",
    "authentication required",
];

const GREYLISTING: &[&str] = &["greylist", "graylist", "grey-list", "gray-list"];

const CONTENT: &[&str] = &[
    "content",
    "attachment",
    "virus",
    "malware",
    "phishing",
    "message size",
    "too large",
    "too big",
];

const USER_UNKNOWN: &[&str] = &[
    "user unknown",
    "unknown user",
    "recipient unknown",
    "unknown recipient",
    "no such user",
    "no such recipient",
    "no such mailbox",
    "does not exist",
    "doesn't exist",
    "not exist",
    "user not found",
    "recipient not found",
    "recipientnotfound",
    "address not found",
    "mailbox not found",
    "mailbox unavailable",
    "invalid recipient",
    "invalid mailbox",
    "is disabled",
    "account disabled",
    "doesn't have a",
    "undeliverable address",
];

const MAILBOX_FULL: &[&str] = &[
    "mailbox full",
    "mailbox is full",
    "over quota",
    "overquota",
    "quota exceeded",
    "exceeded storage",
    "insufficient storage",
    "out of storage",
    "storage allocation",
];

fn mentions_reputation(text: &str) -> bool {
    contains_any(text, REPUTATION_PHRASES) || REPUTATION_WORDS.iter().any(|w| has_word(text, w))
}

fn contains_any(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// (phase, reply as the server sent it, expected outcome label)
    const TABLE: &[(Phase, &str, &str)] = &[
        // Gmail
        (
            Phase::Rcpt,
            "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.",
            "hard_bounce",
        ),
        (
            Phase::Rcpt,
            "550-5.2.1 The email account that you tried to reach is disabled.",
            "soft_bounce",
        ),
        (
            Phase::Rcpt,
            "552-5.2.2 The recipient's inbox is out of storage space.",
            "soft_bounce",
        ),
        (
            Phase::Rcpt,
            "452-4.2.2 The recipient's inbox is out of storage space. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp",
            "soft_bounce",
        ),
        (
            Phase::Rcpt,
            "450-4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.",
            "retry",
        ),
        (
            Phase::Rcpt,
            "421-4.7.0 [203.0.113.9] Our system has detected an unusual rate of unsolicited mail originating from your IP address.",
            "mailbox_throttled",
        ),
        (
            Phase::AfterData,
            "550-5.7.1 [203.0.113.9] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked.",
            "mailbox_throttled",
        ),
        (
            Phase::AfterData,
            "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.",
            "mailbox_misconfigured",
        ),
        (
            Phase::AfterData,
            "550-5.7.25 The IP address sending this message does not have a PTR record setup.",
            "mailbox_misconfigured",
        ),
        (
            Phase::AfterData,
            "421-4.7.26 This mail has been rate limited because it is unauthenticated.",
            "mailbox_throttled",
        ),
        (
            Phase::AfterData,
            "552-5.7.0 This message was blocked because its content presents a potential security issue.",
            "failed",
        ),
        (
            Phase::AfterData,
            "552-5.3.4 Your message exceeded Google's message size limits.",
            "failed",
        ),
        (
            Phase::AfterData,
            "451-4.3.0 Mail server temporarily rejected message.",
            "retry",
        ),
        (
            Phase::Mail,
            "550 5.4.5 Daily user sending limit exceeded.",
            "mailbox_throttled",
        ),
        (
            Phase::Mail,
            "530-5.7.0 Authentication Required.",
            "mailbox_misconfigured",
        ),
        (
            Phase::Auth,
            "535-5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials",
            "mailbox_misconfigured",
        ),
        (
            Phase::Auth,
            "534-5.7.9 Application-specific password required.",
            "mailbox_misconfigured",
        ),
        (
            Phase::Auth,
            "454-4.7.0 Too many login attempts, please try again later.",
            "mailbox_throttled",
        ),
        (
            Phase::Greeting,
            "421-4.3.0 Temporary System Problem. Try again later (10).",
            "mailbox_throttled",
        ),
        // Outlook / Microsoft 365
        (
            Phase::Rcpt,
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
            "hard_bounce",
        ),
        (
            Phase::Rcpt,
            "550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors",
            "hard_bounce",
        ),
        (
            Phase::Rcpt,
            "451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP reputation.",
            "mailbox_throttled",
        ),
        (
            Phase::Rcpt,
            "550 5.7.1 Unfortunately, messages from [203.0.113.9] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
            "mailbox_throttled",
        ),
        (
            Phase::Rcpt,
            "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.",
            "mailbox_throttled",
        ),
        (
            Phase::Rcpt,
            "451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (S77714)",
            "mailbox_throttled",
        ),
        (
            Phase::Rcpt,
            "452 4.3.1 Insufficient system resources",
            "retry",
        ),
        (
            Phase::Rcpt,
            "550 5.7.520 Access denied, Your organization does not allow external forwarding.",
            "failed",
        ),
        (
            Phase::AfterData,
            "554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException; Failed to process message due to a permanent exception",
            "mailbox_throttled",
        ),
        (
            Phase::AfterData,
            "554 5.2.252 SendAsDenied; sales@example.com not allowed to send as ceo@example.com",
            "mailbox_misconfigured",
        ),
        (
            Phase::AfterData,
            "554 5.6.211 Invalid MIME Content: Single text value size (32784) exceeded allowed maximum (32768)",
            "failed",
        ),
        (
            Phase::Auth,
            "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully.",
            "mailbox_misconfigured",
        ),
        (
            Phase::Auth,
            "535 5.7.3 Authentication unsuccessful",
            "mailbox_misconfigured",
        ),
        // Yahoo / AOL
        (
            Phase::Greeting,
            "421 4.7.0 [TSS04] Messages from 203.0.113.9 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
            "mailbox_throttled",
        ),
        (
            Phase::Greeting,
            "553 5.7.1 [BL21] Connections will not be accepted from 203.0.113.9, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
            "mailbox_throttled",
        ),
        (
            Phase::AfterData,
            "554 5.7.9 Message not accepted for policy reasons.  See https://senders.yahooinc.com/error-codes",
            "mailbox_throttled",
        ),
        (
            Phase::Rcpt,
            "552 1 Requested mail action aborted, mailbox not found",
            "hard_bounce",
        ),
        (
            Phase::AfterData,
            "554 delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) [0] - mta1234.mail.gq1.yahoo.com",
            "hard_bounce",
        ),
        (
            Phase::AfterData,
            "554 delivery error: dd Sorry your message to someone@yahoo.com cannot be delivered. This mailbox is disabled (554.30).",
            "hard_bounce",
        ),
        (
            Phase::AfterData,
            "451 Message temporarily deferred - [160]",
            "mailbox_throttled",
        ),
        (
            Phase::Auth,
            "535 5.7.0 (#AUTH005) Too many bad auth attempts.",
            "mailbox_misconfigured",
        ),
        // Postfix, greylisting, RFC 5321 defaults
        (
            Phase::Rcpt,
            "450 4.2.0 <lead@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html",
            "retry",
        ),
        (
            Phase::Rcpt,
            "451 4.7.1 Greylisting in action, please come back later",
            "retry",
        ),
        (
            Phase::Rcpt,
            "450 4.1.2 <lead@nowhere.example>: Recipient address rejected: Domain not found",
            "retry",
        ),
        (
            Phase::Rcpt,
            "550 5.1.1 <lead@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
            "hard_bounce",
        ),
        (
            Phase::Rcpt,
            "450 4.7.1 Client host rejected: cannot find your hostname, [203.0.113.9]",
            "mailbox_throttled",
        ),
        (Phase::Rcpt, "450 4.3.0 Error: command failed", "retry"),
        (
            Phase::Rcpt,
            "550 Requested action not taken: mailbox unavailable",
            "hard_bounce",
        ),
        (Phase::Rcpt, "553 mailbox name not allowed", "hard_bounce"),
        (
            Phase::Rcpt,
            "552 Requested mail action aborted: exceeded storage allocation",
            "soft_bounce",
        ),
        (Phase::Rcpt, "500 5.3.0 Error: command failed", "failed"),
        (
            Phase::Mail,
            "553 5.7.1 <sales@example.com>: Sender address rejected: not owned by user x@example.com",
            "mailbox_misconfigured",
        ),
        (
            Phase::Mail,
            "451 4.3.0 Temporary local problem",
            "mailbox_throttled",
        ),
        // Relays that will not relay for us: the mailbox's AUTH is missing or wrong.
        (
            Phase::Rcpt,
            "554 5.7.1 <lead@rcpt.test>: Relay access denied",
            "mailbox_misconfigured",
        ),
        (
            Phase::Rcpt,
            "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
            "mailbox_misconfigured",
        ),
        (
            Phase::Rcpt,
            "550 5.7.1 Relaying denied. Proper authentication required.",
            "mailbox_misconfigured",
        ),
        (
            Phase::Rcpt,
            "454 4.7.1 <lead@rcpt.test>: Relay access denied",
            "mailbox_throttled",
        ),
        (
            Phase::Data,
            "554 5.5.1 Error: no valid recipients",
            "failed",
        ),
        (
            Phase::AfterData,
            "550 5.7.1 Message rejected as spam by Content Filtering.",
            "failed",
        ),
        (
            Phase::AfterData,
            "451 4.3.0 Error: queue file write error",
            "retry",
        ),
        (
            Phase::Greeting,
            "554 5.7.1 No SMTP service here",
            "mailbox_misconfigured",
        ),
    ];

    #[test]
    fn real_world_replies_map_to_their_outcomes() {
        let mut wrong = Vec::new();
        for (phase, line, expected) in TABLE {
            let reply = Reply::parse(line).unwrap_or_else(|| panic!("bad table line {line}"));
            let error = SendError::new(*phase, Cause::Rejected(reply));
            let outcome = classify(&Err(error));
            if outcome.label() != *expected {
                wrong.push(format!(
                    "{phase} {line:?}: got {}, want {expected}",
                    outcome.label()
                ));
            }
        }
        assert!(wrong.is_empty(), "misclassified:\n{}", wrong.join("\n"));
    }

    #[test]
    fn a_2xx_reply_is_sent_with_the_reply_kept() {
        let ok = Reply::parse("250 2.0.0 Ok: queued as 4XyZ").unwrap();
        assert_eq!(
            classify(&Ok(ok)),
            StepOutcome::Sent {
                reply: "250 2.0.0 Ok: queued as 4XyZ".into()
            }
        );
    }

    #[test]
    fn a_lost_connection_after_the_final_dot_is_unknown_but_before_it_is_not_sent() {
        let lost = |phase| SendError::new(phase, Cause::Connection("incomplete response".into()));
        assert_eq!(classify_error(&lost(Phase::AfterData)).label(), "unknown");
        assert_eq!(
            classify_error(&lost(Phase::Payload)).label(),
            "mailbox_throttled"
        );
        assert_eq!(
            classify_error(&lost(Phase::Rcpt)).label(),
            "mailbox_throttled"
        );
        let slow = SendError::new(Phase::AfterData, Cause::Timeout(Duration::from_secs(120)));
        assert_eq!(classify_error(&slow).label(), "unknown");
    }

    #[test]
    fn session_setup_failures_never_blame_the_lead() {
        let refused = SendError::new(
            Phase::Connect,
            Cause::Connection("connection refused".into()),
        );
        assert_eq!(classify_error(&refused).label(), "mailbox_throttled");
        let cert = SendError::new(
            Phase::Tls,
            Cause::Tls {
                detail: "invalid peer certificate: UnknownIssuer".into(),
                verification: true,
            },
        );
        assert_eq!(classify_error(&cert).label(), "mailbox_misconfigured");
        let no_starttls = SendError::new(Phase::Starttls, Cause::Refused("no STARTTLS".into()));
        assert_eq!(
            classify_error(&no_starttls).label(),
            "mailbox_misconfigured"
        );
        let utf8 = SendError::new(Phase::Mail, Cause::Refused("needs SMTPUTF8".into()));
        assert_eq!(classify_error(&utf8).label(), "failed");
    }

    #[test]
    fn words_match_on_boundaries_only() {
        assert!(has_word("unusual rate of mail", "rate"));
        assert!(!has_word("we generate separate accurate replies", "rate"));
        assert!(has_word("rate-limited", "rate"));
    }
}
