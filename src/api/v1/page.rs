//! Cursor pagination: `?limit=&cursor=`. A page holds at most `limit` items (1 to 500, 100 by
//! default) and `next_cursor` when more follow. Items come in creation order (ids are UUIDv7).
//! A cursor is opaque to clients: the id of the last item returned, and a page holds the items
//! after it, which keeps pages stable while rows are added or removed (keyset pagination, not
//! offsets).

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::problem::ApiError;

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 500;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Reads any 22 characters of the cursor alphabet (the documented pattern) as 16 bytes: the
/// unused low bits of the last character are ignored rather than refused.
const CURSOR: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

impl PageQuery {
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n @ 1..=MAX_LIMIT) => Ok(n),
            Some(_) => Err(ApiError::bad_query(
                "limit",
                format!("must be from 1 to {MAX_LIMIT}"),
            )),
        }
    }

    /// The id the page starts after.
    pub fn after(&self) -> Result<Option<Uuid>, ApiError> {
        let Some(cursor) = self.cursor.as_deref() else {
            return Ok(None);
        };
        CURSOR
            .decode(cursor)
            .ok()
            .and_then(|bytes| Uuid::from_slice(&bytes).ok())
            .map(Some)
            .ok_or_else(|| ApiError::bad_query("cursor", "not a cursor this API gave out"))
    }

    /// A page of a list the store returns whole (small lists: tokens, mailboxes); `key` is
    /// each item's id. Sorted by id, so a cursor works even when its item is gone.
    pub fn paginate<T>(
        &self,
        mut items: Vec<T>,
        key: impl Fn(&T) -> Uuid,
    ) -> Result<Page<T>, ApiError> {
        let after = self.after()?;
        items.sort_by_key(|item| key(item));
        let rows: Vec<T> = items
            .into_iter()
            .filter(|item| after.is_none_or(|after| key(item) > after))
            .take(self.limit()? as usize + 1)
            .collect();
        self.page_of(rows, key)
    }

    /// A page from a store query that fetched up to `limit + 1` rows after the cursor.
    pub fn page_of<T>(
        &self,
        mut rows: Vec<T>,
        key: impl Fn(&T) -> Uuid,
    ) -> Result<Page<T>, ApiError> {
        let limit = self.limit()? as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|last| encode_cursor(key(last)))
        } else {
            None
        };
        Ok(Page {
            items: rows,
            next_cursor,
        })
    }
}
