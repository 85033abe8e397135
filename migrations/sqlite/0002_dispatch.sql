-- 0002: indexes for the dispatch hot path (issue #4). Adds no tables and no columns. Mirrors
-- migrations/postgres/0002_dispatch.sql (same index names; see the notes there on the semantics
-- both backends share).
--
--   * campaign_leads_due_followups: due follow-ups (step > 1) of one campaign by due time, so a
--     claim finds them without walking a backlog of due step-1 leads.
--   * email_sends_mailbox_counted replaces email_sends_mailbox_sent: a mailbox's hourly cap
--     counts 'unknown' sends too (the server may have accepted them), so the index covers both.
--   * email_sends_campaign_new: step-1 sends of a campaign by send time, for its daily cap on
--     new leads.
--
-- SQLite uses a partial index only when the query repeats the index's WHERE terms, so the
-- queries in src/store/sqlite/dispatch_*.rs spell them out exactly as written here.

CREATE INDEX campaign_leads_due_followups ON campaign_leads (campaign_id, next_scheduled_at)
    WHERE status = 'active' AND current_step_order > 1;

DROP INDEX email_sends_mailbox_sent;
CREATE INDEX email_sends_mailbox_counted ON email_sends (mailbox_id, sent_at)
    WHERE state IN ('sent', 'unknown');

CREATE INDEX email_sends_campaign_new ON email_sends (campaign_id, sent_at)
    WHERE step_order = 1;
