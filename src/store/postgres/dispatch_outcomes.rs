//! The statements `complete_sends` runs, one per kind of outcome, each for a whole batch.
//!
//! Each binds its completions as parallel arrays and `UNNEST`s them (`u`). Sent and unknown
//! outcomes end a marked send, so their send row exists: `f` probes it by key per element
//! (`LATERAL … OFFSET 0`, the wanted state checked outside the probe so the planner cannot
//! trade the key for the small `email_sends_open` index) and keeps the completions whose row
//! still carries their lease token in `sending`. Retries, failures and bounces may come before
//! the mark (a claim released or failed unsent), so they are fenced by the campaign lead's
//! lease alone and upsert the send row (`upsert_send!`). Everything not applied is counted as
//! fenced by the caller. `c` updates the campaign leads first and `s` the send rows after, so,
//! like a claim, every writer locks a lead before its send row and PostgreSQL re-checks the
//! lead's lease token on the locked row (a re-claim that committed meanwhile drops the
//! completion). `s` is what counts as applied.
//!
//! A lead that is no longer `active` (it replied, unsubscribed or bounced elsewhere while the
//! send was in flight) keeps its status and stop reason: a late outcome must not revive it.

use std::sync::LazyLock;

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
        CROSS JOIN LATERAL (SELECT es.campaign_lead_id, es.lease_token, es.state \
            FROM email_sends es WHERE es.id = u.send_id OFFSET 0) es \
        WHERE es.lease_token = u.token AND es.state = 'sending'), \
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
        CROSS JOIN LATERAL (SELECT es.campaign_lead_id, es.lease_token, es.state \
            FROM email_sends es WHERE es.id = u.send_id OFFSET 0) es \
        WHERE es.lease_token = u.token AND es.state = 'sending'), \
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

/// The send row of a completion that may come before its mark (retry, failed, bounced: a
/// claim released or failed before it was sent has no send row yet), written after its
/// campaign lead `c` passed the fence: inserted, or updated if it exists. `c` carries the
/// lead's row (`workspace_id`, `campaign_id`, `mailbox_id`, `step`) and the completion
/// (`send_id`, ...); `$cols`/`$vals` are the kind's own columns and values, `$set` its update.
///
/// The lead's lease is the whole fence: while it is current, this step's send row is either
/// absent, a `retry` left by an earlier attempt (or `claimed`, from an earlier version's claim), or
/// `sending` under this very lease (a mark is fenced by the lead's lease, and a lead whose
/// step is `sending` is never claimed again), so no other writer's row can be overwritten.
macro_rules! upsert_send {
    ($cols:literal, $vals:literal, $set:literal) => {
        concat!(
            "INSERT INTO email_sends AS es (id, workspace_id, campaign_id, campaign_lead_id, \
                 mailbox_id, step_order, created_at, updated_at, ",
            $cols,
            ") SELECT c.send_id, c.workspace_id, c.campaign_id, c.lead_id, c.mailbox_id, c.step, \
                 $now, $now, ",
            $vals,
            " FROM c ON CONFLICT (campaign_lead_id, step_order) DO UPDATE SET ",
            $set,
            ", lease_token = NULL, lease_expires_at = NULL, updated_at = EXCLUDED.updated_at \
             WHERE es.state IN ('claimed', 'sending', 'retry')"
        )
    };
}

/// Retry: $1 send ids, $2 tokens, $3 campaign leads, $4 retry times, $5 reasons, $6 counts as
/// an attempt, $7 now.
pub(super) static RETRY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH u AS ( \
            SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], \
                $5::text[], $6::bool[]) AS u(send_id, token, lead_id, at, reason, counts)), \
        c AS ( \
            UPDATE campaign_leads cl SET next_scheduled_at = u.at, lease_token = NULL, \
                lease_expires_at = NULL, updated_at = $7 \
            FROM u WHERE cl.id = u.lead_id AND cl.lease_token = u.token \
            RETURNING u.*, cl.workspace_id, cl.campaign_id, cl.mailbox_id, \
                cl.current_step_order AS step), \
        s AS ({} RETURNING es.id) \
        SELECT count(*) FROM s",
        upsert_send!(
            "state, last_error, attempts, next_attempt_at",
            "'retry', c.reason, CASE WHEN c.counts THEN 1 ELSE 0 END, c.at",
            "state = 'retry', last_error = EXCLUDED.last_error, \
             attempts = es.attempts + EXCLUDED.attempts, \
             next_attempt_at = EXCLUDED.next_attempt_at"
        )
        .replace("$now", "$7")
    )
});

/// Failed: $1 send ids, $2 tokens, $3 campaign leads, $4 reasons, $5 now. The lead stops with
/// the reason.
pub(super) static FAILED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH u AS ( \
            SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) \
            AS u(send_id, token, lead_id, reason)), \
        c AS ( \
            UPDATE campaign_leads cl SET \
                status = CASE WHEN cl.status = 'active' THEN 'failed' ELSE cl.status END, \
                stop_reason = CASE WHEN cl.status = 'active' THEN u.reason \
                    ELSE cl.stop_reason END, \
                next_scheduled_at = NULL, lease_token = NULL, lease_expires_at = NULL, \
                updated_at = $5 \
            FROM u WHERE cl.id = u.lead_id AND cl.lease_token = u.token \
            RETURNING u.*, cl.workspace_id, cl.campaign_id, cl.mailbox_id, \
                cl.current_step_order AS step), \
        s AS ({} RETURNING es.id) \
        SELECT count(*) FROM s",
        upsert_send!(
            "state, last_error",
            "'failed', c.reason",
            "state = 'failed', last_error = EXCLUDED.last_error"
        )
        .replace("$now", "$5")
    )
});

/// Bounced: $1 send ids, $2 tokens, $3 campaign leads, $4 replies, $5 suppression ids, $6 event
/// ids, $7 now. Stops the lead in this campaign (`c`) and in every other campaign of the
/// workspace (`others`, by status only: a send of theirs in flight keeps its lease and still
/// records its outcome), suppresses the address and records a `bounce_hard` event.
pub(super) static BOUNCED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH u AS ( \
            SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], \
                $6::uuid[]) AS u(send_id, token, lead_id, reply, suppression_id, event_id)), \
        c AS ( \
            UPDATE campaign_leads cl SET \
                status = CASE WHEN cl.status = 'active' THEN 'bounced' ELSE cl.status END, \
                stop_reason = CASE WHEN cl.status = 'active' THEN u.reply \
                    ELSE cl.stop_reason END, \
                next_scheduled_at = NULL, lease_token = NULL, lease_expires_at = NULL, \
                updated_at = $7 \
            FROM u WHERE cl.id = u.lead_id AND cl.lease_token = u.token \
            RETURNING u.*, cl.workspace_id, cl.campaign_id, cl.mailbox_id, \
                cl.current_step_order AS step, cl.lead_id AS person_id), \
        others AS ( \
            UPDATE campaign_leads cl SET status = 'bounced', stop_reason = c.reply, \
                next_scheduled_at = NULL, updated_at = $7 \
            FROM c WHERE cl.lead_id = c.person_id AND cl.workspace_id = c.workspace_id \
                AND cl.status = 'active' AND cl.id NOT IN (SELECT lead_id FROM c)), \
        s AS ({} RETURNING es.id, es.campaign_lead_id), \
        done AS (SELECT s.id AS written_id, c.* FROM s \
            CROSS JOIN LATERAL (SELECT * FROM c WHERE c.lead_id = s.campaign_lead_id LIMIT 1) c), \
        suppressed AS ( \
            INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
            SELECT d.suppression_id, d.workspace_id, 'email', lower(l.email), \
                'hard bounce: ' || d.reply, $7 \
            FROM done d JOIN leads l ON l.id = d.person_id \
            ON CONFLICT (workspace_id, kind, value) DO NOTHING), \
        events AS ( \
            INSERT INTO engagement_events (id, workspace_id, lead_id, campaign_lead_id, \
                email_send_id, kind, detail, occurred_at) \
            SELECT event_id, workspace_id, person_id, lead_id, written_id, 'bounce_hard', \
                jsonb_build_object('reply', reply), $7 FROM done) \
        SELECT count(*) FROM s",
        upsert_send!(
            "state, smtp_reply, sent_at",
            "'bounced', c.reply, $now",
            "state = 'bounced', smtp_reply = EXCLUDED.smtp_reply, sent_at = EXCLUDED.sent_at"
        )
        .replace("$now", "$7")
    )
});
