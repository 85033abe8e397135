//! The apply file's TOML schema, as written by an admin: names and addresses, not ids; secrets as
//! references (`password_env`, `password_file`) rather than values.
//!
//! Every table denies unknown keys, so a typo is an error with a line number instead of a setting
//! silently ignored. Values that parse on their own (addresses, durations, windows, statuses)
//! use their domain types, so toml reports their errors at the offending value. Fields that need
//! cross-checks later carry their `Spanned` position, so those errors can name the line too.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::domain::{
    CampaignStatus, DailyCap, EmailAddress, HourlyCap, HumanDuration, MailboxStatus, SendWindow,
    SmtpSecurity, TimezonePolicy,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileDoc {
    pub workspace: WorkspaceDoc,
    /// Overrides `[mailbox_defaults]` of the daemon's config for the mailboxes of this file.
    pub mailbox_defaults: Option<MailboxDefaultsDoc>,
    #[serde(default)]
    pub mailboxes: Vec<MailboxDoc>,
    #[serde(default)]
    pub products: Vec<ProductDoc>,
    #[serde(default)]
    pub campaigns: Vec<CampaignDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WorkspaceDoc {
    pub name: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MailboxDefaultsDoc {
    pub daily_cap: Option<Spanned<DailyCap>>,
    pub hourly_cap: Option<Spanned<HourlyCap>>,
    pub min_gap: Option<Spanned<HumanDuration>>,
    pub max_gap: Option<Spanned<HumanDuration>>,
    pub timezone: Option<Spanned<String>>,
    pub warmup: Option<Spanned<WarmupDoc>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MailboxDoc {
    pub address: Spanned<EmailAddress>,
    pub from_name: Spanned<String>,
    #[serde(default)]
    pub signature: String,
    /// A count or a rate per day: `50` and `"50/day"` are the same.
    pub daily_cap: Option<Spanned<DailyCap>>,
    /// 0 means no hourly cap, as in the config. A count or a rate per hour (`"8/h"`).
    pub hourly_cap: Option<Spanned<HourlyCap>>,
    pub min_gap: Option<Spanned<HumanDuration>>,
    pub max_gap: Option<Spanned<HumanDuration>>,
    pub timezone: Option<Spanned<String>>,
    pub warmup: Option<Spanned<WarmupDoc>>,
    /// "YYYY-MM-DD": day 0 of the warm-up ramp; absent leaves the stored date as it is.
    pub warmup_started_on: Option<chrono::NaiveDate>,
    pub smtp: Spanned<ServerDoc>,
    pub imap: Option<Spanned<ServerDoc>>,
    /// The provider files every SMTP-sent message in Sent (default false).
    pub sent_folder_is_authoritative: Option<bool>,
    /// Append our copy of each send to Sent (default false).
    pub append_sent: Option<bool>,
    /// "active" or "paused"; absent leaves the mailbox's state as it is.
    pub status: Option<Spanned<MailboxStatus>>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WarmupDoc {
    pub start_per_day: u32,
    pub increment_per_day: u32,
}

/// An SMTP or IMAP server. Exactly one password source for SMTP; IMAP may give none to reuse the
/// SMTP login (the usual case with app passwords).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServerDoc {
    pub host: Spanned<String>,
    pub port: Spanned<u16>,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// Name of an environment variable holding the password (preferred).
    pub password_env: Option<Spanned<String>>,
    /// Path of a file holding the password, relative to the apply file.
    pub password_file: Option<Spanned<PathBuf>>,
    /// The password itself: works, but puts a secret in a file that tends to end up in git.
    pub password: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProductDoc {
    pub name: Spanned<String>,
    pub description: Option<String>,
    /// Path of a text/Markdown file with the description, relative to the apply file.
    pub description_file: Option<Spanned<PathBuf>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CampaignDoc {
    pub name: Spanned<String>,
    #[serde(default)]
    pub goal: String,
    pub product: Option<Spanned<String>>,
    pub status: Option<CampaignStatus>,
    #[serde(default)]
    pub mailboxes: Vec<Spanned<EmailAddress>>,
    pub timezone: Option<Spanned<String>>,
    pub timezone_policy: Option<TimezonePolicy>,
    pub window: Option<SendWindow>,
    pub daily_new_leads_cap: Option<Spanned<u32>>,
    pub stop_on_reply: Option<bool>,
    pub stop_on_company_reply: Option<bool>,
    pub stop_other_campaigns_on_reply: Option<bool>,
    pub track_opens: Option<bool>,
    pub track_clicks: Option<bool>,
    /// Which provider writes this campaign's emails (default: `[content] provider`).
    pub ai_provider: Option<crate::ai::ProviderName>,
    /// Which model (default: the provider's configured model).
    pub ai_model: Option<String>,
    #[serde(default)]
    pub steps: Vec<Spanned<StepDoc>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepDoc {
    /// Optional on the first step (default "0s"), required on follow-ups.
    pub delay: Option<HumanDuration>,
    /// Required on the first step; a follow-up without one replies in the thread.
    pub subject: Option<Spanned<String>>,
    pub body: Spanned<String>,
    pub ai_instructions: Option<String>,
}
