-- Company insights: what a model found about the company behind a web domain, asked once per
-- workspace and domain and shared by every lead of that company. `insight` holds
-- {summary, recent_developments, facts, citations}; after expires_at it is asked again when next
-- needed (the row is then replaced).
CREATE TABLE company_insights (
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    domain        TEXT NOT NULL,
    insight       TEXT NOT NULL,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    fetched_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, domain)
);

-- A model's proposal for the columns of an imported file that no header alias placed
-- ({mappings: [{column, field, confidence}], accepted, provider, model}); NULL when none was
-- asked for or the model gave none.
ALTER TABLE import_jobs ADD COLUMN mapping_proposal TEXT;
