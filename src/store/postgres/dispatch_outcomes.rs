//! The statements `complete_sends` runs, one per kind of outcome, each for a whole batch.
//!
//! Each binds its completions as parallel arrays and `UNNEST`s them (`u`; each send row is
//! probed by key per element, and the states a row may leave come from `f.open` rather than
//! a condition on `email_sends` alone: see `super::plans`), then:
//! `f` keeps the completions whose send row still carries their lease token in an allowed state
//! (the fence; everything else is counted as fenced by the caller); `c` updates the campaign
//! leads first and `s` the send rows after, so, like a claim, every writer locks a lead before
//! its send row and PostgreSQL re-checks the lead's lease token on the locked row (a re-claim
//! that committed meanwhile drops the completion). `s` is what counts as applied.
//!
//! A lead that is no longer `active` (it replied, unsubscribed or bounced elsewhere while the
//! send was in flight) keeps its status and stop reason: a late outcome must not revive it.

/// Sent: $1 send ids, $2 tokens, $3 message ids, $4 replies, $5 sent at, $6 thread message
/// ids, $7 thread subjects, $8 next step (NULL: sequence done), $9 next due, $10 count dates,
/// $11 now. Also adds to the mailbox's day count and the campaign's `emails_sent`.
pub(super) const SENT: &str = "WITH u AS ( \
        SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], \
            $5::timestamptz[], $6::text[], $7::text[], $8::int4[], $9::timestamptz[], $10::date[]) \
        AS u(send_id, token, message_id, reply, sent_at, thread_id, thread_subject, next_step, \
             next_due, count_date)), \
    f AS MATERIALIZED ( \
        SELECT u.*, es.campaign_lead_id, ARRAY['sending']::text[] AS open FROM u \
        CROSS JOIN LATERAL (SELECT es.campaign_lead_id FROM email_sends es \
            WHERE es.id = u.send_id AND es.lease_token = u.token AND es.state = 'sending' \
            OFFSET 0) es), \
    c AS ( \
        UPDATE campaign_leads cl SET \
            current_step_order = COALESCE(f.next_step, cl.current_step_order), \
            next_scheduled_at = CASE WHEN f.next_step IS NULL THEN NULL ELSE f.next_due END, \
            status = CASE WHEN f.next_step IS NULL AND cl.status = 'active' \
                THEN 'completed' ELSE cl.status END, \
            thread_message_id = COALESCE(f.thread_id, cl.thread_message_id), \
            first_subject = COALESCE(f.thread_subject, cl.first_subject), \
            lease_token = NULL, lease_expires_at = NULL, updated_at = $11 \
        FROM f WHERE cl.id = f.campaign_lead_id AND cl.lease_token = f.token \
        RETURNING f.send_id, f.token, f.message_id, f.reply, f.sent_at, f.count_date, f.open), \
    s AS ( \
        UPDATE email_sends es SET state = 'sent', sent_at = c.sent_at, smtp_reply = c.reply, \
            message_id = c.message_id, lease_token = NULL, lease_expires_at = NULL, \
            updated_at = $11 \
        FROM c WHERE es.id = c.send_id AND es.lease_token = c.token AND es.state = ANY(c.open) \
        RETURNING es.campaign_id, es.mailbox_id, c.count_date), \
    days AS ( \
        INSERT INTO mailbox_daily_counts AS d (mailbox_id, local_date, sent) \
        SELECT mailbox_id, count_date, count(*) FROM s WHERE mailbox_id IS NOT NULL \
        GROUP BY mailbox_id, count_date ORDER BY mailbox_id, count_date \
        ON CONFLICT (mailbox_id, local_date) DO UPDATE SET sent = d.sent + EXCLUDED.sent), \
    totals AS ( \
        UPDATE campaigns k SET emails_sent = k.emails_sent + n.sent, last_run_at = $11 \
        FROM (SELECT campaign_id, count(*) AS sent FROM s GROUP BY campaign_id) n \
        WHERE k.id = n.campaign_id) \
    SELECT count(*) FROM s";

/// Unknown: $1 send ids, $2 tokens, $3 message ids, $4 reasons, $5 count dates, $6 now. The
/// lead is parked (never resent automatically) and the day count still grows: the server may
/// have accepted the message.
pub(super) const UNKNOWN: &str = "WITH u AS ( \
        SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::date[]) \
        AS u(send_id, token, message_id, reason, count_date)), \
    f AS MATERIALIZED ( \
        SELECT u.*, es.campaign_lead_id, ARRAY['sending']::text[] AS open FROM u \
        CROSS JOIN LATERAL (SELECT es.campaign_lead_id FROM email_sends es \
            WHERE es.id = u.send_id AND es.lease_token = u.token AND es.state = 'sending' \
            OFFSET 0) es), \
    c AS ( \
        UPDATE campaign_leads cl SET next_scheduled_at = NULL, lease_token = NULL, \
            lease_expires_at = NULL, updated_at = $6 \
        FROM f WHERE cl.id = f.campaign_lead_id AND cl.lease_token = f.token \
        RETURNING f.send_id, f.token, f.message_id, f.reason, f.count_date, f.open), \
    s AS ( \
        UPDATE email_sends es SET state = 'unknown', message_id = c.message_id, \
            last_error = c.reason, sent_at = $6, lease_token = NULL, lease_expires_at = NULL, \
            updated_at = $6 \
        FROM c WHERE es.id = c.send_id AND es.lease_token = c.token AND es.state = ANY(c.open) \
        RETURNING es.mailbox_id, c.count_date), \
    days AS ( \
        INSERT INTO mailbox_daily_counts AS d (mailbox_id, local_date, sent) \
        SELECT mailbox_id, count_date, count(*) FROM s WHERE mailbox_id IS NOT NULL \
        GROUP BY mailbox_id, count_date ORDER BY mailbox_id, count_date \
        ON CONFLICT (mailbox_id, local_date) DO UPDATE SET sent = d.sent + EXCLUDED.sent) \
    SELECT count(*) FROM s";

/// Retry: $1 send ids, $2 tokens, $3 retry times, $4 reasons, $5 counts as an attempt, $6 now.
pub(super) const RETRY: &str = "WITH u AS ( \
        SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], $5::bool[]) \
        AS u(send_id, token, at, reason, counts)), \
    f AS MATERIALIZED ( \
        SELECT u.*, es.campaign_lead_id, ARRAY['claimed', 'sending']::text[] AS open FROM u \
        CROSS JOIN LATERAL (SELECT es.campaign_lead_id FROM email_sends es \
            WHERE es.id = u.send_id AND es.lease_token = u.token \
            AND es.state IN ('claimed', 'sending') OFFSET 0) es), \
    c AS ( \
        UPDATE campaign_leads cl SET next_scheduled_at = f.at, lease_token = NULL, \
            lease_expires_at = NULL, updated_at = $6 \
        FROM f WHERE cl.id = f.campaign_lead_id AND cl.lease_token = f.token \
        RETURNING f.send_id, f.token, f.at, f.reason, f.counts, f.open), \
    s AS ( \
        UPDATE email_sends es SET state = 'retry', last_error = c.reason, \
            attempts = es.attempts + CASE WHEN c.counts THEN 1 ELSE 0 END, \
            next_attempt_at = c.at, lease_token = NULL, lease_expires_at = NULL, updated_at = $6 \
        FROM c WHERE es.id = c.send_id AND es.lease_token = c.token \
            AND es.state = ANY(c.open) \
        RETURNING es.id) \
    SELECT count(*) FROM s";

/// Failed: $1 send ids, $2 tokens, $3 reasons, $4 now. The lead stops with the reason.
pub(super) const FAILED: &str = "WITH u AS ( \
        SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[]) AS u(send_id, token, reason)), \
    f AS MATERIALIZED ( \
        SELECT u.*, es.campaign_lead_id, ARRAY['claimed', 'sending']::text[] AS open FROM u \
        CROSS JOIN LATERAL (SELECT es.campaign_lead_id FROM email_sends es \
            WHERE es.id = u.send_id AND es.lease_token = u.token \
            AND es.state IN ('claimed', 'sending') OFFSET 0) es), \
    c AS ( \
        UPDATE campaign_leads cl SET \
            status = CASE WHEN cl.status = 'active' THEN 'failed' ELSE cl.status END, \
            stop_reason = CASE WHEN cl.status = 'active' THEN f.reason ELSE cl.stop_reason END, \
            next_scheduled_at = NULL, lease_token = NULL, lease_expires_at = NULL, \
            updated_at = $4 \
        FROM f WHERE cl.id = f.campaign_lead_id AND cl.lease_token = f.token \
        RETURNING f.send_id, f.token, f.reason, f.open), \
    s AS ( \
        UPDATE email_sends es SET state = 'failed', last_error = c.reason, lease_token = NULL, \
            lease_expires_at = NULL, updated_at = $4 \
        FROM c WHERE es.id = c.send_id AND es.lease_token = c.token \
            AND es.state = ANY(c.open) \
        RETURNING es.id) \
    SELECT count(*) FROM s";

/// Bounced: $1 send ids, $2 tokens, $3 replies, $4 suppression ids, $5 event ids, $6 now.
/// Stops the lead in this campaign (`c`) and in every other campaign of the workspace
/// (`others`, by status only: a send of theirs in flight keeps its lease and still records its
/// outcome), suppresses the address and records a `bounce_hard` event.
pub(super) const BOUNCED: &str = "WITH u AS ( \
        SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[]) \
        AS u(send_id, token, reply, suppression_id, event_id)), \
    f AS MATERIALIZED ( \
        SELECT u.*, es.campaign_lead_id, ARRAY['claimed', 'sending']::text[] AS open FROM u \
        CROSS JOIN LATERAL (SELECT es.campaign_lead_id FROM email_sends es \
            WHERE es.id = u.send_id AND es.lease_token = u.token \
            AND es.state IN ('claimed', 'sending') OFFSET 0) es), \
    c AS ( \
        UPDATE campaign_leads cl SET \
            status = CASE WHEN cl.status = 'active' THEN 'bounced' ELSE cl.status END, \
            stop_reason = CASE WHEN cl.status = 'active' THEN f.reply ELSE cl.stop_reason END, \
            next_scheduled_at = NULL, lease_token = NULL, lease_expires_at = NULL, \
            updated_at = $6 \
        FROM f WHERE cl.id = f.campaign_lead_id AND cl.lease_token = f.token \
        RETURNING cl.id, cl.workspace_id, cl.lead_id, f.send_id, f.token, f.reply, \
            f.suppression_id, f.event_id, f.open), \
    others AS ( \
        UPDATE campaign_leads cl SET status = 'bounced', stop_reason = c.reply, \
            next_scheduled_at = NULL, updated_at = $6 \
        FROM c WHERE cl.lead_id = c.lead_id AND cl.workspace_id = c.workspace_id \
            AND cl.status = 'active' AND cl.id NOT IN (SELECT id FROM c)), \
    s AS ( \
        UPDATE email_sends es SET state = 'bounced', smtp_reply = c.reply, sent_at = $6, \
            lease_token = NULL, lease_expires_at = NULL, updated_at = $6 \
        FROM c WHERE es.id = c.send_id AND es.lease_token = c.token \
            AND es.state = ANY(c.open) \
        RETURNING es.id, c.id AS campaign_lead_id, c.workspace_id, c.lead_id, c.reply, \
            c.suppression_id, c.event_id), \
    suppressed AS ( \
        INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
        SELECT s.suppression_id, s.workspace_id, 'email', lower(l.email), \
            'hard bounce: ' || s.reply, $6 \
        FROM s JOIN leads l ON l.id = s.lead_id \
        ON CONFLICT (workspace_id, kind, value) DO NOTHING), \
    events AS ( \
        INSERT INTO engagement_events (id, workspace_id, lead_id, campaign_lead_id, \
            email_send_id, kind, detail, occurred_at) \
        SELECT event_id, workspace_id, lead_id, campaign_lead_id, id, 'bounce_hard', \
            jsonb_build_object('reply', reply), $6 FROM s) \
    SELECT count(*) FROM s";
