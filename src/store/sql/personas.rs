//! Personas, written once for both backends as default methods of [`PersonaSql`], and the
//! role's impl stamped for each store by [`personas_role!`].
//!
//! Storing a persona does not move the lead's `updated_at`: that stamp guards edits of the
//! lead's own fields, and a persona written by the background generator must not make a
//! person's edit fail as stale.

use chrono::{DateTime, Utc};

use super::{Bound, Dialect};
use crate::domain::{LeadId, LeadPersona, PersonaOrigin, WorkspaceId};
use crate::store::rows::{LEAD_COLUMNS, LeadRow};
use crate::store::{QueryContext, StoreError};

#[derive(sqlx::FromRow)]
pub(crate) struct LeadPersonaRow {
    #[sqlx(flatten)]
    lead: LeadRow,
    profile_text: Option<String>,
    persona_generated_at: Option<DateTime<Utc>>,
    persona_provider: Option<String>,
    persona_model: Option<String>,
    persona_cost_usd: Option<f64>,
    persona_error: Option<String>,
}

impl TryFrom<LeadPersonaRow> for LeadPersona {
    type Error = StoreError;
    fn try_from(r: LeadPersonaRow) -> Result<Self, StoreError> {
        Ok(LeadPersona {
            lead: r.lead.try_into()?,
            profile_text: r.profile_text,
            generated_at: r.persona_generated_at,
            provider: r.persona_provider,
            model: r.persona_model,
            cost_usd: r.persona_cost_usd,
            error: r.persona_error,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PendingRow {
    workspace_id: WorkspaceId,
    id: LeadId,
}

/// Persona statements over one connection of the backend `Self`.
pub(crate) trait PersonaSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> LeadPersonaRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> PendingRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> LeadId: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> f64: Bound<'q, Self>,
    for<'q> bool: Bound<'q, Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> Option<Self::Time>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> sqlx::types::Json<serde_json::Value>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
{
    async fn lead_persona(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: LeadId,
    ) -> Result<Option<LeadPersona>, StoreError> {
        let row: Option<LeadPersonaRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LEAD_COLUMNS}, profile_text, persona_generated_at, persona_provider, \
             persona_model, persona_cost_usd, persona_error \
             FROM leads WHERE workspace_id = $1 AND id = $2"
        )))
        .bind(ws)
        .bind(id)
        .fetch_optional(conn)
        .await
        .ctx("read a lead's persona")?;
        row.map(LeadPersona::try_from).transpose()
    }

    async fn set_profile_text(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: LeadId,
        text: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE leads SET profile_text = $3, updated_at = $4 \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws)
        .bind(id)
        .bind(text.map(str::to_owned))
        .bind(Self::time(now))
        .execute(conn)
        .await
        .ctx("set a lead's profile text")?;
        Ok(Self::rows_affected(&done) == 1)
    }

    #[allow(clippy::too_many_arguments)]
    async fn store_persona(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: LeadId,
        persona: &serde_json::Value,
        origin: &PersonaOrigin,
        replace: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE leads SET persona = $3, persona_generated_at = $4, persona_provider = $5, \
             persona_model = $6, persona_cost_usd = $7, persona_error = NULL, \
             persona_retry_at = NULL \
             WHERE workspace_id = $1 AND id = $2 AND ($8 OR persona IS NULL)",
        )
        .bind(ws)
        .bind(id)
        .bind(sqlx::types::Json(persona.clone()))
        .bind(Self::time(now))
        .bind(origin.provider.clone())
        .bind(origin.model.clone())
        .bind(origin.cost_usd)
        .bind(replace)
        .execute(conn)
        .await
        .ctx("store a lead's persona")?;
        Ok(Self::rows_affected(&done) == 1)
    }

    async fn store_persona_error(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        id: LeadId,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE leads SET persona_error = $3, persona_retry_at = $4 \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws)
        .bind(id)
        .bind(error.to_owned())
        .bind(retry_at.map(Self::time))
        .execute(conn)
        .await
        .ctx("record a lead's persona failure")?;
        Ok(())
    }

    async fn leads_needing_persona(
        conn: &mut Self::Connection,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(WorkspaceId, LeadId)>, StoreError> {
        let rows: Vec<PendingRow> = sqlx::query_as(
            "SELECT workspace_id, id FROM leads \
             WHERE persona IS NULL \
             AND (COALESCE(website, '') <> '' OR COALESCE(linkedin, '') <> '' \
                  OR COALESCE(profile_text, '') <> '') \
             AND (persona_error IS NULL OR persona_retry_at <= $1) \
             ORDER BY id LIMIT $2",
        )
        .bind(Self::time(now))
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await
        .ctx("find leads without a persona")?;
        Ok(rows.into_iter().map(|r| (r.workspace_id, r.id)).collect())
    }
}

impl PersonaSql for sqlx::Postgres {}
impl PersonaSql for sqlx::Sqlite {}

/// Stamps `impl Personas` for `$store` over `$db` (see `store::sql::roles`).
macro_rules! personas_role {
    ($store:ty, $db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};

            use $crate::domain::{LeadId, LeadPersona, PersonaOrigin, WorkspaceId};
            use $crate::store::sql::personas::PersonaSql;
            use $crate::store::{Personas, StoreError};

            type Sql = $db;

            #[async_trait::async_trait]
            impl Personas for $store {
                async fn lead_persona(
                    &self,
                    ws: WorkspaceId,
                    id: LeadId,
                ) -> Result<Option<LeadPersona>, StoreError> {
                    Sql::lead_persona(&mut *self.read().await?, ws, id).await
                }

                async fn set_profile_text(
                    &self,
                    ws: WorkspaceId,
                    id: LeadId,
                    text: Option<&str>,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let mut unit = self.one_write().await?;
                    let found = Sql::set_profile_text(unit.conn(), ws, id, text, now).await?;
                    unit.commit().await?;
                    Ok(found)
                }

                async fn store_persona(
                    &self,
                    ws: WorkspaceId,
                    id: LeadId,
                    persona: &serde_json::Value,
                    origin: &PersonaOrigin,
                    replace: bool,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let mut unit = self.one_write().await?;
                    let stored =
                        Sql::store_persona(unit.conn(), ws, id, persona, origin, replace, now)
                            .await?;
                    unit.commit().await?;
                    Ok(stored)
                }

                async fn store_persona_error(
                    &self,
                    ws: WorkspaceId,
                    id: LeadId,
                    error: &str,
                    retry_at: Option<DateTime<Utc>>,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::store_persona_error(unit.conn(), ws, id, error, retry_at).await?;
                    unit.commit().await
                }

                async fn leads_needing_persona(
                    &self,
                    now: DateTime<Utc>,
                    limit: u32,
                ) -> Result<Vec<(WorkspaceId, LeadId)>, StoreError> {
                    Sql::leads_needing_persona(&mut *self.read().await?, now, limit).await
                }
            }
        };
    };
}

pub(crate) use personas_role;
