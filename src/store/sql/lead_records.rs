//! Lead records for the API, written once for both backends as default methods of
//! [`LeadRecordsSql`]: keyset pages with filters, one lead by id, editing and deleting one.
//!
//! The only dialect difference is how text is matched without regard to case. PostgreSQL folds
//! case with `ILIKE` and `lower()`, which follow the database's `LC_CTYPE` (Unicode-aware under a
//! UTF-8 locale such as `C.UTF-8`). SQLite's `LIKE` and `lower()` fold ASCII letters only, so
//! "ÉMILE" would not match "émile": there the match is a `REGEXP` (the Rust `regex` crate, which
//! sqlx registers on every connection) with `(?i)`, which folds Unicode case. Both escape the
//! user's text, so `%`, `_` or `.` in a search match themselves.
//!
//! Exact email lookups stay `lower(email) = lower($n)` on both: that is the expression the
//! unique index `leads_workspace_email` holds, so the filter is an index probe, and it matches
//! exactly the addresses the index treats as one.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{Bound, Dialect};
use crate::domain::{
    CampaignId, LeadDeletion, LeadFilter, LeadId, LeadRecord, LeadUpdate, NewLead, WorkspaceId,
};
use crate::store::rows::{LEAD_COLUMNS, LeadRow, custom_json};
use crate::store::{QueryContext, StoreError};

/// A lead's full name as search sees it ("Ann Lee" is found by "n Le").
const FULL_NAME: &str = "(COALESCE(first_name, '') || ' ' || COALESCE(last_name, ''))";

#[derive(sqlx::FromRow)]
pub(crate) struct LeadRecordRow {
    #[sqlx(flatten)]
    lead: LeadRow,
    updated_at: DateTime<Utc>,
    persona_generated_at: Option<DateTime<Utc>>,
}

impl TryFrom<LeadRecordRow> for LeadRecord {
    type Error = StoreError;
    fn try_from(r: LeadRecordRow) -> Result<Self, StoreError> {
        Ok(LeadRecord {
            lead: r.lead.try_into()?,
            updated_at: r.updated_at,
            persona_generated_at: r.persona_generated_at,
        })
    }
}

fn record_columns() -> String {
    format!("{LEAD_COLUMNS}, updated_at, persona_generated_at")
}

/// `true` when `e` is a unique-index violation (another lead took the address meanwhile).
fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn email_taken(email: &str) -> StoreError {
    StoreError::Conflict(format!(
        "another lead of this workspace has the email {email}"
    ))
}

/// The statements over one connection of the backend `Self`; the bounds name every type they
/// bind or read.
pub(crate) trait LeadRecordsSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> LeadRecordRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> LeadId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> bool: Bound<'q, Self>,
    for<'q> &'static str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> sqlx::types::Json<serde_json::Value>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
{
    /// SQL that is true when `expr` contains the text bound at `$n` as [`Self::contains_pattern`].
    fn contains(expr: &str, n: usize) -> String;

    /// What to bind for [`Self::contains`] to find `text`.
    fn contains_pattern(text: &str) -> String;

    /// SQL that is true when `expr` equals the text bound at `$n` as [`Self::equals_pattern`].
    fn equals(expr: &str, n: usize) -> String;

    /// What to bind for [`Self::equals`] to find `text`.
    fn equals_pattern(text: &str) -> String;

    /// SQL that is true when a lead's email, name or company contains the text bound at `$n`
    /// as [`Self::contains_pattern`].
    fn search(n: usize) -> String {
        format!(
            "({} OR {} OR {})",
            Self::contains("l.email", n),
            Self::contains(FULL_NAME, n),
            Self::contains("COALESCE(l.company, '')", n)
        )
    }

    async fn list_leads(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        filter: &LeadFilter,
        after: Option<LeadId>,
        limit: u32,
    ) -> Result<Vec<LeadRecord>, StoreError> {
        // Placeholders are numbered in the order the values are bound below.
        let mut sql = format!(
            "SELECT {} FROM leads l WHERE l.workspace_id = $1",
            record_columns()
        );
        let mut n = 1;
        if filter.email.is_some() {
            n += 1;
            sql.push_str(&format!(" AND lower(l.email) = lower(${n})"));
        }
        if filter.text.is_some() {
            n += 1;
            sql.push_str(&format!(" AND {}", Self::search(n)));
        }
        if filter.company.is_some() {
            n += 1;
            sql.push_str(&format!(
                " AND {}",
                Self::equals("COALESCE(l.company, '')", n)
            ));
        }
        if filter.campaign.is_some() || filter.status.is_some() {
            sql.push_str(" AND EXISTS (SELECT 1 FROM campaign_leads cl WHERE cl.lead_id = l.id");
            if filter.campaign.is_some() {
                n += 1;
                sql.push_str(&format!(" AND cl.campaign_id = ${n}"));
            }
            if filter.status.is_some() {
                n += 1;
                sql.push_str(&format!(" AND cl.status = ${n}"));
            }
            sql.push(')');
        }
        if after.is_some() {
            n += 1;
            sql.push_str(&format!(" AND l.id > ${n}"));
        }
        sql.push_str(&format!(" ORDER BY l.id LIMIT ${}", n + 1));

        let mut query = sqlx::query_as::<_, LeadRecordRow>(AssertSqlSafe(sql)).bind(ws);
        if let Some(email) = &filter.email {
            query = query.bind(email.clone());
        }
        if let Some(text) = &filter.text {
            query = query.bind(Self::contains_pattern(text));
        }
        if let Some(company) = &filter.company {
            query = query.bind(Self::equals_pattern(company));
        }
        if let Some(campaign) = filter.campaign {
            query = query.bind(campaign);
        }
        if let Some(status) = filter.status {
            query = query.bind(status.as_str());
        }
        if let Some(after) = after {
            query = query.bind(after);
        }
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(conn)
            .await
            .ctx("list leads")?;
        rows.into_iter().map(LeadRecord::try_from).collect()
    }

    async fn lead_by_id(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: LeadId,
    ) -> Result<Option<LeadRecord>, StoreError> {
        let row: Option<LeadRecordRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {} FROM leads WHERE id = $1 AND workspace_id = $2",
            record_columns()
        )))
        .bind(id)
        .bind(ws)
        .fetch_optional(conn)
        .await
        .ctx("load a lead")?;
        row.map(LeadRecord::try_from).transpose()
    }

    async fn update_lead(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: LeadId,
        fields: &NewLead,
        read_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<LeadUpdate, StoreError> {
        let email = fields
            .email
            .as_ref()
            .ok_or_else(|| StoreError::Invalid("a lead needs an email address".into()))?
            .as_str()
            .to_owned();
        let other: Option<LeadId> = sqlx::query_scalar(
            "SELECT id FROM leads WHERE workspace_id = $1 AND lower(email) = lower($2) \
             AND id <> $3",
        )
        .bind(ws)
        .bind(email.clone())
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .ctx("look for a lead with the same email")?;
        if other.is_some() {
            return Err(email_taken(&email));
        }
        let done = sqlx::query(
            "UPDATE leads SET email = $3, first_name = $4, last_name = $5, title = $6, \
             company = $7, website = $8, linkedin = $9, phone = $10, timezone = $11, \
             custom = $12, updated_at = $13 \
             WHERE id = $1 AND workspace_id = $2 AND updated_at = $14",
        )
        .bind(id)
        .bind(ws)
        .bind(email.clone())
        .bind(fields.first_name.clone())
        .bind(fields.last_name.clone())
        .bind(fields.title.clone())
        .bind(fields.company.clone())
        .bind(fields.website.clone())
        .bind(fields.linkedin.clone())
        .bind(fields.phone.clone())
        .bind(fields.timezone.clone())
        .bind(sqlx::types::Json(custom_json(&fields.custom)))
        .bind(Self::time(now))
        .bind(Self::time(read_at))
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                email_taken(&email)
            } else {
                StoreError::Query {
                    action: "update a lead",
                    source: e,
                }
            }
        })?;
        if Self::rows_affected(&done) == 0 {
            return Ok(match Self::lead_by_id(conn, ws, id).await? {
                Some(_) => LeadUpdate::Stale,
                None => LeadUpdate::NotFound,
            });
        }
        match Self::lead_by_id(conn, ws, id).await? {
            Some(record) => Ok(LeadUpdate::Updated(Box::new(record))),
            None => Ok(LeadUpdate::NotFound),
        }
    }

    /// Run in a write transaction. On PostgreSQL the lead's enrolments are locked first: a
    /// claim (which skips locked rows) then cannot take the lead between the checks and the
    /// delete. A lead claimed right now, or with a send, is kept.
    async fn delete_lead(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: LeadId,
    ) -> Result<LeadDeletion, StoreError> {
        let found: Option<LeadId> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT id FROM leads WHERE id = $1 AND workspace_id = $2{}",
            Self::FOR_UPDATE
        )))
        .bind(id)
        .bind(ws)
        .fetch_optional(&mut *conn)
        .await
        .ctx("find a lead to delete")?;
        if found.is_none() {
            return Ok(LeadDeletion::NotFound);
        }
        let leased: Vec<bool> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT lease_token IS NOT NULL FROM campaign_leads WHERE lead_id = $1{}",
            Self::FOR_UPDATE
        )))
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .ctx("lock a lead's enrolments")?;
        let sends: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM email_sends es \
             JOIN campaign_leads cl ON cl.id = es.campaign_lead_id WHERE cl.lead_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .ctx("count a lead's sends")?;
        if sends > 0 {
            return Ok(LeadDeletion::HasSends {
                sends: u64::try_from(sends).unwrap_or_default(),
            });
        }
        // A claimed enrolment has no send row until its message goes to SMTP; deleting it now
        // would pull the lead from under a send about to happen.
        if leased.into_iter().any(|held| held) {
            return Ok(LeadDeletion::InFlight);
        }
        sqlx::query("DELETE FROM leads WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(ws)
            .execute(conn)
            .await
            .ctx("delete a lead")?;
        Ok(LeadDeletion::Deleted)
    }
}

/// `text` with `LIKE`'s wildcards (and the escape character) escaped by a backslash.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The text a PostgreSQL search reads: one expression, so that one trigram index
/// (`leads_search_trgm`, migration 0015) serves `?q=`. It must stay identical to the index's
/// expression (the `l.` alias aside).
const SEARCH_DOCUMENT: &str = "(l.email || ' ' || COALESCE(l.first_name, '') || ' ' || \
     COALESCE(l.last_name, '') || ' ' || COALESCE(l.company, ''))";

impl LeadRecordsSql for sqlx::Postgres {
    fn contains(expr: &str, n: usize) -> String {
        format!("{expr} ILIKE ${n} ESCAPE '\\'")
    }

    /// One `ILIKE` over the search document: the trigram index answers it with a bitmap scan
    /// instead of reading every lead of the workspace. Fields are joined by a space, so a
    /// search can match across a boundary ("lena acme" finds Lena at Acme).
    fn search(n: usize) -> String {
        Self::contains(SEARCH_DOCUMENT, n)
    }

    fn contains_pattern(text: &str) -> String {
        format!("%{}%", like_escaped(text))
    }

    fn equals(expr: &str, n: usize) -> String {
        format!("lower({expr}) = lower(${n})")
    }

    fn equals_pattern(text: &str) -> String {
        text.to_owned()
    }
}

impl LeadRecordsSql for sqlx::Sqlite {
    fn contains(expr: &str, n: usize) -> String {
        format!("{expr} REGEXP ${n}")
    }

    fn contains_pattern(text: &str) -> String {
        format!("(?i){}", regex::escape(text))
    }

    fn equals(expr: &str, n: usize) -> String {
        format!("{expr} REGEXP ${n}")
    }

    fn equals_pattern(text: &str) -> String {
        format!("(?i)^{}$", regex::escape(text))
    }
}

/// Stamps the [`crate::store::LeadRecords`] impl for `$store` over the sqlx database `$db`.
macro_rules! lead_records_role {
    ($store:ty, $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};

            use $crate::domain::{
                LeadDeletion, LeadFilter, LeadId, LeadRecord, LeadUpdate, NewLead, WorkspaceId,
            };
            use $crate::store::sql::lead_records::LeadRecordsSql;
            use $crate::store::{LeadRecords, StoreError};

            type Sql = $db;

            #[async_trait]
            impl LeadRecords for $store {
                async fn list_leads(
                    &self,
                    ws: WorkspaceId,
                    filter: &LeadFilter,
                    after: Option<LeadId>,
                    limit: u32,
                ) -> Result<Vec<LeadRecord>, StoreError> {
                    Sql::list_leads(&mut *self.read().await?, ws, filter, after, limit).await
                }

                async fn lead_by_id(
                    &self,
                    ws: WorkspaceId,
                    id: LeadId,
                ) -> Result<Option<LeadRecord>, StoreError> {
                    Sql::lead_by_id(&mut *self.read().await?, ws, id).await
                }

                async fn update_lead(
                    &self,
                    ws: WorkspaceId,
                    id: LeadId,
                    fields: &NewLead,
                    read_at: DateTime<Utc>,
                    now: DateTime<Utc>,
                ) -> Result<LeadUpdate, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let update = Sql::update_lead(tx.conn(), ws, id, fields, read_at, now).await?;
                    tx.commit().await?;
                    Ok(update)
                }

                async fn delete_lead(
                    &self,
                    ws: WorkspaceId,
                    id: LeadId,
                ) -> Result<LeadDeletion, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let deletion = Sql::delete_lead(tx.conn(), ws, id).await?;
                    tx.commit().await?;
                    Ok(deletion)
                }
            }
        };
    };
}

pub(crate) use lead_records_role;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_search_text_match_themselves() {
        assert_eq!(like_escaped(r"50%_off\"), r"50\%\_off\\");
        assert_eq!(
            <sqlx::Postgres as LeadRecordsSql>::contains_pattern("a_b"),
            r"%a\_b%"
        );
    }

    #[test]
    fn regex_search_text_is_escaped_and_ignores_case() {
        let pattern = <sqlx::Sqlite as LeadRecordsSql>::contains_pattern("a.b");
        let re = regex::Regex::new(&pattern).unwrap();
        assert!(re.is_match("xA.By"));
        assert!(!re.is_match("axb"));
        let exact = <sqlx::Sqlite as LeadRecordsSql>::equals_pattern("Société");
        let re = regex::Regex::new(&exact).unwrap();
        assert!(re.is_match("SOCIÉTÉ"));
        assert!(!re.is_match("Société Générale"));
    }
}
