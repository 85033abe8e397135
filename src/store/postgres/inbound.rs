//! The inbound half on PostgreSQL: the shared SQL of `store::sql::inbound` over a pooled
//! connection, with `record_inbound` in one transaction (retried when PostgreSQL breaks a
//! deadlock with a dispatch batch; the unit is idempotent from its start).

use super::*;
use crate::store::Inbound;
use crate::store::sql::inbound::InboundSql;
use crate::store::sql::pollers::PollerSql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::deadlock::retrying;

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

#[async_trait]
impl Inbound for PgStore {
    async fn inbound_mailboxes(&self) -> Result<Vec<(Mailbox, InboundOptions)>, StoreError> {
        Sql::inbound_mailboxes(&mut *self.read().await?).await
    }

    async fn set_inbound_options(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        options: &InboundOptions,
    ) -> Result<(), StoreError> {
        Sql::set_inbound_options(&mut *self.read().await?, ws, mailbox, options).await
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
        Sql::save_imap_checkpoint(&mut *self.read().await?, mailbox, cp, Utc::now()).await
    }

    async fn set_imap_status(
        &self,
        mailbox: MailboxId,
        status: &ImapStatus,
    ) -> Result<(), StoreError> {
        Sql::set_imap_status(&mut *self.read().await?, mailbox, status).await
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
        let pool = &self.pool;
        let rec = record;
        retrying(|| async move {
            let mut tx = pool.begin().await.ctx("begin an inbound transaction")?;
            let out = Sql::record_inbound(&mut tx, rec).await?;
            tx.commit().await.ctx("commit an inbound message")?;
            Ok(out)
        })
        .await
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
        let pool = &self.pool;
        retrying(|| async move {
            let mut tx = pool.begin().await.ctx("begin a reconciliation")?;
            let done = Sql::resolve_unknown_send(&mut tx, mailbox, send, resolution, now).await?;
            tx.commit().await.ctx("commit a reconciliation")?;
            Ok(done)
        })
        .await
    }
}
