//! What the classifier needs to know from outside to stay pure: which senders are leads and
//! which subjects are ours, for replies that lost their threading headers.

use std::collections::HashSet;

use super::subject::normalize_subject;
use crate::domain::EmailAddress;

/// The outside knowledge behind the fallback reply match. Implement it over the store's data
/// (precomputed per mailbox) or use [`LeadSet`].
pub trait KnownLeads {
    /// Whether `email` belongs to a lead (compare [`EmailAddress::normalized`] forms).
    fn is_lead(&self, email: &EmailAddress) -> bool;
    /// Whether `normalized_subject` (see [`normalize_subject`]) is the subject of one of our sends.
    fn our_subject(&self, normalized_subject: &str) -> bool;
}

/// Knows no leads: only threading headers can match a reply.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLeads;

impl KnownLeads for NoLeads {
    fn is_lead(&self, _email: &EmailAddress) -> bool {
        false
    }
    fn our_subject(&self, _normalized_subject: &str) -> bool {
        false
    }
}

/// In-memory lead addresses and sent subjects, normalised on the way in.
#[derive(Clone, Debug, Default)]
pub struct LeadSet {
    emails: HashSet<String>,
    subjects: HashSet<String>,
}

impl LeadSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_lead(&mut self, email: &EmailAddress) {
        self.emails.insert(email.normalized());
    }

    /// Adds a subject as sent (prefixes such as "Re:" are stripped like an inbound one's).
    pub fn add_subject(&mut self, subject: &str) {
        let normalized = normalize_subject(subject);
        if !normalized.is_empty() {
            self.subjects.insert(normalized);
        }
    }
}

impl KnownLeads for LeadSet {
    fn is_lead(&self, email: &EmailAddress) -> bool {
        self.emails.contains(&email.normalized())
    }
    fn our_subject(&self, normalized_subject: &str) -> bool {
        self.subjects.contains(normalized_subject)
    }
}

/// Everything `classify` reads besides the message itself.
#[derive(Clone, Copy)]
pub struct ClassifyContext<'a> {
    pub leads: &'a dyn KnownLeads,
    /// The From domains of the mailbox's sends (what `smtp::message_id_for` puts after the
    /// "@"). Empty accepts our id shape at any domain, which risks reading another system's
    /// 32-hex-digit Message-ID as ours: the poller should always pass its domains.
    pub our_domains: &'a [String],
}

impl<'a> ClassifyContext<'a> {
    pub fn new(leads: &'a dyn KnownLeads) -> Self {
        Self {
            leads,
            our_domains: &[],
        }
    }

    /// Only Message-IDs at these domains are ours (see `our_domains`).
    pub fn with_domains(self, our_domains: &'a [String]) -> Self {
        Self {
            our_domains,
            ..self
        }
    }

    /// A context that knows no leads and no domains (threading headers only, any domain),
    /// e.g. for ad-hoc debugging.
    pub fn without_leads() -> ClassifyContext<'static> {
        ClassifyContext {
            leads: &NoLeads,
            our_domains: &[],
        }
    }
}

impl std::fmt::Debug for ClassifyContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClassifyContext(..)")
    }
}
