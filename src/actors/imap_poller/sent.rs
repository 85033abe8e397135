//! Our side of the Sent folder: appending copies of what we sent (`append_sent = true`), and
//! reconciling `unknown` sends by looking for their Message-ID there (found: sent; missing
//! from an authoritative Sent folder: sent again; otherwise left to an operator).

use crate::domain::UnknownResolution;
use chrono::{TimeDelta, Utc};

use super::Poller;
use super::error::PollError;
use crate::imap::ImapSession;

/// Sent copies a poller holds across a reconnect (beyond this, the oldest is dropped).
const MAX_HELD_COPIES: usize = 64;

impl Poller {
    /// Whether sent copies wait to be appended.
    pub(super) fn copies_waiting(&self) -> bool {
        !self.held_copies.is_empty()
            || self
                .sent_copies
                .as_ref()
                .is_some_and(|q| !q.copies.is_empty())
    }

    /// Appends the waiting sent copies to the Sent folder (flagged `\Seen`). The poller never
    /// reads Sent as inbound mail (only INBOX and `extra_folders`), so the copies are not
    /// classified. A copy the server refuses is dropped with a warning; a connection error
    /// keeps it for the next session.
    pub(super) async fn append_sent_copies(
        &mut self,
        session: &mut ImapSession,
    ) -> Result<(), PollError> {
        if let Some(queue) = self.sent_copies.as_mut() {
            while let Ok(copy) = queue.copies.try_recv() {
                if self.held_copies.len() >= MAX_HELD_COPIES {
                    self.held_copies.pop_front();
                    tracing::debug!(mailbox = %self.mailbox.id, "Sent copy dropped: too many waiting.");
                }
                self.held_copies.push_back(copy);
            }
        }
        if self.held_copies.is_empty() {
            return Ok(());
        }
        if self.sent_folder.is_none() {
            self.sent_folder = session.sent_folder().await?;
        }
        let Some(sent) = self.sent_folder.clone() else {
            tracing::warn!(mailbox = %self.mailbox.id, copies = self.held_copies.len(), "No Sent folder found; sent copies dropped.");
            self.held_copies.clear();
            return Ok(());
        };
        let mut appended = 0u32;
        while let Some(copy) = self.held_copies.front() {
            match session.append(&sent, copy).await {
                Ok(()) => appended += 1,
                Err(e) => match e.refusal() {
                    Some(reason) => {
                        tracing::warn!(mailbox = %self.mailbox.id, folder = %sent, reason = %reason, "Server refused a sent copy; dropped.");
                    }
                    None => return Err(e.into()),
                },
            }
            self.held_copies.pop_front();
        }
        if appended > 0 {
            tracing::debug!(mailbox = %self.mailbox.id, folder = %sent, appended, "Sent copies appended.");
        }
        Ok(())
    }

    /// Looks for each `unknown` send's Message-ID in the Sent folder: found ⇒ `sent` (the lead
    /// advances); missing from an authoritative Sent folder (and older than the grace) ⇒ sent
    /// again; otherwise left for an operator.
    pub(super) async fn reconcile_unknown(
        &mut self,
        session: &mut ImapSession,
    ) -> Result<(), PollError> {
        let unknown = self.store.unknown_sends(self.mailbox.id).await?;
        if unknown.is_empty() {
            return Ok(());
        }
        if self.sent_folder.is_none() {
            self.sent_folder = session.sent_folder().await?;
        }
        let Some(sent) = self.sent_folder.clone() else {
            tracing::warn!(mailbox = %self.mailbox.id, unknown = unknown.len(), "No Sent folder found; unknown sends stay unknown.");
            return Ok(());
        };
        session.examine(&sent).await?;
        let grace = TimeDelta::from_std(self.settings.reconcile_grace.as_duration())
            .unwrap_or(TimeDelta::zero());
        let (mut found, mut resent) = (0u32, 0u32);
        for send in &unknown {
            let now = Utc::now();
            let resolution = if session.has_message_id(&send.message_id).await? {
                UnknownResolution::Sent
            } else if self.options.sent_folder_is_authoritative && now - send.since >= grace {
                UnknownResolution::Resend { at: now }
            } else {
                continue;
            };
            if self
                .store
                .resolve_unknown_send(self.mailbox.id, send.send_id, resolution, now)
                .await?
            {
                match resolution {
                    UnknownResolution::Sent => found += 1,
                    UnknownResolution::Resend { .. } => resent += 1,
                }
            }
        }
        if found + resent > 0 {
            self.inbound.unknown_reconciled(found, resent);
            tracing::info!(mailbox = %self.mailbox.id, found, resent, left = unknown.len() as u32 - found - resent, "Unknown sends reconciled against the Sent folder.");
        }
        Ok(())
    }
}
