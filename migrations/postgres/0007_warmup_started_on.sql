-- The warm-up ramp counts from mailboxes.warmup_started_on: a mailbox created before the column
-- was written starts its ramp on the (UTC) date it was created.
UPDATE mailboxes SET warmup_started_on = (created_at AT TIME ZONE 'UTC')::date
WHERE warmup_started_on IS NULL;
