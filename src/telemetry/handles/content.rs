//! Handles for content generation, for the configured provider and the template fallback.

use std::time::Duration;

use metrics::{Counter, Histogram, counter, histogram};

use crate::telemetry::catalogue::content::{
    BUDGET_EXHAUSTED, COST, GENERATION, GENERATIONS, QUALITY_FAILURES, READY, TOKENS,
    USAGE_WRITE_FAILURES, WAIT,
};

/// How one generation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenerationResult {
    Ok,
    /// A temporary provider error; the step is retried later.
    Retry,
    /// A permanent error (or the last attempt); the step fails.
    Failed,
}

/// When a claimed step's text was written, with a model writing the texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextReadiness {
    /// Stored before the claim: the mailbox did not wait.
    Ahead,
    /// Being written ahead when claimed: the claim waited for it.
    Waited,
    /// Written after the claim: the mailbox waited on the model.
    AtClaim,
}

struct ProviderHandles {
    seconds: Histogram,
    ok: Counter,
    retry: Counter,
    failed: Counter,
    fallback: Counter,
    prompt_tokens: Counter,
    completion_tokens: Counter,
    cost: Counter,
}

impl ProviderHandles {
    fn new(provider: &'static str) -> Self {
        let result = |r: &'static str| counter!(GENERATIONS, "provider" => provider, "result" => r);
        Self {
            seconds: histogram!(GENERATION, "provider" => provider),
            ok: result("ok"),
            retry: result("retry"),
            failed: result("failed"),
            fallback: result("fallback"),
            prompt_tokens: counter!(TOKENS, "provider" => provider, "kind" => "prompt"),
            completion_tokens: counter!(TOKENS, "provider" => provider, "kind" => "completion"),
            cost: counter!(COST, "provider" => provider),
        }
    }
}

/// Built once per daemon (content generation runs in many short tasks).
pub struct ContentMetrics {
    configured_is_template: bool,
    configured: ProviderHandles,
    template: ProviderHandles,
    ahead: Counter,
    waited: Counter,
    at_claim: Counter,
    wait: Histogram,
}

impl ContentMetrics {
    pub(super) fn new(provider: &'static str) -> Self {
        Self {
            configured_is_template: provider == "template",
            configured: ProviderHandles::new(provider),
            template: ProviderHandles::new("template"),
            ahead: counter!(READY, "when" => "ahead"),
            waited: counter!(READY, "when" => "waited"),
            at_claim: counter!(READY, "when" => "at_claim"),
            wait: histogram!(WAIT),
        }
    }

    /// A claimed step's text was ready `when`, after the claim waited `waited` for it.
    pub fn ready(&self, when: TextReadiness, waited: Duration) {
        match when {
            TextReadiness::Ahead => self.ahead.increment(1),
            TextReadiness::Waited => self.waited.increment(1),
            TextReadiness::AtClaim => self.at_claim.increment(1),
        }
        self.wait.record(waited.as_secs_f64());
    }

    /// A generation by the configured provider ended with `result` after `took`.
    pub fn generated(&self, result: GenerationResult, took: Duration) {
        let h = &self.configured;
        h.seconds.record(took.as_secs_f64());
        match result {
            GenerationResult::Ok => h.ok.increment(1),
            GenerationResult::Retry => h.retry.increment(1),
            GenerationResult::Failed => h.failed.increment(1),
        }
    }

    /// The text came from `provider` (the configured one, or `"template"` after a fallback)
    /// and used these tokens and this much money.
    pub fn usage(&self, provider: &str, prompt_tokens: u32, completion_tokens: u32, cost_usd: f64) {
        let h = if provider == "template" && !self.configured_is_template {
            self.configured.fallback.increment(1);
            &self.template
        } else {
            &self.configured
        };
        h.prompt_tokens.increment(u64::from(prompt_tokens));
        h.completion_tokens.increment(u64::from(completion_tokens));
        if cost_usd.is_finite() && cost_usd > 0.0 {
            h.cost.increment((cost_usd * 1e6).round() as u64);
        }
    }
}

/// Budgets reached and usage rows lost, for the usage recorder (built once per daemon).
#[derive(Clone)]
pub struct BudgetMetrics {
    workspace: Counter,
    campaign: Counter,
    write_failures: Counter,
}

/// The handles; in a CLI process (no metrics recorder installed) they are no-ops.
impl Default for BudgetMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl BudgetMetrics {
    pub(super) fn new() -> Self {
        Self {
            workspace: counter!(BUDGET_EXHAUSTED, "scope" => "workspace"),
            campaign: counter!(BUDGET_EXHAUSTED, "scope" => "campaign"),
            write_failures: counter!(USAGE_WRITE_FAILURES),
        }
    }

    /// A workspace's (`campaign == false`) or a campaign's daily budget was reached.
    pub fn exhausted(&self, campaign: bool) {
        if campaign {
            self.campaign.increment(1);
        } else {
            self.workspace.increment(1);
        }
    }

    /// `rows` usage rows could not be stored.
    pub fn write_failed(&self, rows: usize) {
        self.write_failures.increment(rows as u64);
    }
}

/// Quality gate failures by reason (the reasons are a closed set: `content::Defect::reason`).
#[derive(Clone)]
pub struct QualityMetrics {
    by_reason: std::sync::Arc<[(&'static str, Counter)]>,
}

impl QualityMetrics {
    /// Built by the quality gate wrapper when the content provider is built (before any
    /// [`super::Metrics`] handle exists; the handles register with the global recorder).
    pub fn new(reasons: &[&'static str]) -> Self {
        Self {
            by_reason: reasons
                .iter()
                .map(|r| (*r, counter!(QUALITY_FAILURES, "reason" => *r)))
                .collect(),
        }
    }

    /// A generated email failed the gate named `reason`.
    pub fn failed(&self, reason: &str) {
        if let Some((_, c)) = self.by_reason.iter().find(|(r, _)| *r == reason) {
            c.increment(1);
        }
    }
}
