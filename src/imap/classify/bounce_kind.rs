//! Hard or soft, and why, from a recipient's status code and the remote server's words.
//!
//! Soft wins every doubt, because a false hard bounce suppresses a good lead forever. In order:
//! 1. A delay, or any 4.x.x / 4xx, is soft (`transient`, or `mailbox_full` when it says so).
//! 2. Wording about our side (sender address or domain, SPF/DKIM/DMARC, PTR, HELO), or a
//!    sender status (5.1.7, 5.1.8, 5.7.23, 5.7.25–27), is soft with cause `sender`: it pauses
//!    the mailbox, never the lead. This comes before rule 3 because "Domain of sender address
//!    … does not exist" is about us.
//! 3. Words beat codes when they are specific (RFC 3463 codes are often generic or wrong: a
//!    "5.1.1" that says "mailbox full" is a full mailbox). Words that say the address or domain
//!    does not exist are hard; words about a full, disabled, blocked or busy mailbox are soft.
//!    Words both ways ("user unknown or mailbox full"), or hard words against a full/disabled
//!    code, are soft and marked `needs_review`.
//! 4. Without specific words the code decides: 5.1.1, 5.1.2, 5.1.3, 5.1.6, 5.1.10, 5.4.4 and
//!    5.3.2 (and the basic 521/556 of RFC 7504) are hard; 5.2.2 is a full mailbox, 5.2.1 a
//!    disabled one, 5.7.x, 5.3.4 and 5.6.x policy, 5.4.1/5.4.7 passing.
//! 5. Anything else is soft with cause `unknown`.

use super::text::{blank_hosts, fold};
use super::types::{BounceCause, BounceKind};
use words::{DELAY_REPORT, SENDER};

/// Statuses that by themselves say the address or domain does not exist or takes no mail.
const HARD_STATUSES: &[&str] = &[
    "5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.4.4", "5.3.2",
];
/// Statuses about our sender: bad sender mailbox or system, SPF, PTR, DMARC/unauthenticated.
const SENDER_STATUSES: &[&str] = &["5.1.7", "5.1.8", "5.7.23", "5.7.25", "5.7.26", "5.7.27"];

/// The decision for one recipient and the rule that made it, for the evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Verdict {
    pub kind: BounceKind,
    pub cause: BounceCause,
    /// Code and words point both ways: soft, for a person to decide.
    pub needs_review: bool,
    /// "delay", "status-code", "diagnostic-wording", "conflicting-wording" or "no-evidence".
    pub rule: &'static str,
    /// The code or phrase that decided.
    pub because: String,
}

impl Verdict {
    fn new(kind: BounceKind, cause: BounceCause, rule: &'static str, because: &str) -> Self {
        Self {
            kind,
            cause,
            needs_review: false,
            rule,
            because: because.to_owned(),
        }
    }

    fn soft(cause: BounceCause, rule: &'static str, because: &str) -> Self {
        Self::new(BounceKind::Soft, cause, rule, because)
    }

    fn review(cause: BounceCause, because: String) -> Self {
        Self {
            needs_review: true,
            ..Self::soft(cause, "conflicting-wording", &because)
        }
    }

    /// The evidence text: what decided, and the answer.
    pub fn explain(&self) -> String {
        let kind = match self.kind {
            BounceKind::Hard => "hard",
            BounceKind::Soft => "soft",
        };
        let review = if self.needs_review { ", review" } else { "" };
        format!("{} -> {kind} ({:?}{review})", self.because, self.cause)
    }
}

/// Whether a report's wording says it is only a delay warning (the message is still queued).
pub(super) fn is_delay_report(text: &str) -> bool {
    words::find(&fold(text), DELAY_REPORT).is_some()
}

/// A soft cause a report's own wording gives (KDDI's "As their mailbox is full", EZweb's "The
/// user(s) account is disabled"), for recipients whose diagnostic says less or says otherwise.
pub(super) fn report_cause(text: &str) -> Option<(BounceCause, &'static str)> {
    let clean = blank_hosts(&fold(text));
    words::find(&clean, words::FULL)
        .map(|p| (BounceCause::MailboxFull, p))
        .or_else(|| words::find(&clean, words::INACTIVE).map(|p| (BounceCause::Inactive, p)))
}

/// Hard or soft for one recipient, and what it is about (see the module comment for the order
/// of the rules).
pub(super) fn decide(status: Option<&str>, diagnostic: Option<&str>, delayed: bool) -> Verdict {
    use BounceCause::{Inactive, MailboxFull, Recipient, Sender, Transient, Unknown};
    let folded = fold(diagnostic.unwrap_or_default());
    let text = blank_hosts(&folded);
    let derived = status_in(&folded);
    let primary = status.map(str::to_owned).or(derived.clone());
    let codes: Vec<&str> = [primary.as_deref(), derived.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let class = primary.as_deref().and_then(|s| s.chars().next());
    let code = primary.as_deref().unwrap_or("no code");
    let sender = words::find(&text, SENDER);
    let full = words::find(&text, words::FULL);

    if delayed || matches!(class, Some('4' | '2')) {
        let rule = if delayed { "delay" } else { "status-code" };
        return match (full, sender) {
            (Some(p), _) => Verdict::soft(MailboxFull, "diagnostic-wording", p),
            (None, Some(p)) => Verdict::soft(Sender, "diagnostic-wording", p),
            _ => Verdict::soft(Transient, rule, code),
        };
    }
    if let Some(p) = sender {
        return Verdict::soft(Sender, "diagnostic-wording", p);
    }
    if let Some(s) = codes.iter().find(|c| SENDER_STATUSES.contains(c)) {
        return Verdict::soft(Sender, "status-code", s);
    }
    let hard = words::hard_reading(&text);
    let soft = words::soft_reading(&text);
    let code_cause = codes.iter().find_map(|c| code_reading(c).map(|r| (r, *c)));
    match (hard, soft) {
        (Some(h), Some((cause, s))) => Verdict::review(cause, format!("\"{h}\" and \"{s}\"")),
        (Some(h), None) => match code_cause {
            Some((CodeReading::Soft(cause @ (MailboxFull | Inactive)), c)) => {
                Verdict::review(cause, format!("\"{h}\" against status {c}"))
            }
            _ => Verdict::new(BounceKind::Hard, Recipient, "diagnostic-wording", h),
        },
        (None, Some((cause, s))) => Verdict::soft(cause, "diagnostic-wording", s),
        (None, None) => match code_cause {
            Some((CodeReading::Hard, c)) => {
                Verdict::new(BounceKind::Hard, Recipient, "status-code", c)
            }
            Some((CodeReading::Soft(cause), c)) => Verdict::soft(cause, "status-code", c),
            None => match basic_code_in(&folded) {
                // RFC 7504: 521 the host, 556 the domain, accepts no mail at all.
                Some(c @ (521 | 556)) => {
                    Verdict::new(BounceKind::Hard, Recipient, "status-code", &c.to_string())
                }
                _ if diagnostic.is_none() && status.is_none() => {
                    Verdict::soft(Unknown, "no-evidence", "no status, no diagnostic")
                }
                _ => Verdict::soft(Unknown, "status-code", code),
            },
        },
    }
}

/// Whether `text` (any case) reads like a delivery failure: wording of any cause.
pub(super) fn mentions_failure(text: &str) -> bool {
    let clean = blank_hosts(&fold(text));
    words::hard_reading(&clean).is_some()
        || words::soft_reading(&clean).is_some()
        || words::find(&clean, SENDER).is_some()
}

/// What an enhanced status says by itself (RFC 3463 subject and detail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CodeReading {
    Hard,
    Soft(BounceCause),
}

fn code_reading(code: &str) -> Option<CodeReading> {
    use BounceCause::{Inactive, MailboxFull, Policy, Transient};
    if HARD_STATUSES.contains(&code) {
        return Some(CodeReading::Hard);
    }
    let mut parts = code.splitn(3, '.');
    let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
    if class != "5" {
        return None;
    }
    let cause = match (subject, detail) {
        ("2", "2") | ("3", "1") => MailboxFull,
        ("2", "1") => Inactive,
        ("2", "3") | ("3", "4") | ("6", _) | ("7", _) => Policy,
        ("4", "1" | "2" | "7") => Transient,
        _ => return None,
    };
    Some(CodeReading::Soft(cause))
}

/// The status a diagnostic states: its first RFC 3463 code ("5.1.1", also "#5.1.1"), else its
/// basic SMTP code as "5.0.0" / "4.0.0".
pub(super) fn status_in(text: &str) -> Option<String> {
    enhanced_in(text).or_else(|| basic_code_in(text).map(|c| format!("{}.0.0", c / 100)))
}

/// Whether a line carries an SMTP reply code or enhanced status.
pub(super) fn has_code(line: &str) -> bool {
    enhanced_in(line).is_some() || basic_code_in(line).is_some()
}

fn boundary_before(text: &str, at: usize) -> bool {
    text[..at].chars().next_back().is_none_or(|c| {
        c.is_whitespace()
            || matches!(
                c,
                '#' | '(' | '\'' | '"' | ':' | '[' | ';' | '<' | '=' | '-'
            )
    })
}

fn enhanced_in(text: &str) -> Option<String> {
    text.bytes()
        .enumerate()
        .filter(|(at, b)| matches!(b, b'2' | b'4' | b'5') && boundary_before(text, *at))
        .find_map(|(at, _)| enhanced_at(&text[at..]))
}

/// "5.1.1" at the start of `s`, not as part of a longer dotted number (an IP address).
fn enhanced_at(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.get(1) != Some(&b'.') {
        return None;
    }
    let subject = digits_len(&b[2..]);
    let dot = 2 + subject;
    if !(1..=3).contains(&subject) || b.get(dot) != Some(&b'.') {
        return None;
    }
    let detail = digits_len(&b[dot + 1..]);
    let end = dot + 1 + detail;
    let longer = b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit);
    ((1..=3).contains(&detail) && !longer).then(|| s[..end].to_owned())
}

fn digits_len(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

fn basic_code_in(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    for at in 0..bytes.len().saturating_sub(2) {
        let code = &bytes[at..at + 3];
        let valid = matches!(code[0], b'4' | b'5')
            && matches!(code[1], b'0'..=b'5')
            && code[2].is_ascii_digit();
        if !valid || !boundary_before(text, at) {
            continue;
        }
        if bytes
            .get(at + 3)
            .is_none_or(|c| matches!(c, b' ' | b'-' | b':' | b'\t'))
        {
            return text[at..at + 3].parse().ok();
        }
    }
    None
}

mod words;

#[cfg(test)]
mod tests;
