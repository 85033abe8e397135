//! Integration tests for `content`: the email provider on a language model (OpenAI's wire format
//! against a local HTTP server: success, retries, fallback, bad answers, timeouts), and the whole
//! path from store rows through rendering to a provider. Each provider's own wire format is
//! tested in `tests/ai`.

mod openai;
mod pipeline;
mod rows;

use std::sync::Arc;
use std::time::Duration;

use outreachd::ai::{AiSettings, ModelPrice, Models, ProviderSettings};
use outreachd::content::{
    ContentError, ContentProvider, ContentSettings, Draft, GenerationRequest, OnFailure,
    ProviderKind, RenderContext, build_provider,
};
use outreachd::domain::HumanDuration;
use secrecy::SecretString;
use wiremock::ResponseTemplate;

pub const API_KEY: &str = "sk-test-0123456789";
pub const MODEL: &str = "gpt-test";

/// Installs the crypto provider the daemon installs in `main` (reqwest is built without one).
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// `[ai]` settings whose OpenAI section points at `base_url`, with millisecond backoffs so
/// tests stay fast, and a price for the test model.
pub fn ai_settings(base_url: &str) -> AiSettings {
    let mut ai = AiSettings::default();
    ai.openai = ProviderSettings {
        base_url: base_url.to_owned(),
        model: MODEL.to_owned(),
        api_key: SecretString::from(API_KEY),
        timeout: HumanDuration::from_duration(Duration::from_secs(5)),
        max_retries: 2,
        backoff_initial: HumanDuration::from_duration(Duration::from_millis(5)),
        backoff_max: HumanDuration::from_duration(Duration::from_millis(50)),
        temperature: Some(0.5),
        max_tokens: Some(600),
        ..ai.openai
    };
    ai.prices.insert(
        MODEL.to_owned(),
        ModelPrice {
            input_usd_per_million_tokens: 2.0,
            output_usd_per_million_tokens: 8.0,
        },
    );
    ai
}

/// The email provider on OpenAI at `base_url`.
pub fn openai_provider(
    ai: &AiSettings,
    on_failure: OnFailure,
) -> Result<Arc<dyn ContentProvider>, ContentError> {
    let settings = ContentSettings {
        provider: ProviderKind::Openai,
        model: None,
        on_failure,
    };
    build_provider(&settings, &Arc::new(Models::new(ai)?))
}

/// A request whose draft is recognisable in the fallback.
pub fn request() -> GenerationRequest {
    let mut context = RenderContext::default();
    context.lead.email = "ann@acme.test".into();
    context.lead.first_name = Some("Ann".into());
    context.lead.company = Some("Acme".into());
    context.campaign.goal = Some("book a 15-minute call".into());
    context.persona = Some(serde_json::json!({"role": "ops lead", "pain_points": ["late trucks"]}));
    context.sender.address = "bob@us.test".into();
    context.sender.signature = Some("Bob".into());
    GenerationRequest {
        draft: Draft {
            subject: "Template subject".into(),
            body: "Template body\n\nBob".into(),
        },
        keep_subject: false,
        ai_instructions: Some("Mention late trucks.".into()),
        context,
        ai: Default::default(),
        tone: None,
    }
}

/// A chat completion as OpenAI sends it, whose message content is `content`.
pub fn completion(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-test-2025-01-01",
        "system_fingerprint": "fp_test",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
    }))
}

/// An error as OpenAI sends it.
pub fn api_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(serde_json::json!({
        "error": {"message": message, "type": "server_error", "param": null, "code": null}
    }))
}
