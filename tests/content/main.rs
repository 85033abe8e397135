//! Integration tests for `content`: the OpenAI-compatible provider against a local HTTP server
//! speaking the real chat-completions shape (success, retries, fallback, bad answers, timeouts),
//! and the whole path from store rows through rendering to a provider.

mod openai;
mod perplexity;
mod pipeline;
mod rows;

use std::time::Duration;

use outreachd::content::{
    ContentSettings, Draft, GenerationRequest, OnFailure, OpenAiSettings, ProviderKind,
    RenderContext,
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

/// Settings for an OpenAI provider on `base_url`, with millisecond backoffs so tests stay fast.
pub fn openai_settings(base_url: &str, on_failure: OnFailure) -> ContentSettings {
    ContentSettings {
        provider: ProviderKind::Openai,
        on_failure,
        openai: OpenAiSettings {
            base_url: base_url.to_owned(),
            model: MODEL.to_owned(),
            api_key: SecretString::from(API_KEY),
            timeout: HumanDuration::from_duration(Duration::from_secs(5)),
            max_retries: 2,
            backoff_initial: HumanDuration::from_duration(Duration::from_millis(5)),
            backoff_max: HumanDuration::from_duration(Duration::from_millis(50)),
            temperature: Some(0.5),
            max_tokens: Some(600),
            input_usd_per_million_tokens: 2.0,
            output_usd_per_million_tokens: 8.0,
        },
    }
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
