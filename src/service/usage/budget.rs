//! Daily AI budgets, per workspace and per campaign, in US dollars, checked before every
//! paid call on the send path without a database read per message.
//!
//! How the day's spend is known:
//! - Memory holds, per workspace and per campaign, today's spend (UTC day) and when it was
//!   last read from the store. A check reads memory only; every completed call adds its cost
//!   there at once ([`Budgets::spent`]), before its `api_usage` row is written in a batch.
//! - The first check of a scope on a day, and any check once its figure is older than
//!   [`REFRESH_EVERY`], reads the stored sum (`Usage::spend_since` today 00:00 UTC, served by
//!   the `api_usage` time indexes) and keeps the larger of the stored and the remembered
//!   figure: the stored one includes calls by anything else writing `api_usage` (another
//!   process, the API's previews), the remembered one includes calls whose rows are still in
//!   the recorder's batch.
//! - So a restart loses nothing but rows not yet written (the recorder flushes as fast as the
//!   database takes them, and drains on shutdown): the first check after it reads the stored
//!   sum of the day. A new UTC day starts from zero.
//!
//! Calls already in flight when a budget is reached still complete and count: a budget may be
//! overshot by the calls in flight (`generation_concurrency` per campaign, and texts being
//! written ahead). A store error while refreshing keeps the remembered figure (a budget
//! guards cost, not data; it must not stop sending when the database blinks). Each exhaustion
//! logs one line and counts once in
//! `outreachd_ai_budget_exhausted_total{scope}` per budget and day, not per message.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CampaignId, WorkspaceId};
use crate::store::Store;
use crate::telemetry::BudgetMetrics;

/// How long a scope's spend read from the store is trusted before it is read again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);

/// What happens to an email once a budget is reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnExhausted {
    /// Send the rendered template (free): the sequence keeps its pace, less personalised.
    #[default]
    Template,
    /// Hold the step until the budget renews (00:00 UTC); it is not counted as an attempt.
    Wait,
}

/// `[budgets]`: daily spend limits on language-model calls. `Default` matches
/// `config/default.toml`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetSettings {
    /// Dollars a workspace may spend per UTC day, all campaigns and purposes together;
    /// 0 = unlimited.
    pub workspace_daily_usd: f64,
    /// Dollars each campaign may spend per UTC day; 0 = unlimited.
    pub campaign_daily_usd: f64,
    /// `"template"` or `"wait"`.
    pub on_exhausted: OnExhausted,
}

impl BudgetSettings {
    /// Problems, each prefixed with its key (for `Settings::validate`).
    pub fn validate(&self) -> Vec<String> {
        [
            ("budgets.workspace_daily_usd", self.workspace_daily_usd),
            ("budgets.campaign_daily_usd", self.campaign_daily_usd),
        ]
        .into_iter()
        .filter(|(_, usd)| !usd.is_finite() || *usd < 0.0)
        .map(|(key, _)| format!("{key}: must be zero (unlimited) or more"))
        .collect()
    }

    fn limit(&self, scope: Scope) -> f64 {
        match scope {
            Scope::Workspace(_) => self.workspace_daily_usd,
            Scope::Campaign(_) => self.campaign_daily_usd,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Scope {
    Workspace(WorkspaceId),
    Campaign(CampaignId),
}

/// A scope's spend today, as remembered.
struct Spend {
    day: NaiveDate,
    usd: f64,
    /// When the stored sum was last read (`None`: never today).
    read_at: Option<Instant>,
    /// The exhaustion of this day was logged and counted.
    reported: bool,
}

impl Spend {
    /// Nothing spent yet on `day`, nothing read from the store yet.
    fn fresh(day: NaiveDate) -> Self {
        Self {
            day,
            usd: 0.0,
            read_at: None,
            reported: false,
        }
    }
}

/// A budget that is spent for today.
#[derive(Clone, Debug, PartialEq)]
pub struct Exhausted {
    /// True for the campaign's budget, false for the workspace's.
    pub campaign: bool,
    pub limit_usd: f64,
    pub spent_usd: f64,
    /// When it renews: the next 00:00 UTC.
    pub until: DateTime<Utc>,
    pub on_exhausted: OnExhausted,
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} daily AI budget of ${:.2} is spent (${:.2} today); it renews at {}",
            if self.campaign {
                "campaign's"
            } else {
                "workspace's"
            },
            self.limit_usd,
            self.spent_usd,
            self.until.format("%Y-%m-%d %H:%M UTC"),
        )
    }
}

/// Today's spend per workspace and campaign (see the module's notes).
pub struct Budgets {
    settings: BudgetSettings,
    store: Arc<dyn Store>,
    spend: Mutex<HashMap<Scope, Spend>>,
    metrics: BudgetMetrics,
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

impl Budgets {
    pub fn new(settings: BudgetSettings, store: Arc<dyn Store>, metrics: BudgetMetrics) -> Self {
        Self {
            settings,
            store,
            spend: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    fn spend(&self) -> MutexGuard<'_, HashMap<Scope, Spend>> {
        // A panic while holding the lock leaves figures that are still valid.
        self.spend
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Ok` when neither the workspace's nor the campaign's budget is spent for today.
    pub async fn check(
        &self,
        ws: WorkspaceId,
        campaign: Option<CampaignId>,
        now: DateTime<Utc>,
    ) -> Result<(), Exhausted> {
        let scopes = [Some(Scope::Workspace(ws)), campaign.map(Scope::Campaign)];
        for scope in scopes.into_iter().flatten() {
            let limit = self.settings.limit(scope);
            if limit <= 0.0 {
                continue;
            }
            let spent = self.today(ws, scope, now).await;
            if spent >= limit {
                let exhausted = Exhausted {
                    campaign: matches!(scope, Scope::Campaign(_)),
                    limit_usd: limit,
                    spent_usd: spent,
                    until: midnight(
                        now.date_naive()
                            .checked_add_days(Days::new(1))
                            .unwrap_or(now.date_naive()),
                    ),
                    on_exhausted: self.settings.on_exhausted,
                };
                self.report(scope, &exhausted, now);
                return Err(exhausted);
            }
        }
        Ok(())
    }

    /// A call of the workspace (for the campaign) cost `usd`: counted now, before its row is
    /// stored.
    pub fn spent(
        &self,
        ws: WorkspaceId,
        campaign: Option<CampaignId>,
        usd: f64,
        now: DateTime<Utc>,
    ) {
        if !usd.is_finite() || usd <= 0.0 {
            return;
        }
        let today = now.date_naive();
        let mut spend = self.spend();
        let scopes = [Some(Scope::Workspace(ws)), campaign.map(Scope::Campaign)];
        for scope in scopes.into_iter().flatten() {
            // A scope not remembered yet reads its stored sum at its first check, which will
            // include this call once its row is written, or not yet: keep it remembered.
            let entry = spend.entry(scope).or_insert_with(|| Spend::fresh(today));
            if entry.day != today {
                *entry = Spend::fresh(today);
            }
            entry.usd += usd;
        }
    }

    /// The scope's spend today: remembered, or read from the store when not read recently.
    async fn today(&self, ws: WorkspaceId, scope: Scope, now: DateTime<Utc>) -> f64 {
        let today = now.date_naive();
        {
            let mut spend = self.spend();
            let entry = spend.entry(scope).or_insert_with(|| Spend::fresh(today));
            if entry.day != today {
                *entry = Spend::fresh(today);
            }
            if entry.read_at.is_some_and(|at| at.elapsed() < REFRESH_EVERY) {
                return entry.usd;
            }
            // Claimed now so that concurrent checks use the remembered figure meanwhile.
            entry.read_at = Some(Instant::now());
        }
        let campaign = match scope {
            Scope::Campaign(c) => Some(c),
            Scope::Workspace(_) => None,
        };
        let stored = self.store.spend_since(ws, campaign, midnight(today)).await;
        let mut spend = self.spend();
        let Some(entry) = spend.get_mut(&scope).filter(|e| e.day == today) else {
            return stored.unwrap_or(0.0);
        };
        match stored {
            Ok(usd) => entry.usd = entry.usd.max(usd),
            Err(e) => {
                tracing::warn!(error = %e, "Failed to read today's AI spend; the budget counts what this daemon remembers.");
            }
        }
        entry.usd
    }

    /// Logs and counts an exhaustion once per scope and day.
    fn report(&self, scope: Scope, exhausted: &Exhausted, now: DateTime<Utc>) {
        {
            let mut spend = self.spend();
            let Some(entry) = spend.get_mut(&scope) else {
                return;
            };
            if entry.reported || entry.day != now.date_naive() {
                return;
            }
            entry.reported = true;
        }
        self.metrics.exhausted(exhausted.campaign);
        let action = match exhausted.on_exhausted {
            OnExhausted::Template => "emails go out as rendered templates",
            OnExhausted::Wait => "emails wait",
        };
        match scope {
            Scope::Workspace(ws) => {
                tracing::warn!(workspace = %ws, limit_usd = exhausted.limit_usd, spent_usd = exhausted.spent_usd, until = %exhausted.until, "Workspace's daily AI budget is spent; {action} until it renews.");
            }
            Scope::Campaign(c) => {
                tracing::warn!(campaign = %c, limit_usd = exhausted.limit_usd, spent_usd = exhausted.spent_usd, until = %exhausted.until, "Campaign's daily AI budget is spent; {action} until it renews.");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matches_the_documented_defaults() {
        let file: toml::Table = toml::from_str(include_str!("../../../config/default.toml"))
            .expect("config/default.toml parses");
        let documented: BudgetSettings = file["budgets"]
            .clone()
            .try_into()
            .expect("a valid [budgets] section");
        assert_eq!(documented, BudgetSettings::default());
    }

    #[test]
    fn negative_or_non_finite_budgets_are_problems() {
        let s = BudgetSettings {
            workspace_daily_usd: -1.0,
            campaign_daily_usd: f64::NAN,
            on_exhausted: OnExhausted::Wait,
        };
        assert_eq!(s.validate().len(), 2, "{:?}", s.validate());
        assert!(BudgetSettings::default().validate().is_empty());
    }
}
