//! `[content]` settings: which provider writes the final text, and how the OpenAI-compatible
//! provider is reached, retried and priced. `Default` matches `config/default.toml`.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

use crate::domain::HumanDuration;

/// Who writes the email that is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// The step's templates as rendered: instant, free, no data leaves the machine.
    #[default]
    Template,
    /// An OpenAI-compatible chat completions endpoint rewrites the rendered template per lead.
    Openai,
}

/// What a step does when the provider still fails after its retries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// Send the rendered template instead: the sequence keeps moving, less personalised.
    #[default]
    Template,
    /// Fail the step with the provider's error as the reason (retried later if transient).
    Fail,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContentSettings {
    /// `"template"` or `"openai"`.
    pub provider: ProviderKind,
    /// `"template"` (fall back to the rendered template) or `"fail"` (fail the step).
    pub on_failure: OnFailure,
    pub openai: OpenAiSettings,
    /// `[content.quality]`: the gates every written email passes before it is sent.
    pub quality: super::quality::QualitySettings,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenAiSettings {
    /// Base URL of the API; `/chat/completions` is appended. Any compatible server works
    /// (OpenAI, Azure-style proxies, vLLM, Ollama's `/v1`, LiteLLM).
    pub base_url: String,
    /// Model name sent with each request and stored with each generated message.
    pub model: String,
    /// Bearer token. Prefer `OUTREACHD__CONTENT__OPENAI__API_KEY` over writing it in a file.
    /// May be empty for local servers that need none.
    #[serde(serialize_with = "redacted")]
    pub api_key: SecretString,
    /// Per-request limit; a slow answer holds a generator slot for this long at most.
    pub timeout: HumanDuration,
    /// Retries after the first attempt on 429, 5xx, timeouts and network errors (not other 4xx).
    pub max_retries: u32,
    /// First retry delay; doubles per retry, with jitter, up to `backoff_max`.
    pub backoff_initial: HumanDuration,
    /// Longest wait between retries. A `Retry-After` longer than this ends the retries instead of
    /// holding a slot for minutes.
    pub backoff_max: HumanDuration,
    /// Sampling temperature (0-2); unset sends none and the server's default applies. Leave it
    /// unset for models that refuse one (reasoning models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Cap on answer tokens, sent as `max_tokens`; unset sends none. Reasoning models refuse
    /// `max_tokens`: leave it unset for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Price of 1M prompt tokens in USD, for the cost stored with each message.
    pub input_usd_per_million_tokens: f64,
    /// Price of 1M completion tokens in USD.
    pub output_usd_per_million_tokens: f64,
}

impl Default for OpenAiSettings {
    fn default() -> Self {
        Self {
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            api_key: SecretString::default(),
            timeout: HumanDuration::from_secs(30),
            max_retries: 3,
            backoff_initial: HumanDuration::from_secs(1),
            backoff_max: HumanDuration::from_secs(30),
            temperature: None,
            max_tokens: None,
            input_usd_per_million_tokens: 0.15,
            output_usd_per_million_tokens: 0.60,
        }
    }
}

impl OpenAiSettings {
    pub fn api_key(&self) -> Option<&str> {
        let key = self.api_key.expose_secret().trim();
        (!key.is_empty()).then_some(key)
    }
}

impl ContentSettings {
    /// Cross-field checks, each problem prefixed with its key (for `Settings::validate`).
    pub fn validate(&self) -> Vec<String> {
        let mut problems = self.quality.validate();
        if self.provider != ProviderKind::Openai {
            return problems;
        }
        let o = &self.openai;
        if !(o.base_url.starts_with("http://") || o.base_url.starts_with("https://")) {
            problems.push(format!(
                "content.openai.base_url: must start with http:// or https:// (got {:?})",
                o.base_url
            ));
        }
        if o.model.trim().is_empty() {
            problems.push("content.openai.model: must not be empty".into());
        }
        if o.base_url.starts_with("https://api.openai.com") && o.api_key().is_none() {
            problems.push(
                "content.openai.api_key: required for api.openai.com (set OUTREACHD__CONTENT__OPENAI__API_KEY)"
                    .into(),
            );
        }
        if o.timeout == HumanDuration::ZERO {
            problems.push("content.openai.timeout: must be greater than 0".into());
        }
        if o.backoff_initial > o.backoff_max {
            problems.push(format!(
                "content.openai: backoff_initial ({}) is greater than backoff_max ({})",
                o.backoff_initial, o.backoff_max
            ));
        }
        if o.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
            problems.push("content.openai.temperature: must be between 0 and 2".into());
        }
        if o.max_tokens == Some(0) {
            problems.push("content.openai.max_tokens: must be at least 1 (or left unset)".into());
        }
        let prices = [
            o.input_usd_per_million_tokens,
            o.output_usd_per_million_tokens,
        ];
        if prices.iter().any(|p| !p.is_finite() || *p < 0.0) {
            problems.push("content.openai: token prices must be zero or more".into());
        }
        problems
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
mod tests {
    use super::*;

    #[test]
    fn a_partial_section_fills_in_defaults_and_unknown_keys_are_rejected() {
        let s: ContentSettings =
            toml::from_str("provider = \"openai\"\n[openai]\nmodel = \"m\"\ntimeout = \"5s\"")
                .unwrap();
        assert_eq!(s.provider, ProviderKind::Openai);
        assert_eq!(s.on_failure, OnFailure::Template);
        assert_eq!(s.openai.model, "m");
        assert_eq!(s.openai.max_retries, 3);
        assert!(toml::from_str::<ContentSettings>("providr = \"openai\"").is_err());
    }

    /// The `[content]` section proposed for `config/default.toml`, minus the comments.
    const DEFAULT_TOML: &str = r#"
        provider = "template"
        on_failure = "template"
        [openai]
        base_url = "https://api.openai.com/v1"
        model = "gpt-4o-mini"
        api_key = ""
        timeout = "30s"
        max_retries = 3
        backoff_initial = "1s"
        backoff_max = "30s"
        input_usd_per_million_tokens = 0.15
        output_usd_per_million_tokens = 0.60
        [quality]
        max_subject_chars = 120
        max_body_chars = 5000
        on_failure = "template"
    "#;

    #[test]
    fn default_matches_the_documented_defaults() {
        let documented: ContentSettings = toml::from_str(DEFAULT_TOML).unwrap();
        let render = |s: &ContentSettings| toml::to_string(s).unwrap();
        assert_eq!(render(&documented), render(&ContentSettings::default()));
    }

    #[test]
    fn the_api_key_is_redacted_when_serialised() {
        let mut s = ContentSettings::default();
        s.openai.api_key = SecretString::from("sk-secret");
        let text = toml::to_string(&s).unwrap();
        assert!(
            !text.contains("sk-secret") && text.contains("[redacted]"),
            "{text}"
        );
    }

    #[test]
    fn openai_without_a_key_for_the_public_api_is_a_problem() {
        let s = ContentSettings {
            provider: ProviderKind::Openai,
            ..ContentSettings::default()
        };
        assert!(
            s.validate().iter().any(|p| p.contains("api_key")),
            "{:?}",
            s.validate()
        );
        assert!(ContentSettings::default().validate().is_empty());
    }
}
