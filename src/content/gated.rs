//! `GatedProvider`: runs the quality gates (`content::quality`) on what a provider wrote,
//! before the email takes a sending slot.
//!
//! - A model's answer must pass every gate. A refused answer is asked for once more; a second
//!   refusal (or a failure of that second call) ends per `[content.quality] on_failure`: the
//!   rendered template goes out instead (`"template"`, the defect stored as the fallback
//!   reason), or the step fails with the defect (`"fail"`).
//! - The template's own text (the template provider's, or the fallback after a model failed)
//!   is the operator's words: it is not asked again, and only the placeholder gate applies:
//!   an email that would greet "[First Name]" fails its step with the placeholder named,
//!   whoever wrote it. Length and banned phrases are the operator's call in their own text.
//!
//! What the refused answers cost is added to the answer that is used (or carried by the
//! error), so `api_usage` and the stored message count every call. Each refusal counts in
//! `outreachd_content_quality_failures_total{reason}`.

use std::sync::Arc;

use async_trait::async_trait;

use super::error::{ContentError, TemplatePart};
use super::provider::{ContentProvider, Generated, GenerationRequest, TemplateProvider};
use super::quality::{self, Defect, QualitySettings};
use super::settings::OnFailure;
use crate::telemetry::QualityMetrics;

/// Tokens and dollars of answers that were not used.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Spent {
    prompt_tokens: u32,
    completion_tokens: u32,
    cost_usd: f64,
}

impl Spent {
    fn of(g: &Generated) -> Self {
        Self {
            prompt_tokens: g.prompt_tokens,
            completion_tokens: g.completion_tokens,
            cost_usd: g.cost_usd,
        }
    }

    /// `g` with these costs added to its own.
    fn onto(self, mut g: Generated) -> Generated {
        g.prompt_tokens = g.prompt_tokens.saturating_add(self.prompt_tokens);
        g.completion_tokens = g.completion_tokens.saturating_add(self.completion_tokens);
        g.cost_usd += self.cost_usd;
        g
    }

    fn rejected(self, defect: Defect) -> ContentError {
        ContentError::Rejected {
            defect,
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            cost_usd: self.cost_usd,
        }
    }
}

fn from_template(g: &Generated) -> bool {
    g.provider == "template"
}

fn placeholders(g: &Generated) -> Result<(), Defect> {
    quality::placeholder(TemplatePart::Subject, &g.subject)?;
    quality::placeholder(TemplatePart::Body, &g.body)
}

/// Wraps a provider with the quality gates (see the module's notes).
pub struct GatedProvider {
    inner: Arc<dyn ContentProvider>,
    settings: QualitySettings,
    metrics: QualityMetrics,
}

impl GatedProvider {
    pub fn new(inner: Arc<dyn ContentProvider>, settings: QualitySettings) -> Self {
        Self {
            inner,
            settings,
            metrics: QualityMetrics::new(Defect::REASONS),
        }
    }

    /// The gates `g` is held to: all of them for a model's text, placeholders for a template's.
    fn verdict(&self, g: &Generated, req: &GenerationRequest) -> Result<(), Defect> {
        let result = if from_template(g) {
            placeholders(g)
        } else {
            let banned = &req.context.campaign.banned_phrases;
            quality::check(&g.subject, &g.body, &self.settings, banned)
        };
        if let Err(defect) = &result {
            self.metrics.failed(defect.reason());
        }
        result
    }

    /// The model was refused twice (or failed on the second try): the template, or the
    /// defect as the step's failure.
    fn give_up(
        &self,
        req: &GenerationRequest,
        defect: Defect,
        spent: Spent,
    ) -> Result<Generated, ContentError> {
        if self.settings.on_failure == OnFailure::Fail {
            return Err(spent.rejected(defect));
        }
        let template = TemplateProvider::draft(req);
        if let Err(own) = placeholders(&template) {
            self.metrics.failed(own.reason());
            return Err(spent.rejected(own));
        }
        Ok(spent.onto(Generated {
            fallback_reason: Some(format!("quality gate: {defect}")),
            ..template
        }))
    }
}

#[async_trait]
impl ContentProvider for GatedProvider {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    async fn generate(&self, req: &GenerationRequest) -> Result<Generated, ContentError> {
        let first = self.inner.generate(req).await?;
        let defect = match self.verdict(&first, req) {
            Ok(()) => return Ok(first),
            Err(defect) if from_template(&first) => {
                return Err(Spent::of(&first).rejected(defect));
            }
            Err(defect) => defect,
        };
        let spent = Spent::of(&first);
        let second = match self.inner.generate(req).await {
            Ok(second) => second,
            Err(_) => return self.give_up(req, defect, spent),
        };
        match self.verdict(&second, req) {
            Ok(()) => Ok(spent.onto(second)),
            Err(defect) if from_template(&second) => {
                Err(Spent::of(&spent.onto(second)).rejected(defect))
            }
            Err(defect) => self.give_up(req, defect, Spent::of(&spent.onto(second))),
        }
    }
}

#[cfg(test)]
mod tests;
