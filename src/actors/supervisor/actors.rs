//! Starting, updating and stopping the mailbox and campaign actors of one reconcile pass.

use std::collections::HashMap;

use chrono::Utc;

use super::{Slot, Supervisor};
use crate::actors::campaign::spawn_campaign;
use crate::actors::context::DispatchContext;
use crate::actors::mailbox::spawn_mailbox;
use crate::actors::transport::Transport;
use crate::domain::{CampaignDue, Mailbox, MailboxId, MailboxStatus};
use crate::smtp::{OutboxTransport, SmtpEndpoint};
use crate::store::StoreError;
use crate::telemetry::ActorKind;

/// Mailboxes whose SMTP host is this name write `.eml` files into the outbox folder instead of
/// sending (demo, dry runs).
pub const OUTBOX_HOST: &str = "outbox";

/// The transport for a mailbox: its SMTP server, or the outbox folder.
pub async fn transport_for(mailbox: &Mailbox, ctx: &DispatchContext) -> Result<Transport, String> {
    if mailbox.smtp.host == OUTBOX_HOST {
        let dir = ctx.outbox_dir.join(&mailbox.address);
        return OutboxTransport::new(dir)
            .map(Transport::Outbox)
            .map_err(|e| e.to_string());
    }
    let credentials = ctx
        .store
        .mailbox_credentials(mailbox.workspace_id, mailbox.id)
        .await
        .map_err(|e: StoreError| e.to_string())?;
    let endpoint = SmtpEndpoint::for_server(
        &mailbox.smtp,
        credentials.smtp_password,
        &ctx.settings.helo_name,
        ctx.extra_root_pem.as_deref(),
    );
    Ok(Transport::smtp(endpoint, ctx.settings.smtp_timeouts()))
}

/// An operator resumed a cooling mailbox: the row went from a cooldown still running to
/// `active`. The actor itself writes `active` only once its cooldown is over, so this is never
/// its own doing.
fn cooldown_lifted(old: &Mailbox, new: &Mailbox, now: chrono::DateTime<Utc>) -> bool {
    old.status == MailboxStatus::Cooling
        && old.cooling_until.is_some_and(|until| until > now)
        && new.status == MailboxStatus::Active
}

impl Supervisor {
    pub(super) async fn reconcile_mailboxes(&mut self, wanted: Vec<Mailbox>) {
        // Shutting down: actors end because they were cancelled, not because they crashed;
        // `stop_all` drains them (restarting them would only log false errors).
        if self.handle.cancel.is_cancelled() {
            return;
        }
        let wanted: HashMap<_, _> = wanted
            .into_iter()
            .filter(|m| m.status != MailboxStatus::Paused)
            .map(|m| (m.id, m))
            .collect();
        // Stop what is no longer wanted (campaign paused, mailbox paused or removed).
        let gone: Vec<_> = self
            .mailboxes
            .keys()
            .filter(|id| !wanted.contains_key(id))
            .copied()
            .collect();
        for id in gone {
            self.stop_mailbox(id).await;
        }
        // Forget crashed actors so they are restarted below, after their backoff.
        let crashed: Vec<_> = self
            .mailboxes
            .iter()
            .filter(|(_, s)| s.task.is_finished())
            .map(|(id, _)| *id)
            .collect();
        for id in crashed {
            self.mailboxes.remove(&id);
            self.registry.remove(id);
            let delay = self.backoff.entry(id.0).or_default().fail();
            self.metrics.restarted(ActorKind::Mailbox);
            tracing::error!(mailbox = %id, retry_in = ?delay, "Mailbox actor stopped unexpectedly; restarting after backoff.");
        }
        let now = Utc::now();
        for (id, mailbox) in wanted {
            if let Some(slot) = self.mailboxes.get(&id) {
                let old = self.mailbox_rows.get(&id);
                if old.is_some_and(|old| cooldown_lifted(old, &mailbox, now)) {
                    // The actor keeps its cooldown in memory: a fresh one starts active.
                    tracing::info!(mailbox = %mailbox.address, "Mailbox resumed during its cooldown; restarting its actor.");
                    self.stop_mailbox(id).await;
                } else {
                    if old.is_some_and(|old| old.updated_at != mailbox.updated_at) {
                        slot.handle.reconfigure(mailbox.clone()).await;
                        self.mailbox_rows.insert(id, mailbox);
                    }
                    continue;
                }
            }
            if !self.backoff.get(&id.0).is_none_or(|b| b.may_start()) {
                continue;
            }
            if let Err(reason) = self.start_mailbox(mailbox).await {
                let delay = self.backoff.entry(id.0).or_default().fail();
                self.metrics.restarted(ActorKind::Mailbox);
                tracing::warn!(mailbox = %id, %reason, retry_in = ?delay, "Cannot start mailbox actor.");
            }
        }
    }

    async fn stop_mailbox(&mut self, id: MailboxId) {
        if let Some(slot) = self.mailboxes.remove(&id) {
            self.registry.remove(id);
            slot.cancel.cancel();
            let _ = slot.task.await;
        }
        self.mailbox_rows.remove(&id);
    }

    async fn start_mailbox(&mut self, mailbox: Mailbox) -> Result<(), String> {
        let transport = transport_for(&mailbox, &self.ctx).await?;
        let cancel = self.handle.cancel.child_token();
        let (handle, task) =
            spawn_mailbox(mailbox.clone(), transport, self.ctx.clone(), cancel.clone())
                .await
                .map_err(|e| e.to_string())?;
        tracing::info!(mailbox = %mailbox.address, "Mailbox actor started.");
        self.registry.insert(handle.clone());
        self.mailbox_rows.insert(mailbox.id, mailbox.clone());
        self.mailboxes.insert(
            mailbox.id,
            Slot {
                handle,
                task,
                cancel,
            },
        );
        Ok(())
    }

    pub(super) fn reconcile_campaigns(&mut self, due: &[CampaignDue]) {
        if self.handle.cancel.is_cancelled() {
            return; // see `reconcile_mailboxes`
        }
        let running: HashMap<_, _> = due.iter().map(|c| (c.campaign_id, *c)).collect();
        let gone: Vec<_> = self
            .campaigns
            .iter()
            .filter(|(id, slot)| !running.contains_key(id) || slot.task.is_finished())
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            if let Some(slot) = self.campaigns.remove(&id) {
                if slot.task.is_finished() && running.contains_key(&id) {
                    let delay = self.backoff.entry(id.0).or_default().fail();
                    self.metrics.restarted(ActorKind::Campaign);
                    tracing::error!(campaign = %id, retry_in = ?delay, "Campaign actor stopped unexpectedly; restarting after backoff.");
                }
                // Stopping a campaign only stops claiming; its in-flight jobs finish.
                slot.cancel.cancel();
            }
        }
        let horizon =
            Utc::now() + chrono::TimeDelta::from_std(self.options.interval).unwrap_or_default();
        for (id, c) in running {
            if !self.campaigns.contains_key(&id) {
                if !self.backoff.get(&id.0).is_none_or(|b| b.may_start()) {
                    continue;
                }
                let cancel = self.handle.cancel.child_token();
                let (handle, task) = spawn_campaign(
                    c.workspace_id,
                    id,
                    self.ctx.clone(),
                    self.registry.clone(),
                    cancel.clone(),
                );
                tracing::info!(campaign = %id, "Campaign actor started.");
                self.campaigns.insert(
                    id,
                    Slot {
                        handle,
                        task,
                        cancel,
                    },
                );
            }
            if let (Some(slot), Some(next)) = (self.campaigns.get(&id), c.next_due)
                && next <= horizon
            {
                slot.handle.wake_at(next);
            }
        }
    }
}
