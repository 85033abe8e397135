//! The Perplexity provider against a local server speaking its chat-completions API: answers
//! with their sources, a rate limit waited out, a refused key.

use std::time::Duration;

use outreachd::ai::{AiSettings, JsonRequest, Models, Purpose, Source};
use outreachd::content::ContentError;
use outreachd::domain::HumanDuration;
use secrecy::SecretString;
use wiremock::matchers::{bearer_token, body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "pplx-test-0123456789";

fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn models(base_url: &str) -> Models {
    let mut settings = AiSettings::default();
    let p = &mut settings.perplexity;
    p.api_key = SecretString::from(KEY);
    p.base_url = base_url.to_owned();
    p.max_retries = 2;
    p.backoff_initial = HumanDuration::from_duration(Duration::from_millis(5));
    p.backoff_max = HumanDuration::from_duration(Duration::from_secs(2));
    Models::new(&settings).unwrap()
}

fn request() -> JsonRequest {
    JsonRequest {
        purpose: Purpose::Insight,
        system: "Research the company.".into(),
        user: "acme.test".into(),
        schema_name: "insight",
        schema: serde_json::json!({
            "type": "object",
            "properties": {"summary": {"type": "string"}},
            "required": ["summary"],
            "additionalProperties": false
        }),
        max_tokens: None,
        temperature: None,
    }
}

/// A completion as Perplexity sends it: the OpenAI shape plus `citations` and `search_results`.
fn answer(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "id": "3c1d2a",
        "model": "sonar",
        "created": 1_760_000_000,
        "object": "chat.completion",
        "usage": {
            "prompt_tokens": 40, "completion_tokens": 160, "total_tokens": 200,
            "search_context_size": "low",
            "cost": {"input_tokens_cost": 0.0, "output_tokens_cost": 0.0, "request_cost": 0.005,
                     "total_cost": 0.005}
        },
        "citations": ["https://acme.test/news", "https://press.test/acme-series-b"],
        "search_results": [
            {"title": "Acme raises Series B", "url": "https://press.test/acme-series-b",
             "date": "2026-10-02", "last_updated": "2026-10-03"}
        ],
        "choices": [{
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": content}
        }]
    }))
}

fn api_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(serde_json::json!({
        "error": {"message": message, "type": "invalid_api_key", "code": 401}
    }))
}

#[tokio::test]
async fn a_good_answer_comes_with_its_sources_and_usage() {
    init_tls();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(bearer_token(KEY))
        .and(body_partial_json(serde_json::json!({
            "model": "sonar",
            "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "object"}}}
        })))
        .respond_with(answer(
            "<think>Acme {maybe}</think>{\"summary\": \"Acme makes trucks.\"}",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let model = models(&server.uri()).perplexity(None).unwrap();

    let (answer, sources) = model.research(&request()).await.unwrap();

    assert_eq!(answer.value["summary"], "Acme makes trucks.");
    assert_eq!(
        (answer.usage.provider, answer.usage.model.as_str()),
        ("perplexity", "sonar")
    );
    assert_eq!(
        (answer.usage.input_tokens, answer.usage.output_tokens),
        (40, 160)
    );
    // 40 + 160 tokens at $1/M each.
    assert!((answer.usage.cost_usd - 0.0002).abs() < 1e-12);
    assert_eq!(
        sources,
        vec![
            Source {
                url: "https://press.test/acme-series-b".into(),
                title: Some("Acme raises Series B".into()),
                date: Some("2026-10-02".into()),
            },
            Source {
                url: "https://acme.test/news".into(),
                title: None,
                date: None,
            },
        ],
        "search results first, each URL once"
    );
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_as_the_server_asks() {
    init_tls();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(api_error(429, "Rate limit exceeded").insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(answer(r#"{"summary": "Acme makes trucks."}"#))
        .mount(&server)
        .await;
    let model = models(&server.uri()).model(outreachd::ai::ProviderName::Perplexity, None);

    let started = std::time::Instant::now();
    let answer = model.unwrap().complete_json(&request()).await.unwrap();

    assert_eq!(answer.value["summary"], "Acme makes trucks.");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited retry-after"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_refused_key_is_an_error_that_is_not_retried_and_hides_the_key() {
    init_tls();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(api_error(401, "Invalid API key"))
        .mount(&server)
        .await;
    let model = models(&server.uri()).perplexity(None).unwrap();

    let error = model.research(&request()).await.unwrap_err();

    assert!(
        matches!(error, ContentError::Provider { status: 401, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(
        text.contains("Invalid API key") && !text.contains(KEY),
        "{text}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
