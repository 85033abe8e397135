-- Answers to POST requests that carried an Idempotency-Key, so that a client's retry gets the
-- first answer instead of doing the work twice. A row with status NULL is a request still being
-- handled. A key belongs to one route (method and path): the same key on another route is
-- another request. request_sha256 is NULL when the body was too large to hash (uploads): then
-- the key alone identifies the request. Rows older than a day are replaced by a new use.
CREATE TABLE idempotency_keys (
    workspace_id    BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key             TEXT NOT NULL,
    method          TEXT NOT NULL,
    path            TEXT NOT NULL,
    request_sha256  BLOB,
    status          INTEGER,
    content_type    TEXT,
    body            BLOB,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (workspace_id, method, path, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
