//! Unsubscribe by send: the lead a message went to stops receiving mail from the workspace.

use chrono::{DateTime, Utc};

use super::{SqliteStore, suppressions, ts};
use crate::domain::{SendId, WorkspaceId};
use crate::store::{QueryContext, StoreError};

pub(super) async fn by_send(
    s: &SqliteStore,
    send: SendId,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    let mut tx = s.begin_write().await?;
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
    suppressions::add(s, ws, &email, "unsubscribe link").await?;
    Ok(Some(email))
}
