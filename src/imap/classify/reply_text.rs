//! The words of a reply worth keeping for a person and a model: what the lead wrote above the
//! quoted history (`quote::new_text`, the reading the classifier's phrase rules use), the
//! signature cut, blank runs folded, bounded in size.

use mail_parser::MessageParser;

use super::inbound::{MAX_TEXT_BYTES, normalize};
use super::quote::new_text;
use super::text::clip;
use crate::domain::{REPLY_SUBJECT_BYTES, REPLY_TEXT_BYTES, ReplyContent};

/// The subject and new text of `raw`, kept under `message_id` (the message's idempotency key);
/// `None` when it does not parse as a message.
pub fn reply_content(raw: &[u8], message_id: &str) -> Option<ReplyContent> {
    // mail-parser 0.11 can panic on malformed MIME trees (see `judge`).
    std::panic::catch_unwind(|| words(raw))
        .ok()
        .flatten()
        .map(|(subject, text)| ReplyContent {
            message_id: message_id.to_owned(),
            subject,
            text,
        })
}

fn words(raw: &[u8]) -> Option<(String, String)> {
    let normalized = normalize(raw);
    let message = MessageParser::default()
        .parse(&normalized)
        .filter(|m| !m.headers().is_empty())?;
    let subject = clip(
        message.subject().unwrap_or_default().trim(),
        REPLY_SUBJECT_BYTES,
    );
    let body = message
        .body_text(0)
        .map(|b| clip(&b, MAX_TEXT_BYTES).to_owned())
        .unwrap_or_default();
    Some((subject.to_owned(), tidy(&new_text(&body))))
}

/// Trailing spaces cut, runs of blank lines folded to one, the ends trimmed, bounded.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    clip(&out, REPLY_TEXT_BYTES).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_keeps_its_own_words_without_history_or_signature() {
        let raw = b"From: Jonas <jonas@b.test>\r\nSubject: Re: Quick question\r\n\
            Message-ID: <r1@b.test>\r\n\r\nSounds good.\r\n\r\n\r\nWhat does it cost?\r\n\
            -- \r\nJonas Weber, CTO\r\n\r\nOn Mon, 7 Dec 2026 Ana <ana@a.test> wrote:\r\n\
            > Hi Jonas, would you like a demo?\r\n";
        let got = reply_content(raw, "<r1@b.test>").unwrap();
        assert_eq!(got.subject, "Re: Quick question");
        assert_eq!(got.text, "Sounds good.\n\nWhat does it cost?");
        assert_eq!(got.message_id, "<r1@b.test>");
    }

    #[test]
    fn quoted_lines_are_dropped_and_a_long_reply_is_bounded() {
        let long = "word ".repeat(5_000);
        let raw = format!("From: a@b.test\r\nSubject: Re: x\r\n\r\n> quoted\r\n{long}\r\n");
        let got = reply_content(raw.as_bytes(), "k").unwrap();
        assert!(!got.text.contains("quoted"));
        assert!(got.text.len() <= REPLY_TEXT_BYTES, "{}", got.text.len());
    }
}
