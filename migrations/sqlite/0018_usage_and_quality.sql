-- Per-call cost accounting: every language-model call writes one api_usage row, with what it
-- was for (purpose: email, persona, insight, reply_draft, header_mapping), the campaign, lead
-- and step it served when there is one, how long it took and how it ended (outcome: ok, error,
-- fallback, budget). A deleted campaign or an erased lead keeps its rows, unlinked, so the
-- workspace's spend stays whole.
ALTER TABLE api_usage ADD COLUMN campaign_id BLOB REFERENCES campaigns (id) ON DELETE SET NULL;
ALTER TABLE api_usage ADD COLUMN lead_id BLOB REFERENCES leads (id) ON DELETE SET NULL;
ALTER TABLE api_usage ADD COLUMN step_order INTEGER;
ALTER TABLE api_usage ADD COLUMN purpose TEXT NOT NULL DEFAULT 'email';
ALTER TABLE api_usage ADD COLUMN latency_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_usage ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ok';
ALTER TABLE api_usage ADD COLUMN error TEXT;
-- A campaign's spend since a time (the daily budget, today's cost) and its totals per step and
-- lead; the workspace's spend uses api_usage_workspace_time. lead_id is indexed for the
-- foreign key (erasing a lead would scan the table otherwise).
CREATE INDEX api_usage_campaign_time ON api_usage (campaign_id, occurred_at)
    WHERE campaign_id IS NOT NULL;
CREATE INDEX api_usage_lead ON api_usage (lead_id) WHERE lead_id IS NOT NULL;

-- Words and phrases a campaign's emails must not contain (the quality gates refuse a written
-- email that does), one per line; empty for none.
ALTER TABLE campaigns ADD COLUMN banned_phrases TEXT NOT NULL DEFAULT '';
