-- A lead's reply that stopped its sequence, and the answer drafted for a person to decide on.
-- body is the reply's new text (quoted history and signature stripped, bounded); message_id
-- its Message-ID header, which our answer names in In-Reply-To. status:
--   pending (no draft yet) -> drafted -> approved -> sending -> sent | failed | unknown,
--   or discarded before sending.
-- A row `sending` past lease_expires_at becomes `unknown` and is never sent again
-- automatically: the server may have accepted it. send_after holds an approved answer back
-- (a claim by the sender, a cap or a cooldown of the mailbox).
CREATE TABLE lead_replies (
    id                 uuid PRIMARY KEY,
    workspace_id       uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id        uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    campaign_lead_id   uuid NOT NULL REFERENCES campaign_leads (id) ON DELETE CASCADE,
    mailbox_id         uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    message_id         text NOT NULL,
    subject            text NOT NULL,
    body               text NOT NULL,
    received_at        timestamptz NOT NULL,
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'drafted',
        'approved', 'sending', 'sent', 'failed', 'unknown', 'discarded')),
    draft_subject      text,
    draft_body         text,
    draft_provider     text,
    draft_model        text,
    draft_error        text,
    drafted_at         timestamptz,
    decided_by         text,
    decided_at         timestamptz,
    send_after         timestamptz,
    lease_token        uuid,
    lease_expires_at   timestamptz,
    sent_message_id    text,
    sent_at            timestamptz,
    send_error         text,
    updated_at         timestamptz NOT NULL,
    UNIQUE (mailbox_id, message_id)
);
-- The hourly cap's seed: a mailbox's answers sent in the last hour.
CREATE INDEX lead_replies_mailbox_sent ON lead_replies (mailbox_id, sent_at)
    WHERE sent_at IS NOT NULL;
CREATE INDEX lead_replies_workspace ON lead_replies (workspace_id, id);
CREATE INDEX lead_replies_campaign_lead ON lead_replies (campaign_lead_id);
CREATE INDEX lead_replies_work ON lead_replies (status, send_after)
    WHERE status IN ('pending', 'approved', 'sending');

-- A campaign that opts in has the answers drafted to its replies approved as they are written.
ALTER TABLE campaigns ADD COLUMN auto_send_replies boolean NOT NULL DEFAULT false;
