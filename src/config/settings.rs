//! The `Settings` tree. Field docs say what each key trades off; `config/default.toml` repeats
//! them for admins.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

use crate::domain::HumanDuration;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub server: ServerSettings,
    pub security: SecuritySettings,
    pub daemon: DaemonSettings,
    pub log: LogSettings,
    pub mailbox_defaults: MailboxDefaults,
    pub dispatch: DispatchSettings,
    pub tracking: TrackingSettings,
    pub content: crate::content::ContentSettings,
    /// `[ai]`: the language-model providers, their limits and the price table.
    #[serde(default)]
    pub ai: crate::ai::AiSettings,
    /// `[insights]`: company insights for the email prompt and templates.
    #[serde(default)]
    pub insights: crate::service::insights::InsightSettings,
    /// `[imports]`: model proposals for CSV columns the header aliases do not place.
    #[serde(default)]
    pub imports: crate::service::imports::mapping::MappingSettings,
    /// `[replies]`: drafting answers to lead replies (off when the section is absent).
    #[serde(default)]
    pub replies: crate::service::replies::ReplySettings,
    pub dkim: crate::smtp::DkimSettings,
    /// `[imap]`: the per-mailbox inbound pollers (defaults apply when the section is absent).
    #[serde(default)]
    pub imap: crate::imap::ImapSettings,
    /// `[api]`: the `/api/v1` routes (defaults apply when the section is absent).
    #[serde(default)]
    pub api: ApiSettings,
    /// `[budgets]`: daily limits on what language-model calls may cost.
    #[serde(default)]
    pub budgets: crate::service::usage::BudgetSettings,
    /// `[personas]`: generating a persona for each new lead in the background.
    #[serde(default)]
    pub personas: PersonaSettings,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersonaSettings {
    /// Generate a persona in the background for every lead created or imported (and for older
    /// leads without one), once each. Off: personas are made only on request (`lead persona`,
    /// `POST /api/v1/leads/{id}/persona`), which works either way when the provider is set up.
    pub enabled: bool,
    /// The `[ai.*]` provider that writes personas; its key must be set.
    pub provider: crate::ai::ProviderName,
    /// The model asked; empty uses the provider's `model`.
    pub model: String,
    /// Personas generated at once in the background (model calls and website fetches in
    /// flight). The provider's own `concurrency` and per-minute limits still apply.
    pub concurrency: u32,
    /// Leads waiting for a background persona; beyond it new leads wait for the sweep, which
    /// finds every lead still without one.
    pub queue: u32,
}

impl Default for PersonaSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            provider: crate::ai::ProviderName::Openai,
            model: String::new(),
            concurrency: 2,
            queue: 1000,
        }
    }
}

impl PersonaSettings {
    /// The model to ask: `None` for the provider's configured one.
    pub fn model(&self) -> Option<&str> {
        Some(self.model.trim()).filter(|m| !m.is_empty())
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSettings {
    /// How long a session from `POST /api/v1/auth/login` lasts.
    pub session_ttl: HumanDuration,
    /// Requests each token may make (a burst of the whole count, refilled evenly over the
    /// period); more answer 429 with `Retry-After`.
    pub rate_limit: crate::domain::RateSpec,
    /// Browser origins (`https://console.example.com`) allowed to call the API cross-origin;
    /// empty turns CORS off.
    pub cors_origins: Vec<String>,
    /// Largest CSV a lead import upload may be (413 beyond). The upload is spooled to
    /// `<daemon.data_dir>/imports`, never held in memory, so this bounds disk, not RAM.
    pub import_max_megabytes: u64,
    /// Lead imports run at once by this daemon; more wait `queued`. Each holds one database
    /// connection while it writes a batch, and one thread while it reads the file.
    pub import_concurrency: u32,
}

impl ApiSettings {
    /// Every CORS origin must be `scheme://host[:port]`: a browser sends exactly that, so a
    /// path or a trailing slash would never match, and `*` would hand the API to any site.
    pub fn check_cors_origins(&self) -> Result<(), String> {
        for origin in &self.cors_origins {
            let url = reqwest::Url::parse(origin)
                .map_err(|e| format!("api.cors_origins: {origin:?} is not a URL ({e})"))?;
            let bare = matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some()
                && url.path() == "/"
                && url.query().is_none()
                && url.fragment().is_none()
                && !origin.ends_with('/');
            if !bare {
                return Err(format!(
                    "api.cors_origins: {origin:?} must be an origin like https://console.example.com (scheme, host, optional port; no path or trailing slash)"
                ));
            }
        }
        Ok(())
    }
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            session_ttl: HumanDuration::from_secs(12 * 3600),
            rate_limit: crate::domain::RateSpec::new(1200, std::time::Duration::from_secs(60)),
            cors_origins: Vec::new(),
            import_max_megabytes: 200,
            import_concurrency: 2,
        }
    }
}

fn redacted<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    if secret.expose_secret().is_empty() {
        s.serialize_str("")
    } else {
        s.serialize_str("[redacted]")
    }
}

fn redacted_url<S: Serializer>(url: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::redact_url(url.expose_secret()))
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://…` or `sqlite://…`. Secret because it may carry a password.
    #[serde(serialize_with = "redacted_url")]
    pub url: SecretString,
    /// Pool size: more lets more actors query at once, each costs a server connection.
    pub max_connections: u32,
    /// How long a query waits for a pooled connection before failing.
    pub acquire_timeout: HumanDuration,
}

impl DatabaseSettings {
    pub fn url(&self) -> &str {
        self.url.expose_secret()
    }

    /// Settings for a given URL with default pool sizes (tests, tools).
    pub fn for_url(url: &str) -> Self {
        Self {
            url: SecretString::from(url.to_owned()),
            max_connections: 10,
            acquire_timeout: HumanDuration::from_secs(10),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    /// A second listener (on `host`) for `/healthz`, `/readyz` and `/metrics`, which then leave
    /// the main one; unset serves everything on `port`. 0 picks a free port.
    #[serde(default)]
    pub admin_port: Option<u16>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Base64 AES-256 key; empty = use `encryption_key_file` (or, on SQLite, a generated file).
    #[serde(serialize_with = "redacted")]
    pub encryption_key: SecretString,
    /// Path of a file holding the base64 key; empty = none.
    pub encryption_key_file: PathBuf,
    /// PEM file of extra CA certificates trusted for SMTP and IMAP TLS; empty = none.
    pub tls_ca_file: PathBuf,
}

impl SecuritySettings {
    pub fn key(&self) -> Option<&SecretString> {
        (!self.encryption_key.expose_secret().trim().is_empty()).then_some(&self.encryption_key)
    }

    pub fn key_file(&self) -> Option<&std::path::Path> {
        (!self.encryption_key_file.as_os_str().is_empty())
            .then_some(self.encryption_key_file.as_path())
    }

    pub fn tls_ca_file(&self) -> Option<&std::path::Path> {
        (!self.tls_ca_file.as_os_str().is_empty()).then_some(self.tls_ca_file.as_path())
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonSettings {
    pub data_dir: PathBuf,
    /// Grace period for in-flight SMTP transactions on shutdown.
    pub shutdown_timeout_seconds: u64,
    /// Supervisor reconcile period; shorter reacts faster to store changes, costs a query each.
    pub reconcile_interval: HumanDuration,
    /// Apply files (mailboxes, campaigns: caps, gaps, warm-up, windows) the daemon applies at
    /// start and again on SIGHUP or when one changes. Empty: only `outreachd apply` writes them.
    #[serde(default)]
    pub apply_files: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Auto,
    Human,
    Json,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
}

/// Defaults for mailboxes whose apply file leaves these out.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxDefaults {
    /// A count or a rate per day: `50` and `"50/day"` are the same.
    #[serde(deserialize_with = "crate::domain::deserialize_daily_cap")]
    pub daily_cap: u32,
    /// 0 = no hourly cap. A count or a rate per hour: `8` and `"8/h"` are the same.
    #[serde(deserialize_with = "crate::domain::deserialize_hourly_cap")]
    pub hourly_cap: u32,
    pub min_gap: HumanDuration,
    pub max_gap: HumanDuration,
    pub timezone: String,
}

/// The sending pipeline's knobs: leases, batch sizes, retries. Defaults suit production; tests
/// and benchmarks shorten the times.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchSettings {
    /// A claimed lead not sent within this is due again (nothing left the machine). Longer
    /// tolerates slow generation; shorter recovers faster after a crash.
    pub claim_lease: HumanDuration,
    /// A send still `sending` after this is declared `unknown` (never resent automatically).
    /// Must exceed the SMTP data timeout.
    pub sending_lease: HumanDuration,
    /// Most leads one claim takes. Claims are also sized by what the mailboxes can send before
    /// the claim lease ends, so this only bounds a single statement.
    pub max_claim_batch: u32,
    /// Jobs waiting per mailbox actor; a full queue is backpressure on the campaign actors.
    pub mailbox_queue: u32,
    /// Unpaced mailboxes (min_gap 0) mark up to this many queued jobs `sending` in one commit.
    /// A crash leaves at most twice this many `unknown` sends per mailbox (the batch on the
    /// wire and the one being recorded), never resent.
    /// 1 = one commit per message. Paced mailboxes always mark one at a time.
    pub sending_batch: u32,
    /// Outcomes recorded per transaction.
    pub completion_batch: u32,
    /// Longest an outcome waits before its batch is written.
    pub completion_flush: HumanDuration,
    /// Messages generated at once per campaign (LLM calls in flight).
    pub generation_concurrency: u32,
    /// With a model writing the texts: texts of leads due within this are written before they
    /// are claimed, so a mailbox that may send never waits on a model. 0 writes each text when
    /// its lead is claimed. The template provider never writes ahead (it is instant).
    pub generate_ahead: HumanDuration,
    /// Attempts of one step (temporary failures) before the lead fails.
    pub max_attempts: u32,
    /// Wait before the first retry of a temporarily failed step; doubles per attempt.
    pub retry_backoff: HumanDuration,
    /// How long a mailbox rests after a rate, reputation or 421 reply; doubles while it keeps
    /// happening, up to 16x.
    pub throttle_cooldown: HumanDuration,
    /// `run --until-idle`: exit once nothing is in flight and nothing is due within this long.
    pub idle_period: HumanDuration,
    /// SMTP time limits: TCP connect (with implicit TLS), each command, the data and its reply.
    pub smtp_connect_timeout: HumanDuration,
    pub smtp_command_timeout: HumanDuration,
    pub smtp_data_timeout: HumanDuration,
    /// EHLO name; empty = this machine's host name.
    pub helo_name: String,
}

impl DispatchSettings {
    /// The SMTP time limits, as a mailbox's session and a connection check use them.
    pub fn smtp_timeouts(&self) -> crate::smtp::Timeouts {
        crate::smtp::Timeouts {
            connect: self.smtp_connect_timeout.as_duration(),
            command: self.smtp_command_timeout.as_duration(),
            data: self.smtp_data_timeout.as_duration(),
        }
    }
}

/// Links in messages (the one-click unsubscribe URL).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingSettings {
    /// Public base URL of this daemon's HTTP API as recipients reach it (behind your proxy).
    /// Empty: messages carry only the mailto unsubscribe, no https one-click URL.
    pub public_url: String,
    /// HMAC key for unsubscribe tokens; empty = derived from the encryption key. Changing it
    /// invalidates links in mail already sent.
    #[serde(serialize_with = "redacted")]
    pub link_secret: SecretString,
}

impl Settings {
    /// Cross-field checks the types cannot express. Returns every problem, not just the first.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(e) = super::backend_of(self.database.url()) {
            problems.push(format!("database.url: {e}"));
        }
        if self.api.import_concurrency == 0 {
            problems.push("api.import_concurrency: must be at least 1".into());
        }
        if self.personas.concurrency == 0 {
            problems.push("personas.concurrency: must be at least 1".into());
        }
        if self.personas.queue == 0 {
            problems.push("personas.queue: must be at least 1".into());
        }
        if self.database.max_connections == 0 {
            problems.push("database.max_connections: must be at least 1".into());
        }
        let d = &self.mailbox_defaults;
        if d.min_gap > d.max_gap {
            problems.push(format!(
                "mailbox_defaults: min_gap ({}) is greater than max_gap ({})",
                d.min_gap, d.max_gap
            ));
        }
        if d.timezone.parse::<chrono_tz::Tz>().is_err() {
            problems.push(format!(
                "mailbox_defaults.timezone: unknown IANA time zone {:?}",
                d.timezone
            ));
        }
        problems.extend(self.content.validate(&self.ai));
        problems.extend(self.ai.validate());
        problems.extend(self.budgets.validate());
        problems.extend(self.insights.validate());
        problems.extend(self.replies.validate(&self.ai));
        if let Err(problem) = self.api.check_cors_origins() {
            problems.push(problem);
        }
        if self.api.rate_limit.count() == 0 {
            problems.push("api.rate_limit: must allow at least one request".into());
        }
        let d = &self.dispatch;
        if d.sending_lease.as_duration() <= d.smtp_data_timeout.as_duration() {
            problems.push(format!(
                "dispatch.sending_lease ({}) must exceed dispatch.smtp_data_timeout ({})",
                d.sending_lease, d.smtp_data_timeout
            ));
        }
        for (key, v) in [
            ("max_claim_batch", d.max_claim_batch),
            ("mailbox_queue", d.mailbox_queue),
            ("sending_batch", d.sending_batch),
            ("completion_batch", d.completion_batch),
            ("generation_concurrency", d.generation_concurrency),
            ("max_attempts", d.max_attempts),
        ] {
            if v == 0 {
                problems.push(format!("dispatch.{key}: must be at least 1"));
            }
        }
        let url = self.tracking.public_url.trim();
        if !url.is_empty() && !url.starts_with("http://") && !url.starts_with("https://") {
            problems.push("tracking.public_url: must start with http:// or https://".into());
        }
        if self
            .log
            .level
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            problems.push(format!("log.level: invalid filter {:?}", self.log.level));
        }
        problems
    }

    /// The effective configuration as TOML with every secret redacted (`check-config`).
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render settings: {e}\n"))
    }
}

#[cfg(test)]
mod persona_tests {
    use std::collections::HashMap;

    use super::PersonaSettings;

    #[test]
    fn the_personas_defaults_match_the_default_file() {
        let loaded = crate::config::load(&[], &HashMap::new()).unwrap();
        assert_eq!(loaded.settings.personas, PersonaSettings::default());
        assert!(!loaded.settings.personas.enabled);
        assert_eq!(loaded.settings.personas.model(), None);
    }

    #[test]
    fn zero_persona_concurrency_or_queue_is_refused() {
        let env = HashMap::from([
            (
                "OUTREACHD__PERSONAS__CONCURRENCY".to_owned(),
                "0".to_owned(),
            ),
            ("OUTREACHD__PERSONAS__QUEUE".to_owned(), "0".to_owned()),
        ]);
        let err = crate::config::load(&[], &env).unwrap_err().to_string();
        assert!(
            err.contains("personas.concurrency: must be at least 1"),
            "{err}"
        );
        assert!(err.contains("personas.queue: must be at least 1"), "{err}");
    }
}
