//! Reading the watched folders: each new message is classified and recorded with its actions,
//! and the folder's checkpoint is saved after every batch, so a restart rereads at most one
//! batch (duplicates are recognised by Message-ID).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tokio::time::Instant;

use super::Poller;
use super::error::PollError;
use crate::domain::{EmailAddress, ImapCheckpoint, InboundRecord};
use crate::imap::classify::{Classification, ClassifyContext, LeadSet, judge, reply_content};
use crate::imap::{
    Fetched, FolderRead, ImapSession, UidMark, actions_for, class_name, header_date, inbound_class,
    inbound_key, open_folder, review_label,
};

/// How long the fallback-match lead list is reused before it is read again.
const LEADS_TTL: Duration = Duration::from_secs(60);

impl Poller {
    pub(super) async fn load_checkpoints(&mut self) -> Result<(), PollError> {
        let loaded = self.store.imap_checkpoints(self.mailbox.id).await?;
        let marks = loaded.into_iter().map(|c| {
            let mark = UidMark {
                uidvalidity: c.uidvalidity,
                last_uid: c.last_uid,
            };
            (c.folder, mark)
        });
        self.checkpoints = Some(marks.collect());
        Ok(())
    }

    /// Reads `folder` past its checkpoint; a renumbered folder is read again since the mailbox
    /// was created.
    pub(super) async fn check_folder(
        &mut self,
        session: &mut ImapSession,
        folder: &str,
    ) -> Result<(), PollError> {
        let known = self.checkpoint(folder);
        let since = (self.mailbox.created_at - TimeDelta::days(1)).date_naive();
        let batch = self.settings.fetch_batch;
        let mut cursor = match open_folder(session, folder, known, since, batch).await? {
            FolderRead::UpToDate => return Ok(()),
            FolderRead::Missing { reason } => {
                tracing::debug!(mailbox = %self.mailbox.id, folder, reason = %reason, "IMAP folder missing; skipped.");
                self.missing.push(folder.to_owned());
                return Ok(());
            }
            FolderRead::New(cursor) => cursor,
        };
        if let Some(old) = cursor.renumbered_from {
            tracing::warn!(mailbox = %self.mailbox.id, folder, old, new = cursor.uidvalidity, "IMAP UIDs were renumbered; rereading the folder (duplicates are ignored).");
        }
        while let Some(messages) = cursor.next_batch(session).await? {
            for message in &messages {
                self.process(folder, message).await?;
            }
            self.save_checkpoint(folder, cursor.mark()).await?;
        }
        let last = cursor.final_mark();
        if self.checkpoint(folder) != Some(last) {
            self.save_checkpoint(folder, last).await?;
        }
        Ok(())
    }

    fn checkpoint(&self, folder: &str) -> Option<UidMark> {
        self.checkpoints.as_ref()?.get(folder).copied()
    }

    async fn save_checkpoint(&mut self, folder: &str, mark: UidMark) -> Result<(), PollError> {
        let cp = ImapCheckpoint {
            folder: folder.to_owned(),
            uidvalidity: mark.uidvalidity,
            last_uid: mark.last_uid,
        };
        self.store
            .save_imap_checkpoint(self.mailbox.id, &cp)
            .await?;
        self.checkpoints
            .get_or_insert_with(HashMap::new)
            .insert(folder.to_owned(), mark);
        Ok(())
    }

    async fn lead_set(&mut self) -> Result<LeadSet, PollError> {
        if let Some((at, set)) = &self.leads
            && at.elapsed() < LEADS_TTL
        {
            return Ok(set.clone());
        }
        let rows = self.store.mailbox_leads(self.mailbox.id).await?;
        let mut set = LeadSet::new();
        for email in rows.emails {
            if let Ok(e) = EmailAddress::parse(&email) {
                set.add_lead(&e);
            }
        }
        for subject in rows.subjects {
            set.add_subject(&subject);
        }
        self.leads = Some((Instant::now(), set.clone()));
        Ok(set)
    }

    async fn process(&mut self, folder: &str, message: &Fetched) -> Result<(), PollError> {
        let (uid, raw) = (message.uid, message.raw.as_slice());
        let leads = self.lead_set().await?;
        let judged = judge(
            raw,
            &ClassifyContext::new(&leads).with_domains(&self.domains),
        );
        let judgement = match judged {
            Ok(j) => j,
            Err(e) => {
                tracing::debug!(mailbox = %self.mailbox.id, folder, uid, error = %e, "Inbound message not classifiable; skipped.");
                return Ok(());
            }
        };
        let classification = &judgement.classification;
        let message_id = inbound_key(raw);
        // A reply's words are kept with the lead it stops, for an answer to be drafted.
        let reply = matches!(judgement.classification, Classification::Reply { .. })
            .then(|| reply_content(raw, &message_id))
            .flatten();
        let record = InboundRecord {
            workspace_id: self.mailbox.workspace_id,
            mailbox_id: self.mailbox.id,
            message_id,
            folder: folder.to_owned(),
            class: class_name(classification),
            received_at: Utc::now(),
            actions: actions_for(&judgement, self.settings.soft_bounce_limit),
            needs_review: judgement.needs_review,
            // Kept only for a person to read and act on; a confident judgement is not stored.
            judgement: judgement
                .needs_review
                .and_then(|_| serde_json::to_value(&judgement).ok()),
            reply,
        };
        let classified_at = Utc::now();
        let outcome = self.store.record_inbound(&record).await?;
        if !outcome.duplicate {
            // A reread after a UID renumbering is not counted again (nor its old arrival).
            let arrived = message.internal_date.or_else(|| header_date(raw));
            let since = |at: chrono::DateTime<Utc>| {
                arrived.map_or(Duration::ZERO, |a| (at - a).to_std().unwrap_or_default())
            };
            self.inbound
                .classified(inbound_class(classification), since(classified_at));
            if let Some(reason) = judgement.needs_review {
                self.inbound.needs_review(review_label(reason));
            }
            if matches!(classification, Classification::Reply { .. }) && outcome.stopped > 0 {
                self.inbound.reply_stopped(since(Utc::now()));
            }
        }
        if !outcome.duplicate && !record.actions.is_empty() {
            tracing::info!(
                mailbox = %self.mailbox.id,
                folder,
                uid,
                class = record.class,
                matched = outcome.matched,
                stopped = outcome.stopped,
                paused_for_review = outcome.paused_for_review,
                "Inbound message processed."
            );
        }
        if outcome.mailbox_paused {
            tracing::warn!(
                mailbox = %self.mailbox.id,
                folder,
                uid,
                "Mailbox paused: a server refused our sender; fix the domain's DNS or authentication, then resume it."
            );
        }
        if let Some(id) = outcome.reply {
            self.replies.offer(id);
        }
        if outcome.hard_bounces > 0 {
            self.check_bounce_rate().await?;
        }
        Ok(())
    }
}
