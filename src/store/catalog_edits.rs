//! The catalog edits the API makes beyond the upserts apply files use: deleting a mailbox,
//! paging, creating, renaming and soft-deleting products. Every method takes a `WorkspaceId`
//! and filters by it, so an id of another workspace is "not there".

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::{MailboxId, Product, ProductId, ProductSpec, WorkspaceId};

/// What a removal found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Removal {
    Removed,
    /// Nothing with that id in the workspace (or already removed).
    NotFound,
    /// Kept because these campaigns (by name, sorted) still need it.
    InUse {
        campaigns: Vec<String>,
    },
}

#[async_trait]
pub trait CatalogEdits: Send + Sync + 'static {
    /// Deletes a mailbox unless a campaign still needs it: it is in the campaign's pool, an
    /// enrolled lead that is active or paused is assigned to it, or one of its sends is in
    /// flight or `unknown` (the Sent-folder reconciliation needs the mailbox). Checked and
    /// deleted in one transaction. Past sends keep their rows without the mailbox; the
    /// mailbox's daily counts, inbound records and IMAP marks go with it.
    async fn delete_mailbox(&self, ws: WorkspaceId, id: MailboxId) -> Result<Removal, StoreError>;

    /// Products that are not deleted, by id (time-ordered), after `after`, at most `limit`.
    async fn list_products(
        &self,
        ws: WorkspaceId,
        after: Option<ProductId>,
        limit: u32,
    ) -> Result<Vec<Product>, StoreError>;

    /// Creates a product. A soft-deleted product of that name comes back with the new
    /// description (keeping its id), as it does when an apply file names it again. `Conflict`
    /// when a product of that name exists.
    async fn create_product(
        &self,
        ws: WorkspaceId,
        spec: &ProductSpec,
        now: DateTime<Utc>,
    ) -> Result<Product, StoreError>;

    /// Replaces a product's name, description and source file name. `None` when there is no
    /// such product (or it is deleted); `Conflict` when another product, deleted or not, has
    /// the name.
    async fn update_product(
        &self,
        ws: WorkspaceId,
        id: ProductId,
        spec: &ProductSpec,
        now: DateTime<Utc>,
    ) -> Result<Option<Product>, StoreError>;

    /// Soft-deletes a product unless a campaign that is not completed uses it (its messages
    /// are generated from the description). Completed campaigns keep pointing at it.
    async fn delete_product(
        &self,
        ws: WorkspaceId,
        id: ProductId,
        now: DateTime<Utc>,
    ) -> Result<Removal, StoreError>;
}
