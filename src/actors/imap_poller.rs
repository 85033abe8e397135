//! The IMAP poller actor: one per mailbox with IMAP configured, started and stopped by the
//! supervisor. Its task owns the connection, the folder checkpoints, the cached lead set and
//! the Sent-folder copies it still has to append; its handle only flags work (unknown sends to
//! look for). Each pass reads every watched folder past its checkpoint, classifies each new
//! message and records it with its actions (idempotent by Message-ID), appends sent copies,
//! reconciles `unknown` sends against the Sent folder, then waits (IDLE when the server offers
//! it, else `STATUS` polling on the warm connection) and repeats.
//!
//! Failures never spin: a refused login marks the mailbox `auth_failed` with the server's words
//! and waits `auth_retry` (doubling, up to 16x); any other error drops the connection and
//! reconnects after 1 s, 2 s, 4 s, … up to `max_reconnect_backoff`. Each poller owns its own
//! connection, so a dead server affects only its mailbox. Idle mailboxes cost no queries: the
//! store is read only when the server reports new mail and every `reconcile_interval`.
//!
//! The protocol (session, folder reads, classification) lives in `imap`; this actor holds the
//! store writes and the policy (statuses, pausing on bounces, what to resend).

mod bounces;
mod error;
mod inbox;
mod sent;
mod serve;

use crate::domain::{ImapStatus, InboundOptions, Mailbox};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::sent_copies::SentCopyQueue;
use crate::imap::classify::LeadSet;
use crate::imap::{ImapError, ImapSettings, ImapTarget, UidMark};
use crate::store::Store;
use crate::telemetry::{ImapMailboxMetrics, InboundMetrics, Metrics};
use error::PollError;

/// Cheap to clone; the supervisor keeps one per running poller.
#[derive(Clone)]
pub struct ImapPollerHandle {
    unknown_sends: Arc<AtomicBool>,
}

impl ImapPollerHandle {
    /// The mailbox has `unknown` sends: look for them in Sent at the next reconcile time. Set
    /// by the supervisor from one query for all mailboxes, so idle pollers never query the
    /// store on their own.
    pub fn look_for_unknown_sends(&self) {
        self.unknown_sends.store(true, Ordering::Relaxed);
    }
}

/// Everything one poller needs. The password is read from the store at each connect, so a
/// corrected password is picked up by the next retry.
pub struct PollerConfig {
    pub mailbox: Mailbox,
    pub options: InboundOptions,
    pub settings: ImapSettings,
    /// Extra CA certificates (PEM) trusted besides the public roots (`security.tls_ca_file`).
    pub extra_root_pem: Option<Arc<str>>,
    pub metrics: Metrics,
    /// `append_sent = true`: the copies to append to Sent between polls.
    pub sent_copies: Option<SentCopyQueue>,
    /// Where kept replies are offered for drafting.
    pub replies: super::ReplyInbox,
}

/// Starts a poller task; it runs until `cancel` fires.
pub fn spawn_imap_poller(
    store: Arc<dyn Store>,
    config: PollerConfig,
    cancel: CancellationToken,
) -> (ImapPollerHandle, tokio::task::JoinHandle<()>) {
    let unknown_sends = Arc::new(AtomicBool::new(false));
    let handle = ImapPollerHandle {
        unknown_sends: unknown_sends.clone(),
    };
    let poller = Poller::new(store, config, unknown_sends);
    let task = tokio::spawn(poller.run(cancel));
    (handle, task)
}

struct Poller {
    store: Arc<dyn Store>,
    mailbox: Mailbox,
    options: InboundOptions,
    settings: ImapSettings,
    extra_root_pem: Option<Arc<str>>,
    /// Our Message-IDs are at the From domain (`smtp::message_id_for`).
    domains: Vec<String>,
    checkpoints: Option<HashMap<String, UidMark>>,
    leads: Option<(Instant, LeadSet)>,
    status: Option<(String, Option<String>)>,
    next_reconcile: Instant,
    sent_folder: Option<String>,
    paused_for_bounces: bool,
    unknown_sends: Arc<AtomicBool>,
    sent_copies: Option<SentCopyQueue>,
    replies: super::ReplyInbox,
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
    fn new(store: Arc<dyn Store>, config: PollerConfig, unknown_sends: Arc<AtomicBool>) -> Self {
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
            unknown_sends,
            sent_copies: config.sent_copies,
            replies: config.replies,
            held_copies: VecDeque::new(),
            connected_once: false,
            missing: Vec::new(),
            metrics: config.metrics,
            inbound,
            polls,
        }
    }

    /// Runs until `cancel` fires. Never returns an error: every failure is logged, recorded as
    /// the mailbox's IMAP status and retried after a backoff.
    async fn run(mut self, cancel: CancellationToken) {
        let mut failures: u32 = 0;
        while !cancel.is_cancelled() {
            let result = match self.target().await {
                Ok(target) => self.serve(&target, &cancel).await,
                Err(e) => Err(e),
            };
            if let Err(e) = &result {
                self.metrics.error("imap", e.kind());
                self.polls.polled(false, Utc::now());
            }
            let delay = match result {
                Ok(()) => break,
                Err(e) => self.failed(e, &mut failures).await,
            };
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(delay) => {}
            }
        }
        tracing::debug!(mailbox = %self.mailbox.id, "IMAP poller stopped.");
    }

    /// Records a failed session and says how long to wait before the next.
    async fn failed(&mut self, e: PollError, failures: &mut u32) -> Duration {
        if let Some(reason) = e.auth_refusal() {
            *failures += 1;
            let reason = reason.to_owned();
            tracing::warn!(mailbox = %self.mailbox.id, reason = %reason, "IMAP login refused; retrying slowly.");
            self.set_status("auth_failed", Some(reason)).await;
            return self.settings.auth_retry.as_duration() * 2u32.pow((*failures).min(5) - 1);
        }
        if self.connected_once {
            *failures = 0;
            self.connected_once = false;
        }
        *failures += 1;
        tracing::warn!(mailbox = %self.mailbox.id, error = %e, failures = *failures, "IMAP connection failed; reconnecting.");
        self.set_status("error", Some(e.to_string())).await;
        (Duration::from_secs(1) * 2u32.pow((*failures).min(12) - 1))
            .min(self.settings.max_reconnect_backoff.as_duration())
    }

    /// The server and the current password (decrypted from the store).
    async fn target(&self) -> Result<ImapTarget, PollError> {
        let missing = || ImapError::Auth {
            reason: "no IMAP server or password configured".to_owned(),
        };
        let imap = self.mailbox.imap.as_ref().ok_or_else(missing)?;
        let credentials = self
            .store
            .mailbox_credentials(self.mailbox.workspace_id, self.mailbox.id)
            .await?;
        let password: SecretString = credentials.imap_password.ok_or_else(missing)?;
        Ok(ImapTarget::for_server(
            imap,
            password,
            self.settings.command_timeout.as_duration(),
            self.extra_root_pem.as_deref(),
        ))
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
}
