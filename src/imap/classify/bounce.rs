//! Bounces: RFC 3464 delivery status notifications first (any top-level
//! `message/delivery-status` part, whatever the report says in prose), then Amazon SES's JSON
//! notifications, delivery-status fields written into a text body (SendGrid), and free-text
//! reports (see `bounce_text.rs`) from senders, subjects, headers or wording that only bounces
//! use (`formats.rs`: Exchange 2003's prose, KDDI's "Your mail sent on", SMTP transcripts, fml's
//! refusals). Each recipient's hard/soft and cause come from `bounce_kind::decide`, with the
//! deciding rule noted as evidence.
//!
//! A DSN whose recipients were all delivered, relayed or expanded is a success report: it is
//! `Unrelated`, not an auto-reply, even though it carries `Auto-Submitted`.

mod formats;

use super::bounce_kind::{decide, has_code, mentions_failure};
use super::bounce_text;
use super::dsn;
use super::inbound::{Inbound, is_type};
use super::text::{clip, diagnostic, fold};
use super::types::{BounceRecipient, Classification};

/// Recipients reported at most (a real DSN has a handful).
const MAX_RECIPIENTS: usize = 100;
/// DSNs with more recipients than this do not look for a recipient's words in the prose.
const MAX_PROSE_LOOKUPS: usize = 8;

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
    "mail system error", "non-delivery", "nondeliverable", "non deliverable", "not delivered",
    "delivery problem", "bounced mail", "mail returned", "returned to sender", "delivery failed",
    "failed delivery", "message rejected", "could not send message", "message you sent blocked",
    "message blocked", "undeliverable mail", "undelivered message", "error delivering",
    "mail delivery problem", "permanent delivery failure",
    "your message could not be delivered", "notification de non-remise",
    "returned mail: see transcript",
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
        return Some(from_dsn(inbound, reported, "part message/delivery-status"));
    }
    if let Some(found) = formats::ses_notification(inbound) {
        return Some(found);
    }
    let is_dsn_report = inbound
        .report_type()
        .is_some_and(|t| t == "delivery-status");
    if !(is_dsn_report || !dsn_parts.is_empty() || looks_like_bounce(inbound)) {
        return None;
    }
    let inline = formats::inline_dsn(&inbound.body);
    if inline.iter().any(dsn::DsnRecipient::is_failure) {
        return Some(from_dsn(inbound, inline, "body delivery-status fields"));
    }
    let original = inbound.returned_original();
    let recipients = bounce_text::recipients(inbound, &original);
    Some(Classification::Bounce {
        send_id: original.send_id,
        recipients,
    })
}

/// The classification of a report whose recipients come as delivery-status fields (`at` says
/// where, for the evidence). A recipient without a Diagnostic-Code takes its words from the
/// report's prose, when the prose names it.
fn from_dsn(inbound: &Inbound<'_>, reported: Vec<dsn::DsnRecipient>, at: &str) -> Classification {
    for r in reported.iter().take(4) {
        inbound.note(
            "dsn",
            at,
            &format!(
                "Final-Recipient: {} Action: {} Status: {}",
                r.email.as_ref().map_or("(none)", |e| e.as_str()),
                r.action.as_deref().unwrap_or("(none)"),
                r.status.as_deref().unwrap_or("(none)"),
            ),
        );
    }
    if !reported.iter().any(dsn::DsnRecipient::is_failure) {
        return Classification::Unrelated;
    }
    let original = inbound.returned_original();
    // Reading the prose costs a pass over the body per recipient: a few recipients only.
    let prose_allowed = reported.len() <= MAX_PROSE_LOOKUPS;
    let recipients = reported
        .into_iter()
        .filter(dsn::DsnRecipient::is_failure)
        .filter_map(|r| {
            let delayed = r.is_delay();
            let email = r.email?;
            let (diag, diag_at) = match r.diagnostic.as_deref().and_then(diagnostic) {
                Some(d) => (Some(d), at.to_owned()),
                None => match prose_allowed
                    .then(|| bounce_text::prose_for(inbound, &email))
                    .flatten()
                {
                    Some((line, text)) => (diagnostic(&text), format!("body line {line}")),
                    None => (None, at.to_owned()),
                },
            };
            let verdict = decide(r.status.as_deref(), diag.as_deref(), delayed);
            inbound.note(
                verdict.rule,
                diag_at,
                &format!("{}: {}", email.as_str(), verdict.explain()),
            );
            Some(BounceRecipient {
                email,
                status: r.status,
                kind: verdict.kind,
                cause: verdict.cause,
                diagnostic: diag,
                needs_review: verdict.needs_review,
            })
        })
        .collect();
    Classification::Bounce {
        send_id: original.send_id,
        recipients,
    }
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
    if let Some((i, line)) = formats::report_line(&inbound.body) {
        inbound.note("report-wording", format!("body line {}", i + 1), line);
        return true;
    }
    // fml (a mailing-list manager) answers a refused post from "<list>-admin@".
    if inbound.header("x-mlserver").is_some() && local.ends_with("-admin") {
        let refusal = clip(&inbound.body, 8 * 1024)
            .lines()
            .enumerate()
            .find(|(_, l)| mentions_failure(l));
        if let Some((i, line)) = refusal {
            inbound.note("list-server", "header X-MLServer", &inbound.from_address);
            inbound.note("failure-wording", format!("body line {}", i + 1), line);
            return true;
        }
    }
    // A subject alone could be a person's ("Undeliverable parcels?"): bounce subjects start
    // with their phrase, and the text must read like a failure report.
    let folded = fold(&inbound.subject);
    let subject = folded.trim_start_matches(|c: char| !c.is_alphanumeric());
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
