//! The import jobs role: the state of CSV imports the API runs in the background.
//!
//! The runner (`service::imports`) writes a job's life: queued, running with a heartbeat and the
//! rows read so far, then its outcome. A job whose heartbeat stopped lost its daemon and is
//! failed by [`ImportJobs::fail_stale_import_jobs`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

#[async_trait]
pub trait ImportJobs: Send + Sync + 'static {
    /// Records a queued job (its heartbeat starts at `created_at`).
    async fn create_import_job(&self, job: &NewImportJob) -> Result<(), StoreError>;

    async fn import_job(
        &self,
        ws: WorkspaceId,
        id: ImportJobId,
    ) -> Result<Option<ImportJob>, StoreError>;

    /// The job runs from `now`.
    async fn start_import_job(
        &self,
        ws: WorkspaceId,
        id: ImportJobId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// A sign of life from the job's runner, with the rows read so far.
    async fn beat_import_job(
        &self,
        ws: WorkspaceId,
        id: ImportJobId,
        rows_read: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Records how the job ended. Written whatever the stored status: a job a sweep wrongly
    /// took for dead gets its real outcome.
    async fn finish_import_job(
        &self,
        ws: WorkspaceId,
        id: ImportJobId,
        outcome: &ImportOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Fails every queued or running job (of `ws`, or of every workspace) whose heartbeat is
    /// older than `beat_before`, with `reason` as its error. Returns how many it failed.
    async fn fail_stale_import_jobs(
        &self,
        ws: Option<WorkspaceId>,
        beat_before: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}
