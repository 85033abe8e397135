-- outreachd schema (SQLite). The translation of migrations/postgres/0001_schema.sql: same
-- tables, column names and constraints, so the shared row structs decode from either backend.
-- Type mapping: uuid -> BLOB (16 bytes, as sqlx encodes Uuid), timestamptz -> TEXT (fixed-width
-- RFC 3339 UTC with microseconds, written by the application so text order is time order),
-- date -> TEXT 'YYYY-MM-DD', jsonb -> TEXT, boolean -> INTEGER 0/1, bytea -> BLOB,
-- smallint/integer/bigint -> INTEGER, double precision -> REAL.
-- No timestamp defaults: SQLite's CURRENT_TIMESTAMP has another format and would break ordering.
-- lower() in SQLite folds ASCII only; the application lower-cases suppressions itself.

CREATE TABLE workspaces (
    id          BLOB NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (name <> ''),
    created_at  TEXT NOT NULL
);

-- Key/value facts about this database (encryption key canary, ...).
CREATE TABLE daemon_meta (
    key    TEXT NOT NULL PRIMARY KEY,
    value  BLOB NOT NULL
);

CREATE TABLE api_tokens (
    id             BLOB NOT NULL PRIMARY KEY,
    workspace_id   BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    token_sha256   BLOB NOT NULL UNIQUE,
    created_at     TEXT NOT NULL,
    last_used_at   TEXT,
    revoked_at     TEXT
);

CREATE TABLE mailboxes (
    id                          BLOB NOT NULL PRIMARY KEY,
    workspace_id                BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    address                     TEXT NOT NULL,
    from_name                   TEXT NOT NULL,
    signature                   TEXT NOT NULL DEFAULT '',
    smtp_host                   TEXT NOT NULL,
    smtp_port                   INTEGER NOT NULL CHECK (smtp_port BETWEEN 1 AND 65535),
    smtp_security               TEXT NOT NULL CHECK (smtp_security IN ('plain', 'starttls', 'tls')),
    smtp_username               TEXT NOT NULL,
    smtp_password_ciphertext    BLOB NOT NULL,
    imap_host                   TEXT,
    imap_port                   INTEGER CHECK (imap_port BETWEEN 1 AND 65535),
    imap_security               TEXT CHECK (imap_security IN ('plain', 'starttls', 'tls')),
    imap_username               TEXT,
    imap_password_ciphertext    BLOB,
    daily_cap                   INTEGER NOT NULL CHECK (daily_cap >= 0),
    hourly_cap                  INTEGER CHECK (hourly_cap >= 0),
    min_gap_ms                  INTEGER NOT NULL DEFAULT 0 CHECK (min_gap_ms >= 0),
    max_gap_ms                  INTEGER NOT NULL DEFAULT 0 CHECK (max_gap_ms >= min_gap_ms),
    warmup_start_per_day        INTEGER CHECK (warmup_start_per_day >= 0),
    warmup_increment_per_day    INTEGER CHECK (warmup_increment_per_day >= 0),
    warmup_started_on           TEXT,
    timezone                    TEXT NOT NULL DEFAULT 'UTC',
    provider_kind               TEXT NOT NULL DEFAULT 'other',
    status                      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cooling', 'paused')),
    status_reason               TEXT,
    cooling_until               TEXT,
    imap_status                 TEXT,
    imap_status_reason          TEXT,
    created_at                  TEXT NOT NULL,
    updated_at                  TEXT NOT NULL,
    CHECK ((imap_host IS NULL) = (imap_password_ciphertext IS NULL))
);
CREATE UNIQUE INDEX mailboxes_workspace_address ON mailboxes (workspace_id, lower(address));

-- Authoritative per-mailbox daily send counts, keyed by the mailbox's local date, so a restart
-- never grants a fresh burst.
CREATE TABLE mailbox_daily_counts (
    mailbox_id  BLOB NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    local_date  TEXT NOT NULL,
    sent        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (mailbox_id, local_date)
);

CREATE TABLE products (
    id                BLOB NOT NULL PRIMARY KEY,
    workspace_id      BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name              TEXT NOT NULL CHECK (name <> ''),
    description       TEXT NOT NULL DEFAULT '',
    source_file_name  TEXT,
    deleted_at        TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE leads (
    id                    BLOB NOT NULL PRIMARY KEY,
    workspace_id          BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email                 TEXT NOT NULL,
    first_name            TEXT,
    last_name             TEXT,
    title                 TEXT,
    company               TEXT,
    website               TEXT,
    linkedin              TEXT,
    phone                 TEXT,
    timezone              TEXT,
    custom                TEXT NOT NULL DEFAULT '{}',
    persona               TEXT,
    persona_generated_at  TEXT,
    unsubscribed_at       TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE UNIQUE INDEX leads_workspace_email ON leads (workspace_id, lower(email));

-- kind 'email' holds a lower-cased address, kind 'domain' a lower-cased domain.
CREATE TABLE suppressions (
    id            BLOB NOT NULL PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('email', 'domain')),
    value         TEXT NOT NULL CHECK (value = lower(value)),
    reason        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (workspace_id, kind, value)
);

CREATE TABLE campaigns (
    id                     BLOB NOT NULL PRIMARY KEY,
    workspace_id           BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name                   TEXT NOT NULL CHECK (name <> ''),
    goal                   TEXT NOT NULL DEFAULT '',
    status                 TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'paused', 'completed')),
    product_id             BLOB REFERENCES products (id) ON DELETE SET NULL,
    channel                TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'call')),
    window_days            INTEGER NOT NULL DEFAULT 127 CHECK (window_days BETWEEN 1 AND 127),
    window_start_minute    INTEGER NOT NULL DEFAULT 0 CHECK (window_start_minute BETWEEN 0 AND 1439),
    window_end_minute      INTEGER NOT NULL DEFAULT 1440 CHECK (window_end_minute BETWEEN 1 AND 1440),
    timezone               TEXT NOT NULL DEFAULT 'UTC',
    timezone_policy        TEXT NOT NULL DEFAULT 'campaign' CHECK (timezone_policy IN ('campaign', 'lead')),
    daily_new_leads_cap    INTEGER CHECK (daily_new_leads_cap >= 0),
    stop_on_reply          INTEGER NOT NULL DEFAULT 1 CHECK (stop_on_reply IN (0, 1)),
    stop_on_company_reply  INTEGER NOT NULL DEFAULT 0 CHECK (stop_on_company_reply IN (0, 1)),
    track_opens            INTEGER NOT NULL DEFAULT 0 CHECK (track_opens IN (0, 1)),
    track_clicks           INTEGER NOT NULL DEFAULT 0 CHECK (track_clicks IN (0, 1)),
    emails_sent            INTEGER NOT NULL DEFAULT 0,
    last_run_at            TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    UNIQUE (workspace_id, name),
    CHECK (window_start_minute < window_end_minute)
);

-- The mailbox pool; `position` keeps the order the admin declared.
CREATE TABLE campaign_mailboxes (
    campaign_id  BLOB NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    mailbox_id   BLOB NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, mailbox_id)
);
CREATE INDEX campaign_mailboxes_mailbox ON campaign_mailboxes (mailbox_id);

CREATE TABLE sequence_steps (
    id                BLOB NOT NULL PRIMARY KEY,
    campaign_id       BLOB NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    step_order        INTEGER NOT NULL CHECK (step_order >= 1),
    delay_ms          INTEGER NOT NULL CHECK (delay_ms >= 0),
    subject_template  TEXT,
    body_template     TEXT NOT NULL,
    ai_instructions   TEXT,
    variants          TEXT NOT NULL DEFAULT '[]',
    UNIQUE (campaign_id, step_order)
);

-- current_step_order is the next step to send (1-based); next_scheduled_at when it is due.
-- lease_* fence a claim: only the holder of lease_token may move the row on.
CREATE TABLE campaign_leads (
    id                  BLOB NOT NULL PRIMARY KEY,
    workspace_id        BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id         BLOB NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    lead_id             BLOB NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    mailbox_id          BLOB REFERENCES mailboxes (id) ON DELETE SET NULL,
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'completed', 'replied', 'bounced', 'unsubscribed', 'failed')),
    stop_reason         TEXT,
    current_step_order  INTEGER NOT NULL DEFAULT 1 CHECK (current_step_order >= 1),
    next_scheduled_at   TEXT,
    lease_token         BLOB,
    lease_expires_at    TEXT,
    thread_message_id   TEXT,
    first_subject       TEXT,
    enrolled_at         TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (campaign_id, lead_id)
);
-- Serves "due rows" claims: active rows of one campaign by due time.
CREATE INDEX campaign_leads_due ON campaign_leads (campaign_id, next_scheduled_at) WHERE status = 'active';
CREATE INDEX campaign_leads_lead ON campaign_leads (lead_id);
CREATE INDEX campaign_leads_mailbox ON campaign_leads (mailbox_id) WHERE status = 'active';

-- The text that goes out for (campaign lead, step), stored before sending so a retry resends
-- exactly the same message and a preview shows it.
CREATE TABLE generated_messages (
    id                 BLOB NOT NULL PRIMARY KEY,
    campaign_lead_id   BLOB NOT NULL REFERENCES campaign_leads (id) ON DELETE CASCADE,
    step_order         INTEGER NOT NULL,
    subject            TEXT NOT NULL,
    body_text          TEXT NOT NULL,
    body_html          TEXT,
    provider           TEXT NOT NULL,
    model              TEXT,
    prompt_tokens      INTEGER NOT NULL DEFAULT 0,
    completion_tokens  INTEGER NOT NULL DEFAULT 0,
    cost_usd           REAL NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    UNIQUE (campaign_lead_id, step_order)
);

-- One row per (campaign lead, step): the step contract. state: claimed -> sending -> sent |
-- failed | retry | unknown | bounced.
CREATE TABLE email_sends (
    id                 BLOB NOT NULL PRIMARY KEY,
    workspace_id       BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id        BLOB NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    campaign_lead_id   BLOB NOT NULL REFERENCES campaign_leads (id) ON DELETE CASCADE,
    mailbox_id         BLOB REFERENCES mailboxes (id) ON DELETE SET NULL,
    step_order         INTEGER NOT NULL CHECK (step_order >= 1),
    state              TEXT NOT NULL CHECK (state IN ('claimed', 'sending', 'sent', 'failed', 'retry', 'unknown', 'bounced')),
    lease_token        BLOB,
    lease_expires_at   TEXT,
    message_id         TEXT,
    smtp_reply         TEXT,
    last_error         TEXT,
    attempts           INTEGER NOT NULL DEFAULT 0,
    scheduled_for      TEXT,
    next_attempt_at    TEXT,
    sent_at            TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (campaign_lead_id, step_order)
);
CREATE INDEX email_sends_message_id ON email_sends (message_id) WHERE message_id IS NOT NULL;
-- In-flight and ambiguous sends, for lease expiry and Sent-folder reconciliation.
CREATE INDEX email_sends_open ON email_sends (state, lease_expires_at) WHERE state IN ('claimed', 'sending', 'unknown');
CREATE INDEX email_sends_mailbox_sent ON email_sends (mailbox_id, sent_at) WHERE state = 'sent';

CREATE TABLE engagement_events (
    id                 BLOB NOT NULL PRIMARY KEY,
    workspace_id       BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    lead_id            BLOB REFERENCES leads (id) ON DELETE CASCADE,
    campaign_lead_id   BLOB REFERENCES campaign_leads (id) ON DELETE CASCADE,
    email_send_id      BLOB REFERENCES email_sends (id) ON DELETE SET NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('open', 'click', 'reply', 'auto_reply', 'bounce_hard', 'bounce_soft', 'unsubscribe', 'complaint')),
    detail             TEXT NOT NULL DEFAULT '{}',
    occurred_at        TEXT NOT NULL
);
CREATE INDEX engagement_events_campaign_lead ON engagement_events (campaign_lead_id, occurred_at);

-- Inbound messages already processed, so re-fetching (UIDVALIDITY reset, reused UIDs) never
-- produces a second event.
CREATE TABLE inbound_messages (
    id              BLOB NOT NULL PRIMARY KEY,
    mailbox_id      BLOB NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    folder          TEXT NOT NULL,
    classification  TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    UNIQUE (mailbox_id, message_id)
);

CREATE TABLE imap_checkpoints (
    mailbox_id   BLOB NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    folder       TEXT NOT NULL,
    uidvalidity  INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (mailbox_id, folder)
);

CREATE TABLE api_usage (
    id                 BLOB NOT NULL PRIMARY KEY,
    workspace_id       BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider           TEXT NOT NULL,
    model              TEXT,
    prompt_tokens      INTEGER NOT NULL DEFAULT 0,
    completion_tokens  INTEGER NOT NULL DEFAULT 0,
    cost_usd           REAL NOT NULL DEFAULT 0,
    occurred_at        TEXT NOT NULL
);
CREATE INDEX api_usage_workspace_time ON api_usage (workspace_id, occurred_at);

CREATE TABLE calls (
    id                BLOB NOT NULL PRIMARY KEY,
    workspace_id      BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_lead_id  BLOB REFERENCES campaign_leads (id) ON DELETE CASCADE,
    status            TEXT NOT NULL,
    transcript        TEXT,
    outcome           TEXT,
    started_at        TEXT,
    ended_at          TEXT,
    created_at        TEXT NOT NULL
);
