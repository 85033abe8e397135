//! `EmailAddress`: a syntactically valid, single mailbox address that is safe to put in a header
//! or an SMTP command.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not an acceptable address. Each variant names the defect for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailParseError {
    #[error("email address is empty")]
    Empty,
    #[error("email address {0:?} has no '@'")]
    MissingAt(String),
    #[error("email address {0:?} has an empty local part")]
    EmptyLocal(String),
    #[error("email address {0:?} has an invalid domain")]
    BadDomain(String),
    #[error(
        "email address {0:?} contains whitespace, a control character or a forbidden character"
    )]
    ForbiddenCharacter(String),
    #[error("email address {0:?} is longer than 254 characters")]
    TooLong(String),
}

/// A validated address such as `jane.doe@example.com`.
///
/// Stored as given (trimmed) so a lead sees their own spelling; compared case-insensitively via
/// [`EmailAddress::normalized`], which is what uniqueness and suppression use. The grammar is a
/// deliberately strict subset of RFC 5321 (no quoted local parts, no IP literals): anything it
/// accepts is safe in a `To:` header and a `RCPT TO:` command.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, EmailParseError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailParseError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailParseError::TooLong(s.to_owned()));
        }
        let forbidden = |c: char| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '\\' | '"'
                )
        };
        if s.chars().any(forbidden) {
            return Err(EmailParseError::ForbiddenCharacter(s.to_owned()));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(EmailParseError::MissingAt(s.to_owned()));
        };
        if local.is_empty() {
            return Err(EmailParseError::EmptyLocal(s.to_owned()));
        }
        if local.contains('@')
            || local.len() > 64
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
        {
            return Err(EmailParseError::ForbiddenCharacter(s.to_owned()));
        }
        if !valid_domain(domain) {
            return Err(EmailParseError::BadDomain(s.to_owned()));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lower-cased form: the identity used for uniqueness and suppression.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }

    /// The part after '@', lower-cased.
    pub fn domain(&self) -> String {
        self.0
            .rsplit_once('@')
            .map(|(_, d)| d.to_lowercase())
            .unwrap_or_default()
    }
}

fn valid_domain(domain: &str) -> bool {
    if domain.is_empty() || domain.len() > 253 || !domain.contains('.') {
        return false;
    }
    domain.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    })
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> Self {
        e.0
    }
}

impl std::str::FromStr for EmailAddress {
    type Err = EmailParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_are_accepted_and_trimmed() {
        let e = EmailAddress::parse("  Jane.Doe+x@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Jane.Doe+x@Example.COM");
        assert_eq!(e.normalized(), "jane.doe+x@example.com");
        assert_eq!(e.domain(), "example.com");
    }

    #[test]
    fn header_and_command_injection_is_rejected() {
        for bad in [
            "a@b.com\r\nBcc: x@y.com",
            "a@b.com>",
            "<a@b.com",
            "a b@c.com",
            "a@b.com,c@d.com",
            "a@b.com\n",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err() || bad.trim() != bad,
                "{bad:?}"
            );
        }
        assert!(EmailAddress::parse("a@b.com\r\nBcc: x@y.com").is_err());
    }

    #[test]
    fn malformed_addresses_name_their_defect() {
        assert_eq!(EmailAddress::parse(""), Err(EmailParseError::Empty));
        assert!(matches!(
            EmailAddress::parse("nobody"),
            Err(EmailParseError::MissingAt(_))
        ));
        assert!(matches!(
            EmailAddress::parse("@x.com"),
            Err(EmailParseError::EmptyLocal(_))
        ));
        assert!(matches!(
            EmailAddress::parse("a@localhost"),
            Err(EmailParseError::BadDomain(_))
        ));
        assert!(matches!(
            EmailAddress::parse("a@-x.com"),
            Err(EmailParseError::BadDomain(_))
        ));
        assert!(matches!(
            EmailAddress::parse("a@x..com"),
            Err(EmailParseError::BadDomain(_))
        ));
        assert!(EmailAddress::parse("a..b@x.com").is_err());
    }
}
