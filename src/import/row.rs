//! One CSV record to one [`NewLead`], or the reason it cannot be one.
//!
//! Every value is cleaned before use: control characters (CR and LF included) become spaces,
//! runs of whitespace collapse to one space, and the result is trimmed. A lead's name or company
//! ends up in mail headers and templates later; a newline smuggled in from a spreadsheet cell
//! must never get that far. An empty value is no value.

use std::str::FromStr;

use chrono_tz::Tz;
use csv::ByteRecord;

use super::headers::{Field, HeaderMap, Target};
use super::report::ProblemKind;
use crate::domain::{EmailAddress, NewLead};

/// What a record turned out to be.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// Every field is empty: skipped without a word.
    Blank,
    Lead(NewLead),
    Invalid {
        email: Option<String>,
        problem: ProblemKind,
    },
}

/// `value` without control characters, with whitespace collapsed and trimmed.
pub fn clean_field(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The IANA zone named by `value` (case-insensitively), in its canonical spelling.
pub fn parse_timezone(value: &str) -> Option<&'static str> {
    if let Ok(tz) = Tz::from_str(value) {
        return Some(tz.name());
    }
    chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(value))
        .map(|tz| tz.name())
}

/// Validates one record against the header mapping. Fields past the header are ignored.
pub fn parse_record(map: &HeaderMap, record: &ByteRecord) -> Parsed {
    let mut lead = NewLead::default();
    let mut email_text = None;
    let mut timezone_text = None;
    let mut blank = true;
    for (index, bytes) in record.iter().enumerate() {
        let Some(target) = map.target(index) else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            let problem = ProblemKind::NotUtf8 {
                column: map.describe(index),
            };
            return Parsed::Invalid {
                email: None,
                problem,
            };
        };
        let value = clean_field(text);
        if value.is_empty() {
            continue;
        }
        blank = false;
        let slot = match target {
            Target::Custom(name) => {
                lead.custom.insert(name.clone(), value);
                continue;
            }
            Target::Field(Field::Email) => &mut email_text,
            Target::Field(Field::Timezone) => &mut timezone_text,
            Target::Field(Field::FirstName) => &mut lead.first_name,
            Target::Field(Field::LastName) => &mut lead.last_name,
            Target::Field(Field::Company) => &mut lead.company,
            Target::Field(Field::Title) => &mut lead.title,
            Target::Field(Field::Website) => &mut lead.website,
            Target::Field(Field::Linkedin) => &mut lead.linkedin,
            Target::Field(Field::Phone) => &mut lead.phone,
        };
        *slot = Some(value);
    }
    if blank {
        return Parsed::Blank;
    }
    let Some(email_text) = email_text else {
        return Parsed::Invalid {
            email: None,
            problem: ProblemKind::MissingEmail,
        };
    };
    match EmailAddress::parse(&email_text) {
        Ok(email) => lead.email = Some(email),
        Err(e) => {
            let problem = ProblemKind::InvalidEmail(e.to_string());
            return Parsed::Invalid {
                email: Some(email_text),
                problem,
            };
        }
    }
    if let Some(tz) = timezone_text {
        match parse_timezone(&tz) {
            Some(name) => lead.timezone = Some(name.to_owned()),
            None => {
                let problem = ProblemKind::InvalidTimezone(tz);
                return Parsed::Invalid {
                    email: Some(email_text),
                    problem,
                };
            }
        }
    }
    Parsed::Lead(lead)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(headers: &[&str], fields: &[&[u8]]) -> Parsed {
        parse_record(&HeaderMap::new(headers), &ByteRecord::from(fields.to_vec()))
    }

    fn lead(parsed: Parsed) -> NewLead {
        match parsed {
            Parsed::Lead(lead) => lead,
            other => panic!("expected a lead, got {other:?}"),
        }
    }

    #[test]
    fn control_characters_and_line_breaks_never_survive_cleaning() {
        assert_eq!(clean_field("  Jane\r\nDoe \t"), "Jane Doe");
        assert_eq!(clean_field("a\u{0}b\u{1b}[31mc"), "a b [31mc");
        assert_eq!(clean_field("x\u{85}y\u{2028}z"), "x y z");
        assert_eq!(clean_field(" \r\n "), "");
    }

    #[test]
    fn a_record_becomes_a_lead_with_custom_fields() {
        let lead = lead(parse(
            &[
                "Email",
                "First Name",
                "Company",
                "Time Zone",
                "Industry",
                "Notes",
            ],
            &[
                b" Ann@X.com ",
                b"Ann\nMarie",
                b"",
                b"europe/paris",
                b"SaaS",
                b"",
            ],
        ));
        assert_eq!(
            lead.email.as_ref().map(EmailAddress::as_str),
            Some("Ann@X.com")
        );
        assert_eq!(lead.first_name.as_deref(), Some("Ann Marie"));
        assert_eq!(lead.company, None);
        assert_eq!(lead.timezone.as_deref(), Some("Europe/Paris"));
        assert_eq!(lead.custom.len(), 1);
        assert_eq!(lead.custom["Industry"], "SaaS");
    }

    #[test]
    fn missing_fields_are_empty_and_extra_fields_are_ignored() {
        let short = lead(parse(&["email", "first", "last"], &[b"a@x.com"]));
        assert_eq!(short.first_name, None);
        let long = lead(parse(&["email"], &[b"a@x.com", b"surplus"]));
        assert!(long.custom.is_empty());
    }

    #[test]
    fn rows_with_only_empty_fields_are_blank() {
        assert_eq!(parse(&["email", "name"], &[b"", b"  "]), Parsed::Blank);
        assert_eq!(parse(&["email", "name"], &[b""]), Parsed::Blank);
    }

    #[test]
    fn bad_rows_name_their_problem() {
        let missing = parse(&["email", "name"], &[b"", b"Ann"]);
        assert_eq!(
            missing,
            Parsed::Invalid {
                email: None,
                problem: ProblemKind::MissingEmail
            }
        );
        let Parsed::Invalid {
            problem: ProblemKind::InvalidEmail(message),
            ..
        } = parse(&["email"], &[b"not-an-address"])
        else {
            panic!("expected an invalid email");
        };
        assert!(message.contains("has no '@'"), "{message}");
        let tz = parse(&["email", "tz"], &[b"a@x.com", b"Mars/Olympus"]);
        assert_eq!(
            tz,
            Parsed::Invalid {
                email: Some("a@x.com".into()),
                problem: ProblemKind::InvalidTimezone("Mars/Olympus".into())
            }
        );
        let latin1 = parse(&["email", "Name"], &[b"a@x.com", b"Ren\xe9"]);
        assert_eq!(
            latin1,
            Parsed::Invalid {
                email: None,
                problem: ProblemKind::NotUtf8 {
                    column: "\"Name\"".into()
                }
            }
        );
    }
}
