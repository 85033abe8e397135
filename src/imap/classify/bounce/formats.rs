//! Bounce formats that are neither a MIME delivery-status part nor plain prose:
//! - Amazon SES bounce notifications: the JSON of SES's notification contents, mailed by SNS
//!   as the body ("Email" subscriptions) or as the `Message` string of an SNS envelope
//!   ("Email-JSON"), each followed by SNS's unsubscribe footer.
//! - Delivery-status fields written into the text body (SendGrid's bounce mails, some
//!   appliances): `Final-Recipient:` / `Action:` / `Status:` lines without a MIME part.
//! - Wording only bounce reports use, for reports whose sender and subject say nothing: Exchange
//!   2003's "did not reach the following recipient(s)", KDDI's "Your mail sent on", a quoted
//!   SMTP transcript (">>> RCPT TO:<…>" then "<<< 550 …"), "host mx said: 550 …".

use serde_json::Value;

use super::super::bounce_kind::{Verdict, decide};
use super::super::dsn::{self, DsnRecipient};
use super::super::inbound::Inbound;
use super::super::text::{clip, diagnostic, fold};
use super::super::types::{BounceCause, BounceKind, BounceRecipient, Classification};
use crate::domain::EmailAddress;

const MAX_RECIPIENTS: usize = 100;
/// Bytes of the body searched for report wording: the report is at the top.
const MARKER_SCAN_BYTES: usize = 8 * 1024;

/// Sentences only delivery reports write, folded.
#[rustfmt::skip]
const REPORT_WORDING: &[&str] = &[
    "your message did not reach some or all of the intended recipients",
    "did not reach the following recipient", "the following recipient(s) could not be reached",
    "the following recipients could not be reached", "delivery has failed to these recipients",
    "could not be delivered to one or more recipients", "could not be delivered to one or more of its recipients",
    "i'm sorry to have to inform you that your message could not",
    "this is the mail system at host", "this message was created automatically by mail delivery software",
    "i wasn't able to deliver your message", "i'm afraid i wasn't able to deliver",
    "delivery to the following recipient failed permanently", "delivery to the following recipients failed",
    "an error occurred while trying to deliver the mail to the following recipients",
    "the following addresses had permanent fatal errors", "the following address(es) failed",
    "message could not be delivered to the following recipients", "could not be delivered to:",
    "was not delivered to:", "your mail attempted to be delivered on",
    "each of the following recipients was rejected by a remote mail server",
    "was blocked by our spam firewall", "message you sent blocked by", "has not been delivered:",
    "was undeliverable", "the original message was received at", "transcript of session follows",
    "this is an automatically generated message from sendgrid",
    "your message could not be delivered",
];

/// The first line of the top of the body that only a delivery report would contain, with its
/// 0-based index: report wording, a transcript line (">>> RCPT TO", "<<< 550"), or "said: 5xx".
/// Quoted lines ("> …") of a person's reply do not count.
pub(super) fn report_line(body: &str) -> Option<(usize, &str)> {
    let top = clip(body, MARKER_SCAN_BYTES);
    top.lines().enumerate().find(|(_, line)| {
        let trimmed = line.trim_start();
        let lower = fold(trimmed);
        let transcript = lower.starts_with(">>> rcpt to")
            || lower.starts_with(">>> mail from")
            || lower.starts_with(">>> data")
            || (lower.starts_with("<<< ") && lower[4..].starts_with(['4', '5']))
            || (lower.contains("rcpt to") && lower.contains("<<< 5"));
        if transcript {
            return true;
        }
        if trimmed.starts_with('>') {
            return false;
        }
        REPORT_WORDING.iter().any(|w| lower.contains(w)) || said_code(&lower)
    })
}

/// "host mx.example.com[192.0.2.1] said: 550 …": an MTA quoting the remote reply.
fn said_code(lower: &str) -> bool {
    let after = if lower.starts_with("said: ") {
        Some(6)
    } else {
        lower.find(" said: ").map(|at| at + 7)
    };
    after.is_some_and(|at| {
        let rest = lower[at..].as_bytes();
        rest.len() >= 3
            && matches!(rest[0], b'4' | b'5')
            && rest[1].is_ascii_digit()
            && rest[2].is_ascii_digit()
    })
}

/// Delivery-status fields written into the text body, when there is a failed recipient block.
pub(super) fn inline_dsn(body: &str) -> Vec<DsnRecipient> {
    let lower = body.to_ascii_lowercase();
    let has_fields = lower.contains("final-recipient:")
        && (lower.contains("\nstatus:") || lower.contains("\naction:"));
    if !has_fields {
        return Vec::new();
    }
    dsn::recipients(body.as_bytes())
        .into_iter()
        .filter(|r| r.email.is_some() && (r.action.is_some() || r.status.is_some()))
        .take(MAX_RECIPIENTS)
        .collect()
}

/// An Amazon SES bounce notification in the body, as a classification.
pub(super) fn ses_notification(inbound: &Inbound<'_>) -> Option<Classification> {
    let body = inbound.body.as_str();
    if !body.contains("notificationType") && !body.contains("eventType") {
        return None;
    }
    let mut json = first_json(body)?;
    if let Some(inner) = json.get("Message").and_then(Value::as_str) {
        json = first_json(inner)?;
    }
    let kind = json
        .get("notificationType")
        .or_else(|| json.get("eventType"))
        .and_then(Value::as_str)?;
    if kind != "Bounce" {
        return None;
    }
    let bounce = json.get("bounce")?;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let bounce_type = text(bounce, "bounceType").unwrap_or_default();
    let sub_type = text(bounce, "bounceSubType").unwrap_or_default();
    inbound.note(
        "ses-notification",
        "body JSON bounce",
        &format!("bounceType {bounce_type}, bounceSubType {sub_type}"),
    );
    let recipients = bounce
        .get("bouncedRecipients")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(MAX_RECIPIENTS)
        .filter_map(|r| {
            let email = EmailAddress::parse(&text(r, "emailAddress")?).ok()?;
            let status = text(r, "status").filter(|s| dsn_status(s));
            let diag = text(r, "diagnosticCode").as_deref().and_then(diagnostic);
            let delayed = text(r, "action").as_deref() == Some("delayed");
            let mut verdict = decide(status.as_deref(), diag.as_deref(), delayed);
            ses_override(&mut verdict, &bounce_type, &sub_type);
            inbound.note(
                verdict.rule,
                "body JSON bouncedRecipients",
                &format!("{}: {}", email.as_str(), verdict.explain()),
            );
            Some(BounceRecipient {
                email,
                status,
                kind: verdict.kind,
                cause: verdict.cause,
                diagnostic: diag,
                needs_review: verdict.needs_review,
            })
        })
        .collect();
    let send_id = json
        .get("mail")
        .into_iter()
        .flat_map(|m| {
            let common = m
                .pointer("/commonHeaders/messageId")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let headers = m
                .get("headers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|h| {
                    h.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case("message-id"))
                })
                .filter_map(|h| text(h, "value"));
            common.into_iter().chain(headers).collect::<Vec<_>>()
        })
        .find_map(|id| inbound.ids.of(&id))
        .or_else(|| inbound.threaded_send_id());
    Some(Classification::Bounce {
        send_id,
        recipients,
    })
}

/// SES's own bounce type where the recipient's code and words leave the answer open.
/// `Permanent`/`Suppressed` is SES's global list of addresses that bounced hard; everything
/// `Transient` is soft whatever the words say.
fn ses_override(verdict: &mut Verdict, bounce_type: &str, sub_type: &str) {
    let cause = match sub_type {
        "MailboxFull" => Some(BounceCause::MailboxFull),
        "MessageTooLarge" | "ContentRejected" | "AttachmentRejected" => Some(BounceCause::Policy),
        _ => None,
    };
    let unknown = verdict.cause == BounceCause::Unknown;
    if let Some(cause) = cause {
        verdict.kind = BounceKind::Soft;
        verdict.cause = cause;
        verdict.rule = "ses-bounce-type";
        verdict.because = format!("{bounce_type}/{sub_type}");
    } else if bounce_type == "Permanent" && sub_type == "Suppressed" && unknown {
        verdict.kind = BounceKind::Hard;
        verdict.cause = BounceCause::Recipient;
        verdict.rule = "ses-bounce-type";
        verdict.because = format!("{bounce_type}/{sub_type}");
    } else if bounce_type == "Transient" && verdict.kind == BounceKind::Hard {
        verdict.kind = BounceKind::Soft;
        verdict.needs_review = true;
        verdict.rule = "conflicting-wording";
        verdict.because = format!("{} against SES {bounce_type}", verdict.because);
    } else if bounce_type == "Transient" && unknown {
        verdict.cause = BounceCause::Transient;
    }
}

fn dsn_status(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..]
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The first JSON value of `text` that starts at a `{`, ignoring what follows it (SNS appends
/// an unsubscribe footer).
fn first_json(text: &str) -> Option<Value> {
    let at = text.find('{')?;
    serde_json::Deserializer::from_str(&text[at..])
        .into_iter::<Value>()
        .next()?
        .ok()
}
