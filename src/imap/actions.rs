//! From a `Judgement` to the store's `InboundAction`s (what the poller applies, and what a
//! person's resolution of a review applies), and the idempotency key of a raw message. Pure:
//! the poller, the review service and tests call it; `outreachd classify` prints the judgement
//! this starts from.

use crate::domain::{
    BounceSeverity, EmailAddress, InboundAction, OptOut, ReviewResolution, SendId,
};
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use super::classify::{
    BounceCause, BounceKind, BounceRecipient, Classification, Judgement, ReviewReason,
};

use crate::telemetry::{InboundClass, InboundReview};

/// The metric label of a review reason (telemetry owns the label set).
pub fn review_label(reason: ReviewReason) -> InboundReview {
    match reason {
        ReviewReason::UnsubscribeOrReply => InboundReview::UnsubscribeOrReply,
        ReviewReason::HardOrSoft => InboundReview::HardOrSoft,
    }
}

/// The metric label of a classification (telemetry owns the label set).
pub fn inbound_class(c: &Classification) -> InboundClass {
    match c {
        Classification::Reply { .. } => InboundClass::Reply,
        Classification::AutoReply { .. } => InboundClass::AutoReply,
        Classification::Bounce { .. } => InboundClass::Bounce,
        Classification::Complaint { .. } => InboundClass::Complaint,
        Classification::UnsubscribeRequest { .. } => InboundClass::UnsubscribeRequest,
        Classification::Unrelated => InboundClass::Unrelated,
    }
}

/// The name stored with the message (`inbound_messages.classification`): the metric label.
pub fn class_name(c: &Classification) -> &'static str {
    inbound_class(c).label()
}

/// What the store must do for a judgement. Where the classifier is unsure, the reading's
/// action is replaced by `Review` (the lead waits for a person); a bounce recipient refused
/// because of our sender gets `SenderBounce` (the mailbox pauses, the lead is kept).
pub fn actions_for(j: &Judgement, soft_bounce_limit: u32) -> Vec<InboundAction> {
    if j.needs_review == Some(ReviewReason::UnsubscribeOrReply)
        && let Some((send_id, email)) = sender_of(&j.classification)
    {
        return vec![InboundAction::Review {
            send_id,
            email,
            reason: ReviewReason::UnsubscribeOrReply,
        }];
    }
    classification_actions(&j.classification, soft_bounce_limit)
}

/// The actions of the reading a person chose for a message under review; `None` when that
/// reading does not answer the review's question (`hard` for a reply that may be an opt-out).
pub fn resolution_actions(
    j: &Judgement,
    resolution: ReviewResolution,
    soft_bounce_limit: u32,
) -> Option<Vec<InboundAction>> {
    let reason = j.needs_review?;
    let c = &j.classification;
    let about = || sender_of(c).unwrap_or((None, None));
    let bounces = |severity| {
        let send_id = match c {
            Classification::Bounce { send_id, .. } => *send_id,
            _ => None,
        };
        under_review(j)
            .map(|r| bounce(send_id, r, severity, soft_bounce_limit))
            .collect()
    };
    match (reason, resolution) {
        (_, ReviewResolution::Dismiss) => Some(Vec::new()),
        (ReviewReason::UnsubscribeOrReply, ReviewResolution::Reply) => {
            let (send_id, email) = about();
            Some(vec![InboundAction::Reply { send_id, email }])
        }
        (ReviewReason::UnsubscribeOrReply, ReviewResolution::Unsubscribe) => {
            let (send_id, email) = about();
            Some(vec![InboundAction::OptOut {
                kind: OptOut::Unsubscribe,
                send_id,
                email,
            }])
        }
        (ReviewReason::HardOrSoft, ReviewResolution::Hard) => Some(bounces(BounceSeverity::Hard)),
        (ReviewReason::HardOrSoft, ReviewResolution::Soft) => Some(bounces(BounceSeverity::Soft)),
        _ => None,
    }
}

/// The resolutions that answer a review's question.
pub fn resolutions_for(reason: ReviewReason) -> &'static [ReviewResolution] {
    match reason {
        ReviewReason::UnsubscribeOrReply => &[
            ReviewResolution::Reply,
            ReviewResolution::Unsubscribe,
            ReviewResolution::Dismiss,
        ],
        ReviewReason::HardOrSoft => &[
            ReviewResolution::Hard,
            ReviewResolution::Soft,
            ReviewResolution::Dismiss,
        ],
    }
}

/// The bounce recipients a person must decide about (the classifier marks them; the message's
/// `hard_or_soft` review follows from the marks).
fn under_review(j: &Judgement) -> impl Iterator<Item = &BounceRecipient> {
    let recipients = match &j.classification {
        Classification::Bounce { recipients, .. } => &recipients[..],
        _ => &[],
    };
    recipients.iter().filter(|r| r.needs_review)
}

/// The send and the person a non-bounce message is about.
fn sender_of(c: &Classification) -> Option<(Option<SendId>, Option<String>)> {
    let owned = |e: &Option<EmailAddress>| e.as_ref().map(|e| e.as_str().to_owned());
    match c {
        Classification::Reply {
            send_id,
            lead_email,
        } => Some((*send_id, owned(lead_email))),
        Classification::UnsubscribeRequest { send_id, email }
        | Classification::Complaint { send_id, email }
        | Classification::AutoReply { send_id, email, .. } => Some((*send_id, owned(email))),
        Classification::Bounce { .. } | Classification::Unrelated => None,
    }
}

fn severity(kind: BounceKind) -> BounceSeverity {
    match kind {
        BounceKind::Hard => BounceSeverity::Hard,
        BounceKind::Soft => BounceSeverity::Soft,
    }
}

fn bounce(
    send_id: Option<SendId>,
    r: &BounceRecipient,
    severity: BounceSeverity,
    soft_limit: u32,
) -> InboundAction {
    InboundAction::Bounce {
        send_id,
        email: r.email.as_str().to_owned(),
        severity,
        status: r.status.clone(),
        diagnostic: r.diagnostic.clone(),
        soft_limit,
    }
}

/// The actions of a classification. An auto-reply's return date becomes "not before the day
/// after it" (00:00 UTC): the lead is back by then. A bounce recipient the classifier is unsure
/// about waits for a person; one refused because of our sender pauses the mailbox instead.
fn classification_actions(c: &Classification, soft_bounce_limit: u32) -> Vec<InboundAction> {
    let email = |e: &Option<EmailAddress>| e.as_ref().map(|e| e.as_str().to_owned());
    match c {
        Classification::Reply {
            send_id,
            lead_email,
        } => vec![InboundAction::Reply {
            send_id: *send_id,
            email: email(lead_email),
        }],
        Classification::AutoReply {
            send_id,
            email: from,
            return_date,
        } => vec![InboundAction::AutoReply {
            send_id: *send_id,
            email: email(from),
            resume_at: return_date.map(|d| {
                DateTime::<Utc>::from_naive_utc_and_offset(d.and_time(NaiveTime::MIN), Utc)
                    + TimeDelta::days(1)
            }),
        }],
        Classification::Bounce {
            send_id,
            recipients,
        } => recipients
            .iter()
            .map(|r| {
                if r.needs_review {
                    InboundAction::Review {
                        send_id: *send_id,
                        email: Some(r.email.as_str().to_owned()),
                        reason: ReviewReason::HardOrSoft,
                    }
                } else if r.cause == BounceCause::Sender {
                    InboundAction::SenderBounce {
                        send_id: *send_id,
                        email: r.email.as_str().to_owned(),
                        status: r.status.clone(),
                        diagnostic: r.diagnostic.clone(),
                    }
                } else {
                    bounce(*send_id, r, severity(r.kind), soft_bounce_limit)
                }
            })
            .collect(),
        Classification::Complaint { send_id, email: e } => vec![InboundAction::OptOut {
            kind: OptOut::Complaint,
            send_id: *send_id,
            email: email(e),
        }],
        Classification::UnsubscribeRequest { send_id, email: e } => {
            vec![InboundAction::OptOut {
                kind: OptOut::Unsubscribe,
                send_id: *send_id,
                email: email(e),
            }]
        }
        Classification::Unrelated => Vec::new(),
    }
}

/// The message's Message-ID (angle brackets kept, as sent), or `sha256:<hex>` of its first
/// bytes when it has none: the same message fetched twice gets the same key.
pub fn inbound_key(raw: &[u8]) -> String {
    let head_end = find_header_end(raw);
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut lines = head.lines().peekable();
    while let Some(line) = lines.next() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("message-id") {
            continue;
        }
        let mut value = value.trim().to_owned();
        while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
            value.push_str(next.trim());
            lines.next();
        }
        if !value.is_empty() && value.len() <= 500 {
            return value;
        }
    }
    let digest = Sha256::digest(&raw[..raw.len().min(1 << 20)]);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The message's Date header, for when the server gave no INTERNALDATE.
pub fn header_date(raw: &[u8]) -> Option<DateTime<Utc>> {
    let head = &raw[..find_header_end(raw)];
    let message = mail_parser::MessageParser::new().parse_headers(head)?;
    DateTime::from_timestamp(message.date()?.to_timestamp(), 0)
}

fn find_header_end(raw: &[u8]) -> usize {
    let limit = raw.len().min(256 * 1024);
    let head = &raw[..limit];
    head.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| head.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_message_id_or_a_stable_hash() {
        let raw = b"From: a@b.test\r\nMessage-ID:\r\n <abc@b.test>\r\n\r\nhi";
        assert_eq!(inbound_key(raw), "<abc@b.test>");
        let bare = b"From: a@b.test\r\n\r\nhi";
        assert_eq!(inbound_key(bare), inbound_key(bare));
        assert!(inbound_key(bare).starts_with("sha256:"));
    }

    #[test]
    fn the_date_header_is_read_in_utc() {
        let raw = b"From: a@b.test\r\nDate: Mon, 23 Nov 2026 09:30:00 +0100 (CET)\r\n\r\nhi";
        let date = header_date(raw).map(|d| d.to_rfc3339());
        assert_eq!(date.as_deref(), Some("2026-11-23T08:30:00+00:00"));
        assert_eq!(header_date(b"From: a@b.test\r\n\r\nhi"), None);
    }

    #[test]
    fn a_return_date_resumes_the_day_after() {
        let c = Classification::AutoReply {
            send_id: None,
            email: None,
            return_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1),
        };
        let [InboundAction::AutoReply { resume_at, .. }] = actions_for(&judged(c, None), 3)[..]
        else {
            panic!("one auto-reply action");
        };
        assert_eq!(resume_at.unwrap().to_rfc3339(), "2026-12-02T00:00:00+00:00");
    }

    fn judged(c: Classification, review: Option<ReviewReason>) -> Judgement {
        Judgement {
            classification: c,
            confidence: if review.is_some() {
                crate::imap::classify::Confidence::Low
            } else {
                crate::imap::classify::Confidence::High
            },
            needs_review: review,
            evidence: Vec::new(),
        }
    }

    fn recipient(
        email: &str,
        kind: BounceKind,
        cause: BounceCause,
        unsure: bool,
    ) -> BounceRecipient {
        BounceRecipient {
            email: EmailAddress::parse(email).unwrap(),
            status: Some("5.7.1".into()),
            kind,
            cause,
            diagnostic: Some("550 5.7.1 refused".into()),
            needs_review: unsure,
        }
    }

    fn bounce_of(recipients: Vec<BounceRecipient>) -> Classification {
        Classification::Bounce {
            send_id: None,
            recipients,
        }
    }

    #[test]
    fn an_unsure_reply_asks_for_a_review_instead_of_stopping_the_lead() {
        let c = Classification::Reply {
            send_id: None,
            lead_email: EmailAddress::parse("ann@example.com").ok(),
        };
        let actions = actions_for(&judged(c, Some(ReviewReason::UnsubscribeOrReply)), 3);
        assert_eq!(
            actions,
            vec![InboundAction::Review {
                send_id: None,
                email: Some("ann@example.com".into()),
                reason: ReviewReason::UnsubscribeOrReply,
            }]
        );
    }

    #[test]
    fn only_the_unsure_recipient_of_a_bounce_is_reviewed() {
        let c = bounce_of(vec![
            recipient(
                "a@example.com",
                BounceKind::Soft,
                BounceCause::Unknown,
                true,
            ),
            recipient(
                "b@example.com",
                BounceKind::Hard,
                BounceCause::Recipient,
                false,
            ),
        ]);
        let actions = actions_for(&judged(c, Some(ReviewReason::HardOrSoft)), 3);
        assert!(
            matches!(&actions[0], InboundAction::Review { email: Some(e), .. } if e == "a@example.com")
        );
        assert!(matches!(
            &actions[1],
            InboundAction::Bounce {
                severity: BounceSeverity::Hard,
                ..
            }
        ));
    }

    #[test]
    fn a_refusal_of_our_sender_never_bounces_the_lead() {
        let c = bounce_of(vec![
            recipient(
                "a@example.com",
                BounceKind::Soft,
                BounceCause::Sender,
                false,
            ),
            recipient(
                "b@example.com",
                BounceKind::Soft,
                BounceCause::Policy,
                false,
            ),
        ]);
        let actions = actions_for(&judged(c, None), 3);
        assert!(
            matches!(&actions[0], InboundAction::SenderBounce { email, .. } if email == "a@example.com")
        );
        assert!(matches!(
            &actions[1],
            InboundAction::Bounce {
                severity: BounceSeverity::Soft,
                ..
            }
        ));
    }

    #[test]
    fn a_resolution_applies_only_readings_that_answer_the_review() {
        let reply = judged(
            Classification::Reply {
                send_id: None,
                lead_email: EmailAddress::parse("ann@example.com").ok(),
            },
            Some(ReviewReason::UnsubscribeOrReply),
        );
        assert_eq!(resolution_actions(&reply, ReviewResolution::Hard, 3), None);
        assert!(matches!(
            resolution_actions(&reply, ReviewResolution::Unsubscribe, 3).as_deref(),
            Some([InboundAction::OptOut {
                kind: OptOut::Unsubscribe,
                ..
            }])
        ));
        let bounce = judged(
            bounce_of(vec![
                recipient(
                    "a@example.com",
                    BounceKind::Soft,
                    BounceCause::Unknown,
                    true,
                ),
                recipient(
                    "b@example.com",
                    BounceKind::Hard,
                    BounceCause::Recipient,
                    false,
                ),
            ]),
            Some(ReviewReason::HardOrSoft),
        );
        let hard = resolution_actions(&bounce, ReviewResolution::Hard, 3).unwrap();
        assert!(matches!(
            &hard[..],
            [InboundAction::Bounce { email, severity: BounceSeverity::Hard, .. }] if email == "a@example.com"
        ));
        assert_eq!(
            resolution_actions(&bounce, ReviewResolution::Dismiss, 3),
            Some(vec![])
        );
    }
}
