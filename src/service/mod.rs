//! Business rules both the CLI and the HTTP API call: which workspace a request means,
//! pausing and resuming mailboxes, listing and resolving `unknown` sends, campaigns (their
//! definitions, status, enrolment, Run Now and previews), leads and their import jobs, editing
//! mailboxes and products, checking a mailbox's logins. A front door parses
//! its input into these functions' arguments and renders what they return; this module must
//! not speak HTTP or parse argv, and it reaches the database only through the store's traits.

pub mod access;
pub mod campaigns;
pub mod catalog_error;
pub mod explain;
pub mod imports;
pub mod insights;
pub mod leads;
pub mod mailbox_check;
pub mod mailbox_edits;
pub mod mailboxes;
pub mod personas;
pub mod privacy;
pub mod products;
pub mod replies;
pub mod reviews;
pub mod sends;
pub mod stats;
pub mod suppressions;
pub mod usage;

use crate::domain::Workspace;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("workspace {0:?} not found; create it with an apply file")]
    NoSuchWorkspace(String),
    #[error("no workspaces yet; create one with an apply file")]
    NoWorkspaces,
    #[error("several workspaces exist; name the one you mean")]
    WorkspaceAmbiguous,
    #[error("{kind} {name} not found in workspace {workspace:?}")]
    NotFound {
        kind: &'static str,
        name: String,
        workspace: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The named workspace, or the only one when none is named.
pub async fn workspace(store: &dyn Store, name: Option<&str>) -> Result<Workspace, ServiceError> {
    if let Some(name) = name {
        return store
            .workspace_by_name(name)
            .await?
            .ok_or_else(|| ServiceError::NoSuchWorkspace(name.to_owned()));
    }
    let mut all = store.list_workspaces().await?;
    match all.len() {
        1 => Ok(all.remove(0)),
        0 => Err(ServiceError::NoWorkspaces),
        _ => Err(ServiceError::WorkspaceAmbiguous),
    }
}
