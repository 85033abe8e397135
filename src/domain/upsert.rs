//! What an upsert did: `apply` reports a [`Change`] per entity so a second run can say "nothing
//! changed". Plain data; the store fills it in.

use serde::Serialize;

/// What an upsert did. `apply` reports these so a second run can say "nothing changed".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Created,
    Updated,
    Unchanged,
}

#[derive(Clone, Debug)]
pub struct Upserted<T> {
    pub value: T,
    pub change: Change,
}
