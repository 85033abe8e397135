//! Import jobs: a CSV import the API runs in the background, and what it reports while it runs
//! and when it ends.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::{StatusParseError, string_enum};
use super::{CampaignId, EnrollOutcome, ImportJobId, WorkspaceId};
use std::fmt;

string_enum!(
    /// Where an import job stands. `completed` and `failed` are final.
    ImportStatus, "import status" {
        /// Spooled and waiting for a free import slot.
        Queued => "queued",
        Running => "running",
        Completed => "completed",
        /// Stopped by an unreadable file, a database failure or the daemon stopping; the leads
        /// imported before that stay.
        Failed => "failed",
    }
);

impl ImportStatus {
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

/// What an import did to the rows it read. Every row read is exactly one of imported, already
/// existed, invalid or duplicate in file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub rows_read: u64,
    pub imported: u64,
    pub already_existed: u64,
    pub invalid: u64,
    pub duplicates_in_file: u64,
}

impl ImportCounts {
    /// Rows that did not become leads and were not there before: invalid or repeated.
    pub fn rejected(&self) -> u64 {
        self.invalid + self.duplicates_in_file
    }
}

/// One rejected row: the physical line where its record starts, the address it had (if any),
/// a stable code and a sentence saying what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    pub line: u64,
    pub email: Option<String>,
    /// `missing_email`, `invalid_email`, `invalid_timezone`, `not_utf8`, `duplicate_in_file`.
    pub code: String,
    pub reason: String,
}

/// A job to record, queued: its CSV is spooled and waits for the importer.
/// A model's proposal for the columns the alias table could not place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MappingProposal {
    pub mappings: Vec<ProposedMapping>,
    /// Whether the import was told to use it: then each mapped column filled its field.
    pub accepted: bool,
    /// The provider and model that proposed it.
    pub provider: String,
    pub model: String,
}

/// One column's proposed field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProposedMapping {
    /// The header as written in the file.
    pub column: String,
    /// A lead field (`email`, `first_name`, `last_name`, `company`, `title`, `website`,
    /// `linkedin`, `phone`, `timezone`) or `custom` (kept as a custom field).
    pub field: String,
    /// The model's confidence, 0 to 1.
    pub confidence: f64,
}

#[derive(Clone, Debug)]
pub struct NewImportJob {
    pub id: ImportJobId,
    pub workspace_id: WorkspaceId,
    pub campaign_id: Option<CampaignId>,
    pub file_name: Option<String>,
    pub size_bytes: u64,
    pub created_at: DateTime<Utc>,
}

/// How a job ended.
#[derive(Clone, Debug)]
pub struct ImportOutcome {
    /// `Completed` or `Failed`.
    pub status: ImportStatus,
    pub error: Option<String>,
    pub counts: ImportCounts,
    pub enrollment: Option<EnrollOutcome>,
    /// The first rejected rows, in line order.
    pub rejected: Vec<RejectedRow>,
    pub rejected_total: u64,
    /// The model's mapping proposal, when one was asked for and given.
    pub mapping_proposal: Option<MappingProposal>,
}

/// A job as stored.
#[derive(Clone, Debug)]
pub struct ImportJob {
    pub id: ImportJobId,
    pub workspace_id: WorkspaceId,
    pub campaign_id: Option<CampaignId>,
    pub file_name: Option<String>,
    pub size_bytes: u64,
    pub status: ImportStatus,
    pub error: Option<String>,
    pub counts: ImportCounts,
    pub enrollment: Option<EnrollOutcome>,
    pub rejected: Vec<RejectedRow>,
    pub rejected_total: u64,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Last sign of life from the daemon running it.
    pub heartbeat_at: DateTime<Utc>,
    /// The model's mapping proposal, when one was asked for and given.
    pub mapping_proposal: Option<MappingProposal>,
}
