//! One mailbox's inbound loop: connect, read every watched folder past its checkpoint, classify
//! each new message and record it with its actions (idempotent by Message-ID), reconcile
//! `unknown` sends against the Sent folder, then wait (IDLE when the server offers it, else
//! `STATUS` polling on the warm connection) and repeat.
//!
//! Failures never spin: a refused login marks the mailbox `auth_failed` with the server's words
//! and waits `auth_retry` (doubling, up to 16x); any other error drops the connection and
//! reconnects after 1 s, 2 s, 4 s, … up to `max_reconnect_backoff`. Each poller owns its own
//! connection, so a dead server affects only its mailbox. Idle mailboxes cost no queries: the
//! store is read only when the server reports new mail and every `reconcile_interval`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use secrecy::SecretString;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::classify::{Classification, ClassifyContext, LeadSet, classify};
use super::error::ImapError;
use super::session::{Fetched, IdleEnd, ImapSession, ImapTarget};
use super::settings::ImapSettings;
use super::{actions_for, class_name, header_date, inbound_key};
use crate::domain::{
    EmailAddress, ImapCheckpoint, ImapStatus, InboundOptions, InboundRecord, Mailbox,
    MailboxStateChange, MailboxStatus, UnknownResolution,
};
use crate::store::Store;
use crate::telemetry::{ImapMailboxMetrics, InboundMetrics, Metrics};

const INBOX: &str = "INBOX";
/// How long the fallback-match lead list is reused before it is read again.
const LEADS_TTL: Duration = Duration::from_secs(60);
/// Sent copies a poller holds across a reconnect (beyond this, the oldest is dropped).
const MAX_HELD_COPIES: usize = 64;

/// Our sent copies waiting to be appended to Sent (`append_sent = true`), fed by whoever
/// sends: the bytes exactly as sent, and a wake-up so a waiting poller appends at once.
pub struct SentCopyQueue {
    pub copies: mpsc::Receiver<Vec<u8>>,
    pub wake: Arc<Notify>,
}

/// Everything one poller needs. The password is read from the store at each connect, so a
/// corrected password is picked up by the next retry.
pub struct PollerConfig {
    pub mailbox: Mailbox,
    pub options: InboundOptions,
    pub settings: ImapSettings,
    /// Extra CA certificates (PEM) trusted besides the public roots (`security.tls_ca_file`).
    pub extra_root_pem: Option<Arc<str>>,
    /// Set (by whoever watches the store) when the mailbox has `unknown` sends: the poller then
    /// looks in Sent at its next reconcile time. Idle mailboxes thus cost no periodic query.
    pub unknown_sends: Arc<AtomicBool>,
    pub metrics: Metrics,
    /// `append_sent = true`: the copies to append to Sent between polls.
    pub sent_copies: Option<SentCopyQueue>,
}

/// The bounded `type` label of an IMAP error (`outreachd_errors_total{stage="imap"}`).
fn error_kind(e: &ImapError) -> &'static str {
    match e {
        ImapError::Connect { .. } => "connect",
        ImapError::Tls { .. } => "tls",
        ImapError::NoStarttls => "starttls",
        ImapError::Auth { .. } => "auth",
        ImapError::Timeout { .. } => "timeout",
        ImapError::Protocol { .. } => "protocol",
        ImapError::Closed { .. } => "closed",
        ImapError::Store(_) => "store",
    }
}

/// Runs until `cancel` fires. Never returns an error: every failure is logged, recorded as the
/// mailbox's IMAP status and retried after a backoff.
pub async fn run(store: Arc<dyn Store>, config: PollerConfig, cancel: CancellationToken) {
    let mut poller = Poller::new(store, config);
    let mut failures: u32 = 0;
    while !cancel.is_cancelled() {
        let result = match poller.target().await {
            Ok(target) => poller.serve(&target, &cancel).await,
            Err(e) => Err(e),
        };
        if let Err(e) = &result {
            poller.metrics.error("imap", error_kind(e));
            poller.polls.polled(false, Utc::now());
        }
        let delay = match result {
            Ok(()) => break,
            Err(e) if e.is_auth() => {
                failures += 1;
                let reason = match &e {
                    ImapError::Auth { reason } => reason.clone(),
                    other => other.to_string(),
                };
                tracing::warn!(mailbox = %poller.mailbox.id, reason = %reason, "IMAP login refused; retrying slowly.");
                poller.set_status("auth_failed", Some(reason)).await;
                poller.settings.auth_retry.as_duration() * 2u32.pow(failures.min(5) - 1)
            }
            Err(e) => {
                if poller.connected_once {
                    failures = 0;
                    poller.connected_once = false;
                }
                failures += 1;
                tracing::warn!(mailbox = %poller.mailbox.id, error = %e, failures, "IMAP connection failed; reconnecting.");
                poller.set_status("error", Some(e.to_string())).await;
                (Duration::from_secs(1) * 2u32.pow(failures.min(12) - 1))
                    .min(poller.settings.max_reconnect_backoff.as_duration())
            }
        };
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(delay) => {}
        }
    }
    tracing::debug!(mailbox = %poller.mailbox.id, "IMAP poller stopped.");
}

/// Resolves when a sent copy is offered; never without `append_sent`.
async fn copy_offered(wake: Option<Arc<Notify>>) {
    match wake {
        Some(w) => w.notified().await,
        None => std::future::pending().await,
    }
}

struct Poller {
    store: Arc<dyn Store>,
    mailbox: Mailbox,
    options: InboundOptions,
    settings: ImapSettings,
    extra_root_pem: Option<Arc<str>>,
    /// Our Message-IDs are at the From domain (`smtp::message_id_for`).
    domains: Vec<String>,
    checkpoints: Option<HashMap<String, ImapCheckpoint>>,
    leads: Option<(Instant, LeadSet)>,
    status: Option<(String, Option<String>)>,
    next_reconcile: Instant,
    sent_folder: Option<String>,
    paused_for_bounces: bool,
    unknown_sends: Arc<AtomicBool>,
    sent_copies: Option<SentCopyQueue>,
    /// Copies taken from the queue but not yet appended (kept across a reconnect).
    held_copies: VecDeque<Vec<u8>>,
    /// Set once a session logged in, so the reconnect backoff starts over.
    connected_once: bool,
    /// Folders the server does not have (skipped for this session).
    missing: Vec<String>,
    metrics: Metrics,
    inbound: InboundMetrics,
    polls: ImapMailboxMetrics,
}

impl Poller {
    fn new(store: Arc<dyn Store>, config: PollerConfig) -> Self {
        let domain = config
            .mailbox
            .address
            .rsplit_once('@')
            .map(|(_, d)| d.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let inbound = config.metrics.inbound();
        let polls = inbound.mailbox(&config.mailbox.address);
        Self {
            store,
            domains: vec![domain],
            options: config.options,
            settings: config.settings,
            extra_root_pem: config.extra_root_pem,
            mailbox: config.mailbox,
            checkpoints: None,
            leads: None,
            status: None,
            next_reconcile: Instant::now(),
            sent_folder: None,
            paused_for_bounces: false,
            unknown_sends: config.unknown_sends,
            sent_copies: config.sent_copies,
            held_copies: VecDeque::new(),
            connected_once: false,
            missing: Vec::new(),
            metrics: config.metrics,
            inbound,
            polls,
        }
    }

    /// The server and the current password (decrypted from the store).
    async fn target(&self) -> Result<ImapTarget, ImapError> {
        let missing = || ImapError::Auth {
            reason: "no IMAP server or password configured".to_owned(),
        };
        let imap = self.mailbox.imap.as_ref().ok_or_else(missing)?;
        let credentials = self
            .store
            .mailbox_credentials(self.mailbox.workspace_id, self.mailbox.id)
            .await?;
        let password: SecretString = credentials.imap_password.ok_or_else(missing)?;
        Ok(ImapTarget {
            host: imap.host.clone(),
            port: imap.port,
            security: imap.security,
            username: imap.username.clone(),
            password,
            timeout: self.settings.command_timeout.as_duration(),
            extra_root_pem: self.extra_root_pem.as_deref().map(str::to_owned),
        })
    }

    /// Records the IMAP status when it changes (not on every reconnect).
    async fn set_status(&mut self, status: &str, reason: Option<String>) {
        let new = (status.to_owned(), reason);
        if self.status.as_ref() == Some(&new) {
            return;
        }
        let row = ImapStatus {
            status: new.0.clone(),
            reason: new.1.clone(),
        };
        match self.store.set_imap_status(self.mailbox.id, &row).await {
            Ok(()) => self.status = Some(new),
            Err(e) => {
                tracing::warn!(mailbox = %self.mailbox.id, error = %e, "Cannot record the IMAP status.")
            }
        }
    }

    /// One connection's life: returns `Ok` only when cancelled.
    async fn serve(
        &mut self,
        target: &ImapTarget,
        cancel: &CancellationToken,
    ) -> Result<(), ImapError> {
        let mut session = ImapSession::connect(target).await?;
        self.connected_once = true;
        self.missing.clear();
        self.set_status("ok", None).await;
        // Each new session looks for unknown sends once, whatever the flag says.
        self.unknown_sends.store(true, Ordering::Relaxed);
        self.next_reconcile = Instant::now();
        if self.checkpoints.is_none() {
            let loaded = self.store.imap_checkpoints(self.mailbox.id).await?;
            self.checkpoints = Some(loaded.into_iter().map(|c| (c.folder.clone(), c)).collect());
        }
        tracing::debug!(mailbox = %self.mailbox.id, idle = session.supports_idle(), "IMAP session ready.");
        loop {
            session.drain_notes();
            for folder in self.folders() {
                self.check_folder(&mut session, &folder).await?;
            }
            self.polls.polled(true, Utc::now());
            self.append_sent_copies(&mut session).await?;
            if Instant::now() >= self.next_reconcile {
                self.next_reconcile =
                    Instant::now() + self.settings.reconcile_interval.as_duration();
                if self.unknown_sends.swap(false, Ordering::Relaxed) {
                    self.reconcile_unknown(&mut session).await?;
                }
            }
            if cancel.is_cancelled() {
                session.logout().await;
                return Ok(());
            }
            let until_reconcile = self
                .next_reconcile
                .saturating_duration_since(Instant::now());
            if session.supports_idle() && self.settings.idle {
                let mut renewal = self
                    .settings
                    .idle_renewal
                    .as_duration()
                    .min(until_reconcile.max(Duration::from_millis(100)));
                if self.folders().len() > 1 {
                    renewal = renewal.min(self.settings.poll_interval.as_duration());
                }
                // Mail that arrived after INBOX's STATUS is not announced by IDLE: look first.
                let inbox = session.examine(INBOX).await?;
                let known = self.checkpoints.as_ref().and_then(|c| c.get(INBOX));
                if known.is_none_or(|cp| {
                    cp.uidvalidity != inbox.uidvalidity
                        || inbox.uidnext.saturating_sub(1) > cp.last_uid
                }) || self.copies_waiting()
                {
                    continue;
                }
                let woken = copy_offered(self.sent_copies.as_ref().map(|q| q.wake.clone()));
                let (back, end) = session.idle(renewal, cancel, woken).await?;
                session = back;
                if end == IdleEnd::Changed {
                    tracing::debug!(mailbox = %self.mailbox.id, "IMAP IDLE reported new mail.");
                }
            } else {
                let wait = self
                    .settings
                    .poll_interval
                    .as_duration()
                    .min(until_reconcile.max(Duration::from_millis(100)));
                let woken = copy_offered(self.sent_copies.as_ref().map(|q| q.wake.clone()));
                tokio::select! {
                    () = cancel.cancelled() => {}
                    () = tokio::time::sleep(wait) => {}
                    () = woken => {}
                }
            }
        }
    }

    /// Whether sent copies wait to be appended.
    fn copies_waiting(&self) -> bool {
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
    async fn append_sent_copies(&mut self, session: &mut ImapSession) -> Result<(), ImapError> {
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
                Err(ImapError::Protocol {
                    source:
                        async_imap::error::Error::No(reason) | async_imap::error::Error::Bad(reason),
                    ..
                }) => {
                    tracing::warn!(mailbox = %self.mailbox.id, folder = %sent, reason = %reason, "Server refused a sent copy; dropped.");
                }
                Err(e) => return Err(e),
            }
            self.held_copies.pop_front();
        }
        if appended > 0 {
            tracing::debug!(mailbox = %self.mailbox.id, folder = %sent, appended, "Sent copies appended.");
        }
        Ok(())
    }

    fn folders(&self) -> Vec<String> {
        std::iter::once(INBOX.to_owned())
            .chain(self.settings.extra_folders.iter().cloned())
            .filter(|f| !self.missing.contains(f))
            .collect()
    }

    /// Reads `folder` past its checkpoint. A new folder, a new UIDVALIDITY or a UIDNEXT below
    /// the checkpoint (UIDs reused) rereads the folder's mail since the mailbox was created:
    /// duplicates are recognised by Message-ID, nothing is missed.
    async fn check_folder(
        &mut self,
        session: &mut ImapSession,
        folder: &str,
    ) -> Result<(), ImapError> {
        let state = match session.status(folder).await {
            Ok(s) => s,
            Err(ImapError::Protocol {
                source: async_imap::error::Error::No(reason),
                ..
            }) if folder != INBOX => {
                tracing::debug!(mailbox = %self.mailbox.id, folder, reason = %reason, "IMAP folder missing; skipped.");
                self.missing.push(folder.to_owned());
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let known = self
            .checkpoints
            .as_ref()
            .and_then(|c| c.get(folder))
            .cloned();
        let mut after = match &known {
            Some(cp) if cp.uidvalidity == state.uidvalidity && state.uidnext > cp.last_uid => {
                if state.uidnext.saturating_sub(1) <= cp.last_uid {
                    return Ok(());
                }
                session.examine(folder).await?;
                cp.last_uid
            }
            _ => {
                if let Some(cp) = &known {
                    tracing::warn!(mailbox = %self.mailbox.id, folder, old = cp.uidvalidity, new = state.uidvalidity, "IMAP UIDs were renumbered; rereading the folder (duplicates are ignored).");
                }
                let state = session.examine(folder).await?;
                let since = (self.mailbox.created_at - TimeDelta::days(1)).date_naive();
                let uids = session.uids_since(since).await?;
                match uids.first() {
                    Some(first) => first.saturating_sub(1),
                    None => state.uidnext.saturating_sub(1),
                }
            }
        };
        // UID ranges of `fetch_batch`, so a gap of expunged UIDs is stepped over; never past
        // `end` unless a message was actually read there (UIDs above it may still be assigned).
        let batch_size = self.settings.fetch_batch.max(1);
        let end = state.uidnext.saturating_sub(1);
        while after < end {
            let batch = session.fetch_after(after, batch_size).await?;
            for message in &batch {
                self.process(folder, message).await?;
            }
            let read = batch.last().map_or(0, |m| m.uid);
            after = read.max(after.saturating_add(batch_size).min(end));
            self.save_checkpoint(folder, state.uidvalidity, after)
                .await?;
        }
        let top = end.max(after);
        let saved = self
            .checkpoints
            .as_ref()
            .and_then(|c| c.get(folder))
            .map(|c| (c.uidvalidity, c.last_uid));
        if saved != Some((state.uidvalidity, top)) {
            self.save_checkpoint(folder, state.uidvalidity, top).await?;
        }
        Ok(())
    }

    async fn save_checkpoint(
        &mut self,
        folder: &str,
        uidvalidity: u32,
        last_uid: u32,
    ) -> Result<(), ImapError> {
        let cp = ImapCheckpoint {
            folder: folder.to_owned(),
            uidvalidity,
            last_uid,
        };
        self.store
            .save_imap_checkpoint(self.mailbox.id, &cp)
            .await?;
        self.checkpoints
            .get_or_insert_with(HashMap::new)
            .insert(folder.to_owned(), cp);
        Ok(())
    }

    async fn lead_set(&mut self) -> Result<LeadSet, ImapError> {
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

    async fn process(&mut self, folder: &str, message: &Fetched) -> Result<(), ImapError> {
        let (uid, raw) = (message.uid, message.raw.as_slice());
        let leads = self.lead_set().await?;
        let classified = classify(
            raw,
            &ClassifyContext::new(&leads).with_domains(&self.domains),
        );
        let classification = match classified {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(mailbox = %self.mailbox.id, folder, uid, error = %e, "Inbound message not classifiable; skipped.");
                return Ok(());
            }
        };
        let record = InboundRecord {
            workspace_id: self.mailbox.workspace_id,
            mailbox_id: self.mailbox.id,
            message_id: inbound_key(raw),
            folder: folder.to_owned(),
            class: class_name(&classification),
            received_at: Utc::now(),
            actions: actions_for(&classification, self.settings.soft_bounce_limit),
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
                .classified(&classification, since(classified_at));
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
                "Inbound message processed."
            );
        }
        if outcome.hard_bounces > 0 {
            self.check_bounce_rate().await?;
        }
        Ok(())
    }

    /// Pauses the mailbox when its hard-bounce share over the last sends passes the threshold.
    async fn check_bounce_rate(&mut self) -> Result<(), ImapError> {
        if self.paused_for_bounces {
            return Ok(());
        }
        let s = &self.settings;
        let rate = self
            .store
            .mailbox_bounce_rate(self.mailbox.id, s.bounce_rate_window)
            .await?;
        if rate.sends < s.bounce_rate_min_sends || rate.percent() <= s.bounce_rate_threshold_percent
        {
            return Ok(());
        }
        let reason = format!(
            "bounce rate {:.1}% ({} of the last {} sends) above {}%",
            rate.percent(),
            rate.bounced,
            rate.sends,
            s.bounce_rate_threshold_percent
        );
        tracing::warn!(
            mailbox = %self.mailbox.id,
            bounced = rate.bounced,
            sends = rate.sends,
            reason = %reason,
            "Mailbox paused: too many hard bounces."
        );
        let change = MailboxStateChange {
            status: MailboxStatus::Paused,
            reason: Some(reason),
            cooling_until: None,
        };
        self.store
            .set_mailbox_state(self.mailbox.id, &change)
            .await?;
        self.paused_for_bounces = true;
        Ok(())
    }

    /// Looks for each `unknown` send's Message-ID in the Sent folder: found ⇒ `sent` (the lead
    /// advances); missing from an authoritative Sent folder (and older than the grace) ⇒ sent
    /// again; otherwise left for an operator.
    async fn reconcile_unknown(&mut self, session: &mut ImapSession) -> Result<(), ImapError> {
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
