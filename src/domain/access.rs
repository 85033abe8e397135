//! Who may call the HTTP API: users with a role in workspaces, and bearer tokens (API tokens for
//! machines, sessions for people). A token belongs to exactly one workspace, with one role.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{EmailAddress, Role, TokenId, TokenKind, UserId, WorkspaceId};

/// A person who signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: EmailAddress,
    pub created_at: DateTime<Utc>,
}

/// A user's place in one workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub workspace_id: WorkspaceId,
    pub workspace: String,
    pub role: Role,
}

/// A user as a workspace's admins see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user_id: UserId,
    pub email: EmailAddress,
    pub role: Role,
    /// When they joined the workspace.
    pub created_at: DateTime<Utc>,
}

/// A token as its owners see it: never its secret nor its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: TokenId,
    pub kind: TokenKind,
    pub name: String,
    pub role: Role,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    pub user_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token to store: its SHA-256, never the secret.
#[derive(Clone, Debug)]
pub struct NewToken {
    pub id: TokenId,
    pub workspace_id: WorkspaceId,
    pub kind: TokenKind,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub sha256: [u8; 32],
    pub user_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A stored token found by its prefix, with what authentication compares and checks.
#[derive(Clone, Debug)]
pub struct TokenCandidate {
    pub info: TokenInfo,
    pub workspace_id: WorkspaceId,
    pub sha256: Vec<u8>,
}

/// Who is calling: the workspace every request is scoped to and what the caller may do there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    pub workspace: WorkspaceId,
    pub role: Role,
    pub token: TokenId,
    pub kind: TokenKind,
    pub user: Option<UserId>,
}
