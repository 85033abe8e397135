//! `Inbound`: the parsed view of one message that every rule reads: sender, subject, date,
//! first text body, raw header values, MIME parts, and the original a report sends back.
//!
//! Input is bounded first (`MAX_INPUT_BYTES`, then 64 KiB of any text we scan) so that every
//! rule runs in time linear in a small input, whatever bytes arrive.

use std::cell::RefCell;

use chrono::NaiveDate;
use mail_parser::{Address, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::ids::OurIds;
use super::text::{clip, collapse_ws, fold};
use super::types::{Confidence, Evidence, ReviewReason};
use crate::domain::{EmailAddress, SendId};

/// Bytes of a message we look at. Headers, text bodies and reports come first in real mail;
/// what is cut is attachments. Truncated MIME still parses.
pub const MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;
/// Bytes of any one text we scan with phrase tables.
pub(super) const MAX_TEXT_BYTES: usize = 64 * 1024;

/// Markers in front of an inline copy of the returned message (qmail, Yahoo, Exim, others).
pub(super) const COPY_MARKERS: &[&str] = &[
    "below this line is a copy of the message",
    "below this line is a copy of the mail header",
    "this is a copy of the message, including all the headers",
    "this is a copy of the headers that were received",
    "original message follows",
    "original message headers",
    "----- original message -----",
    "------ original message ------",
];

/// Bounds the input and turns CRLF and lone CR into LF: mail-parser reads a CR-only message
/// as a single header line.
pub(super) fn normalize(raw: &[u8]) -> Vec<u8> {
    let raw = &raw[..raw.len().min(MAX_INPUT_BYTES)];
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        if b == b'\r' {
            bytes.next_if_eq(&b'\n');
            out.push(b'\n');
        } else {
            out.push(b);
        }
    }
    out
}

/// A parsed message with the fields every rule needs, computed once.
pub(super) struct Inbound<'m> {
    pub message: &'m Message<'m>,
    /// The first From address, when it is a valid address.
    pub from: Option<EmailAddress>,
    /// The first From address as written, lower-cased (may be invalid or empty).
    pub from_address: String,
    /// The From display name, folded (see `text::fold`).
    pub from_name: String,
    pub subject: String,
    /// Recognises our Message-IDs.
    pub ids: OurIds<'m>,
    /// The Date header's calendar date, in the sender's own time zone.
    pub date: Option<NaiveDate>,
    /// The first text body (HTML converted to text), clipped.
    pub body: String,
    /// What the rules noted while reading (see [`Inbound::note`]).
    trace: RefCell<Trace>,
}

/// Evidence items kept per message: enough to explain any decision, bounded for hostile input.
const MAX_EVIDENCE: usize = 16;
/// Characters of the text an evidence item quotes.
const EVIDENCE_TEXT_BYTES: usize = 200;

/// The rules' notes on one message: the evidence they used and any doubt they have.
#[derive(Debug, Default)]
pub(super) struct Trace {
    pub evidence: Vec<Evidence>,
    /// The lowest confidence any rule declared; `None` is high.
    pub confidence: Option<Confidence>,
    pub review: Option<ReviewReason>,
}

/// What a report (bounce, complaint) carries of the message it returns.
#[derive(Debug, Default)]
pub(super) struct Original {
    pub send_id: Option<SendId>,
    pub recipients: Vec<EmailAddress>,
}

impl<'m> Inbound<'m> {
    pub fn new(message: &'m Message<'m>, ids: OurIds<'m>) -> Self {
        let first = message.from().and_then(Address::first);
        let from_address = first
            .and_then(|a| a.address())
            .map(|a| a.trim().to_lowercase())
            .unwrap_or_default();
        let date = message.date().and_then(|d| {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        });
        let body = message
            .body_text(0)
            .map(|b| clip(&b, MAX_TEXT_BYTES).to_owned())
            .unwrap_or_default();
        Self {
            message,
            from: EmailAddress::parse(&from_address).ok(),
            from_name: fold(first.and_then(|a| a.name()).unwrap_or_default()),
            from_address,
            subject: collapse_ws(clip(message.subject().unwrap_or_default(), 2048)),
            ids,
            date,
            body,
            trace: RefCell::default(),
        }
    }

    /// Records a fact a rule relied on: `rule` is its name, `at` where it looked (`header
    /// Auto-Submitted`, `subject`, `body line 3`), `text` what it saw (collapsed, clipped).
    pub fn note(&self, rule: &str, at: impl Into<String>, text: &str) {
        let mut trace = self.trace.borrow_mut();
        if trace.evidence.len() < MAX_EVIDENCE {
            trace.evidence.push(Evidence {
                rule: rule.to_owned(),
                at: at.into(),
                text: collapse_ws(clip(text, EVIDENCE_TEXT_BYTES)),
            });
        }
    }

    /// Lowers the confidence of the answer to at most `confidence`.
    pub fn doubt(&self, confidence: Confidence) {
        let mut trace = self.trace.borrow_mut();
        trace.confidence = Some(trace.confidence.map_or(confidence, |c| c.min(confidence)));
    }

    /// Marks the answer for a person to decide between the two readings `reason` names.
    pub fn needs_review(&self, reason: ReviewReason) {
        self.doubt(Confidence::Low);
        self.trace.borrow_mut().review.get_or_insert(reason);
    }

    /// The notes taken so far, leaving an empty trace behind.
    pub fn take_trace(&self) -> Trace {
        std::mem::take(&mut *self.trace.borrow_mut())
    }

    /// Every value of a top-level header (case-insensitive name), unfolded, undecoded.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = String> + 'a {
        let raw = self.message.raw_message();
        self.message
            .headers()
            .iter()
            .filter(move |h| h.name().eq_ignore_ascii_case(name))
            .map(move |h| {
                let value = raw
                    .get(h.offset_start as usize..h.offset_end as usize)
                    .unwrap_or_default();
                collapse_ws(&String::from_utf8_lossy(clip_bytes(value)))
            })
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.header_values(name).next()
    }

    /// The send this message answers: In-Reply-To first, then the newest of ours in References.
    pub fn threaded_send_id(&self) -> Option<SendId> {
        let in_reply_to = self
            .header_values("in-reply-to")
            .flat_map(|v| self.ids.in_value(&v))
            .next();
        in_reply_to.or_else(|| {
            self.header_values("references")
                .flat_map(|v| self.ids.in_value(&v))
                .last()
        })
    }

    /// Set when the message itself carries one of our Message-IDs: a copy of our own send.
    pub fn is_our_own(&self) -> bool {
        self.header_values("message-id")
            .any(|v| !self.ids.in_value(&v).is_empty())
    }

    /// The top-level MIME parts (not those inside attached messages).
    pub fn parts(&self) -> impl Iterator<Item = &'m MessagePart<'m>> {
        self.message.parts.iter()
    }

    /// A `report-type` parameter of a top-level `multipart/report`, lower-cased.
    pub fn report_type(&self) -> Option<String> {
        let ct = self.message.content_type()?;
        let is_report = ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"));
        if !is_report {
            return None;
        }
        ct.attributes()?
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case("report-type"))
            .map(|a| a.value.trim().to_ascii_lowercase())
    }

    /// The message a report returns: an attached `message/rfc822`, a `text/rfc822-headers`
    /// part, or an inline copy in the text; the thread headers are the last resort.
    pub fn returned_original(&self) -> Original {
        let mut original = Original::default();
        for part in self.parts() {
            if let PartType::Message(nested) = &part.body {
                absorb(&mut original, nested, self.ids);
            } else if is_type(part, "text", &["rfc822-headers"]) {
                let headers = clip_bytes(part.contents());
                if let Some(parsed) = MessageParser::default().parse(headers) {
                    absorb(&mut original, &parsed, self.ids);
                }
            }
        }
        let lower = self.body.to_ascii_lowercase();
        let copy = COPY_MARKERS
            .iter()
            .filter_map(|m| lower.find(m).map(|at| at + m.len()))
            .min();
        if let Some(after) = copy {
            let rest = self.body[after..].trim_start_matches(|c: char| c != '\n');
            if let Some(parsed) = MessageParser::default().parse(rest.trim_start().as_bytes()) {
                absorb(&mut original, &parsed, self.ids);
            }
        }
        if original.send_id.is_none() {
            original.send_id = self
                .ids
                .in_message_id_lines(&self.body)
                .into_iter()
                .next()
                .or_else(|| self.threaded_send_id());
        }
        original
    }
}

fn absorb(original: &mut Original, message: &Message<'_>, ids: OurIds<'_>) {
    if original.send_id.is_none() {
        original.send_id = message.message_id().and_then(|m| ids.of(m));
    }
    if original.recipients.is_empty() {
        original.recipients = message
            .to()
            .into_iter()
            .flat_map(Address::iter)
            .filter_map(|a| a.address())
            .filter_map(|a| EmailAddress::parse(a).ok())
            .collect();
    }
}

/// Whether a part's Content-Type is `ctype/` one of `subtypes` (case-insensitive).
pub(super) fn is_type(part: &MessagePart<'_>, ctype: &str, subtypes: &[&str]) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case(ctype)
            && ct
                .subtype()
                .is_some_and(|s| subtypes.iter().any(|want| s.eq_ignore_ascii_case(want)))
    })
}

fn clip_bytes(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.len().min(MAX_TEXT_BYTES)]
}
