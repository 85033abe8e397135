//! `Reply`: an SMTP server reply as data (basic code, RFC 3463 enhanced status, text), read from
//! lettre's responses and errors. Classification works on these, never on lettre types.

use std::fmt;

use lettre::transport::smtp::Error as LettreError;
use lettre::transport::smtp::response::Response;

/// An RFC 3463 enhanced status code such as `5.1.1`: class (2, 4, 5), subject, detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnhancedStatus {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedStatus {
    /// Parses the first word of a reply text when it is an enhanced status code
    /// (`"5.1.1 User unknown"` → `5.1.1`).
    pub fn parse_prefix(text: &str) -> Option<Self> {
        let word = text.split_whitespace().next()?;
        let mut parts = word.splitn(3, '.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        let digits = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !(digits(class, 1) && digits(subject, 3) && digits(detail, 3)) {
            return None;
        }
        let class: u8 = class.parse().ok()?;
        if !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(Self {
            class,
            subject: subject.parse().ok()?,
            detail: detail.parse().ok()?,
        })
    }

    /// True for `x.subject.detail` whatever the class.
    pub fn is(&self, subject: u16, detail: u16) -> bool {
        self.subject == subject && self.detail == detail
    }
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One server reply: `550 5.1.1 User unknown`. Multi-line replies are joined with spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// Present when the text starts with an enhanced code of the same class as `code`.
    pub enhanced: Option<EnhancedStatus>,
    /// The text after the code, enhanced code included, lines joined with spaces.
    pub text: String,
}

impl Reply {
    pub fn new(code: u16, text: impl Into<String>) -> Self {
        let text = text.into();
        let enhanced =
            EnhancedStatus::parse_prefix(&text).filter(|e| u16::from(e.class) == code / 100);
        Self {
            code,
            enhanced,
            text,
        }
    }

    /// Parses `"550 5.1.1 User unknown"` or `"550-5.1.1 ..."`: the form written in tests, logs
    /// and golden files.
    pub fn parse(line: &str) -> Option<Self> {
        let code = line.get(..3)?;
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let rest = line.get(3..).unwrap_or_default();
        let rest = rest.strip_prefix([' ', '-']).unwrap_or(rest);
        Some(Self::new(code.parse().ok()?, rest.trim()))
    }

    pub(crate) fn from_response(response: &Response) -> Self {
        let lines: Vec<&str> = response.message().collect();
        Self::new(u16::from(response.code()), join_lines(&lines))
    }

    /// The reply inside a lettre error, when the error is a negative reply (4xx/5xx). lettre
    /// keeps the reply text as the error's source.
    pub(crate) fn from_lettre_error(error: &LettreError) -> Option<Self> {
        let code = error.status()?;
        let text = std::error::Error::source(error)
            .map(|s| s.to_string())
            .unwrap_or_default();
        Some(Self::new(u16::from(code), text))
    }

    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }

    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }
}

/// Joins reply lines, dropping the enhanced code that servers such as Gmail repeat on every
/// continuation line (`550-5.1.1 The email ...` / `550-5.1.1 double-check ...`).
fn join_lines(lines: &[&str]) -> String {
    let Some((first, rest)) = lines.split_first() else {
        return String::new();
    };
    let repeated = first
        .split_whitespace()
        .next()
        .filter(|w| EnhancedStatus::parse_prefix(w).is_some());
    let mut joined = (*first).to_owned();
    for line in rest {
        let line = match repeated {
            Some(code) => line
                .strip_prefix(code)
                .filter(|r| r.starts_with(' '))
                .map_or(*line, str::trim_start),
            None => line,
        };
        joined.push(' ');
        joined.push_str(line);
    }
    joined
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{} {}", self.code, self.text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_codes_are_read_from_the_start_of_the_text() {
        let r =
            Reply::parse("550 5.1.1 <x@y.test>: Recipient address rejected: User unknown").unwrap();
        assert_eq!(r.code, 550);
        assert_eq!(
            r.enhanced,
            Some(EnhancedStatus {
                class: 5,
                subject: 1,
                detail: 1
            })
        );
        assert_eq!(
            r.to_string(),
            "550 5.1.1 <x@y.test>: Recipient address rejected: User unknown"
        );
        let outlook = Reply::parse("550 5.7.708 Service unavailable.").unwrap();
        assert_eq!(outlook.enhanced.unwrap().to_string(), "5.7.708");
    }

    #[test]
    fn an_enhanced_code_of_another_class_than_the_reply_is_ignored() {
        assert_eq!(Reply::parse("250 5.1.1 odd").unwrap().enhanced, None);
        assert_eq!(
            Reply::parse("451 Temporary local problem")
                .unwrap()
                .enhanced,
            None
        );
        assert_eq!(
            Reply::parse("554 delivery error: dd x").unwrap().enhanced,
            None
        );
        assert!(Reply::parse("ok").is_none());
    }

    #[test]
    fn repeated_enhanced_codes_on_continuation_lines_are_dropped() {
        let joined = join_lines(&[
            "5.1.1 The email account that you tried to reach does not exist.",
            "5.1.1 double-checking the recipient's email address",
        ]);
        assert_eq!(
            joined,
            "5.1.1 The email account that you tried to reach does not exist. double-checking the recipient's email address"
        );
    }
}
