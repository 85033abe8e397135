//! Integration tests for `ai`: each provider against a local HTTP server speaking its real wire
//! format (OpenAI and compatible chat completions, Anthropic messages, Gemini generateContent):
//! answers, request shape, retries, refusals, truncation, bad answers and rejected keys.

mod anthropic;
mod compatible;
mod gemini;
mod openai;

use std::sync::Arc;
use std::time::{Duration, Instant};

use outreachd::ai::{
    AiSettings, CallUsage, JsonRequest, LanguageModel, ModelPrice, Models, ProviderName, Purpose,
};
use outreachd::content::ContentError;
use outreachd::domain::HumanDuration;
use secrecy::SecretString;
use wiremock::MockServer;

pub const KEY: &str = "sk-test-key-0123456789";
pub const MODEL: &str = "test-model";

pub async fn server() -> MockServer {
    let _ = rustls::crypto::ring::default_provider().install_default();
    MockServer::start().await
}

/// `provider` on `base_url` with the test key and model, millisecond backoffs, two retries,
/// an answer cap of 300 tokens and a price for the test model ($2 / $8 per million).
pub fn settings(provider: ProviderName, base_url: &str) -> AiSettings {
    let mut ai = AiSettings::default();
    let section = match provider {
        ProviderName::Openai => &mut ai.openai,
        ProviderName::OpenaiCompatible => &mut ai.openai_compatible,
        ProviderName::Anthropic => &mut ai.anthropic,
        ProviderName::Gemini => &mut ai.gemini,
    };
    section.api_key = SecretString::from(KEY);
    section.base_url = base_url.to_owned();
    section.model = MODEL.to_owned();
    section.max_retries = 2;
    section.backoff_initial = HumanDuration::from_duration(Duration::from_millis(5));
    section.backoff_max = HumanDuration::from_duration(Duration::from_millis(50));
    section.max_tokens = Some(300);
    section.temperature = Some(0.25);
    ai.prices.insert(
        MODEL.to_owned(),
        ModelPrice {
            input_usd_per_million_tokens: 2.0,
            output_usd_per_million_tokens: 8.0,
        },
    );
    ai
}

pub fn model_from(ai: &AiSettings, provider: ProviderName) -> Arc<dyn LanguageModel> {
    Models::new(ai).unwrap().model(provider, None).unwrap()
}

pub fn model(provider: ProviderName, server: &MockServer) -> Arc<dyn LanguageModel> {
    model_from(&settings(provider, &server.uri()), provider)
}

/// Slow exponential backoff (10s) with room for a 1s `retry-after`: a retry within a couple of
/// seconds proves the server's delay was used.
pub fn honouring_retry_after(
    provider: ProviderName,
    server: &MockServer,
) -> Arc<dyn LanguageModel> {
    let mut ai = settings(provider, &server.uri());
    for name in ProviderName::ALL {
        let section = match name {
            ProviderName::Openai => &mut ai.openai,
            ProviderName::OpenaiCompatible => &mut ai.openai_compatible,
            ProviderName::Anthropic => &mut ai.anthropic,
            ProviderName::Gemini => &mut ai.gemini,
        };
        section.backoff_initial = HumanDuration::from_secs(10);
        section.backoff_max = HumanDuration::from_secs(20);
    }
    model_from(&ai, provider)
}

/// Asserts a call waited about the server's one second, not the 10s backoff.
pub fn assert_waited_about_a_second(started: Instant) {
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

pub fn request() -> JsonRequest {
    JsonRequest {
        purpose: Purpose::Email,
        system: "Write the email.".into(),
        user: "{\"lead\": \"Ann\"}".into(),
        schema_name: "email",
        schema: serde_json::json!({
            "type": "object",
            "properties": {"subject": {"type": "string"}, "body": {"type": "string"}},
            "required": ["subject", "body"],
            "additionalProperties": false
        }),
        max_tokens: None,
        temperature: None,
    }
}

pub const OBJECT: &str = r#"{"subject": "Late trucks?", "body": "Hi Ann"}"#;

pub fn assert_object(value: &serde_json::Map<String, serde_json::Value>) {
    assert_eq!(value["subject"], "Late trucks?");
    assert_eq!(value["body"], "Hi Ann");
}

/// 1200 prompt and 300 answer tokens at $2 / $8 per million.
pub fn assert_usage(usage: &CallUsage, provider: &str, model: &str) {
    assert_eq!(usage.provider, provider);
    assert_eq!(usage.model, model);
    assert_eq!((usage.input_tokens, usage.output_tokens), (1200, 300));
    assert!(
        (usage.cost_usd - 0.0048).abs() < 1e-12,
        "{}",
        usage.cost_usd
    );
    assert!(usage.latency > Duration::ZERO);
}

pub async fn requests_to(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

pub async fn sent_body(server: &MockServer) -> serde_json::Value {
    server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap()
}

/// A rejected key: one request, not retryable, the server's message shown, the key not.
pub async fn assert_rejected_key(
    error: ContentError,
    server: &MockServer,
    status: u16,
    shown: &str,
) {
    assert_eq!(requests_to(server).await, 1);
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(
        matches!(&error, ContentError::Provider { status: s, .. } if *s == status),
        "{text}"
    );
    assert!(text.contains(shown), "{text}");
    assert!(!text.contains(KEY), "{text}");
    assert!(!format!("{error:?}").contains(KEY));
}
