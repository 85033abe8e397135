-- Personas: what generated a lead's persona (provider, model, cost), the profile text a user
-- gave for it, and the last failure with when the background sweep may try again (NULL: only
-- on request).
ALTER TABLE leads ADD COLUMN profile_text TEXT;
ALTER TABLE leads ADD COLUMN persona_provider TEXT;
ALTER TABLE leads ADD COLUMN persona_model TEXT;
ALTER TABLE leads ADD COLUMN persona_cost_usd REAL;
ALTER TABLE leads ADD COLUMN persona_error TEXT;
ALTER TABLE leads ADD COLUMN persona_retry_at TEXT;

-- The sweep looks for leads without a persona; once generated they leave this index.
CREATE INDEX leads_persona_pending ON leads (id) WHERE persona IS NULL;
