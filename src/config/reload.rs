//! What a reload of the daemon's configuration changes, key by key, and which of those changes
//! a running daemon takes without a restart.
//!
//! Pure: compares two validated `Settings`. The daemon (`startup::reload`) and
//! `outreachd plan --new-config` both print this diff; neither ever shows a secret's value.

use std::collections::BTreeMap;

use secrecy::ExposeSecret;

use super::{DispatchSettings, Settings};

/// Whether a running daemon picks a key's new value up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reload {
    /// Taken on SIGHUP or file change, without restarting actors or SMTP connections.
    Live,
    /// Read once at start: the new value needs a daemon restart.
    Restart,
}

/// Keys (or `section.` prefixes) a running daemon reloads. Everything else needs a restart:
/// the database, listener, keys, pool and queue sizes are fixed when the daemon starts.
pub const LIVE_KEYS: &[&str] = &[
    "log.level",
    "mailbox_defaults.",
    "daemon.apply_files",
    "dispatch.claim_lease",
    "dispatch.sending_lease",
    "dispatch.max_claim_batch",
    "dispatch.sending_batch",
    "dispatch.generation_concurrency",
    "dispatch.generate_ahead",
    "dispatch.max_attempts",
    "dispatch.retry_backoff",
    "dispatch.throttle_cooldown",
];

/// The dispatch settings a running daemon uses after a reload: the live keys from `new`, the
/// rest (queue sizes, the completion writer, SMTP time limits, EHLO name, idle period: fixed
/// when actors start) as they were.
pub fn live_dispatch(running: &DispatchSettings, new: &DispatchSettings) -> DispatchSettings {
    DispatchSettings {
        claim_lease: new.claim_lease,
        sending_lease: new.sending_lease,
        max_claim_batch: new.max_claim_batch,
        sending_batch: new.sending_batch,
        generation_concurrency: new.generation_concurrency,
        generate_ahead: new.generate_ahead,
        max_attempts: new.max_attempts,
        retry_backoff: new.retry_backoff,
        throttle_cooldown: new.throttle_cooldown,
        ..running.clone()
    }
}

/// How a key reloads.
pub fn reload_class(key: &str) -> Reload {
    let live = LIVE_KEYS.iter().any(|k| {
        if k.ends_with('.') {
            key.starts_with(k)
        } else {
            key == *k
        }
    });
    if live { Reload::Live } else { Reload::Restart }
}

/// One changed key. Values are shown as `check-config` shows them: secrets redacted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConfigChange {
    pub key: String,
    pub old: String,
    pub new: String,
    pub reload: Reload,
}

/// Every key whose value differs between `old` and `new`, sorted by key.
pub fn diff_settings(old: &Settings, new: &Settings) -> Vec<ConfigChange> {
    let a = flatten(old);
    let b = flatten(new);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut changes: Vec<ConfigChange> = keys
        .into_iter()
        .filter_map(|key| {
            let (o, n) = (a.get(key), b.get(key));
            (o != n).then(|| change(key, o.cloned(), n.cloned()))
        })
        .collect();
    // A secret replaced by another non-empty one redacts to the same text: compare the values.
    for (key, o, n) in secrets(old, new) {
        if o != n && !changes.iter().any(|c| c.key == key) {
            changes.push(ConfigChange {
                key: key.to_owned(),
                old: "[redacted]".into(),
                new: "[redacted, changed]".into(),
                reload: reload_class(key),
            });
        }
    }
    changes.sort_by(|x, y| x.key.cmp(&y.key));
    changes
}

fn change(key: &str, old: Option<String>, new: Option<String>) -> ConfigChange {
    ConfigChange {
        key: key.to_owned(),
        old: old.unwrap_or_else(|| "(unset)".into()),
        new: new.unwrap_or_else(|| "(unset)".into()),
        reload: reload_class(key),
    }
}

fn secrets<'a>(old: &'a Settings, new: &'a Settings) -> Vec<(&'static str, &'a str, &'a str)> {
    let key = |s: &'a Settings, name| s.ai.provider(name).api_key.expose_secret();
    let mut secrets = vec![
        ("database.url", old.database.url(), new.database.url()),
        (
            "security.encryption_key",
            old.security.encryption_key.expose_secret(),
            new.security.encryption_key.expose_secret(),
        ),
        (
            "tracking.link_secret",
            old.tracking.link_secret.expose_secret(),
            new.tracking.link_secret.expose_secret(),
        ),
    ];
    for name in crate::ai::ProviderName::ALL {
        let label = match name {
            crate::ai::ProviderName::Openai => "ai.openai.api_key",
            crate::ai::ProviderName::OpenaiCompatible => "ai.openai_compatible.api_key",
            crate::ai::ProviderName::Anthropic => "ai.anthropic.api_key",
            crate::ai::ProviderName::Gemini => "ai.gemini.api_key",
        };
        secrets.push((label, key(old, name), key(new, name)));
    }
    secrets
}

/// The redacted settings as `section.key = value` pairs (arrays of tables as one value).
fn flatten(settings: &Settings) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(toml::Value::Table(table)) = toml::Value::try_from(settings) {
        walk("", &table, &mut out);
    }
    out
}

fn walk(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(t) => walk(&path, t, out),
            v => {
                out.insert(path, v.to_string());
            }
        }
    }
}

/// The changes as lines for people: `~ key: old -> new (live | needs a restart)`.
pub fn render_changes(changes: &[ConfigChange]) -> String {
    if changes.is_empty() {
        return "No configuration changes.\n".into();
    }
    let mut out = String::new();
    for c in changes {
        let how = match c.reload {
            Reload::Live => "reloads live",
            Reload::Restart => "needs a restart",
        };
        out.push_str(&format!("~ {}: {} -> {} ({how})\n", c.key, c.old, c.new));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(env: &[(&str, &str)]) -> Settings {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        crate::config::load(&[], &env).unwrap().settings
    }

    #[test]
    fn identical_settings_have_no_changes() {
        assert!(diff_settings(&settings(&[]), &settings(&[])).is_empty());
    }

    #[test]
    fn limits_reload_live_and_the_database_needs_a_restart() {
        let old = settings(&[]);
        let new = settings(&[
            ("OUTREACHD__MAILBOX_DEFAULTS__DAILY_CAP", "20"),
            ("OUTREACHD__LOG__LEVEL", "debug"),
            ("OUTREACHD__SERVER__PORT", "9999"),
        ]);
        let changes = diff_settings(&old, &new);
        let by_key: HashMap<_, _> = changes.iter().map(|c| (c.key.as_str(), c)).collect();
        assert_eq!(by_key["mailbox_defaults.daily_cap"].reload, Reload::Live);
        assert_eq!(by_key["mailbox_defaults.daily_cap"].new, "20");
        assert_eq!(by_key["log.level"].reload, Reload::Live);
        assert_eq!(by_key["server.port"].reload, Reload::Restart);
        assert_eq!(changes.len(), 3, "{changes:?}");
    }

    #[test]
    fn a_changed_secret_is_reported_without_its_value() {
        let old = settings(&[
            ("OUTREACHD__DATABASE__URL", "postgres://u:hunter2@db/x"),
            ("OUTREACHD__AI__OPENAI__API_KEY", "sk-old-secret"),
        ]);
        let new = settings(&[
            ("OUTREACHD__DATABASE__URL", "postgres://u:swordfish@db/x"),
            ("OUTREACHD__AI__OPENAI__API_KEY", "sk-new-secret"),
        ]);
        let changes = diff_settings(&old, &new);
        let text = render_changes(&changes);
        assert!(
            text.contains("database.url") && text.contains("needs a restart"),
            "{text}"
        );
        assert!(text.contains("ai.openai.api_key"), "{text}");
        for secret in ["hunter2", "swordfish", "sk-old-secret", "sk-new-secret"] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    #[test]
    fn debug_output_of_settings_never_shows_a_secret() {
        let s = settings(&[
            ("OUTREACHD__DATABASE__URL", "postgres://u:hunter2@db/x"),
            ("OUTREACHD__AI__OPENAI__API_KEY", "sk-debug-secret"),
            ("OUTREACHD__TRACKING__LINK_SECRET", "link-debug-secret"),
            (
                "OUTREACHD__SECURITY__ENCRYPTION_KEY",
                "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=",
            ),
        ]);
        let debug = format!("{s:?} {:#?}", s.clone());
        for secret in [
            "hunter2",
            "sk-debug-secret",
            "link-debug-secret",
            "c2VjcmV0",
        ] {
            assert!(!debug.contains(secret), "{secret} in Debug output");
        }
    }

    #[test]
    fn classes_follow_the_live_key_list() {
        assert_eq!(reload_class("mailbox_defaults.min_gap"), Reload::Live);
        assert_eq!(reload_class("daemon.apply_files"), Reload::Live);
        assert_eq!(reload_class("daemon.data_dir"), Reload::Restart);
        assert_eq!(reload_class("database.url"), Reload::Restart);
        assert_eq!(reload_class("dispatch.throttle_cooldown"), Reload::Live);
        assert_eq!(reload_class("dispatch.mailbox_queue"), Reload::Restart);
    }

    #[test]
    fn only_live_dispatch_keys_change_in_a_running_daemon() {
        let old = settings(&[]).dispatch;
        let new = settings(&[
            ("OUTREACHD__DISPATCH__MAX_ATTEMPTS", "2"),
            ("OUTREACHD__DISPATCH__MAILBOX_QUEUE", "7"),
        ])
        .dispatch;
        let running = live_dispatch(&old, &new);
        assert_eq!(running.max_attempts, 2);
        assert_eq!(running.mailbox_queue, old.mailbox_queue);
    }
}
