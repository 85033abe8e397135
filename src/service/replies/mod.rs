//! Lead replies and their answers, for the CLI, the API and the drafting worker alike.
//!
//! A reply that stops a lead is kept by the poller; a model drafts an answer (`draft`) when
//! `[replies] enabled`; a person lists, reads, edits, approves or discards it here. Approving
//! hands the answer to its mailbox, which sends it once (see `actors::replies`). The rules of
//! which move is legal live in the store's conditional statements: a refused move is
//! [`ReplyError::Conflict`].

mod draft;
mod settings;

use chrono::Utc;

use super::ServiceError;
use crate::domain::{
    ANSWER_BODY_BYTES, LeadReply, LeadReplyId, REPLY_SUBJECT_BYTES, ReplyFilter, WorkspaceId,
};
use crate::store::{ReplyDecision, Store, StoreError};

pub use draft::{DRAFT_SCHEMA, draft, draft_request};
pub use settings::ReplySettings;

#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("reply {0} not found")]
    NotFound(LeadReplyId),
    /// The move is illegal in the answer's state (approving a sent answer, editing a
    /// discarded one).
    #[error("{0}")]
    Conflict(String),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The model could not draft (its error names why); the reply stays `pending`.
    #[error("drafting failed: {0}")]
    Draft(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl ReplyError {
    fn from_store(id: LeadReplyId, e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => Self::NotFound(id),
            StoreError::Conflict(m) => Self::Conflict(m),
            other => Self::Service(other.into()),
        }
    }
}

impl From<StoreError> for ReplyError {
    fn from(e: StoreError) -> Self {
        Self::Service(e.into())
    }
}

/// Replies of the workspace by id (oldest first), as `filter` says.
pub async fn list(
    store: &dyn Store,
    ws: WorkspaceId,
    filter: &ReplyFilter,
) -> Result<Vec<LeadReply>, ReplyError> {
    Ok(store.list_replies(ws, filter).await?)
}

pub async fn get(
    store: &dyn Store,
    ws: WorkspaceId,
    id: LeadReplyId,
) -> Result<LeadReply, ReplyError> {
    store
        .reply_by_id(ws, id)
        .await?
        .ok_or(ReplyError::NotFound(id))
}

/// A person's text for the answer (`pending` or `drafted` only); it is `drafted` after.
pub async fn edit(
    store: &dyn Store,
    ws: WorkspaceId,
    id: LeadReplyId,
    subject: &str,
    body: &str,
    by: &str,
) -> Result<LeadReply, ReplyError> {
    let (subject, body) = checked_answer(subject, body)?;
    store
        .edit_reply(ws, id, &subject, &body, by, Utc::now())
        .await
        .map_err(|e| ReplyError::from_store(id, e))?;
    get(store, ws, id).await
}

/// Approves a `drafted` answer: its mailbox sends it in the lead's thread.
pub async fn approve(
    store: &dyn Store,
    ws: WorkspaceId,
    id: LeadReplyId,
    by: &str,
) -> Result<LeadReply, ReplyError> {
    decide(store, ws, id, ReplyDecision::Approve, by).await
}

/// Discards an answer not yet sending.
pub async fn discard(
    store: &dyn Store,
    ws: WorkspaceId,
    id: LeadReplyId,
    by: &str,
) -> Result<LeadReply, ReplyError> {
    decide(store, ws, id, ReplyDecision::Discard, by).await
}

async fn decide(
    store: &dyn Store,
    ws: WorkspaceId,
    id: LeadReplyId,
    decision: ReplyDecision,
    by: &str,
) -> Result<LeadReply, ReplyError> {
    store
        .decide_reply(ws, id, decision, by, Utc::now())
        .await
        .map_err(|e| ReplyError::from_store(id, e))?;
    get(store, ws, id).await
}

/// A subject and body fit to send: trimmed, neither empty, within bounds, the subject on one
/// line (the SMTP builder refuses header injection anyway; this names the field).
pub(crate) fn checked_answer(subject: &str, body: &str) -> Result<(String, String), ReplyError> {
    let subject = subject.trim();
    let body = body.trim();
    let invalid = |field, message: &str| ReplyError::Invalid {
        field,
        message: message.to_owned(),
    };
    if subject.is_empty() {
        return Err(invalid("subject", "must not be empty"));
    }
    if subject.contains(['\r', '\n']) {
        return Err(invalid("subject", "must be one line"));
    }
    if subject.len() > REPLY_SUBJECT_BYTES {
        return Err(invalid("subject", "is too long (512 bytes at most)"));
    }
    if body.is_empty() {
        return Err(invalid("body", "must not be empty"));
    }
    if body.len() > ANSWER_BODY_BYTES {
        return Err(invalid("body", "is too long (16 KiB at most)"));
    }
    Ok((subject.to_owned(), body.to_owned()))
}
