//! The Chat Completions wire format (`POST {base_url}/chat/completions`, `Authorization:
//! Bearer`), spoken by OpenAI and by compatible servers (Ollama, vLLM, OpenRouter, gateways).
//!
//! OpenAI itself gets the schema (`response_format: json_schema`, strict) and the answer cap as
//! `max_completion_tokens` (which reasoning models require). Compatible servers get what they
//! all support: `response_format: json_object` and `max_tokens`, the schema being described by
//! the prompt; code fences and chatter around their object are tolerated.

use std::time::Instant;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::bound::Bound;
use super::http::clip;
use super::{JsonAnswer, JsonRequest, LanguageModel};
use crate::content::ContentError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    OpenAi,
    Compatible,
}

pub(crate) struct ChatModel {
    pub(crate) bound: Bound,
    pub(crate) dialect: Dialect,
}

impl ChatModel {
    fn body(&self, request: &JsonRequest) -> serde_json::Value {
        let mut body = json!({
            "model": self.bound.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.user},
            ],
        });
        let max_tokens = self.bound.max_tokens(request);
        match self.dialect {
            Dialect::OpenAi => {
                body["response_format"] = json!({
                    "type": "json_schema",
                    "json_schema": {
                        "name": request.schema_name,
                        "strict": true,
                        "schema": request.schema,
                    }
                });
                if let Some(max) = max_tokens {
                    body["max_completion_tokens"] = json!(max);
                }
            }
            Dialect::Compatible => {
                body["response_format"] = json!({"type": "json_object"});
                if let Some(max) = max_tokens {
                    body["max_tokens"] = json!(max);
                }
            }
        }
        if let Some(temperature) = self.bound.temperature(request) {
            body["temperature"] = json!(temperature);
        }
        body
    }
}

#[derive(Deserialize)]
struct ChatResponse {
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    content: Option<String>,
    refusal: Option<String>,
}

#[derive(Default, Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

#[async_trait]
impl LanguageModel for ChatModel {
    fn provider(&self) -> &'static str {
        self.bound.provider()
    }

    fn model(&self) -> &str {
        &self.bound.model
    }

    async fn complete_json(&self, request: &JsonRequest) -> Result<JsonAnswer, ContentError> {
        let started = Instant::now();
        let url = self.bound.endpoint.url("/chat/completions");
        let raw = self.bound.post(&url, request, &self.body(request)).await?;
        let response: ChatResponse = self.bound.parse(&raw, "a chat completion")?;
        let provider = self.provider();
        let choice = response
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| self.bound.bad("no choices in the answer".into()))?;
        if let Some(refusal) = choice.message.refusal.filter(|r| !r.trim().is_empty()) {
            return Err(ContentError::Refused {
                provider,
                detail: clip(&refusal, 200),
            });
        }
        if choice.finish_reason.as_deref() == Some("length") {
            return Err(ContentError::Truncated {
                provider,
                limit: self.bound.max_tokens(request),
            });
        }
        if choice.finish_reason.as_deref() == Some("content_filter") {
            return Err(ContentError::Refused {
                provider,
                detail: "the content filter stopped the answer".into(),
            });
        }
        let value = self
            .bound
            .object_in(&choice.message.content.unwrap_or_default())?;
        let usage = response.usage.unwrap_or_default();
        Ok(JsonAnswer {
            value,
            usage: self.bound.usage(
                response.model,
                usage.prompt_tokens,
                usage.completion_tokens,
                started,
            ),
        })
    }
}
