-- Cheaper writes on the send path (issue #4), measured with `cargo bench --bench pipeline`.
--
-- Every email_sends insert (one per claimed step) ran four foreign-key checks, each a
-- `SELECT ... FOR KEY SHARE` of the referenced row. The workspace and campaign of a send are
-- those of its campaign lead (the claim copies them from it), and deleting either already
-- deletes the send through campaign_leads (ON DELETE CASCADE), so those two checks bought
-- nothing. The campaign-lead and mailbox keys stay: they cascade and set NULL.
ALTER TABLE email_sends DROP CONSTRAINT email_sends_workspace_id_fkey;
ALTER TABLE email_sends DROP CONSTRAINT email_sends_campaign_id_fkey;

-- Room on each page for a new row version, so updates that change no indexed column (marking
-- a lead's send in flight extends its lease) stay on the page and skip index inserts (HOT).
ALTER TABLE campaign_leads SET (fillfactor = 85);
