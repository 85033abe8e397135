//! The statements `complete_sends` runs for the outcomes it records set-based (sent, unknown,
//! retry, failed), and the JSON rows each binds: one statement for a kind's send rows (the
//! fence) and one for the leads of those that applied, each over a whole batch.
//!
//! A lead that is no longer `active` (it replied, unsubscribed or bounced elsewhere while the
//! send was in flight) keeps its status and stop reason: a late outcome must not revive it.

use serde_json::{Value, json};

use super::{json_id, ts};
use crate::domain::{CampaignLeadId, Completion, NextStep};

/// The fenced `UPDATE` of a kind's send rows (sent, unknown: only a marked send can end so):
/// ?1 now, ?2 rows `[send id, token, campaign lead id, values...]` (the kind's values from
/// `j.value ->> 3`). Clears the lease; returns the rows it changed.
macro_rules! fenced_sends {
    ($set:literal, $states:literal) => {
        concat!(
            "UPDATE email_sends AS es SET ",
            $set,
            ", lease_token = NULL, lease_expires_at = NULL, updated_at = ?1 \
             FROM json_each(?2) AS j \
             WHERE es.id = unhex(j.value ->> 0) AND es.lease_token = unhex(j.value ->> 1) \
                 AND es.state IN ",
            $states,
            " AND EXISTS (SELECT 1 FROM campaign_leads cl \
                 WHERE cl.id = es.campaign_lead_id AND cl.lease_token = es.lease_token) \
             RETURNING id, campaign_lead_id, campaign_id, mailbox_id"
        )
    };
}

/// The send row of an outcome that may come before its mark (retry, failed: a claim released
/// or failed before it was sent has no send row yet): inserted, or updated if it exists, for
/// each completion whose lead still carries its lease token. ?1 now, ?2 rows as for
/// `fenced_sends`; `$cols`/`$vals` are the kind's columns and values, `$set` its update. The
/// lead's lease is the whole fence: while it holds, the step's send row is absent, a `retry`
/// an earlier attempt left (or `claimed`, from an earlier version's claim), or `sending`
/// under this very lease (marks are fenced by it, and a lead whose step is `sending` is never
/// claimed again). Returns the rows it wrote.
macro_rules! upserted_sends {
    ($cols:literal, $vals:literal, $set:literal) => {
        concat!(
            "INSERT INTO email_sends AS es (id, workspace_id, campaign_id, campaign_lead_id, \
                 mailbox_id, step_order, created_at, updated_at, ",
            $cols,
            ") SELECT unhex(j.value ->> 0), cl.workspace_id, cl.campaign_id, cl.id, \
                 cl.mailbox_id, cl.current_step_order, ?1, ?1, ",
            $vals,
            " FROM json_each(?2) AS j JOIN campaign_leads cl ON cl.id = unhex(j.value ->> 2) \
                 AND cl.lease_token = unhex(j.value ->> 1) WHERE true \
             ON CONFLICT (campaign_lead_id, step_order) DO UPDATE SET ",
            $set,
            ", lease_token = NULL, lease_expires_at = NULL, updated_at = excluded.updated_at \
             WHERE es.state IN ('claimed', 'sending', 'retry') \
             RETURNING id, campaign_lead_id, campaign_id, mailbox_id"
        )
    };
}

/// The `UPDATE` of the leads whose sends applied: ?1 now, ?2 rows `[campaign lead id,
/// values...]` (the kind's values from `j.value ->> 1`). Clears the lease.
macro_rules! applied_leads {
    ($set:literal) => {
        concat!(
            "UPDATE campaign_leads AS cl SET ",
            $set,
            ", lease_token = NULL, lease_expires_at = NULL, updated_at = ?1 \
             FROM json_each(?2) AS j WHERE cl.id = unhex(j.value ->> 0)"
        )
    };
}

/// The kinds recorded set-based, in run order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Sent,
    Unknown,
    Retry,
    Failed,
}

impl Kind {
    pub(super) fn of(c: &Completion) -> Option<Self> {
        match c {
            Completion::Sent { .. } => Some(Self::Sent),
            Completion::Unknown { .. } => Some(Self::Unknown),
            Completion::Retry { .. } => Some(Self::Retry),
            Completion::Failed { .. } => Some(Self::Failed),
            Completion::Bounced { .. } => None,
        }
    }

    /// The kind's send and lead statements.
    pub(super) fn statements(self) -> (&'static str, &'static str) {
        match self {
            // Sends: sent at, reply, message id. Leads: next step (NULL: the sequence is
            // done), its due time, then the thread to keep (NULL: keep the stored one).
            Self::Sent => (
                fenced_sends!(
                    "state = 'sent', sent_at = j.value ->> 3, smtp_reply = j.value ->> 4, \
                     message_id = j.value ->> 5",
                    "('sending')"
                ),
                applied_leads!(
                    "current_step_order = coalesce(j.value ->> 1, cl.current_step_order), \
                     next_scheduled_at = j.value ->> 2, \
                     status = CASE WHEN j.value ->> 1 IS NULL AND cl.status = 'active' \
                         THEN 'completed' ELSE cl.status END, \
                     thread_message_id = coalesce(j.value ->> 3, cl.thread_message_id), \
                     first_subject = coalesce(j.value ->> 4, cl.first_subject)"
                ),
            ),
            // Sends: message id, reason. The lead is parked: never resent automatically.
            Self::Unknown => (
                fenced_sends!(
                    "state = 'unknown', message_id = j.value ->> 3, last_error = j.value ->> 4, \
                     sent_at = ?1",
                    "('sending')"
                ),
                applied_leads!("next_scheduled_at = NULL"),
            ),
            // Sends: reason, 1 if it counts as an attempt, retry time. Leads: retry time.
            Self::Retry => (
                upserted_sends!(
                    "state, last_error, attempts, next_attempt_at",
                    "'retry', j.value ->> 3, j.value ->> 4, j.value ->> 5",
                    "state = 'retry', last_error = excluded.last_error, \
                     attempts = es.attempts + excluded.attempts, \
                     next_attempt_at = excluded.next_attempt_at"
                ),
                applied_leads!("next_scheduled_at = j.value ->> 1"),
            ),
            // Sends and leads: reason.
            Self::Failed => (
                upserted_sends!(
                    "state, last_error",
                    "'failed', j.value ->> 3",
                    "state = 'failed', last_error = excluded.last_error"
                ),
                applied_leads!(
                    "status = CASE WHEN cl.status = 'active' THEN 'failed' ELSE cl.status END, \
                     stop_reason = CASE WHEN cl.status = 'active' THEN j.value ->> 1 \
                         ELSE cl.stop_reason END, \
                     next_scheduled_at = NULL"
                ),
            ),
        }
    }
}

/// A completion's row for its kind's send statement.
pub(super) fn send_row(c: &Completion) -> Value {
    let send = c.send();
    let mut row = vec![
        json_id(send.send_id.0),
        json_id(send.lease.0),
        json_id(send.campaign_lead_id.0),
    ];
    match c {
        Completion::Sent {
            sent_at,
            reply,
            message_id,
            ..
        } => row.extend([json!(ts(*sent_at)), json!(reply), json!(message_id)]),
        Completion::Unknown {
            message_id, reason, ..
        } => row.extend([json!(message_id), json!(reason)]),
        Completion::Retry {
            reason,
            counts_as_attempt,
            at,
            ..
        } => row.extend([
            json!(reason),
            json!(i64::from(*counts_as_attempt)),
            json!(ts(*at)),
        ]),
        Completion::Failed { reason, .. } => row.push(json!(reason)),
        Completion::Bounced { .. } => {}
    }
    Value::Array(row)
}

/// An applied completion's row for its kind's lead statement.
pub(super) fn lead_row(c: &Completion, lead: CampaignLeadId) -> Value {
    let mut row = vec![json_id(lead.0)];
    match c {
        Completion::Sent { next, thread, .. } => {
            let (step, due) = match next {
                NextStep::At { step_order, due_at } => (Some(*step_order), Some(ts(*due_at))),
                NextStep::Done => (None, None),
            };
            let thread = thread.as_ref();
            row.extend([
                json!(step),
                json!(due),
                json!(thread.map(|t| &t.message_id)),
                json!(thread.map(|t| &t.first_subject)),
            ]);
        }
        Completion::Retry { at, .. } => row.push(json!(ts(*at))),
        Completion::Failed { reason, .. } => row.push(json!(reason)),
        Completion::Unknown { .. } | Completion::Bounced { .. } => {}
    }
    Value::Array(row)
}
