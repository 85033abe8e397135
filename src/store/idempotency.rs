//! The idempotency role: what a POST with an `Idempotency-Key` answered, so that a retry gets
//! the same answer and does nothing twice. A key belongs to one workspace and one route.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::WorkspaceId;

/// A request that claims a key: what identifies it beyond the key.
#[derive(Clone, Debug)]
pub struct IdempotentRequest<'a> {
    pub workspace: WorkspaceId,
    pub key: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    /// `None` when the body was too large to hash: the key alone then identifies it.
    pub sha256: Option<[u8; 32]>,
}

/// A stored answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// What claiming a key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key is ours: handle the request, then `finish` or `release` it.
    Claimed,
    /// The key answered this same request before.
    Answered(StoredAnswer),
    /// The same request is being handled right now.
    InProgress,
    /// The key was used with a different method, path or body.
    Mismatch,
}

#[async_trait]
pub trait Idempotency: Send + Sync + 'static {
    /// Claims `request.key`. A stored row created before `expired_before`, or still in
    /// progress since before `stale_before` (its daemon died), is replaced.
    async fn claim_key(
        &self,
        request: &IdempotentRequest<'_>,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<KeyClaim, StoreError>;

    /// Stores the answer of a claimed key.
    async fn finish_key(
        &self,
        request: &IdempotentRequest<'_>,
        answer: &StoredAnswer,
    ) -> Result<(), StoreError>;

    /// Gives a claimed key up (the request failed on our side): a retry handles it afresh.
    async fn release_key(&self, request: &IdempotentRequest<'_>) -> Result<(), StoreError>;

    /// Deletes every answer created before `before`; returns how many.
    async fn purge_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}
