//! The email provider on OpenAI, against a local server speaking the chat-completions API.

use std::time::Duration;

use outreachd::content::{ContentError, OnFailure};
use outreachd::domain::HumanDuration;
use wiremock::matchers::{bearer_token, body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{
    API_KEY, MODEL, ai_settings, api_error, completion, init_tls, openai_provider, request,
};

const GOOD_ANSWER: &str =
    r#"{"subject": "Late trucks at Acme?", "body": "Hi Ann,\n\nQuick question.\n\nBob"}"#;

async fn server() -> MockServer {
    init_tls();
    MockServer::start().await
}

async fn requests_to(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

#[tokio::test]
async fn a_good_answer_is_returned_with_model_tokens_and_cost() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(completion(GOOD_ANSWER))
        .mount(&server)
        .await;
    let provider = openai_provider(&ai_settings(&server.uri()), OnFailure::Fail).unwrap();

    let generated = provider.generate(&request()).await.unwrap();

    assert_eq!(generated.subject, "Late trucks at Acme?");
    assert_eq!(generated.body, "Hi Ann,\n\nQuick question.\n\nBob");
    assert_eq!(generated.provider, "openai");
    assert_eq!(generated.model.as_deref(), Some("gpt-test-2025-01-01"));
    assert_eq!(
        (generated.prompt_tokens, generated.completion_tokens),
        (1200, 300)
    );
    // 1200 * $2/M + 300 * $8/M
    assert!(
        (generated.cost_usd - 0.0048).abs() < 1e-12,
        "{}",
        generated.cost_usd
    );
    assert_eq!(generated.fallback_reason, None);
}

#[tokio::test]
async fn the_request_carries_model_messages_format_and_bearer_token() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(bearer_token(API_KEY))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(serde_json::json!({
            "model": MODEL,
            "response_format": {"type": "json_schema", "json_schema": {"name": "email", "strict": true}},
            "temperature": 0.5,
            "max_completion_tokens": 600
        })))
        .respond_with(completion(GOOD_ANSWER))
        .expect(1)
        .mount(&server)
        .await;
    let provider =
        openai_provider(&ai_settings(&format!("{}/", server.uri())), OnFailure::Fail).unwrap();

    provider.generate(&request()).await.unwrap();

    let sent: serde_json::Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    let messages = sent["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        (messages[0]["role"].as_str(), messages[1]["role"].as_str()),
        (Some("system"), Some("user"))
    );
    let user: serde_json::Value =
        serde_json::from_str(messages[1]["content"].as_str().unwrap()).unwrap();
    assert_eq!(user["campaign_goal"], "book a 15-minute call");
    assert_eq!(user["step_instructions"], "Mention late trucks.");
    assert_eq!(user["draft"]["subject"], "Template subject");
    assert_eq!(user["recipient"]["company"], "Acme");
    assert_eq!(
        user["recipient"]["persona"]["pain_points"][0],
        "late trucks"
    );
    assert_eq!(user["sender"]["signature"], "Bob");
}

#[tokio::test]
async fn a_rate_limited_request_is_retried_after_the_servers_delay() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(api_error(429, "Rate limit reached").insert_header("retry-after-ms", "20"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(completion(GOOD_ANSWER))
        .mount(&server)
        .await;
    let provider = openai_provider(&ai_settings(&server.uri()), OnFailure::Fail).unwrap();

    let generated = provider.generate(&request()).await.unwrap();

    assert_eq!(generated.provider, "openai");
    assert_eq!(requests_to(&server).await, 2);
}

#[tokio::test]
async fn repeated_server_errors_fall_back_to_the_template() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(api_error(500, "The server had an error"))
        .mount(&server)
        .await;
    let provider = openai_provider(&ai_settings(&server.uri()), OnFailure::Template).unwrap();

    let generated = provider.generate(&request()).await.unwrap();

    assert_eq!(
        requests_to(&server).await,
        3,
        "one attempt and max_retries = 2 retries"
    );
    assert_eq!(generated.provider, "template");
    assert_eq!(
        (generated.subject.as_str(), generated.body.as_str()),
        ("Template subject", "Template body\n\nBob")
    );
    assert_eq!(
        generated.fallback_reason.as_deref(),
        Some("openai: HTTP 500: server_error: The server had an error")
    );
}

#[tokio::test]
async fn repeated_server_errors_fail_the_step_when_configured_to_fail() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(api_error(503, "Overloaded"))
        .mount(&server)
        .await;
    let provider = openai_provider(&ai_settings(&server.uri()), OnFailure::Fail).unwrap();

    let err = provider.generate(&request()).await.unwrap_err();

    assert_eq!(
        err,
        ContentError::Provider {
            provider: "openai",
            status: 503,
            detail: "server_error: Overloaded".into()
        }
    );
    assert!(err.is_retryable(), "the step may be tried again later");
}

#[tokio::test]
async fn a_rejected_key_is_not_retried_and_the_key_never_shows_in_the_error() {
    let server = server().await;
    let echo = format!("Incorrect API key provided: {API_KEY}.");
    Mock::given(method("POST"))
        .respond_with(api_error(401, &echo))
        .mount(&server)
        .await;
    let provider = openai_provider(&ai_settings(&server.uri()), OnFailure::Fail).unwrap();

    let err = provider.generate(&request()).await.unwrap_err();

    assert_eq!(requests_to(&server).await, 1);
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("HTTP 401") && !text.contains(API_KEY),
        "{text}"
    );
}

#[tokio::test]
async fn a_malformed_answer_is_a_bad_answer_without_retries() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(completion("Sure! Here is your email: Hi Ann"))
        .mount(&server)
        .await;
    let provider = openai_provider(&ai_settings(&server.uri()), OnFailure::Fail).unwrap();

    let err = provider.generate(&request()).await.unwrap_err();

    assert!(matches!(err, ContentError::BadAnswer { .. }), "{err}");
    assert_eq!(requests_to(&server).await, 1);
}

#[tokio::test]
async fn a_malformed_answer_falls_back_to_the_template() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway</html>"))
        .mount(&server)
        .await;
    let provider = openai_provider(&ai_settings(&server.uri()), OnFailure::Template).unwrap();

    let generated = provider.generate(&request()).await.unwrap();

    assert_eq!(generated.provider, "template");
    assert!(
        generated
            .fallback_reason
            .unwrap()
            .contains("unusable answer")
    );
}

#[tokio::test]
async fn a_slow_server_times_out_and_is_retried() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(completion(GOOD_ANSWER).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let mut ai = ai_settings(&server.uri());
    ai.openai.timeout = HumanDuration::from_duration(Duration::from_millis(200));
    ai.openai.max_retries = 1;
    let provider = openai_provider(&ai, OnFailure::Fail).unwrap();

    let started = std::time::Instant::now();
    let err = provider.generate(&request()).await.unwrap_err();

    assert!(matches!(err, ContentError::Timeout { .. }), "{err}");
    assert!(err.is_retryable());
    assert_eq!(requests_to(&server).await, 2);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_backoff_max_ends_the_retries() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(api_error(429, "Slow down").insert_header("retry-after", "120"))
        .mount(&server)
        .await;
    let provider = openai_provider(&ai_settings(&server.uri()), OnFailure::Fail).unwrap();

    let err = provider.generate(&request()).await.unwrap_err();

    assert!(
        matches!(err, ContentError::Provider { status: 429, .. }),
        "{err}"
    );
    assert_eq!(requests_to(&server).await, 1);
}

#[tokio::test]
async fn an_unreachable_server_is_a_retryable_transport_error() {
    init_tls();
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let provider = openai_provider(
        &ai_settings(&format!("http://127.0.0.1:{port}")),
        OnFailure::Fail,
    )
    .unwrap();

    let err = provider.generate(&request()).await.unwrap_err();

    assert!(matches!(err, ContentError::Transport { .. }), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_campaign_naming_its_own_provider_and_model_is_written_by_them() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(body_partial_json(
            serde_json::json!({"model": "gpt-campaign"}),
        ))
        .respond_with(completion(GOOD_ANSWER))
        .expect(1)
        .mount(&server)
        .await;
    let ai = ai_settings(&server.uri());
    let models = std::sync::Arc::new(outreachd::ai::Models::new(&ai).unwrap());
    // The daemon writes with the template; this campaign asks for OpenAI.
    let provider = outreachd::content::build_provider(
        &outreachd::content::ContentSettings::default(),
        &models,
    )
    .unwrap();
    let mut req = request();
    req.ai = outreachd::domain::CampaignAi {
        provider: Some(outreachd::ai::ProviderName::Openai),
        model: Some("gpt-campaign".into()),
    };

    let generated = provider.generate(&req).await.unwrap();

    assert_eq!(provider.name(), "template");
    assert_eq!(generated.provider, "openai");
    assert_eq!(generated.subject, "Late trucks at Acme?");
    assert_eq!(
        provider.generate(&request()).await.unwrap().provider,
        "template",
        "other campaigns keep the configured provider"
    );
}

#[tokio::test]
async fn a_campaign_naming_a_provider_without_a_key_falls_back_or_fails_naming_it() {
    let ai = ai_settings("http://127.0.0.1:9");
    let models = std::sync::Arc::new(outreachd::ai::Models::new(&ai).unwrap());
    let mut req = request();
    req.ai.provider = Some(outreachd::ai::ProviderName::Gemini);
    let settings = |on_failure| outreachd::content::ContentSettings {
        on_failure,
        ..Default::default()
    };

    let fallback = outreachd::content::build_provider(&settings(OnFailure::Template), &models)
        .unwrap()
        .generate(&req)
        .await
        .unwrap();
    let error = outreachd::content::build_provider(&settings(OnFailure::Fail), &models)
        .unwrap()
        .generate(&req)
        .await
        .unwrap_err();

    assert_eq!(fallback.provider, "template");
    let expected = "Gemini API key not configured (set OUTREACHD__AI__GEMINI__API_KEY)";
    assert_eq!(fallback.fallback_reason.as_deref(), Some(expected));
    assert_eq!(error.to_string(), expected);
}
