//! Enrolling leads into a campaign's sequence, for `outreachd enroll` and
//! `POST /campaigns/{id}/leads`: which leads a request means, and the enrolment itself (each
//! new lead due now, on the pool's least-loaded mailbox; suppressed and unsubscribed leads are
//! counted and skipped, as are leads enrolled already).

use chrono::{DateTime, Utc};

use crate::domain::{
    Campaign, CampaignStatus, EmailAddress, EnrollOutcome, LeadFilter, LeadId, WorkspaceId,
};
use crate::store::{Store, StoreError};

use super::CampaignError;

/// Ids per `enroll_leads` call: large enough to amortise round trips, small enough to keep each
/// transaction short. A list of at most this many is enrolled all or nothing.
pub const CHUNK: usize = 5_000;

/// The leads a request names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeadSelection {
    /// Every lead of the workspace.
    All,
    Emails(Vec<EmailAddress>),
    /// The leads a search of the lead list finds (`GET /api/v1/leads` with the same filters).
    Matching(LeadFilter),
}

/// Leads read per page while a [`LeadSelection::Matching`] is resolved.
const MATCH_PAGE: u32 = 1000;

/// The ids of a selection, and the emails that name no lead of the workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    pub ids: Vec<LeadId>,
    pub missing: Vec<String>,
}

pub async fn resolve(
    store: &dyn Store,
    ws: WorkspaceId,
    selection: &LeadSelection,
) -> Result<Resolved, CampaignError> {
    match selection {
        LeadSelection::All => Ok(Resolved {
            ids: store.lead_ids(ws).await?,
            missing: Vec::new(),
        }),
        LeadSelection::Emails(emails) => {
            let mut resolved = Resolved::default();
            for email in emails {
                match store.lead_by_email(ws, email).await? {
                    Some(lead) => resolved.ids.push(lead.id),
                    None => resolved.missing.push(email.to_string()),
                }
            }
            Ok(resolved)
        }
        LeadSelection::Matching(filter) => {
            let mut ids = Vec::new();
            let mut after = None;
            loop {
                let page = store.list_leads(ws, filter, after, MATCH_PAGE).await?;
                ids.extend(page.iter().map(|r| r.lead.id));
                after = page.last().map(|r| r.lead.id);
                if page.len() < MATCH_PAGE as usize {
                    break;
                }
            }
            Ok(Resolved {
                ids,
                missing: Vec::new(),
            })
        }
    }
}

/// Enrols `ids` into `campaign`, due from `now`. A completed campaign takes no new leads; an
/// id that is no lead of the workspace fails the request, naming it as `lead_ids[i]`.
pub async fn enroll(
    store: &dyn Store,
    ws: WorkspaceId,
    campaign: &Campaign,
    ids: &[LeadId],
    now: DateTime<Utc>,
) -> Result<EnrollOutcome, CampaignError> {
    if campaign.status == CampaignStatus::Completed {
        return Err(CampaignError::Conflict(format!(
            "campaign {:?} is completed; it takes no new leads",
            campaign.name
        )));
    }
    let mut total = EnrollOutcome::default();
    for chunk in ids.chunks(CHUNK) {
        let outcome = store
            .enroll_leads(ws, campaign.id, chunk, now)
            .await
            .map_err(|e| unknown_lead(e, ids))?;
        total.enrolled += outcome.enrolled;
        total.already_enrolled += outcome.already_enrolled;
        total.suppressed += outcome.suppressed;
    }
    Ok(total)
}

/// A lead the store did not find is a defect of the request's list, not a missing resource.
fn unknown_lead(e: StoreError, ids: &[LeadId]) -> CampaignError {
    match e {
        StoreError::NotFound { kind: "lead", name } => {
            let at = ids.iter().position(|id| id.to_string() == name);
            let field = at.map_or_else(|| "lead_ids".to_owned(), |i| format!("lead_ids[{i}]"));
            CampaignError::invalid(field, format!("no lead {name} in this workspace"))
        }
        other => other.into(),
    }
}
