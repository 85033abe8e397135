//! Company insights: what a model finds about the company behind a lead's domain, asked once
//! per (workspace, domain), stored with a TTL and given to every email of that company's leads
//! (the prompt's inputs and `{{ insight.* }}` in templates).
//!
//! [`Insights::for_lead`] is what generation calls: a fresh stored insight, else one asked for
//! now, bounded by the provider's timeout; any failure (disabled, no key, provider down, bad
//! answer) only leaves the insight out, it never fails or delays a send further. One question
//! per (workspace, domain) is in flight at a time: leads of one company written together wait
//! for the first question instead of asking again. `show` and `refresh` serve the CLI and the
//! API. Every question is checked against the daily budgets (a spent one leaves the insight out)
//! and recorded as one `api_usage` row (purpose `insight`).

mod ask;
mod settings;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{SubsecRound, Utc};

pub use settings::InsightSettings;

use crate::ai::{CallUsage, Models, ProviderName, Purpose};
use crate::content::ContentError;
use crate::domain::{
    CompanyInsight, Lead, LeadId, UsageOutcome, WorkspaceId, company_domain, normalize_domain,
};
use crate::service::usage::{CallSite, UsageRecorder};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum InsightError {
    #[error("company insights are disabled (set insights.enabled = true)")]
    Disabled,
    #[error("{domain:?} is {reason}")]
    BadDomain {
        domain: String,
        reason: &'static str,
    },
    #[error("no insight on {0} yet; ask for one with refresh")]
    NotFound(String),
    #[error("no insight now: {0}")]
    Budget(String),
    #[error("the insight provider failed: {0}")]
    Provider(#[from] ContentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new insight and what asking for it cost.
#[derive(Clone, Debug)]
pub struct Refreshed {
    pub insight: CompanyInsight,
    pub usage: CallUsage,
}

type Key = (WorkspaceId, String);

pub struct Insights {
    settings: InsightSettings,
    models: Arc<Models>,
    usage: Arc<UsageRecorder>,
    /// The longest `for_lead` waits for a new insight: the provider's timeout for one attempt.
    wait: Duration,
    /// One lock per (workspace, domain) being asked about, removed when the question ends.
    asking: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for Insights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Insights")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Insights {
    /// `models` is the daemon's registry; the provider's timeout bounds what `for_lead` adds to
    /// a send.
    pub fn new(
        settings: InsightSettings,
        models: Arc<Models>,
        ai: &crate::ai::AiSettings,
        usage: Arc<UsageRecorder>,
    ) -> Self {
        Self {
            wait: ai.provider(settings.provider).timeout.as_duration(),
            settings,
            models,
            usage,
            asking: Mutex::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.settings.enabled
    }

    /// The stored insight on `domain`, fresh or expired.
    pub async fn show(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        domain: &str,
    ) -> Result<CompanyInsight, InsightError> {
        let domain = domain_arg(domain)?;
        store
            .company_insight(ws, &domain)
            .await?
            .ok_or(InsightError::NotFound(domain))
    }

    /// Asks the model about `domain` now and stores the answer, whatever is stored.
    pub async fn refresh(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        domain: &str,
    ) -> Result<Refreshed, InsightError> {
        if !self.settings.enabled {
            return Err(InsightError::Disabled);
        }
        let domain = domain_arg(domain)?;
        let lock = self.lock(ws, &domain);
        let refreshed = {
            let _asking = lock.lock().await;
            self.ask(store, ws, &domain, None).await
        };
        self.unlock(ws, &domain, lock);
        refreshed
    }

    /// The insight on `lead`'s company for its emails: the stored one while fresh, else a new
    /// one within the provider's timeout. `None` when disabled, for a lead without a company
    /// domain, and on any failure (logged).
    pub async fn for_lead(&self, store: &dyn Store, lead: &Lead) -> Option<CompanyInsight> {
        if !self.settings.enabled {
            return None;
        }
        let domain = company_domain(lead)?;
        let ws = lead.workspace_id;
        let fresh = self.fresh(store, ws, &domain, lead.id);
        match tokio::time::timeout(self.wait, fresh).await {
            Ok(Ok(insight)) => Some(insight),
            Ok(Err(error)) => {
                tracing::warn!(domain = %domain, error = %error, "Company insight left out.");
                None
            }
            Err(_) => {
                tracing::warn!(
                    domain = %domain,
                    timeout_ms = u64::try_from(self.wait.as_millis()).unwrap_or(u64::MAX),
                    "Company insight left out: the provider did not answer in time."
                );
                None
            }
        }
    }

    /// The stored insight while fresh, else a new one (asked once for concurrent callers).
    async fn fresh(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        domain: &str,
        lead: LeadId,
    ) -> Result<CompanyInsight, InsightError> {
        if let Some(stored) = fresh_stored(store, ws, domain).await? {
            return Ok(stored);
        }
        let lock = self.lock(ws, domain);
        let result = async {
            let _asking = lock.lock().await;
            // Another caller may have asked while this one waited for the lock.
            if let Some(stored) = fresh_stored(store, ws, domain).await? {
                return Ok(stored);
            }
            self.ask(store, ws, domain, Some(lead))
                .await
                .map(|r| r.insight)
        }
        .await;
        self.unlock(ws, domain, lock);
        result
    }

    async fn ask(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        domain: &str,
        lead: Option<LeadId>,
    ) -> Result<Refreshed, InsightError> {
        let site = CallSite {
            lead,
            ..CallSite::for_purpose(ws, Purpose::Insight)
        };
        if let Err(spent) = self.usage.allowance(&site).await {
            return Err(InsightError::Budget(spent.to_string()));
        }
        let request = ask::request(domain);
        let model = self.settings.model();
        let started = Instant::now();
        // A model that cannot be built (no key) is a setting to fix, not a call: no row.
        let called = if self.settings.provider == ProviderName::Perplexity {
            let perplexity = self.models.perplexity(model)?;
            perplexity.research(&request).await
        } else {
            let model = self.models.model(self.settings.provider, model)?;
            let answer = model.complete_json(&request).await;
            answer.map(|a| (a, Vec::new()))
        };
        let (answer, sources) = match called {
            Ok(done) => done,
            Err(e) => {
                let provider = self.settings.provider.as_str();
                self.usage
                    .record_failure(&site, provider, &e, started.elapsed())
                    .await;
                return Err(e.into());
            }
        };
        let usage = answer.usage.clone();
        let facts = match ask::facts(answer.value, sources) {
            Ok(facts) => {
                self.usage
                    .record_call(&site, &usage, UsageOutcome::Ok, None)
                    .await;
                facts
            }
            Err(detail) => {
                // Paid for, but not an insight: the row keeps its tokens and says why.
                let e = ContentError::BadAnswer {
                    provider: usage.provider,
                    detail,
                };
                self.usage
                    .record_call(&site, &usage, UsageOutcome::Error, Some(&e))
                    .await;
                return Err(e.into());
            }
        };
        // Microseconds: what both backends keep, so the answer equals what is read back.
        let now = Utc::now().trunc_subsecs(6);
        let insight = CompanyInsight {
            domain: domain.to_owned(),
            facts,
            provider: answer.usage.provider.to_owned(),
            model: answer.usage.model.clone(),
            fetched_at: now,
            expires_at: now + self.settings.ttl.to_chrono(),
        };
        store.save_company_insight(ws, &insight).await?;
        tracing::info!(
            domain = %domain,
            provider = answer.usage.provider,
            model = %answer.usage.model,
            "Company insight stored."
        );
        Ok(Refreshed { insight, usage })
    }

    fn lock(&self, ws: WorkspaceId, domain: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut asking = self.asking.lock().unwrap_or_else(|p| p.into_inner());
        asking.entry((ws, domain.to_owned())).or_default().clone()
    }

    /// Forgets the lock of (ws, domain) once nobody else holds a handle to it.
    fn unlock(&self, ws: WorkspaceId, domain: &str, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut asking = self.asking.lock().unwrap_or_else(|p| p.into_inner());
        let key = (ws, domain.to_owned());
        // Two handles: the map's and `lock`.
        if asking.get(&key).is_some_and(|l| Arc::strong_count(l) <= 2) {
            asking.remove(&key);
        }
        drop(lock);
    }
}

/// The stored insight on `domain` unless it expired.
async fn fresh_stored(
    store: &dyn Store,
    ws: WorkspaceId,
    domain: &str,
) -> Result<Option<CompanyInsight>, StoreError> {
    let stored = store.company_insight(ws, domain).await?;
    Ok(stored.filter(|i| i.is_fresh(Utc::now())))
}

fn domain_arg(domain: &str) -> Result<String, InsightError> {
    normalize_domain(domain).map_err(|reason| InsightError::BadDomain {
        domain: domain.to_owned(),
        reason,
    })
}
