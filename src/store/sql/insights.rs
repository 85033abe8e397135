//! Company insights, written once for both backends as default methods of [`InsightSql`];
//! [`insights_role!`] stamps the `Insights` impl for each store.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Bound, Dialect};
use crate::domain::{CompanyInsight, InsightFacts, WorkspaceId};
use crate::store::{QueryContext, StoreError};

#[derive(sqlx::FromRow)]
pub(crate) struct InsightRow {
    domain: String,
    insight: Json<InsightFacts>,
    provider: String,
    model: String,
    fetched_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl From<InsightRow> for CompanyInsight {
    fn from(r: InsightRow) -> Self {
        Self {
            domain: r.domain,
            facts: r.insight.0,
            provider: r.provider,
            model: r.model,
            fetched_at: r.fetched_at,
            expires_at: r.expires_at,
        }
    }
}

/// Insight statements over one connection of the backend `Self`.
pub(crate) trait InsightSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> InsightRow: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> Json<InsightFacts>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
{
    async fn company_insight(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        domain: &str,
    ) -> Result<Option<CompanyInsight>, StoreError> {
        let row: Option<InsightRow> = sqlx::query_as(
            "SELECT domain, insight, provider, model, fetched_at, expires_at \
             FROM company_insights WHERE workspace_id = $1 AND domain = $2",
        )
        .bind(ws)
        .bind(domain.to_owned())
        .fetch_optional(&mut *conn)
        .await
        .ctx("load a company insight")?;
        Ok(row.map(CompanyInsight::from))
    }

    async fn save_company_insight(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        insight: &CompanyInsight,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO company_insights \
                 (workspace_id, domain, insight, provider, model, fetched_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (workspace_id, domain) DO UPDATE SET insight = excluded.insight, \
                 provider = excluded.provider, model = excluded.model, \
                 fetched_at = excluded.fetched_at, expires_at = excluded.expires_at",
        )
        .bind(ws)
        .bind(insight.domain.clone())
        .bind(Json(insight.facts.clone()))
        .bind(insight.provider.clone())
        .bind(insight.model.clone())
        .bind(Self::time(insight.fetched_at))
        .bind(Self::time(insight.expires_at))
        .execute(&mut *conn)
        .await
        .ctx("store a company insight")?;
        Ok(())
    }
}

impl InsightSql for sqlx::Postgres {}
impl InsightSql for sqlx::Sqlite {}

macro_rules! insights_role {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::domain::{CompanyInsight, WorkspaceId};
            use $crate::store::sql::insights::InsightSql;
            use $crate::store::{Insights, StoreError};

            type Sql = $db;

            #[async_trait::async_trait]
            impl Insights for $store {
                async fn company_insight(
                    &self,
                    ws: WorkspaceId,
                    domain: &str,
                ) -> Result<Option<CompanyInsight>, StoreError> {
                    Sql::company_insight(&mut *self.read().await?, ws, domain).await
                }

                async fn save_company_insight(
                    &self,
                    ws: WorkspaceId,
                    insight: &CompanyInsight,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::save_company_insight(unit.conn(), ws, insight).await?;
                    unit.commit().await
                }
            }
        };
    };
}

pub(crate) use insights_role;
