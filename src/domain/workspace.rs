//! A workspace: the tenant every other entity belongs to.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::WorkspaceId;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}
