//! How the dispatch statements keep their plans linear (documentation only).
//!
//! The hot statements (claim, mark, complete) act on a batch of rows given as arrays. The
//! planner's row estimates for the tables they touch are often wrong by orders of magnitude:
//! a fresh database has no statistics at all, and after a bulk import the statistics describe
//! the tables as they were before it (autovacuum analyses at most once a minute). Measured on
//! the bench, wrong estimates turned linear work into quadratic plans: a table believed to
//! hold one matching row became the outer side of a nested loop over the whole batch (65,000
//! comparisons for 256 marks, 40 ms instead of 8), and an anti-join against `email_sends`
//! became a sequential scan re-read per candidate (3.4 million rows for a 2,000-row claim).
//!
//! So the statements are written to leave the planner only linear choices:
//! - **Probe per driving row.** Rows of a table looked up by key for each array element are
//!   read in `CROSS JOIN LATERAL (SELECT … WHERE key = u.x OFFSET 0)`: `OFFSET 0` keeps the
//!   subquery from being flattened into a join the planner could reorder, so it is always an
//!   index probe per element.
//! - **Driving rows materialised.** The CTE of checked input rows is `MATERIALIZED`. A CTE
//!   used once is otherwise inlined, and the planner then joined the table to the raw array
//!   on the lease token alone, which a whole claim shares: 742,500 row pairs for 500
//!   completions, 1.5 s.
//! - **No table-side restriction in batch updates.** In `UPDATE t … FROM driving WHERE …`
//!   every condition refers to the driving rows, even constant ones (`t.status = f.active`,
//!   with `'active' AS active` in the driving CTE). A restriction on `t` alone would make the
//!   planner believe few rows of `t` qualify and scan `t` first, re-reading the whole driving
//!   CTE per row of `t`. Conditions stay in the `WHERE`, so PostgreSQL re-checks them on the
//!   locked row version.
//! - **Per-candidate checks as scalar subqueries.** "No send of this step went out" is
//!   `(SELECT … LIMIT 1) IS NULL`, which PostgreSQL cannot turn into a join, so it stays a
//!   key lookup per candidate.
//! - **Answers ordered in Rust.** Matching the returned rows back to the input order is done
//!   in the caller, not with a CTE-to-CTE join.
//! - **No hash joins in batch writes.** The batch updates of `campaign_leads` (marks and
//!   completions) run with [`PROBE_JOINS`]. The planner prices a key probe as a random page
//!   read from disk (`random_page_cost = 4`), so while the table is small next to the batch
//!   it preferred a sequential scan of the whole table hashed against the batch: in the
//!   bench, 16 of 28 logged marks and 35 of 43 completions read all 20,000 campaign leads to
//!   update 500 (25 of the 120 ms of the slowest logged completion, every page in memory). With
//!   hash and merge joins off for the transaction, the only plan left is a probe per row.

/// Sent at the start of a batch write's transaction (see the module notes).
pub(super) const PROBE_JOINS: &str =
    "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off";
