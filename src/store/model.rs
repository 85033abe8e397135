//! What goes into and comes out of the store: `*Spec` types are desired state (from `apply`
//! files, the API or the importer); the others are rows as read back. Passwords only ever travel
//! as `SecretString`, whose `Debug` prints `[REDACTED]`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::domain::{
    CampaignId, CampaignLeadStatus, CampaignStatus, EmailAddress, HumanDuration, LeadId, MailboxId,
    MailboxStatus, ProductId, SendWindow, SmtpSecurity, StepId, TimezonePolicy, WorkspaceId,
};

/// What an upsert did. `apply` reports these so a second run can say "nothing changed".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Created,
    Updated,
    Unchanged,
}

#[derive(Clone, Debug)]
pub struct Upserted<T> {
    pub value: T,
    pub change: Change,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

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
    /// IANA time zone whose midnight resets the daily cap.
    pub timezone: String,
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
            && self.timezone == spec.timezone
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductSpec {
    pub name: String,
    pub description: String,
    pub source_file_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: ProductId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub description: String,
    pub source_file_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One step of a sequence, as desired. `step_order` is its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepSpec {
    /// Wait after the previous step was sent (after enrolment for step 1).
    pub delay: HumanDuration,
    /// `None`: reply in the thread as "Re: <first subject>".
    pub subject_template: Option<String>,
    pub body_template: String,
    pub ai_instructions: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub id: StepId,
    pub campaign_id: CampaignId,
    pub step_order: u32,
    pub delay: HumanDuration,
    pub subject_template: Option<String>,
    pub body_template: String,
    pub ai_instructions: Option<String>,
}

impl Step {
    pub fn spec(&self) -> StepSpec {
        StepSpec {
            delay: self.delay,
            subject_template: self.subject_template.clone(),
            body_template: self.body_template.clone(),
            ai_instructions: self.ai_instructions.clone(),
        }
    }
}

/// A campaign's sending rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SendingRules {
    pub window: SendWindow,
    /// IANA zone the window is read in (or the lead's own, per `timezone_policy`).
    pub timezone: String,
    pub timezone_policy: TimezonePolicy,
    /// At most this many *new* leads get step 1 per day (follow-ups are not capped here).
    pub daily_new_leads_cap: Option<u32>,
    pub stop_on_reply: bool,
    /// A reply from anyone at the lead's company domain stops the others there too.
    pub stop_on_company_reply: bool,
    /// A reply also stops the lead's other campaigns of the workspace (off: this one only).
    pub stop_other_campaigns_on_reply: bool,
    pub track_opens: bool,
    pub track_clicks: bool,
}

impl Default for SendingRules {
    fn default() -> Self {
        Self {
            window: SendWindow::ALWAYS,
            timezone: "UTC".into(),
            timezone_policy: TimezonePolicy::Campaign,
            daily_new_leads_cap: None,
            stop_on_reply: true,
            stop_on_company_reply: false,
            stop_other_campaigns_on_reply: false,
            track_opens: false,
            track_clicks: false,
        }
    }
}

/// Desired state of a campaign, with names already resolved to ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignSpec {
    pub name: String,
    pub goal: String,
    pub product_id: Option<ProductId>,
    /// `None` keeps the current status (new campaigns start as `draft`).
    pub status: Option<CampaignStatus>,
    pub rules: SendingRules,
    /// The mailbox pool leads are spread across, in a stable order.
    pub mailbox_ids: Vec<MailboxId>,
    pub steps: Vec<StepSpec>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub goal: String,
    pub product_id: Option<ProductId>,
    pub status: CampaignStatus,
    pub rules: SendingRules,
    pub mailbox_ids: Vec<MailboxId>,
    pub emails_sent: u64,
    pub last_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Campaign {
    /// True when applying `spec` (with these current `steps`) would change nothing.
    pub fn matches_spec(&self, spec: &CampaignSpec, steps: &[Step]) -> bool {
        let mut pool = self.mailbox_ids.clone();
        let mut wanted = spec.mailbox_ids.clone();
        pool.sort();
        wanted.sort();
        self.name == spec.name
            && self.goal == spec.goal
            && self.product_id == spec.product_id
            && spec.status.is_none_or(|s| s == self.status)
            && self.rules == spec.rules
            && pool == wanted
            && steps.len() == spec.steps.len()
            && steps
                .iter()
                .zip(&spec.steps)
                .all(|(have, want)| have.spec() == *want)
    }
}

/// A lead to insert. Identity is (workspace, lower(email)).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewLead {
    pub email: Option<EmailAddress>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    pub website: Option<String>,
    pub linkedin: Option<String>,
    pub phone: Option<String>,
    /// IANA zone, already validated.
    pub timezone: Option<String>,
    /// Columns we have no field for, kept as strings under their original header.
    pub custom: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lead {
    pub id: LeadId,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    pub website: Option<String>,
    pub linkedin: Option<String>,
    pub phone: Option<String>,
    pub timezone: Option<String>,
    pub custom: BTreeMap<String, String>,
    pub persona: Option<serde_json::Value>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The result for one row of `insert_leads`, in input order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeadInsert {
    Inserted(LeadId),
    /// A lead with that email already existed in the workspace; it was left as it was.
    Existing(LeadId),
}

impl LeadInsert {
    pub fn id(&self) -> LeadId {
        match self {
            Self::Inserted(id) | Self::Existing(id) => *id,
        }
    }
}

/// The result of enrolling leads into a campaign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EnrollOutcome {
    pub enrolled: u64,
    pub already_enrolled: u64,
    /// Suppressed or unsubscribed leads are never enrolled.
    pub suppressed: u64,
}

/// Counts per campaign for `outreachd status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CampaignSummary {
    pub name: String,
    pub status: CampaignStatus,
    pub steps: u32,
    pub mailboxes: u32,
    pub leads_by_status: BTreeMap<CampaignLeadStatus, u64>,
    /// Active leads whose next step is due now.
    pub due_now: u64,
    pub emails_sent: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MailboxSummary {
    pub address: String,
    pub status: MailboxStatus,
    pub status_reason: Option<String>,
    pub daily_cap: u32,
    pub sent_today: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkspaceSummary {
    pub workspace: String,
    pub leads: u64,
    pub suppressions: u64,
    pub mailboxes: Vec<MailboxSummary>,
    pub campaigns: Vec<CampaignSummary>,
}

/// Whether the store can serve the daemon (for `/readyz`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub reachable: bool,
    pub migrations_pending: u32,
}

/// Connection pool occupancy, for the DB pool gauges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
}
