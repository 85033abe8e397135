//! The email log, engagement events and a campaign's counts, written once for both backends as
//! default methods of [`ActivitySql`]; [`activity_roles!`] stamps the `Activity` impl for each
//! store.
//!
//! Lists are keyset pages (`id > cursor ORDER BY id LIMIT n`). Their statements are built from
//! the filters present (up to eight texts each, prepared once), so each is planned for the
//! filter it has: with a lead, PostgreSQL starts from that lead's enrolments instead of
//! walking every send of the workspace in id order.
//!
//! A campaign's counts are three reads: its enrolments grouped by status and step, its sends
//! grouped by step, state and day, and the workspace's replies, bounces and opt-outs probed
//! for their enrolment and send. The first two read every row of the campaign; at 100,000
//! leads that is tens of milliseconds, which `service::stats::StatsCache` keeps off the
//! request path. No index was added for them on `campaign_leads` or `email_sends`: every
//! send writes those tables, and an index there costs each send its entries. Days are UTC
//! dates; the one expression the dialects spell differently is [`ActivitySql::utc_day`].

use std::collections::{HashMap, HashSet};

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

/// One event that answers a send of the campaign, with that send's step and state.
#[derive(sqlx::FromRow)]
pub(crate) struct EventTallyRow {
    kind: String,
    campaign_lead_id: Option<CampaignLeadId>,
    email_send_id: Option<SendId>,
    occurred_at: DateTime<Utc>,
    step_order: Option<i32>,
    state: Option<String>,
}

/// A campaign's counts as its rows are read (see `domain::CampaignStats` for their meaning).
#[derive(Default)]
struct Tally {
    out: CampaignCounts,
    steps: HashMap<u32, StepCounts>,
    days: HashMap<NaiveDate, DayStats>,
    replied: HashSet<CampaignLeadId>,
    /// (send, bucket) pairs counted, so two events of one kind on a send count once.
    answered: HashSet<(SendId, &'static str)>,
}

impl Tally {
    fn step(
        &mut self,
        column: &'static str,
        at: impl Into<i64>,
    ) -> Result<&mut StepCounts, StoreError> {
        let n = step(column, at)?;
        Ok(self.steps.entry(n).or_insert(StepCounts {
            step: n,
            ..StepCounts::default()
        }))
    }

    fn day(&mut self, date: NaiveDate) -> &mut DayStats {
        self.days.entry(date).or_insert(DayStats {
            date,
            ..DayStats::default()
        })
    }

    fn leads(&mut self, status: &str, at: i32, n: u64) -> Result<(), StoreError> {
        let status = parse::<CampaignLeadStatus>("campaign_leads.status", status)?;
        self.out.leads.add(status, n);
        if status == CampaignLeadStatus::Active {
            self.step("campaign_leads.current_step_order", at)?.waiting += n;
        }
        Ok(())
    }

    fn sends(&mut self, at: i32, state: &str, day: Option<&str>, n: u64) -> Result<(), StoreError> {
        let state = parse::<SendState>("email_sends.state", state)?;
        let s = self.step("email_sends.step_order", at)?;
        match state {
            SendState::Sent => s.sent += n,
            SendState::Bounced => {
                s.sent += n;
                s.bounced += n;
            }
            SendState::Failed => s.failed += n,
            SendState::Unknown => s.unknown += n,
            SendState::Claimed | SendState::Sending | SendState::Retry => s.in_flight += n,
        }
        let went_out = matches!(state, SendState::Sent | SendState::Bounced);
        if let (true, Some(day)) = (went_out, day) {
            let d = self.day(parse::<NaiveDate>("email_sends.sent_at", day)?);
            d.sends += n;
            if state == SendState::Bounced {
                d.bounces += n;
            }
        }
        Ok(())
    }

    /// A reply, a hard-bounce report or an opt-out. A report on a send the server refused is
    /// that same bounce, counted already.
    fn event(&mut self, e: EventTallyRow, since: DateTime<Utc>) -> Result<(), StoreError> {
        let refused = e.state.as_deref() == Some("bounced");
        let bucket = match e.kind.as_str() {
            "reply" => "reply",
            "bounce_hard" if refused => return Ok(()),
            "bounce_hard" => "bounce",
            _ => "opt_out",
        };
        if bucket == "reply"
            && let Some(cl) = e.campaign_lead_id
        {
            self.replied.insert(cl);
        }
        if e.occurred_at >= since && bucket != "opt_out" {
            let d = self.day(e.occurred_at.date_naive());
            if bucket == "reply" {
                d.replies += 1;
            } else {
                d.bounces += 1;
            }
        }
        if let (Some(send), Some(at)) = (e.email_send_id, e.step_order)
            && self.answered.insert((send, bucket))
        {
            let s = self.step("email_sends.step_order", at)?;
            match bucket {
                "reply" => s.replied += 1,
                "bounce" => s.bounced += 1,
                _ => s.unsubscribed += 1,
            }
        }
        Ok(())
    }

    fn finish(mut self) -> CampaignCounts {
        let mut steps: Vec<StepCounts> = self.steps.into_values().collect();
        steps.sort_by_key(|s| s.step);
        // Every lead written to got step 1 first, and a step goes out once per lead.
        self.out.contacted = steps.iter().find(|s| s.step == 1).map_or(0, |s| s.sent);
        self.out.replied = self.replied.len() as u64;
        self.out.steps = steps;
        let mut days: Vec<DayStats> = self.days.into_values().collect();
        days.sort_by_key(|d| d.date);
        self.out.days = days;
        self.out
    }
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
    for<'r> EventTallyRow: sqlx::FromRow<'r, Self::Row>,
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

    /// Three reads whatever the campaign's size: its enrolments by status and step, its sends
    /// by step, state and (recent) day, and the events that answer its sends.
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
        let mut tally = Tally::default();

        let leads: Vec<(String, i32, i64)> = sqlx::query_as(
            "SELECT status, current_step_order, count(*) FROM campaign_leads \
             WHERE campaign_id = $1 GROUP BY status, current_step_order",
        )
        .bind(campaign)
        .fetch_all(&mut *conn)
        .await
        .ctx("count a campaign's leads")?;
        for (status, at, n) in leads {
            tally.leads(&status, at, count(n))?;
        }

        let day = Self::utc_day("sent_at");
        let sends: Vec<(i32, String, Option<String>, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT step_order, state, CASE WHEN sent_at >= $2 THEN {day} END AS day, \
                     count(*) \
                 FROM email_sends WHERE campaign_id = $1 GROUP BY step_order, state, day"
            )))
            .bind(campaign)
            .bind(Self::time(since))
            .fetch_all(&mut *conn)
            .await
            .ctx("count a campaign's sends")?;
        for (at, state, day, n) in sends {
            tally.sends(at, &state, day.as_deref(), count(n))?;
        }

        // The workspace's events of these kinds (engagement_events_workspace), each kept if
        // its enrolment is the campaign's; the enrolment and the send are key probes per
        // event (scalar subqueries), never a scan of either table.
        let events: Vec<EventTallyRow> = sqlx::query_as(
            "SELECT ev.kind, ev.campaign_lead_id, ev.email_send_id, ev.occurred_at, \
                 (SELECT es.step_order FROM email_sends es WHERE es.id = ev.email_send_id) \
                     AS step_order, \
                 (SELECT es.state FROM email_sends es WHERE es.id = ev.email_send_id) AS state \
             FROM engagement_events ev \
             WHERE ev.workspace_id = $1 \
                 AND ev.kind IN ('reply', 'bounce_hard', 'unsubscribe', 'complaint') \
                 AND (SELECT cl.campaign_id FROM campaign_leads cl \
                     WHERE cl.id = ev.campaign_lead_id) = $2",
        )
        .bind(ws)
        .bind(campaign)
        .fetch_all(&mut *conn)
        .await
        .ctx("read a campaign's replies, bounces and opt-outs")?;
        for e in events {
            tally.event(e, since)?;
        }
        Ok(tally.finish())
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
