//! Leads: a lead to insert (`NewLead`), the row as read back, and what inserting one did.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{CampaignId, CampaignLeadStatus, EmailAddress, LeadId, WorkspaceId};

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

/// A lead with its change times, as the API shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadRecord {
    pub lead: Lead,
    pub updated_at: DateTime<Utc>,
    pub persona_generated_at: Option<DateTime<Utc>>,
}

/// Which leads a list wants; every filter given must hold. Text comparisons ignore case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeadFilter {
    /// This exact address.
    pub email: Option<String>,
    /// Text found in the address, the name (first and last) or the company.
    pub text: Option<String>,
    /// This exact company.
    pub company: Option<String>,
    /// Enrolled in this campaign.
    pub campaign: Option<CampaignId>,
    /// With an enrolment in this state (in `campaign` when one is given, else in any).
    pub status: Option<CampaignLeadStatus>,
}

/// What deleting a lead did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeadDeletion {
    /// Deleted with its enrolments (none of which had sent anything).
    Deleted,
    NotFound,
    /// Kept: its sends are the email log. `sends` counts them.
    HasSends {
        sends: u64,
    },
    /// Kept: a campaign holds it for a send right now (generating or sending).
    InFlight,
}

/// What writing a lead's fields did.
#[derive(Clone, Debug, PartialEq)]
pub enum LeadUpdate {
    Updated(Box<LeadRecord>),
    NotFound,
    /// The lead changed since it was read (`updated_at` differs): read it again and retry.
    Stale,
}
