-- Lead search (`GET /leads?q=`, enrol by filter) matches a text anywhere in a lead's email,
-- name or company. Without an index that reads every lead of the workspace; a trigram GIN index
-- over the one expression the search reads (`SEARCH_DOCUMENT` in store/sql/lead_records.rs,
-- which must stay identical) answers `ILIKE '%text%'` for texts of three characters or more.
--
-- pg_trgm ships with PostgreSQL (the contrib modules) and is a trusted extension: the owner of
-- the database can create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX leads_search_trgm ON leads USING gin (
    (email || ' ' || COALESCE(first_name, '') || ' ' || COALESCE(last_name, '') || ' '
        || COALESCE(company, '')) gin_trgm_ops
);
