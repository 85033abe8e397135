//! Status enums shared by the store, the actors and the API. Each is stored as its lower-case
//! name, so the database stays readable for an operator with `psql`.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?} (expected one of: {expected})")]
pub struct StatusParseError {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = StatusParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(StatusParseError {
                        kind: $kind,
                        value: other.to_owned(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }
    };
}

pub(super) use string_enum;

string_enum!(
    /// A campaign's lifecycle. Only `running` campaigns are claimed from.
    CampaignStatus, "campaign status" {
        Draft => "draft",
        Running => "running",
        Paused => "paused",
        Completed => "completed",
    }
);

string_enum!(
    /// Where a lead stands in one campaign. Only `active` rows are ever due.
    CampaignLeadStatus, "campaign lead status" {
        Active => "active",
        Paused => "paused",
        Completed => "completed",
        Replied => "replied",
        Bounced => "bounced",
        Unsubscribed => "unsubscribed",
        Failed => "failed",
    }
);

string_enum!(
    /// A mailbox's sending state. `cooling` has an end time (stored beside it); `paused` needs
    /// an operator (or a fixed credential) to resume.
    MailboxStatus, "mailbox status" {
        Active => "active",
        Cooling => "cooling",
        Paused => "paused",
    }
);

string_enum!(
    /// The step contract's states for one (campaign lead, step) send row.
    SendState, "send state" {
        /// Leased by a campaign actor; nothing has left the machine.
        Claimed => "claimed",
        /// Handed to SMTP; the server may have accepted it.
        Sending => "sending",
        Sent => "sent",
        Failed => "failed",
        /// A temporary failure; due again at `next_attempt_at`.
        Retry => "retry",
        /// The outcome cannot be known (connection lost after the final "."): never auto-resent.
        Unknown => "unknown",
        Bounced => "bounced",
    }
);

string_enum!(
    /// How the SMTP or IMAP connection is secured.
    SmtpSecurity, "connection security" {
        /// Cleartext (test servers, local relays).
        Plain => "plain",
        /// Upgrade with STARTTLS; refuse to continue if the server does not offer it.
        Starttls => "starttls",
        /// TLS from the first byte (ports 465 / 993).
        Tls => "tls",
    }
);

string_enum!(
    /// Whose clock a campaign's sending window follows.
    TimezonePolicy, "timezone policy" {
        /// The campaign's own time zone.
        Campaign => "campaign",
        /// The lead's `timezone` when set, else the campaign's.
        Lead => "lead",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in SendState::ALL {
            assert_eq!(s.as_str().parse::<SendState>().unwrap(), *s);
        }
        for s in CampaignLeadStatus::ALL {
            assert_eq!(s.to_string().parse::<CampaignLeadStatus>().unwrap(), *s);
        }
    }

    #[test]
    fn unknown_status_lists_the_valid_ones() {
        let e = "runing".parse::<CampaignStatus>().unwrap_err();
        assert!(
            e.to_string().contains("draft running paused completed"),
            "{e}"
        );
    }
}

string_enum!(
    /// What a user or token may do in its workspace, least to most (so `>=` compares them):
    /// `viewer` reads; `member` also writes leads, products, campaigns and enrolments and runs
    /// campaigns; `admin` also manages mailboxes, their credentials, tokens and members;
    /// `owner` is an admin who cannot be removed by one.
    Role, "role" {
        Viewer => "viewer",
        Member => "member",
        Admin => "admin",
        Owner => "owner",
    }
);

string_enum!(
    /// A bearer token's kind: made for a machine (lives until revoked) or handed out by a
    /// login (expires).
    TokenKind, "token kind" {
        Api => "api",
        Session => "session",
    }
);
