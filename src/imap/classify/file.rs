//! `classify_file`: the helper behind `outreachd classify FILE.eml…`, so the command runs the
//! very code the poller runs.

use std::path::{Path, PathBuf};

use super::context::ClassifyContext;
use super::types::ClassifyError;

/// Why a file could not be classified.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyFileError {
    #[error("failed to read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to classify {path}: {source}")]
    Classify {
        path: PathBuf,
        #[source]
        source: ClassifyError,
    },
    #[error("failed to render the classification of {path} as JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// Reads one message file (any line endings) and returns its judgement as JSON, e.g.
/// `{"class":"bounce","send_id":"…","recipients":[{"email":"…","status":"5.1.1","kind":"hard",
/// "cause":"recipient","diagnostic":"…"}],"confidence":"high","evidence":[{"rule":"dsn",
/// "at":"part message/delivery-status","text":"…"}]}`. Use `ClassifyContext::without_leads()` when no lead data is at hand:
/// only the fallback reply match (lead sender + one of our subjects) needs it.
pub fn classify_file(
    path: &Path,
    ctx: &ClassifyContext<'_>,
) -> Result<serde_json::Value, ClassifyFileError> {
    let raw = std::fs::read(path).map_err(|source| ClassifyFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let judgement = super::judge(&raw, ctx).map_err(|source| ClassifyFileError::Classify {
        path: path.to_owned(),
        source,
    })?;
    serde_json::to_value(&judgement).map_err(|source| ClassifyFileError::Json {
        path: path.to_owned(),
        source,
    })
}
