-- 0003: the inbound half (issue #5). The SQLite 0003 mirrors it.
--
--   * campaigns.stop_other_campaigns_on_reply: a reply also stops the lead's other campaigns
--     (default off: a reply stops this campaign only, by stop_on_reply).
--   * mailboxes.sent_folder_is_authoritative / append_sent: Sent-folder reconciliation of
--     'unknown' sends (an unknown send missing from an authoritative Sent folder is resent).
--   * engagement_events_send: the hard bounces among a mailbox's last sends (bounce rate).
--
-- inbound_messages (0001) is the idempotency key: UNIQUE (mailbox_id, message_id).

ALTER TABLE campaigns ADD COLUMN stop_other_campaigns_on_reply boolean NOT NULL DEFAULT false;
ALTER TABLE mailboxes ADD COLUMN sent_folder_is_authoritative boolean NOT NULL DEFAULT false;
ALTER TABLE mailboxes ADD COLUMN append_sent boolean NOT NULL DEFAULT false;
CREATE INDEX engagement_events_send ON engagement_events (email_send_id, kind)
    WHERE email_send_id IS NOT NULL;
