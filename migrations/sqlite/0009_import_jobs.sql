-- Lead import jobs started over the HTTP API (POST /api/v1/leads/imports), and the index the
-- API's lead pages walk.
--
-- A job is queued once its CSV is spooled under the daemon's data dir, running while the
-- importer reads it, then completed or failed. The daemon running a job writes heartbeat_at
-- every few seconds; a queued or running job whose heartbeat is old lost its daemon (a crash or
-- a restart) and is marked failed by the next daemon start or the next read of it. rejected
-- holds the first rejected rows ({line, email, code, reason}); rejected_total counts them all.
-- enrolled, already_enrolled and suppressed are NULL when no campaign was given.
CREATE TABLE import_jobs (
    id                  BLOB NOT NULL PRIMARY KEY,
    workspace_id        BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id         BLOB REFERENCES campaigns (id) ON DELETE SET NULL,
    file_name           TEXT,
    size_bytes          INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
    status              TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    error               TEXT,
    rows_read           INTEGER NOT NULL DEFAULT 0,
    imported            INTEGER NOT NULL DEFAULT 0,
    already_existed     INTEGER NOT NULL DEFAULT 0,
    invalid             INTEGER NOT NULL DEFAULT 0,
    duplicates_in_file  INTEGER NOT NULL DEFAULT 0,
    enrolled            INTEGER,
    already_enrolled    INTEGER,
    suppressed          INTEGER,
    rejected            TEXT NOT NULL DEFAULT '[]',
    rejected_total      INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    started_at          TEXT,
    finished_at         TEXT,
    heartbeat_at        TEXT NOT NULL
);
CREATE INDEX import_jobs_workspace ON import_jobs (workspace_id, id);
CREATE INDEX import_jobs_unfinished ON import_jobs (heartbeat_at) WHERE status IN ('queued', 'running');

-- Pages of one workspace's leads by id (keyset pagination) read this index in order instead of
-- walking the primary key across every workspace.
CREATE INDEX leads_workspace_id ON leads (workspace_id, id);
