//! Building the running daemon from `Settings`: the store (opened, migrated, key checked), the
//! metrics recorder, the supervisor and the HTTP server; then running until a signal.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use secrecy::ExposeSecret;

use crate::actors::{DispatchParts, SupervisorHandle, SupervisorOptions, spawn_supervisor};
use crate::ai::Models;
use crate::api::{self, ApiState};
use crate::config::Settings;
use crate::config::{Backend, backend_of};
use crate::content::build_provider;
use crate::service::imports::{ImportRunner, ImportSettings};
use crate::service::usage::UsageRecorder;
use crate::smtp::{DkimSigners, UnsubscribeSigner};
use crate::store::{self, OpenMode, SecretCipher, Store, cipher};
use crate::telemetry::Metrics;

mod reload;

pub use reload::{POLL as RELOAD_POLL, ReloadSources};

/// Installs rustls' ring provider once per process. Two providers in the tree would make rustls
/// panic at first use; installing ours first makes the choice explicit.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Loads the AES key: `security.encryption_key`, else `security.encryption_key_file`, else on
/// SQLite `<data_dir>/encryption.key` (created 0600 on first use). PostgreSQL requires a key:
/// generating one silently would strand every other daemon sharing the database.
pub fn load_cipher(settings: &Settings) -> anyhow::Result<SecretCipher> {
    let security = &settings.security;
    if let Some(key) = security.key() {
        return SecretCipher::from_base64(key).context("security.encryption_key is invalid");
    }
    if let Some(path) = security.key_file() {
        return cipher::read_key_file(path).context("security.encryption_key_file is unusable");
    }
    match backend_of(settings.database.url())? {
        Backend::Postgres => anyhow::bail!(
            "no encryption key: with PostgreSQL set security.encryption_key (or \
             OUTREACHD__SECURITY__ENCRYPTION_KEY) or security.encryption_key_file to a base64 \
             32-byte key, the same on every daemon (generate one with `openssl rand -base64 32`)"
        ),
        Backend::Sqlite => {
            let path: PathBuf = settings.daemon.data_dir.join("encryption.key");
            if path.exists() {
                return cipher::read_key_file(&path)
                    .with_context(|| format!("the key file {} is unusable", path.display()));
            }
            let created = cipher::create_key_file(&path)?;
            tracing::warn!(
                path = %path.display(),
                "Created a new encryption key file for mailbox passwords (mode 0600). Back it up \
                 with the database: without it stored passwords cannot be decrypted."
            );
            Ok(created)
        }
    }
}

/// Opens the configured store, applies migrations and checks the encryption key.
pub async fn open_store(settings: &Settings, mode: OpenMode) -> anyhow::Result<Arc<dyn Store>> {
    open_store_with(settings, load_cipher(settings)?, mode).await
}

async fn open_store_with(
    settings: &Settings,
    cipher: SecretCipher,
    mode: OpenMode,
) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::open(&settings.database, cipher, mode).await?;
    store.migrate().await?;
    store.verify_encryption_key().await?;
    Ok(store)
}

/// The daemon: HTTP server, supervisor and everything they own.
pub struct Application {
    port: u16,
    admin_port: Option<u16>,
    servers: Vec<actix_web::dev::Server>,
    store: Arc<dyn Store>,
    supervisor: SupervisorHandle,
    cancel: CancellationToken,
    tracker: TaskTracker,
    shutdown_timeout: Duration,
    /// The dispatch settings the actors read; a reload replaces the live keys.
    dispatch: crate::config::Live<crate::config::DispatchSettings>,
}

/// How `outreachd run` runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Exit once nothing is in flight and nothing is due within `dispatch.idle_period`.
    pub until_idle: bool,
    /// Run Now: dispatch only this campaign, and send its due leads regardless of its sending
    /// window (mailbox caps, suppressions and unsubscribes still apply).
    pub run_now: Option<crate::domain::CampaignId>,
}

/// The pieces of the dispatch context that come from settings: content provider, unsubscribe
/// signer (keyed by `tracking.link_secret` or a key derived from the encryption key), outbox.
fn unsubscribe_signer(
    settings: &Settings,
    cipher: &SecretCipher,
) -> anyhow::Result<UnsubscribeSigner> {
    let link_key: Vec<u8> = match settings.tracking.link_secret.expose_secret().trim() {
        "" => cipher.derive_key("unsubscribe-links").to_vec(),
        secret => secret.as_bytes().to_vec(),
    };
    UnsubscribeSigner::new(&link_key).context("tracking.link_secret is too short")
}

/// The CA certificates of `security.tls_ca_file`, read and checked once at start: a bad file
/// is a start-up error naming it, not a TLS failure that pauses every mailbox.
fn extra_root_pem(settings: &Settings) -> anyhow::Result<Option<Arc<str>>> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let Some(path) = settings.security.tls_ca_file() else {
        return Ok(None);
    };
    let unusable = || format!("security.tls_ca_file {} is unusable", path.display());
    let pem = std::fs::read_to_string(path).with_context(unusable)?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.with_context(unusable)?;
        roots.add(cert).with_context(unusable)?;
    }
    if roots.is_empty() {
        anyhow::bail!("{}: it holds no PEM certificate", unusable());
    }
    tracing::info!(path = %path.display(), certificates = roots.len(), "Trusting extra CA certificates for SMTP and IMAP.");
    Ok(Some(Arc::from(pem)))
}

fn dispatch_parts(
    settings: &Settings,
    cipher: &SecretCipher,
    models: &Arc<Models>,
    usage: Arc<UsageRecorder>,
) -> anyhow::Result<DispatchParts> {
    let content =
        build_provider(&settings.content, models).context("invalid [content] settings")?;
    let insights = crate::service::insights::Insights::new(
        settings.insights.clone(),
        models.clone(),
        &settings.ai,
        usage.clone(),
    );
    let signer = unsubscribe_signer(settings, cipher)?;
    let public = settings.tracking.public_url.trim().trim_end_matches('/');
    Ok(DispatchParts {
        settings: crate::config::Live::new(settings.dispatch.clone()),
        content,
        usage,
        insights: Arc::new(insights),
        signer,
        unsubscribe_base: (!public.is_empty()).then(|| format!("{public}/unsubscribe")),
        outbox_dir: settings.daemon.data_dir.join("outbox"),
        run_now: crate::actors::RunNowWindows::default(),
        dkim: DkimSigners::from_settings(&settings.dkim).context("Failed to load the DKIM keys")?,
        sent_copies: crate::actors::SentCopies::default(),
        imap: settings.imap.clone(),
        extra_root_pem: extra_root_pem(settings)?,
        replies: crate::actors::ReplyInbox::default(),
    })
}

/// The persona generator for `settings` (`[personas]` provider and model from `models`, the
/// SSRF-safe fetcher), or why none is usable: the CLI and the API report that reason when a
/// persona is asked for.
pub fn persona_generator(
    settings: &Settings,
    models: &Models,
    store: Arc<dyn Store>,
    usage: Arc<UsageRecorder>,
) -> Result<crate::service::personas::PersonaGenerator, String> {
    let personas = &settings.personas;
    let model = models
        .model(personas.provider, personas.model())
        .map_err(|e| e.to_string())?;
    let fetcher = crate::fetch::SafeFetcher::new().map_err(|e| e.to_string())?;
    Ok(crate::service::personas::PersonaGenerator::new(
        store, model, fetcher, usage,
    ))
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, RunOptions::default()).await
    }

    pub async fn build_with(settings: Settings, options: RunOptions) -> anyhow::Result<Self> {
        install_crypto_provider();
        let metrics = Metrics::install();
        let cipher = load_cipher(&settings)?;
        let store = open_store_with(&settings, cipher.clone(), OpenMode::Daemon).await?;
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let usage = UsageRecorder::start(
            store.clone(),
            settings.budgets.clone(),
            metrics.budgets(),
            cancel.child_token(),
            &tracker,
        );
        // One registry for the daemon: every use of a provider shares its key's limits.
        let models = Arc::new(Models::new(&settings.ai).context("invalid [ai] settings")?);
        let mut parts = dispatch_parts(&settings, &cipher, &models, usage.clone())?;
        let api_signer = Arc::new(unsubscribe_signer(&settings, &cipher)?);
        if let Some(campaign) = options.run_now {
            parts.run_now.whole_campaign(campaign);
        }
        let content = parts.content.clone();
        let insights = parts.insights.clone();
        let live_dispatch = parts.settings.clone();
        let mailboxes = Arc::new(api::v1::mailboxes::MailboxSettings {
            defaults: settings.mailbox_defaults.clone(),
            servers: crate::service::mailbox_check::ServerAccess {
                dispatch: live_dispatch.clone(),
                imap_timeout: settings.imap.command_timeout.as_duration(),
                extra_root_pem: parts.extra_root_pem.clone(),
            },
        });
        // A Run Now process reads no mail, so it keeps no replies to draft.
        if settings.replies.enabled && options.run_now.is_none() {
            let model = models
                .model(settings.replies.provider, settings.replies.model())
                .context("replies: the drafting model is not usable")?;
            parts.replies = crate::actors::spawn_reply_drafter(
                store.clone(),
                model,
                usage.clone(),
                settings.replies.retry_interval.as_duration(),
                cancel.child_token(),
                &tracker,
            );
        }
        let dispatch = &settings.dispatch;
        let supervisor = spawn_supervisor(
            store.clone(),
            parts,
            metrics.clone(),
            SupervisorOptions {
                interval: settings.daemon.reconcile_interval.as_duration(),
                until_idle: options
                    .until_idle
                    .then(|| dispatch.idle_period.as_duration()),
                only_campaign: options.run_now,
                imap_pollers: options.run_now.is_none(),
            },
            cancel.child_token(),
            cancel.clone(),
            &tracker,
        );
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address)
            .with_context(|| format!("cannot listen on {address} (server.host/server.port)"))?;
        let port = listener.local_addr()?.port();
        let admin = match settings.server.admin_port {
            Some(admin_port) => {
                let address = format!("{}:{admin_port}", settings.server.host);
                Some(TcpListener::bind(&address).with_context(|| {
                    format!("cannot listen on {address} (server.host/server.admin_port)")
                })?)
            }
            None => None,
        };
        let admin_port = admin
            .as_ref()
            .map(|l| l.local_addr().map(|a| a.port()))
            .transpose()?;
        let proposer = crate::service::imports::mapping::Proposer::new(
            &settings.imports,
            models.clone(),
            &settings.ai,
            usage.clone(),
        )
        .map(Arc::new);
        let imports = ImportRunner::new(
            store.clone(),
            ImportSettings {
                dir: settings.daemon.data_dir.join("imports"),
                max_bytes: settings
                    .api
                    .import_max_megabytes
                    .saturating_mul(1024 * 1024),
                concurrency: settings.api.import_concurrency,
            },
            proposer,
            cancel.child_token(),
            tracker.clone(),
        );
        imports
            .recover()
            .await
            .context("Failed to recover interrupted lead imports")?;
        let personas = persona_generator(&settings, &models, store.clone(), usage.clone());
        let persona_queue = match (&personas, settings.personas.enabled) {
            (Ok(generator), true) => Some(crate::actors::spawn_persona_actor(
                generator.clone(),
                store.clone(),
                settings.personas.concurrency,
                settings.personas.queue,
                cancel.child_token(),
                &tracker,
            )),
            (Err(problem), true) => {
                anyhow::bail!("personas.enabled is true but no persona model is usable: {problem}")
            }
            (_, false) => None,
        };
        let state = ApiState {
            store: store.clone(),
            metrics,
            supervisor: supervisor.clone(),
            signer: api_signer,
            api: api::v1::caller::ApiConfig::new(&settings.api),
            content,
            usage,
            insights,
            models,
            imports,
            mailboxes,
            dispatch: live_dispatch.clone(),
            stats: Arc::default(),
            soft_bounce_limit: settings.imap.soft_bounce_limit,
            personas,
            persona_queue,
        };
        let listeners = api::Listeners {
            main: listener,
            admin,
            cors_origins: settings.api.cors_origins.clone(),
        };
        let servers = api::serve(listeners, state)?;
        tracker.spawn(api::v1::idempotency::purge_expired(
            store.clone(),
            cancel.child_token(),
        ));
        tracing::info!(port, admin_port, backend = ?store.backend(), "outreachd is listening.");
        Ok(Self {
            port,
            admin_port,
            servers,
            store,
            supervisor,
            cancel,
            tracker,
            shutdown_timeout: Duration::from_secs(settings.daemon.shutdown_timeout_seconds),
            dispatch: live_dispatch,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The admin listener's port, when `server.admin_port` is set.
    pub fn admin_port(&self) -> Option<u16> {
        self.admin_port
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub fn supervisor(&self) -> SupervisorHandle {
        self.supervisor.clone()
    }

    /// Applies `daemon.apply_files` of `settings` (the ones it was built with), then reloads
    /// the configuration on SIGHUP and whenever a config or apply file changes (see
    /// `startup/reload.rs`). An invalid apply file at this point fails the start.
    pub async fn enable_reload(
        &self,
        settings: Settings,
        sources: ReloadSources,
    ) -> anyhow::Result<()> {
        let reloader = reload::Reloader::new(
            sources,
            settings,
            self.store.clone(),
            self.supervisor.clone(),
            self.dispatch.clone(),
        );
        reloader
            .apply_at_start()
            .await
            .context("Failed to apply daemon.apply_files")?;
        self.supervisor.notify();
        self.tracker
            .spawn(reloader.watch(self.cancel.child_token()));
        Ok(())
    }

    /// Cancelling this token shuts the daemon down as a signal would.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Serves until SIGTERM/SIGINT (or the shutdown token), then drains within the timeout.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handles: Vec<_> = self.servers.iter().map(|s| s.handle()).collect();
        let servers: Vec<_> = self.servers.into_iter().map(tokio::spawn).collect();
        let cancel = self.cancel.clone();
        tokio::select! {
            () = shutdown_signal() => tracing::info!("Shutdown requested by signal."),
            () = cancel.cancelled() => tracing::info!("Shutdown requested."),
        }
        self.cancel.cancel();
        self.tracker.close();
        if tokio::time::timeout(self.shutdown_timeout, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::error!(
                timeout_seconds = self.shutdown_timeout.as_secs(),
                "Actors did not stop within the shutdown timeout; exiting anyway."
            );
        }
        for handle in handles {
            handle.stop(true).await;
        }
        for server in servers {
            let _ = server.await;
        }
        tracing::info!("outreachd stopped.");
        Ok(())
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn with_ca_file(path: &std::path::Path) -> Settings {
        let env: HashMap<String, String> = [(
            "OUTREACHD__SECURITY__TLS_CA_FILE".to_owned(),
            path.to_string_lossy().into_owned(),
        )]
        .into();
        crate::config::load(&[], &env).unwrap().settings
    }

    #[test]
    fn without_a_tls_ca_file_only_the_public_roots_are_trusted() {
        let settings = crate::config::load(&[], &HashMap::new()).unwrap().settings;
        assert!(extra_root_pem(&settings).unwrap().is_none());
    }

    #[test]
    fn a_tls_ca_file_that_is_missing_or_holds_no_certificate_is_a_start_up_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        for path in [missing, empty] {
            let error = extra_root_pem(&with_ca_file(&path)).unwrap_err();
            let text = format!("{error:#}");
            assert!(text.contains("security.tls_ca_file"), "{text}");
            assert!(text.contains(&*path.to_string_lossy()), "{text}");
        }
    }

    #[test]
    fn a_tls_ca_file_with_a_broken_certificate_is_a_start_up_error() {
        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(extra_root_pem(&with_ca_file(&broken)).is_err());
    }
}
