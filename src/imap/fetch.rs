//! Reading a folder past a UID mark: where to start (the mark, or a reread when the server
//! renumbered its UIDs), and the UID ranges to fetch in batches. Protocol only: the caller
//! keeps the marks (the store's checkpoints) and decides what a fetched message means.

use super::error::ImapError;
use super::session::{Fetched, FolderState, ImapSession};

/// The folder every mailbox has; only other folders may be missing.
pub const INBOX: &str = "INBOX";

/// A folder's read position: the UIDVALIDITY it was read under and the last UID read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UidMark {
    pub uidvalidity: u32,
    pub last_uid: u32,
}

/// What opening a folder found.
pub enum FolderRead {
    /// The server has no such folder (its `NO` reason); never for INBOX.
    Missing { reason: String },
    /// Nothing arrived past the mark.
    UpToDate,
    /// New mail (or a reread) to fetch in batches.
    New(FolderCursor),
}

/// The UID ranges still to fetch in one folder, as of when it was opened.
pub struct FolderCursor {
    pub uidvalidity: u32,
    /// The mark's UIDVALIDITY when the server renumbered the folder (the whole folder since
    /// `reread_since` is read again; duplicates are the caller's to recognise).
    pub renumbered_from: Option<u32>,
    after: u32,
    end: u32,
    batch: u32,
}

/// Whether `state` shows mail past `known` (or a renumbering, or a folder never read).
pub fn has_news(state: &FolderState, known: Option<UidMark>) -> bool {
    known.is_none_or(|m| {
        m.uidvalidity != state.uidvalidity || state.uidnext.saturating_sub(1) > m.last_uid
    })
}

/// Opens `folder` for reading past `known`. A new folder, a new UIDVALIDITY or a UIDNEXT below
/// the mark (UIDs reused) rereads the folder's mail since `reread_since`, so nothing is missed.
pub async fn open_folder(
    session: &mut ImapSession,
    folder: &str,
    known: Option<UidMark>,
    reread_since: chrono::NaiveDate,
    batch: u32,
) -> Result<FolderRead, ImapError> {
    let state = match session.status(folder).await {
        Ok(s) => s,
        Err(ImapError::Protocol {
            source: async_imap::error::Error::No(reason),
            ..
        }) if folder != INBOX => return Ok(FolderRead::Missing { reason }),
        Err(e) => return Err(e),
    };
    let (after, renumbered_from) = match known {
        Some(m) if m.uidvalidity == state.uidvalidity && state.uidnext > m.last_uid => {
            if state.uidnext.saturating_sub(1) <= m.last_uid {
                return Ok(FolderRead::UpToDate);
            }
            session.examine(folder).await?;
            (m.last_uid, None)
        }
        _ => {
            let selected = session.examine(folder).await?;
            let uids = session.uids_since(reread_since).await?;
            let after = match uids.first() {
                Some(first) => first.saturating_sub(1),
                None => selected.uidnext.saturating_sub(1),
            };
            (after, known.map(|m| m.uidvalidity))
        }
    };
    Ok(FolderRead::New(FolderCursor {
        uidvalidity: state.uidvalidity,
        renumbered_from,
        after,
        end: state.uidnext.saturating_sub(1),
        batch: batch.max(1),
    }))
}

impl FolderCursor {
    /// The next batch, or `None` once the folder is read up to where it ended when opened.
    /// UID ranges of `batch`, so a gap of expunged UIDs is stepped over; never past the end
    /// unless a message was actually read there (UIDs above it may still be assigned).
    pub async fn next_batch(
        &mut self,
        session: &mut ImapSession,
    ) -> Result<Option<Vec<Fetched>>, ImapError> {
        if self.after >= self.end {
            return Ok(None);
        }
        let fetched = session.fetch_after(self.after, self.batch).await?;
        let read = fetched.last().map_or(0, |m| m.uid);
        self.after = read.max(self.after.saturating_add(self.batch).min(self.end));
        Ok(Some(fetched))
    }

    /// The mark after the batches read so far.
    pub fn mark(&self) -> UidMark {
        UidMark {
            uidvalidity: self.uidvalidity,
            last_uid: self.after,
        }
    }

    /// The mark once every batch is read: the folder's end as opened, or beyond it.
    pub fn final_mark(&self) -> UidMark {
        UidMark {
            uidvalidity: self.uidvalidity,
            last_uid: self.end.max(self.after),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(uidvalidity: u32, uidnext: u32) -> FolderState {
        FolderState {
            uidvalidity,
            uidnext,
        }
    }

    #[test]
    fn a_folder_has_news_when_unread_renumbered_or_past_its_mark() {
        let mark = UidMark {
            uidvalidity: 7,
            last_uid: 10,
        };
        assert!(has_news(&state(7, 11), None));
        assert!(!has_news(&state(7, 11), Some(mark)));
        assert!(has_news(&state(7, 12), Some(mark)));
        assert!(has_news(&state(8, 11), Some(mark)));
    }
}
