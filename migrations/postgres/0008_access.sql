-- People and machines that call the HTTP API.
--
-- A user signs in with an email (stored lower-cased) and a password (argon2id, PHC string)
-- and belongs to workspaces with a role. api_tokens holds both kinds of bearer token: long-lived API tokens
-- made for machines, and sessions a login hands out (kind = 'session', user_id and expires_at
-- set). Only the SHA-256 of a token is kept; prefix is its first characters, shown to tell
-- tokens apart and used to find the row before the hashes are compared.
CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE workspace_members (
    workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role           text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

ALTER TABLE api_tokens ADD COLUMN kind text NOT NULL DEFAULT 'api'
    CHECK (kind IN ('api', 'session'));
ALTER TABLE api_tokens ADD COLUMN role text NOT NULL DEFAULT 'viewer'
    CHECK (role IN ('owner', 'admin', 'member', 'viewer'));
ALTER TABLE api_tokens ADD COLUMN prefix text NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
CREATE INDEX api_tokens_prefix ON api_tokens (prefix);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id, created_at);
