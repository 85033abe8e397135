//! `ContentProvider`: turns a rendered draft into the subject and body that are sent, and says
//! what to store about it (provider, model, tokens, cost) in `generated_messages`.
//!
//! `TemplateProvider` returns the draft as it is. `ModelProvider` (in `model.rs`) asks a
//! language model of the `ai` registry to personalise it. `FallbackProvider` wraps a provider and answers with the draft when it fails,
//! for `on_failure = "template"`. Providers never touch the store; the caller stores the result
//! before sending, so a retried step re-sends the stored text instead of generating anew.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use super::context::RenderContext;
use super::error::ContentError;
use super::model::ModelProvider;
use super::routed::RoutedProvider;
use super::settings::{ContentSettings, OnFailure};
use super::template::{Draft, normalize_subject};
use crate::ai::Models;

/// Everything a provider needs to write one email.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationRequest {
    /// The step's templates, rendered for this lead.
    pub draft: Draft,
    /// True for a follow-up sent in the thread ("Re: …"): the subject must not change.
    pub keep_subject: bool,
    /// The step's AI instructions, if any.
    pub ai_instructions: Option<String>,
    /// Lead, custom fields, persona, product, campaign (with its goal) and sender.
    pub context: RenderContext,
    /// The campaign's own provider and model, when it names them (`ai_provider`, `ai_model`).
    pub ai: crate::domain::CampaignAi,
    /// A tone asked for this text (a preview's `tone`: "warmer", "more formal"); language
    /// models follow it, the template ignores it.
    pub tone: Option<String>,
}

/// What was generated, and what to store about it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Generated {
    /// One line (see [`normalize_subject`]).
    pub subject: String,
    pub body: String,
    /// Name of the provider that wrote this text (`"template"` after a fallback).
    pub provider: String,
    pub model: Option<String>,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub cost_usd: f64,
    /// Why the configured provider was bypassed, when the template was used as a fallback.
    pub fallback_reason: Option<String>,
}

#[async_trait]
pub trait ContentProvider: Send + Sync {
    /// Short, stable name: stored with each message and used as a metric label.
    fn name(&self) -> &'static str;

    async fn generate(&self, req: &GenerationRequest) -> Result<Generated, ContentError>;
}

/// Sends the rendered template as written.
#[derive(Clone, Copy, Debug, Default)]
pub struct TemplateProvider;

impl TemplateProvider {
    pub fn draft(req: &GenerationRequest) -> Generated {
        Generated {
            subject: normalize_subject(&req.draft.subject),
            body: req.draft.body.clone(),
            provider: "template".into(),
            model: None,
            prompt_tokens: 0,
            completion_tokens: 0,
            cost_usd: 0.0,
            fallback_reason: None,
        }
    }
}

#[async_trait]
impl ContentProvider for TemplateProvider {
    fn name(&self) -> &'static str {
        "template"
    }

    async fn generate(&self, req: &GenerationRequest) -> Result<Generated, ContentError> {
        Ok(Self::draft(req))
    }
}

/// Uses `primary`, and the rendered template when `primary` fails (after its own retries).
pub struct FallbackProvider {
    primary: Arc<dyn ContentProvider>,
}

impl FallbackProvider {
    pub fn new(primary: Arc<dyn ContentProvider>) -> Self {
        Self { primary }
    }
}

#[async_trait]
impl ContentProvider for FallbackProvider {
    fn name(&self) -> &'static str {
        self.primary.name()
    }

    async fn generate(&self, req: &GenerationRequest) -> Result<Generated, ContentError> {
        match self.primary.generate(req).await {
            Ok(generated) => Ok(generated),
            Err(error) => {
                tracing::warn!(
                    provider = self.primary.name(),
                    error = %error,
                    "Content provider failed; sending the rendered template instead."
                );
                Ok(Generated {
                    fallback_reason: Some(error.to_string()),
                    ..TemplateProvider::draft(req)
                })
            }
        }
    }
}

/// The provider the settings ask for, wrapped in a fallback when `on_failure = "template"`,
/// and routing campaigns that name their own provider or model to it (see `routed.rs`).
/// A configured provider without its key is an error naming it
/// (`"Anthropic API key not configured"`).
pub fn build_provider(
    settings: &ContentSettings,
    models: &Arc<Models>,
) -> Result<Arc<dyn ContentProvider>, ContentError> {
    let configured: Arc<dyn ContentProvider> = match settings.provider.model_provider() {
        None => Arc::new(TemplateProvider),
        Some(provider) => {
            let model = models.model(provider, settings.model.as_deref())?;
            let writer: Arc<dyn ContentProvider> = Arc::new(ModelProvider::new(model));
            match settings.on_failure {
                OnFailure::Template => Arc::new(FallbackProvider::new(writer)),
                OnFailure::Fail => writer,
            }
        }
    };
    Ok(Arc::new(RoutedProvider::new(
        configured,
        settings,
        models.clone(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Broken;

    #[async_trait]
    impl ContentProvider for Broken {
        fn name(&self) -> &'static str {
            "broken"
        }
        async fn generate(&self, _: &GenerationRequest) -> Result<Generated, ContentError> {
            Err(ContentError::Timeout {
                provider: "broken",
                after: std::time::Duration::from_secs(1),
            })
        }
    }

    fn request() -> GenerationRequest {
        GenerationRequest {
            draft: Draft {
                subject: "Hi\nthere".into(),
                body: "Body".into(),
            },
            keep_subject: false,
            ai_instructions: None,
            context: RenderContext::default(),
            ai: Default::default(),
            tone: None,
        }
    }

    #[tokio::test]
    async fn the_template_provider_returns_the_draft_with_a_one_line_subject() {
        let generated = TemplateProvider.generate(&request()).await.unwrap();
        assert_eq!(
            (generated.subject.as_str(), generated.body.as_str()),
            ("Hi there", "Body")
        );
        assert_eq!(
            (generated.provider.as_str(), generated.cost_usd),
            ("template", 0.0)
        );
    }

    #[tokio::test]
    async fn a_failing_provider_falls_back_to_the_template_with_the_reason() {
        let generated = FallbackProvider::new(Arc::new(Broken))
            .generate(&request())
            .await
            .unwrap();
        assert_eq!(generated.provider, "template");
        assert_eq!(
            generated.fallback_reason.as_deref(),
            Some("broken: no answer within 1s")
        );
    }

    #[test]
    fn the_default_settings_build_the_template_provider() {
        let models = Arc::new(Models::new(&crate::ai::AiSettings::default()).unwrap());
        assert_eq!(
            build_provider(&ContentSettings::default(), &models)
                .unwrap()
                .name(),
            "template"
        );
    }

    #[test]
    fn a_model_provider_without_its_key_is_an_error_naming_it() {
        let models = Arc::new(Models::new(&crate::ai::AiSettings::default()).unwrap());
        let settings = ContentSettings {
            provider: super::super::settings::ProviderKind::Anthropic,
            ..ContentSettings::default()
        };
        let error = build_provider(&settings, &models)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("Anthropic API key not configured (set OUTREACHD__AI__ANTHROPIC__API_KEY)")
        );
    }
}
