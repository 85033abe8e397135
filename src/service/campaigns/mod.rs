//! Campaigns as the API and the CLI change them: definitions checked by the same rules as apply
//! files ([`rules`], [`definition`]), status moves ([`status`]), enrolment ([`enrolment`]),
//! Run Now with its report ([`run_now`]) and previews of the next message ([`preview`]).
//!
//! Errors are a [`CampaignError`], which says whether the caller asked for something that does
//! not exist, sent fields that break a rule (each named, `steps[1].body`), or asked for a move
//! the campaign's state forbids.

pub mod definition;
pub mod enrolment;
pub mod preview;
pub mod rules;
pub mod run_now;
pub mod status;

use crate::content::ContentError;
use crate::store::StoreError;

/// One field at fault, named as the API names it (`name`, `steps[1].delay`, `lead_ids[3]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("{kind} {name} not found")]
    NotFound { kind: &'static str, name: String },
    /// Fields that break the rules; nothing was written.
    #[error("invalid campaign fields: {}", summary(.0))]
    Invalid(Vec<FieldProblem>),
    /// The campaign's (or the lead's) state forbids what was asked.
    #[error("{0}")]
    Conflict(String),
    /// The step's templates cannot be written for this lead (a field it lacks, say).
    #[error("{0}")]
    Unwritable(String),
    /// The content provider failed; trying again later may work.
    #[error("the content provider failed: {0}")]
    Provider(ContentError),
    #[error(transparent)]
    Store(StoreError),
}

impl CampaignError {
    pub fn not_found(kind: &'static str, name: impl ToString) -> Self {
        Self::NotFound {
            kind,
            name: name.to_string(),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldProblem::new(field, message)])
    }
}

fn summary(problems: &[FieldProblem]) -> String {
    let all: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect();
    all.join("; ")
}

impl From<StoreError> for CampaignError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { kind, name } => Self::NotFound { kind, name },
            StoreError::Conflict(detail) => Self::Conflict(detail),
            other => Self::Store(other),
        }
    }
}
