-- Less work per send on PostgreSQL (issue #4), measured with `cargo bench --bench pipeline`.
--
-- PostgreSQL checks a foreign key on every inserted row with a query of its own (`SELECT ...
-- FOR KEY SHARE` through SPI). Each claimed step inserted a send row (two checks: its campaign
-- lead and its mailbox) and each generated text a row of its own (one check: its campaign
-- lead): three queries per send, about an eighth of PostgreSQL's time in the bench (perf).
-- The checks bought nothing there: a claim inserts send rows only for campaign leads it holds
-- locked, with their current mailbox, and texts are stored for claimed leads only.
--
-- What the keys also did, deleting with their parent, is kept by statement-level triggers
-- (one pass per DELETE statement, whatever the number of rows):
--   * deleting campaign leads deletes their sends and texts (was ON DELETE CASCADE), and with
--     them, through engagement_events' own key, their events lose the send (ON DELETE SET NULL);
--   * deleting mailboxes clears the mailbox of their sends (was ON DELETE SET NULL).
-- Every path that deleted a campaign lead (workspace, campaign or lead deleted) cascades to
-- campaign_leads itself, so it reaches these triggers.
ALTER TABLE email_sends DROP CONSTRAINT email_sends_campaign_lead_id_fkey;
ALTER TABLE email_sends DROP CONSTRAINT email_sends_mailbox_id_fkey;
ALTER TABLE generated_messages DROP CONSTRAINT generated_messages_campaign_lead_id_fkey;

CREATE FUNCTION campaign_leads_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM email_sends es USING gone WHERE es.campaign_lead_id = gone.id;
    DELETE FROM generated_messages g USING gone WHERE g.campaign_lead_id = gone.id;
    RETURN NULL;
END $$;
CREATE TRIGGER campaign_leads_deleted AFTER DELETE ON campaign_leads
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION campaign_leads_deleted();

CREATE FUNCTION mailboxes_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE email_sends es SET mailbox_id = NULL FROM gone WHERE es.mailbox_id = gone.id;
    RETURN NULL;
END $$;
CREATE TRIGGER mailboxes_deleted AFTER DELETE ON mailboxes
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION mailboxes_deleted();

-- The daily new-lead count reads step-1 sends that went out (sent, unknown, bounced) through
-- this index; the rows in flight it counts come from email_sends_open. Indexing only the rows
-- it reads spares every step-1 send two index inserts, when it is claimed and when it is
-- marked sending (an update that changes `state` cannot be HOT, so each new row version is
-- inserted into every index whose predicate it meets).
DROP INDEX email_sends_campaign_new;
CREATE INDEX email_sends_campaign_new ON email_sends (campaign_id, sent_at)
    WHERE step_order = 1 AND state IN ('sent', 'unknown', 'bounced');
