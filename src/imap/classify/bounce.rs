//! Bounces: RFC 3464 delivery status notifications first (any top-level
//! `message/delivery-status` part, whatever the report says in prose), then free-text reports
//! from senders and subjects that only bounces use (see `bounce_text.rs`).
//!
//! A DSN whose recipients were all delivered, relayed or expanded is a success report: it is
//! `Unrelated`, not an auto-reply, even though it carries `Auto-Submitted`.

use super::bounce_kind::{decide, has_code, mentions_failure};
use super::bounce_text;
use super::dsn;
use super::inbound::{Inbound, is_type};
use super::text::{clip, diagnostic, fold};
use super::types::{BounceRecipient, Classification};

/// Recipients reported at most (a real DSN has a handful).
const MAX_RECIPIENTS: usize = 100;

/// From local parts (and display names) that only delivery systems use.
const DAEMON_LOCALS: &[&str] = &["mailer-daemon", "mail-daemon", "mailerdaemon", "postmaster"];
#[rustfmt::skip]
const DAEMON_NAMES: &[&str] = &[
    "mail delivery", "mailer-daemon", "mailer daemon", "postmaster",
];

/// Subject wording of bounces (Postfix, Exim, Sendmail, qmail, Yahoo, Gmail, Exchange in
/// several languages), folded.
#[rustfmt::skip]
const SUBJECTS: &[&str] = &[
    "undelivered mail returned to sender", "mail delivery failed", "returned mail",
    "failure notice", "undeliverable", "undelivered mail", "delivery status notification (failure)",
    "delivery status notification (delay)", "delivery failure", "delivery has failed",
    "delivery notification", "mail delivery failure", "mail system error", "message not delivered",
    "could not be delivered", "non remis", "unzustellbar", "nicht zustellbar",
    "no se puede entregar", "non recapitabile", "onbestelbaar", "kan niet worden bezorgd",
    "olevererbart", "kunde inte levereras", "nao e possivel entregar", "nao entregue",
    "delayed mail", "warning: could not send message", "address not found",
];

/// A bounce (or, for a success-only DSN, `Unrelated`), or `None` when this is no report.
pub(super) fn detect(inbound: &Inbound<'_>) -> Option<Classification> {
    let dsn_parts: Vec<_> = inbound
        .parts()
        .filter(|p| is_type(p, "message", &["delivery-status", "global-delivery-status"]))
        .collect();
    let reported = dsn_parts
        .iter()
        .flat_map(|p| dsn::recipients(p.contents()))
        .take(MAX_RECIPIENTS)
        .collect::<Vec<_>>();
    if !reported.is_empty() {
        for r in reported.iter().take(4) {
            inbound.note(
                "dsn",
                "part message/delivery-status",
                &format!(
                    "Final-Recipient: {} Action: {} Status: {}",
                    r.email.as_ref().map_or("(none)", |e| e.as_str()),
                    r.action.as_deref().unwrap_or("(none)"),
                    r.status.as_deref().unwrap_or("(none)"),
                ),
            );
        }
        if !reported.iter().any(dsn::DsnRecipient::is_failure) {
            return Some(Classification::Unrelated);
        }
        let original = inbound.returned_original();
        let recipients = reported
            .into_iter()
            .filter(dsn::DsnRecipient::is_failure)
            .filter_map(|r| {
                let diag = r.diagnostic.as_deref().and_then(diagnostic);
                let (kind, cause) = decide(r.status.as_deref(), diag.as_deref(), r.is_delay());
                let email = r.email?;
                Some(BounceRecipient {
                    email,
                    status: r.status,
                    kind,
                    cause,
                    diagnostic: diag,
                    needs_review: false,
                })
            })
            .collect();
        return Some(Classification::Bounce {
            send_id: original.send_id,
            recipients,
        });
    }
    let is_dsn_report = inbound
        .report_type()
        .is_some_and(|t| t == "delivery-status");
    if !(is_dsn_report || !dsn_parts.is_empty() || looks_like_bounce(inbound)) {
        return None;
    }
    let original = inbound.returned_original();
    let recipients = bounce_text::recipients(inbound, &original);
    Some(Classification::Bounce {
        send_id: original.send_id,
        recipients,
    })
}

fn looks_like_bounce(inbound: &Inbound<'_>) -> bool {
    let local = inbound.from_address.split('@').next().unwrap_or_default();
    let daemon = DAEMON_LOCALS.contains(&local)
        || DAEMON_NAMES.iter().any(|n| inbound.from_name.contains(n));
    if daemon {
        inbound.note("bounce-sender", "header From", &inbound.from_address);
        return true;
    }
    for header in ["x-failed-recipients", "x-ms-exchange-message-is-ndr"] {
        if let Some(value) = inbound.header(header) {
            inbound.note("ndr-header", format!("header {header}"), &value);
            return true;
        }
    }
    // A subject alone could be a person's ("Undeliverable parcels?"): bounce subjects start
    // with their phrase, and the text must read like a failure report.
    let subject = fold(&inbound.subject);
    if !SUBJECTS.iter().any(|s| subject.starts_with(s)) {
        return false;
    }
    let failure = clip(&inbound.body, 8 * 1024)
        .lines()
        .enumerate()
        .find(|(_, l)| has_code(l) || mentions_failure(l));
    if let Some((i, line)) = failure {
        inbound.note("bounce-subject", "subject", &inbound.subject);
        inbound.note("failure-wording", format!("body line {}", i + 1), line);
    }
    failure.is_some()
}
