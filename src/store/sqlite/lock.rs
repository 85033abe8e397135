//! The daemon's exclusive lock on `<database file>.lock`: SQLite has no row locks to share work
//! between daemons, so a second daemon on the same file is refused (tools may still open it).

use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Why the lock was not taken.
pub(super) enum LockFailure {
    /// Another process holds it.
    Held,
    Io(std::io::Error),
}

fn lock_path(db_file: &Path) -> PathBuf {
    let mut name = OsString::from(db_file.as_os_str());
    name.push(".lock");
    PathBuf::from(name)
}

/// Opens (creating) the lock file and locks it without waiting. The lock lasts as long as the
/// returned `File`; the OS releases it when the file is closed, also when the process dies.
pub(super) fn lock_exclusively(db_file: &Path) -> Result<File, LockFailure> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(lock_path(db_file))
        .map_err(LockFailure::Io)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(LockFailure::Held),
        Err(TryLockError::Error(e)) => Err(LockFailure::Io(e)),
    }
}
