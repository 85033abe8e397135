//! From a `Classification` to the store's `InboundAction`s, and the idempotency key of a raw
//! message. Pure: the poller and tests call it; `outreachd classify` prints the classification
//! this starts from.

use crate::domain::{BounceSeverity, InboundAction, OptOut};
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use super::classify::{BounceKind, Classification};

use crate::telemetry::InboundClass;

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

/// What the store must do for a classification. An auto-reply's return date becomes "not
/// before the day after it" (00:00 UTC): the lead is back by then.
pub fn actions_for(c: &Classification, soft_bounce_limit: u32) -> Vec<InboundAction> {
    let email = |e: &Option<crate::domain::EmailAddress>| e.as_ref().map(|e| e.as_str().to_owned());
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
            .map(|r| InboundAction::Bounce {
                send_id: *send_id,
                email: r.email.as_str().to_owned(),
                severity: match r.kind {
                    BounceKind::Hard => BounceSeverity::Hard,
                    BounceKind::Soft => BounceSeverity::Soft,
                },
                status: r.status.clone(),
                diagnostic: r.diagnostic.clone(),
                soft_limit: soft_bounce_limit,
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
        let [InboundAction::AutoReply { resume_at, .. }] = actions_for(&c, 3)[..] else {
            panic!("one auto-reply action");
        };
        assert_eq!(resume_at.unwrap().to_rfc3339(), "2026-12-02T00:00:00+00:00");
    }
}
