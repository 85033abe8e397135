//! `impl Mailboxes for SqliteStore`: the shared statements of `store::sql::catalog`, an
//! upsert in one write transaction.

use async_trait::async_trait;
use chrono::Utc;

use super::{SqliteStore, ensure_workspace};
use crate::domain::{
    EmailAddress, Mailbox, MailboxCredentials, MailboxId, MailboxSpec, Upserted, WorkspaceId,
};
use crate::store::Mailboxes;
use crate::store::StoreError;
use crate::store::sql::catalog::{CatalogSql, credentials};
use crate::store::sql::reads::Reads;

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Sqlite;

#[async_trait]
impl Mailboxes for SqliteStore {
    async fn upsert_mailbox(
        &self,
        ws: WorkspaceId,
        spec: &MailboxSpec,
    ) -> Result<Upserted<Mailbox>, StoreError> {
        let mut tx = self.begin_write().await?;
        ensure_workspace(tx.conn(), ws).await?;
        let upserted = Sql::upsert_mailbox(tx.conn(), &self.cipher, ws, spec, Utc::now()).await?;
        tx.commit().await?;
        Ok(upserted)
    }

    async fn list_mailboxes(&self, ws: WorkspaceId) -> Result<Vec<Mailbox>, StoreError> {
        Sql::list_mailboxes(&mut *self.read().await?, ws).await
    }

    async fn mailbox_by_address(
        &self,
        ws: WorkspaceId,
        address: &EmailAddress,
    ) -> Result<Option<Mailbox>, StoreError> {
        Sql::mailbox_by_address(&mut *self.read().await?, ws, address, false)
            .await?
            .as_ref()
            .map(Mailbox::try_from)
            .transpose()
    }

    async fn mailbox_credentials(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<MailboxCredentials, StoreError> {
        match Sql::mailbox_row(&mut *self.read().await?, ws, id).await? {
            Some(row) => credentials(&self.cipher, &row),
            None => Err(StoreError::not_found("mailbox", id.to_string())),
        }
    }

    async fn mailbox_by_id(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<Option<Mailbox>, StoreError> {
        Sql::mailbox_row(&mut *self.read().await?, ws, id)
            .await?
            .as_ref()
            .map(Mailbox::try_from)
            .transpose()
    }
}
