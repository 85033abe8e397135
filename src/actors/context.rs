//! What every dispatch actor shares: the store, the completion sink, the content provider, the
//! pipeline settings and the unsubscribe signer.

use std::sync::Arc;

use crate::config::DispatchSettings;
use crate::content::ContentProvider;
use crate::smtp::UnsubscribeSigner;
use crate::store::Store;
use crate::telemetry::Metrics;

use super::completions::CompletionSink;

pub struct DispatchContext {
    pub store: Arc<dyn Store>,
    pub sink: CompletionSink,
    /// Marks sends `sending` for all mailboxes together.
    pub marker: super::marker::MarkerHandle,
    pub content: Arc<dyn ContentProvider>,
    /// Checks the AI budgets before a paid call and records every call in `api_usage`.
    pub usage: Arc<crate::service::usage::UsageRecorder>,
    /// Company insights, looked up (or asked for) before a text is written.
    pub insights: Arc<crate::service::insights::Insights>,
    /// Reloadable: reads see a reload's values (see `config::reload::LIVE_KEYS`).
    pub settings: crate::config::Live<DispatchSettings>,
    pub signer: UnsubscribeSigner,
    /// `{public_url}/unsubscribe` when tracking.public_url is set.
    pub unsubscribe_base: Option<String>,
    /// Where mailboxes on the outbox transport write their `.eml` files.
    pub outbox_dir: std::path::PathBuf,
    pub metrics: Metrics,
    /// Content generation handles for the configured provider, resolved once per daemon.
    pub content_metrics: crate::telemetry::ContentMetrics,
    /// DKIM keys by From domain; messages from other domains go out unsigned.
    pub dkim: crate::smtp::DkimSigners,
    /// Run Now: the leads a run made due are sent regardless of their campaign's window.
    pub run_now: super::RunNowWindows,
    /// Copies of sent messages for the IMAP pollers of `append_sent` mailboxes.
    pub sent_copies: super::SentCopies,
    /// Extra CA certificates (PEM) trusted for SMTP TLS besides the public roots
    /// (`security.tls_ca_file`).
    pub extra_root_pem: Option<Arc<str>>,
    /// Where the pollers offer the lead replies they keep, to draft answers.
    pub replies: super::ReplyInbox,
}

impl DispatchContext {
    /// Delay before attempt `attempts + 1` of a temporarily failed step: the base, doubling per
    /// attempt, at most 16x.
    pub fn retry_delay(&self, attempts: u32) -> chrono::TimeDelta {
        self.settings.retry_backoff.to_chrono() * (1i32 << attempts.min(4))
    }
}
