-- Inbound messages the classifier was unsure about: needs_review names the two readings
-- ('unsubscribe_or_reply' or 'hard_or_soft'), judgement keeps the classification with its
-- evidence, review_email the lead the review is about. The lead waits `paused` until a person
-- resolves the review: reviewed_at, resolution (reply, unsubscribe, hard, soft, dismiss) and
-- resolved_by are set then, once.
ALTER TABLE inbound_messages ADD COLUMN needs_review TEXT;
ALTER TABLE inbound_messages ADD COLUMN judgement TEXT;
ALTER TABLE inbound_messages ADD COLUMN review_email TEXT;
ALTER TABLE inbound_messages ADD COLUMN reviewed_at TEXT;
ALTER TABLE inbound_messages ADD COLUMN resolution TEXT;
ALTER TABLE inbound_messages ADD COLUMN resolved_by TEXT;
CREATE INDEX inbound_messages_reviews ON inbound_messages (mailbox_id, id)
    WHERE needs_review IS NOT NULL;

-- Two more engagement events: needs_review (a lead paused for a review) and bounce_sender (a
-- server refused our sender; the lead is not at fault and the soft-bounce limit ignores it).
-- SQLite cannot change a CHECK constraint: the table is rebuilt (no table references it).
CREATE TABLE engagement_events_0014 (
    id                 BLOB NOT NULL PRIMARY KEY,
    workspace_id       BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    lead_id            BLOB REFERENCES leads (id) ON DELETE CASCADE,
    campaign_lead_id   BLOB REFERENCES campaign_leads (id) ON DELETE CASCADE,
    email_send_id      BLOB REFERENCES email_sends (id) ON DELETE SET NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('open', 'click', 'reply', 'auto_reply',
        'bounce_hard', 'bounce_soft', 'unsubscribe', 'complaint', 'needs_review',
        'bounce_sender')),
    detail             TEXT NOT NULL DEFAULT '{}',
    occurred_at        TEXT NOT NULL
);
INSERT INTO engagement_events_0014 (id, workspace_id, lead_id, campaign_lead_id, email_send_id,
    kind, detail, occurred_at)
SELECT id, workspace_id, lead_id, campaign_lead_id, email_send_id, kind, detail, occurred_at
FROM engagement_events;
DROP TABLE engagement_events;
ALTER TABLE engagement_events_0014 RENAME TO engagement_events;
CREATE INDEX engagement_events_campaign_lead ON engagement_events (campaign_lead_id, occurred_at);
CREATE INDEX engagement_events_send ON engagement_events (email_send_id, kind)
    WHERE email_send_id IS NOT NULL;
CREATE INDEX engagement_events_lead ON engagement_events (lead_id);
CREATE INDEX engagement_events_workspace ON engagement_events (workspace_id, kind);
