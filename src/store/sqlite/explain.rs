//! Read-only lookups for operations: one campaign lead's row (`outreachd explain`) and the
//! latest change to a running campaign (the supervisor's reload trigger).

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteConnection;

use crate::domain::{CampaignId, LeadId, MailboxId, WorkspaceId};
use crate::store::{EnrolmentState, QueryContext, StoreError};

type Row = (
    String,
    Option<String>,
    Option<MailboxId>,
    i64,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

pub(super) async fn enrolment_state(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    campaign: CampaignId,
    lead: LeadId,
) -> Result<Option<EnrolmentState>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT status, stop_reason, mailbox_id, current_step_order, next_scheduled_at, \
             lease_expires_at \
         FROM campaign_leads WHERE workspace_id = ? AND campaign_id = ? AND lead_id = ?",
    )
    .bind(ws)
    .bind(campaign)
    .bind(lead)
    .fetch_optional(conn)
    .await
    .ctx("read a campaign lead")?;
    row.map(into_state).transpose()
}

fn into_state(row: Row) -> Result<EnrolmentState, StoreError> {
    let (status, stop_reason, mailbox_id, step, next, lease) = row;
    Ok(EnrolmentState {
        status: status
            .parse()
            .map_err(|e: crate::domain::StatusParseError| StoreError::Corrupt {
                column: "campaign_leads.status",
                detail: e.to_string(),
            })?,
        stop_reason,
        mailbox_id,
        current_step_order: u32::try_from(step).unwrap_or(1),
        next_scheduled_at: next,
        lease_expires_at: lease,
    })
}

/// `max(updated_at)` of running campaigns; the text is fixed-width RFC 3339 (see `ts`).
pub(super) async fn campaigns_changed_at(
    conn: &mut SqliteConnection,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let latest: Option<String> =
        sqlx::query_scalar("SELECT max(updated_at) FROM campaigns WHERE status = 'running'")
            .fetch_one(conn)
            .await
            .ctx("read when campaigns last changed")?;
    latest
        .map(|t| {
            DateTime::parse_from_rfc3339(&t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| StoreError::Corrupt {
                    column: "campaigns.updated_at",
                    detail: e.to_string(),
                })
        })
        .transpose()
}
