//! `StoreError`: what can go wrong talking to the database, with enough context to act on.

use super::cipher::CipherError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is neither `postgres://` nor `sqlite://`.
    #[error(transparent)]
    UnsupportedUrl(#[from] crate::config::UnsupportedUrl),
    /// Could not connect or lost the connection.
    #[error("cannot reach the database at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("failed to apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Another daemon holds the SQLite file.
    #[error(
        "the SQLite database {0} is in use by another outreachd process (SQLite supports one daemon; use PostgreSQL to run several)"
    )]
    Locked(String),
    /// A named thing does not exist in the workspace.
    #[error("{kind} {name:?} not found")]
    NotFound { kind: &'static str, name: String },
    /// The input is unacceptable (a lead without an email, an empty suppression value).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The request conflicts with existing data (for example deleting steps leads are on).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored value does not parse: the database was edited by hand or is from a newer version.
    #[error("corrupt value in {column}: {detail}")]
    Corrupt {
        column: &'static str,
        detail: String,
    },
    /// The configured key cannot decrypt what is stored.
    #[error("{0}")]
    Cipher(#[from] CipherError),
    /// Any other database error, with what we were doing.
    #[error("failed to {action}: {source}")]
    Query {
        action: &'static str,
        source: sqlx::Error,
    },
}

impl StoreError {
    pub fn not_found(kind: &'static str, name: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            name: name.into(),
        }
    }
}

/// `.ctx("load mailboxes")` turns a `sqlx::Error` into a `StoreError::Query` naming the action.
pub trait QueryContext<T> {
    fn ctx(self, action: &'static str) -> Result<T, StoreError>;
}

impl<T> QueryContext<T> for Result<T, sqlx::Error> {
    fn ctx(self, action: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Query { action, source })
    }
}
