//! Import jobs, written once for both backends as default methods of [`ImportJobsSql`].
//!
//! Counts are `bigint` (`INTEGER` on SQLite) and read back as `i64`; the rejected rows are one
//! JSON array (a job keeps at most the first thousand or so, see `service::imports`).

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Bound, Dialect};
use crate::domain::{
    CampaignId, EnrollOutcome, ImportCounts, ImportJob, ImportJobId, ImportOutcome, ImportStatus,
    MappingProposal, NewImportJob, RejectedRow, WorkspaceId,
};
use crate::store::rows::parse;
use crate::store::{QueryContext, StoreError};

const JOB_COLUMNS: &str = "id, workspace_id, campaign_id, file_name, size_bytes, status, error, \
    rows_read, imported, already_existed, invalid, duplicates_in_file, enrolled, \
    already_enrolled, suppressed, rejected, rejected_total, created_at, started_at, finished_at, \
    heartbeat_at, mapping_proposal";

#[derive(sqlx::FromRow)]
pub(crate) struct ImportJobRow {
    id: ImportJobId,
    workspace_id: WorkspaceId,
    campaign_id: Option<CampaignId>,
    file_name: Option<String>,
    size_bytes: i64,
    status: String,
    error: Option<String>,
    rows_read: i64,
    imported: i64,
    already_existed: i64,
    invalid: i64,
    duplicates_in_file: i64,
    enrolled: Option<i64>,
    already_enrolled: Option<i64>,
    suppressed: Option<i64>,
    rejected: Json<Vec<RejectedRow>>,
    rejected_total: i64,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    heartbeat_at: DateTime<Utc>,
    mapping_proposal: Option<Json<MappingProposal>>,
}

/// Counts are never negative; a negative one was edited by hand and reads as zero.
fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

/// Counts are far below `i64::MAX`; saturate rather than fail.
fn stored(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl TryFrom<ImportJobRow> for ImportJob {
    type Error = StoreError;
    fn try_from(r: ImportJobRow) -> Result<Self, StoreError> {
        let enrollment = match (r.enrolled, r.already_enrolled, r.suppressed) {
            (None, None, None) => None,
            (enrolled, already, suppressed) => Some(EnrollOutcome {
                enrolled: count(enrolled.unwrap_or_default()),
                already_enrolled: count(already.unwrap_or_default()),
                suppressed: count(suppressed.unwrap_or_default()),
            }),
        };
        Ok(ImportJob {
            id: r.id,
            workspace_id: r.workspace_id,
            campaign_id: r.campaign_id,
            file_name: r.file_name,
            size_bytes: count(r.size_bytes),
            status: parse("import_jobs.status", &r.status)?,
            error: r.error,
            counts: ImportCounts {
                rows_read: count(r.rows_read),
                imported: count(r.imported),
                already_existed: count(r.already_existed),
                invalid: count(r.invalid),
                duplicates_in_file: count(r.duplicates_in_file),
            },
            enrollment,
            rejected: r.rejected.0,
            rejected_total: count(r.rejected_total),
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            heartbeat_at: r.heartbeat_at,
            mapping_proposal: r.mapping_proposal.map(|p| p.0),
        })
    }
}

/// Import job statements over one connection of the backend `Self`.
pub(crate) trait ImportJobsSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> ImportJobRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> Option<WorkspaceId>: Bound<'q, Self>,
    for<'q> ImportJobId: Bound<'q, Self>,
    for<'q> Option<CampaignId>: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> Option<i64>: Bound<'q, Self>,
    for<'q> &'static str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Json<Vec<RejectedRow>>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Option<Json<MappingProposal>>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
{
    async fn create_import_job(
        conn: &mut Self::Connection,
        job: &NewImportJob,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO import_jobs (id, workspace_id, campaign_id, file_name, size_bytes, \
             status, created_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(job.id)
        .bind(job.workspace_id)
        .bind(job.campaign_id)
        .bind(job.file_name.clone())
        .bind(stored(job.size_bytes))
        .bind(ImportStatus::Queued.as_str())
        .bind(Self::time(job.created_at))
        .execute(conn)
        .await
        .ctx("record an import job")?;
        Ok(())
    }

    async fn import_job(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: ImportJobId,
    ) -> Result<Option<ImportJob>, StoreError> {
        let row: Option<ImportJobRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM import_jobs WHERE id = $1 AND workspace_id = $2"
        )))
        .bind(id)
        .bind(ws)
        .fetch_optional(conn)
        .await
        .ctx("load an import job")?;
        row.map(ImportJob::try_from).transpose()
    }

    async fn start_import_job(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: ImportJobId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE import_jobs SET status = $3, started_at = $4, heartbeat_at = $4 \
             WHERE id = $1 AND workspace_id = $2 AND status = $5",
        )
        .bind(id)
        .bind(ws)
        .bind(ImportStatus::Running.as_str())
        .bind(Self::time(now))
        .bind(ImportStatus::Queued.as_str())
        .execute(conn)
        .await
        .ctx("start an import job")?;
        Ok(())
    }

    async fn beat_import_job(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: ImportJobId,
        rows_read: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE import_jobs SET rows_read = $3, heartbeat_at = $4 \
             WHERE id = $1 AND workspace_id = $2 AND status IN ($5, $6)",
        )
        .bind(id)
        .bind(ws)
        .bind(stored(rows_read))
        .bind(Self::time(now))
        .bind(ImportStatus::Queued.as_str())
        .bind(ImportStatus::Running.as_str())
        .execute(conn)
        .await
        .ctx("record an import job's progress")?;
        Ok(())
    }

    async fn finish_import_job(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: ImportJobId,
        outcome: &ImportOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let c = &outcome.counts;
        let enrolled =
            |f: fn(&EnrollOutcome) -> u64| outcome.enrollment.as_ref().map(|e| stored(f(e)));
        sqlx::query(
            "UPDATE import_jobs SET status = $3, error = $4, rows_read = $5, imported = $6, \
             already_existed = $7, invalid = $8, duplicates_in_file = $9, enrolled = $10, \
             already_enrolled = $11, suppressed = $12, rejected = $13, rejected_total = $14, \
             finished_at = $15, heartbeat_at = $15, mapping_proposal = $16, \
             started_at = COALESCE(started_at, $15) \
             WHERE id = $1 AND workspace_id = $2",
        )
        .bind(id)
        .bind(ws)
        .bind(outcome.status.as_str())
        .bind(outcome.error.clone())
        .bind(stored(c.rows_read))
        .bind(stored(c.imported))
        .bind(stored(c.already_existed))
        .bind(stored(c.invalid))
        .bind(stored(c.duplicates_in_file))
        .bind(enrolled(|e| e.enrolled))
        .bind(enrolled(|e| e.already_enrolled))
        .bind(enrolled(|e| e.suppressed))
        .bind(Json(outcome.rejected.clone()))
        .bind(stored(outcome.rejected_total))
        .bind(Self::time(now))
        .bind(outcome.mapping_proposal.clone().map(Json))
        .execute(conn)
        .await
        .ctx("record how an import job ended")?;
        Ok(())
    }

    async fn fail_stale_import_jobs(
        conn: &mut Self::Connection,
        ws: Option<WorkspaceId>,
        beat_before: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE import_jobs SET status = $1, error = $2, finished_at = $3 \
             WHERE status IN ($4, $5) AND heartbeat_at < $6 \
                 AND ($7 IS NULL OR workspace_id = $7)",
        )
        .bind(ImportStatus::Failed.as_str())
        .bind(reason.to_owned())
        .bind(Self::time(now))
        .bind(ImportStatus::Queued.as_str())
        .bind(ImportStatus::Running.as_str())
        .bind(Self::time(beat_before))
        .bind(ws)
        .execute(conn)
        .await
        .ctx("fail import jobs that lost their daemon")?;
        Ok(Self::rows_affected(&done))
    }
}

impl ImportJobsSql for sqlx::Postgres {}
impl ImportJobsSql for sqlx::Sqlite {}

/// Stamps the [`crate::store::ImportJobs`] impl for `$store` over the sqlx database `$db`.
macro_rules! import_jobs_role {
    ($store:ty, $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};

            use $crate::domain::{
                ImportJob, ImportJobId, ImportOutcome, NewImportJob, WorkspaceId,
            };
            use $crate::store::sql::import_jobs::ImportJobsSql;
            use $crate::store::{ImportJobs, StoreError};

            type Sql = $db;

            #[async_trait]
            impl ImportJobs for $store {
                async fn create_import_job(&self, job: &NewImportJob) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::create_import_job(unit.conn(), job).await?;
                    unit.commit().await
                }

                async fn import_job(
                    &self,
                    ws: WorkspaceId,
                    id: ImportJobId,
                ) -> Result<Option<ImportJob>, StoreError> {
                    Sql::import_job(&mut *self.read().await?, ws, id).await
                }

                async fn start_import_job(
                    &self,
                    ws: WorkspaceId,
                    id: ImportJobId,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::start_import_job(unit.conn(), ws, id, now).await?;
                    unit.commit().await
                }

                async fn beat_import_job(
                    &self,
                    ws: WorkspaceId,
                    id: ImportJobId,
                    rows_read: u64,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::beat_import_job(unit.conn(), ws, id, rows_read, now).await?;
                    unit.commit().await
                }

                async fn finish_import_job(
                    &self,
                    ws: WorkspaceId,
                    id: ImportJobId,
                    outcome: &ImportOutcome,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::finish_import_job(unit.conn(), ws, id, outcome, now).await?;
                    unit.commit().await
                }

                async fn fail_stale_import_jobs(
                    &self,
                    ws: Option<WorkspaceId>,
                    beat_before: DateTime<Utc>,
                    reason: &str,
                    now: DateTime<Utc>,
                ) -> Result<u64, StoreError> {
                    let mut unit = self.one_write().await?;
                    let failed =
                        Sql::fail_stale_import_jobs(unit.conn(), ws, beat_before, reason, now)
                            .await?;
                    unit.commit().await?;
                    Ok(failed)
                }
            }
        };
    };
}

pub(crate) use import_jobs_role;
