//! Reports for people: what happened to a campaign's sends (Run Now's per-lead lines).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::{CampaignId, WorkspaceId};
use crate::store::{QueryContext, SendResult, StoreError};

pub(super) async fn send_results(
    pool: &PgPool,
    ws: WorkspaceId,
    campaign: CampaignId,
    since: DateTime<Utc>,
) -> Result<Vec<SendResult>, StoreError> {
    let rows: Vec<(String, i32, String, Option<String>)> = sqlx::query_as(
        "SELECT l.email, s.step_order, s.state, COALESCE(s.last_error, s.smtp_reply) \
         FROM email_sends s \
         JOIN campaign_leads cl ON cl.id = s.campaign_lead_id \
         JOIN leads l ON l.id = cl.lead_id \
         WHERE s.workspace_id = $1 AND s.campaign_id = $2 AND s.updated_at >= $3 \
         ORDER BY lower(l.email), s.step_order",
    )
    .bind(ws)
    .bind(campaign)
    .bind(since)
    .fetch_all(pool)
    .await
    .ctx("list a campaign's recent sends")?;
    rows.into_iter()
        .map(super::super::rows::send_result)
        .collect()
}
