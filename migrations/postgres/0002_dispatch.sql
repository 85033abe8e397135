-- 0002: indexes for the dispatch hot path (issue #4). Adds no tables and no columns.
--
-- What it adds (the SQLite 0002 mirrors it, same names):
--   * campaign_leads_due_followups: due follow-ups (step > 1) of one campaign by due time, so a
--     claim finds them without walking a backlog of due step-1 leads (a campaign whose daily
--     new-lead cap holds back 100,000 due leads is normal).
--   * email_sends_mailbox_counted replaces email_sends_mailbox_sent: a mailbox's hourly cap
--     counts 'unknown' sends too (the server may have accepted them), so the index covers both.
--   * email_sends_campaign_new: step-1 sends of a campaign by send time, for its daily cap on
--     new leads (without it that count scans every send ever made).
--
-- Notes on semantics shared by both backends (pinned by tests/store/dispatch*.rs):
--   * A Retry completion also sets email_sends.next_attempt_at = the retry time.
--   * Completions never change the status or stop_reason of a campaign lead that is no longer
--     'active' (it replied, unsubscribed or bounced elsewhere meanwhile): a late Sent must not
--     turn 'replied' into 'completed'. Everything else applies as specified.
--   * Bounced stops the lead's other active campaign leads by status only and leaves their
--     lease alone: a send of another campaign in flight for that lead still records its outcome.

CREATE INDEX campaign_leads_due_followups ON campaign_leads (campaign_id, next_scheduled_at)
    WHERE status = 'active' AND current_step_order > 1;

DROP INDEX email_sends_mailbox_sent;
CREATE INDEX email_sends_mailbox_counted ON email_sends (mailbox_id, sent_at)
    WHERE state IN ('sent', 'unknown');

CREATE INDEX email_sends_campaign_new ON email_sends (campaign_id, sent_at)
    WHERE step_order = 1;
