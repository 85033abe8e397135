//! Hot reload: on SIGHUP, or when a `--config` file or one of `daemon.apply_files` changes
//! (polled every [`POLL`]), the daemon reloads its configuration without restarting actors or
//! dropping SMTP connections.
//!
//! The new configuration and every apply file are validated in full first; an invalid one is
//! rejected with the error that names its file, line and key, counted in
//! `outreachd_config_reloads_total{result="rejected"}`, and the old configuration stays in
//! force. A valid one takes effect: `log.level` at once, the live `dispatch` keys (leases, batch
//! sizes, retries, throttle cooldown) on the actors' next read, `mailbox_defaults` for the apply files,
//! the apply files are applied (mailbox caps, gaps and warm-up reach the running mailbox actors
//! as a reconfigure message; campaigns reload their plan), and every changed key that is read
//! only at start is named in a warning saying a restart is needed.

use crate::domain::Change;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::actors::SupervisorHandle;
use crate::config::{
    self, ConfigChange, DispatchSettings, Live, Reload, Settings, diff_settings, live_dispatch,
};
use crate::manifest::{self, Manifest};
use crate::store::Store;
use crate::telemetry::Metrics;

/// How often the config and apply files are checked for changes.
pub const POLL: Duration = Duration::from_secs(2);

/// Where the configuration comes from, to read it again.
#[derive(Clone)]
pub struct ReloadSources {
    /// The `--config` files, in order.
    pub files: Vec<PathBuf>,
    /// The environment the daemon started with (`OUTREACHD__*` overrides, `password_env`).
    pub env: HashMap<String, String>,
}

pub(super) struct Reloader {
    sources: ReloadSources,
    /// What the daemon started with: keys that need a restart are compared with this.
    started: Settings,
    current: Settings,
    store: Arc<dyn Store>,
    supervisor: SupervisorHandle,
    /// What the dispatch actors read; its live keys are replaced on reload.
    dispatch: Live<DispatchSettings>,
    metrics: Metrics,
    fingerprint: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
}

impl Reloader {
    pub(super) fn new(
        sources: ReloadSources,
        settings: Settings,
        store: Arc<dyn Store>,
        supervisor: SupervisorHandle,
        dispatch: Live<DispatchSettings>,
    ) -> Self {
        let mut reloader = Self {
            sources,
            started: settings.clone(),
            current: settings,
            store,
            supervisor,
            dispatch,
            metrics: Metrics::install(),
            fingerprint: 0,
        };
        reloader.fingerprint = reloader.fingerprint();
        reloader
    }

    /// Applies `daemon.apply_files` once at start; an invalid one stops the start.
    pub(super) async fn apply_at_start(&self) -> Result<(), ReloadError> {
        let manifests = self.load_manifests(&self.current)?;
        self.apply(&manifests).await?;
        Ok(())
    }

    /// Reloads on SIGHUP or a changed file until `cancel`.
    pub(super) async fn watch(mut self, cancel: CancellationToken) {
        let mut hangup = hangup_signal();
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = next_hangup(&mut hangup) => {
                    self.reload("SIGHUP").await;
                }
                _ = tick.tick() => {
                    let fingerprint = self.fingerprint();
                    if fingerprint != self.fingerprint {
                        self.reload("file change").await;
                    }
                }
            }
        }
    }

    /// One reload. `false` when the new configuration was rejected (the old one stays).
    pub(super) async fn reload(&mut self, trigger: &str) -> bool {
        self.fingerprint = self.fingerprint();
        match self.try_reload().await {
            Ok(changes) => {
                self.metrics.config_reload(true);
                tracing::info!(
                    trigger,
                    changed = changes,
                    "Configuration reloaded; actors and SMTP connections kept."
                );
                true
            }
            Err(e) => {
                self.metrics.config_reload(false);
                tracing::error!(
                    trigger,
                    error = %e,
                    "Configuration reload rejected; the previous configuration stays in force."
                );
                false
            }
        }
    }

    async fn try_reload(&mut self) -> Result<usize, ReloadError> {
        let new = config::load(&self.sources.files, &self.sources.env)?.settings;
        // Every apply file is validated (with the new defaults) before anything changes.
        let manifests = self.load_manifests(&new)?;
        let changes = diff_settings(&self.current, &new);
        if changes.iter().any(|c| c.key == "log.level")
            && let Err(e) = crate::telemetry::set_log_level(&new.log.level)
        {
            tracing::warn!(error = %e, "Cannot change the log level.");
        }
        if changes
            .iter()
            .any(|c| c.key.starts_with("dispatch.") && c.reload == Reload::Live)
        {
            self.dispatch
                .set(live_dispatch(&self.dispatch, &new.dispatch));
        }
        for c in changes.iter().filter(|c| c.reload == Reload::Live) {
            tracing::info!(key = %c.key, old = %c.old, new = %c.new, "Configuration key reloaded.");
        }
        let pending: Vec<ConfigChange> = diff_settings(&self.started, &new)
            .into_iter()
            .filter(|c| c.reload == Reload::Restart)
            .collect();
        for c in &pending {
            tracing::warn!(
                key = %c.key,
                running = %c.old,
                new = %c.new,
                "Configuration key changed but is read only at start; restart the daemon to use it."
            );
        }
        let applied = self.apply(&manifests).await?;
        self.current = new;
        self.fingerprint = self.fingerprint();
        // Campaign actors reload their plan; the reconcile pass hands changed mailbox rows to
        // their actors.
        self.supervisor.notify();
        Ok(changes.len() + applied)
    }

    fn load_manifests(&self, settings: &Settings) -> Result<Vec<Manifest>, ReloadError> {
        let env = |name: &str| self.sources.env.get(name).cloned();
        let mut manifests = Vec::new();
        for path in &settings.daemon.apply_files {
            let m = manifest::load(path, &settings.mailbox_defaults, &env)?;
            for warning in &m.warnings {
                tracing::warn!(file = %path.display(), %warning, "Apply file warning.");
            }
            manifests.push(m);
        }
        Ok(manifests)
    }

    /// Applies the manifests; returns how many objects changed.
    async fn apply(&self, manifests: &[Manifest]) -> Result<usize, ReloadError> {
        // Plan all first (reads only), so a reference error in the second file writes nothing.
        for m in manifests {
            manifest::apply(&*self.store, m, true).await?;
        }
        let mut changed = 0;
        for m in manifests {
            let report = manifest::apply(&*self.store, m, false).await?;
            for object in report
                .objects
                .iter()
                .filter(|o| o.change != Change::Unchanged)
            {
                changed += 1;
                tracing::info!(
                    file = %m.source.display(),
                    object = %object.label(),
                    change = ?object.change,
                    keys = %object.changed.join(", "),
                    "Apply file object updated."
                );
            }
        }
        Ok(changed)
    }

    /// A hash of the config files' and apply files' contents (or of why they cannot be read).
    fn fingerprint(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        let files = self
            .sources
            .files
            .iter()
            .chain(&self.current.daemon.apply_files);
        for path in files {
            path.hash(&mut hasher);
            match std::fs::read(path) {
                Ok(bytes) => bytes.hash(&mut hasher),
                Err(e) => e.kind().hash(&mut hasher),
            }
        }
        hasher.finish()
    }
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = Option<()>;

fn hangup_signal() -> Hangup {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "Cannot listen for SIGHUP; config files are still watched.");
                None
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

async fn next_hangup(hangup: &mut Hangup) {
    #[cfg(unix)]
    if let Some(signal) = hangup {
        if signal.recv().await.is_some() {
            return;
        }
        *hangup = None;
    }
    #[cfg(not(unix))]
    let _ = hangup;
    std::future::pending::<()>().await;
}
