//! `CatalogError`: why a mailbox or product edit was refused. The API turns each kind into its
//! status (422 with the fields, 404, 409); the messages name the defect, never a secret.

use crate::domain::rules::SpecProblem;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Fields that break a rule, each under its key (`smtp.port`, `min_gap`).
    #[error("invalid fields: {}", .0.iter().map(|p| p.key.as_str()).collect::<Vec<_>>().join(", "))]
    Invalid(Vec<SpecProblem>),
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    /// The edit conflicts with what exists (a taken name, a mailbox campaigns still use).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

impl CatalogError {
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![SpecProblem {
            key: key.into(),
            message: message.into(),
        }])
    }
}

impl From<StoreError> for CatalogError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(detail) => Self::Conflict(detail),
            other => Self::Store(other),
        }
    }
}

/// "campaigns \"Spring\" and \"Autumn\"", for a refusal that names who still needs a thing.
pub fn campaign_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    match quoted.as_slice() {
        [one] => format!("campaign {one}"),
        [init @ .., last] => format!("campaigns {} and {last}", init.join(", ")),
        [] => "no campaign".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaigns_are_listed_in_a_sentence() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(campaign_list(&names(&["A"])), "campaign \"A\"");
        assert_eq!(
            campaign_list(&names(&["A", "B", "C"])),
            "campaigns \"A\", \"B\" and \"C\""
        );
    }
}
