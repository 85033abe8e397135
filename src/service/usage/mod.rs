//! What language-model calls cost, and the daily budgets that cap it.
//!
//! Every call (an email written by the content provider, or any other purpose through
//! `ai::LanguageModel`) is recorded by the [`UsageRecorder`] as one `api_usage` row: ok, failed
//! (no tokens) or answered by the rendered template instead (fallback). Before a paid call the
//! recorder's [`Budgets`] say whether the workspace's and the campaign's budgets for the UTC day
//! allow it (see `budget` for how the day's spend is kept cheaply and correctly across
//! restarts). The template provider costs nothing and is neither checked nor recorded.
//!
//! Callers: the campaign actors and the API's preview through [`UsageRecorder::write_email`];
//! other purposes call [`UsageRecorder::allowance`] before and [`UsageRecorder::record_call`]
//! after their call.

mod budget;
mod recorder;

use std::time::Instant;

use chrono::{DateTime, Utc};

pub use budget::{BudgetSettings, Budgets, Exhausted, OnExhausted, REFRESH_EVERY};
pub use recorder::{CallSite, UsageRecorder};

use crate::content::{
    ContentError, ContentProvider, Generated, GenerationRequest, TemplateProvider,
};

/// What [`UsageRecorder::write_email`] produced.
#[derive(Clone, Debug, PartialEq)]
pub enum Written {
    /// The text to send (the provider's, or the rendered template after a fallback or when a
    /// budget is spent under `on_exhausted = "template"`).
    Text(Generated),
    /// A budget is spent and `on_exhausted = "wait"`: write it again at `until`.
    Wait {
        until: DateTime<Utc>,
        reason: String,
    },
}

impl UsageRecorder {
    /// One email by `provider` for `site`: checked against the budgets, recorded whatever its
    /// outcome.
    pub async fn write_email(
        &self,
        provider: &dyn ContentProvider,
        site: &CallSite,
        request: &GenerationRequest,
    ) -> Result<Written, ContentError> {
        if provider.name() == "template" {
            return provider.generate(request).await.map(Written::Text);
        }
        if let Err(spent) = self.allowance(site).await {
            return Ok(match spent.on_exhausted {
                OnExhausted::Template => Written::Text(Generated {
                    fallback_reason: Some(spent.to_string()),
                    ..TemplateProvider::draft(request)
                }),
                OnExhausted::Wait => Written::Wait {
                    until: spent.until,
                    reason: spent.to_string(),
                },
            });
        }
        let started = Instant::now();
        let result = provider.generate(request).await;
        let took = started.elapsed();
        match &result {
            Ok(generated) => {
                self.record_generated(site, provider.name(), generated, took)
                    .await
            }
            Err(e) => self.record_failure(site, provider.name(), e, took).await,
        }
        result.map(Written::Text)
    }
}
