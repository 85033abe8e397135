-- Privacy erasure and the API's read paths; mirrors the PostgreSQL 0011 (see there).
ALTER TABLE workspaces ADD COLUMN privacy_salt BLOB;
