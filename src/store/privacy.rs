//! The privacy role: the suppression list as a list (search, look-up, removal), and the two
//! privacy requests: exporting everything held about one address, and erasing it.
//!
//! An erasure leaves a suppression entry whose value is `domain::erased_value` of the address
//! under the workspace's salt (`privacy_salt`); the store compares such values, it never
//! computes them in SQL. Every method is scoped by `WorkspaceId`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

#[async_trait]
pub trait Privacy: Send + Sync + 'static {
    /// Entries matching `filter`, by id, at most `filter.limit`.
    async fn list_suppressions(
        &self,
        ws: WorkspaceId,
        filter: &SuppressionFilter,
    ) -> Result<Vec<Suppression>, StoreError>;

    async fn suppression_by_id(
        &self,
        ws: WorkspaceId,
        id: SuppressionId,
    ) -> Result<Option<Suppression>, StoreError>;

    /// The entry with this (lower-cased) value, address or domain.
    async fn suppression_by_value(
        &self,
        ws: WorkspaceId,
        value: &str,
    ) -> Result<Option<Suppression>, StoreError>;

    /// Which of these (lower-cased) values have an entry already.
    async fn suppressed_values(
        &self,
        ws: WorkspaceId,
        values: &[String],
    ) -> Result<Vec<String>, StoreError>;

    /// Suppresses many lower-cased addresses and domains with one reason, as
    /// `Suppressions::add_suppression` does one (every active enrolment an entry matches
    /// stops), a thousand per transaction. Returns the values that were not listed before.
    async fn add_suppressions(
        &self,
        ws: WorkspaceId,
        values: &[String],
        reason: &str,
    ) -> Result<Vec<String>, StoreError>;

    /// Removes an entry; `false` when there is none. Leads it stopped stay stopped.
    async fn remove_suppression(
        &self,
        ws: WorkspaceId,
        id: SuppressionId,
    ) -> Result<bool, StoreError>;

    /// The workspace's erasure salt; with `create`, made (32 random bytes) if it has none.
    /// `None` only without `create`, for a workspace that never erased anything.
    async fn privacy_salt(
        &self,
        ws: WorkspaceId,
        create: bool,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Everything held about `email` (lead, enrolments, texts, sends, events, inbound
    /// messages, suppression entries). `erased` is the address's erased value, when the
    /// workspace has a salt, to report an earlier erasure.
    async fn export_subject(
        &self,
        ws: WorkspaceId,
        email: &EmailAddress,
        erased: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<PrivacyExport, StoreError>;

    /// Erases `email` in one transaction: its lead with its enrolments, texts, sends and
    /// events, the inbound messages those events recorded, its clear-text suppression entry,
    /// other leads' stop reasons that name it; then suppresses `erased` (its erased value).
    async fn erase_subject(
        &self,
        ws: WorkspaceId,
        email: &EmailAddress,
        erased: &str,
        now: DateTime<Utc>,
    ) -> Result<ErasureReport, StoreError>;
}
