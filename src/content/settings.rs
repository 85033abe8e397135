//! `[content]` settings: which provider writes the final text, with which model, and what a
//! step does when it fails. How each provider is reached is `[ai.*]` (`crate::ai::AiSettings`).
//! `Default` matches `config/default.toml`.

use serde::{Deserialize, Serialize};

use crate::ai::{AiSettings, ProviderName};

/// Who writes the email that is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// The step's templates as rendered: instant, free, no data leaves the machine.
    #[default]
    Template,
    /// OpenAI (`[ai.openai]`) rewrites the rendered template per lead.
    Openai,
    /// Any OpenAI-compatible server (`[ai.openai_compatible]`).
    OpenaiCompatible,
    /// Anthropic (`[ai.anthropic]`).
    Anthropic,
    /// Google Gemini (`[ai.gemini]`).
    Gemini,
}

impl ProviderKind {
    /// The language-model provider, `None` for the template.
    pub fn model_provider(self) -> Option<ProviderName> {
        match self {
            Self::Template => None,
            Self::Openai => Some(ProviderName::Openai),
            Self::OpenaiCompatible => Some(ProviderName::OpenaiCompatible),
            Self::Anthropic => Some(ProviderName::Anthropic),
            Self::Gemini => Some(ProviderName::Gemini),
        }
    }
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
    /// `"template"`, `"openai"`, `"openai_compatible"`, `"anthropic"` or `"gemini"`.
    pub provider: ProviderKind,
    /// The model to write with; unset uses the provider's `[ai.<provider>] model`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `"template"` (fall back to the rendered template) or `"fail"` (fail the step).
    pub on_failure: OnFailure,
}

impl ContentSettings {
    /// Cross-section checks (for `Settings::validate`): the chosen provider must be usable,
    /// its key (or an OpenAI-compatible server's base URL) and a model configured.
    pub fn validate(&self, ai: &AiSettings) -> Vec<String> {
        let mut problems = Vec::new();
        if self.model.as_deref().is_some_and(|m| m.trim().is_empty()) {
            problems.push("content.model: must not be empty (or left unset)".into());
        }
        if self.model.is_some() && self.provider == ProviderKind::Template {
            problems.push(
                "content.model: the template provider uses no model (set content.provider, or \
                 leave content.model unset)"
                    .into(),
            );
        }
        if let Some(provider) = self.provider.model_provider()
            && let Err(e) = ai.check_usable(provider, self.model.as_deref())
        {
            problems.push(format!("content.provider = \"{provider}\": {e}"));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    #[test]
    fn a_partial_section_fills_in_defaults_and_unknown_keys_are_rejected() {
        let s: ContentSettings =
            toml::from_str("provider = \"openai_compatible\"\nmodel = \"llama3.1\"").unwrap();
        assert_eq!(s.provider, ProviderKind::OpenaiCompatible);
        assert_eq!(s.model.as_deref(), Some("llama3.1"));
        assert_eq!(s.on_failure, OnFailure::Template);
        assert!(toml::from_str::<ContentSettings>("providr = \"openai\"").is_err());
        assert!(
            toml::from_str::<ContentSettings>("[openai]\nmodel = \"m\"").is_err(),
            "the provider sections moved to [ai.*]"
        );
    }

    /// The `[content]` section of `config/default.toml`, minus the comments.
    const DEFAULT_TOML: &str = r#"
        provider = "template"
        on_failure = "template"
    "#;

    #[test]
    fn default_matches_the_documented_defaults() {
        let documented: ContentSettings = toml::from_str(DEFAULT_TOML).unwrap();
        let render = |s: &ContentSettings| toml::to_string(s).unwrap();
        assert_eq!(render(&documented), render(&ContentSettings::default()));
    }

    #[test]
    fn a_provider_without_its_key_is_a_problem_naming_it() {
        let s = ContentSettings {
            provider: ProviderKind::Anthropic,
            ..ContentSettings::default()
        };
        let mut ai = AiSettings::default();
        let problems = s.validate(&ai);
        assert_eq!(
            problems,
            [
                "content.provider = \"anthropic\": Anthropic API key not configured (set OUTREACHD__AI__ANTHROPIC__API_KEY)"
            ]
        );
        ai.anthropic.api_key = SecretString::from("sk-ant-1");
        assert!(s.validate(&ai).is_empty());
        assert!(ContentSettings::default().validate(&ai).is_empty());
    }

    #[test]
    fn a_model_for_the_template_is_a_problem() {
        let s = ContentSettings {
            model: Some("gpt-4o".into()),
            ..ContentSettings::default()
        };
        let problems = s.validate(&AiSettings::default());
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("content.model: the template")),
            "{problems:?}"
        );
    }
}
