//! The rules a mailbox or product written by an operator must meet, stated once for every front
//! door: apply files (`manifest`, which adds the line of each finding) and the HTTP API (which
//! adds the field path). Each rule answers `Err(message)` with a sentence naming the defect and
//! never the value of a secret.
//!
//! [`mailbox_problems`] runs every rule over a whole [`MailboxSpec`]; the apply file calls the
//! single rules as it reads each key, so each finding gets its own line.

use secrecy::{ExposeSecret, SecretString};

use super::{HumanDuration, MailboxSpec, ServerSpec, Warmup};

/// Longest product description (characters): it is sent to the content generator with every
/// prompt, where a book-length text costs tokens and crowds out the lead.
pub const MAX_DESCRIPTION_CHARS: usize = 100_000;

/// A product description goes to the content generator with every prompt (hence a length
/// limit) and into a text column (which refuses NUL).
pub fn description(value: &str) -> Result<(), String> {
    let chars = value.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        Err(format!(
            "description is {chars} characters long; the limit is {MAX_DESCRIPTION_CHARS}"
        ))
    } else if value.contains('\0') {
        Err("description contains a NUL character".to_owned())
    } else {
        Ok(())
    }
}

/// A name (or other one-line text) must be non-empty, trimmed and free of control characters:
/// it is an identity, and it ends up in headers and one-line reports.
pub fn line_text(key: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err(format!("{key} is empty"))
    } else if value.trim() != value {
        Err(format!("{key} {value:?} has leading or trailing spaces"))
    } else if value.chars().any(char::is_control) {
        Err(format!(
            "{key} {value:?} contains a line break or control character"
        ))
    } else {
        Ok(())
    }
}

/// Most banned phrases a campaign may list, and the longest one (characters).
pub const MAX_BANNED_PHRASES: usize = 200;
pub const MAX_BANNED_PHRASE_CHARS: usize = 100;

/// A campaign's banned phrases, each trimmed with its inner whitespace as single spaces
/// (matching ignores case and spacing); duplicates and blanks dropped, order kept. Each is one
/// line: they are stored one per line.
pub fn banned_phrases(phrases: Vec<String>) -> Result<Vec<String>, String> {
    if phrases.len() > MAX_BANNED_PHRASES {
        return Err(format!(
            "banned_phrases has {} entries; the limit is {MAX_BANNED_PHRASES}",
            phrases.len()
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(phrases.len());
    for phrase in phrases {
        let tidy = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
        if tidy.chars().any(char::is_control) {
            return Err(format!(
                "banned phrase {tidy:?} contains a control character"
            ));
        }
        if tidy.chars().count() > MAX_BANNED_PHRASE_CHARS {
            return Err(format!(
                "banned phrase {tidy:?} is longer than {MAX_BANNED_PHRASE_CHARS} characters"
            ));
        }
        if !tidy.is_empty() && !out.iter().any(|p| p.eq_ignore_ascii_case(&tidy)) {
            out.push(tidy);
        }
    }
    Ok(out)
}

pub fn timezone(value: &str) -> Result<(), String> {
    match value.parse::<chrono_tz::Tz>() {
        Ok(_) => Ok(()),
        Err(_) => Err(format!(
            "unknown time zone {value:?} (use an IANA name such as \"Europe/Berlin\" or \"UTC\")"
        )),
    }
}

/// Counts and caps are stored as 32-bit signed integers.
pub fn cap(key: &str, value: u32) -> Result<(), String> {
    match i32::try_from(value) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!("{key} must be at most {}", i32::MAX)),
    }
}

/// The random gap between sends is drawn from `[min, max]`.
pub fn gaps(min: HumanDuration, max: HumanDuration) -> Result<(), String> {
    if min > max {
        Err(format!("min_gap ({min}) is greater than max_gap ({max})"))
    } else {
        Ok(())
    }
}

pub fn warmup(w: &Warmup) -> Result<(), String> {
    if w.start_per_day == 0 && w.increment_per_day == 0 {
        Err("a warm-up of 0 per day plus 0 per day never sends".to_owned())
    } else {
        Ok(())
    }
}

/// A host name goes verbatim into a connection and a TLS name check.
pub fn host(value: &str) -> Result<(), String> {
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(format!("host {value:?} is not a host name"))
    } else {
        Ok(())
    }
}

pub fn port(value: u16) -> Result<(), String> {
    if value == 0 {
        Err("port must be between 1 and 65535".to_owned())
    } else {
        Ok(())
    }
}

pub fn username(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err("username is empty".to_owned())
    } else {
        Ok(())
    }
}

/// The message names the key, never the value.
pub fn password(value: &SecretString) -> Result<(), String> {
    if value.expose_secret().is_empty() {
        Err("password is empty".to_owned())
    } else {
        Ok(())
    }
}

/// One finding of [`mailbox_problems`]: the key at fault (`smtp.port`, `min_gap`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecProblem {
    pub key: String,
    pub message: String,
}

fn server_problems(kind: &str, s: &ServerSpec, out: &mut Vec<SpecProblem>) {
    let checks = [
        ("host", host(&s.host)),
        ("port", port(s.port)),
        ("username", username(&s.username)),
        ("password", password(&s.password)),
    ];
    for (key, result) in checks {
        if let Err(message) = result {
            out.push(SpecProblem {
                key: format!("{kind}.{key}"),
                message,
            });
        }
    }
}

/// Every rule over a whole mailbox, each finding under its key, in the spec's field order.
pub fn mailbox_problems(spec: &MailboxSpec) -> Vec<SpecProblem> {
    let mut out = Vec::new();
    let mut check = |key: &str, result: Result<(), String>| {
        if let Err(message) = result {
            out.push(SpecProblem {
                key: key.to_owned(),
                message,
            });
        }
    };
    // The From name goes into a header: a line break there would be header injection.
    check("from_name", line_text("from_name", &spec.from_name));
    check("daily_cap", cap("daily_cap", spec.daily_cap));
    if let Some(hourly) = spec.hourly_cap {
        check("hourly_cap", cap("hourly_cap", hourly));
    }
    check("min_gap", gaps(spec.min_gap, spec.max_gap));
    if let Some(w) = &spec.warmup {
        check("warmup", warmup(w));
        check(
            "warmup.start_per_day",
            cap("start_per_day", w.start_per_day),
        );
        check(
            "warmup.increment_per_day",
            cap("increment_per_day", w.increment_per_day),
        );
    }
    check("timezone", timezone(&spec.timezone));
    server_problems("smtp", &spec.smtp, &mut out);
    if let Some(imap) = &spec.imap {
        server_problems("imap", imap, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EmailAddress, SmtpSecurity};

    fn spec() -> MailboxSpec {
        MailboxSpec {
            address: EmailAddress::parse("jo@acme.test").unwrap(),
            from_name: "Jo".into(),
            signature: String::new(),
            smtp: ServerSpec {
                host: "smtp.acme.test".into(),
                port: 587,
                security: SmtpSecurity::Starttls,
                username: "jo@acme.test".into(),
                password: SecretString::from("pw"),
            },
            imap: None,
            daily_cap: 50,
            hourly_cap: None,
            min_gap: HumanDuration::from_secs(60),
            max_gap: HumanDuration::from_secs(120),
            warmup: None,
            warmup_started_on: None,
            timezone: "UTC".into(),
        }
    }

    #[test]
    fn a_sound_mailbox_has_no_problems() {
        assert_eq!(mailbox_problems(&spec()), Vec::new());
    }

    #[test]
    fn each_problem_names_its_key_and_never_the_password() {
        let mut s = spec();
        s.from_name = "Jo\r\nBcc: x@y".into();
        s.smtp.port = 0;
        s.smtp.password = SecretString::from("");
        s.min_gap = HumanDuration::from_secs(600);
        s.timezone = "Mars/Olympus".into();
        s.warmup = Some(Warmup {
            start_per_day: 0,
            increment_per_day: 0,
        });
        let keys: Vec<String> = mailbox_problems(&s).into_iter().map(|p| p.key).collect();
        assert_eq!(
            keys,
            [
                "from_name",
                "min_gap",
                "warmup",
                "timezone",
                "smtp.port",
                "smtp.password"
            ]
        );
    }

    #[test]
    fn one_line_text_refuses_blank_padded_and_multi_line_values() {
        assert!(line_text("name", "Widget").is_ok());
        assert_eq!(line_text("name", " ").unwrap_err(), "name is empty");
        assert!(line_text("name", " Widget").unwrap_err().contains("spaces"));
        assert!(
            line_text("name", "a\nb")
                .unwrap_err()
                .contains("line break")
        );
    }
}
