-- The warm-up ramp counts from mailboxes.warmup_started_on: a mailbox created before the column
-- was written starts its ramp on the (UTC) date it was created. created_at is fixed-width
-- RFC 3339 text, so its first ten characters are that date.
UPDATE mailboxes SET warmup_started_on = substr(created_at, 1, 10)
WHERE warmup_started_on IS NULL;
