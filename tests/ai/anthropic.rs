//! Anthropic's Messages API: the forced tool, `x-api-key` and `anthropic-version`, 529
//! overloaded, `max_tokens` and `refusal` stop reasons, its error shape.

use std::time::Instant;

use outreachd::ai::ProviderName;
use outreachd::content::ContentError;
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{
    KEY, MODEL, assert_object, assert_rejected_key, assert_usage, assert_waited_about_a_second,
    honouring_retry_after, model, request, requests_to, sent_body, server,
};

const ANTHROPIC: ProviderName = ProviderName::Anthropic;

/// A Messages API answer with `content` blocks.
fn message(content: serde_json::Value, stop_reason: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "test-model-20250101",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {"input_tokens": 1200, "output_tokens": 300}
    }))
}

fn tool_answer() -> ResponseTemplate {
    message(
        json!([{
            "type": "tool_use",
            "id": "toolu_01",
            "name": "email",
            "input": {"subject": "Late trucks?", "body": "Hi Ann"}
        }]),
        "tool_use",
    )
}

fn api_error(status: u16, kind: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "type": "error",
        "error": {"type": kind, "message": message}
    }))
}

async fn answering(response: ResponseTemplate) -> MockServer {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_good_answer_is_the_tool_input_with_tokens_and_cost() {
    let server = answering(tool_answer()).await;

    let answer = model(ANTHROPIC, &server)
        .complete_json(&request())
        .await
        .unwrap();

    assert_object(&answer.value);
    assert_usage(&answer.usage, "anthropic", "test-model-20250101");
}

#[tokio::test]
async fn the_request_forces_the_schema_tool_with_the_key_and_version_headers() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({
            "model": MODEL,
            "max_tokens": 300,
            "temperature": 0.25,
            "system": "Write the email.",
            "tool_choice": {"type": "tool", "name": "email"}
        })))
        .respond_with(tool_answer())
        .expect(1)
        .mount(&server)
        .await;

    model(ANTHROPIC, &server)
        .complete_json(&request())
        .await
        .unwrap();

    let sent = sent_body(&server).await;
    assert_eq!(sent["tools"][0]["name"], "email");
    assert_eq!(sent["tools"][0]["input_schema"], request().schema);
    assert_eq!(
        sent["messages"],
        json!([{"role": "user", "content": "{\"lead\": \"Ann\"}"}])
    );
    let received = &server.received_requests().await.unwrap()[0];
    assert!(received.headers.get("authorization").is_none());
}

#[tokio::test]
async fn overloaded_529_is_retried() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(api_error(529, "overloaded_error", "Overloaded"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(tool_answer())
        .mount(&server)
        .await;

    let answer = model(ANTHROPIC, &server)
        .complete_json(&request())
        .await
        .unwrap();

    assert_object(&answer.value);
    assert_eq!(requests_to(&server).await, 3);
}

#[tokio::test]
async fn an_overload_that_lasts_names_the_error_type() {
    let server = answering(api_error(529, "overloaded_error", "Overloaded")).await;

    let error = model(ANTHROPIC, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        "anthropic: HTTP 529: overloaded_error: Overloaded"
    );
    assert!(error.is_retryable());
    assert_eq!(requests_to(&server).await, 3);
}

#[tokio::test]
async fn a_rate_limited_call_waits_the_servers_retry_after_then_succeeds() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(
            api_error(
                429,
                "rate_limit_error",
                "Number of requests has exceeded your rate limit",
            )
            .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(tool_answer())
        .mount(&server)
        .await;

    let started = Instant::now();
    honouring_retry_after(ANTHROPIC, &server)
        .complete_json(&request())
        .await
        .unwrap();

    assert_eq!(requests_to(&server).await, 2);
    assert_waited_about_a_second(started);
}

#[tokio::test]
async fn a_server_error_is_retried() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(api_error(500, "api_error", "Internal server error"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(tool_answer())
        .mount(&server)
        .await;

    model(ANTHROPIC, &server)
        .complete_json(&request())
        .await
        .unwrap();

    assert_eq!(requests_to(&server).await, 2);
}

#[tokio::test]
async fn a_refusal_stop_reason_is_a_refused_error() {
    let server = answering(message(
        json!([{"type": "text", "text": "I won't write that."}]),
        "refusal",
    ))
    .await;

    let error = model(ANTHROPIC, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ContentError::Refused {
            provider: "anthropic",
            detail: "I won't write that.".into()
        }
    );
    assert_eq!(requests_to(&server).await, 1);
}

#[tokio::test]
async fn a_max_tokens_stop_is_truncated_at_the_cap_sent() {
    let server = answering(message(
        json!([{"type": "tool_use", "id": "toolu_01", "name": "email", "input": {}}]),
        "max_tokens",
    ))
    .await;

    let error = model(ANTHROPIC, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ContentError::Truncated {
            provider: "anthropic",
            limit: Some(300)
        }
    );
}

#[tokio::test]
async fn an_answer_without_the_tool_call_is_a_bad_answer() {
    let server = answering(message(
        json!([{"type": "text", "text": "{\"subject\": oops"}]),
        "end_turn",
    ))
    .await;

    let error = model(ANTHROPIC, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert!(
        matches!(error, ContentError::BadAnswer { .. }) && error.to_string().contains("tool_use"),
        "{error}"
    );
    assert_eq!(requests_to(&server).await, 1);
}

#[tokio::test]
async fn a_wrong_key_is_not_retried_and_never_shown() {
    let server = answering(api_error(
        401,
        "authentication_error",
        &format!("invalid x-api-key {KEY}"),
    ))
    .await;

    let error = model(ANTHROPIC, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert_rejected_key(
        error,
        &server,
        401,
        "authentication_error: invalid x-api-key [redacted]",
    )
    .await;
}
