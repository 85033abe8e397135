//! `[ai]` settings: how each language-model provider is reached, retried, limited and priced.
//! `Default` matches `config/default.toml`.
//!
//! One section per provider (`[ai.openai]`, `[ai.anthropic]`, `[ai.gemini]`,
//! `[ai.openai_compatible]`), all with the same keys, and one price table (`[ai.prices."model"]`)
//! for the cost recorded with every call.

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

use crate::domain::HumanDuration;

/// A provider, as configuration and the registry name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderName {
    Openai,
    OpenaiCompatible,
    Anthropic,
    Gemini,
}

impl ProviderName {
    pub const ALL: [Self; 4] = [
        Self::Openai,
        Self::OpenaiCompatible,
        Self::Anthropic,
        Self::Gemini,
    ];

    /// Stable name: the config section, `CallUsage::provider`, the stored provider.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::OpenaiCompatible => "openai_compatible",
            Self::Anthropic => "anthropic",
            Self::Gemini => "gemini",
        }
    }

    /// The provider of a stable name (`"anthropic"`), `None` for any other name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The name people use, for error messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Openai => "OpenAI",
            Self::OpenaiCompatible => "OpenAI-compatible",
            Self::Anthropic => "Anthropic",
            Self::Gemini => "Gemini",
        }
    }

    /// The environment variable that sets this provider's key.
    pub fn key_variable(self) -> String {
        format!("OUTREACHD__AI__{}__API_KEY", self.as_str().to_uppercase())
    }
}

impl std::str::FromStr for ProviderName {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        Self::parse(name).ok_or_else(|| {
            format!(
                "unknown AI provider {name:?} (expected openai, openai_compatible, anthropic or gemini)"
            )
        })
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AiSettings {
    pub openai: ProviderSettings,
    pub anthropic: ProviderSettings,
    pub gemini: ProviderSettings,
    pub openai_compatible: ProviderSettings,
    /// USD per million tokens, by model name. A model answers under a dated name
    /// (`gpt-4o-mini-2024-07-18`): the longest entry its name starts with applies. A model
    /// without an entry costs 0.
    pub prices: BTreeMap<String, ModelPrice>,
}

impl Default for AiSettings {
    fn default() -> Self {
        let price = |input, output| ModelPrice {
            input_usd_per_million_tokens: input,
            output_usd_per_million_tokens: output,
        };
        Self {
            openai: ProviderSettings {
                base_url: "https://api.openai.com/v1".into(),
                model: "gpt-4o-mini".into(),
                ..ProviderSettings::default()
            },
            anthropic: ProviderSettings {
                base_url: "https://api.anthropic.com".into(),
                model: "claude-haiku-4-5".into(),
                // Anthropic requires max_tokens on every request.
                max_tokens: Some(1024),
                ..ProviderSettings::default()
            },
            gemini: ProviderSettings {
                base_url: "https://generativelanguage.googleapis.com".into(),
                model: "gemini-2.5-flash".into(),
                ..ProviderSettings::default()
            },
            openai_compatible: ProviderSettings::default(),
            prices: BTreeMap::from([
                ("gpt-4o-mini".into(), price(0.15, 0.60)),
                ("gpt-4o".into(), price(2.50, 10.0)),
                ("claude-haiku-4-5".into(), price(1.0, 5.0)),
                ("claude-sonnet-4-5".into(), price(3.0, 15.0)),
                ("gemini-2.5-flash".into(), price(0.30, 2.50)),
                ("gemini-2.5-pro".into(), price(1.25, 10.0)),
            ]),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    pub input_usd_per_million_tokens: f64,
    pub output_usd_per_million_tokens: f64,
}

/// How one provider is reached. Every section has the same keys; the defaults differ.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProviderSettings {
    /// The provider's key, sent only in its auth header. Prefer the environment
    /// (`OUTREACHD__AI__OPENAI__API_KEY`) over a file. Optional for `openai_compatible`.
    #[serde(serialize_with = "redacted")]
    pub api_key: SecretString,
    /// Base URL of the API (`/chat/completions`, `/v1/messages` or
    /// `/v1beta/models/{model}:generateContent` is appended).
    pub base_url: String,
    /// The model used when a caller names none.
    pub model: String,
    /// Limit for one HTTP attempt.
    pub timeout: HumanDuration,
    /// Retries after the first attempt on 408, 429, 5xx (Anthropic's 529 too), timeouts and
    /// network errors; never on other 4xx, refusals or unusable answers.
    pub max_retries: u32,
    /// First retry delay; doubles per retry, with jitter, up to `backoff_max`.
    pub backoff_initial: HumanDuration,
    /// Longest wait between retries. A `retry-after` longer than this ends the retries.
    pub backoff_max: HumanDuration,
    /// Sampling temperature; unset sends none (the provider's default). Leave it unset for
    /// reasoning models, which refuse one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Cap on answer tokens when a caller sets none; unset sends none (Anthropic, which
    /// requires one, then gets 1024).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Requests per minute sent with this key (0 = no limit). Calls wait for their turn.
    pub requests_per_minute: u32,
    /// Tokens per minute with this key (0 = no limit), counted before a call as its prompt's
    /// estimated tokens (4 characters each) plus its answer cap.
    pub tokens_per_minute: u32,
    /// Calls in flight at once with this key; more wait.
    pub concurrency: u32,
}

impl Default for ProviderSettings {
    fn default() -> Self {
        Self {
            api_key: SecretString::default(),
            base_url: String::new(),
            model: String::new(),
            timeout: HumanDuration::from_secs(30),
            max_retries: 3,
            backoff_initial: HumanDuration::from_secs(1),
            backoff_max: HumanDuration::from_secs(30),
            temperature: None,
            max_tokens: None,
            requests_per_minute: 0,
            tokens_per_minute: 0,
            concurrency: 8,
        }
    }
}

impl ProviderSettings {
    pub fn api_key(&self) -> Option<&str> {
        let key = self.api_key.expose_secret().trim();
        (!key.is_empty()).then_some(key)
    }

    fn validate(&self, name: ProviderName, problems: &mut Vec<String>) {
        let at = |key: &str| format!("ai.{name}.{key}");
        let url = self.base_url.trim();
        let required = name != ProviderName::OpenaiCompatible;
        if (required || !url.is_empty())
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            problems.push(format!(
                "{}: must start with http:// or https:// (got {:?})",
                at("base_url"),
                self.base_url
            ));
        }
        if required && self.model.trim().is_empty() {
            problems.push(format!("{}: must not be empty", at("model")));
        }
        if self.timeout == HumanDuration::ZERO {
            problems.push(format!("{}: must be greater than 0", at("timeout")));
        }
        if self.backoff_initial > self.backoff_max {
            problems.push(format!(
                "ai.{name}: backoff_initial ({}) is greater than backoff_max ({})",
                self.backoff_initial, self.backoff_max
            ));
        }
        // Anthropic takes 0 to 1, the others 0 to 2.
        let highest = if name == ProviderName::Anthropic {
            1.0
        } else {
            2.0
        };
        if self
            .temperature
            .is_some_and(|t| !(0.0..=highest).contains(&t))
        {
            problems.push(format!(
                "{}: must be between 0 and {highest}",
                at("temperature")
            ));
        }
        if self.max_tokens == Some(0) {
            problems.push(format!(
                "{}: must be at least 1 (or left unset)",
                at("max_tokens")
            ));
        }
        if self.concurrency == 0 {
            problems.push(format!("{}: must be at least 1", at("concurrency")));
        }
    }
}

impl AiSettings {
    pub fn provider(&self, name: ProviderName) -> &ProviderSettings {
        match name {
            ProviderName::Openai => &self.openai,
            ProviderName::OpenaiCompatible => &self.openai_compatible,
            ProviderName::Anthropic => &self.anthropic,
            ProviderName::Gemini => &self.gemini,
        }
    }

    /// Field checks, each problem prefixed with its key (for `Settings::validate`). A missing
    /// key is not a problem here: it is one only for a provider something uses (see
    /// [`AiSettings::check_usable`]).
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for name in ProviderName::ALL {
            self.provider(name).validate(name, &mut problems);
        }
        for (model, price) in &self.prices {
            let both = [
                price.input_usd_per_million_tokens,
                price.output_usd_per_million_tokens,
            ];
            if both.iter().any(|p| !p.is_finite() || *p < 0.0) {
                problems.push(format!(
                    "ai.prices.{model:?}: token prices must be zero or more"
                ));
            }
        }
        problems
    }

    /// Whether `name` has what it needs to be called: its key, or for an OpenAI-compatible
    /// server (whose key is optional) its base URL.
    pub fn has_credentials(&self, name: ProviderName) -> bool {
        let s = self.provider(name);
        match name {
            ProviderName::OpenaiCompatible => !s.base_url.trim().is_empty(),
            _ => s.api_key().is_some(),
        }
    }

    /// Whether `name` can answer with `model` (or its configured model): its key (a base URL
    /// for an OpenAI-compatible server, whose key is optional) and a model are set.
    pub fn check_usable(
        &self,
        name: ProviderName,
        model: Option<&str>,
    ) -> Result<(), crate::content::ContentError> {
        let s = self.provider(name);
        let missing = |missing: &'static str, hint: String| {
            Err(crate::content::ContentError::NotConfigured {
                provider: name.label(),
                missing,
                hint,
            })
        };
        if name == ProviderName::OpenaiCompatible {
            if s.base_url.trim().is_empty() {
                return missing("base_url", format!("set ai.{name}.base_url"));
            }
        } else if s.api_key().is_none() {
            return missing("API key", format!("set {}", name.key_variable()));
        }
        let model = model.unwrap_or(&s.model);
        if model.trim().is_empty() {
            return missing("model", format!("set ai.{name}.model"));
        }
        Ok(())
    }
}

fn redacted<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if secret.expose_secret().is_empty() {
        ""
    } else {
        "[redacted]"
    })
}

#[cfg(test)]
mod tests;
