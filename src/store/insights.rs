//! The insights role: company insights kept per (workspace, domain). Every method is scoped by
//! `WorkspaceId`.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::{CompanyInsight, WorkspaceId};

#[async_trait]
pub trait Insights: Send + Sync + 'static {
    /// The stored insight on `domain` (a normalised domain), fresh or not.
    async fn company_insight(
        &self,
        ws: WorkspaceId,
        domain: &str,
    ) -> Result<Option<CompanyInsight>, StoreError>;

    /// Stores `insight`, replacing the workspace's earlier one on its domain.
    async fn save_company_insight(
        &self,
        ws: WorkspaceId,
        insight: &CompanyInsight,
    ) -> Result<(), StoreError>;
}
