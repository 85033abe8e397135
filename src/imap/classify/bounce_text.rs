//! Bounces without a usable DSN part: the free-text reports of qmail, Yahoo, Exim, older
//! Sendmail and Exchange, and anything else shaped like them. One generic reader instead of a
//! parser per MTA, because they all say the same three things: an address, near it an SMTP
//! reply ("550 5.1.1 …", "#5.1.1", "554: delivery error"), and a copy of the original below a
//! marker line.
//!
//! Recipients are the addresses named in the report above the copy (X-Failed-Recipients
//! first), minus the report's own sender and recipients; when the returned original names its
//! recipients, addresses in both win. Each recipient's diagnostic is the first line with an
//! SMTP code within a few lines after a mention of it (plus its indented continuation), else a
//! nearby line worded like a failure.

use std::collections::HashSet;

use super::bounce_kind::{
    Verdict, decide, has_code, is_delay_report, mentions_failure, report_cause, status_in,
};
use super::inbound::{COPY_MARKERS, Inbound, Original};
use super::text::diagnostic;
use super::types::{BounceCause, BounceKind, BounceRecipient};
use crate::domain::EmailAddress;

const MAX_RECIPIENTS: usize = 50;
const MAX_CANDIDATES: usize = 200;
const LOOKAHEAD_LINES: usize = 8;

/// The recipients a free-text bounce reports.
pub(super) fn recipients(inbound: &Inbound<'_>, original: &Original) -> Vec<BounceRecipient> {
    let report = report_text(&inbound.body);
    let lines: Vec<&str> = report.lines().collect();
    let lower: Vec<String> = lines.iter().map(|l| l.to_lowercase()).collect();
    let mut candidates = candidates(inbound, &lower);
    let in_original: Vec<EmailAddress> = candidates
        .iter()
        .filter(|c| {
            original
                .recipients
                .iter()
                .any(|o| o.normalized() == c.normalized())
        })
        .cloned()
        .collect();
    if !in_original.is_empty() {
        candidates = in_original;
    } else if candidates.is_empty() {
        candidates = original.recipients.clone();
    }
    candidates.truncate(MAX_RECIPIENTS);
    // The report's own sentences above the first recipient: a delay warning, or a carrier's
    // headline cause ("As their mailbox is full", "The user(s) account is disabled").
    let first_mention = candidates
        .iter()
        .filter_map(|c| lower.iter().position(|l| l.contains(&c.normalized())))
        .min()
        .unwrap_or(lines.len());
    // Our own subject, quoted in the preamble, is not the report's wording.
    let preamble = lines[..first_mention.min(lines.len())]
        .iter()
        .filter(|l| !l.trim_start().to_ascii_lowercase().starts_with("subject:"))
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let delayed = is_delay_report(&preamble);
    let headline = report_cause(&preamble);
    let lone = candidates.len() == 1;
    candidates
        .into_iter()
        .map(|email| {
            let found = diagnostic_for(&email, &lines, &lower).or_else(|| {
                lone.then(|| first_code_line(&lines).or_else(|| first_failure_line(&lines)))
                    .flatten()
            });
            let (diag, at) = match found {
                Some((i, text)) => (diagnostic(&text), format!("body line {}", i + 1)),
                None => (None, "body".to_owned()),
            };
            let status = diag.as_deref().and_then(status_in);
            let mut verdict = decide(status.as_deref(), diag.as_deref(), delayed);
            if let Some((cause, phrase)) = headline {
                apply_headline(&mut verdict, cause, phrase);
            }
            inbound.note(
                verdict.rule,
                at,
                &format!("{}: {}", email.as_str(), verdict.explain()),
            );
            BounceRecipient {
                email,
                status,
                kind: verdict.kind,
                cause: verdict.cause,
                diagnostic: diag,
                needs_review: verdict.needs_review,
            }
        })
        .collect()
}

/// A report headline that names a soft cause: it fills an unknown cause, and against a hard
/// diagnostic it makes the recipient soft for a person to decide.
fn apply_headline(verdict: &mut Verdict, cause: BounceCause, phrase: &str) {
    if verdict.kind == BounceKind::Hard {
        verdict.kind = BounceKind::Soft;
        verdict.cause = cause;
        verdict.needs_review = true;
        verdict.rule = "conflicting-wording";
        verdict.because = format!("{} against report \"{phrase}\"", verdict.because);
    } else if verdict.cause == BounceCause::Unknown {
        verdict.cause = cause;
        verdict.rule = "report-wording";
        verdict.because = phrase.to_owned();
    }
}

/// The report prose about one recipient of a DSN whose fields carry no Diagnostic-Code: the
/// 1-based body line and its text.
pub(super) fn prose_for(inbound: &Inbound<'_>, email: &EmailAddress) -> Option<(usize, String)> {
    let report = report_text(&inbound.body);
    let lines: Vec<&str> = report.lines().collect();
    let lower: Vec<String> = lines.iter().map(|l| l.to_lowercase()).collect();
    diagnostic_for(email, &lines, &lower).map(|(i, text)| (i + 1, text))
}

/// Copy markers of list managers and carriers, besides the shared `COPY_MARKERS`.
const MORE_COPY_MARKERS: &[&str] = &["original mail as follows:"];

/// The body above the inline copy of the original.
fn report_text(body: &str) -> &str {
    let lower = body.to_ascii_lowercase();
    let cut = COPY_MARKERS
        .iter()
        .chain(MORE_COPY_MARKERS)
        .filter_map(|m| lower.find(m))
        .min()
        .unwrap_or(body.len());
    // The marker line itself ("--- Below this line…") goes too.
    let line_start = body[..cut].rfind('\n').map_or(0, |i| i + 1);
    &body[..line_start]
}

fn candidates(inbound: &Inbound<'_>, lower: &[String]) -> Vec<EmailAddress> {
    let own: Vec<String> = ["from", "to", "cc", "sender", "reply-to"]
        .iter()
        .flat_map(|h| inbound.header_values(h))
        .flat_map(|v| addresses_in(&v.to_lowercase()))
        .map(|e| e.normalized())
        .collect();
    let failed = inbound
        .header_values("x-failed-recipients")
        .flat_map(|v| addresses_in(&v.to_lowercase()));
    let mut seen = HashSet::new();
    let mut out: Vec<EmailAddress> = Vec::new();
    for email in failed.chain(lower.iter().flat_map(|l| addresses_in(l))) {
        let n = email.normalized();
        let local = n.split('@').next().unwrap_or_default();
        // Delivery systems and list managers' control addresses are never the recipient.
        let daemon = matches!(
            local,
            "mailer-daemon" | "postmaster" | "mail-daemon" | "mailerdaemon"
        ) || ["-ctl", "-admin", "-request", "-owner", "-bounces"]
            .iter()
            .any(|s| local.ends_with(s));
        if !daemon && !own.contains(&n) && seen.insert(n) {
            out.push(email);
            // A report naming more addresses than this is a list, not a bounce report.
            if out.len() >= MAX_CANDIDATES {
                break;
            }
        }
    }
    out
}

/// Valid addresses in a line, split at whitespace and the punctuation reports wrap them in.
pub(super) fn addresses_in(line: &str) -> Vec<EmailAddress> {
    line.split(|c: char| c.is_whitespace() || "<>()[]{},;:\"'".contains(c))
        .filter(|w| w.contains('@'))
        .map(|w| {
            w.trim_start_matches("mailto")
                .trim_end_matches(['.', '!', '?'])
        })
        .filter_map(|w| EmailAddress::parse(w).ok())
        .collect()
}

fn diagnostic_for(
    email: &EmailAddress,
    lines: &[&str],
    lower: &[String],
) -> Option<(usize, String)> {
    let needle = email.normalized();
    let mentions: Vec<usize> = (0..lines.len())
        .filter(|&i| lower[i].contains(&needle))
        .collect();
    let other_recipient = |i: usize| {
        addresses_in(&lower[i])
            .iter()
            .any(|a| a.normalized() != needle)
            && !lower[i].contains(&needle)
    };
    for &at in &mentions {
        for i in at..lines.len().min(at + LOOKAHEAD_LINES) {
            if i > at && other_recipient(i) {
                break;
            }
            if has_code(lines[i]) {
                return Some((i, with_continuation(lines, i)));
            }
        }
    }
    mentions.iter().find_map(|&at| {
        (at..lines.len().min(at + 4))
            .find(|&i| mentions_failure(lines[i]))
            .map(|i| (i, with_continuation(lines, i)))
    })
}

/// A code line and the indented lines that continue it (Postfix wraps long replies).
fn with_continuation(lines: &[&str], i: usize) -> String {
    let mut text = lines[i].trim().to_owned();
    for next in lines.iter().skip(i + 1).take(3) {
        if next.trim().is_empty() || !next.starts_with([' ', '\t']) || has_code(next) {
            break;
        }
        text.push(' ');
        text.push_str(next.trim());
    }
    text
}

fn first_code_line(lines: &[&str]) -> Option<(usize, String)> {
    lines
        .iter()
        .position(|l| has_code(l))
        .map(|i| (i, with_continuation(lines, i)))
}

/// The first line worded like a failure, for a lone recipient whose report has no code.
fn first_failure_line(lines: &[&str]) -> Option<(usize, String)> {
    lines
        .iter()
        .take(200)
        .position(|l| mentions_failure(l))
        .map(|i| (i, with_continuation(lines, i)))
}
