//! Anthropic's Messages API: `POST {base_url}/v1/messages` with `x-api-key` and
//! `anthropic-version: 2023-06-01`.
//!
//! The object comes through a forced tool: one tool whose `input_schema` is the wanted schema,
//! and `tool_choice` naming it, so the answer is a `tool_use` block whose `input` is the object.
//! `max_tokens` is required by the API: a request and a config without one send 1024.

use std::time::Instant;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::bound::Bound;
use super::{JsonAnswer, JsonRequest, LanguageModel};
use crate::content::ContentError;

pub(crate) const VERSION: &str = "2023-06-01";
/// The answer cap sent when neither the request nor the config sets one.
pub(crate) const DEFAULT_MAX_TOKENS: u32 = 1024;

pub(crate) struct AnthropicModel {
    pub(crate) bound: Bound,
}

impl AnthropicModel {
    fn max_tokens(&self, request: &JsonRequest) -> u32 {
        self.bound.max_tokens(request).unwrap_or(DEFAULT_MAX_TOKENS)
    }

    fn body(&self, request: &JsonRequest) -> serde_json::Value {
        let mut body = json!({
            "model": self.bound.model,
            "max_tokens": self.max_tokens(request),
            "system": request.system,
            "messages": [{"role": "user", "content": request.user}],
            "tools": [{
                "name": request.schema_name,
                "description": format!(
                    "Answer with the {} object. Always call this tool.",
                    request.schema_name
                ),
                "input_schema": request.schema,
            }],
            "tool_choice": {"type": "tool", "name": request.schema_name},
        });
        if let Some(temperature) = self.bound.temperature(request) {
            body["temperature"] = json!(temperature);
        }
        body
    }
}

#[derive(Deserialize)]
struct MessageResponse {
    model: Option<String>,
    #[serde(default)]
    content: Vec<Block>,
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Usage,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    input: Option<serde_json::Value>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Default, Deserialize)]
struct Usage {
    #[serde(default)]
    input_tokens: u32,
    #[serde(default)]
    output_tokens: u32,
}

#[async_trait]
impl LanguageModel for AnthropicModel {
    fn provider(&self) -> &'static str {
        self.bound.provider()
    }

    fn model(&self) -> &str {
        &self.bound.model
    }

    async fn complete_json(&self, request: &JsonRequest) -> Result<JsonAnswer, ContentError> {
        let started = Instant::now();
        let url = self.bound.endpoint.url("/v1/messages");
        let raw = self.bound.post(&url, request, &self.body(request)).await?;
        let response: MessageResponse = self.bound.parse(&raw, "a Messages API answer")?;
        let provider = self.provider();
        match response.stop_reason.as_deref() {
            Some("max_tokens") => {
                return Err(ContentError::Truncated {
                    provider,
                    limit: Some(self.max_tokens(request)),
                });
            }
            Some("refusal") => {
                let said: Vec<&str> = response
                    .content
                    .iter()
                    .filter_map(|b| b.text.as_deref())
                    .collect();
                let detail = match said.join(" ").trim() {
                    "" => "stop_reason refusal".to_owned(),
                    text => super::http::clip(text, 200),
                };
                return Err(ContentError::Refused { provider, detail });
            }
            _ => {}
        }
        let input = response
            .content
            .into_iter()
            .find(|b| b.kind == "tool_use")
            .and_then(|b| b.input)
            .ok_or_else(|| self.bound.bad("no tool_use block in the answer".into()))?;
        let serde_json::Value::Object(value) = input else {
            return Err(self.bound.bad("the tool input is not a JSON object".into()));
        };
        Ok(JsonAnswer {
            value,
            usage: self.bound.usage(
                response.model,
                response.usage.input_tokens,
                response.usage.output_tokens,
                started,
            ),
        })
    }
}
