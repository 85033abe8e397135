//! The inbound half on SQLite: the shared SQL of `store::inbound_sql`; every write goes through
//! the store's write queue (`begin_write`), reads use a pooled connection.

use super::SqliteStore;

crate::store::inbound_sql::inbound_sql!(sqlx::SqliteConnection, super::ts);

pub(super) async fn record(
    s: &SqliteStore,
    rec: &InboundRecord,
) -> Result<InboundOutcome, StoreError> {
    let mut tx = s.begin_write().await?;
    let out = record_inbound(tx.conn(), rec).await?;
    tx.commit().await?;
    Ok(out)
}

pub(super) async fn mailboxes(
    s: &SqliteStore,
) -> Result<Vec<(Mailbox, InboundOptions)>, StoreError> {
    inbound_mailboxes(&mut *s.read().await?).await
}

pub(super) async fn set_options(
    s: &SqliteStore,
    ws: WorkspaceId,
    mailbox: MailboxId,
    options: &InboundOptions,
) -> Result<(), StoreError> {
    let mut tx = s.begin_write().await?;
    set_inbound_options(tx.conn(), ws, mailbox, options).await?;
    tx.commit().await
}

pub(super) async fn options(
    s: &SqliteStore,
    ws: WorkspaceId,
    mailbox: MailboxId,
) -> Result<Option<InboundOptions>, StoreError> {
    inbound_options(&mut *s.read().await?, ws, mailbox).await
}

pub(super) async fn checkpoints(
    s: &SqliteStore,
    mailbox: MailboxId,
) -> Result<Vec<ImapCheckpoint>, StoreError> {
    imap_checkpoints(&mut *s.read().await?, mailbox).await
}

pub(super) async fn save_checkpoint(
    s: &SqliteStore,
    mailbox: MailboxId,
    cp: &ImapCheckpoint,
) -> Result<(), StoreError> {
    let mut tx = s.begin_write().await?;
    save_imap_checkpoint(tx.conn(), mailbox, cp, Utc::now()).await?;
    tx.commit().await
}

pub(super) async fn set_status(
    s: &SqliteStore,
    mailbox: MailboxId,
    status: &ImapStatus,
) -> Result<(), StoreError> {
    let mut tx = s.begin_write().await?;
    set_imap_status(tx.conn(), mailbox, status).await?;
    tx.commit().await
}

pub(super) async fn status(
    s: &SqliteStore,
    ws: WorkspaceId,
    mailbox: MailboxId,
) -> Result<Option<ImapStatus>, StoreError> {
    imap_status(&mut *s.read().await?, ws, mailbox).await
}

pub(super) async fn leads(s: &SqliteStore, mailbox: MailboxId) -> Result<MailboxLeads, StoreError> {
    mailbox_leads(&mut *s.read().await?, mailbox).await
}

pub(super) async fn bounce_rate(
    s: &SqliteStore,
    mailbox: MailboxId,
    window: u32,
) -> Result<BounceRate, StoreError> {
    mailbox_bounce_rate(&mut *s.read().await?, mailbox, window).await
}

pub(super) async fn with_unknown(s: &SqliteStore) -> Result<Vec<MailboxId>, StoreError> {
    mailboxes_with_unknown_sends(&mut *s.read().await?).await
}

pub(super) async fn unknown(
    s: &SqliteStore,
    mailbox: MailboxId,
) -> Result<Vec<UnknownSend>, StoreError> {
    unknown_sends(&mut *s.read().await?, mailbox).await
}

pub(super) async fn resolve(
    s: &SqliteStore,
    mailbox: MailboxId,
    send: SendId,
    resolution: UnknownResolution,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut tx = s.begin_write().await?;
    let done = resolve_unknown_send(tx.conn(), mailbox, send, resolution, now).await?;
    tx.commit().await?;
    Ok(done)
}
