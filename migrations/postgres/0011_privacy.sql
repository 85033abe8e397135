-- Privacy erasure (GDPR/CCPA) and the API's read paths.
--
-- workspaces.privacy_salt: the key of the HMAC-SHA-256 that turns an erased address into the
-- value of its suppression entry ('sha256:<hex>', kind 'email'), made on the workspace's first
-- erasure. The entry is matched by computing the same HMAC in Rust (suppression checks, lead
-- inserts), so the database keeps no readable trace of the address and no query hashes per
-- row. Per workspace, so the same address erased in two workspaces leaves unrelated values.
ALTER TABLE workspaces ADD COLUMN privacy_salt bytea;

-- Engagement events are few (a reply or a bounce per lead at most, next to one send per step)
-- and written one at a time, so two indexes cost the send path nothing:
--   * engagement_events_lead: a lead's events, for privacy exports and erasures, the events
--     list filtered by lead, and deleting a lead (the foreign key cascades through it);
--   * engagement_events_workspace: a workspace's events of some kinds, for a campaign's stats
--     (replies, bounces, opt-outs) and the events list filtered by type.
CREATE INDEX engagement_events_lead ON engagement_events (lead_id);
CREATE INDEX engagement_events_workspace ON engagement_events (workspace_id, kind);
