//! `api_usage`, written once for both backends as default methods of [`UsageSql`];
//! [`usage_role!`] stamps the `Usage` impl for each store.
//!
//! Rows are few (one per language-model call, each taking a second or more), so a batch is
//! one insert per row inside one transaction. The sums read `api_usage_workspace_time` (a
//! workspace's spend) and `api_usage_campaign_time` (a campaign's spend, steps and leads).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Bound, Dialect};
use crate::domain::{
    CampaignCost, CampaignId, LeadId, StepCost, UsageRecord, WorkspaceId, round_usd,
};
use crate::store::{QueryContext, StoreError};

/// Longest error text kept with a call (provider errors can quote whole answers).
const MAX_ERROR_CHARS: usize = 500;

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Usage statements over one connection of the backend `Self`.
pub(crate) trait UsageSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'q> uuid::Uuid: Bound<'q, Self>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> LeadId: Bound<'q, Self>,
    for<'q> Option<CampaignId>: Bound<'q, Self>,
    for<'q> Option<LeadId>: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> Option<i32>: Bound<'q, Self>,
    for<'q> f64: Bound<'q, Self>,
    for<'r> (f64, f64, i64, i64): sqlx::FromRow<'r, Self::Row>,
    for<'r> (i32, f64): sqlx::FromRow<'r, Self::Row>,
    for<'r> (LeadId, f64): sqlx::FromRow<'r, Self::Row>,
    for<'r> (f64,): sqlx::FromRow<'r, Self::Row>,
{
    async fn record_usage(
        conn: &mut Self::Connection,
        records: &[UsageRecord],
    ) -> Result<(), StoreError> {
        for r in records {
            let error = r
                .error
                .as_ref()
                .map(|e| e.chars().take(MAX_ERROR_CHARS).collect::<String>());
            sqlx::query(
                "INSERT INTO api_usage (id, workspace_id, campaign_id, lead_id, step_order, \
                     purpose, provider, model, prompt_tokens, completion_tokens, cost_usd, \
                     latency_ms, outcome, error, occurred_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(r.workspace_id)
            .bind(r.campaign_id)
            .bind(r.lead_id)
            .bind(r.step_order.map(|s| i32::try_from(s).unwrap_or(i32::MAX)))
            .bind(r.purpose.as_str().to_owned())
            .bind(r.provider.clone())
            .bind(r.model.clone())
            .bind(i64::from(r.prompt_tokens))
            .bind(i64::from(r.completion_tokens))
            .bind(if r.cost_usd.is_finite() {
                r.cost_usd
            } else {
                0.0
            })
            .bind(i64::try_from(r.latency.as_millis()).unwrap_or(i64::MAX))
            .bind(r.outcome.as_str().to_owned())
            .bind(error)
            .bind(Self::time(r.occurred_at))
            .execute(&mut *conn)
            .await
            .ctx("record a language-model call")?;
        }
        Ok(())
    }

    async fn spend_since(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: Option<CampaignId>,
        since: DateTime<Utc>,
    ) -> Result<f64, StoreError> {
        let query = match campaign {
            Some(campaign) => sqlx::query_as(
                "SELECT COALESCE(SUM(cost_usd), 0.0) FROM api_usage \
                 WHERE campaign_id = $2 AND occurred_at >= $3 AND workspace_id = $1",
            )
            .bind(ws)
            .bind(campaign),
            None => sqlx::query_as(
                "SELECT COALESCE(SUM(cost_usd), 0.0) FROM api_usage \
                 WHERE workspace_id = $1 AND occurred_at >= $2",
            )
            .bind(ws),
        };
        let (spent,): (f64,) = query
            .bind(Self::time(since))
            .fetch_one(conn)
            .await
            .ctx("sum the spend on language models")?;
        Ok(round_usd(spent))
    }

    async fn campaign_cost(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        today: DateTime<Utc>,
    ) -> Result<CampaignCost, StoreError> {
        let (total, today_usd, calls, leads): (f64, f64, i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(cost_usd), 0.0), \
                 COALESCE(SUM(CASE WHEN occurred_at >= $3 THEN cost_usd ELSE 0.0 END), 0.0), \
                 count(*), count(DISTINCT lead_id) \
             FROM api_usage WHERE campaign_id = $2 AND workspace_id = $1",
        )
        .bind(ws)
        .bind(campaign)
        .bind(Self::time(today))
        .fetch_one(&mut *conn)
        .await
        .ctx("sum a campaign's cost")?;
        let steps: Vec<(i32, f64)> = sqlx::query_as(
            "SELECT step_order, COALESCE(SUM(cost_usd), 0.0) FROM api_usage \
             WHERE campaign_id = $2 AND workspace_id = $1 AND step_order IS NOT NULL \
             GROUP BY step_order ORDER BY step_order",
        )
        .bind(ws)
        .bind(campaign)
        .fetch_all(conn)
        .await
        .ctx("sum a campaign's cost per step")?;
        let cost = CampaignCost {
            total_usd: round_usd(total),
            today_usd: round_usd(today_usd),
            calls: count(calls),
            leads: count(leads),
            per_lead_usd: 0.0,
            steps: steps
                .into_iter()
                .filter_map(|(step, usd)| {
                    Some(StepCost {
                        step: u32::try_from(step).ok()?,
                        cost_usd: round_usd(usd),
                    })
                })
                .collect(),
        };
        Ok(cost.with_average())
    }

    async fn lead_costs(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        leads: &[LeadId],
    ) -> Result<HashMap<LeadId, f64>, StoreError> {
        if leads.is_empty() {
            return Ok(HashMap::new());
        }
        // One placeholder per lead ($3, $4, ...): both dialects read the list the same way.
        let list: Vec<String> = (0..leads.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT lead_id, COALESCE(SUM(cost_usd), 0.0) FROM api_usage \
             WHERE campaign_id = $2 AND workspace_id = $1 AND lead_id IN ({}) \
             GROUP BY lead_id",
            list.join(", ")
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(ws)
            .bind(campaign);
        for lead in leads {
            query = query.bind(*lead);
        }
        let rows: Vec<(LeadId, f64)> = query.fetch_all(conn).await.ctx("sum the cost of leads")?;
        Ok(rows
            .into_iter()
            .map(|(lead, usd)| (lead, round_usd(usd)))
            .collect())
    }
}

impl UsageSql for sqlx::Postgres {}
impl UsageSql for sqlx::Sqlite {}

/// Stamps the `Usage` impl for `$store` over the sqlx database `$db`.
macro_rules! usage_role {
    ($store:ty, $db:ty) => {
        const _: () = {
            use std::collections::HashMap;

            use async_trait::async_trait;
            use chrono::{DateTime, Utc};

            use $crate::domain::{CampaignCost, CampaignId, LeadId, UsageRecord, WorkspaceId};
            use $crate::store::sql::usage::UsageSql;
            use $crate::store::{StoreError, Usage};

            type Sql = $db;

            #[async_trait]
            impl Usage for $store {
                async fn record_usage(&self, records: &[UsageRecord]) -> Result<(), StoreError> {
                    if records.is_empty() {
                        return Ok(());
                    }
                    let mut tx = self.begin_write().await?;
                    Sql::record_usage(tx.conn(), records).await?;
                    tx.commit().await
                }

                async fn spend_since(
                    &self,
                    ws: WorkspaceId,
                    campaign: Option<CampaignId>,
                    since: DateTime<Utc>,
                ) -> Result<f64, StoreError> {
                    Sql::spend_since(&mut *self.read().await?, ws, campaign, since).await
                }

                async fn campaign_cost(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    today: DateTime<Utc>,
                ) -> Result<CampaignCost, StoreError> {
                    Sql::campaign_cost(&mut *self.read().await?, ws, campaign, today).await
                }

                async fn lead_costs(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    leads: &[LeadId],
                ) -> Result<HashMap<LeadId, f64>, StoreError> {
                    Sql::lead_costs(&mut *self.read().await?, ws, campaign, leads).await
                }
            }
        };
    };
}

pub(crate) use usage_role;
