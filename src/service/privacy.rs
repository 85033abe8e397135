//! Privacy requests (GDPR/CCPA): exporting everything the workspace holds about an address,
//! and erasing it.
//!
//! An erasure removes the lead and every record of it (enrolments, generated texts, sends,
//! events, the inbound messages those events recorded, its clear-text suppression entry, other
//! leads' stop reasons that name it) in one transaction, and suppresses the address by its
//! erased value (`domain::erased_value`, keyed by the workspace's salt) so that it is never
//! mailed again: suppression checks and lead inserts compute the same value. What stays: the
//! campaigns' sent totals and the mailboxes' day counts (numbers, no person), so caps hold.
//!
//! Nothing here logs the address.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::ServiceError;
use crate::domain::{EmailAddress, ErasureReport, PrivacyExport, WorkspaceId, erased_value};
use crate::store::{Store, StoreError};

/// Everything the workspace holds about `email`.
pub async fn export(
    store: &dyn Store,
    ws: WorkspaceId,
    email: &EmailAddress,
    now: DateTime<Utc>,
) -> Result<PrivacyExport, ServiceError> {
    let erased = store
        .privacy_salt(ws, false)
        .await?
        .map(|salt| erased_value(&salt, email));
    Ok(store
        .export_subject(ws, email, erased.as_deref(), now)
        .await?)
}

/// What an erasure did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Erasure {
    /// The suppression value that now stands for the address: `sha256:` and an HMAC of it
    /// under the workspace's salt.
    pub suppressed_as: String,
    pub removed: ErasureReport,
}

/// Erases `email` from the workspace and keeps it from ever being mailed. Erasing an address
/// twice is harmless: the second finds nothing to remove.
pub async fn erase(
    store: &dyn Store,
    ws: WorkspaceId,
    email: &EmailAddress,
    now: DateTime<Utc>,
) -> Result<Erasure, ServiceError> {
    let salt = store
        .privacy_salt(ws, true)
        .await?
        .ok_or_else(|| StoreError::Invalid("the workspace has no privacy salt".into()))?;
    let value = erased_value(&salt, email);
    let removed = store.erase_subject(ws, email, &value, now).await?;
    tracing::info!(
        workspace = %ws,
        leads = removed.leads,
        enrolments = removed.enrolments,
        sends = removed.sends,
        events = removed.events,
        inbound_messages = removed.inbound_messages,
        "Address erased by a privacy request."
    );
    Ok(Erasure {
        suppressed_as: value,
        removed,
    })
}
