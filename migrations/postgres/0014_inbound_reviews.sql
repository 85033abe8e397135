-- Inbound messages the classifier was unsure about: needs_review names the two readings
-- ('unsubscribe_or_reply' or 'hard_or_soft'), judgement keeps the classification with its
-- evidence, review_email the lead the review is about. The lead waits `paused` until a person
-- resolves the review: reviewed_at, resolution (reply, unsubscribe, hard, soft, dismiss) and
-- resolved_by are set then, once.
ALTER TABLE inbound_messages ADD COLUMN needs_review text;
ALTER TABLE inbound_messages ADD COLUMN judgement jsonb;
ALTER TABLE inbound_messages ADD COLUMN review_email text;
ALTER TABLE inbound_messages ADD COLUMN reviewed_at timestamptz;
ALTER TABLE inbound_messages ADD COLUMN resolution text;
ALTER TABLE inbound_messages ADD COLUMN resolved_by text;
CREATE INDEX inbound_messages_reviews ON inbound_messages (mailbox_id, id)
    WHERE needs_review IS NOT NULL;

-- Two more engagement events: needs_review (a lead paused for a review) and bounce_sender (a
-- server refused our sender; the lead is not at fault and the soft-bounce limit ignores it).
ALTER TABLE engagement_events DROP CONSTRAINT engagement_events_kind_check;
ALTER TABLE engagement_events ADD CONSTRAINT engagement_events_kind_check CHECK (kind IN ('open',
    'click', 'reply', 'auto_reply', 'bounce_hard', 'bounce_soft', 'unsubscribe', 'complaint',
    'needs_review', 'bounce_sender'));
