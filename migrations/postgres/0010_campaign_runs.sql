-- Run Now as a job the HTTP API answers (POST /campaigns/{id}/run, GET .../runs/{run_id}).
--
-- A run makes a campaign's pending leads due at started_at; its report is read from what the
-- store holds since (send rows changed since then, and the leads still waiting), so any daemon
-- can answer it and a restart forgets nothing. finished_at is set the first time the report is
-- found complete, and bounds the send rows it lists from then on.
CREATE TABLE campaign_runs (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id   uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    started_at    timestamptz NOT NULL,
    made_due      bigint NOT NULL CHECK (made_due >= 0),
    finished_at   timestamptz
);
CREATE INDEX campaign_runs_campaign ON campaign_runs (campaign_id, started_at);

-- A campaign's lead list, a page at a time in enrolment order (ids are UUIDv7): without it a
-- page walks the primary key across every campaign's enrolments. Neither column ever changes,
-- so the send path's updates of campaign_leads stay HOT.
CREATE INDEX campaign_leads_campaign_page ON campaign_leads (campaign_id, id);
