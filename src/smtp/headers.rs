//! Header and body hygiene: what lead data and LLM output may put into a message.
//!
//! Text from outside (names, subjects, bodies) is cleaned, never refused: a lead named
//! "Ann\r\nBcc: x" is sent as "Ann Bcc: x". Identifiers we generate ourselves (Message-IDs,
//! unsubscribe URLs) are validated and refused when malformed, because a malformed one is a bug.
//! Also the two RFC 8058 headers, which lettre does not define.

use lettre::message::header::{Header, HeaderName, HeaderValue};

use super::error::SmtpError;

/// A header value from untrusted text: control characters (CR, LF, TAB, NUL, DEL, C1) and
/// Unicode line separators become spaces, runs of whitespace collapse, ends are trimmed.
pub fn clean_header_text(input: &str) -> String {
    // Almost every name and subject is already clean: copying it beats rebuilding it.
    if is_clean_header_text(input) {
        return input.to_owned();
    }
    let spaced: String = input
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when `clean_header_text` would return `input` unchanged: no control character, no
/// whitespace but single spaces between words (U+2028/2029 are whitespace too).
fn is_clean_header_text(input: &str) -> bool {
    let mut after_space = true;
    for c in input.chars() {
        if c == ' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if c.is_control() || c.is_whitespace() {
            return false;
        } else {
            after_space = false;
        }
    }
    !after_space || input.is_empty()
}

/// A body from untrusted text: every line ending (CRLF, bare CR, bare LF) becomes LF (lettre
/// turns LF into CRLF), other control characters except TAB are dropped. After this no bare CR
/// or LF is left for a server to read as the end of a line and a lone "." as the end of data.
///
/// Works on bytes, copying clean runs whole and skipping blocks without a suspect byte (see
/// [`suspect`]) in a few instructions: a typical body has nothing to replace.
pub fn clean_body_text(input: &str) -> String {
    // Wide enough to amortise the per-block test, short enough that one curly quote (which
    // shares the lead byte of U+2028) sends few bytes down the slow path.
    const BLOCK: usize = 32;
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    // `input[copied..i]` is clean and not yet written.
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end = (i + BLOCK).min(bytes.len());
        // A fold, not `any`: without an early exit the compiler tests the block with SIMD.
        if !bytes[i..end]
            .iter()
            .fold(false, |found, &b| found | suspect(b))
        {
            i = end;
            continue;
        }
        while i < end {
            if !suspect(bytes[i]) {
                i += 1;
                continue;
            }
            let (width, replacement) = match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => (2, Some('\n')),
                b'\r' => (1, Some('\n')),
                0x00..=0x1f | 0x7f => (1, None),
                0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => (2, None),
                0xe2 if bytes.get(i + 1) == Some(&0x80)
                    && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
                {
                    (3, Some('\n'))
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            // Both ends are character boundaries: `i` is an ASCII byte or a lead byte, and
            // `width` spans whole characters, so slicing cannot panic.
            out.push_str(&input[copied..i]);
            out.extend(replacement);
            i += width;
            copied = i;
        }
    }
    out.push_str(&input[copied..]);
    out
}

/// True for a byte that may start what `clean_body_text` replaces: a C0 control other than LF
/// and TAB (CR included), DEL, or the lead byte of a C1 control (`C2 80`..`C2 9F`) or of
/// U+2028/U+2029 (`E2 80 A8`/`A9`). In UTF-8 a lead byte is never inside another character.
#[inline(always)]
fn suspect(b: u8) -> bool {
    (b < 0x20 && b != b'\n' && b != b'\t') | (b == 0x7f) | (b == 0xc2) | (b == 0xe2)
}

/// True when `bytes` hold a CR not followed by LF or an LF not preceded by CR: the raw
/// material of SMTP smuggling. A built message must never contain one.
///
/// There is none exactly when the message neither starts with LF nor ends with CR and, for
/// every two neighbouring bytes, "the first is CR" equals "the second is LF". That test has no
/// branch per byte, so the compiler runs it with SIMD; it reads every byte of every message.
pub fn has_bare_line_break(bytes: &[u8]) -> bool {
    const BLOCK: usize = 64;
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if first == b'\n' || last == b'\r' {
        return true;
    }
    let (this, next) = (&bytes[..bytes.len() - 1], &bytes[1..]);
    this.chunks(BLOCK)
        .zip(next.chunks(BLOCK))
        .any(|(this, next)| {
            this.iter().zip(next).fold(0u8, |mismatch, (&a, &b)| {
                mismatch | (u8::from(a == b'\r') ^ u8::from(b == b'\n'))
            }) != 0
        })
}

/// Checks a Message-ID such as `<0190f5c2a1b27c3d@example.com>`: angle brackets around
/// `left@right`, visible ASCII only, no brackets or spaces inside.
pub fn validate_message_id(field: &'static str, id: &str) -> Result<(), SmtpError> {
    let inner = id
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .ok_or_else(|| SmtpError::invalid(field, id, "must be enclosed in <>"))?;
    let Some((left, right)) = inner.split_once('@') else {
        return Err(SmtpError::invalid(field, id, "must contain '@'"));
    };
    let visible = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'@' | b'"' | b'\\'))
    };
    if !visible(left) || !visible(right) || id.len() > 250 {
        return Err(SmtpError::invalid(
            field,
            id,
            "must be visible ASCII without <, >, \" or \\",
        ));
    }
    Ok(())
}

/// Checks a List-Unsubscribe target: the given scheme, visible ASCII, nothing that could close
/// the `<...>` it is written in or start another list entry.
pub fn validate_unsubscribe_uri(scheme: &str, uri: &str) -> Result<(), SmtpError> {
    if !uri.starts_with(scheme) || uri.len() <= scheme.len() {
        return Err(SmtpError::invalid(
            "List-Unsubscribe URI",
            uri,
            format!("must start with {scheme}"),
        ));
    }
    let safe = uri
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b',' | b'"' | b'\\'));
    if !safe || uri.len() > 900 {
        return Err(SmtpError::invalid(
            "List-Unsubscribe URI",
            uri,
            "must be visible ASCII without <, >, comma, quote or backslash",
        ));
    }
    Ok(())
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

// Checked at compile time: `new_from_ascii_str` asserts in a const context.
const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");

/// `List-Unsubscribe: <mailto:...>, <https://...>` (RFC 2369).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListUnsubscribeHeader(pub String);

impl Header for ListUnsubscribeHeader {
    fn name() -> HeaderName {
        LIST_UNSUBSCRIBE
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the https URL may be POSTed
/// to without a confirmation page, which Gmail and Yahoo require of bulk senders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListUnsubscribePostHeader;

impl Header for ListUnsubscribePostHeader {
    fn name() -> HeaderName {
        LIST_UNSUBSCRIBE_POST
    }

    fn parse(_s: &str) -> Result<Self, BoxError> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_loses_every_line_break_and_control_character() {
        assert_eq!(
            clean_header_text("Hi\r\nBcc: evil@x.test"),
            "Hi Bcc: evil@x.test"
        );
        assert_eq!(
            clean_header_text(" A\tB\u{0}C\u{85}D\u{2028}E \n"),
            "A B C D E"
        );
        assert_eq!(clean_header_text("Zoë Müller"), "Zoë Müller");
    }

    #[test]
    fn body_text_has_only_line_feeds_left() {
        let cleaned = clean_body_text("a\r\nb\rc\nd\u{0}e\u{1b}[31m\tf");
        assert_eq!(cleaned, "a\nb\nc\nde[31m\tf");
        assert!(!cleaned.contains('\r'));
    }

    #[test]
    fn bare_line_breaks_are_detected() {
        assert!(!has_bare_line_break(b"a\r\nb\r\n"));
        assert!(has_bare_line_break(b"a\nb"));
        assert!(has_bare_line_break(b"a\rb"));
        assert!(has_bare_line_break(b"\n"));
        assert!(has_bare_line_break(b"a\r"));
    }

    /// The character-by-character versions these replaced: the fast ones must agree with them.
    mod reference {
        pub fn clean_header_text(input: &str) -> String {
            let spaced: String = input
                .chars()
                .map(|c| {
                    if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            spaced.split_whitespace().collect::<Vec<_>>().join(" ")
        }

        pub fn clean_body_text(input: &str) -> String {
            let mut out = String::with_capacity(input.len());
            let mut chars = input.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\r' => {
                        if chars.peek() == Some(&'\n') {
                            chars.next();
                        }
                        out.push('\n');
                    }
                    '\n' | '\t' => out.push(c),
                    '\u{2028}' | '\u{2029}' => out.push('\n'),
                    c if c.is_control() => {}
                    c => out.push(c),
                }
            }
            out
        }

        pub fn has_bare_line_break(bytes: &[u8]) -> bool {
            bytes.iter().enumerate().any(|(i, &b)| match b {
                b'\r' => bytes.get(i + 1) != Some(&b'\n'),
                b'\n' => i == 0 || bytes[i - 1] != b'\r',
                _ => false,
            })
        }
    }

    /// Text made mostly of what the cleaners treat specially: line breaks, controls (C0, DEL,
    /// C1), Unicode separators and spaces, next to plain and multi-byte letters.
    fn tricky_text() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex(
            "[\r\n\t \\x00-\\x1f\\x7f-\\u{a0}\\u{2027}-\\u{2029}\\u{3000}a-cé€😀]{0,120}",
        )
        .expect("a valid regex")
    }

    proptest::proptest! {
        #[test]
        fn fast_cleaners_agree_with_the_character_by_character_ones(text in tricky_text()) {
            proptest::prop_assert_eq!(clean_header_text(&text), reference::clean_header_text(&text));
            proptest::prop_assert_eq!(clean_body_text(&text), reference::clean_body_text(&text));
        }

        #[test]
        fn fast_cleaners_agree_on_any_text(text in proptest::prelude::any::<String>()) {
            proptest::prop_assert_eq!(clean_header_text(&text), reference::clean_header_text(&text));
            proptest::prop_assert_eq!(clean_body_text(&text), reference::clean_body_text(&text));
        }

        #[test]
        fn the_fast_scan_finds_the_same_bare_line_breaks(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    60 => proptest::strategy::Just("a"),
                    30 => proptest::strategy::Just("\r\n"),
                    1 => proptest::strategy::Just("\r"),
                    1 => proptest::strategy::Just("\n"),
                ],
                0..150,
            )
        ) {
            let bytes = pieces.concat().into_bytes();
            proptest::prop_assert_eq!(has_bare_line_break(&bytes), reference::has_bare_line_break(&bytes));
        }
    }

    #[test]
    fn message_ids_must_be_bracketed_visible_ascii() {
        assert!(validate_message_id("Message-ID", "<abc@example.com>").is_ok());
        for bad in [
            "abc@example.com",
            "<abc>",
            "<a b@c>",
            "<a@b>\r\nBcc: x",
            "<a@b@c>",
            "<@b>",
        ] {
            assert!(validate_message_id("Message-ID", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unsubscribe_uris_cannot_escape_their_brackets() {
        assert!(validate_unsubscribe_uri("https://", "https://t.example.com/u/abc/def").is_ok());
        assert!(
            validate_unsubscribe_uri("mailto:", "mailto:unsub@example.com?subject=unsubscribe")
                .is_ok()
        );
        assert!(validate_unsubscribe_uri("https://", "http://t.example.com/u").is_err());
        assert!(validate_unsubscribe_uri("https://", "https://x>, <https://evil").is_err());
        assert!(validate_unsubscribe_uri("https://", "https://x\r\nBcc: y").is_err());
    }
}
