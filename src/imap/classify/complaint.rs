//! ARF spam complaints (RFC 5965): a `multipart/report; report-type=feedback-report` with a
//! `message/feedback-report` part and the original (full, or headers only). The complainant is
//! `Original-Rcpt-To` when the provider keeps it, else the original's To; the send is the
//! original's Message-ID. A "not-spam" report is not a complaint.

use super::dsn::{address, field, field_blocks};
use super::inbound::{Inbound, is_type};
use super::types::Classification;

/// A complaint (or `Unrelated` for a not-spam report), or `None` when this is no ARF report.
pub(super) fn detect(inbound: &Inbound<'_>) -> Option<Classification> {
    let report = inbound
        .parts()
        .find(|p| is_type(p, "message", &["feedback-report"]));
    let is_arf = inbound
        .report_type()
        .is_some_and(|t| t == "feedback-report");
    if report.is_none() && !is_arf {
        return None;
    }
    let blocks = report
        .map(|p| field_blocks(p.contents()))
        .unwrap_or_default();
    let feedback_type = field(&blocks, "feedback-type").map(str::to_ascii_lowercase);
    inbound.note(
        "arf-report",
        "part message/feedback-report",
        &format!(
            "Feedback-Type: {}",
            feedback_type.as_deref().unwrap_or("(none)")
        ),
    );
    if feedback_type.as_deref() == Some("not-spam") {
        return Some(Classification::Unrelated);
    }
    let original = inbound.returned_original();
    let email = field(&blocks, "original-rcpt-to")
        .and_then(address)
        .or_else(|| original.recipients.first().cloned());
    Some(Classification::Complaint {
        send_id: original.send_id,
        email,
    })
}
