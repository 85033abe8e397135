//! `classify`: turns one raw inbound message into what it means for our sends: a reply, an
//! auto-reply, a bounce (per recipient, hard or soft), an ARF complaint, an unsubscribe
//! request, or nothing of ours. Pure (no I/O, no clock): what it needs from the store comes in
//! a `ClassifyContext`. Any byte sequence gets an answer or a `ClassifyError` quickly (input is
//! capped, every scan is linear); it never panics.
//!
//! Order, first match wins:
//! 1. A copy of our own send (its Message-ID is ours) is `Unrelated`.
//! 2. An ARF feedback report is a `Complaint` (complaint.rs).
//! 3. A DSN or a free-text bounce is a `Bounce`, even when it also says "auto" (bounce.rs).
//! 4. An auto-reply is an `AutoReply`, never a reply (autoreply.rs).
//! 5. A reply to one of our sends (threading headers, or lead sender + our subject) is a
//!    `Reply`, or an `UnsubscribeRequest` when it asks us to stop (reply.rs, unsubscribe.rs).
//!
//! [`judge`] adds what the rules noted on the way: the evidence (rule, where it looked, what it
//! saw), a confidence, and `needs_review` when two readings stay possible (a reply that may be
//! an opt-out, a bounce whose code and words disagree on hard or soft). The doubtful reading is
//! always the harmless one (a reply, a soft bounce) and the poller pauses the lead for a person
//! instead of acting on it. Bounce recipients also carry a `cause`; `sender` (servers refusing
//! our mailbox) pauses the mailbox and never touches the lead.
//!
//! `outreachd classify FILE.eml…` calls [`classify_file`], the same code as the poller.

mod autoreply;
mod bounce;
mod bounce_kind;
mod bounce_text;
mod complaint;
mod context;
mod date_tokens;
mod dsn;
mod file;
mod ids;
mod inbound;
mod quote;
mod reply;
mod reply_text;
mod return_date;
mod subject;
mod text;
mod types;
mod unsubscribe;

#[cfg(test)]
mod tests;

use mail_parser::MessageParser;

pub use context::{ClassifyContext, KnownLeads, LeadSet, NoLeads};
pub use file::{ClassifyFileError, classify_file};
pub use inbound::MAX_INPUT_BYTES;
pub use reply_text::reply_content;
pub use subject::normalize_subject;
pub use types::{
    BounceCause, BounceKind, BounceRecipient, Classification, ClassifyError, Confidence, Evidence,
    Judgement, ReviewReason,
};

/// Classifies one raw message (RFC 5322 bytes with CRLF, LF or CR line endings). Bytes past
/// [`MAX_INPUT_BYTES`] are ignored: they are attachments in any real message.
pub fn classify(raw: &[u8], ctx: &ClassifyContext<'_>) -> Result<Classification, ClassifyError> {
    judge(raw, ctx).map(|j| j.classification)
}

/// [`classify`] with its confidence, the evidence behind it, and whether a person should
/// decide (`needs_review`): what the poller records and `outreachd classify` prints.
pub fn judge(raw: &[u8], ctx: &ClassifyContext<'_>) -> Result<Judgement, ClassifyError> {
    // mail-parser 0.11 can panic on some malformed MIME trees ("Invalid part ID"); the input is
    // only read and the context is shared immutably, so unwinding leaves nothing inconsistent.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| judge_unguarded(raw, ctx)))
        .unwrap_or(Err(ClassifyError::Malformed))
}

fn judge_unguarded(raw: &[u8], ctx: &ClassifyContext<'_>) -> Result<Judgement, ClassifyError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ClassifyError::Empty);
    }
    let normalized = inbound::normalize(raw);
    let message = MessageParser::default()
        .parse(&normalized)
        .filter(|m| !m.headers().is_empty())
        .ok_or(ClassifyError::NoHeaders)?;
    let inbound = inbound::Inbound::new(&message, ids::OurIds::new(ctx.our_domains));
    let classification = decide(&inbound, ctx);
    if let Classification::Bounce { recipients, .. } = &classification
        && recipients.iter().any(|r| r.needs_review)
    {
        inbound.needs_review(ReviewReason::HardOrSoft);
    }
    let trace = inbound.take_trace();
    Ok(Judgement {
        classification,
        confidence: trace.confidence.unwrap_or(Confidence::High),
        needs_review: trace.review,
        evidence: trace.evidence,
    })
}

fn decide(inbound: &inbound::Inbound<'_>, ctx: &ClassifyContext<'_>) -> Classification {
    if inbound.is_our_own() {
        inbound.note(
            "our-own-copy",
            "header Message-ID",
            "one of our Message-IDs",
        );
        return Classification::Unrelated;
    }
    complaint::detect(inbound)
        .or_else(|| bounce::detect(inbound))
        .or_else(|| autoreply::detect(inbound, ctx))
        .unwrap_or_else(|| reply::classify(inbound, ctx))
}
