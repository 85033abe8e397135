//! `[insights]`: whether company insights are asked for, of which model, and how long one is
//! kept. `Default` matches `config/default.toml`.

use serde::{Deserialize, Serialize};

use crate::ai::ProviderName;
use crate::domain::HumanDuration;

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct InsightSettings {
    /// Ask a model about each lead's company (once per workspace and domain) and give the
    /// answer to the email prompt and the templates. Off: no insight is asked for or used.
    pub enabled: bool,
    /// The `[ai.*]` provider asked. `perplexity` searches the web and names its sources;
    /// another provider answers from what its model knows, which may be dated.
    pub provider: ProviderName,
    /// The model asked; empty uses the provider's configured model.
    pub model: String,
    /// How long an insight is used before it is asked again (when next needed).
    pub ttl: HumanDuration,
}

impl Default for InsightSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            provider: ProviderName::Perplexity,
            model: String::new(),
            ttl: HumanDuration::from_secs(30 * 86_400),
        }
    }
}

impl InsightSettings {
    /// The model asked, `None` for the provider's own.
    pub fn model(&self) -> Option<&str> {
        Some(self.model.trim()).filter(|m| !m.is_empty())
    }

    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.ttl == HumanDuration::ZERO {
            problems.push("insights.ttl: must be greater than 0".to_owned());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matches_the_documented_defaults() {
        let file: toml::Table =
            toml::from_str(include_str!("../../../config/default.toml")).unwrap();
        let documented: InsightSettings = file["insights"].clone().try_into().unwrap();
        assert_eq!(documented, InsightSettings::default());
    }
}
