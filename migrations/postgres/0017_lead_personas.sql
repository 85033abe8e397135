-- Personas: what generated a lead's persona (provider, model, cost), the profile text a user
-- gave for it, and the last failure with when the background sweep may try again (NULL: only
-- on request).
ALTER TABLE leads ADD COLUMN profile_text text;
ALTER TABLE leads ADD COLUMN persona_provider text;
ALTER TABLE leads ADD COLUMN persona_model text;
ALTER TABLE leads ADD COLUMN persona_cost_usd double precision;
ALTER TABLE leads ADD COLUMN persona_error text;
ALTER TABLE leads ADD COLUMN persona_retry_at timestamptz;

-- The sweep looks for leads without a persona; once generated they leave this index.
CREATE INDEX leads_persona_pending ON leads (id) WHERE persona IS NULL;
