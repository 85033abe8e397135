//! Statements of the reports role (both backends).

/// Lead steps of running campaigns due at `$1`, counted up to `$2` (the partial index
/// `campaign_leads_due`; SQLite uses it only because the query repeats `status = 'active'`).
pub(crate) const DUE_BACKLOG: &str = "SELECT count(*) FROM ( \
    SELECT 1 FROM campaigns c JOIN campaign_leads cl ON cl.campaign_id = c.id \
    WHERE c.status = 'running' AND cl.status = 'active' AND cl.next_scheduled_at <= $1 \
    LIMIT $2) due";

/// One campaign lead's row, as [`crate::store::rows::EnrolmentRow`].
pub(crate) const ENROLMENT: &str = "SELECT status, stop_reason, mailbox_id, current_step_order, \
    next_scheduled_at, lease_expires_at \
    FROM campaign_leads WHERE workspace_id = $1 AND campaign_id = $2 AND lead_id = $3";

/// Send rows of a campaign changed since `$3`, as `(email, step_order, state, detail)`.
pub(crate) const SEND_RESULTS: &str = "SELECT l.email, s.step_order, s.state, \
    COALESCE(s.last_error, s.smtp_reply) \
    FROM email_sends s \
    JOIN campaign_leads cl ON cl.id = s.campaign_lead_id \
    JOIN leads l ON l.id = cl.lead_id \
    WHERE s.workspace_id = $1 AND s.campaign_id = $2 AND s.updated_at >= $3 \
    ORDER BY lower(l.email), s.step_order";
