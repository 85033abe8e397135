-- 0003: the inbound half (issue #5); mirrors the PostgreSQL 0003 (see there).

ALTER TABLE campaigns ADD COLUMN stop_other_campaigns_on_reply INTEGER NOT NULL DEFAULT 0
    CHECK (stop_other_campaigns_on_reply IN (0, 1));
ALTER TABLE mailboxes ADD COLUMN sent_folder_is_authoritative INTEGER NOT NULL DEFAULT 0
    CHECK (sent_folder_is_authoritative IN (0, 1));
ALTER TABLE mailboxes ADD COLUMN append_sent INTEGER NOT NULL DEFAULT 0
    CHECK (append_sent IN (0, 1));
CREATE INDEX engagement_events_send ON engagement_events (email_send_id, kind)
    WHERE email_send_id IS NOT NULL;
