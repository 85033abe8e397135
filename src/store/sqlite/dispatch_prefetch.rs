//! `texts_to_write`: the leads of one campaign whose next text can be written before they are
//! claimed (`actors::campaign::prefetch`). The same window as the PostgreSQL statement: the
//! next `?5` leads in claim order due by `?4` and not leased at `?3`, of which those without a
//! stored text for their current step are returned.

use std::sync::LazyLock;

use super::{SqliteStore, ts};
use crate::domain::{PrefetchJob, PrefetchRequest};
use crate::store::rows::{LEAD_COLUMNS, PrefetchRow};
use crate::store::{QueryContext, StoreError};

/// As `dispatch_claim::ELIGIBLE`, due by `?4` and not leased at `?3`. `?2` workspace.
const WAITING: &str = "cl.next_scheduled_at <= ?4 \
    AND (cl.lease_expires_at IS NULL OR cl.lease_expires_at < ?3) \
    AND cl.mailbox_id IS NOT NULL \
    AND l.unsubscribed_at IS NULL \
    AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.workspace_id = ?2 \
        AND s.kind = 'email' AND s.value = lower(l.email)) \
    AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.workspace_id = ?2 \
        AND s.kind = 'domain' AND s.value = substr(lower(l.email), instr(l.email, '@') + 1)) \
    AND NOT EXISTS (SELECT 1 FROM email_sends es WHERE es.campaign_lead_id = cl.id \
        AND es.step_order = cl.current_step_order AND es.state NOT IN ('claimed', 'retry'))";

/// `?1` campaign, `?2` workspace, `?3` now, `?4` horizon end, `?5` window size.
static PREFETCH_SQL: LazyLock<String> = LazyLock::new(|| {
    let lead_columns = LEAD_COLUMNS
        .split(',')
        .map(|c| format!("l.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let side = |step: &str, kind: u8| {
        format!(
            "SELECT cl.id, cl.lead_id, cl.mailbox_id, cl.current_step_order, \
                 cl.next_scheduled_at, cl.thread_message_id, cl.first_subject, {kind} AS kind \
             FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id \
             WHERE cl.campaign_id = ?1 AND cl.status = 'active' AND {step} AND {WAITING} \
             ORDER BY cl.next_scheduled_at LIMIT ?5"
        )
    };
    format!(
        "WITH window_ AS ( \
             SELECT * FROM ( \
                 SELECT * FROM ({}) UNION ALL SELECT * FROM ({})) \
             ORDER BY kind, next_scheduled_at LIMIT ?5) \
         SELECT {lead_columns}, w.id AS campaign_lead_id, w.mailbox_id, \
             w.current_step_order AS step_order, w.next_scheduled_at AS due_at, \
             w.thread_message_id, w.first_subject \
         FROM window_ w JOIN leads l ON l.id = w.lead_id \
         WHERE EXISTS (SELECT 1 FROM campaigns c WHERE c.id = ?1 AND c.workspace_id = ?2 \
                 AND c.status = 'running') \
             AND NOT EXISTS (SELECT 1 FROM generated_messages g \
                 WHERE g.campaign_lead_id = w.id AND g.step_order = w.current_step_order) \
         ORDER BY w.kind, w.next_scheduled_at",
        side("cl.current_step_order > 1", 0),
        side("cl.current_step_order = 1", 1),
    )
});

pub(super) async fn texts_to_write(
    s: &SqliteStore,
    req: &PrefetchRequest,
) -> Result<Vec<PrefetchJob>, StoreError> {
    if req.max_rows == 0 {
        return Ok(Vec::new());
    }
    // Built once from constants only: no input reaches the SQL text.
    let rows: Vec<PrefetchRow<i64>> = sqlx::query_as(PREFETCH_SQL.as_str())
        .bind(req.campaign_id)
        .bind(req.workspace_id)
        .bind(ts(req.now))
        .bind(ts(req.until))
        .bind(i64::from(req.max_rows))
        .fetch_all(&mut *s.read().await?)
        .await
        .ctx("find the texts to write ahead")?;
    rows.into_iter().map(PrefetchJob::try_from).collect()
}
