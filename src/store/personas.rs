//! The personas role: a lead's persona with where it came from, the profile text a user gave
//! for it, its last failure, and the daemon's sweep for leads still without one. Tenant methods
//! take a `WorkspaceId`; the sweep reads every workspace, as the dispatch claims do.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

#[async_trait]
pub trait Personas: Send + Sync + 'static {
    async fn lead_persona(
        &self,
        ws: WorkspaceId,
        id: LeadId,
    ) -> Result<Option<LeadPersona>, StoreError>;

    /// Sets (or with `None` clears) the profile text of a lead; `false` when there is no such
    /// lead in the workspace.
    async fn set_profile_text(
        &self,
        ws: WorkspaceId,
        id: LeadId,
        text: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Stores a generated persona and its origin, clearing any failure. With `replace` false
    /// a persona stored meanwhile is kept (`false` is returned): the background path never
    /// overwrites one.
    #[allow(clippy::too_many_arguments)]
    async fn store_persona(
        &self,
        ws: WorkspaceId,
        id: LeadId,
        persona: &serde_json::Value,
        origin: &PersonaOrigin,
        replace: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records why generating failed; `retry_at` is when the sweep may try again (`None`: only
    /// on request). A stored persona is kept.
    async fn store_persona_error(
        &self,
        ws: WorkspaceId,
        id: LeadId,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// Up to `limit` leads (of any workspace) without a persona that have a website, a
    /// LinkedIn URL or a profile text, and no failure whose retry time is unset or later than
    /// `now`; oldest id first.
    async fn leads_needing_persona(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(WorkspaceId, LeadId)>, StoreError>;
}
