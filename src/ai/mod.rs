//! The language-model layer: one call shape for every provider and every purpose.
//!
//! Every use of a model in outreachd (writing an email, a persona, a company insight, a reply
//! draft, a CSV header mapping) is a [`JsonRequest`]: a system prompt, one user message, and the
//! JSON Schema of the object wanted. A [`LanguageModel`] (OpenAI, Anthropic, Gemini, any
//! OpenAI-compatible server) answers with the parsed object and a [`CallUsage`]: provider,
//! model, tokens, cost and latency, which the caller records in `api_usage`.
//!
//! Providers never touch the store. Errors are `content::ContentError` so a step can tell a
//! retryable failure (rate limit, overload, timeout) from one that repeats (bad key, refusal).

mod anthropic;
mod bound;
mod gemini;
mod http;
mod limits;
mod openai;
mod registry;
mod settings;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::content::ContentError;

pub use registry::Models;
pub use settings::{AiSettings, ModelPrice, ProviderName, ProviderSettings};

/// What a model call is for: the `purpose` column of `api_usage` and a metric label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// One email of a sequence, or its preview.
    Email,
    /// A lead's persona, generated once and reused by every email.
    Persona,
    /// Facts about a lead's company, asked once per domain.
    Insight,
    /// A proposed answer to a lead's reply.
    ReplyDraft,
    /// A proposed mapping of a CSV file's unknown columns.
    HeaderMapping,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Persona => "persona",
            Self::Insight => "insight",
            Self::ReplyDraft => "reply_draft",
            Self::HeaderMapping => "header_mapping",
        }
    }
}

/// One call: answer `user` under `system` with a JSON object that matches `schema`.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonRequest {
    pub purpose: Purpose,
    pub system: String,
    pub user: String,
    /// A short name for the schema (`"email"`, `"persona"`), sent where the wire format wants one.
    pub schema_name: &'static str,
    /// JSON Schema of the wanted object: `type: object`, `properties`, `required`,
    /// `additionalProperties: false` (the subset OpenAI strict mode, Anthropic tools and Gemini's
    /// `responseSchema` all accept).
    pub schema: serde_json::Value,
    /// Cap on answer tokens; `None` uses the provider's configured default.
    pub max_tokens: Option<u32>,
    /// Sampling temperature; `None` uses the provider's configured default.
    pub temperature: Option<f32>,
}

/// What a call cost, for `api_usage`, the stored message and the metrics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CallUsage {
    /// `"openai"`, `"anthropic"`, `"gemini"`, `"openai_compatible"`.
    pub provider: &'static str,
    /// The model that answered (as the provider names it in its answer, else as asked).
    pub model: String,
    pub input_tokens: u32,
    pub output_tokens: u32,
    /// From the configured price table; 0 for a model without a price.
    pub cost_usd: f64,
    /// Wall time of the whole call, retries and waits included.
    pub latency: Duration,
}

/// A model's answer: the JSON object it returned and what the call cost.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonAnswer {
    pub value: serde_json::Map<String, serde_json::Value>,
    pub usage: CallUsage,
}

/// A provider client bound to one key and one model.
#[async_trait]
pub trait LanguageModel: Send + Sync {
    /// Stable provider name (see [`CallUsage::provider`]).
    fn provider(&self) -> &'static str;
    /// The model requests are sent to.
    fn model(&self) -> &str;
    /// Asks for one JSON object. Retries what may pass (429 with its `retry-after`, overload,
    /// 5xx, timeouts) within the configured limits; refusals, truncated answers and answers
    /// that are not the wanted object are errors that name the defect.
    async fn complete_json(&self, request: &JsonRequest) -> Result<JsonAnswer, ContentError>;
}
