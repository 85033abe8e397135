//! The content phase: the message dot-stuffed, then "\r\n.\r\n", in one write (lettre's
//! `message_iter` writes and flushes them separately: one more syscall and one more segment per
//! message), then the server's verdict.
//!
//! A failure is `Phase::Payload` (certainly not sent) until the final "." may have reached the
//! server, `Phase::AfterData` (outcome unknown, never resent) from then on. Which one is told by
//! counting the bytes the socket took (`SentBytes`), since one write carries both.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lettre::transport::smtp::client::AsyncSmtpConnection;

use super::failure::{Cause, Phase, SendError};
use super::reply::Reply;
use super::stream::{SentBytes, TrackedContent};

const TERMINATOR: &str = "\r\n.\r\n";

/// Writes the content and the final dot, then reads the server's verdict, all within `limit`.
/// `sent` counts the bytes written to this session's socket.
pub(crate) async fn send(
    conn: &mut AsyncSmtpConnection,
    message: &[u8],
    sent: &SentBytes,
    limit: Duration,
) -> Result<Reply, SendError> {
    let (result, through_dot) = match Payload::new(message) {
        Some(payload) => {
            let before = sent.get();
            let result = tokio::time::timeout(limit, conn.command(&payload)).await;
            let taken = sent.get().saturating_sub(before);
            (result, taken > payload.final_dot_offset())
        }
        None => {
            let written = AtomicBool::new(false);
            let content = TrackedContent::new(message, &written);
            let result = tokio::time::timeout(limit, conn.message_iter(content)).await;
            (result, written.load(Ordering::SeqCst))
        }
    };
    let phase = if through_dot {
        Phase::AfterData
    } else {
        Phase::Payload
    };
    match result {
        Ok(Ok(response)) => Ok(Reply::from_response(&response)),
        Ok(Err(error)) => Err(SendError::from_lettre(phase, &error)),
        Err(_elapsed) => Err(SendError::new(phase, Cause::Timeout(limit))),
    }
}

/// Rendered once and written with lettre's `command`, which writes what `Display` renders and
/// then reads one reply: exactly "content, final dot, verdict".
pub(crate) struct Payload {
    wire: String,
}

impl Payload {
    /// None when the message is not UTF-8: `Display` cannot carry it, and the caller falls back
    /// to lettre's `message_iter`. Messages we build are ASCII (quoted-printable bodies), so
    /// that path is for bytes built elsewhere.
    pub(crate) fn new(message: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(message).ok()?;
        Some(Self {
            wire: dot_stuff(text),
        })
    }

    /// The offset of the terminator's "." in what is written. Until that byte has been handed
    /// to the socket the server cannot have taken the message, so a failure is "not sent".
    pub(crate) fn final_dot_offset(&self) -> u64 {
        // `wire` always ends with the 5 bytes of TERMINATOR: no underflow.
        (self.wire.len() - 3) as u64
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.wire)
    }
}

/// RFC 5321 §4.5.2: a line that starts with "." gets one more, so that no line of the message
/// reads as the end of the data. Lines end with CRLF: the message builder emits nothing else
/// (see `has_bare_line_break`), and lettre's own codec also only counts CRLF as a line end.
fn dot_stuff(text: &str) -> String {
    let extra = usize::from(text.starts_with('.')) + text.matches("\r\n.").count();
    let mut wire = String::with_capacity(text.len() + extra + TERMINATOR.len());
    if text.starts_with('.') {
        wire.push('.');
    }
    let mut rest = text;
    while let Some(at) = rest.find("\r\n.") {
        // Up to and including the line's first dot, then the doubling one.
        wire.push_str(&rest[..at + 3]);
        wire.push('.');
        rest = &rest[at + 3..];
    }
    wire.push_str(rest);
    wire.push_str(TERMINATOR);
    wire
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(text: &str) -> String {
        Payload::new(text.as_bytes()).unwrap().to_string()
    }

    #[test]
    fn a_line_starting_with_a_dot_gets_one_more() {
        assert_eq!(
            wire("Hi\r\n.\r\n..x\r\nend."),
            "Hi\r\n..\r\n...x\r\nend.\r\n.\r\n"
        );
    }

    #[test]
    fn a_dot_at_the_very_start_is_the_start_of_a_line() {
        assert_eq!(wire(".a\r\nb"), "..a\r\nb\r\n.\r\n");
    }

    #[test]
    fn dots_inside_a_line_are_left_alone() {
        assert_eq!(wire("a.b\r\nc .\r\n"), "a.b\r\nc .\r\n\r\n.\r\n");
    }

    #[test]
    fn consecutive_dot_lines_are_each_stuffed() {
        assert_eq!(wire("\r\n.\r\n.\r\n."), "\r\n..\r\n..\r\n..\r\n.\r\n");
    }

    #[test]
    fn the_content_is_followed_by_the_terminator_even_when_empty() {
        assert_eq!(wire(""), "\r\n.\r\n");
        assert_eq!(wire("x\r\n"), "x\r\n\r\n.\r\n");
    }

    #[test]
    fn the_final_dot_offset_points_at_the_terminator_dot() {
        for text in ["", "x", ".\r\n.", "a\r\n.b\r\n"] {
            let payload = Payload::new(text.as_bytes()).unwrap();
            let wire = payload.to_string();
            let at = payload.final_dot_offset() as usize;
            assert_eq!(&wire[at..], ".\r\n", "{text:?}");
            assert_eq!(&wire[at - 2..at], "\r\n", "{text:?}");
        }
    }

    #[test]
    fn the_rendering_matches_what_lettre_writes_for_crlf_messages() {
        // lettre's ClientCodec is private; this is its own test vector, CRLF lines only.
        let text = ".\r\ntest\r\ntest\r\n\r\n.\r\n\r\ntestte\r\n.\r\nsttest.\r\n.test\r\n";
        assert_eq!(
            wire(text),
            "..\r\ntest\r\ntest\r\n\r\n..\r\n\r\ntestte\r\n..\r\nsttest.\r\n..test\r\n\r\n.\r\n"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_left_to_the_fallback() {
        assert!(Payload::new(b"caf\xe9\r\n").is_none());
    }
}
