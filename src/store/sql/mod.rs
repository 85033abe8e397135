//! SQL text written once for both backends: statements that read the same in the PostgreSQL
//! and the SQLite dialect. Placeholders are `$N` (sqlx-sqlite binds `$N` to the N-th argument,
//! as PostgreSQL does); no casts, no date arithmetic (times are computed in Rust and bound by
//! each backend in its own form: `DateTime<Utc>` on PostgreSQL, fixed-width text on SQLite).
//!
//! Only the text is shared: each backend binds and runs it on its own connection types. What
//! differs (the claim with `SKIP LOCKED`, batch statements over arrays or JSON rows) stays in
//! the backend's own files.

pub(crate) mod reports;
