//! Lead import jobs: a CSV uploaded over the API is spooled to disk ([`Spool`]), recorded as a
//! queued job, and imported in the background by the same importer the CLI runs
//! (`import::import_csv`), so a file means the same leads whichever door it came through.
//!
//! Life of a job: `queued` (waiting for one of `api.import_concurrency` slots), `running`, then
//! `completed` or `failed`. While it is queued or running its task writes a heartbeat every
//! [`HEARTBEAT`] with the rows read so far.
//!
//! Interrupted jobs are failed, not resumed. A daemon that stops cleanly cancels its imports
//! between two reads and records them failed itself. One that dies leaves them `running` with a
//! heartbeat that stops: once it is older than [`STALE_AFTER`], the next daemon start (or the
//! next read of the job) marks it failed with a reason. Resuming would need the importer to skip
//! the rows already done and keep the counts of a previous process; uploading the file again
//! does the same safely, because leads that exist are left as they are (counted `existing`).
//! A heartbeat rather than "every running job at start-up": a second process on the same
//! PostgreSQL database (`campaign run-now`) starts an application too, and must not fail the
//! daemon's live jobs.

pub mod mapping;
mod run;
mod spool;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use spool::Spool;

use crate::domain::{Campaign, CampaignId, ImportJob, ImportJobId, NewImportJob, WorkspaceId};
use crate::import::{NotEnrollable, check_enrollable};
use crate::store::{Store, StoreError};

/// Rejected rows a job lists by line; the rest are counted.
pub const MAX_REJECTED_LISTED: usize = 1_000;

/// How often a queued or running job says it is alive (and how far it got).
pub const HEARTBEAT: Duration = Duration::from_secs(2);

/// A queued or running job silent this long lost its daemon.
pub const STALE_AFTER: TimeDelta = TimeDelta::seconds(30);

/// The error of a job that lost its daemon.
pub const INTERRUPTED: &str = "the daemon running this import stopped before it finished; the \
    leads imported until then stay. Upload the file again to import the rest: leads that exist \
    are left as they are";

/// A spooled file without a job, untouched this long, belongs to a request that died with its
/// daemon.
const ABANDONED_UPLOAD: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("campaign {0} not found")]
    NoSuchCampaign(CampaignId),
    #[error(transparent)]
    NotEnrollable(#[from] NotEnrollable),
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    /// The disk refused the upload; the cause is for the log.
    #[error("cannot store the upload: {0}")]
    Spool(#[source] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where uploads go and how many run at once (`api.*` settings).
#[derive(Clone, Debug)]
pub struct ImportSettings {
    /// `<daemon.data_dir>/imports`.
    pub dir: PathBuf,
    pub max_bytes: u64,
    pub concurrency: u32,
}

/// Starts and tracks import jobs. Cheap to clone.
#[derive(Clone)]
pub struct ImportRunner {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    settings: ImportSettings,
    slots: Arc<Semaphore>,
    /// Cancelled when the daemon shuts down: running imports stop at their next read.
    cancel: CancellationToken,
    tracker: TaskTracker,
    /// Proposes mappings for columns no alias places (`imports.propose_mapping`).
    proposer: Option<Arc<mapping::Proposer>>,
    /// The daemon's runtime. Requests are served on the HTTP workers' own runtimes, which stop
    /// with the server; jobs run here, tracked, so shutdown waits for them to record their end.
    runtime: tokio::runtime::Handle,
}

impl ImportRunner {
    /// Call from within the daemon's runtime (it is captured for the jobs).
    pub fn new(
        store: Arc<dyn Store>,
        settings: ImportSettings,
        proposer: Option<Arc<mapping::Proposer>>,
        cancel: CancellationToken,
        tracker: TaskTracker,
    ) -> Self {
        let slots = Arc::new(Semaphore::new(settings.concurrency.max(1) as usize));
        Self {
            inner: Arc::new(Inner {
                store,
                settings,
                slots,
                proposer,
                cancel,
                tracker,
                runtime: tokio::runtime::Handle::current(),
            }),
        }
    }

    pub fn max_bytes(&self) -> u64 {
        self.inner.settings.max_bytes
    }

    /// A new upload of workspace `ws`, to be filled with [`Spool::write`] and handed to
    /// [`Self::submit`].
    pub async fn spool(&self, ws: WorkspaceId) -> Result<Spool, StartError> {
        Spool::create(&self.inner.settings.dir, ws, self.inner.settings.max_bytes).await
    }

    /// The campaign an import of `ws` will enrol into: it exists there and can send.
    pub async fn campaign(&self, ws: WorkspaceId, id: CampaignId) -> Result<Campaign, StartError> {
        let campaign = self
            .inner
            .store
            .campaign_by_id(ws, id)
            .await?
            .ok_or(StartError::NoSuchCampaign(id))?;
        check_enrollable(&campaign)?;
        Ok(campaign)
    }

    /// Records the job of a complete upload and starts it. `campaign` must have passed
    /// [`Self::campaign`]. With `accept_mapping`, a mapping proposal fills the fields it names.
    pub async fn submit(
        &self,
        spool: Spool,
        campaign: Option<CampaignId>,
        file_name: Option<String>,
        accept_mapping: bool,
    ) -> Result<ImportJob, StartError> {
        let (id, ws) = (spool.id, spool.workspace);
        let (path, size_bytes) = spool.keep().await?;
        let job = NewImportJob {
            id,
            workspace_id: ws,
            campaign_id: campaign,
            file_name,
            size_bytes,
            created_at: Utc::now(),
        };
        if let Err(e) = self.inner.store.create_import_job(&job).await {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e.into());
        }
        let task = run::Task {
            id,
            workspace: ws,
            campaign,
            path,
            accept_mapping,
        };
        self.inner
            .tracker
            .spawn_on(run::run(self.inner.clone(), task), &self.inner.runtime);
        self.inner
            .store
            .import_job(ws, id)
            .await?
            .ok_or_else(|| StoreError::not_found("import job", id.to_string()).into())
    }

    /// A job of `ws`. One that lost its daemon is failed first, so nobody waits on it forever.
    pub async fn job(
        &self,
        ws: WorkspaceId,
        id: ImportJobId,
    ) -> Result<Option<ImportJob>, StoreError> {
        let store = &self.inner.store;
        let Some(job) = store.import_job(ws, id).await? else {
            return Ok(None);
        };
        let now = Utc::now();
        if job.status.is_final() || job.heartbeat_at >= now - STALE_AFTER {
            return Ok(Some(job));
        }
        store
            .fail_stale_import_jobs(Some(ws), now - STALE_AFTER, INTERRUPTED, now)
            .await?;
        store.import_job(ws, id).await
    }

    /// At daemon start: fails the jobs whose daemon died and removes uploads nobody will read.
    pub async fn recover(&self) -> Result<u64, StoreError> {
        let now = Utc::now();
        let store = &self.inner.store;
        let failed = store
            .fail_stale_import_jobs(None, now - STALE_AFTER, INTERRUPTED, now)
            .await?;
        if failed > 0 {
            tracing::warn!(
                jobs = failed,
                "Marked lead imports interrupted by a stop of their daemon as failed."
            );
        }
        for (path, owner) in leftovers(&self.inner.settings.dir) {
            let job = match owner {
                Some((ws, id)) => store.import_job(ws, id).await?,
                None => None,
            };
            // A file without a job may be an upload another process is storing this instant.
            let done = match job {
                Some(job) => job.status.is_final(),
                None => modified_before(&path, ABANDONED_UPLOAD),
            };
            if done {
                let _ = tokio::fs::remove_file(&path).await;
            }
        }
        Ok(failed)
    }
}

/// Spooled files under `dir`: each with its job when it is a complete upload (`.csv`), `None`
/// for an upload in progress (`.part`) or a file that is not ours.
fn leftovers(dir: &Path) -> Vec<(PathBuf, Option<(WorkspaceId, ImportJobId)>)> {
    let mut out = Vec::new();
    let Ok(workspaces) = std::fs::read_dir(dir) else {
        return out;
    };
    for ws_dir in workspaces.flatten() {
        let ws = ws_dir
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<uuid::Uuid>().ok())
            .map(WorkspaceId);
        let Ok(files) = std::fs::read_dir(ws_dir.path()) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            let job = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .and_then(|stem| stem.parse::<uuid::Uuid>().ok())
                .map(ImportJobId);
            let complete = path.extension().is_some_and(|ext| ext == "csv");
            let owner = match (ws, job, complete) {
                (Some(ws), Some(job), true) => Some((ws, job)),
                _ => None,
            };
            out.push((path, owner));
        }
    }
    out
}

fn modified_before(path: &Path, age: Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|elapsed| elapsed > age)
}
