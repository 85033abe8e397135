//! `Models`: the registry of configured providers, built once at start-up and shared (`Arc`).
//!
//! Each provider has one endpoint (HTTP client, key, limits) shared by every model asked of
//! it, so the per-key limits hold whichever model a caller picks. A provider without its key
//! is not an error until something asks for it; then the error names it
//! (`"Anthropic API key not configured"`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, HeaderName};

use super::LanguageModel;
use super::anthropic::{self, AnthropicModel};
use super::bound::Bound;
use super::gemini::GeminiModel;
use super::http::Endpoint;
use super::openai::{ChatModel, Dialect};
use super::settings::{AiSettings, ModelPrice, ProviderName};
use crate::content::ContentError;

pub struct Models {
    settings: AiSettings,
    endpoints: HashMap<ProviderName, Arc<Endpoint>>,
    prices: Arc<BTreeMap<String, ModelPrice>>,
}

impl std::fmt::Debug for Models {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut usable: Vec<&str> = self.endpoints.keys().map(|p| p.as_str()).collect();
        usable.sort_unstable();
        f.debug_struct("Models").field("usable", &usable).finish()
    }
}

impl Models {
    /// Builds an endpoint for every provider that is configured enough to be used.
    pub fn new(settings: &AiSettings) -> Result<Self, ContentError> {
        let problems = settings.validate();
        if !problems.is_empty() {
            return Err(ContentError::Config(problems.join("; ")));
        }
        let mut endpoints = HashMap::new();
        for name in ProviderName::ALL {
            if !settings.has_credentials(name) {
                continue;
            }
            endpoints.insert(name, Arc::new(endpoint(name, settings)?));
        }
        Ok(Self {
            settings: settings.clone(),
            endpoints,
            prices: Arc::new(settings.prices.clone()),
        })
    }

    /// `provider` answering with `model`, or with its configured model when `None`.
    pub fn model(
        &self,
        provider: ProviderName,
        model: Option<&str>,
    ) -> Result<Arc<dyn LanguageModel>, ContentError> {
        let model = model.map(str::trim).filter(|m| !m.is_empty());
        self.settings.check_usable(provider, model)?;
        let endpoint = self.endpoints.get(&provider).ok_or_else(|| {
            ContentError::Config(format!("ai.{provider}: the provider is not configured"))
        })?;
        let bound = Bound {
            endpoint: endpoint.clone(),
            model: model
                .unwrap_or(&self.settings.provider(provider).model)
                .trim()
                .to_owned(),
            prices: self.prices.clone(),
        };
        Ok(match provider {
            ProviderName::Openai => Arc::new(ChatModel {
                bound,
                dialect: Dialect::OpenAi,
            }),
            ProviderName::OpenaiCompatible => Arc::new(ChatModel {
                bound,
                dialect: Dialect::Compatible,
            }),
            ProviderName::Anthropic => Arc::new(AnthropicModel { bound }),
            ProviderName::Gemini => Arc::new(GeminiModel { bound }),
        })
    }
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

fn bare(key: &str) -> String {
    key.to_owned()
}

fn endpoint(name: ProviderName, settings: &AiSettings) -> Result<Endpoint, ContentError> {
    let s = settings.provider(name);
    match name {
        ProviderName::Openai | ProviderName::OpenaiCompatible => {
            Endpoint::new(name, s, Some((AUTHORIZATION, bearer)), &[])
        }
        ProviderName::Anthropic => Endpoint::new(
            name,
            s,
            Some((HeaderName::from_static("x-api-key"), bare)),
            &[(
                HeaderName::from_static("anthropic-version"),
                anthropic::VERSION,
            )],
        ),
        ProviderName::Gemini => Endpoint::new(
            name,
            s,
            Some((HeaderName::from_static("x-goog-api-key"), bare)),
            &[],
        ),
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    #[test]
    fn a_provider_without_a_key_is_an_error_naming_it() {
        let models = Models::new(&AiSettings::default()).unwrap();
        let error = |p| models.model(p, None).err().map(|e| e.to_string());
        assert_eq!(
            error(ProviderName::Anthropic).as_deref(),
            Some("Anthropic API key not configured (set OUTREACHD__AI__ANTHROPIC__API_KEY)")
        );
        assert_eq!(
            error(ProviderName::Openai).as_deref(),
            Some("OpenAI API key not configured (set OUTREACHD__AI__OPENAI__API_KEY)")
        );
        assert_eq!(
            error(ProviderName::OpenaiCompatible).as_deref(),
            Some("OpenAI-compatible base_url not configured (set ai.openai_compatible.base_url)")
        );
    }

    #[test]
    fn a_configured_provider_answers_with_its_model_or_the_one_asked() {
        let mut settings = AiSettings::default();
        settings.gemini.api_key = SecretString::from("g-key");
        settings.openai_compatible.base_url = "http://localhost:11434/v1".into();
        let models = Models::new(&settings).unwrap();
        let gemini = models.model(ProviderName::Gemini, None).unwrap();
        assert_eq!(
            (gemini.provider(), gemini.model()),
            ("gemini", "gemini-2.5-flash")
        );
        let pro = models
            .model(ProviderName::Gemini, Some("gemini-2.5-pro"))
            .unwrap();
        assert_eq!(pro.model(), "gemini-2.5-pro");
        assert!(
            models.model(ProviderName::OpenaiCompatible, None).is_err(),
            "no model configured for the compatible server"
        );
        let local = models
            .model(ProviderName::OpenaiCompatible, Some("llama3.1"))
            .unwrap();
        assert_eq!(local.provider(), "openai_compatible");
    }

    #[test]
    fn debug_output_names_usable_providers_but_no_key() {
        let mut settings = AiSettings::default();
        settings.openai.api_key = SecretString::from("sk-debug-secret");
        let text = format!("{:?}", Models::new(&settings).unwrap());
        assert!(
            text.contains("openai") && !text.contains("sk-debug-secret"),
            "{text}"
        );
    }
}
