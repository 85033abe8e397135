//! Mailboxes: the desired state (`MailboxSpec`, from `apply` files, the API or the importer), the
//! row as read back (`Mailbox`, everything but passwords), decrypted credentials for the SMTP and
//! IMAP clients, and the runtime state the actors change (status, usage). Passwords only ever
//! travel as `SecretString`, whose `Debug` prints `[REDACTED]`.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::{EmailAddress, HumanDuration, MailboxId, MailboxStatus, SmtpSecurity, WorkspaceId};

/// How to reach one server (SMTP or IMAP) and log in to it.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: SecretString,
}

/// A server as read back: everything but the password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerInfo {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
}

impl ServerSpec {
    pub fn info(&self) -> ServerInfo {
        ServerInfo {
            host: self.host.clone(),
            port: self.port,
            security: self.security,
            username: self.username.clone(),
        }
    }
}

/// Warm-up ramp: `start_per_day` on the first day, `+increment_per_day` each day after, never
/// above the mailbox's daily cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Warmup {
    pub start_per_day: u32,
    pub increment_per_day: u32,
}

/// Desired state of a mailbox. Identity is (workspace, lower(address)).
#[derive(Clone, Debug)]
pub struct MailboxSpec {
    pub address: EmailAddress,
    pub from_name: String,
    pub signature: String,
    pub smtp: ServerSpec,
    pub imap: Option<ServerSpec>,
    pub daily_cap: u32,
    pub hourly_cap: Option<u32>,
    pub min_gap: HumanDuration,
    pub max_gap: HumanDuration,
    pub warmup: Option<Warmup>,
    /// The local date the warm-up ramp counts from; `None` leaves a stored mailbox's date as it
    /// is, and a new mailbox starts today.
    pub warmup_started_on: Option<NaiveDate>,
    /// IANA time zone whose midnight resets the daily cap.
    pub timezone: String,
}

impl MailboxSpec {
    /// The warm-up start a new mailbox gets: the declared date, else today in its time zone.
    pub fn warmup_start(&self, now: DateTime<Utc>) -> NaiveDate {
        let tz: Tz = self.timezone.parse().unwrap_or(Tz::UTC);
        self.warmup_started_on
            .unwrap_or_else(|| now.with_timezone(&tz).date_naive())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    pub id: MailboxId,
    pub workspace_id: WorkspaceId,
    pub address: String,
    pub from_name: String,
    pub signature: String,
    pub smtp: ServerInfo,
    pub imap: Option<ServerInfo>,
    pub daily_cap: u32,
    pub hourly_cap: Option<u32>,
    pub min_gap: HumanDuration,
    pub max_gap: HumanDuration,
    pub warmup: Option<Warmup>,
    /// Day 0 of the warm-up ramp, a local date in `timezone`.
    pub warmup_started_on: NaiveDate,
    pub timezone: String,
    pub status: MailboxStatus,
    pub status_reason: Option<String>,
    pub cooling_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Decrypted credentials, for the SMTP/IMAP clients only.
#[derive(Clone, Debug)]
pub struct MailboxCredentials {
    pub smtp_password: SecretString,
    pub imap_password: Option<SecretString>,
}

impl Mailbox {
    /// True when applying `spec` (whose passwords are compared with `current`) would change
    /// nothing. Status is runtime state and is not part of the desired state.
    pub fn matches_spec(&self, spec: &MailboxSpec, current: &MailboxCredentials) -> bool {
        let same_secret =
            |a: &SecretString, b: &SecretString| a.expose_secret() == b.expose_secret();
        self.address == spec.address.as_str()
            && self.from_name == spec.from_name
            && self.signature == spec.signature
            && self.smtp == spec.smtp.info()
            && same_secret(&current.smtp_password, &spec.smtp.password)
            && self.imap == spec.imap.as_ref().map(ServerSpec::info)
            && match (&current.imap_password, &spec.imap) {
                (Some(a), Some(b)) => same_secret(a, &b.password),
                (None, None) => true,
                _ => false,
            }
            && self.daily_cap == spec.daily_cap
            && self.hourly_cap == spec.hourly_cap
            && self.min_gap == spec.min_gap
            && self.max_gap == spec.max_gap
            && self.warmup == spec.warmup
            && spec
                .warmup_started_on
                .is_none_or(|d| d == self.warmup_started_on)
            && self.timezone == spec.timezone
    }
}

/// A mailbox state change (cooling until a time, paused with a reason, active again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxStateChange {
    pub status: MailboxStatus,
    pub reason: Option<String>,
    pub cooling_until: Option<DateTime<Utc>>,
}

/// Sends of one mailbox that the caps must count: today's total (local date) and the send
/// times of the last hour.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailboxUsage {
    pub sent_today: u32,
    pub last_hour: Vec<DateTime<Utc>>,
}
