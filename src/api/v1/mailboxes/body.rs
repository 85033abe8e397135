//! The body of `POST /mailboxes` and `PUT /mailboxes/{id}`, as JSON gives it, and its parsing
//! into a `MailboxInput`. Values that can be malformed (an address, a port, a duration, a cap)
//! arrive loosely typed so that each defect is reported under its own field (`smtp.port`,
//! `min_gap`) rather than as one serde message; the rules a well-formed value must then meet
//! are the service's (the same as apply files').

use chrono::NaiveDate;
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::v1::problem::FieldError;
use crate::domain::{
    CapParseError, DailyCap, EmailAddress, HourlyCap, HumanDuration, InboundOptions, SmtpSecurity,
    Warmup,
};
use crate::service::mailbox_edits::{MailboxInput, ServerInput};

/// A cap as a count (`50`) or a rate over the key's own period (`"50/day"`, `"8/h"`).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CapValue {
    Count(i64),
    Rate(String),
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerBody {
    pub host: String,
    #[schema(minimum = 1, maximum = 65535)]
    pub port: i64,
    /// `plain`, `starttls` or `tls`.
    #[schema(value_type = SmtpSecurity)]
    pub security: String,
    /// Default: the mailbox's address (SMTP), the SMTP username (IMAP).
    pub username: Option<String>,
    /// Write-only: never returned. Required for SMTP on create; left out on replace, the stored
    /// one is kept. Left out for IMAP, the SMTP password is used.
    #[schema(value_type = Option<String>, format = Password, write_only)]
    pub password: Option<Password>,
}

/// A password as JSON gives it. Anything but a string is refused without being repeated:
/// serde's own message would quote a number.
pub struct Password(Result<SecretString, ()>);

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(SecretString::from(s)),
            _ => Err(()),
        }))
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarmupBody {
    pub start_per_day: i64,
    pub increment_per_day: i64,
}

/// A mailbox's desired state. Optional fields left out take `[mailbox_defaults]` (caps, gaps,
/// time zone) or nothing (IMAP, warm-up), as in an apply file.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxBody {
    /// The sending address. On replace it may change only in case.
    pub address: String,
    /// The From display name (one line).
    pub from_name: String,
    #[serde(default)]
    pub signature: String,
    pub smtp: ServerBody,
    /// The inbox to read replies and bounces from; absent: none.
    pub imap: Option<ServerBody>,
    /// Sends per local day: a count or a rate (`"50/day"`).
    pub daily_cap: Option<CapValue>,
    /// Sends per hour: a count or a rate (`"8/h"`); 0 = no hourly cap.
    pub hourly_cap: Option<CapValue>,
    /// Shortest random pause between two sends, with a unit: `"90s"`, `"2m"`.
    #[schema(example = "90s")]
    pub min_gap: Option<String>,
    /// Longest random pause between two sends: `"3m"`.
    #[schema(example = "3m")]
    pub max_gap: Option<String>,
    pub warmup: Option<WarmupBody>,
    /// Day 0 of the warm-up ramp (`YYYY-MM-DD`); absent keeps the stored date (new: today).
    #[schema(value_type = Option<String>, format = Date)]
    pub warmup_started_on: Option<String>,
    /// IANA time zone whose midnight resets the daily cap.
    pub timezone: Option<String>,
    /// The provider files every SMTP-sent message in Sent (default false).
    #[serde(default)]
    pub sent_folder_is_authoritative: bool,
    /// Append our copy of each send to Sent (default false).
    #[serde(default)]
    pub append_sent: bool,
}

/// Collects the defects of one body.
struct Fields(Vec<FieldError>);

impl Fields {
    fn take<T, E: ToString>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        parsed
            .map_err(|e| self.0.push(FieldError::new(field, e.to_string())))
            .ok()
    }

    fn count(&mut self, field: &str, value: i64) -> Option<u32> {
        let parsed = u32::try_from(value).map_err(|_| {
            if value < 0 {
                format!("{field} must not be negative")
            } else {
                format!("{field} must be at most {}", i32::MAX)
            }
        });
        self.take(field, parsed)
    }

    /// A cap; `rate` reads the text form over the key's own period.
    fn cap(
        &mut self,
        field: &str,
        value: Option<CapValue>,
        rate: fn(&str) -> Result<u32, CapParseError>,
    ) -> Option<u32> {
        match value? {
            CapValue::Count(n) => self.count(field, n),
            CapValue::Rate(text) => self.take(field, rate(&text)),
        }
    }

    fn duration(&mut self, field: &str, value: Option<String>) -> Option<HumanDuration> {
        value.and_then(|v| self.take(field, HumanDuration::parse(&v)))
    }

    fn server(&mut self, prefix: &str, body: ServerBody) -> Option<ServerInput> {
        let port = self.take(
            &format!("{prefix}.port"),
            u16::try_from(body.port).map_err(|_| "port must be between 1 and 65535"),
        );
        let security = self.take(
            &format!("{prefix}.security"),
            body.security.parse::<SmtpSecurity>(),
        );
        let password = match body.password.map(|p| p.0) {
            None => None,
            Some(Ok(secret)) => Some(secret),
            Some(Err(())) => {
                let field = FieldError::new(format!("{prefix}.password"), "must be a string");
                self.0.push(field);
                None
            }
        };
        Some(ServerInput {
            host: body.host,
            port: port?,
            security: security?,
            username: body.username,
            password,
        })
    }
}

impl MailboxBody {
    /// The input the service takes, or every field that does not parse.
    pub fn into_input(self) -> Result<MailboxInput, Vec<FieldError>> {
        let mut f = Fields(Vec::new());
        let address = f.take("address", EmailAddress::parse(&self.address));
        let smtp = f.server("smtp", self.smtp);
        let imap = self.imap.map(|imap| f.server("imap", imap));
        let daily_cap = f.cap("daily_cap", self.daily_cap, |t| {
            DailyCap::parse(t).map(|c| c.0)
        });
        let hourly_cap = f.cap("hourly_cap", self.hourly_cap, |t| {
            HourlyCap::parse(t).map(|c| c.0)
        });
        let min_gap = f.duration("min_gap", self.min_gap);
        let max_gap = f.duration("max_gap", self.max_gap);
        let warmup = self.warmup.map(|w| {
            let start = f.count("warmup.start_per_day", w.start_per_day);
            let increment = f.count("warmup.increment_per_day", w.increment_per_day);
            Some(Warmup {
                start_per_day: start?,
                increment_per_day: increment?,
            })
        });
        let warmup_started_on = self.warmup_started_on.and_then(|d| {
            f.take(
                "warmup_started_on",
                NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| format!("{d:?} is not a date (YYYY-MM-DD)")),
            )
        });
        let (Some(address), Some(smtp), true) = (address, smtp, f.0.is_empty()) else {
            return Err(f.0);
        };
        Ok(MailboxInput {
            address,
            from_name: self.from_name,
            signature: self.signature,
            smtp,
            imap: imap.flatten(),
            daily_cap,
            hourly_cap,
            min_gap,
            max_gap,
            warmup: warmup.flatten(),
            warmup_started_on,
            timezone: self.timezone,
            inbound: InboundOptions {
                sent_folder_is_authoritative: self.sent_folder_is_authoritative,
                append_sent: self.append_sent,
            },
        })
    }
}
