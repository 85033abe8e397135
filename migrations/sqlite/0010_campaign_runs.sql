-- Run Now as a job the HTTP API answers; see the PostgreSQL 0010 for the why.
CREATE TABLE campaign_runs (
    id            BLOB NOT NULL PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id   BLOB NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    started_at    TEXT NOT NULL,
    made_due      INTEGER NOT NULL CHECK (made_due >= 0),
    finished_at   TEXT
);
CREATE INDEX campaign_runs_campaign ON campaign_runs (campaign_id, started_at);

-- A campaign's lead list, a page at a time in enrolment order.
CREATE INDEX campaign_leads_campaign_page ON campaign_leads (campaign_id, id);
