//! The inbound role: what the IMAP pollers read and write: checkpoints, poller status, the
//! leads a reply may come from, recorded inbound messages with their actions, bounce rates and
//! the reconciliation of `unknown` sends against the Sent folder.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::*;

/// What the IMAP pollers need (see `domain::inbound`).
#[async_trait]
pub trait Inbound: Send + Sync + 'static {
    /// Mailboxes (all workspaces) with IMAP configured in the pool of a running or paused
    /// campaign, with their inbound options: the pollers to run. One query per call.
    async fn inbound_mailboxes(&self) -> Result<Vec<(Mailbox, InboundOptions)>, StoreError>;

    async fn set_inbound_options(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
        options: &InboundOptions,
    ) -> Result<(), StoreError>;

    async fn inbound_options(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<InboundOptions>, StoreError>;

    async fn imap_checkpoints(&self, mailbox: MailboxId)
    -> Result<Vec<ImapCheckpoint>, StoreError>;

    async fn save_imap_checkpoint(
        &self,
        mailbox: MailboxId,
        checkpoint: &ImapCheckpoint,
    ) -> Result<(), StoreError>;

    async fn set_imap_status(
        &self,
        mailbox: MailboxId,
        status: &ImapStatus,
    ) -> Result<(), StoreError>;

    async fn imap_status(
        &self,
        ws: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<Option<ImapStatus>, StoreError>;

    /// Lead addresses enrolled through a mailbox and their first subjects (fallback matching).
    async fn mailbox_leads(&self, mailbox: MailboxId) -> Result<MailboxLeads, StoreError>;

    /// Records an inbound message and applies its actions in one transaction; a message seen
    /// before (same mailbox and Message-ID) changes nothing and is reported `duplicate`.
    async fn record_inbound(&self, record: &InboundRecord) -> Result<InboundOutcome, StoreError>;

    /// The last `window` sends (sent or bounced) of a mailbox and how many hard-bounced.
    async fn mailbox_bounce_rate(
        &self,
        mailbox: MailboxId,
        window: u32,
    ) -> Result<BounceRate, StoreError>;

    /// Mailboxes (all workspaces) with at least one `unknown` send: the pollers that should
    /// look in their Sent folder. One query however many mailboxes there are.
    async fn mailboxes_with_unknown_sends(&self) -> Result<Vec<MailboxId>, StoreError>;

    /// `unknown` sends of a mailbox, oldest first (at most 500 per call).
    async fn unknown_sends(&self, mailbox: MailboxId) -> Result<Vec<UnknownSend>, StoreError>;

    /// Applies what the Sent folder said; `false` when the send is no longer `unknown`.
    async fn resolve_unknown_send(
        &self,
        mailbox: MailboxId,
        send: SendId,
        resolution: UnknownResolution,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
