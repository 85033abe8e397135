//! `impl Operator for PgStore`: the shared statements of `store::sql::operator`, each write in
//! one transaction.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::PgStore;
use crate::domain::{MailboxId, NextStep, SendId, WorkspaceId};
use crate::store::sql::operator::{OperatorSql, operator_state};
use crate::store::{Operator, QueryContext, StoreError, UnknownFilter, UnknownSendInfo};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

#[async_trait]
impl Operator for PgStore {
    async fn set_mailbox_paused(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Sql::set_mailbox_state(
            &mut *self.read().await?,
            Some(ws),
            mailbox,
            &operator_state(Some(reason)),
            now,
        )
        .await
    }

    async fn set_mailbox_active(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Sql::set_mailbox_state(
            &mut *self.read().await?,
            Some(ws),
            mailbox,
            &operator_state(None),
            now,
        )
        .await
    }

    async fn mailbox_sent_on(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        local_date: NaiveDate,
    ) -> Result<u32, StoreError> {
        Sql::mailbox_sent_on(&mut *self.read().await?, ws, mailbox, local_date).await
    }

    async fn unknown_sends_in(
        &self,
        ws: WorkspaceId,
        filter: &UnknownFilter,
    ) -> Result<Vec<UnknownSendInfo>, StoreError> {
        Sql::unknown_sends_in(&mut *self.read().await?, ws, filter).await
    }

    async fn resolve_unknown_as_sent(
        &self,
        ws: WorkspaceId,
        send: SendId,
        next: NextStep,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.ctx("begin resolving a send")?;
        let resolved = Sql::resolve_unknown_as_sent(&mut tx, ws, send, next, now).await?;
        tx.commit().await.ctx("commit resolving a send")?;
        Ok(resolved)
    }

    async fn resolve_unknown_as_resend(
        &self,
        ws: WorkspaceId,
        send: SendId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.ctx("begin resolving a send")?;
        let resolved = Sql::resolve_unknown_as_resend(&mut tx, ws, send, now).await?;
        tx.commit().await.ctx("commit resolving a send")?;
        Ok(resolved)
    }
}
