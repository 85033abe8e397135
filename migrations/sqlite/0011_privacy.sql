-- Privacy erasure and the API's read paths; mirrors the PostgreSQL 0011 (see there).
ALTER TABLE workspaces ADD COLUMN privacy_salt BLOB;

CREATE INDEX engagement_events_lead ON engagement_events (lead_id);
CREATE INDEX engagement_events_workspace ON engagement_events (workspace_id, kind);
