//! `ImportError`: what stops an import as a whole. A bad row never does: rows are reported in
//! the [`ImportReport`](super::ImportReport) and skipped.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read the file: {0}")]
    Read(#[source] std::io::Error),
    #[error("the file is empty: there is no header line")]
    Empty,
    /// The csv reader failed mid-file (an I/O error: malformed quoting is read leniently).
    #[error("cannot read the record at line {line}: {source}")]
    Csv { line: u64, source: csv::Error },
    #[error(
        "no email column in the header; found {found} (an email column may be called email, \
         e-mail, mail or email address)"
    )]
    NoEmailColumn { found: String },
    /// The store failed: leads of earlier batches are already imported.
    #[error(
        "the database failed on the batch ending at line {line} ({imported} leads were imported \
         before it; running the import again skips them): {source}"
    )]
    Store {
        line: u64,
        imported: u64,
        source: StoreError,
    },
}

impl ImportError {
    /// `NoEmailColumn` listing `headers` as they were written.
    pub fn no_email_column(headers: &[String]) -> Self {
        let found = if headers.iter().all(String::is_empty) {
            "no headers".to_owned()
        } else {
            headers
                .iter()
                .map(|h| format!("{h:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Self::NoEmailColumn { found }
    }
}
