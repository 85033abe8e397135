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
    id                  uuid PRIMARY KEY,
    workspace_id        uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id         uuid REFERENCES campaigns (id) ON DELETE SET NULL,
    file_name           text,
    size_bytes          bigint NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
    status              text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    error               text,
    rows_read           bigint NOT NULL DEFAULT 0,
    imported            bigint NOT NULL DEFAULT 0,
    already_existed     bigint NOT NULL DEFAULT 0,
    invalid             bigint NOT NULL DEFAULT 0,
    duplicates_in_file  bigint NOT NULL DEFAULT 0,
    enrolled            bigint,
    already_enrolled    bigint,
    suppressed          bigint,
    rejected            jsonb NOT NULL DEFAULT '[]',
    rejected_total      bigint NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    started_at          timestamptz,
    finished_at         timestamptz,
    heartbeat_at        timestamptz NOT NULL
);
CREATE INDEX import_jobs_workspace ON import_jobs (workspace_id, id);
CREATE INDEX import_jobs_unfinished ON import_jobs (heartbeat_at) WHERE status IN ('queued', 'running');

-- Pages of one workspace's leads by id (keyset pagination) read this index in order instead of
-- walking the primary key across every workspace.
CREATE INDEX leads_workspace_id ON leads (workspace_id, id);
