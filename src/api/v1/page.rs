//! Cursor pagination: `?limit=&cursor=`. A page holds at most `limit` items (1 to 500, 100 by
//! default) and `next_cursor` when more follow. A cursor is opaque to clients: the id of the
//! last item returned, which keeps pages stable while rows are added (keyset pagination, not
//! offsets).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

impl PageQuery {
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n @ 1..=MAX_LIMIT) => Ok(n),
            Some(_) => Err(ApiError::invalid(
                "limit",
                format!("must be from 1 to {MAX_LIMIT}"),
            )),
        }
    }

    /// The id the page starts after.
    pub fn after(&self) -> Result<Option<Uuid>, ApiError> {
        let Some(cursor) = self.cursor.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|bytes| Uuid::from_slice(&bytes).ok())
            .map(Some)
            .ok_or_else(|| ApiError::invalid("cursor", "not a cursor this API gave out"))
    }

    /// A page of a list the store returns whole (small lists: tokens, mailboxes), in the order
    /// given; `key` is each item's id.
    pub fn paginate<T>(
        &self,
        items: Vec<T>,
        key: impl Fn(&T) -> Uuid,
    ) -> Result<Page<T>, ApiError> {
        let limit = self.limit()? as usize;
        let start = match self.after()? {
            None => 0,
            Some(after) => match items.iter().position(|item| key(item) == after) {
                Some(i) => i + 1,
                None => return Err(ApiError::invalid("cursor", "the item it points at is gone")),
            },
        };
        let mut rest: Vec<T> = items.into_iter().skip(start).collect();
        let more = rest.len() > limit;
        rest.truncate(limit);
        let next_cursor = if more {
            rest.last().map(|last| encode_cursor(key(last)))
        } else {
            None
        };
        Ok(Page {
            items: rest,
            next_cursor,
        })
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
