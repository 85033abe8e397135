//! Replies: a message whose In-Reply-To or References names one of our sends, or (the fallback
//! for clients that drop those headers) whose sender is a lead and whose subject, with reply
//! prefixes stripped, is one of ours. A reply asking us to stop is an `UnsubscribeRequest`; so
//! is any message whose subject alone says "unsubscribe" (what a `mailto:` List-Unsubscribe
//! link sends) or whose text asks it when the sender is a lead.

use super::context::ClassifyContext;
use super::inbound::Inbound;
use super::subject::normalize_subject;
use super::types::{Classification, Confidence};
use super::unsubscribe;

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
    let asks_to_stop = || unsubscribe::requested(inbound);
    if matched {
        return if asks_to_stop() {
            Classification::UnsubscribeRequest {
                send_id,
                email: sender,
            }
        } else {
            Classification::Reply {
                send_id,
                lead_email: sender,
            }
        };
    }
    let stop_subject = unsubscribe::is_unsubscribe_subject(&inbound.subject);
    if stop_subject {
        inbound.note("unsubscribe-subject", "subject", &inbound.subject);
    }
    if sender.is_some() && (stop_subject || (from_lead && asks_to_stop())) {
        return Classification::UnsubscribeRequest {
            send_id: None,
            email: sender,
        };
    }
    Classification::Unrelated
}
