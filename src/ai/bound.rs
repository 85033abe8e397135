//! What every provider's model has in common: its endpoint, the model name, the defaults a
//! request may leave unset, the price table, and turning an answer's text into the object.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use super::http::{Endpoint, clip};
use super::limits::estimated_tokens;
use super::settings::ModelPrice;
use super::{CallUsage, JsonRequest};
use crate::content::ContentError;

/// A provider endpoint bound to one model.
pub(crate) struct Bound {
    pub(crate) endpoint: Arc<Endpoint>,
    pub(crate) model: String,
    pub(crate) prices: Arc<BTreeMap<String, ModelPrice>>,
}

impl Bound {
    pub(crate) fn provider(&self) -> &'static str {
        self.endpoint.provider
    }

    pub(crate) fn max_tokens(&self, request: &JsonRequest) -> Option<u32> {
        request.max_tokens.or(self.endpoint.settings.max_tokens)
    }

    pub(crate) fn temperature(&self, request: &JsonRequest) -> Option<f32> {
        request.temperature.or(self.endpoint.settings.temperature)
    }

    /// Sends `body` to `url` under the key's limits and retries.
    pub(crate) async fn post(
        &self,
        url: &str,
        request: &JsonRequest,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, ContentError> {
        let body = serde_json::to_vec(body)
            .map_err(|e| ContentError::Config(format!("cannot encode the request: {e}")))?;
        let tokens = estimated_tokens(
            request.system.len() + request.user.len(),
            self.max_tokens(request),
        );
        self.endpoint.post(url, &body, tokens).await
    }

    /// The usage of a call that started at `started`, priced from the table.
    pub(crate) fn usage(
        &self,
        answered_as: Option<String>,
        input_tokens: u32,
        output_tokens: u32,
        started: Instant,
    ) -> CallUsage {
        let model = answered_as
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| self.model.clone());
        let price = price_of(&self.prices, &self.model).or_else(|| price_of(&self.prices, &model));
        let cost_usd = price.map_or(0.0, |p| {
            (f64::from(input_tokens) * p.input_usd_per_million_tokens
                + f64::from(output_tokens) * p.output_usd_per_million_tokens)
                / 1_000_000.0
        });
        CallUsage {
            provider: self.provider(),
            model,
            input_tokens,
            output_tokens,
            cost_usd,
            latency: started.elapsed(),
        }
    }

    pub(crate) fn bad(&self, detail: String) -> ContentError {
        ContentError::BadAnswer {
            provider: self.provider(),
            detail,
        }
    }

    /// The JSON object in a model's text: code fences and chatter around it are tolerated
    /// because not every server enforces the format.
    pub(crate) fn object_in(
        &self,
        text: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, ContentError> {
        let trimmed = text.trim();
        let candidate = match (trimmed.find('{'), trimmed.rfind('}')) {
            (Some(start), Some(end)) if start < end => &trimmed[start..=end],
            _ => trimmed,
        };
        match serde_json::from_str::<serde_json::Value>(candidate) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            Ok(_) => Err(self.bad(format!("not a JSON object: {}", clip(text, 200)))),
            Err(e) => Err(self.bad(format!("invalid JSON ({e}): {}", clip(text, 200)))),
        }
    }

    /// The server's answer body as `T`, or a bad answer naming what was expected.
    pub(crate) fn parse<T: serde::de::DeserializeOwned>(
        &self,
        raw: &[u8],
        what: &str,
    ) -> Result<T, ContentError> {
        serde_json::from_slice(raw).map_err(|e| {
            self.bad(self.endpoint.scrub(&format!(
                "not {what} ({e}): {}",
                clip(&String::from_utf8_lossy(raw), 200)
            )))
        })
    }
}

/// The price of `model`: its own entry, else the longest entry it starts with
/// (`gpt-4o-mini-2024-07-18` is priced as `gpt-4o-mini`, not `gpt-4o`).
pub(crate) fn price_of<'a>(
    prices: &'a BTreeMap<String, ModelPrice>,
    model: &str,
) -> Option<&'a ModelPrice> {
    prices.get(model).or_else(|| {
        prices
            .iter()
            .filter(|(name, _)| model.starts_with(name.as_str()))
            .max_by_key(|(name, _)| name.len())
            .map(|(_, price)| price)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dated_model_is_priced_by_its_longest_prefix() {
        let prices = crate::ai::AiSettings::default().prices;
        let mini = price_of(&prices, "gpt-4o-mini-2024-07-18").unwrap();
        assert_eq!(mini.input_usd_per_million_tokens, 0.15);
        assert_eq!(
            price_of(&prices, "gpt-4o")
                .unwrap()
                .input_usd_per_million_tokens,
            2.50
        );
        assert!(price_of(&prices, "llama3.1").is_none());
    }
}
