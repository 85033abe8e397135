//! OpenAI's chat completions: strict JSON schema, refusals, `length`, its error shape.

use std::time::Instant;

use outreachd::ai::ProviderName;
use outreachd::content::ContentError;
use serde_json::json;
use wiremock::matchers::{bearer_token, body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{
    KEY, MODEL, OBJECT, assert_object, assert_rejected_key, assert_usage,
    assert_waited_about_a_second, honouring_retry_after, model, request, requests_to, sent_body,
    server,
};

const OPENAI: ProviderName = ProviderName::Openai;

/// A chat completion as OpenAI sends it.
pub fn completion(
    content: serde_json::Value,
    refusal: serde_json::Value,
    finish: &str,
) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model-2025-01-01",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": refusal},
            "logprobs": null,
            "finish_reason": finish
        }],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
    }))
}

pub fn answer(content: &str) -> ResponseTemplate {
    completion(json!(content), json!(null), "stop")
}

/// An error as OpenAI sends it.
pub fn api_error(status: u16, message: &str, kind: &str, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {"message": message, "type": kind, "param": null, "code": code}
    }))
}

async fn answering(response: ResponseTemplate) -> MockServer {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_good_answer_gives_the_object_tokens_and_cost_of_the_dated_model() {
    let server = answering(answer(OBJECT)).await;

    let answer = model(OPENAI, &server)
        .complete_json(&request())
        .await
        .unwrap();

    assert_object(&answer.value);
    assert_usage(&answer.usage, "openai", "test-model-2025-01-01");
}

#[tokio::test]
async fn the_request_has_the_bearer_key_the_messages_and_the_strict_schema() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(bearer_token(KEY))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({
            "model": MODEL,
            "temperature": 0.25,
            "max_completion_tokens": 300,
            "response_format": {"type": "json_schema", "json_schema": {"name": "email", "strict": true}}
        })))
        .respond_with(answer(OBJECT))
        .expect(1)
        .mount(&server)
        .await;

    model(OPENAI, &server)
        .complete_json(&request())
        .await
        .unwrap();

    let sent = sent_body(&server).await;
    assert_eq!(
        sent["response_format"]["json_schema"]["schema"],
        request().schema
    );
    assert_eq!(
        sent["messages"][0],
        json!({"role": "system", "content": "Write the email."})
    );
    assert_eq!(sent["messages"][1]["role"], "user");
}

#[tokio::test]
async fn a_rate_limited_call_waits_the_servers_retry_after_then_succeeds() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(
            api_error(429, "Rate limit reached", "requests", "rate_limit_exceeded")
                .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(answer(OBJECT))
        .mount(&server)
        .await;

    let started = Instant::now();
    let answer = honouring_retry_after(OPENAI, &server)
        .complete_json(&request())
        .await
        .unwrap();

    assert_object(&answer.value);
    assert_eq!(requests_to(&server).await, 2);
    assert_waited_about_a_second(started);
}

#[tokio::test]
async fn server_errors_are_retried_up_to_max_retries() {
    let server = answering(api_error(
        500,
        "The server had an error",
        "server_error",
        "",
    ))
    .await;

    let error = model(OPENAI, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert_eq!(requests_to(&server).await, 3, "one attempt and 2 retries");
    assert_eq!(
        error.to_string(),
        "openai: HTTP 500: server_error: The server had an error"
    );
    assert!(error.is_retryable(), "the step may be tried again later");
}

#[tokio::test]
async fn a_refusal_is_a_refused_error_with_the_models_words() {
    let server = answering(completion(
        json!(null),
        json!("I can't help with that."),
        "stop",
    ))
    .await;

    let error = model(OPENAI, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ContentError::Refused {
            provider: "openai",
            detail: "I can't help with that.".into()
        }
    );
    assert_eq!(requests_to(&server).await, 1);
}

#[tokio::test]
async fn an_answer_cut_at_length_is_truncated_at_the_cap() {
    let server = answering(completion(
        json!("{\"subject\": \"Late"),
        json!(null),
        "length",
    ))
    .await;

    let error = model(OPENAI, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ContentError::Truncated {
            provider: "openai",
            limit: Some(300)
        }
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn invalid_json_in_the_content_is_a_bad_answer_without_retries() {
    let server = answering(answer("{\"subject\": \"Late trucks?\", body: Hi}")).await;

    let error = model(OPENAI, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert!(
        matches!(error, ContentError::BadAnswer { .. })
            && error.to_string().contains("invalid JSON"),
        "{error}"
    );
    assert_eq!(requests_to(&server).await, 1);
}

#[tokio::test]
async fn a_wrong_key_is_not_retried_and_never_shown() {
    let echo = format!("Incorrect API key provided: {KEY}. You can find your API key at ...");
    let server = answering(api_error(
        401,
        &echo,
        "invalid_request_error",
        "invalid_api_key",
    ))
    .await;

    let error = model(OPENAI, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert_rejected_key(
        error,
        &server,
        401,
        "Incorrect API key provided: [redacted]",
    )
    .await;
}
