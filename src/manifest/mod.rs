//! Declarative apply files (TOML): a workspace with its mailboxes, products and campaigns,
//! applied as idempotent upserts by name, like `kubectl apply`.
//!
//! Two steps, both usable without the CLI: [`load`] reads and validates a file into a
//! [`Manifest`] (secrets resolved from the environment or files, every defect reported with its
//! line); [`apply`] compares it with the store, checks references to objects not in the file,
//! and only then writes, returning an [`ApplyReport`] with one line per object. A second apply
//! of the same file writes nothing and says so. This module never prints and never reads the
//! process environment itself: the caller passes a lookup function.

mod apply;
mod campaign;
mod diff;
mod error;
mod file;
mod locate;
mod mailbox;
mod plan;
mod report;
mod resolve;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use crate::config::MailboxDefaults;
use crate::domain::{
    CampaignStatus, EmailAddress, MailboxSpec, ProductSpec, SendingRules, StepSpec,
};
use crate::service::mailboxes::WantedStatus;

pub use apply::apply;
pub use error::{ManifestError, Problem};
pub use report::{ApplyReport, ObjectKind, ObjectReport};

/// A validated apply file: the desired state, with references still by name (they are resolved
/// against the file and the store by [`apply`]).
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The file it came from, for messages.
    pub source: PathBuf,
    pub workspace: String,
    pub products: Vec<ProductSpec>,
    pub mailboxes: Vec<MailboxSpec>,
    /// Inbound options (`sent_folder_is_authoritative`, `append_sent`) of each mailbox, in
    /// `mailboxes` order.
    pub mailbox_options: Vec<crate::domain::InboundOptions>,
    /// The `status` each mailbox asks for, in `mailboxes` order (`None`: leave it as it is).
    pub mailbox_status: Vec<Option<WantedStatus>>,
    pub campaigns: Vec<CampaignDecl>,
    /// Things that work but deserve a look (an inline password, an unusual port); never secret.
    pub warnings: Vec<Problem>,
}

/// A campaign as declared: a `CampaignSpec` whose product and mailboxes are still names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignDecl {
    pub name: String,
    pub goal: String,
    pub product: Option<Reference<String>>,
    /// `None` keeps the current status (new campaigns start as `draft`).
    pub status: Option<CampaignStatus>,
    pub rules: SendingRules,
    /// The mailbox pool, by address, in file order.
    pub mailboxes: Vec<Reference<EmailAddress>>,
    pub steps: Vec<StepSpec>,
    /// `ai_provider` and `ai_model`.
    pub ai: crate::domain::CampaignAi,
}

/// A name in the file that points at another object, with the line it is written on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference<T> {
    pub target: T,
    pub line: Option<usize>,
}

/// Reads and validates an apply file. `defaults` fill mailbox settings the file leaves out;
/// `env` looks up the variables named by `password_env` (the process environment in the CLI).
/// All defects are reported at once, each with its line.
pub fn load(
    path: &Path,
    defaults: &MailboxDefaults,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Manifest, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text, defaults, env)
}

/// [`load`] for text already in memory; `path` names it in messages and anchors relative paths.
pub fn parse(
    path: &Path,
    text: &str,
    defaults: &MailboxDefaults,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Manifest, ManifestError> {
    let invalid = |problems| ManifestError::Invalid {
        path: path.to_owned(),
        problems,
    };
    let doc: file::FileDoc =
        toml::from_str(text).map_err(|e| invalid(vec![locate::toml_problem(text, &e)]))?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    resolve::resolve(doc, text, base_dir, defaults, env)
        .map(|parts| Manifest {
            source: path.to_owned(),
            workspace: parts.workspace,
            products: parts.products,
            mailboxes: parts.mailboxes,
            mailbox_options: parts.mailbox_options,
            mailbox_status: parts.mailbox_status,
            campaigns: parts.campaigns,
            warnings: parts.warnings,
        })
        .map_err(invalid)
}
