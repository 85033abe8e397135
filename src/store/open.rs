//! Opening the backend `database.url` names (which one it is, `config` decides).

use std::sync::Arc;

use super::cipher::SecretCipher;
use super::postgres::{Opened, PgStore};
use super::{Store, StoreError, sqlite::SqliteStore};
use crate::config::{Backend, DatabaseSettings, backend_of};

/// Who is opening the store. Only one `Daemon` may hold an SQLite file; `Tool` (CLI commands
/// such as `apply` or `import-leads`) may run beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    Daemon,
    Tool,
}

/// Opens the backend named by the URL. Does not migrate: call [`Meta::migrate`](super::Meta::migrate).
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
