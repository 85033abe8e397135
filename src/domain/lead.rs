//! Leads: a lead to insert (`NewLead`), the row as read back, and what inserting one did.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{EmailAddress, LeadId, WorkspaceId};

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
