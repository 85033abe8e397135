//! The access role: users, their memberships in workspaces, and bearer tokens (API tokens and
//! login sessions). Only a token's SHA-256 is stored; authentication finds candidates by the
//! token's visible prefix and compares hashes itself (see `service::access`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

#[async_trait]
pub trait Access: Send + Sync + 'static {
    /// Creates a user (the email lower-cased); `Conflict` when the email is taken.
    async fn create_user(
        &self,
        email: &EmailAddress,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError>;

    /// The user and the stored password hash (PHC string).
    async fn user_by_email(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<(User, String)>, StoreError>;

    /// Gives the user `role` in the workspace (replacing any role they had there).
    async fn set_membership(
        &self,
        ws: WorkspaceId,
        user: UserId,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The workspace's members by email.
    async fn list_members(&self, ws: WorkspaceId) -> Result<Vec<Member>, StoreError>;

    /// Removes the user from the workspace and revokes their sessions there; `false` when they
    /// were not a member.
    async fn remove_membership(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Revokes the user's sessions in the workspace (their role changed: a session carries the
    /// role it was made with).
    async fn revoke_sessions(
        &self,
        ws: WorkspaceId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The workspaces the user belongs to, by name.
    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>, StoreError>;

    async fn insert_token(&self, token: &NewToken) -> Result<(), StoreError>;

    /// Every token (revoked and expired too) whose prefix is `prefix`.
    async fn tokens_by_prefix(&self, prefix: &str) -> Result<Vec<TokenCandidate>, StoreError>;

    /// Records a use of the token.
    async fn touch_token(&self, id: TokenId, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// The workspace's API tokens (not sessions), newest first.
    async fn list_tokens(&self, ws: WorkspaceId) -> Result<Vec<TokenInfo>, StoreError>;

    /// Revokes a token of the workspace; `false` when there is none (or it was revoked).
    async fn revoke_token(
        &self,
        ws: WorkspaceId,
        id: TokenId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
