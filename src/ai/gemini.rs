//! Google's Gemini API: `POST {base_url}/v1beta/models/{model}:generateContent` with
//! `x-goog-api-key`.
//!
//! The object is asked for with `generationConfig.responseMimeType = application/json` and a
//! `responseSchema`, which is an OpenAPI subset: [`response_schema`] converts our JSON Schema,
//! dropping the keywords Gemini rejects (`additionalProperties`, `$schema`, ...).

use std::time::Instant;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::bound::Bound;
use super::{JsonAnswer, JsonRequest, LanguageModel};
use crate::content::ContentError;

pub(crate) struct GeminiModel {
    pub(crate) bound: Bound,
}

impl GeminiModel {
    fn url(&self) -> Result<String, ContentError> {
        let base = self.bound.endpoint.url("");
        let mut url = reqwest::Url::parse(&base)
            .map_err(|e| ContentError::Config(format!("ai.gemini.base_url: {e}")))?;
        url.path_segments_mut()
            .map_err(|()| ContentError::Config("ai.gemini.base_url: not a base URL".into()))?
            .pop_if_empty()
            .extend([
                "v1beta",
                "models",
                &format!("{}:generateContent", self.bound.model),
            ]);
        Ok(url.into())
    }

    fn body(&self, request: &JsonRequest) -> Value {
        let mut config = json!({
            "responseMimeType": "application/json",
            "responseSchema": response_schema(&request.schema),
        });
        if let Some(max) = self.bound.max_tokens(request) {
            config["maxOutputTokens"] = json!(max);
        }
        if let Some(temperature) = self.bound.temperature(request) {
            config["temperature"] = json!(temperature);
        }
        json!({
            "systemInstruction": {"parts": [{"text": request.system}]},
            "contents": [{"role": "user", "parts": [{"text": request.user}]}],
            "generationConfig": config,
        })
    }
}

/// Keywords of our JSON Schema that Gemini's `responseSchema` accepts; the rest is dropped.
const KEPT: &[&str] = &[
    "type",
    "format",
    "description",
    "nullable",
    "enum",
    "properties",
    "required",
    "items",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "anyOf",
    "propertyOrdering",
];

/// Our JSON Schema as Gemini's OpenAPI subset: unsupported keywords dropped, types upper-case
/// (`"STRING"`), `type: ["string", "null"]` as `nullable`, and properties in their schema order.
pub(crate) fn response_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = serde_json::Map::new();
    for (key, value) in map {
        if !KEPT.contains(&key.as_str()) {
            continue;
        }
        let converted = match key.as_str() {
            "type" => match value {
                Value::String(t) => Value::String(t.to_uppercase()),
                Value::Array(types) => {
                    let mut named = types.iter().filter_map(Value::as_str);
                    let main = named.clone().find(|t| *t != "null").unwrap_or("string");
                    if named.any(|t| t == "null") {
                        out.insert("nullable".into(), Value::Bool(true));
                    }
                    Value::String(main.to_uppercase())
                }
                other => other.clone(),
            },
            "properties" => match value {
                Value::Object(props) => {
                    out.insert(
                        "propertyOrdering".into(),
                        Value::Array(props.keys().cloned().map(Value::String).collect()),
                    );
                    Value::Object(
                        props
                            .iter()
                            .map(|(name, prop)| (name.clone(), response_schema(prop)))
                            .collect(),
                    )
                }
                other => other.clone(),
            },
            "items" => response_schema(value),
            "anyOf" => match value {
                Value::Array(options) => {
                    Value::Array(options.iter().map(response_schema).collect())
                }
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    Value::Object(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    usage_metadata: UsageMetadata,
    model_version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<Content>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
struct Part {
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u32,
    #[serde(default)]
    candidates_token_count: u32,
}

#[async_trait]
impl LanguageModel for GeminiModel {
    fn provider(&self) -> &'static str {
        self.bound.provider()
    }

    fn model(&self) -> &str {
        &self.bound.model
    }

    async fn complete_json(&self, request: &JsonRequest) -> Result<JsonAnswer, ContentError> {
        let started = Instant::now();
        let raw = self
            .bound
            .post(&self.url()?, request, &self.body(request))
            .await?;
        let response: GenerateResponse = self.bound.parse(&raw, "a generateContent answer")?;
        let provider = self.provider();
        if let Some(reason) = response.prompt_feedback.and_then(|f| f.block_reason) {
            return Err(ContentError::Refused {
                provider,
                detail: format!("the prompt was blocked ({reason})"),
            });
        }
        let candidate = response
            .candidates
            .into_iter()
            .next()
            .ok_or_else(|| self.bound.bad("no candidates in the answer".into()))?;
        match candidate.finish_reason.as_deref() {
            Some("MAX_TOKENS") => {
                return Err(ContentError::Truncated {
                    provider,
                    limit: self.bound.max_tokens(request),
                });
            }
            Some(
                reason @ ("SAFETY" | "RECITATION" | "PROHIBITED_CONTENT" | "BLOCKLIST" | "SPII"),
            ) => {
                return Err(ContentError::Refused {
                    provider,
                    detail: format!("finishReason {reason}"),
                });
            }
            _ => {}
        }
        let text: String = candidate
            .content
            .map(|c| c.parts.into_iter().filter_map(|p| p.text).collect())
            .unwrap_or_default();
        let value = self.bound.object_in(&text)?;
        let usage = response.usage_metadata;
        Ok(JsonAnswer {
            value,
            usage: self.bound.usage(
                response.model_version,
                usage.prompt_token_count,
                usage.candidates_token_count,
                started,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_response_schema_drops_what_gemini_rejects_and_upper_cases_types() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "subject": {"type": "string", "description": "One line"},
                "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}},
                "note": {"type": ["string", "null"]}
            },
            "required": ["subject", "tags"]
        });
        let converted = response_schema(&schema);
        assert_eq!(converted["type"], "OBJECT");
        assert!(converted.get("additionalProperties").is_none());
        assert!(converted.get("$schema").is_none());
        assert_eq!(converted["properties"]["subject"]["type"], "STRING");
        assert_eq!(
            converted["properties"]["subject"]["description"],
            "One line"
        );
        assert_eq!(converted["properties"]["tags"]["items"]["type"], "STRING");
        assert!(
            converted["properties"]["tags"]["items"]
                .get("pattern")
                .is_none()
        );
        assert_eq!(converted["properties"]["note"]["type"], "STRING");
        assert_eq!(converted["properties"]["note"]["nullable"], true);
        assert_eq!(converted["required"], json!(["subject", "tags"]));
        assert_eq!(
            converted["propertyOrdering"].as_array().map(Vec::len),
            Some(3)
        );
    }
}
