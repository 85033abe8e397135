-- Privacy erasure (GDPR/CCPA) and the API's read paths.
--
-- workspaces.privacy_salt: the key of the HMAC-SHA-256 that turns an erased address into the
-- value of its suppression entry ('sha256:<hex>', kind 'email'), made on the workspace's first
-- erasure. The entry is matched by computing the same HMAC in Rust (suppression checks, lead
-- inserts), so the database keeps no readable trace of the address and no query hashes per
-- row. Per workspace, so the same address erased in two workspaces leaves unrelated values.
ALTER TABLE workspaces ADD COLUMN privacy_salt bytea;
