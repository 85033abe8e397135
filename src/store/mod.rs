//! Persistence: the `Store` role traits and their PostgreSQL and SQLite implementations.
//!
//! All SQL lives below this module; callers see the typed ids and entities of `domain`. Every method that
//! touches tenant data takes a `WorkspaceId` and filters by it, so one workspace can never read
//! or change another's rows. Mailbox passwords are encrypted with [`SecretCipher`] before they
//! reach a backend and decrypted only by [`Mailboxes::mailbox_credentials`].
//!
//! PostgreSQL is the production backend (one daemon per database). SQLite is the embedded
//! default: one daemon per file, enforced with an exclusive lock.

mod access;
mod activity;
mod campaign_control;
mod catalog;
mod catalog_edits;
pub mod cipher;
mod deadlock;
mod dispatch;
mod error;
mod health;
pub mod idempotency;
mod import_jobs;
mod inbound;
mod insights;
mod lead_records;
mod meta;
mod open;
mod operator;
mod personas;
pub mod postgres;
mod privacy;
mod replies;
mod reports;
mod reviews;
mod rows;
mod sql;
pub mod sqlite;
mod usage;

pub use access::Access;
pub use activity::Activity;
pub use campaign_control::CampaignControl;
pub use catalog::{
    Campaigns, Catalog, Enrolment, Leads, Mailboxes, Products, Suppressions, Workspaces,
};
pub use catalog_edits::{CatalogEdits, Removal};
pub use cipher::{CipherError, SecretCipher, SecretPurpose};
pub use dispatch::Dispatch;
pub use error::{QueryContext, StoreError};
pub use health::{PoolStats, Readiness};
pub use idempotency::Idempotency;
pub use import_jobs::ImportJobs;
pub use inbound::Inbound;
pub use insights::Insights;
pub use lead_records::LeadRecords;
pub use meta::Meta;
pub use open::{OpenMode, open};
pub use operator::{Operator, UnknownFilter, UnknownSendInfo};
pub use personas::Personas;
pub use privacy::Privacy;
pub use replies::{Replies, ReplyDecision};
pub use reports::Reports;
pub use reviews::Reviews;
pub use usage::Usage;

/// Everything the daemon, the CLI and the API need from the database: the role traits together.
///
/// Methods of the roles are callable on `dyn Store` without importing the role traits.
/// Implementations must keep the roles' promises; the conformance suite in `tests/store` checks
/// them against both backends.
pub trait Store:
    Meta
    + Catalog
    + Dispatch
    + Inbound
    + Reports
    + Operator
    + Access
    + Idempotency
    + CampaignControl
    + LeadRecords
    + ImportJobs
    + CatalogEdits
    + Activity
    + Privacy
    + Reviews
    + Usage
    + Insights
    + Replies
    + Personas
{
}

impl<T> Store for T where
    T: Meta
        + Catalog
        + Dispatch
        + Inbound
        + Reports
        + Operator
        + Access
        + Idempotency
        + CampaignControl
        + LeadRecords
        + ImportJobs
        + CatalogEdits
        + Activity
        + Privacy
        + Reviews
        + Usage
        + Insights
        + Replies
        + Personas
{
}
