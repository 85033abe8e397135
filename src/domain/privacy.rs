//! Suppression entries as a list, and privacy requests (GDPR/CCPA): what an export holds about
//! one address and what an erasure removed.
//!
//! An erased address leaves one suppression entry whose value is not the address but
//! [`erased_value`]: an HMAC-SHA-256 of the lower-cased address keyed by the workspace's own
//! salt. Nothing readable remains, yet the address is recognised (and never mailed) when it
//! comes back, by computing the same HMAC. Plain data and pure functions; no I/O.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;
use utoipa::ToSchema;

use super::{
    CampaignId, CampaignLeadId, CampaignLeadStatus, EmailAddress, EventRecord, Lead, LeadId,
    SendRecord, SuppressionId,
};

/// The prefix of an erased address's suppression value; no address or domain starts so.
pub const ERASED_PREFIX: &str = "sha256:";

/// The reason stored on an erased address's suppression entry.
pub const ERASED_REASON: &str = "privacy erasure";

/// The suppression value that stands for `email` once erased: `sha256:` and 64 hex digits.
pub fn erased_value(salt: &[u8], email: &EmailAddress) -> String {
    // HMAC takes keys of any length, the empty one included.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(salt)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(email.normalized().as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(ERASED_PREFIX.len() + 64);
    out.push_str(ERASED_PREFIX);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// What an entry suppresses: one address, or every address at a domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionKind {
    Email,
    Domain,
}

impl SuppressionKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Domain => "domain",
        }
    }

    /// The kind a stored value has: an address holds an '@'.
    pub fn of(value: &str) -> Self {
        if value.contains('@') {
            Self::Email
        } else {
            Self::Domain
        }
    }
}

/// One entry of the suppression list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Suppression {
    pub id: SuppressionId,
    pub kind: SuppressionKind,
    /// The lower-cased address or domain; for an erased address, `sha256:` and the HMAC.
    pub value: String,
    /// The entry stands for an address erased by a privacy request.
    pub erased: bool,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// Which entries to list: `q` is a case-insensitive part of the value; pages follow the id.
#[derive(Clone, Debug, Default)]
pub struct SuppressionFilter {
    pub q: Option<String>,
    pub after: Option<SuppressionId>,
    pub limit: u32,
}

/// A lead's own fields, as held.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ExportedLead {
    pub id: LeadId,
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
    /// The persona generated for the lead, when there is one.
    #[schema(value_type = Option<Object>)]
    pub persona: Option<serde_json::Value>,
    /// Text about the person a user gave for the persona.
    pub profile_text: Option<String>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Lead> for ExportedLead {
    fn from(l: Lead) -> Self {
        Self {
            id: l.id,
            email: l.email,
            first_name: l.first_name,
            last_name: l.last_name,
            title: l.title,
            company: l.company,
            website: l.website,
            linkedin: l.linkedin,
            phone: l.phone,
            timezone: l.timezone,
            custom: l.custom,
            persona: l.persona,
            profile_text: None,
            unsubscribed_at: l.unsubscribed_at,
            created_at: l.created_at,
        }
    }
}

/// One campaign the lead is (or was) enrolled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ExportedEnrolment {
    pub id: CampaignLeadId,
    pub campaign_id: CampaignId,
    pub campaign: String,
    pub status: CampaignLeadStatus,
    pub stop_reason: Option<String>,
    pub current_step: u32,
    pub next_scheduled_at: Option<DateTime<Utc>>,
    /// The address of the mailbox that writes to the lead.
    pub mailbox: Option<String>,
    pub first_subject: Option<String>,
    pub enrolled_at: DateTime<Utc>,
}

/// A text generated for one step of an enrolment (sent, or stored to be sent).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ExportedMessage {
    pub campaign_lead_id: CampaignLeadId,
    pub step: u32,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    /// `template`, `openai`… and the model, when a model wrote it.
    pub provider: String,
    pub model: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An inbound message from the lead that the daemon recorded (its reply, bounce report…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ExportedInbound {
    /// The mailbox that received it.
    pub mailbox: String,
    pub message_id: String,
    pub folder: String,
    /// `reply`, `auto_reply`, `bounce`, `complaint`, `unsubscribe_request`…
    pub classification: String,
    pub received_at: DateTime<Utc>,
}

/// Everything the workspace holds about one address.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct PrivacyExport {
    /// The address asked about, lower-cased.
    pub email: String,
    pub generated_at: DateTime<Utc>,
    /// The address was erased before: only the hashed suppression entry remains.
    pub erased: bool,
    pub lead: Option<ExportedLead>,
    pub enrolments: Vec<ExportedEnrolment>,
    pub messages: Vec<ExportedMessage>,
    pub sends: Vec<SendRecord>,
    pub events: Vec<EventRecord>,
    pub inbound_messages: Vec<ExportedInbound>,
    /// Entries that suppress the address: its own, its domain's.
    pub suppressions: Vec<Suppression>,
}

/// What an erasure removed, by kind of record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErasureReport {
    pub leads: u64,
    pub enrolments: u64,
    pub sends: u64,
    pub messages: u64,
    pub events: u64,
    pub inbound_messages: u64,
    /// Clear-text suppression entries of the address (replaced by the hashed one).
    pub suppressions: u64,
    /// Other leads' stop reasons that named the address ("a colleague replied: …").
    pub stop_reasons: u64,
    /// Rejected rows of lead import jobs that quoted the address.
    pub import_rows: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    #[test]
    fn an_erased_value_ignores_case_and_depends_on_the_salt() {
        let a = erased_value(b"salt-one", &email("Ann@Example.com"));
        assert_eq!(a, erased_value(b"salt-one", &email("ann@example.com")));
        assert_ne!(a, erased_value(b"salt-two", &email("ann@example.com")));
        assert!(a.starts_with(ERASED_PREFIX));
        assert_eq!(a.len(), ERASED_PREFIX.len() + 64);
        assert!(!a.contains("ann"));
        assert_eq!(a, a.to_lowercase(), "stored values are lower-case");
    }
}
