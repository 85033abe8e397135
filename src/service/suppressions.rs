//! The suppression list as operators edit it: adding an address or a domain (one, or many at
//! once), and removing an entry.
//!
//! Adding goes through `Suppressions::add_suppression`, which also stops every active
//! enrolment the entry matches. Removing an entry only lets the address be enrolled and mailed
//! again from then on: leads it stopped stay stopped (their enrolments say `unsubscribed`), and
//! a lead that unsubscribed itself stays unsubscribed. An entry left by a privacy erasure
//! cannot be removed here: it is the record that the address must never be mailed.

use super::ServiceError;
use crate::domain::{EmailAddress, Suppression, SuppressionId, WorkspaceId};
use crate::store::{Store, StoreError};

/// The reason stored when none is given.
pub const DEFAULT_REASON: &str = "added by an operator";
/// Values per bulk request.
pub const MAX_BULK: usize = 10_000;
/// The longest reason kept.
pub const MAX_REASON: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum SuppressionError {
    #[error("{0}")]
    Invalid(String),
    #[error(
        "suppression {0} records a privacy erasure; it cannot be removed, so the address is never mailed again"
    )]
    Erased(SuppressionId),
    #[error("suppression {0} not found")]
    NotFound(SuppressionId),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for SuppressionError {
    fn from(e: StoreError) -> Self {
        Self::Service(e.into())
    }
}

/// The stored form of `value`: a lower-cased address, or a lower-cased domain (`example.com`,
/// which suppresses every address there). The message names the defect.
pub fn normalize(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.contains('@') {
        return EmailAddress::parse(value)
            .map(|e| e.normalized())
            .map_err(|e| e.to_string());
    }
    // A domain is valid when an address at it would be.
    match EmailAddress::parse(&format!("x@{value}")) {
        Ok(e) if !value.is_empty() => Ok(e.domain()),
        _ => Err(format!(
            "{value:?} is neither an email address nor a domain such as example.com"
        )),
    }
}

/// The reason to store: `reason` trimmed, or [`DEFAULT_REASON`].
pub fn reason(reason: Option<&str>) -> Result<String, SuppressionError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        Some(r) if r.chars().count() > MAX_REASON => Err(SuppressionError::Invalid(format!(
            "the reason is longer than {MAX_REASON} characters"
        ))),
        Some(r) => Ok(r.to_owned()),
        None => Ok(DEFAULT_REASON.to_owned()),
    }
}

/// Suppresses `value` (an address or a domain) and stops the active enrolments it matches.
/// Returns the entry and whether it is new (an existing entry keeps its reason).
pub async fn add(
    store: &dyn Store,
    ws: WorkspaceId,
    value: &str,
    why: Option<&str>,
) -> Result<(Suppression, bool), SuppressionError> {
    let value = normalize(value).map_err(SuppressionError::Invalid)?;
    let why = reason(why)?;
    if let Some(existing) = store.suppression_by_value(ws, &value).await? {
        return Ok((existing, false));
    }
    store.add_suppression(ws, &value, &why).await?;
    let entry = store
        .suppression_by_value(ws, &value)
        .await?
        .ok_or_else(|| StoreError::not_found("suppression", value.clone()))?;
    Ok((entry, true))
}

/// One value a bulk add refused, by its position in the request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Rejected {
    pub index: usize,
    pub value: String,
    pub message: String,
}

/// What a bulk add did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct BulkOutcome {
    /// New entries.
    pub added: u64,
    /// Values suppressed already (or repeated in the request).
    pub existing: u64,
    /// Values that are neither an address nor a domain; nothing else was refused for them.
    pub rejected: Vec<Rejected>,
}

/// Suppresses every valid value of `values` with one reason; invalid ones are reported by
/// index and the rest still go in. At most [`MAX_BULK`] values.
pub async fn add_many(
    store: &dyn Store,
    ws: WorkspaceId,
    values: &[String],
    why: Option<&str>,
) -> Result<BulkOutcome, SuppressionError> {
    if values.len() > MAX_BULK {
        return Err(SuppressionError::Invalid(format!(
            "{} values; a request holds at most {MAX_BULK}",
            values.len()
        )));
    }
    let why = reason(why)?;
    let mut out = BulkOutcome::default();
    let mut wanted: Vec<String> = Vec::with_capacity(values.len());
    let mut seen = std::collections::HashSet::new();
    for (index, raw) in values.iter().enumerate() {
        match normalize(raw) {
            Ok(v) if seen.insert(v.clone()) => wanted.push(v),
            Ok(_) => out.existing += 1,
            Err(message) => out.rejected.push(Rejected {
                index,
                value: raw.clone(),
                message,
            }),
        }
    }
    let added = store.add_suppressions(ws, &wanted, &why).await?;
    out.added = added.len() as u64;
    out.existing += (wanted.len() - added.len()) as u64;
    Ok(out)
}

/// Removes an entry. Leads it stopped stay stopped; see the module's notes.
pub async fn remove(
    store: &dyn Store,
    ws: WorkspaceId,
    id: SuppressionId,
) -> Result<Suppression, SuppressionError> {
    let entry = store
        .suppression_by_id(ws, id)
        .await?
        .ok_or(SuppressionError::NotFound(id))?;
    if entry.erased {
        return Err(SuppressionError::Erased(id));
    }
    if !store.remove_suppression(ws, id).await? {
        return Err(SuppressionError::NotFound(id));
    }
    tracing::info!(suppression = %id, kind = entry.kind.as_str(), "Suppression removed by an operator.");
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_lower_cased_addresses_or_domains() {
        assert_eq!(normalize(" Ann@Example.COM ").unwrap(), "ann@example.com");
        assert_eq!(normalize("Competitor.IO").unwrap(), "competitor.io");
        for bad in [
            "",
            "not a domain",
            "localhost",
            "a@b",
            "sha256:00ff",
            "x@@y.com",
        ] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_empty_reason_becomes_the_default_and_a_long_one_is_refused() {
        assert_eq!(reason(Some("  ")).unwrap(), DEFAULT_REASON);
        assert_eq!(reason(Some(" asked ")).unwrap(), "asked");
        assert!(reason(Some(&"x".repeat(MAX_REASON + 1))).is_err());
    }
}
