//! The suppression list as a list, erased addresses, and the two privacy requests (export and
//! erasure), written once for both backends as default methods of [`PrivacySql`];
//! [`privacy_roles!`] stamps the `Privacy` impl for each store.
//!
//! An address's lead is found by `lower(email)` through the `(workspace_id, lower(email))`
//! index, then compared in Rust with `EmailAddress::normalized`, as suppressions compare it.
//! A non-ASCII address reads the workspace's leads instead: SQLite's `lower()` (and
//! PostgreSQL's under a C ctype) folds ASCII only, so the index key may differ from Rust's
//! (an export or an erasure is a rare, manual request).
//!
//! Erased values (`domain::erased_value`) are computed in Rust and looked up as values: no
//! statement hashes, and a batch of addresses is one indexed `IN (…)` probe.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::Bound;
use super::activity::{ActivitySql, EventRow, EventTallyRow, SendRow};
use crate::domain::{
    CampaignId, CampaignLeadId, CampaignLeadStatus, ERASED_PREFIX, ERASED_REASON, EmailAddress,
    ErasureReport, EventFilter, EventId, ExportedEnrolment, ExportedInbound, ExportedLead,
    ExportedMessage, Lead, LeadId, PrivacyExport, SendFilter, SendId, Suppression,
    SuppressionFilter, SuppressionId, SuppressionKind, WorkspaceId, erased_value,
};
use crate::store::rows::{LEAD_COLUMNS, LeadRow, parse};
use crate::store::{QueryContext, StoreError};

/// Values per `IN (…)` probe: far below both backends' limits on bound parameters.
const PROBE_CHUNK: usize = 1_000;

/// Rows an export reads per kind of record; a person has a handful, not thousands.
const EXPORT_LIMIT: u32 = 10_000;

const SUPPRESSION_COLUMNS: &str = "id, kind, value, reason, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct SuppressionRow {
    id: SuppressionId,
    kind: String,
    value: String,
    reason: String,
    created_at: DateTime<Utc>,
}

impl SuppressionRow {
    fn into_entry(self) -> Result<Suppression, StoreError> {
        let kind = match self.kind.as_str() {
            "email" => SuppressionKind::Email,
            "domain" => SuppressionKind::Domain,
            other => {
                return Err(StoreError::Corrupt {
                    column: "suppressions.kind",
                    detail: format!("{other:?}"),
                });
            }
        };
        Ok(Suppression {
            id: self.id,
            kind,
            erased: self.value.starts_with(ERASED_PREFIX),
            value: self.value,
            reason: self.reason,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EnrolmentExportRow {
    id: CampaignLeadId,
    campaign_id: CampaignId,
    campaign: String,
    status: String,
    stop_reason: Option<String>,
    current_step_order: i32,
    next_scheduled_at: Option<DateTime<Utc>>,
    mailbox: Option<String>,
    first_subject: Option<String>,
    enrolled_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageExportRow {
    campaign_lead_id: CampaignLeadId,
    step_order: i32,
    subject: String,
    body_text: String,
    body_html: Option<String>,
    provider: String,
    model: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct InboundExportRow {
    mailbox: String,
    message_id: String,
    folder: String,
    classification: String,
    received_at: DateTime<Utc>,
}

fn u32_of(column: &'static str, n: i32) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| StoreError::Corrupt {
        column,
        detail: format!("{n} is negative"),
    })
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `q` as a `LIKE` pattern matching values that contain it, lower-cased like the values.
fn contains_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The Message-ID an event recorded of the inbound message behind it.
fn event_message_id(detail: &serde_json::Value) -> Option<String> {
    detail
        .get("message_id")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

pub(crate) trait PrivacySql: ActivitySql
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> SendRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> EventRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> SuppressionRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> EnrolmentExportRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> MessageExportRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> InboundExportRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> LeadRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> EventTallyRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> LeadId: Bound<'q, Self>,
    for<'q> SendId: Bound<'q, Self>,
    for<'q> EventId: Bound<'q, Self>,
    for<'q> SuppressionId: Bound<'q, Self>,
    for<'q> uuid::Uuid: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> Vec<u8>: Bound<'q, Self>,
    for<'q> Option<Vec<u8>>: Bound<'q, Self>,
    for<'q> &'static str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> serde_json::Value: Bound<'q, Self>,
{
    /// The lower-cased domain of an address column, as `EmailAddress::domain` gives it for
    /// ASCII addresses.
    fn domain_of(column: &str) -> String;

    async fn list_suppressions(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        f: &SuppressionFilter,
    ) -> Result<Vec<Suppression>, StoreError> {
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let mut sql =
            format!("SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE workspace_id = $1");
        let mut next = 2;
        if q.is_some() {
            sql.push_str(&format!(" AND value LIKE ${next} ESCAPE '\\'"));
            next += 1;
        }
        if f.after.is_some() {
            sql.push_str(&format!(" AND id > ${next}"));
            next += 1;
        }
        sql.push_str(&format!(" ORDER BY id LIMIT ${next}"));
        // Built from constants and the filters' presence only: no input reaches the text.
        let mut query = sqlx::query_as::<_, SuppressionRow>(sqlx::AssertSqlSafe(sql)).bind(ws);
        if let Some(q) = q {
            query = query.bind(contains_pattern(q));
        }
        if let Some(after) = f.after {
            query = query.bind(after);
        }
        let rows = query
            .bind(i64::from(f.limit))
            .fetch_all(conn)
            .await
            .ctx("list suppressions")?;
        rows.into_iter().map(SuppressionRow::into_entry).collect()
    }

    async fn suppression_by_id(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: SuppressionId,
    ) -> Result<Option<Suppression>, StoreError> {
        let row: Option<SuppressionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE workspace_id = $1 AND id = $2"
        )))
        .bind(ws)
        .bind(id)
        .fetch_optional(conn)
        .await
        .ctx("load a suppression")?;
        row.map(SuppressionRow::into_entry).transpose()
    }

    /// Both kinds are named, so the lookup probes the `(workspace_id, kind, value)` key.
    async fn suppression_by_value(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        value: &str,
    ) -> Result<Option<Suppression>, StoreError> {
        let row: Option<SuppressionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUPPRESSION_COLUMNS} FROM suppressions \
             WHERE workspace_id = $1 AND kind IN ('email', 'domain') AND value = $2"
        )))
        .bind(ws)
        .bind(value.to_owned())
        .fetch_optional(conn)
        .await
        .ctx("look up a suppression")?;
        row.map(SuppressionRow::into_entry).transpose()
    }

    /// Which of `values` (of `kind`, lower-cased) have an entry: one probe per chunk.
    async fn present_values(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        kind: SuppressionKind,
        values: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        let mut found = HashSet::new();
        for chunk in values.chunks(PROBE_CHUNK) {
            let sql = format!(
                "SELECT value FROM suppressions WHERE workspace_id = $1 AND kind = $2 \
                 AND value IN ({})",
                placeholders(3, chunk.len())
            );
            // Placeholders only: the values are bound.
            let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
                .bind(ws)
                .bind(kind.as_str());
            for v in chunk {
                q = q.bind(v.clone());
            }
            found.extend(q.fetch_all(&mut *conn).await.ctx("look up suppressions")?);
        }
        Ok(found)
    }

    /// Lists `values` (lower-cased, ASCII: see `add_suppressions` of the role) with `reason`
    /// and stops the workspace's active enrolments they match; returns the values that were
    /// not listed before. Addresses find their leads through the `(workspace_id,
    /// lower(email))` index; domains read the workspace's leads once per call.
    async fn add_suppressions(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        values: &[String],
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let rows = (0..values.len())
            .map(|i| {
                let at = 4 + 3 * i;
                format!("(${at}, $1, ${}, ${}, $2, $3)", at + 1, at + 2)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
             VALUES {rows} ON CONFLICT (workspace_id, kind, value) DO NOTHING RETURNING value"
        );
        // Placeholders only: the values are bound.
        let mut insert = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
            .bind(ws)
            .bind(reason.to_owned())
            .bind(Self::time(now));
        for v in values {
            insert = insert
                .bind(SuppressionId::new())
                .bind(SuppressionKind::of(v).as_str())
                .bind(v.clone());
        }
        let added = insert.fetch_all(&mut *conn).await.ctx("add suppressions")?;
        let (emails, domains): (Vec<&String>, Vec<&String>) = values
            .iter()
            .partition(|v| SuppressionKind::of(v) == SuppressionKind::Email);
        for (matched, keys) in [
            ("lower(email)".to_owned(), emails),
            (Self::domain_of("email"), domains),
        ] {
            if keys.is_empty() {
                continue;
            }
            let sql = format!(
                "UPDATE campaign_leads SET status = 'unsubscribed', \
                     stop_reason = 'suppressed: ' || $2, next_scheduled_at = NULL, updated_at = $3 \
                 WHERE workspace_id = $1 AND status = 'active' AND lead_id IN ( \
                     SELECT id FROM leads WHERE workspace_id = $1 AND {matched} IN ({}))",
                placeholders(4, keys.len())
            );
            // Built from constants and placeholders: the values are bound.
            let mut stop = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(ws)
                .bind(reason.to_owned())
                .bind(Self::time(now));
            for k in keys {
                stop = stop.bind(k.clone());
            }
            stop.execute(&mut *conn)
                .await
                .ctx("stop the suppressed leads")?;
        }
        Ok(added)
    }

    async fn remove_suppression(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: SuppressionId,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM suppressions WHERE workspace_id = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .execute(conn)
            .await
            .ctx("remove a suppression")?;
        Ok(Self::rows_affected(&done) > 0)
    }

    async fn privacy_salt(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT privacy_salt FROM workspaces WHERE id = $1")
                .bind(ws)
                .fetch_optional(conn)
                .await
                .ctx("read the workspace's privacy salt")?;
        match row {
            Some(salt) => Ok(salt),
            None => Err(StoreError::not_found("workspace", ws.to_string())),
        }
    }

    /// Gives the workspace `salt` unless it has one, and returns the one it has.
    async fn ensure_privacy_salt(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        salt: Vec<u8>,
    ) -> Result<Vec<u8>, StoreError> {
        sqlx::query(
            "UPDATE workspaces SET privacy_salt = $2 WHERE id = $1 AND privacy_salt IS NULL",
        )
        .bind(ws)
        .bind(salt)
        .execute(&mut *conn)
        .await
        .ctx("make the workspace's privacy salt")?;
        Self::privacy_salt(conn, ws)
            .await?
            .ok_or_else(|| StoreError::Invalid("the privacy salt was not stored".into()))
    }

    /// The normalized addresses among `emails` that were erased in the workspace: the lead
    /// inserts mark such leads unsubscribed, so a re-imported address is never mailed. One
    /// read of the salt, then (only in a workspace that erased someone) one probe per chunk.
    async fn erased_among(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        emails: &[&EmailAddress],
    ) -> Result<HashSet<String>, StoreError> {
        let Some(salt) = Self::privacy_salt(&mut *conn, ws).await? else {
            return Ok(HashSet::new());
        };
        let hashed: Vec<(String, String)> = emails
            .iter()
            .map(|e| (erased_value(&salt, e), e.normalized()))
            .collect();
        let values: Vec<String> = hashed.iter().map(|(h, _)| h.clone()).collect();
        let present = Self::present_values(conn, ws, SuppressionKind::Email, &values).await?;
        Ok(hashed
            .into_iter()
            .filter(|(h, _)| present.contains(h))
            .map(|(_, e)| e)
            .collect())
    }

    /// Marks the workspace's leads `ids` unsubscribed at `now` (erased addresses re-inserted).
    async fn mark_erased_leads(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        ids: &[LeadId],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for id in ids {
            sqlx::query(
                "UPDATE leads SET unsubscribed_at = COALESCE(unsubscribed_at, $3), updated_at = $3 \
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws)
            .bind(*id)
            .bind(Self::time(now))
            .execute(&mut *conn)
            .await
            .ctx("mark an erased address's lead unsubscribed")?;
        }
        Ok(())
    }

    /// Leads just inserted (`fresh`) whose address was erased in the workspace are marked
    /// unsubscribed: enrolment skips them and claims never pick them, so an erased address
    /// that is imported again is never mailed.
    async fn keep_erased_unmailed(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        fresh: &[(LeadId, &EmailAddress)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if fresh.is_empty() {
            return Ok(());
        }
        let emails: Vec<&EmailAddress> = fresh.iter().map(|(_, e)| *e).collect();
        let erased = Self::erased_among(&mut *conn, ws, &emails).await?;
        if erased.is_empty() {
            return Ok(());
        }
        let ids: Vec<LeadId> = fresh
            .iter()
            .filter(|(_, e)| erased.contains(&e.normalized()))
            .map(|(id, _)| *id)
            .collect();
        Self::mark_erased_leads(conn, ws, &ids, now).await
    }

    /// The workspace's leads whose address is `email` (one, unless SQLite's ASCII-only
    /// `lower()` let two spellings in).
    async fn subject_leads(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        email: &EmailAddress,
    ) -> Result<Vec<Lead>, StoreError> {
        let wanted = email.normalized();
        let rows: Vec<LeadRow> = if wanted.is_ascii() {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {LEAD_COLUMNS} FROM leads WHERE workspace_id = $1 AND lower(email) = $2"
            )))
            .bind(ws)
            .bind(wanted.clone())
            .fetch_all(conn)
            .await
        } else {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {LEAD_COLUMNS} FROM leads WHERE workspace_id = $1"
            )))
            .bind(ws)
            .fetch_all(conn)
            .await
        }
        .ctx("find the leads of an address")?;
        rows.into_iter()
            .filter(|r| r.email.to_lowercase() == wanted)
            .map(Lead::try_from)
            .collect()
    }

    /// Everything about the lead `lead` (its enrolments, texts, sends, events) into `out`.
    async fn export_lead(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        lead: Lead,
        out: &mut PrivacyExport,
    ) -> Result<(), StoreError> {
        let enrolments: Vec<EnrolmentExportRow> = sqlx::query_as(
            "SELECT cl.id, cl.campaign_id, c.name AS campaign, cl.status, cl.stop_reason, \
                 cl.current_step_order, cl.next_scheduled_at, m.address AS mailbox, \
                 cl.first_subject, cl.enrolled_at \
             FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id \
             LEFT JOIN mailboxes m ON m.id = cl.mailbox_id \
             WHERE cl.workspace_id = $1 AND cl.lead_id = $2 ORDER BY cl.enrolled_at, cl.id",
        )
        .bind(ws)
        .bind(lead.id)
        .fetch_all(&mut *conn)
        .await
        .ctx("export a lead's enrolments")?;
        for e in enrolments {
            out.enrolments.push(ExportedEnrolment {
                id: e.id,
                campaign_id: e.campaign_id,
                campaign: e.campaign,
                status: parse::<CampaignLeadStatus>("campaign_leads.status", &e.status)?,
                stop_reason: e.stop_reason,
                current_step: u32_of("campaign_leads.current_step_order", e.current_step_order)?,
                next_scheduled_at: e.next_scheduled_at,
                mailbox: e.mailbox,
                first_subject: e.first_subject,
                enrolled_at: e.enrolled_at,
            });
        }
        let messages: Vec<MessageExportRow> = sqlx::query_as(
            "SELECT g.campaign_lead_id, g.step_order, g.subject, g.body_text, g.body_html, \
                 g.provider, g.model, g.created_at \
             FROM generated_messages g JOIN campaign_leads cl ON cl.id = g.campaign_lead_id \
             WHERE cl.workspace_id = $1 AND cl.lead_id = $2 \
             ORDER BY g.campaign_lead_id, g.step_order",
        )
        .bind(ws)
        .bind(lead.id)
        .fetch_all(&mut *conn)
        .await
        .ctx("export a lead's texts")?;
        for m in messages {
            out.messages.push(ExportedMessage {
                campaign_lead_id: m.campaign_lead_id,
                step: u32_of("generated_messages.step_order", m.step_order)?,
                subject: m.subject,
                body_text: m.body_text,
                body_html: m.body_html,
                provider: m.provider,
                model: m.model,
                created_at: m.created_at,
            });
        }
        let sends = SendFilter {
            lead: Some(lead.id),
            limit: EXPORT_LIMIT,
            ..SendFilter::default()
        };
        out.sends
            .extend(Self::list_sends(&mut *conn, ws, &sends).await?);
        let events = EventFilter {
            lead: Some(lead.id),
            limit: EXPORT_LIMIT,
            ..EventFilter::default()
        };
        let events = Self::list_events(&mut *conn, ws, &events).await?;
        for id in events.iter().filter_map(|e| event_message_id(&e.detail)) {
            let rows: Vec<InboundExportRow> = sqlx::query_as(
                "SELECT m.address AS mailbox, im.message_id, im.folder, im.classification, \
                     im.received_at \
                 FROM inbound_messages im JOIN mailboxes m ON m.id = im.mailbox_id \
                 WHERE m.workspace_id = $1 AND im.message_id = $2",
            )
            .bind(ws)
            .bind(id)
            .fetch_all(&mut *conn)
            .await
            .ctx("export a lead's inbound messages")?;
            out.inbound_messages
                .extend(rows.into_iter().map(|r| ExportedInbound {
                    mailbox: r.mailbox,
                    message_id: r.message_id,
                    folder: r.folder,
                    classification: r.classification,
                    received_at: r.received_at,
                }));
        }
        out.events.extend(events);
        // The profile text a user gave for the persona is data about the person too.
        let profile: Option<(Option<String>,)> =
            sqlx::query_as("SELECT profile_text FROM leads WHERE workspace_id = $1 AND id = $2")
                .bind(ws)
                .bind(lead.id)
                .fetch_optional(&mut *conn)
                .await
                .ctx("export a lead's profile text")?;
        out.lead = Some(ExportedLead {
            profile_text: profile.and_then(|(text,)| text),
            ..ExportedLead::from(lead)
        });
        Ok(())
    }

    async fn export_subject(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        email: &EmailAddress,
        erased: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<PrivacyExport, StoreError> {
        let mut out = PrivacyExport {
            email: email.normalized(),
            generated_at: now,
            erased: false,
            lead: None,
            enrolments: Vec::new(),
            messages: Vec::new(),
            sends: Vec::new(),
            events: Vec::new(),
            inbound_messages: Vec::new(),
            suppressions: Vec::new(),
        };
        for lead in Self::subject_leads(&mut *conn, ws, email).await? {
            Self::export_lead(&mut *conn, ws, lead, &mut out).await?;
        }
        let rows: Vec<SuppressionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE workspace_id = $1 \
             AND ((kind = 'email' AND (value = $2 OR value = $4)) \
                 OR (kind = 'domain' AND value = $3)) ORDER BY id"
        )))
        .bind(ws)
        .bind(email.normalized())
        .bind(email.domain())
        .bind(erased.map(str::to_owned))
        .fetch_all(&mut *conn)
        .await
        .ctx("export an address's suppressions")?;
        for row in rows {
            let entry = row.into_entry()?;
            out.erased |= entry.erased;
            out.suppressions.push(entry);
        }
        Ok(out)
    }

    /// Removes one lead and everything recorded about it, counting into `report`.
    async fn erase_lead(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        lead: &Lead,
        report: &mut ErasureReport,
    ) -> Result<(), StoreError> {
        // Enrolments first, as every dispatch writer locks them before their sends.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM campaign_leads WHERE workspace_id = $1 AND lead_id = $2{}",
            Self::FOR_UPDATE
        )))
        .bind(ws)
        .bind(lead.id)
        .execute(&mut *conn)
        .await
        .ctx("lock an erased lead's enrolments")?;
        let details: Vec<serde_json::Value> = sqlx::query_scalar(
            "SELECT detail FROM engagement_events WHERE workspace_id = $1 AND lead_id = $2",
        )
        .bind(ws)
        .bind(lead.id)
        .fetch_all(&mut *conn)
        .await
        .ctx("read an erased lead's events")?;
        let message_ids: HashSet<String> = details.iter().filter_map(event_message_id).collect();
        for id in message_ids {
            let done = sqlx::query(
                "DELETE FROM inbound_messages WHERE message_id = $2 \
                 AND mailbox_id IN (SELECT id FROM mailboxes WHERE workspace_id = $1)",
            )
            .bind(ws)
            .bind(id)
            .execute(&mut *conn)
            .await
            .ctx("erase a lead's inbound messages")?;
            report.inbound_messages += Self::rows_affected(&done);
        }
        // Children first: on PostgreSQL sends and texts have no foreign key to their campaign
        // lead (0005), and events would only lose their send.
        let mut run = async |sql: &'static str, action: &'static str| {
            sqlx::query(sql)
                .bind(ws)
                .bind(lead.id)
                .execute(&mut *conn)
                .await
                .ctx(action)
                .map(|done| Self::rows_affected(&done))
        };
        report.events += run(
            "DELETE FROM engagement_events WHERE workspace_id = $1 AND (lead_id = $2 \
                 OR campaign_lead_id IN (SELECT id FROM campaign_leads WHERE lead_id = $2))",
            "erase a lead's events",
        )
        .await?;
        report.messages += run(
            "DELETE FROM generated_messages WHERE campaign_lead_id IN \
                 (SELECT id FROM campaign_leads WHERE workspace_id = $1 AND lead_id = $2)",
            "erase a lead's texts",
        )
        .await?;
        // The lead's replies and our answers (their words are personal data); counted with
        // the messages.
        report.messages += run(
            "DELETE FROM lead_replies WHERE workspace_id = $1 AND campaign_lead_id IN \
                 (SELECT id FROM campaign_leads WHERE workspace_id = $1 AND lead_id = $2)",
            "erase a lead's replies",
        )
        .await?;
        report.sends += run(
            "DELETE FROM email_sends WHERE workspace_id = $1 AND campaign_lead_id IN \
                 (SELECT id FROM campaign_leads WHERE workspace_id = $1 AND lead_id = $2)",
            "erase a lead's sends",
        )
        .await?;
        report.enrolments += run(
            "DELETE FROM campaign_leads WHERE workspace_id = $1 AND lead_id = $2",
            "erase a lead's enrolments",
        )
        .await?;
        report.leads += run(
            "DELETE FROM leads WHERE workspace_id = $1 AND id = $2",
            "erase a lead",
        )
        .await?;
        // A colleague's reply stopped other leads with the address in their stop reason.
        let done = sqlx::query(
            "UPDATE campaign_leads SET stop_reason = 'a colleague replied' \
             WHERE workspace_id = $1 AND stop_reason = $2",
        )
        .bind(ws)
        .bind(format!("a colleague replied: {}", lead.email))
        .execute(&mut *conn)
        .await
        .ctx("scrub stop reasons naming an erased address")?;
        report.stop_reasons += Self::rows_affected(&done);
        Ok(())
    }

    /// Drops the rejected rows that quote `email` from the workspace's import job reports (a
    /// row rejected as a duplicate in its file keeps the address it was written with).
    async fn scrub_import_rows(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        email: &EmailAddress,
    ) -> Result<u64, StoreError> {
        use sqlx::Row;
        let wanted = email.normalized();
        let quotes = |row: &serde_json::Value| {
            row.get("email")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|e| e.trim().to_lowercase() == wanted)
        };
        let jobs = sqlx::query("SELECT id, rejected FROM import_jobs WHERE workspace_id = $1")
            .bind(ws)
            .fetch_all(&mut *conn)
            .await
            .ctx("read import jobs' rejected rows")?;
        let mut scrubbed = 0;
        for job in jobs {
            let id: uuid::Uuid = job.try_get(0).ctx("read an import job's id")?;
            let rejected: serde_json::Value = job.try_get(1).ctx("read an import job's rows")?;
            let serde_json::Value::Array(rows) = rejected else {
                continue;
            };
            let before = rows.len();
            let kept: Vec<serde_json::Value> = rows.into_iter().filter(|r| !quotes(r)).collect();
            if kept.len() == before {
                continue;
            }
            scrubbed += (before - kept.len()) as u64;
            sqlx::query("UPDATE import_jobs SET rejected = $2 WHERE id = $1")
                .bind(id)
                .bind(serde_json::Value::Array(kept))
                .execute(&mut *conn)
                .await
                .ctx("scrub an import job's rejected rows")?;
        }
        Ok(scrubbed)
    }

    async fn erase_subject(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        email: &EmailAddress,
        erased: &str,
        now: DateTime<Utc>,
    ) -> Result<ErasureReport, StoreError> {
        let mut report = ErasureReport::default();
        for lead in Self::subject_leads(&mut *conn, ws, email).await? {
            Self::erase_lead(&mut *conn, ws, &lead, &mut report).await?;
        }
        let done = sqlx::query(
            "DELETE FROM suppressions WHERE workspace_id = $1 AND kind = 'email' AND value = $2",
        )
        .bind(ws)
        .bind(email.normalized())
        .execute(&mut *conn)
        .await
        .ctx("remove an erased address's suppression")?;
        report.suppressions = Self::rows_affected(&done);
        report.import_rows = Self::scrub_import_rows(&mut *conn, ws, email).await?;
        sqlx::query(
            "INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
             VALUES ($1, $2, 'email', $3, $4, $5) \
             ON CONFLICT (workspace_id, kind, value) DO NOTHING",
        )
        .bind(SuppressionId::new())
        .bind(ws)
        .bind(erased.to_owned())
        .bind(ERASED_REASON)
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("suppress an erased address")?;
        Ok(report)
    }
}

impl PrivacySql for sqlx::Postgres {
    fn domain_of(column: &str) -> String {
        format!("split_part(lower({column}), '@', -1)")
    }
}

impl PrivacySql for sqlx::Sqlite {
    fn domain_of(column: &str) -> String {
        format!("substr(lower({column}), instr({column}, '@') + 1)")
    }
}

/// Stamps the `Privacy` impl for `$store` over the sqlx database `$db` (see
/// `store::sql::roles` for what a store offers the stamped code).
macro_rules! privacy_roles {
    ($store:ty, $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use rand::RngCore;

            use $crate::domain::*;
            use $crate::store::sql::privacy::PrivacySql;
            use $crate::store::{Privacy, StoreError};

            type Sql = $db;

            #[async_trait]
            impl Privacy for $store {
                async fn list_suppressions(
                    &self,
                    ws: WorkspaceId,
                    filter: &SuppressionFilter,
                ) -> Result<Vec<Suppression>, StoreError> {
                    Sql::list_suppressions(&mut *self.read().await?, ws, filter).await
                }

                async fn suppression_by_id(
                    &self,
                    ws: WorkspaceId,
                    id: SuppressionId,
                ) -> Result<Option<Suppression>, StoreError> {
                    Sql::suppression_by_id(&mut *self.read().await?, ws, id).await
                }

                async fn suppression_by_value(
                    &self,
                    ws: WorkspaceId,
                    value: &str,
                ) -> Result<Option<Suppression>, StoreError> {
                    Sql::suppression_by_value(&mut *self.read().await?, ws, value).await
                }

                async fn suppressed_values(
                    &self,
                    ws: WorkspaceId,
                    values: &[String],
                ) -> Result<Vec<String>, StoreError> {
                    let (emails, domains): (Vec<String>, Vec<String>) = values
                        .iter()
                        .cloned()
                        .partition(|v| SuppressionKind::of(v) == SuppressionKind::Email);
                    let mut conn = self.snapshot().await?;
                    let mut found =
                        Sql::present_values(&mut *conn, ws, SuppressionKind::Email, &emails)
                            .await?;
                    found.extend(
                        Sql::present_values(&mut *conn, ws, SuppressionKind::Domain, &domains)
                            .await?,
                    );
                    Ok(values
                        .iter()
                        .filter(|v| found.contains(*v))
                        .cloned()
                        .collect())
                }

                /// ASCII values go in by the thousand; others one by one through
                /// `add_suppression`, which matches leads as Rust lower-cases (SQLite's
                /// `lower()` folds ASCII only).
                async fn add_suppressions(
                    &self,
                    ws: WorkspaceId,
                    values: &[String],
                    reason: &str,
                ) -> Result<Vec<String>, StoreError> {
                    let (ascii, other): (Vec<String>, Vec<String>) =
                        values.iter().cloned().partition(|v| v.is_ascii());
                    let mut added = Vec::new();
                    for chunk in ascii.chunks(1_000) {
                        let now = Utc::now();
                        let done = $crate::store::deadlock::retrying(|| async move {
                            let mut tx = self.begin_write().await?;
                            let added =
                                Sql::add_suppressions(tx.conn(), ws, chunk, reason, now).await?;
                            tx.commit().await?;
                            Ok(added)
                        })
                        .await?;
                        added.extend(done);
                    }
                    let listed = self.suppressed_values(ws, &other).await?;
                    for v in other.into_iter().filter(|v| !listed.contains(v)) {
                        self.add_suppression(ws, &v, reason).await?;
                        added.push(v);
                    }
                    Ok(added)
                }

                async fn remove_suppression(
                    &self,
                    ws: WorkspaceId,
                    id: SuppressionId,
                ) -> Result<bool, StoreError> {
                    let mut unit = self.one_write().await?;
                    let removed = Sql::remove_suppression(unit.conn(), ws, id).await?;
                    unit.commit().await?;
                    Ok(removed)
                }

                async fn privacy_salt(
                    &self,
                    ws: WorkspaceId,
                    create: bool,
                ) -> Result<Option<Vec<u8>>, StoreError> {
                    if let Some(salt) = Sql::privacy_salt(&mut *self.read().await?, ws).await? {
                        return Ok(Some(salt));
                    }
                    if !create {
                        return Ok(None);
                    }
                    let mut fresh = vec![0u8; 32];
                    rand::rng().fill_bytes(&mut fresh);
                    let mut tx = self.begin_write().await?;
                    let salt = Sql::ensure_privacy_salt(tx.conn(), ws, fresh).await?;
                    tx.commit().await?;
                    Ok(Some(salt))
                }

                async fn export_subject(
                    &self,
                    ws: WorkspaceId,
                    email: &EmailAddress,
                    erased: Option<&str>,
                    now: DateTime<Utc>,
                ) -> Result<PrivacyExport, StoreError> {
                    Sql::export_subject(&mut *self.snapshot().await?, ws, email, erased, now).await
                }

                async fn erase_subject(
                    &self,
                    ws: WorkspaceId,
                    email: &EmailAddress,
                    erased: &str,
                    now: DateTime<Utc>,
                ) -> Result<ErasureReport, StoreError> {
                    // Idempotent from its start, so a unit PostgreSQL aborted runs again.
                    $crate::store::deadlock::retrying(|| async move {
                        let mut tx = self.begin_write().await?;
                        let report = Sql::erase_subject(tx.conn(), ws, email, erased, now).await?;
                        tx.commit().await?;
                        Ok(report)
                    })
                    .await
                }
            }
        };
    };
}

pub(crate) use privacy_roles;
