//! Lead import from CSV: streaming reader, delimiter and BOM handling, header aliases, row
//! validation with line numbers, batched inserts.
//!
//! The file is read one record at a time and written in batches, so a million-row file costs no
//! more memory than a small one (see `batch` for the one thing that grows). A bad row is
//! reported by the physical line where its record starts and skipped; only an unreadable file,
//! a header without an email column or a failing database stop the import. This module knows
//! nothing of the terminal: the CLI passes a [`Progress`] and prints the [`ImportReport`].

mod batch;
mod error;
mod headers;
mod lines;
mod reader;
mod report;
mod row;
#[cfg(test)]
mod tests;

use std::io::Read;

use async_trait::async_trait;
use chrono::Utc;

pub use error::ImportError;
pub use headers::{Field, HeaderMap, field_for, normalize};
pub use reader::sniff_delimiter;
pub use report::{ImportReport, ProblemKind, RowProblem, thousands};
pub use row::{clean_field, parse_timezone};

use crate::domain::{
    Campaign, CampaignId, EnrollOutcome, LeadId, LeadInsert, NewLead, WorkspaceId,
};
use crate::store::{Store, StoreError};

/// How to import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Enrol every imported or already existing lead of the file into this campaign.
    pub campaign: Option<CampaignId>,
    /// Leads per `insert_leads` call: larger batches mean fewer round trips but longer
    /// transactions (and more work lost to a failure mid-batch).
    pub batch_size: usize,
    /// How many problems the report keeps by line; the rest are only counted.
    pub max_listed_problems: usize,
    /// Report rows whose lead already existed among the problems (the CLI lists them, so a
    /// person sees which lines changed nothing). The API counts them apart and lists only
    /// rejected rows, which a file of existing leads must not crowd out.
    pub list_existing: bool,
    /// Columns the alias table leaves custom that feed a field instead: an accepted mapping
    /// proposal, as (column position, field).
    pub mapping: Vec<(usize, Field)>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            campaign: None,
            batch_size: 1_000,
            max_listed_problems: 20,
            list_existing: true,
            mapping: Vec::new(),
        }
    }
}

/// Told how far the import got after every batch.
pub trait Progress: Send {
    /// `rows`: data rows read so far; `bytes`: input bytes consumed so far.
    fn update(&mut self, rows: u64, bytes: u64);

    /// The report so far, after each batch was written. An import that fails later returns no
    /// report: what this saw last is what was done.
    fn written(&mut self, _report: &ImportReport) {}
}

/// For callers that do not show progress.
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&mut self, _rows: u64, _bytes: u64) {}
}

/// Where imported leads go: the store, scoped to one workspace (tests use a map in memory).
#[async_trait]
pub trait LeadSink: Send + Sync {
    async fn insert_leads(&self, leads: &[NewLead]) -> Result<Vec<LeadInsert>, StoreError>;
    async fn enroll_leads(
        &self,
        campaign: CampaignId,
        leads: &[LeadId],
    ) -> Result<EnrollOutcome, StoreError>;
}

/// One workspace of a store.
pub struct WorkspaceSink<'a> {
    pub store: &'a dyn Store,
    pub workspace: WorkspaceId,
}

#[async_trait]
impl LeadSink for WorkspaceSink<'_> {
    async fn insert_leads(&self, leads: &[NewLead]) -> Result<Vec<LeadInsert>, StoreError> {
        self.store.insert_leads(self.workspace, leads).await
    }

    async fn enroll_leads(
        &self,
        campaign: CampaignId,
        leads: &[LeadId],
    ) -> Result<EnrollOutcome, StoreError> {
        self.store
            .enroll_leads(self.workspace, campaign, leads, Utc::now())
            .await
    }
}

/// Why leads cannot be imported into a campaign.
#[derive(Debug, thiserror::Error)]
pub enum NotEnrollable {
    #[error("campaign {0:?} has no mailboxes to send from; add some to it before enrolling leads")]
    NoMailboxes(String),
}

/// Whether an import may enrol into `campaign` ([`import_csv`] needs this checked first).
pub fn check_enrollable(campaign: &Campaign) -> Result<(), NotEnrollable> {
    if campaign.mailbox_ids.is_empty() {
        return Err(NotEnrollable::NoMailboxes(campaign.name.clone()));
    }
    Ok(())
}

/// Imports a CSV stream into workspace `ws` of `store`. The campaign in `options`, if any, must
/// belong to `ws` and pass [`check_enrollable`]: check that before calling, because enrolment
/// fails only after the first batch has been inserted.
/// The header and up to `rows` rows of a CSV file, read as the import reads it (byte order
/// mark, delimiter, lossy UTF-8): what a mapping proposal is asked from.
pub fn peek<R: Read>(
    input: R,
    rows: usize,
) -> Result<(Vec<String>, Vec<Vec<String>>), ImportError> {
    let text = |record: &csv::ByteRecord| -> Vec<String> {
        record
            .iter()
            .map(|field| clean_field(&String::from_utf8_lossy(field)))
            .collect()
    };
    let mut csv = reader::open(input)?.csv;
    let headers = text(
        csv.byte_headers()
            .map_err(|source| ImportError::Csv { line: 1, source })?,
    );
    let mut sample = Vec::new();
    let mut record = csv::ByteRecord::new();
    while sample.len() < rows {
        match csv.read_byte_record(&mut record) {
            Ok(true) => sample.push(text(&record)),
            Ok(false) => break,
            Err(source) => return Err(ImportError::Csv { line: 0, source }),
        }
    }
    Ok((headers, sample))
}

pub async fn import_csv<R: Read + Send>(
    input: R,
    store: &dyn Store,
    ws: WorkspaceId,
    options: &ImportOptions,
    progress: &mut dyn Progress,
) -> Result<ImportReport, ImportError> {
    import_into(
        input,
        &WorkspaceSink {
            store,
            workspace: ws,
        },
        options,
        progress,
    )
    .await
}

/// Imports a CSV stream into any [`LeadSink`].
///
/// Reading is blocking I/O inside an async function. That is deliberate: the CLI runs nothing
/// else meanwhile, and at most `batch_size` records are read between two awaits on the store.
pub async fn import_into<R: Read + Send, S: LeadSink + ?Sized>(
    input: R,
    sink: &S,
    options: &ImportOptions,
    progress: &mut dyn Progress,
) -> Result<ImportReport, ImportError> {
    let opened = reader::open(input)?;
    let mut csv = opened.csv;
    let headers: Vec<String> = csv
        .byte_headers()
        .map_err(|source| ImportError::Csv { line: 1, source })?
        .iter()
        .map(|field| String::from_utf8_lossy(field).into_owned())
        .collect();
    let map = HeaderMap::with_overrides(&headers, &options.mapping);
    if !map.has(Field::Email) {
        return Err(ImportError::no_email_column(map.originals()));
    }
    let report = ImportReport {
        delimiter: opened.delimiter,
        custom_columns: map.custom_names(),
        ..ImportReport::default()
    };
    let mut batcher = batch::Batcher::new(sink, options, report);
    let mut record = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(source) => {
                let line = source
                    .position()
                    .map_or(csv.position().line(), csv::Position::line);
                return Err(ImportError::Csv { line, source });
            }
        }
        let reported = record
            .position()
            .cloned()
            .unwrap_or_else(|| csv.position().clone());
        let line = opened.lines.start_line(&reported, csv.position().byte());
        batcher.accept(line, row::parse_record(&map, &record));
        if batcher.is_full() {
            batcher.flush().await?;
            progress.update(batcher.rows(), csv.position().byte() + opened.skipped_bytes);
            progress.written(batcher.report());
        }
    }
    batcher.flush().await?;
    progress.update(batcher.rows(), csv.position().byte() + opened.skipped_bytes);
    Ok(batcher.finish())
}
