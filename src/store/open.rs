//! Choosing and opening a backend from `database.url`.

use std::sync::Arc;

use super::cipher::SecretCipher;
use super::postgres::{Opened, PgStore};
use super::{Store, StoreError, sqlite::SqliteStore};
use crate::config::DatabaseSettings;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Who is opening the store. Only one `Daemon` may hold an SQLite file; `Tool` (CLI commands
/// such as `apply` or `import-leads`) may run beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    Daemon,
    Tool,
}

pub fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else {
        Err(StoreError::UnsupportedUrl(redact_url(url)))
    }
}

/// Opens the backend named by the URL. Does not migrate: call [`Store::migrate`].
pub async fn open(
    settings: &DatabaseSettings,
    cipher: SecretCipher,
    mode: OpenMode,
) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = match backend_of(settings.url())? {
        Backend::Postgres => {
            let open = match mode {
                OpenMode::Daemon => Opened::All,
                OpenMode::Tool => Opened::One,
            };
            Arc::new(PgStore::connect(settings, cipher, open).await?)
        }
        Backend::Sqlite => Arc::new(SqliteStore::open(settings, cipher, mode).await?),
    };
    Ok(store)
}

/// The URL with any password replaced, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    // scheme://user:password@host/...  ->  scheme://user:***@host/...
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((creds, host)) = rest.split_once('@')
        && let Some((user, _)) = creds.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_their_backend() {
        assert_eq!(backend_of("postgres://u@h/db").unwrap(), Backend::Postgres);
        assert_eq!(
            backend_of("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(backend_of("sqlite://data/x.db").unwrap(), Backend::Sqlite);
        assert!(matches!(
            backend_of("mysql://x"),
            Err(StoreError::UnsupportedUrl(_))
        ));
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://bob:hunter2@db:5432/x"),
            "postgres://bob:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://bob@db/x"), "postgres://bob@db/x");
        let err = backend_of("mysql://bob:hunter2@db/x")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
