//! Suppressions: addresses and whole domains that must never be mailed. Values are stored
//! lower-cased (by Rust, so non-ASCII letters fold too); an address matches its own entry or its
//! domain's.
//!
//! Adding one also stops every active campaign lead of the workspace it matches (status
//! `unsubscribed`, stop reason `suppressed: <reason>`), in the same transaction, so a suppressed
//! lead never stays due; claims check suppressions too, for rows enrolled before it existed.

use super::*;
use crate::store::Suppressions;
use async_trait::async_trait;
use chrono::Utc;
use sqlx::sqlite::SqliteConnection;

use super::{SqliteStore, id_list, ts};
use crate::domain::{CampaignLeadId, EmailAddress, WorkspaceId};
use crate::store::sql::privacy::PrivacySql;
use crate::store::{QueryContext, StoreError};

/// `email` for values with an '@', else `domain`.
pub(super) fn kind_of(value: &str) -> &'static str {
    if value.contains('@') {
        "email"
    } else {
        "domain"
    }
}

pub(super) async fn add(
    s: &SqliteStore,
    ws: WorkspaceId,
    value: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let value = value.trim().to_lowercase();
    if value.is_empty() {
        return Err(StoreError::Conflict(
            "a suppression needs an address or a domain".into(),
        ));
    }
    let now = ts(Utc::now());
    let mut tx = s.begin_write().await?;
    <sqlx::Sqlite as crate::store::sql::reads::Reads>::ensure_workspace(tx.conn(), ws).await?;
    sqlx::query(
        "INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, kind, value) DO NOTHING",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(ws)
    .bind(kind_of(&value))
    .bind(value.clone())
    .bind(reason.to_owned())
    .bind(now.clone())
    .execute(tx.conn())
    .await
    .ctx("add the suppression")?;
    let matched = active_matches(tx.conn(), ws, &value).await?;
    if !matched.is_empty() {
        sqlx::query(
            "UPDATE campaign_leads SET status = 'unsubscribed', stop_reason = 'suppressed: ' || ?1, \
                 next_scheduled_at = NULL, updated_at = ?2 \
             WHERE id IN (SELECT unhex(value) FROM json_each(?3))",
        )
        .bind(reason.to_owned())
        .bind(now)
        .bind(id_list(matched.into_iter().map(|id| id.0)))
        .execute(tx.conn())
        .await
        .ctx("stop the suppressed leads")?;
    }
    tx.commit().await
}

/// The workspace's active campaign leads whose lead `value` (lower-cased) suppresses, matched
/// in Rust as `is_suppressed` matches. SQL narrows the candidates first where its ASCII-only
/// `lower()` agrees with Rust, i.e. for an ASCII value (an address through the
/// `(workspace_id, lower(email))` index); other values check every active lead of the workspace.
async fn active_matches(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    value: &str,
) -> Result<Vec<CampaignLeadId>, StoreError> {
    const ACTIVE: &str = "SELECT cl.id, l.email FROM leads l \
        JOIN campaign_leads cl ON cl.lead_id = l.id \
        WHERE l.workspace_id = ?1 AND cl.status = 'active'";
    let is_email = kind_of(value) == "email";
    let narrowed = match (is_email, value.is_ascii()) {
        (true, true) => Some(" AND lower(l.email) = ?2"),
        (false, true) => Some(" AND substr(lower(l.email), instr(l.email, '@') + 1) = ?2"),
        _ => None,
    };
    let sql = format!("{ACTIVE}{}", narrowed.unwrap_or_default());
    let mut q = sqlx::query_as::<_, (CampaignLeadId, String)>(sqlx::AssertSqlSafe(sql)).bind(ws);
    if narrowed.is_some() {
        q = q.bind(value.to_owned());
    }
    let candidates = q.fetch_all(conn).await.ctx("find the leads to suppress")?;
    Ok(candidates
        .into_iter()
        .filter(|(_, email)| {
            let email = email.to_lowercase();
            if is_email {
                email == value
            } else {
                email
                    .rsplit_once('@')
                    .is_some_and(|(_, domain)| domain == value)
            }
        })
        .map(|(id, _)| id)
        .collect())
}

#[async_trait]
impl Suppressions for SqliteStore {
    async fn add_suppression(
        &self,
        ws: WorkspaceId,
        value: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        add(self, ws, value, reason).await
    }

    async fn unsubscribe_by_send(
        &self,
        send: crate::domain::SendId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.begin_write().await?;
        let found: Option<(WorkspaceId, String)> = sqlx::query_as(
            "UPDATE leads SET unsubscribed_at = COALESCE(unsubscribed_at, ?2), updated_at = ?2 \
         WHERE id = (SELECT cl.lead_id FROM email_sends es \
                     JOIN campaign_leads cl ON cl.id = es.campaign_lead_id WHERE es.id = ?1) \
         RETURNING workspace_id, email",
        )
        .bind(send)
        .bind(ts(now))
        .fetch_optional(tx.conn())
        .await
        .ctx("unsubscribe the lead of a send")?;
        tx.commit().await?;
        let Some((ws, email)) = found else {
            return Ok(None);
        };
        add(self, ws, &email, "unsubscribe link").await?;
        Ok(Some(email))
    }

    async fn is_suppressed(
        &self,
        ws: WorkspaceId,
        email: &EmailAddress,
    ) -> Result<bool, StoreError> {
        let mut pooled = self.read().await?;
        let conn = &mut *pooled;
        let hit: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM suppressions WHERE workspace_id = ? \
         AND ((kind = 'email' AND value = ?) OR (kind = 'domain' AND value = ?)) LIMIT 1",
        )
        .bind(ws)
        .bind(email.normalized())
        .bind(email.domain())
        .fetch_optional(&mut *conn)
        .await
        .ctx("check suppressions")?;
        // An erased address is listed only as its salted hash.
        Ok(hit.is_some()
            || !sqlx::Sqlite::erased_among(conn, ws, &[email])
                .await?
                .is_empty())
    }
}
