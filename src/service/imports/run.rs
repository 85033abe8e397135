//! One job's task: wait for a slot, import the spooled file, record the outcome, remove the file.
//!
//! The importer reads with blocking `std::io::Read` (it is the CLI's code, and the CLI does
//! nothing else meanwhile). Here it runs on a blocking thread that drives its store calls with
//! `Handle::block_on`, so no runtime worker ever waits on the disk. The file is read through
//! [`Cancellable`], which fails the next read once the daemon shuts down: the importer stops
//! between two batches and the job is recorded failed, with what it did until then.

use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::{HEARTBEAT, Inner, MAX_REJECTED_LISTED};
use crate::domain::{
    CampaignId, ImportCounts, ImportJobId, ImportOutcome, ImportStatus, RejectedRow, WorkspaceId,
};
use crate::import::{self, ImportOptions, ImportReport, Progress};

pub(super) struct Task {
    pub id: ImportJobId,
    pub workspace: WorkspaceId,
    pub campaign: Option<CampaignId>,
    pub path: PathBuf,
    /// Fill fields from the mapping proposal.
    pub accept_mapping: bool,
}

const STOPPED: &str = "the daemon is shutting down";

/// A reader that fails once `cancel` is cancelled.
struct Cancellable<R> {
    inner: R,
    cancel: CancellationToken,
}

impl<R: Read> Read for Cancellable<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cancel.is_cancelled() {
            return Err(std::io::Error::other(STOPPED));
        }
        self.inner.read(buf)
    }
}

/// What the importer reported so far: rows read (for the heartbeat) and the last report after
/// a written batch (for a job that fails later).
#[derive(Clone, Default)]
struct Seen {
    rows: Arc<AtomicU64>,
    written: Arc<Mutex<Option<ImportReport>>>,
}

impl Progress for Seen {
    fn update(&mut self, rows: u64, _bytes: u64) {
        self.rows.store(rows, Ordering::Relaxed);
    }

    fn written(&mut self, report: &ImportReport) {
        if let Ok(mut last) = self.written.lock() {
            *last = Some(report.clone());
        }
    }
}

impl Seen {
    fn last_report(&self) -> ImportReport {
        self.written
            .lock()
            .ok()
            .and_then(|last| last.clone())
            .unwrap_or_default()
    }
}

fn outcome(report: &ImportReport, error: Option<String>) -> ImportOutcome {
    ImportOutcome {
        status: if error.is_some() {
            ImportStatus::Failed
        } else {
            ImportStatus::Completed
        },
        error,
        counts: ImportCounts {
            rows_read: report.rows,
            imported: report.imported,
            already_existed: report.already_existed,
            invalid: report.invalid,
            duplicates_in_file: report.duplicates_in_file,
        },
        enrollment: report.enrollment,
        rejected: report
            .problems
            .iter()
            .map(|p| RejectedRow {
                line: p.line,
                email: p.email.clone(),
                code: p.code().to_owned(),
                reason: p.reason(),
            })
            .collect(),
        rejected_total: report.problems_total,
        mapping_proposal: None,
    }
}

pub(super) async fn run(inner: Arc<Inner>, task: Task) {
    let seen = Seen::default();
    let import = import(&inner, &task, seen.clone());
    tokio::pin!(import);
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.tick().await;
    let outcome = loop {
        tokio::select! {
            outcome = &mut import => break outcome,
            _ = beat.tick() => {
                let rows = seen.rows.load(Ordering::Relaxed);
                if let Err(e) = inner
                    .store
                    .beat_import_job(task.workspace, task.id, rows, Utc::now())
                    .await
                {
                    tracing::warn!(job = %task.id, error = %e, "Could not record an import's heartbeat.");
                }
            }
        }
    };
    match &outcome.error {
        None => tracing::info!(
            job = %task.id,
            rows = outcome.counts.rows_read,
            imported = outcome.counts.imported,
            existing = outcome.counts.already_existed,
            rejected = outcome.counts.rejected(),
            "Lead import completed."
        ),
        Some(error) => {
            tracing::warn!(job = %task.id, rows = outcome.counts.rows_read, error = %error, "Lead import failed.")
        }
    }
    if let Err(e) = inner
        .store
        .finish_import_job(task.workspace, task.id, &outcome, Utc::now())
        .await
    {
        // The job stays queued or running with a heartbeat that stops: it will read as failed.
        tracing::error!(job = %task.id, error = %e, "Could not record how a lead import ended.");
    }
    if let Err(e) = tokio::fs::remove_file(&task.path).await {
        tracing::warn!(job = %task.id, path = %task.path.display(), error = %e, "Could not remove an import's spooled file.");
    }
}

async fn import(inner: &Inner, task: &Task, seen: Seen) -> ImportOutcome {
    let failed = |error: String| outcome(&seen.last_report(), Some(error));
    let _slot = tokio::select! {
        slot = inner.slots.clone().acquire_owned() => match slot {
            Ok(slot) => slot,
            Err(_) => return failed("the import queue is closed".into()),
        },
        () = inner.cancel.cancelled() => {
            return failed(format!("{STOPPED}; upload the file again once it is back"));
        }
    };
    if let Err(e) = inner
        .store
        .start_import_job(task.workspace, task.id, Utc::now())
        .await
    {
        return failed(format!("cannot start: {e}"));
    }
    let file = match std::fs::File::open(&task.path) {
        Ok(file) => file,
        Err(e) => return failed(format!("the spooled file is gone: {e}")),
    };
    let input = Cancellable {
        inner: file,
        cancel: inner.cancel.clone(),
    };
    let proposed = match &inner.proposer {
        Some(proposer) => proposer.propose(task.workspace, &task.path).await,
        None => None,
    };
    let (mapping, proposal) = accepted(proposed, task.accept_mapping);
    let options = ImportOptions {
        mapping,
        campaign: task.campaign,
        max_listed_problems: MAX_REJECTED_LISTED,
        list_existing: false,
        ..ImportOptions::default()
    };
    let store = inner.store.clone();
    let ws = task.workspace;
    let runtime = tokio::runtime::Handle::current();
    let mut progress = seen.clone();
    let result = tokio::task::spawn_blocking(move || {
        runtime.block_on(import::import_csv(
            input,
            store.as_ref(),
            ws,
            &options,
            &mut progress,
        ))
    })
    .await;
    let mut outcome = match result {
        Ok(Ok(report)) => outcome(&report, None),
        Ok(Err(_)) if inner.cancel.is_cancelled() => {
            let report = seen.last_report();
            failed(format!(
                "{STOPPED}: the import stopped after {} rows; the {} leads imported stay. Upload \
                 the file again to import the rest: leads that exist are left as they are",
                report.rows, report.imported
            ))
        }
        Ok(Err(e)) => failed(e.to_string()),
        Err(e) => {
            tracing::error!(job = %task.id, error = %e, "A lead import's task failed.");
            failed("the import stopped unexpectedly; the daemon's log has the cause".into())
        }
    };
    outcome.mapping_proposal = proposal;
    outcome
}

/// The overrides to import with and the proposal to report, marked accepted when it is used.
fn accepted(
    proposed: Option<super::mapping::Proposed>,
    accept: bool,
) -> (
    Vec<(usize, crate::import::Field)>,
    Option<crate::domain::MappingProposal>,
) {
    match proposed {
        Some(mut p) if accept => {
            p.proposal.accepted = true;
            (p.overrides, Some(p.proposal))
        }
        Some(p) => (Vec::new(), Some(p.proposal)),
        None => (Vec::new(), None),
    }
}
