//! `impl Mailboxes for PgStore`: the shared statements of `store::sql::catalog`, an upsert in
//! one transaction.

use async_trait::async_trait;
use chrono::Utc;

use super::PgStore;
use crate::domain::{
    EmailAddress, Mailbox, MailboxCredentials, MailboxId, MailboxSpec, Upserted, WorkspaceId,
};
use crate::store::Mailboxes;
use crate::store::sql::catalog::{CatalogSql, credentials};
use crate::store::sql::reads::Reads;
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

#[async_trait]
impl Mailboxes for PgStore {
    async fn upsert_mailbox(
        &self,
        ws: WorkspaceId,
        spec: &MailboxSpec,
    ) -> Result<Upserted<Mailbox>, StoreError> {
        let mut tx = self.pool.begin().await.ctx("begin a mailbox upsert")?;
        let upserted = Sql::upsert_mailbox(&mut tx, &self.cipher, ws, spec, Utc::now()).await?;
        tx.commit().await.ctx("commit a mailbox upsert")?;
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
