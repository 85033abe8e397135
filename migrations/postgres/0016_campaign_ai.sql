-- Which language model writes a campaign's emails: a provider (`openai`, `openai_compatible`,
-- `anthropic`, `gemini`) and a model. NULL uses the daemon's `[content]` settings.
ALTER TABLE campaigns ADD COLUMN ai_provider TEXT;
ALTER TABLE campaigns ADD COLUMN ai_model TEXT;
