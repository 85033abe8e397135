//! Users, memberships and tokens, written once for both backends as default methods of
//! [`AccessSql`].

use chrono::{DateTime, Utc};

use super::{Bound, Dialect};
use crate::domain::{
    EmailAddress, Member, Membership, NewToken, Role, TokenCandidate, TokenId, TokenInfo, User,
    UserId, WorkspaceId,
};
use crate::store::rows::parse;
use crate::store::{QueryContext, StoreError};

const TOKEN_COLUMNS: &str = "id, workspace_id, kind, name, role, prefix, user_id, created_at, \
    last_used_at, expires_at, revoked_at, token_sha256";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: UserId,
    email: String,
    password_hash: String,
    created_at: DateTime<Utc>,
}

impl UserRow {
    fn into_user(self) -> Result<(User, String), StoreError> {
        let email = parse::<EmailAddress>("users.email", &self.email)?;
        let user = User {
            id: self.id,
            email,
            created_at: self.created_at,
        };
        Ok((user, self.password_hash))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    user_id: UserId,
    email: String,
    role: String,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct MembershipRow {
    workspace_id: WorkspaceId,
    name: String,
    role: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    id: TokenId,
    workspace_id: WorkspaceId,
    kind: String,
    name: String,
    role: String,
    prefix: String,
    user_id: Option<UserId>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    token_sha256: Vec<u8>,
}

impl TokenRow {
    fn into_candidate(self) -> Result<TokenCandidate, StoreError> {
        Ok(TokenCandidate {
            info: TokenInfo {
                id: self.id,
                kind: parse("api_tokens.kind", &self.kind)?,
                name: self.name,
                role: parse("api_tokens.role", &self.role)?,
                prefix: self.prefix,
                user_id: self.user_id,
                created_at: self.created_at,
                last_used_at: self.last_used_at,
                expires_at: self.expires_at,
                revoked_at: self.revoked_at,
            },
            workspace_id: self.workspace_id,
            sha256: self.token_sha256,
        })
    }
}

/// Access statements over one connection of the backend `Self`.
pub(crate) trait AccessSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> UserRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> MembershipRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> MemberRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> TokenRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> UserId: Bound<'q, Self>,
    for<'q> Option<UserId>: Bound<'q, Self>,
    for<'q> TokenId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> &'static str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Vec<u8>: Bound<'q, Self>,
    for<'q> Option<Self::Time>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
{
    async fn create_user(
        conn: &mut Self::Connection,
        email: &EmailAddress,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let id = UserId::new();
        let inserted: Option<UserId> = sqlx::query_scalar(
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (email) DO NOTHING RETURNING id",
        )
        .bind(id)
        .bind(email.normalized())
        .bind(password_hash.to_owned())
        .bind(Self::time(now))
        .fetch_optional(conn)
        .await
        .ctx("create a user")?;
        match inserted {
            Some(id) => Ok(User {
                id,
                email: email.clone(),
                created_at: now,
            }),
            None => Err(StoreError::Conflict(format!(
                "a user with the email {email} exists already"
            ))),
        }
    }

    async fn user_by_email(
        conn: &mut Self::Connection,
        email: &EmailAddress,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, email, password_hash, created_at FROM users WHERE email = $1",
        )
        .bind(email.normalized())
        .fetch_optional(conn)
        .await
        .ctx("load a user")?;
        row.map(UserRow::into_user).transpose()
    }

    async fn set_membership(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        user: UserId,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(ws)
        .bind(user)
        .bind(role.as_str())
        .bind(Self::time(now))
        .execute(conn)
        .await
        .ctx("set a membership")?;
        Ok(())
    }

    async fn list_members(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
    ) -> Result<Vec<Member>, StoreError> {
        let rows: Vec<MemberRow> = sqlx::query_as(
            "SELECT m.user_id, u.email, m.role, m.created_at FROM workspace_members m \
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.email",
        )
        .bind(ws)
        .fetch_all(conn)
        .await
        .ctx("list members")?;
        rows.into_iter()
            .map(|r| {
                Ok(Member {
                    user_id: r.user_id,
                    email: parse("users.email", &r.email)?,
                    role: parse("workspace_members.role", &r.role)?,
                    created_at: r.created_at,
                })
            })
            .collect()
    }

    async fn remove_membership(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        user: UserId,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
                .bind(ws)
                .bind(user)
                .execute(conn)
                .await
                .ctx("remove a member")?;
        Ok(Self::rows_affected(&done) > 0)
    }

    async fn revoke_sessions(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 WHERE workspace_id = $1 AND user_id = $2 \
             AND kind = 'session' AND revoked_at IS NULL",
        )
        .bind(ws)
        .bind(user)
        .bind(Self::time(now))
        .execute(conn)
        .await
        .ctx("revoke sessions")?;
        Ok(())
    }

    async fn memberships(
        conn: &mut Self::Connection,
        user: UserId,
    ) -> Result<Vec<Membership>, StoreError> {
        let rows: Vec<MembershipRow> = sqlx::query_as(
            "SELECT m.workspace_id, w.name, m.role FROM workspace_members m \
             JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1 ORDER BY w.name",
        )
        .bind(user)
        .fetch_all(conn)
        .await
        .ctx("list memberships")?;
        rows.into_iter()
            .map(|r| {
                Ok(Membership {
                    workspace_id: r.workspace_id,
                    workspace: r.name,
                    role: parse("workspace_members.role", &r.role)?,
                })
            })
            .collect()
    }

    async fn insert_token(conn: &mut Self::Connection, t: &NewToken) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (id, workspace_id, kind, name, role, prefix, user_id, \
             created_at, expires_at, token_sha256) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(t.id)
        .bind(t.workspace_id)
        .bind(t.kind.as_str())
        .bind(t.name.clone())
        .bind(t.role.as_str())
        .bind(t.prefix.clone())
        .bind(t.user_id)
        .bind(Self::time(t.created_at))
        .bind(t.expires_at.map(Self::time))
        .bind(t.sha256.to_vec())
        .execute(conn)
        .await
        .ctx("store a token")?;
        Ok(())
    }

    async fn tokens_by_prefix(
        conn: &mut Self::Connection,
        prefix: &str,
    ) -> Result<Vec<TokenCandidate>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE prefix = $1"
        )))
        .bind(prefix.to_owned())
        .fetch_all(conn)
        .await
        .ctx("look up a token")?;
        rows.into_iter().map(TokenRow::into_candidate).collect()
    }

    async fn touch_token(
        conn: &mut Self::Connection,
        id: TokenId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(Self::time(now))
            .execute(conn)
            .await
            .ctx("record a token's use")?;
        Ok(())
    }

    async fn list_tokens(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
    ) -> Result<Vec<TokenInfo>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE workspace_id = $1 AND kind = 'api' \
             ORDER BY created_at DESC, id DESC"
        )))
        .bind(ws)
        .fetch_all(conn)
        .await
        .ctx("list tokens")?;
        rows.into_iter()
            .map(|r| r.into_candidate().map(|c| c.info))
            .collect()
    }

    async fn revoke_token(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: TokenId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 \
             WHERE id = $1 AND workspace_id = $2 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(ws)
        .bind(Self::time(now))
        .execute(conn)
        .await
        .ctx("revoke a token")?;
        Ok(Self::rows_affected(&done) > 0)
    }
}

impl AccessSql for sqlx::Postgres {}
impl AccessSql for sqlx::Sqlite {}
