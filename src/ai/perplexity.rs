//! Perplexity's Chat Completions (`POST {base_url}/chat/completions`, `Authorization: Bearer`):
//! the OpenAI body and error shape, answered from a web search.
//!
//! The object is asked for with `response_format: json_schema` (Perplexity takes the schema
//! without a name or strict flag). Beside `choices`, an answer names what the search found:
//! `citations` (URLs) and/or `search_results` (`title`, `url`, `date`). [`LanguageModel`] has
//! no place for them, so [`PerplexityModel::research`] returns them with the answer;
//! `complete_json` drops them. Reasoning models (`sonar-reasoning*`) put a `<think>` section
//! before the object, which is skipped.

use std::time::Instant;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::bound::Bound;
use super::{JsonAnswer, JsonRequest, LanguageModel};
use crate::content::ContentError;

pub struct PerplexityModel {
    pub(crate) bound: Bound,
}

/// A page the search found and the answer may draw on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Source {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The page's date as the search reports it (`2025-03-01`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

#[derive(Deserialize)]
struct ChatResponse {
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    citations: Vec<String>,
    #[serde(default)]
    search_results: Vec<SearchResult>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    content: Option<String>,
}

#[derive(Default, Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

#[derive(Deserialize)]
struct SearchResult {
    url: String,
    title: Option<String>,
    date: Option<String>,
}

impl PerplexityModel {
    fn body(&self, request: &JsonRequest) -> serde_json::Value {
        let mut body = json!({
            "model": self.bound.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.user},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"schema": request.schema},
            },
        });
        if let Some(max) = self.bound.max_tokens(request) {
            body["max_tokens"] = json!(max);
        }
        if let Some(temperature) = self.bound.temperature(request) {
            body["temperature"] = json!(temperature);
        }
        body
    }

    /// The object, and the sources the search found (search results first, then citations
    /// not among them, each URL once).
    pub async fn research(
        &self,
        request: &JsonRequest,
    ) -> Result<(JsonAnswer, Vec<Source>), ContentError> {
        let started = Instant::now();
        let url = self.bound.endpoint.url("/chat/completions");
        let raw = self.bound.post(&url, request, &self.body(request)).await?;
        let response: ChatResponse = self.bound.parse(&raw, "a chat completion")?;
        let choice = response
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| self.bound.bad("no choices in the answer".into()))?;
        if choice.finish_reason.as_deref() == Some("length") {
            return Err(ContentError::Truncated {
                provider: self.provider(),
                limit: self.bound.max_tokens(request),
            });
        }
        let content = choice.message.content.unwrap_or_default();
        let value = self.bound.object_in(after_thinking(&content))?;
        let mut sources: Vec<Source> = Vec::new();
        let results = response.search_results.into_iter().map(|r| Source {
            url: r.url,
            title: r.title.filter(|t| !t.trim().is_empty()),
            date: r.date.filter(|d| !d.trim().is_empty()),
        });
        let citations = response.citations.into_iter().map(|url| Source {
            url,
            title: None,
            date: None,
        });
        for source in results.chain(citations) {
            if !source.url.trim().is_empty() && !sources.iter().any(|s| s.url == source.url) {
                sources.push(source);
            }
        }
        let usage = response.usage.unwrap_or_default();
        let answer = JsonAnswer {
            value,
            usage: self.bound.usage(
                response.model,
                usage.prompt_tokens,
                usage.completion_tokens,
                started,
            ),
        };
        Ok((answer, sources))
    }
}

/// The text after a reasoning model's `<think>…</think>` section (all of it when there is none).
fn after_thinking(content: &str) -> &str {
    match content.rfind("</think>") {
        Some(end) => &content[end + "</think>".len()..],
        None => content,
    }
}

#[async_trait]
impl LanguageModel for PerplexityModel {
    fn provider(&self) -> &'static str {
        self.bound.provider()
    }

    fn model(&self) -> &str {
        &self.bound.model
    }

    async fn complete_json(&self, request: &JsonRequest) -> Result<JsonAnswer, ContentError> {
        self.research(request).await.map(|(answer, _)| answer)
    }
}

#[cfg(test)]
mod tests {
    use super::after_thinking;

    #[test]
    fn a_reasoning_models_thoughts_are_skipped() {
        assert_eq!(
            after_thinking("<think>maybe {x}</think>\n{\"a\": 1}"),
            "\n{\"a\": 1}"
        );
        assert_eq!(after_thinking("{\"a\": 1}"), "{\"a\": 1}");
    }
}
