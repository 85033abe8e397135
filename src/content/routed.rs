//! `RoutedProvider`: the daemon's content provider. A campaign that names its own provider or
//! model (`ai_provider`, `ai_model`) is written by that model; every other campaign by the
//! configured `[content]` provider. `on_failure` applies to both.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::error::ContentError;
use super::model::ModelProvider;
use super::provider::{
    ContentProvider, FallbackProvider, Generated, GenerationRequest, TemplateProvider,
};
use super::settings::{ContentSettings, OnFailure};
use crate::ai::{Models, ProviderName};

type Key = (ProviderName, Option<String>);

pub struct RoutedProvider {
    configured: Arc<dyn ContentProvider>,
    settings: ContentSettings,
    models: Arc<Models>,
    /// One writer per (provider, model) a campaign asked for, built on first use.
    writers: Mutex<HashMap<Key, Arc<dyn ContentProvider>>>,
}

impl RoutedProvider {
    pub fn new(
        configured: Arc<dyn ContentProvider>,
        settings: &ContentSettings,
        models: Arc<Models>,
    ) -> Self {
        Self {
            configured,
            settings: settings.clone(),
            models,
            writers: Mutex::default(),
        }
    }

    /// The writer for a campaign's choice; `None` for the configured provider.
    fn writer(
        &self,
        req: &GenerationRequest,
    ) -> Option<Result<Arc<dyn ContentProvider>, ContentError>> {
        let configured = self.settings.provider.model_provider();
        // A model alone applies to the configured provider; with the template there is none.
        let provider = req.ai.provider.or(configured)?;
        let same = Some(provider) == configured;
        let model = match &req.ai.model {
            Some(model) => Some(model.clone()),
            None if same => self.settings.model.clone(),
            None => None,
        };
        if same && model == self.settings.model {
            return None;
        }
        Some(self.cached(provider, model))
    }

    fn cached(
        &self,
        provider: ProviderName,
        model: Option<String>,
    ) -> Result<Arc<dyn ContentProvider>, ContentError> {
        let key = (provider, model);
        let mut writers = match self.writers.lock() {
            Ok(writers) => writers,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(writer) = writers.get(&key) {
            return Ok(writer.clone());
        }
        let model = self.models.model(provider, key.1.as_deref())?;
        let writer: Arc<dyn ContentProvider> = Arc::new(ModelProvider::new(model));
        let writer: Arc<dyn ContentProvider> = match self.settings.on_failure {
            OnFailure::Template => Arc::new(FallbackProvider::new(writer)),
            OnFailure::Fail => writer,
        };
        writers.insert(key, writer.clone());
        Ok(writer)
    }
}

#[async_trait]
impl ContentProvider for RoutedProvider {
    fn name(&self) -> &'static str {
        self.configured.name()
    }

    async fn generate(&self, req: &GenerationRequest) -> Result<Generated, ContentError> {
        match self.writer(req) {
            None => self.configured.generate(req).await,
            Some(Ok(writer)) => writer.generate(req).await,
            // The campaign names a provider the daemon has no key for.
            Some(Err(error)) => match self.settings.on_failure {
                OnFailure::Fail => Err(error),
                OnFailure::Template => {
                    tracing::warn!(error = %error, "The campaign's AI provider is not usable; sending the rendered template instead.");
                    Ok(Generated {
                        fallback_reason: Some(error.to_string()),
                        ..TemplateProvider::draft(req)
                    })
                }
            },
        }
    }
}
