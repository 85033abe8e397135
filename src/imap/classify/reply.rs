//! Replies: a message whose In-Reply-To or References names one of our sends, or (the fallback
//! for clients that drop those headers) whose sender is a lead and whose subject, with reply
//! prefixes stripped, is one of ours. A reply asking us to stop is an `UnsubscribeRequest`; so
//! is any message whose subject alone says "unsubscribe" (what a `mailto:` List-Unsubscribe
//! link sends) or whose text asks it when the sender is a lead. An opt-out phrase that is
//! hedged or beside a buying question stays a `Reply` marked for review: a false unsubscribe
//! loses a prospect.

use super::context::ClassifyContext;
use super::inbound::Inbound;
use super::subject::normalize_subject;
use super::types::{Classification, Confidence, ReviewReason};
use super::unsubscribe::{self, Ask};

/// A reply, an unsubscribe request, or `Unrelated`.
pub(super) fn classify(inbound: &Inbound<'_>, ctx: &ClassifyContext<'_>) -> Classification {
    let send_id = inbound.threaded_send_id();
    let sender = inbound.from.clone();
    let from_lead = sender.as_ref().is_some_and(|s| ctx.leads.is_lead(s));
    let threads_to_ours = || {
        let subject = normalize_subject(&inbound.subject);
        !subject.is_empty() && ctx.leads.our_subject(&subject)
    };
    let matched = if send_id.is_some() {
        inbound.note(
            "threading",
            "header In-Reply-To/References",
            "one of our Message-IDs",
        );
        true
    } else if from_lead && threads_to_ours() {
        inbound.note(
            "lead-and-subject",
            "header From and subject",
            &inbound.subject,
        );
        inbound.doubt(Confidence::Medium);
        true
    } else {
        false
    };
    if matched {
        return answer(inbound, unsubscribe::requested(inbound), send_id, sender);
    }
    let stop_subject = unsubscribe::is_unsubscribe_subject(&inbound.subject);
    if stop_subject {
        inbound.note("unsubscribe-subject", "subject", &inbound.subject);
    }
    if sender.is_none() {
        return Classification::Unrelated;
    }
    if stop_subject {
        return Classification::UnsubscribeRequest {
            send_id: None,
            email: sender,
        };
    }
    match from_lead.then(|| unsubscribe::requested(inbound)) {
        Some(ask @ (Ask::Stop | Ask::Unsure)) => answer(inbound, ask, None, sender),
        _ => Classification::Unrelated,
    }
}

/// The class for what a matched message asks: a clear request is an unsubscribe; an unsure
/// one is a reply a person reviews.
fn answer(
    inbound: &Inbound<'_>,
    ask: Ask,
    send_id: Option<crate::domain::SendId>,
    sender: Option<crate::domain::EmailAddress>,
) -> Classification {
    match ask {
        Ask::Stop => Classification::UnsubscribeRequest {
            send_id,
            email: sender,
        },
        Ask::Unsure => {
            inbound.needs_review(ReviewReason::UnsubscribeOrReply);
            Classification::Reply {
                send_id,
                lead_email: sender,
            }
        }
        Ask::No => Classification::Reply {
            send_id,
            lead_email: sender,
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::imap::classify::{Classification, ClassifyContext, ReviewReason, judge};

    fn threaded(body: &str) -> String {
        format!(
            "From: Mark <mark@example.com>\r\nTo: jonas@brightlane.io\r\nSubject: Re: Quick question\r\n\
             Date: Tue, 5 Jan 2027 09:00:00 +0100\r\nMessage-ID: <a1@example.com>\r\n\
             In-Reply-To: <0190f3a27c4e7b1a9d2e5f6a7b8c9d01@brightlane.io>\r\n\r\n{body}"
        )
    }

    #[test]
    fn an_unsubscribe_names_the_body_line_of_its_phrase() {
        let raw = threaded("Hi Jonas,\r\n\r\nNo thanks. Please remove me.\r\n");
        let got = judge(raw.as_bytes(), &ClassifyContext::without_leads()).unwrap();
        assert!(matches!(
            got.classification,
            Classification::UnsubscribeRequest { .. }
        ));
        assert!(
            got.evidence
                .iter()
                .any(|e| e.at == "body line 3" && e.text == "Please remove me."),
            "{:?}",
            got.evidence
        );
    }

    #[test]
    fn a_hedged_request_is_a_reply_for_review() {
        let raw = threaded("If this isn't relevant, remove me - otherwise what does it cost?\r\n");
        let got = judge(raw.as_bytes(), &ClassifyContext::without_leads()).unwrap();
        assert!(matches!(got.classification, Classification::Reply { .. }));
        assert_eq!(got.needs_review, Some(ReviewReason::UnsubscribeOrReply));
    }

    #[test]
    fn a_clear_request_stays_high_confidence() {
        let raw = threaded("STOP\r\n\r\nSent from my iPhone\r\n");
        let got = judge(raw.as_bytes(), &ClassifyContext::without_leads()).unwrap();
        assert!(matches!(
            got.classification,
            Classification::UnsubscribeRequest { .. }
        ));
        assert_eq!(got.needs_review, None);
        assert_eq!(got.confidence, crate::imap::classify::Confidence::High);
    }
}
