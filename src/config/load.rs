//! Loading and layering. Each user file is first parsed on its own with `toml`, so a syntax
//! error or unknown key is reported with the file's path, line and key; then the config crate
//! layers defaults, files and environment into one `Settings`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};

use super::Settings;

/// Environment variables `OUTREACHD__SECTION__KEY` override files.
pub const ENV_PREFIX: &str = "OUTREACHD";

const DEFAULTS: &str = include_str!("../../config/default.toml");

/// Why `redis.url` is refused rather than ignored: an admin who sets it expects limits shared
/// between daemons, and nothing shares them. Each daemon runs an actor for every mailbox, so two
/// daemons on one database could send twice a mailbox's caps.
const REDIS_NOT_BUILT: &str = "redis.url is not supported: limits shared between daemons through \
     Redis are not built, each daemon keeps its limits in-process; run one daemon per database \
     for mailboxes with caps, and remove this setting";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {detail}")]
    File { path: PathBuf, detail: String },
    #[error("invalid configuration: {0}")]
    Layered(String),
    #[error("invalid configuration: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// A key that was documented but whose feature is not built (see [`REDIS_NOT_BUILT`]).
    #[error("{source_name}: {reason}")]
    NotBuilt {
        source_name: String,
        reason: &'static str,
    },
}

/// Settings plus where they came from, for `check-config`.
#[derive(Debug)]
pub struct LoadedSettings {
    pub settings: Settings,
    pub files: Vec<PathBuf>,
}

/// Loads settings from the defaults, `files` (in order) and environment `env` (the process
/// environment in production; tests pass their own map instead of mutating global state).
pub fn load(
    files: &[PathBuf],
    env: &HashMap<String, String>,
) -> Result<LoadedSettings, ConfigError> {
    let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        check_file_alone(path, &text)?;
        builder = builder.add_source(File::from_str(&text, FileFormat::Toml));
    }
    if let Some(var) = env
        .keys()
        .filter(|k| k.starts_with(&format!("{ENV_PREFIX}__REDIS__")))
        .min()
    {
        return Err(ConfigError::NotBuilt {
            source_name: var.clone(),
            reason: REDIS_NOT_BUILT,
        });
    }
    let env_vars: config::Map<String, String> = env
        .iter()
        .filter(|(k, _)| k.starts_with(&format!("{ENV_PREFIX}__")))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    builder = builder.add_source(
        Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            // Lists in the environment are comma-separated (`OUTREACHD__API__CORS_ORIGINS=a,b`).
            .list_separator(",")
            .with_list_parse_key("api.cors_origins")
            .source(Some(env_vars)),
    );
    let settings: Settings = builder
        .build()
        .and_then(Config::try_deserialize)
        .map_err(|e| ConfigError::Layered(e.to_string()))?;
    let problems = settings.validate();
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    Ok(LoadedSettings {
        settings,
        files: files.to_vec(),
    })
}

/// Parses one file over the defaults with `toml`, whose errors carry line, column and key.
fn check_file_alone(path: &Path, text: &str) -> Result<(), ConfigError> {
    let file_err = |detail: String| ConfigError::File {
        path: path.to_owned(),
        detail,
    };
    let user: toml::Table = toml::from_str(text).map_err(|e| file_err(one_line(&e.to_string())))?;
    if user.contains_key("redis") {
        let line = text
            .lines()
            .position(|l| {
                l.trim_start().starts_with("[redis") || l.trim_start().starts_with("redis")
            })
            .map(|n| format!(", line {}", n + 1))
            .unwrap_or_default();
        return Err(ConfigError::NotBuilt {
            source_name: format!("config file {}{line}", path.display()),
            reason: REDIS_NOT_BUILT,
        });
    }
    let mut merged: toml::Table = toml::from_str(DEFAULTS).map_err(|e| file_err(e.to_string()))?;
    merge(&mut merged, user);
    // Deserialize from the text form so toml's span-carrying errors name the key.
    Settings::deserialize_toml(&toml::to_string(&merged).unwrap_or_default())
        .map(|_| ())
        .map_err(|e| file_err(locate(text, &e)))
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// toml's multi-line report (position, source excerpt with carets, message) as one line.
fn one_line(report: &str) -> String {
    let parts: Vec<&str> = report
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains('|'))
        .collect();
    parts.join(": ").replace("TOML parse error at ", "")
}

/// The error message, with the line of the user's file that holds the offending key (the
/// merged text's own line numbers would mislead).
fn locate(user_text: &str, err: &str) -> String {
    let message = err
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(err)
        .trim()
        .to_owned();
    let key = message
        .split('`')
        .nth(1)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    if let Some(key) = key
        && let Some((n, _)) = user_text
            .lines()
            .enumerate()
            .find(|(_, l)| l.trim_start().starts_with(&key) && l.contains('='))
    {
        return format!("line {}: {message}", n + 1);
    }
    message
}

impl Settings {
    fn deserialize_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e: toml::de::Error| e.to_string())
    }
}

/// `OUTREACHD_*` variables with a single underscore after the prefix are silently ignored by the
/// layering (it wants `OUTREACHD__SECTION__KEY`); `check-config` warns about them.
pub fn ignored_env_vars(env: &HashMap<String, String>) -> Vec<String> {
    const KNOWN: &[&str] = &["OUTREACHD_CONFIG", "OUTREACHD_LOG"];
    let mut vars: Vec<String> = env
        .keys()
        .filter(|k| k.starts_with("OUTREACHD_") && !k.starts_with("OUTREACHD__"))
        .filter(|k| !KNOWN.contains(&k.as_str()) && !k.starts_with("OUTREACHD_TEST_"))
        .cloned()
        .collect();
    vars.sort();
    vars
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outreachd.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn defaults_alone_give_the_sqlite_embedded_setup() {
        let s = load(&[], &HashMap::new()).unwrap().settings;
        assert_eq!(s.database.url(), "sqlite://data/outreachd.db");
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.mailbox_defaults.min_gap.as_secs(), 60);
    }

    #[test]
    fn cors_origins_must_be_bare_origins() {
        for bad in [
            "*",
            "https://console.example.com/",
            "https://x.example/app",
            "console.example.com",
        ] {
            let (_d, path) = file(&format!("[api]\ncors_origins = [{bad:?}]\n"));
            let err = load(&[path], &HashMap::new()).unwrap_err().to_string();
            assert!(err.contains("api.cors_origins"), "{bad}: {err}");
        }
        let e = env(&[(
            "OUTREACHD__API__CORS_ORIGINS",
            "https://console.example.com,http://localhost:3000",
        )]);
        let s = load(&[], &e).unwrap().settings;
        assert_eq!(
            s.api.cors_origins,
            ["https://console.example.com", "http://localhost:3000"]
        );
    }

    #[test]
    fn files_override_defaults_and_env_overrides_files() {
        let (_d, path) = file("[server]\nport = 9000\n[database]\nmax_connections = 3\n");
        let e = env(&[
            ("OUTREACHD__SERVER__PORT", "9100"),
            ("OUTREACHD__DATABASE__URL", "postgres://x@y/z"),
        ]);
        let s = load(&[path], &e).unwrap().settings;
        assert_eq!(s.server.port, 9100);
        assert_eq!(s.database.max_connections, 3);
        assert_eq!(s.database.url(), "postgres://x@y/z");
    }

    #[test]
    fn an_unknown_key_names_the_file_the_line_and_the_key() {
        let (_d, path) = file("[server]\nhost = \"0.0.0.0\"\nprot = 9000\n");
        let err = load(std::slice::from_ref(&path), &HashMap::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("prot"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn malformed_toml_names_the_file_and_line() {
        let (_d, path) = file("[server\nport = 1\n");
        let err = load(&[path], &HashMap::new()).unwrap_err().to_string();
        assert!(
            err.contains("outreachd.toml") && err.contains("line 1"),
            "{err}"
        );
    }

    #[test]
    fn mailbox_caps_take_a_count_or_a_rate_over_their_period() {
        let (_d, path) = file("[mailbox_defaults]\ndaily_cap = \"40/day\"\nhourly_cap = 6\n");
        let s = load(std::slice::from_ref(&path), &HashMap::new())
            .unwrap()
            .settings;
        assert_eq!(
            (s.mailbox_defaults.daily_cap, s.mailbox_defaults.hourly_cap),
            (40, 6)
        );
        let e = env(&[
            ("OUTREACHD__MAILBOX_DEFAULTS__DAILY_CAP", "70"),
            ("OUTREACHD__MAILBOX_DEFAULTS__HOURLY_CAP", "9/h"),
        ]);
        let s = load(std::slice::from_ref(&path), &e).unwrap().settings;
        assert_eq!(
            (s.mailbox_defaults.daily_cap, s.mailbox_defaults.hourly_cap),
            (70, 9)
        );
        let (_d, path) = file("[mailbox_defaults]\ndaily_cap = \"300/week\"\n");
        let err = load(&[path], &HashMap::new()).unwrap_err().to_string();
        assert!(
            err.contains("daily_cap \"300/week\" is a rate per week"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_duration_is_named() {
        let (_d, path) = file("[mailbox_defaults]\nmin_gap = \"60\"\n");
        let err = load(&[path], &HashMap::new()).unwrap_err().to_string();
        assert!(err.contains("\"60\"") && err.contains("unit"), "{err}");
    }

    #[test]
    fn cross_field_problems_are_all_reported() {
        let e = env(&[
            ("OUTREACHD__DATABASE__URL", "mysql://nope"),
            ("OUTREACHD__MAILBOX_DEFAULTS__MIN_GAP", "10m"),
            ("OUTREACHD__MAILBOX_DEFAULTS__MAX_GAP", "1m"),
        ]);
        let err = load(&[], &e).unwrap_err().to_string();
        assert!(
            err.contains("database.url") && err.contains("min_gap"),
            "{err}"
        );
    }

    #[test]
    fn redacted_output_hides_secrets() {
        let e = env(&[
            (
                "OUTREACHD__SECURITY__ENCRYPTION_KEY",
                "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=",
            ),
            ("OUTREACHD__DATABASE__URL", "postgres://bob:hunter2@db/x"),
        ]);
        let s = load(&[], &e).unwrap().settings;
        assert!(!s.security.encryption_key.expose_secret().is_empty());
        let out = s.to_redacted_toml();
        assert!(
            !out.contains("hunter2") && !out.contains("c2VjcmV0"),
            "{out}"
        );
        assert!(
            out.contains("[redacted]") && out.contains("bob:***@db"),
            "{out}"
        );
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn a_redis_url_in_a_file_is_refused_with_the_reason() {
        let (_d, path) =
            file("[server]\nport = 9000\n\n[redis]\nurl = \"redis://127.0.0.1:6379\"\n");
        let err = load(std::slice::from_ref(&path), &HashMap::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("line 4") && err.contains("redis.url"), "{err}");
        assert!(err.contains("one daemon per database"), "{err}");
    }

    #[test]
    fn a_redis_url_in_the_environment_is_refused_with_the_reason() {
        let e = env(&[("OUTREACHD__REDIS__URL", "redis://127.0.0.1:6379")]);
        let err = load(&[], &e).unwrap_err().to_string();
        assert!(
            err.starts_with("OUTREACHD__REDIS__URL: redis.url is not supported"),
            "{err}"
        );
        assert!(err.contains("one daemon per database"), "{err}");
    }

    #[test]
    fn single_underscore_variables_are_flagged() {
        let e = env(&[
            ("OUTREACHD_DATABASE_URL", "x"),
            ("OUTREACHD__SERVER__PORT", "1"),
            ("OUTREACHD_CONFIG", "a"),
        ]);
        assert_eq!(
            ignored_env_vars(&e),
            vec!["OUTREACHD_DATABASE_URL".to_string()]
        );
    }
}
