//! The replies role: lead replies kept by the poller (`Inbound::record_inbound`), the answers
//! drafted for them, a person's decisions, and the fenced sending of approved answers. Methods a
//! person reaches are scoped by `WorkspaceId`; the drafting worker and the mailbox actors work
//! across workspaces by id.
//!
//! Every move is one conditional statement on `status`, so two decisions never both win: a
//! move from the wrong state is `StoreError::Conflict`, an id of another workspace `NotFound`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

/// What a person decides about an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyDecision {
    /// `drafted` -> `approved`.
    Approve,
    /// `pending | drafted | approved` -> `discarded`.
    Discard,
}

#[async_trait]
pub trait Replies: Send + Sync + 'static {
    /// Replies matching `filter`, by id, at most `filter.limit`.
    async fn list_replies(
        &self,
        ws: WorkspaceId,
        filter: &ReplyFilter,
    ) -> Result<Vec<LeadReply>, StoreError>;

    async fn reply_by_id(
        &self,
        ws: WorkspaceId,
        id: LeadReplyId,
    ) -> Result<Option<LeadReply>, StoreError>;

    /// Replies still `pending` (oldest first, at most `limit`): what the drafting worker sweeps.
    async fn pending_replies(&self, limit: u32) -> Result<Vec<LeadReplyId>, StoreError>;

    /// What drafting the answer to `id` reads; `None` when the reply is gone.
    async fn draft_inputs(&self, id: LeadReplyId) -> Result<Option<DraftInputs>, StoreError>;

    /// Stores a model's draft of a `pending` reply (`drafted`, or `approved` by `auto` when its
    /// campaign has `auto_send_replies`); `false` when the reply was no longer `pending` (a
    /// person wrote or discarded the answer meanwhile).
    #[allow(clippy::too_many_arguments)]
    async fn save_draft(
        &self,
        id: LeadReplyId,
        subject: &str,
        body: &str,
        provider: &str,
        model: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Notes why drafting a `pending` reply failed; it stays `pending`.
    async fn draft_failed(
        &self,
        id: LeadReplyId,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// A person's answer text for a `pending` or `drafted` reply (it becomes `drafted`).
    #[allow(clippy::too_many_arguments)]
    async fn edit_reply(
        &self,
        ws: WorkspaceId,
        id: LeadReplyId,
        subject: &str,
        body: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Approves or discards (see [`ReplyDecision`]).
    async fn decide_reply(
        &self,
        ws: WorkspaceId,
        id: LeadReplyId,
        decision: ReplyDecision,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Claims up to `limit` `approved` answers free to go at `now`, holding them until `hold`
    /// (a claim that is never marked is free again then), with what sending them needs.
    async fn claim_reply_sends(
        &self,
        now: DateTime<Utc>,
        hold: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ReplySendJob>, StoreError>;

    /// Holds an `approved` answer back until `until` (a cap, a cooldown of its mailbox).
    async fn hold_reply_send(
        &self,
        id: LeadReplyId,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Just before SMTP: `approved` -> `sending` with its Message-ID, fenced by `token` until
    /// `lease_until`. `false` when it was no longer `approved` (discarded, or marked already):
    /// then it must not be sent.
    async fn mark_reply_sending(
        &self,
        id: LeadReplyId,
        token: uuid::Uuid,
        message_id: &str,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records how sending ended, fenced by `token`; a send that reached the server counts on
    /// its mailbox's day in the same transaction. `false` when the lease was lost.
    async fn complete_reply_send(
        &self,
        id: LeadReplyId,
        token: uuid::Uuid,
        outcome: &ReplySendOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// `sending` answers whose lease ran out become `unknown` (never sent again
    /// automatically). Returns how many.
    async fn expire_reply_sends(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}
