//! The reports role on PostgreSQL: the shared statements of
//! `store::sql::reads` and `store::sql::summary`.

use crate::store::sql::reads::Reads;
use crate::store::sql::summary::SummarySql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PgStore;
use crate::domain::{
    CampaignId, EnrolmentState, LeadId, SendResult, WorkspaceId, WorkspaceSummary,
};
use crate::store::{Reports, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

#[async_trait]
impl Reports for PgStore {
    async fn workspace_summary(
        &self,
        ws: WorkspaceId,
        now: DateTime<Utc>,
    ) -> Result<WorkspaceSummary, StoreError> {
        <Sql as SummarySql>::workspace_summary(&mut *self.read().await?, ws, now).await
    }

    async fn send_results(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        since: DateTime<Utc>,
    ) -> Result<Vec<SendResult>, StoreError> {
        Sql::send_results(&mut *self.read().await?, ws, campaign, since).await
    }

    async fn enrolment_state(
        &self,
        ws: WorkspaceId,
        campaign: CampaignId,
        lead: LeadId,
    ) -> Result<Option<EnrolmentState>, StoreError> {
        Sql::enrolment_state(&mut *self.read().await?, ws, campaign, lead).await
    }

    async fn due_backlog(&self, now: DateTime<Utc>, cap: u32) -> Result<u64, StoreError> {
        Sql::due_backlog(&mut *self.read().await?, now, cap).await
    }
}
