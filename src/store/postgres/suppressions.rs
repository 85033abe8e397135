//! Suppressions: addresses and whole domains that must never be mailed. Values are stored
//! lower-cased, so matching is case-insensitive; the domain is the part after the last '@'.
//!
//! Adding one also stops every active campaign lead of the workspace it matches (status
//! `unsubscribed`, stop reason `suppressed: <reason>`), in the same statement, so a suppressed
//! lead never stays due; claims check suppressions too, for rows enrolled before it existed.

use super::*;
use crate::store::Suppressions;
use async_trait::async_trait;
use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::{EmailAddress, WorkspaceId};
use crate::store::deadlock::retrying;
use crate::store::sql::privacy::PrivacySql;
use crate::store::{QueryContext, StoreError};

/// `'email'` or `'domain'`, and the lower-cased value to store.
fn classify(value: &str) -> (&'static str, String) {
    let value = value.trim().to_lowercase();
    if value.contains('@') {
        ("email", value)
    } else {
        ("domain", value)
    }
}

pub(super) async fn add(
    pool: &PgPool,
    ws: WorkspaceId,
    value: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let (kind, value) = classify(value);
    if value.is_empty() {
        return Err(StoreError::Conflict(
            "cannot suppress an empty address or domain".into(),
        ));
    }
    let sql = if kind == "email" {
        SUPPRESS_EMAIL
    } else {
        SUPPRESS_DOMAIN
    };
    let (value, now) = (value.as_str(), Utc::now());
    retrying(|| async move {
        sqlx::query(sql)
            .bind(Uuid::now_v7())
            .bind(ws)
            .bind(kind)
            .bind(value)
            .bind(reason)
            .bind(now)
            .execute(pool)
            .await
            .ctx("add a suppression")
    })
    .await?;
    Ok(())
}

/// Inserts the suppression ($1 id, $2 workspace, $3 kind, $4 value, $5 reason, $6 now) and
/// stops the active campaign leads it matches; `{match}` is the lead condition.
macro_rules! suppress_sql {
    ($match:literal) => {
        concat!(
            "WITH added AS ( \
                 INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (workspace_id, kind, value) DO NOTHING) \
             UPDATE campaign_leads cl SET status = 'unsubscribed', \
                 stop_reason = 'suppressed: ' || $5, next_scheduled_at = NULL, updated_at = $6 \
             FROM leads l WHERE l.id = cl.lead_id AND l.workspace_id = $2 \
                 AND cl.workspace_id = $2 AND cl.status = 'active' AND ",
            $match
        )
    };
}

/// Served by the `(workspace_id, lower(email))` index.
const SUPPRESS_EMAIL: &str = suppress_sql!("lower(l.email) = $4");
/// Reads the workspace's leads: a domain cannot use the email index (a rare, manual action).
const SUPPRESS_DOMAIN: &str = suppress_sql!("split_part(lower(l.email), '@', -1) = $4");

#[async_trait]
impl Suppressions for PgStore {
    async fn add_suppression(
        &self,
        ws: WorkspaceId,
        value: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        add(&self.pool, ws, value, reason).await
    }

    async fn unsubscribe_by_send(
        &self,
        send: crate::domain::SendId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let pool = &self.pool;
        let found: Option<(WorkspaceId, String)> = sqlx::query_as(
            "UPDATE leads l SET unsubscribed_at = COALESCE(l.unsubscribed_at, $2), updated_at = $2 \
         FROM email_sends s JOIN campaign_leads cl ON cl.id = s.campaign_lead_id \
         WHERE s.id = $1 AND l.id = cl.lead_id AND l.workspace_id = s.workspace_id \
         RETURNING l.workspace_id, l.email",
        )
        .bind(send)
        .bind(now)
        .fetch_optional(pool)
        .await
        .ctx("unsubscribe the lead of a send")?;
        let Some((ws, email)) = found else {
            return Ok(None);
        };
        add(pool, ws, &email, "unsubscribe link").await?;
        Ok(Some(email))
    }

    async fn is_suppressed(
        &self,
        ws: WorkspaceId,
        email: &EmailAddress,
    ) -> Result<bool, StoreError> {
        let mut conn = self.read().await?;
        let listed: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM suppressions WHERE workspace_id = $1 AND \
         ((kind = 'email' AND value = $2) OR (kind = 'domain' AND value = $3)))",
        )
        .bind(ws)
        .bind(email.normalized())
        .bind(email.domain())
        .fetch_one(&mut *conn)
        .await
        .ctx("check suppressions")?;
        // An erased address is listed only as its salted hash.
        Ok(listed
            || !sqlx::Postgres::erased_among(&mut conn, ws, &[email])
                .await?
                .is_empty())
    }
}
