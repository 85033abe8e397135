//! The upload of an import job, written to a file under the daemon's data dir as it arrives, so
//! a 100 MB CSV costs a 256 KB buffer, not 100 MB of memory.
//!
//! Layout: `<data_dir>/imports/<workspace>/<job>.part` while the upload runs, renamed to
//! `<job>.csv` when it is complete. A `Spool` dropped before it is kept (the client went away,
//! the file was too large, the request was refused) removes its file.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncWriteExt, BufWriter};

use super::StartError;
use crate::domain::{ImportJobId, WorkspaceId};

const WRITE_BUFFER: usize = 256 * 1024;

/// Where the spooled CSV of `job` lives once complete.
pub(super) fn csv_path(dir: &Path, ws: WorkspaceId, job: ImportJobId) -> PathBuf {
    dir.join(ws.to_string()).join(format!("{job}.csv"))
}

pub struct Spool {
    pub(super) id: ImportJobId,
    pub(super) workspace: WorkspaceId,
    part: PathBuf,
    done: PathBuf,
    file: Option<BufWriter<tokio::fs::File>>,
    bytes: u64,
    max_bytes: u64,
    kept: bool,
}

impl Spool {
    pub(super) async fn create(
        dir: &Path,
        ws: WorkspaceId,
        max_bytes: u64,
    ) -> Result<Self, StartError> {
        let id = ImportJobId::new();
        let done = csv_path(dir, ws, id);
        let part = done.with_extension("part");
        if let Some(parent) = done.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(StartError::Spool)?;
        }
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        // The file holds people's addresses: readable by the daemon's user only.
        #[cfg(unix)]
        options.mode(0o600);
        let file = options.open(&part).await.map_err(StartError::Spool)?;
        Ok(Self {
            id,
            workspace: ws,
            part,
            done,
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            bytes: 0,
            max_bytes,
            kept: false,
        })
    }

    /// Appends a piece of the upload; `TooLarge` once the whole would pass the limit.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StartError> {
        self.bytes += chunk.len() as u64;
        if self.bytes > self.max_bytes {
            return Err(StartError::TooLarge(self.max_bytes));
        }
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| StartError::Spool(std::io::Error::other("the spool is closed")))?;
        file.write_all(chunk).await.map_err(StartError::Spool)
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Flushes and closes the file and gives it its final name; from here the job owns it.
    pub(super) async fn keep(mut self) -> Result<(PathBuf, u64), StartError> {
        if let Some(mut file) = self.file.take() {
            file.flush().await.map_err(StartError::Spool)?;
            file.into_inner()
                .sync_all()
                .await
                .map_err(StartError::Spool)?;
        }
        tokio::fs::rename(&self.part, &self.done)
            .await
            .map_err(StartError::Spool)?;
        self.kept = true;
        Ok((self.done.clone(), self.bytes))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if !self.kept {
            // Best effort and quick (an unlink): a leftover is removed at the next start.
            let _ = std::fs::remove_file(&self.part);
        }
    }
}
