-- outreachd schema (PostgreSQL). See ARCHITECTURE.md "Data model".
-- Ids are UUIDv7 made by the application. Timestamps are timestamptz in UTC.
-- Constraints here carry correctness: the step contract rests on UNIQUE(campaign_lead_id,
-- step_order) in email_sends; lead identity on UNIQUE(workspace_id, lower(email)).

CREATE TABLE workspaces (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> ''),
    created_at  timestamptz NOT NULL
);

-- Key/value facts about this database (encryption key canary, ...).
CREATE TABLE daemon_meta (
    key    text PRIMARY KEY,
    value  bytea NOT NULL
);

CREATE TABLE api_tokens (
    id             uuid PRIMARY KEY,
    workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name           text NOT NULL,
    token_sha256   bytea NOT NULL UNIQUE,
    created_at     timestamptz NOT NULL,
    last_used_at   timestamptz,
    revoked_at     timestamptz
);

CREATE TABLE mailboxes (
    id                          uuid PRIMARY KEY,
    workspace_id                uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    address                     text NOT NULL,
    from_name                   text NOT NULL,
    signature                   text NOT NULL DEFAULT '',
    smtp_host                   text NOT NULL,
    smtp_port                   integer NOT NULL CHECK (smtp_port BETWEEN 1 AND 65535),
    smtp_security               text NOT NULL CHECK (smtp_security IN ('plain', 'starttls', 'tls')),
    smtp_username               text NOT NULL,
    smtp_password_ciphertext    bytea NOT NULL,
    imap_host                   text,
    imap_port                   integer CHECK (imap_port BETWEEN 1 AND 65535),
    imap_security               text CHECK (imap_security IN ('plain', 'starttls', 'tls')),
    imap_username               text,
    imap_password_ciphertext    bytea,
    daily_cap                   integer NOT NULL CHECK (daily_cap >= 0),
    hourly_cap                  integer CHECK (hourly_cap >= 0),
    min_gap_ms                  bigint NOT NULL DEFAULT 0 CHECK (min_gap_ms >= 0),
    max_gap_ms                  bigint NOT NULL DEFAULT 0 CHECK (max_gap_ms >= min_gap_ms),
    warmup_start_per_day        integer CHECK (warmup_start_per_day >= 0),
    warmup_increment_per_day    integer CHECK (warmup_increment_per_day >= 0),
    warmup_started_on           date,
    timezone                    text NOT NULL DEFAULT 'UTC',
    provider_kind               text NOT NULL DEFAULT 'other',
    status                      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cooling', 'paused')),
    status_reason               text,
    cooling_until               timestamptz,
    imap_status                 text,
    imap_status_reason          text,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL,
    CHECK ((imap_host IS NULL) = (imap_password_ciphertext IS NULL))
);
CREATE UNIQUE INDEX mailboxes_workspace_address ON mailboxes (workspace_id, lower(address));

-- Authoritative per-mailbox daily send counts, keyed by the mailbox's local date, so a restart
-- never grants a fresh burst.
CREATE TABLE mailbox_daily_counts (
    mailbox_id  uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    local_date  date NOT NULL,
    sent        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (mailbox_id, local_date)
);

CREATE TABLE products (
    id                uuid PRIMARY KEY,
    workspace_id      uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name              text NOT NULL CHECK (name <> ''),
    description       text NOT NULL DEFAULT '',
    source_file_name  text,
    deleted_at        timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE leads (
    id                    uuid PRIMARY KEY,
    workspace_id          uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email                 text NOT NULL,
    first_name            text,
    last_name             text,
    title                 text,
    company               text,
    website               text,
    linkedin              text,
    phone                 text,
    timezone              text,
    custom                jsonb NOT NULL DEFAULT '{}',
    persona               jsonb,
    persona_generated_at  timestamptz,
    unsubscribed_at       timestamptz,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL
);
CREATE UNIQUE INDEX leads_workspace_email ON leads (workspace_id, lower(email));

-- kind 'email' holds a lower-cased address, kind 'domain' a lower-cased domain.
CREATE TABLE suppressions (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('email', 'domain')),
    value         text NOT NULL CHECK (value = lower(value)),
    reason        text NOT NULL,
    created_at    timestamptz NOT NULL,
    UNIQUE (workspace_id, kind, value)
);

CREATE TABLE campaigns (
    id                     uuid PRIMARY KEY,
    workspace_id           uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name                   text NOT NULL CHECK (name <> ''),
    goal                   text NOT NULL DEFAULT '',
    status                 text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'paused', 'completed')),
    product_id             uuid REFERENCES products (id) ON DELETE SET NULL,
    channel                text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'call')),
    window_days            smallint NOT NULL DEFAULT 127 CHECK (window_days BETWEEN 1 AND 127),
    window_start_minute    smallint NOT NULL DEFAULT 0 CHECK (window_start_minute BETWEEN 0 AND 1439),
    window_end_minute      smallint NOT NULL DEFAULT 1440 CHECK (window_end_minute BETWEEN 1 AND 1440),
    timezone               text NOT NULL DEFAULT 'UTC',
    timezone_policy        text NOT NULL DEFAULT 'campaign' CHECK (timezone_policy IN ('campaign', 'lead')),
    daily_new_leads_cap    integer CHECK (daily_new_leads_cap >= 0),
    stop_on_reply          boolean NOT NULL DEFAULT true,
    stop_on_company_reply  boolean NOT NULL DEFAULT false,
    track_opens            boolean NOT NULL DEFAULT false,
    track_clicks           boolean NOT NULL DEFAULT false,
    emails_sent            bigint NOT NULL DEFAULT 0,
    last_run_at            timestamptz,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    UNIQUE (workspace_id, name),
    CHECK (window_start_minute < window_end_minute)
);

-- The mailbox pool; `position` keeps the order the admin declared.
CREATE TABLE campaign_mailboxes (
    campaign_id  uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    mailbox_id   uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    PRIMARY KEY (campaign_id, mailbox_id)
);
CREATE INDEX campaign_mailboxes_mailbox ON campaign_mailboxes (mailbox_id);

CREATE TABLE sequence_steps (
    id                uuid PRIMARY KEY,
    campaign_id       uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    step_order        integer NOT NULL CHECK (step_order >= 1),
    delay_ms          bigint NOT NULL CHECK (delay_ms >= 0),
    subject_template  text,
    body_template     text NOT NULL,
    ai_instructions   text,
    variants          jsonb NOT NULL DEFAULT '[]',
    UNIQUE (campaign_id, step_order)
);

-- current_step_order is the next step to send (1-based); next_scheduled_at when it is due.
-- lease_* fence a claim: only the holder of lease_token may move the row on.
CREATE TABLE campaign_leads (
    id                  uuid PRIMARY KEY,
    workspace_id        uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id         uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    lead_id             uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    mailbox_id          uuid REFERENCES mailboxes (id) ON DELETE SET NULL,
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'completed', 'replied', 'bounced', 'unsubscribed', 'failed')),
    stop_reason         text,
    current_step_order  integer NOT NULL DEFAULT 1 CHECK (current_step_order >= 1),
    next_scheduled_at   timestamptz,
    lease_token         uuid,
    lease_expires_at    timestamptz,
    thread_message_id   text,
    first_subject       text,
    enrolled_at         timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    UNIQUE (campaign_id, lead_id)
);
-- Serves "due rows" claims: active rows of one campaign by due time.
CREATE INDEX campaign_leads_due ON campaign_leads (campaign_id, next_scheduled_at) WHERE status = 'active';
CREATE INDEX campaign_leads_lead ON campaign_leads (lead_id);
CREATE INDEX campaign_leads_mailbox ON campaign_leads (mailbox_id) WHERE status = 'active';

-- The text that goes out for (campaign lead, step), stored before sending so a retry resends
-- exactly the same message and a preview shows it.
CREATE TABLE generated_messages (
    id                 uuid PRIMARY KEY,
    campaign_lead_id   uuid NOT NULL REFERENCES campaign_leads (id) ON DELETE CASCADE,
    step_order         integer NOT NULL,
    subject            text NOT NULL,
    body_text          text NOT NULL,
    body_html          text,
    provider           text NOT NULL,
    model              text,
    prompt_tokens      integer NOT NULL DEFAULT 0,
    completion_tokens  integer NOT NULL DEFAULT 0,
    cost_usd           double precision NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    UNIQUE (campaign_lead_id, step_order)
);

-- One row per (campaign lead, step): the step contract. state: claimed -> sending -> sent |
-- failed | retry | unknown | bounced.
CREATE TABLE email_sends (
    id                 uuid PRIMARY KEY,
    workspace_id       uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id        uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    campaign_lead_id   uuid NOT NULL REFERENCES campaign_leads (id) ON DELETE CASCADE,
    mailbox_id         uuid REFERENCES mailboxes (id) ON DELETE SET NULL,
    step_order         integer NOT NULL CHECK (step_order >= 1),
    state              text NOT NULL CHECK (state IN ('claimed', 'sending', 'sent', 'failed', 'retry', 'unknown', 'bounced')),
    lease_token        uuid,
    lease_expires_at   timestamptz,
    message_id         text,
    smtp_reply         text,
    last_error         text,
    attempts           integer NOT NULL DEFAULT 0,
    scheduled_for      timestamptz,
    next_attempt_at    timestamptz,
    sent_at            timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    UNIQUE (campaign_lead_id, step_order)
);
CREATE INDEX email_sends_message_id ON email_sends (message_id) WHERE message_id IS NOT NULL;
-- In-flight and ambiguous sends, for lease expiry and Sent-folder reconciliation.
CREATE INDEX email_sends_open ON email_sends (state, lease_expires_at) WHERE state IN ('claimed', 'sending', 'unknown');
CREATE INDEX email_sends_mailbox_sent ON email_sends (mailbox_id, sent_at) WHERE state = 'sent';

CREATE TABLE engagement_events (
    id                 uuid PRIMARY KEY,
    workspace_id       uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    lead_id            uuid REFERENCES leads (id) ON DELETE CASCADE,
    campaign_lead_id   uuid REFERENCES campaign_leads (id) ON DELETE CASCADE,
    email_send_id      uuid REFERENCES email_sends (id) ON DELETE SET NULL,
    kind               text NOT NULL CHECK (kind IN ('open', 'click', 'reply', 'auto_reply', 'bounce_hard', 'bounce_soft', 'unsubscribe', 'complaint')),
    detail             jsonb NOT NULL DEFAULT '{}',
    occurred_at        timestamptz NOT NULL
);
CREATE INDEX engagement_events_campaign_lead ON engagement_events (campaign_lead_id, occurred_at);

-- Inbound messages already processed, so re-fetching (UIDVALIDITY reset, reused UIDs) never
-- produces a second event.
CREATE TABLE inbound_messages (
    id              uuid PRIMARY KEY,
    mailbox_id      uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    message_id      text NOT NULL,
    folder          text NOT NULL,
    classification  text NOT NULL,
    received_at     timestamptz NOT NULL,
    UNIQUE (mailbox_id, message_id)
);

CREATE TABLE imap_checkpoints (
    mailbox_id   uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    folder       text NOT NULL,
    uidvalidity  bigint NOT NULL,
    last_uid     bigint NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (mailbox_id, folder)
);

CREATE TABLE api_usage (
    id                 uuid PRIMARY KEY,
    workspace_id       uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider           text NOT NULL,
    model              text,
    prompt_tokens      bigint NOT NULL DEFAULT 0,
    completion_tokens  bigint NOT NULL DEFAULT 0,
    cost_usd           double precision NOT NULL DEFAULT 0,
    occurred_at        timestamptz NOT NULL
);
CREATE INDEX api_usage_workspace_time ON api_usage (workspace_id, occurred_at);

CREATE TABLE calls (
    id                uuid PRIMARY KEY,
    workspace_id      uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_lead_id  uuid REFERENCES campaign_leads (id) ON DELETE CASCADE,
    status            text NOT NULL,
    transcript        text,
    outcome           text,
    started_at        timestamptz,
    ended_at          timestamptz,
    created_at        timestamptz NOT NULL
);
