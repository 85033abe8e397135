-- People and machines that call the HTTP API.
--
-- A user signs in with an email (stored lower-cased) and a password (argon2id, PHC string)
-- and belongs to workspaces with a role. api_tokens holds both kinds of bearer token: long-lived API tokens
-- made for machines, and sessions a login hands out (kind = 'session', user_id and expires_at
-- set). Only the SHA-256 of a token is kept; prefix is its first characters, shown to tell
-- tokens apart and used to find the row before the hashes are compared.
CREATE TABLE users (
    id             BLOB NOT NULL PRIMARY KEY,
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE workspace_members (
    workspace_id   BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id        BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at     TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

ALTER TABLE api_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'api'
    CHECK (kind IN ('api', 'session'));
ALTER TABLE api_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer'
    CHECK (role IN ('owner', 'admin', 'member', 'viewer'));
ALTER TABLE api_tokens ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN user_id BLOB REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
CREATE INDEX api_tokens_prefix ON api_tokens (prefix);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id, created_at);
