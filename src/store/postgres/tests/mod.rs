//! PostgreSQL-only checks of the plans the hot path depends on, on the server named by
//! `OUTREACHD_TEST_PG_URL` (the conformance suite in `tests/store` checks the results).

mod plans;
mod probe_joins;
mod search_plan;
