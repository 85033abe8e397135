//! The inbound half on PostgreSQL: the shared SQL of `store::inbound_sql` over a pooled
//! connection, with `record_inbound` in one transaction (retried when PostgreSQL breaks a
//! deadlock with a dispatch batch; the unit is idempotent from its start).

use sqlx::PgPool;

use super::deadlock::retrying;

/// PostgreSQL binds timestamps as they are.
fn at(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    t
}

crate::store::inbound_sql::inbound_sql!(sqlx::PgConnection, at);

async fn conn(pool: &PgPool) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, StoreError> {
    pool.acquire().await.ctx("acquire a connection")
}

pub(super) async fn record(
    pool: &PgPool,
    rec: &InboundRecord,
) -> Result<InboundOutcome, StoreError> {
    retrying(|| async move {
        let mut tx = pool.begin().await.ctx("begin an inbound transaction")?;
        let out = record_inbound(&mut tx, rec).await?;
        tx.commit().await.ctx("commit an inbound message")?;
        Ok(out)
    })
    .await
}

pub(super) async fn mailboxes(pool: &PgPool) -> Result<Vec<(Mailbox, InboundOptions)>, StoreError> {
    inbound_mailboxes(&mut *conn(pool).await?).await
}

pub(super) async fn set_options(
    pool: &PgPool,
    ws: WorkspaceId,
    mailbox: MailboxId,
    options: &InboundOptions,
) -> Result<(), StoreError> {
    set_inbound_options(&mut *conn(pool).await?, ws, mailbox, options).await
}

pub(super) async fn options(
    pool: &PgPool,
    ws: WorkspaceId,
    mailbox: MailboxId,
) -> Result<Option<InboundOptions>, StoreError> {
    inbound_options(&mut *conn(pool).await?, ws, mailbox).await
}

pub(super) async fn checkpoints(
    pool: &PgPool,
    mailbox: MailboxId,
) -> Result<Vec<ImapCheckpoint>, StoreError> {
    imap_checkpoints(&mut *conn(pool).await?, mailbox).await
}

pub(super) async fn save_checkpoint(
    pool: &PgPool,
    mailbox: MailboxId,
    cp: &ImapCheckpoint,
) -> Result<(), StoreError> {
    save_imap_checkpoint(&mut *conn(pool).await?, mailbox, cp, Utc::now()).await
}

pub(super) async fn set_status(
    pool: &PgPool,
    mailbox: MailboxId,
    status: &ImapStatus,
) -> Result<(), StoreError> {
    set_imap_status(&mut *conn(pool).await?, mailbox, status).await
}

pub(super) async fn status(
    pool: &PgPool,
    ws: WorkspaceId,
    mailbox: MailboxId,
) -> Result<Option<ImapStatus>, StoreError> {
    imap_status(&mut *conn(pool).await?, ws, mailbox).await
}

pub(super) async fn leads(pool: &PgPool, mailbox: MailboxId) -> Result<MailboxLeads, StoreError> {
    mailbox_leads(&mut *conn(pool).await?, mailbox).await
}

pub(super) async fn bounce_rate(
    pool: &PgPool,
    mailbox: MailboxId,
    window: u32,
) -> Result<BounceRate, StoreError> {
    mailbox_bounce_rate(&mut *conn(pool).await?, mailbox, window).await
}

pub(super) async fn with_unknown(pool: &PgPool) -> Result<Vec<MailboxId>, StoreError> {
    mailboxes_with_unknown_sends(&mut *conn(pool).await?).await
}

pub(super) async fn unknown(
    pool: &PgPool,
    mailbox: MailboxId,
) -> Result<Vec<UnknownSend>, StoreError> {
    unknown_sends(&mut *conn(pool).await?, mailbox).await
}

pub(super) async fn resolve(
    pool: &PgPool,
    mailbox: MailboxId,
    send: SendId,
    resolution: UnknownResolution,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    retrying(|| async move {
        let mut tx = pool.begin().await.ctx("begin a reconciliation")?;
        let done = resolve_unknown_send(&mut tx, mailbox, send, resolution, now).await?;
        tx.commit().await.ctx("commit a reconciliation")?;
        Ok(done)
    })
    .await
}
