//! The inbound half on SQLite: the shared SQL of `store::sql::inbound`; every write goes through
//! the store's write queue (`begin_write`), reads use a pooled connection.

use super::*;
use crate::store::Inbound;
use crate::store::sql::inbound::InboundSql;
use crate::store::sql::pollers::PollerSql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Sqlite;

#[async_trait]
impl Inbound for SqliteStore {
    async fn inbound_mailboxes(&self) -> Result<Vec<(Mailbox, InboundOptions)>, StoreError> {
        Sql::inbound_mailboxes(&mut *self.read().await?).await
    }

    async fn set_inbound_options(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        options: &InboundOptions,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        Sql::set_inbound_options(tx.conn(), ws, mailbox, options).await?;
        tx.commit().await
    }

    async fn inbound_options(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<InboundOptions>, StoreError> {
        Sql::inbound_options(&mut *self.read().await?, ws, mailbox).await
    }

    async fn imap_checkpoints(
        &self,
        mailbox: MailboxId,
    ) -> Result<Vec<ImapCheckpoint>, StoreError> {
        Sql::imap_checkpoints(&mut *self.read().await?, mailbox).await
    }

    async fn save_imap_checkpoint(
        &self,
        mailbox: MailboxId,
        checkpoint: &ImapCheckpoint,
    ) -> Result<(), StoreError> {
        let cp = checkpoint;
        let mut tx = self.begin_write().await?;
        Sql::save_imap_checkpoint(tx.conn(), mailbox, cp, Utc::now()).await?;
        tx.commit().await
    }

    async fn set_imap_status(
        &self,
        mailbox: MailboxId,
        status: &ImapStatus,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        Sql::set_imap_status(tx.conn(), mailbox, status).await?;
        tx.commit().await
    }

    async fn imap_status(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<ImapStatus>, StoreError> {
        Sql::imap_status(&mut *self.read().await?, ws, mailbox).await
    }

    async fn mailbox_leads(&self, mailbox: MailboxId) -> Result<MailboxLeads, StoreError> {
        Sql::mailbox_leads(&mut *self.read().await?, mailbox).await
    }

    async fn record_inbound(&self, record: &InboundRecord) -> Result<InboundOutcome, StoreError> {
        let rec = record;
        let mut tx = self.begin_write().await?;
        let out = Sql::record_inbound(tx.conn(), rec).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn mailbox_bounce_rate(
        &self,
        mailbox: MailboxId,
        window: u32,
    ) -> Result<BounceRate, StoreError> {
        Sql::mailbox_bounce_rate(&mut *self.read().await?, mailbox, window).await
    }

    async fn mailboxes_with_unknown_sends(&self) -> Result<Vec<MailboxId>, StoreError> {
        Sql::mailboxes_with_unknown_sends(&mut *self.read().await?).await
    }

    async fn unknown_sends(&self, mailbox: MailboxId) -> Result<Vec<UnknownSend>, StoreError> {
        Sql::unknown_sends(&mut *self.read().await?, mailbox).await
    }

    async fn resolve_unknown_send(
        &self,
        mailbox: MailboxId,
        send: crate::domain::SendId,
        resolution: UnknownResolution,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = Sql::resolve_unknown_send(tx.conn(), mailbox, send, resolution, now).await?;
        tx.commit().await?;
        Ok(done)
    }
}
