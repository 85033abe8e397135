//! Unsubscribe by send: the lead a message went to stops receiving mail from the workspace.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::suppressions;
use crate::domain::{SendId, WorkspaceId};
use crate::store::{QueryContext, StoreError};

pub(super) async fn by_send(
    pool: &PgPool,
    send: SendId,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
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
    suppressions::add(pool, ws, &email, "unsubscribe link").await?;
    Ok(Some(email))
}
