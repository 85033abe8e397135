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

use super::super::bounce_kind::{Verdict, decide, status_in};
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
    "message could not be delivered to the following recipients", "your mail sent on:",
    "your mail attempted to be delivered on",
    "each of the following recipients was rejected by a remote mail server",
    "was blocked by our spam firewall", "message you sent blocked by",
    "the original message was received at", "transcript of session follows",
    "this is an automatically generated message from sendgrid",
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

/// "host mx.example.com[192.0.2.1] said: 550 …": an MTA quoting the remote reply. A person's
/// "he said: 500 units" does not count: a host must be named or an enhanced status follow.
fn said_code(lower: &str) -> bool {
    let (before, rest) = if let Some(rest) = lower.strip_prefix("said: ") {
        ("", rest)
    } else if let Some(at) = lower.find(" said: ") {
        (&lower[..at], &lower[at + 7..])
    } else {
        return false;
    };
    let b = rest.as_bytes();
    let code = b.len() >= 4
        && matches!(b[0], b'4' | b'5')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && matches!(b[3], b' ' | b'-');
    code && (before.contains("host ")
        || status_in(&rest[4..]).is_some_and(|s| !s.ends_with(".0.0")))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::classify::{ClassifyContext, NoLeads, judge};

    fn judged(raw: &str) -> crate::imap::classify::Judgement {
        let domains = vec!["brightlane.io".to_owned()];
        let ctx = ClassifyContext::new(&NoLeads).with_domains(&domains);
        judge(raw.as_bytes(), &ctx).expect("a judgement")
    }

    #[test]
    fn report_wording_and_transcripts_are_found_but_quotes_and_chat_are_not() {
        let body = "Hello\n\n   ----- Transcript of session follows -----\n>>> RCPT To:<a@b.de>\n";
        assert_eq!(report_line(body).map(|l| l.0), Some(2));
        assert!(report_line("x\n>>> RCPT TO:<a@b.de>\n<<< 550 5.1.1 unknown\n").is_some());
        assert!(report_line("<a@b.de>: host mx.b.de[192.0.2.1] said: 550 5.1.1 no\n").is_some());
        assert!(report_line("    said: 550 5.7.25 [192.0.2.1] no PTR\n").is_some());
        assert!(
            report_line("> Your message did not reach some or all of the intended recipients.\n")
                .is_none()
        );
        assert!(report_line("My boss said: 500 units is the minimum.\n").is_none());
        assert!(report_line("Thanks, we will get back to you.\n").is_none());
    }

    #[test]
    fn delivery_status_fields_in_a_text_body_are_read() {
        let body = "This is an automatically generated message from SendGrid.\n\n\
            Final-Recipient: rfc822; m@w.pl\nAction: failed\nStatus: 5.1.1\n\
            Diagnostic-Code: 550 5.1.1 user unknown\n";
        let found = inline_dsn(body);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].status.as_deref(), Some("5.1.1"));
        assert!(inline_dsn("Final-Recipient is a word we discuss.\n").is_empty());
    }

    const SES: &str = "From: \"AWS Notifications\" <no-reply@sns.amazonaws.com>\n\
        To: ops@brightlane.io\nSubject: AWS Notification Message\n\n\
        {\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Transient\",\
        \"bounceSubType\":\"General\",\"bouncedRecipients\":[{\"emailAddress\":\"a@b.de\",\
        \"action\":\"failed\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"}]},\
        \"mail\":{\"headers\":[{\"name\":\"Message-ID\",\
        \"value\":\"<01946a602005700580051a2b3c4d5e05@brightlane.io>\"}]}}\n\n--\nIf you wish to stop\n";

    #[test]
    fn an_ses_transient_bounce_is_never_hard_and_names_its_send() {
        let judgement = judged(SES);
        let Classification::Bounce {
            send_id,
            recipients,
        } = &judgement.classification
        else {
            panic!("not a bounce: {judgement:?}");
        };
        assert!(send_id.is_some());
        assert_eq!(recipients.len(), 1);
        assert_eq!(recipients[0].kind, BounceKind::Soft);
        assert!(recipients[0].needs_review);
        assert!(
            judgement
                .evidence
                .iter()
                .any(|e| e.at == "body JSON bouncedRecipients" && e.text.contains("a@b.de"))
        );
    }

    #[test]
    fn an_ses_complaint_or_garbage_json_is_no_ses_bounce() {
        let complaint = SES.replace(
            "\"notificationType\":\"Bounce\"",
            "\"notificationType\":\"Complaint\"",
        );
        assert!(!matches!(
            judged(&complaint).classification,
            Classification::Bounce { .. }
        ));
        let broken = SES.replace("{\"notificationType\"", "{{{\"notificationType\"");
        assert!(!matches!(
            judged(&broken).classification,
            Classification::Bounce { .. }
        ));
    }

    #[test]
    fn each_free_text_recipient_has_evidence_at_its_body_line() {
        let raw = "From: MAILER-DAEMON@mx.example.net\nTo: jonas@brightlane.io\n\
            Subject: Undelivered Mail Returned to Sender\n\n\
            This is the mail system at host mx.example.net.\n\n\
            <a@b.de>: host mx.b.de[192.0.2.1] said: 550 5.1.1 <a@b.de>: User unknown\n";
        let judgement = judged(raw);
        assert!(
            judgement
                .evidence
                .iter()
                .any(|e| e.rule == "diagnostic-wording" && e.at == "body line 3"),
            "{:?}",
            judgement.evidence
        );
    }
}
