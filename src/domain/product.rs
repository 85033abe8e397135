//! Products: what a campaign sells, described for the content generator.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ProductId, WorkspaceId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductSpec {
    pub name: String,
    pub description: String,
    pub source_file_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: ProductId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub description: String,
    pub source_file_name: Option<String>,
    pub created_at: DateTime<Utc>,
}
