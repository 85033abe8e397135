//! The lead records role: what the API does with single leads beside the importer's batch
//! insert (`Leads`): pages of leads with filters, one lead by id, editing and deleting one.
//!
//! Pages are keyset pages in the store (`WHERE id > after ORDER BY id LIMIT n`), never a whole
//! workspace loaded and cut in memory: a workspace may hold hundreds of thousands of leads.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

#[async_trait]
pub trait LeadRecords: Send + Sync + 'static {
    /// Up to `limit` leads of the workspace matching `filter`, by id, after `after`.
    async fn list_leads(
        &self,
        ws: WorkspaceId,
        filter: &LeadFilter,
        after: Option<LeadId>,
        limit: u32,
    ) -> Result<Vec<LeadRecord>, StoreError>;

    async fn lead_by_id(
        &self,
        ws: WorkspaceId,
        id: LeadId,
    ) -> Result<Option<LeadRecord>, StoreError>;

    /// Writes the editable fields of a lead (email, names, title, company, website, linkedin,
    /// phone, time zone, custom fields) if it still has `read_at` as its `updated_at`.
    /// `Conflict` when another lead of the workspace has the new email (case-insensitively).
    async fn update_lead(
        &self,
        ws: WorkspaceId,
        id: LeadId,
        fields: &NewLead,
        read_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<LeadUpdate, StoreError>;

    /// Deletes a lead and its enrolments, unless one of them has a send (any state): the email
    /// log is not erased by a delete. A lead a campaign holds for a send right now is kept too.
    async fn delete_lead(&self, ws: WorkspaceId, id: LeadId) -> Result<LeadDeletion, StoreError>;
}
