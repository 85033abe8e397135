//! The email log, engagement events and a campaign's counts, written once for both backends as
//! default methods of [`ActivitySql`]; [`activity_roles!`] stamps the `Activity` impl for each
//! store.
//!
//! Lists are keyset pages (`id > cursor ORDER BY id LIMIT n`). Their statements are built from
//! the filters present (up to eight texts each, prepared once), so each is planned for the
//! filter it has: with a lead, PostgreSQL starts from that lead's enrolments instead of
//! walking every send of the workspace in id order.
//!
//! A campaign's counts are a handful of grouped reads of its own rows: campaign leads through
//! `(campaign_id, lead_id)`, sends through `email_sends_campaign` (0011), events through their
//! sends. Days are UTC dates; the one expression the dialects spell differently is
//! [`ActivitySql::utc_day`].

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{Bound, Dialect};
use crate::domain::{
    CampaignCounts, CampaignId, CampaignLeadId, CampaignLeadStatus, DayStats, EventFilter, EventId,
    EventKind, EventRecord, Lead, LeadId, LeadRef, MailboxId, SendFilter, SendId, SendRecord,
    SendState, SentText, StepCounts, WorkspaceId,
};
use crate::store::rows::{LEAD_COLUMNS, LeadRow, parse};
use crate::store::{QueryContext, StoreError};

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn step(column: &'static str, n: impl Into<i64>) -> Result<u32, StoreError> {
    let n: i64 = n.into();
    u32::try_from(n).map_err(|_| StoreError::Corrupt {
        column,
        detail: format!("{n} out of range"),
    })
}

/// The day `text` (`YYYY-MM-DD`) names, added to `days` if new.
fn day_entry<'a>(
    days: &'a mut HashMap<NaiveDate, DayStats>,
    text: &str,
) -> Result<&'a mut DayStats, StoreError> {
    let date = parse::<NaiveDate>("day", text)?;
    Ok(days.entry(date).or_insert(DayStats {
        date,
        ..DayStats::default()
    }))
}

/// The email log's columns: the send, its lead, its mailbox and its stored text.
const SEND_SELECT: &str = "SELECT es.id, es.campaign_id, es.campaign_lead_id, cl.lead_id, \
        l.email, es.step_order, es.state, es.mailbox_id, m.address AS mailbox, es.message_id, \
        es.smtp_reply, es.last_error, es.attempts, es.scheduled_for, es.next_attempt_at, \
        es.sent_at, es.created_at, es.updated_at, g.subject, g.body_text, g.body_html \
    FROM email_sends es \
    JOIN campaign_leads cl ON cl.id = es.campaign_lead_id \
    JOIN leads l ON l.id = cl.lead_id \
    LEFT JOIN mailboxes m ON m.id = es.mailbox_id \
    LEFT JOIN generated_messages g ON g.campaign_lead_id = es.campaign_lead_id \
        AND g.step_order = es.step_order \
    WHERE es.workspace_id = $1";

#[derive(sqlx::FromRow)]
pub(crate) struct SendRow {
    id: SendId,
    campaign_id: CampaignId,
    campaign_lead_id: CampaignLeadId,
    lead_id: LeadId,
    email: String,
    step_order: i32,
    state: String,
    mailbox_id: Option<MailboxId>,
    mailbox: Option<String>,
    message_id: Option<String>,
    smtp_reply: Option<String>,
    last_error: Option<String>,
    attempts: i32,
    scheduled_for: Option<DateTime<Utc>>,
    next_attempt_at: Option<DateTime<Utc>>,
    sent_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    subject: Option<String>,
    body_text: Option<String>,
    body_html: Option<String>,
}

impl SendRow {
    fn into_record(self) -> Result<SendRecord, StoreError> {
        let message = match (self.subject, self.body_text) {
            (Some(subject), Some(body_text)) => Some(SentText {
                subject,
                body_text,
                body_html: self.body_html,
            }),
            _ => None,
        };
        Ok(SendRecord {
            id: self.id,
            campaign_id: self.campaign_id,
            campaign_lead_id: self.campaign_lead_id,
            lead: LeadRef {
                id: self.lead_id,
                email: self.email,
            },
            step: step("email_sends.step_order", self.step_order)?,
            state: parse::<SendState>("email_sends.state", &self.state)?,
            mailbox_id: self.mailbox_id,
            mailbox: self.mailbox,
            message_id: self.message_id,
            smtp_reply: self.smtp_reply,
            last_error: self.last_error,
            attempts: step("email_sends.attempts", self.attempts)?,
            scheduled_for: self.scheduled_for,
            next_attempt_at: self.next_attempt_at,
            sent_at: self.sent_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            message,
        })
    }
}

const EVENT_SELECT: &str = "SELECT ev.id, ev.kind, cl.campaign_id, ev.campaign_lead_id, \
        ev.lead_id, l.email, ev.email_send_id, es.step_order, ev.detail, ev.occurred_at \
    FROM engagement_events ev \
    LEFT JOIN campaign_leads cl ON cl.id = ev.campaign_lead_id \
    LEFT JOIN leads l ON l.id = ev.lead_id \
    LEFT JOIN email_sends es ON es.id = ev.email_send_id \
    WHERE ev.workspace_id = $1";

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: EventId,
    kind: String,
    campaign_id: Option<CampaignId>,
    campaign_lead_id: Option<CampaignLeadId>,
    lead_id: Option<LeadId>,
    email: Option<String>,
    email_send_id: Option<SendId>,
    step_order: Option<i32>,
    detail: serde_json::Value,
    occurred_at: DateTime<Utc>,
}

impl EventRow {
    fn into_record(self) -> Result<EventRecord, StoreError> {
        let lead = match (self.lead_id, self.email) {
            (Some(id), Some(email)) => Some(LeadRef { id, email }),
            _ => None,
        };
        Ok(EventRecord {
            id: self.id,
            kind: parse::<EventKind>("engagement_events.kind", &self.kind)?,
            campaign_id: self.campaign_id,
            campaign_lead_id: self.campaign_lead_id,
            lead,
            send_id: self.email_send_id,
            step: self
                .step_order
                .map(|n| step("email_sends.step_order", n))
                .transpose()?,
            detail: self.detail,
            occurred_at: self.occurred_at,
        })
    }
}

/// `AND …` terms with their placeholders numbered from `first`, for the filters present.
struct Terms {
    sql: String,
    next: usize,
}

impl Terms {
    fn new(first: usize) -> Self {
        Self {
            sql: String::new(),
            next: first,
        }
    }

    /// Adds `AND {column} {op} $n` when `present`.
    fn add(&mut self, present: bool, column: &str, op: &str) {
        if present {
            self.sql
                .push_str(&format!(" AND {column} {op} ${}", self.next));
            self.next += 1;
        }
    }

    fn limit(&self) -> String {
        format!(" LIMIT ${}", self.next)
    }
}

/// The reads of the email log, events and stats over one connection of the backend `Self`.
pub(crate) trait ActivitySql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> SendRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> EventRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> LeadRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> LeadId: Bound<'q, Self>,
    for<'q> SendId: Bound<'q, Self>,
    for<'q> EventId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> &'static str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
{
    /// The UTC date of a timestamp column as `YYYY-MM-DD` text.
    fn utc_day(column: &str) -> String;

    async fn list_sends(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        f: &SendFilter,
    ) -> Result<Vec<SendRecord>, StoreError> {
        let mut terms = Terms::new(2);
        terms.add(f.campaign.is_some(), "es.campaign_id", "=");
        terms.add(f.lead.is_some(), "cl.lead_id", "=");
        terms.add(f.state.is_some(), "es.state", "=");
        terms.add(f.after.is_some(), "es.id", ">");
        let sql = format!("{SEND_SELECT}{} ORDER BY es.id{}", terms.sql, terms.limit());
        // Built from constants and the filters' presence only: no input reaches the text.
        let mut q = sqlx::query_as::<_, SendRow>(sqlx::AssertSqlSafe(sql)).bind(ws);
        if let Some(c) = f.campaign {
            q = q.bind(c);
        }
        if let Some(l) = f.lead {
            q = q.bind(l);
        }
        if let Some(s) = f.state {
            q = q.bind(s.as_str());
        }
        if let Some(a) = f.after {
            q = q.bind(a);
        }
        let rows = q
            .bind(i64::from(f.limit))
            .fetch_all(conn)
            .await
            .ctx("list sends")?;
        rows.into_iter().map(SendRow::into_record).collect()
    }

    async fn list_events(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        f: &EventFilter,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let mut terms = Terms::new(2);
        terms.add(f.campaign.is_some(), "cl.campaign_id", "=");
        terms.add(f.lead.is_some(), "ev.lead_id", "=");
        terms.add(f.kind.is_some(), "ev.kind", "=");
        terms.add(f.after.is_some(), "ev.id", ">");
        let sql = format!(
            "{EVENT_SELECT}{} ORDER BY ev.id{}",
            terms.sql,
            terms.limit()
        );
        // Built from constants and the filters' presence only: no input reaches the text.
        let mut q = sqlx::query_as::<_, EventRow>(sqlx::AssertSqlSafe(sql)).bind(ws);
        if let Some(c) = f.campaign {
            q = q.bind(c);
        }
        if let Some(l) = f.lead {
            q = q.bind(l);
        }
        if let Some(k) = f.kind {
            q = q.bind(k.as_str());
        }
        if let Some(a) = f.after {
            q = q.bind(a);
        }
        let rows = q
            .bind(i64::from(f.limit))
            .fetch_all(conn)
            .await
            .ctx("list events")?;
        rows.into_iter().map(EventRow::into_record).collect()
    }

    async fn lead_of_workspace(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: LeadId,
    ) -> Result<Option<Lead>, StoreError> {
        let row: Option<LeadRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LEAD_COLUMNS} FROM leads WHERE workspace_id = $1 AND id = $2"
        )))
        .bind(ws)
        .bind(id)
        .fetch_optional(conn)
        .await
        .ctx("load a lead")?;
        row.map(Lead::try_from).transpose()
    }

    async fn campaign_counts(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        since: DateTime<Utc>,
    ) -> Result<CampaignCounts, StoreError> {
        let found: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM campaigns WHERE id = $1 AND workspace_id = $2")
                .bind(campaign)
                .bind(ws)
                .fetch_optional(&mut *conn)
                .await
                .ctx("look up the campaign")?;
        if found.is_none() {
            return Err(StoreError::not_found("campaign", campaign.to_string()));
        }
        let mut steps: HashMap<u32, StepCounts> = HashMap::new();
        let mut out = CampaignCounts::default();

        let leads: Vec<(String, i32, i64)> = sqlx::query_as(
            "SELECT status, current_step_order, count(*) FROM campaign_leads \
             WHERE campaign_id = $1 GROUP BY status, current_step_order",
        )
        .bind(campaign)
        .fetch_all(&mut *conn)
        .await
        .ctx("count a campaign's leads")?;
        for (status, at, n) in leads {
            let status = parse::<CampaignLeadStatus>("campaign_leads.status", &status)?;
            out.leads.add(status, count(n));
            if status == CampaignLeadStatus::Active {
                let at = step("campaign_leads.current_step_order", at)?;
                steps.entry(at).or_default().waiting += count(n);
            }
        }

        let sends: Vec<(i32, String, i64)> = sqlx::query_as(
            "SELECT step_order, state, count(*) FROM email_sends \
             WHERE campaign_id = $1 GROUP BY step_order, state",
        )
        .bind(campaign)
        .fetch_all(&mut *conn)
        .await
        .ctx("count a campaign's sends")?;
        for (at, state, n) in sends {
            let s = steps
                .entry(step("email_sends.step_order", at)?)
                .or_default();
            let n = count(n);
            match parse::<SendState>("email_sends.state", &state)? {
                SendState::Sent => s.sent += n,
                SendState::Bounced => {
                    s.sent += n;
                    s.bounced += n;
                }
                SendState::Failed => s.failed += n,
                SendState::Unknown => s.unknown += n,
                SendState::Claimed | SendState::Sending | SendState::Retry => s.in_flight += n,
            }
        }

        // Sends answered by an event, once per send and bucket; a hard-bounce report on a send
        // the server refused already is that same bounce.
        let answered: Vec<(i32, String, i64)> = sqlx::query_as(
            "SELECT es.step_order, \
                 CASE WHEN ev.kind = 'complaint' THEN 'unsubscribe' ELSE ev.kind END AS bucket, \
                 count(DISTINCT es.id) \
             FROM email_sends es JOIN engagement_events ev ON ev.email_send_id = es.id \
             WHERE es.campaign_id = $1 \
                 AND ev.kind IN ('reply', 'bounce_hard', 'unsubscribe', 'complaint') \
                 AND NOT (ev.kind = 'bounce_hard' AND es.state = 'bounced') \
             GROUP BY es.step_order, bucket",
        )
        .bind(campaign)
        .fetch_all(&mut *conn)
        .await
        .ctx("count a campaign's answered sends")?;
        for (at, bucket, n) in answered {
            let s = steps
                .entry(step("email_sends.step_order", at)?)
                .or_default();
            match bucket.as_str() {
                "reply" => s.replied += count(n),
                "bounce_hard" => s.bounced += count(n),
                _ => s.unsubscribed += count(n),
            }
        }

        let replied: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT ev.campaign_lead_id) FROM engagement_events ev \
             JOIN campaign_leads cl ON cl.id = ev.campaign_lead_id \
             WHERE cl.campaign_id = $1 AND ev.kind = 'reply'",
        )
        .bind(campaign)
        .fetch_one(&mut *conn)
        .await
        .ctx("count a campaign's replies")?;
        out.replied = count(replied);

        let mut ordered: Vec<StepCounts> = steps
            .into_iter()
            .map(|(n, c)| StepCounts { step: n, ..c })
            .collect();
        ordered.sort_by_key(|s| s.step);
        // Every lead written to got step 1 first, and a step goes out once per lead.
        out.contacted = ordered.iter().find(|s| s.step == 1).map_or(0, |s| s.sent);
        out.steps = ordered;
        out.days = Self::daily(conn, campaign, since).await?;
        Ok(out)
    }

    /// Sends, replies and bounces per UTC day from `since` on (days with none are absent).
    async fn daily(
        conn: &mut Self::Connection,
        campaign: CampaignId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DayStats>, StoreError> {
        let sent_day = Self::utc_day("sent_at");
        let sends: Vec<(String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {sent_day} AS day, state, count(*) FROM email_sends \
             WHERE campaign_id = $1 AND state IN ('sent', 'bounced') AND sent_at >= $2 \
             GROUP BY day, state"
        )))
        .bind(campaign)
        .bind(Self::time(since))
        .fetch_all(&mut *conn)
        .await
        .ctx("count a campaign's sends per day")?;
        let event_day = Self::utc_day("ev.occurred_at");
        let events: Vec<(String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {event_day} AS day, ev.kind, count(*) FROM engagement_events ev \
             JOIN campaign_leads cl ON cl.id = ev.campaign_lead_id \
             LEFT JOIN email_sends es ON es.id = ev.email_send_id \
             WHERE cl.campaign_id = $1 AND ev.occurred_at >= $2 \
                 AND (ev.kind = 'reply' OR (ev.kind = 'bounce_hard' \
                     AND (es.state IS NULL OR es.state <> 'bounced'))) \
             GROUP BY day, ev.kind"
        )))
        .bind(campaign)
        .bind(Self::time(since))
        .fetch_all(&mut *conn)
        .await
        .ctx("count a campaign's events per day")?;
        let mut days: HashMap<NaiveDate, DayStats> = HashMap::new();
        for (text, state, n) in sends {
            let d = day_entry(&mut days, &text)?;
            d.sends += count(n);
            if state == "bounced" {
                d.bounces += count(n);
            }
        }
        for (text, kind, n) in events {
            let d = day_entry(&mut days, &text)?;
            if kind == "reply" {
                d.replies += count(n);
            } else {
                d.bounces += count(n);
            }
        }
        let mut out: Vec<DayStats> = days.into_values().collect();
        out.sort_by_key(|d| d.date);
        Ok(out)
    }
}

impl ActivitySql for sqlx::Postgres {
    fn utc_day(column: &str) -> String {
        format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
    }
}

/// Timestamps are fixed-width RFC 3339 text in UTC: the date is its first ten characters.
impl ActivitySql for sqlx::Sqlite {
    fn utc_day(column: &str) -> String {
        format!("substr({column}, 1, 10)")
    }
}

/// Stamps the `Activity` impl for `$store` over the sqlx database `$db` (see
/// `store::sql::roles` for what a store offers the stamped code).
macro_rules! activity_roles {
    ($store:ty, $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};

            use $crate::domain::*;
            use $crate::store::sql::activity::ActivitySql;
            use $crate::store::{Activity, StoreError};

            type Sql = $db;

            #[async_trait]
            impl Activity for $store {
                async fn list_sends(
                    &self,
                    ws: WorkspaceId,
                    filter: &SendFilter,
                ) -> Result<Vec<SendRecord>, StoreError> {
                    Sql::list_sends(&mut *self.read().await?, ws, filter).await
                }

                async fn list_events(
                    &self,
                    ws: WorkspaceId,
                    filter: &EventFilter,
                ) -> Result<Vec<EventRecord>, StoreError> {
                    Sql::list_events(&mut *self.read().await?, ws, filter).await
                }

                async fn lead_of_workspace(
                    &self,
                    ws: WorkspaceId,
                    id: LeadId,
                ) -> Result<Option<Lead>, StoreError> {
                    Sql::lead_of_workspace(&mut *self.read().await?, ws, id).await
                }

                async fn campaign_counts(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    since: DateTime<Utc>,
                ) -> Result<CampaignCounts, StoreError> {
                    Sql::campaign_counts(&mut *self.snapshot().await?, ws, campaign, since).await
                }
            }
        };
    };
}

pub(crate) use activity_roles;
