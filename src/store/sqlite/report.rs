//! The reports role on SQLite: the shared statements of `store::sql::reports`, and the
//! workspace summary of `summary`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{SqliteStore, summary, ts};
use crate::domain::{
    CampaignId, EnrolmentState, LeadId, SendResult, WorkspaceId, WorkspaceSummary,
};
use crate::store::rows::{EnrolmentRow, enrolment_state, send_result};
use crate::store::sql::reports as sql;
use crate::store::{QueryContext, Reports, StoreError};

#[async_trait]
impl Reports for SqliteStore {
    async fn workspace_summary(
        &self,
        ws: WorkspaceId,
        now: DateTime<Utc>,
    ) -> Result<WorkspaceSummary, StoreError> {
        summary::workspace_summary(&mut *self.snapshot().await?, ws, now).await
    }

    async fn send_results(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        since: DateTime<Utc>,
    ) -> Result<Vec<SendResult>, StoreError> {
        let rows: Vec<(String, i32, String, Option<String>)> = sqlx::query_as(sql::SEND_RESULTS)
            .bind(ws)
            .bind(campaign)
            .bind(ts(since))
            .fetch_all(&mut *self.read().await?)
            .await
            .ctx("list a campaign's recent sends")?;
        rows.into_iter().map(send_result).collect()
    }

    async fn enrolment_state(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        lead: LeadId,
    ) -> Result<Option<EnrolmentState>, StoreError> {
        let row: Option<EnrolmentRow<i64>> = sqlx::query_as(sql::ENROLMENT)
            .bind(ws)
            .bind(campaign)
            .bind(lead)
            .fetch_optional(&mut *self.read().await?)
            .await
            .ctx("read a campaign lead")?;
        row.map(enrolment_state).transpose()
    }

    async fn due_backlog(&self, now: DateTime<Utc>, cap: u32) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(sql::DUE_BACKLOG)
            .bind(ts(now))
            .bind(i64::from(cap))
            .fetch_one(&mut *self.read().await?)
            .await
            .ctx("count the due backlog")?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
