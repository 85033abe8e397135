//! Gemini's generateContent: `x-goog-api-key`, the converted `responseSchema`, `MAX_TOKENS`,
//! safety blocks, its error shape.

use std::time::Instant;

use outreachd::ai::ProviderName;
use outreachd::content::ContentError;
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{
    KEY, OBJECT, assert_object, assert_rejected_key, assert_usage, assert_waited_about_a_second,
    honouring_retry_after, model, request, requests_to, sent_body, server,
};

const GEMINI: ProviderName = ProviderName::Gemini;
const PATH: &str = "/v1beta/models/test-model:generateContent";

fn candidate(text: &str, finish: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "candidates": [{
            "content": {"parts": [{"text": text}], "role": "model"},
            "finishReason": finish,
            "index": 0
        }],
        "usageMetadata": {"promptTokenCount": 1200, "candidatesTokenCount": 300, "totalTokenCount": 1500},
        "modelVersion": "test-model-001"
    }))
}

fn api_error(code: u16, status: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({
        "error": {"code": code, "message": message, "status": status}
    }))
}

async fn answering(response: ResponseTemplate) -> MockServer {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_good_answer_gives_the_object_tokens_and_cost() {
    let server = answering(candidate(OBJECT, "STOP")).await;

    let answer = model(GEMINI, &server)
        .complete_json(&request())
        .await
        .unwrap();

    assert_object(&answer.value);
    assert_usage(&answer.usage, "gemini", "test-model-001");
}

#[tokio::test]
async fn the_request_has_the_key_header_and_the_schema_in_generation_config() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .and(header("x-goog-api-key", KEY))
        .and(body_partial_json(json!({
            "systemInstruction": {"parts": [{"text": "Write the email."}]},
            "contents": [{"role": "user", "parts": [{"text": "{\"lead\": \"Ann\"}"}]}],
            "generationConfig": {
                "responseMimeType": "application/json",
                "maxOutputTokens": 300,
                "temperature": 0.25
            }
        })))
        .respond_with(candidate(OBJECT, "STOP"))
        .expect(1)
        .mount(&server)
        .await;

    model(GEMINI, &server)
        .complete_json(&request())
        .await
        .unwrap();

    let schema = &sent_body(&server).await["generationConfig"]["responseSchema"];
    assert_eq!(schema["type"], "OBJECT");
    assert_eq!(schema["properties"]["body"]["type"], "STRING");
    assert!(schema.get("additionalProperties").is_none(), "{schema}");
    let received = &server.received_requests().await.unwrap()[0];
    assert!(received.url.query().is_none(), "the key is not in the URL");
}

#[tokio::test]
async fn resource_exhausted_waits_the_servers_retry_after_then_succeeds() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(
            api_error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted")
                .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(candidate(OBJECT, "STOP"))
        .mount(&server)
        .await;

    let started = Instant::now();
    honouring_retry_after(GEMINI, &server)
        .complete_json(&request())
        .await
        .unwrap();

    assert_eq!(requests_to(&server).await, 2);
    assert_waited_about_a_second(started);
}

#[tokio::test]
async fn an_unavailable_model_is_retried() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(api_error(503, "UNAVAILABLE", "The model is overloaded."))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(candidate(OBJECT, "STOP"))
        .mount(&server)
        .await;

    model(GEMINI, &server)
        .complete_json(&request())
        .await
        .unwrap();

    assert_eq!(requests_to(&server).await, 2);
}

#[tokio::test]
async fn a_safety_stop_or_a_blocked_prompt_is_a_refusal() {
    let server = answering(candidate("", "SAFETY")).await;
    let error = model(GEMINI, &server)
        .complete_json(&request())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ContentError::Refused {
            provider: "gemini",
            detail: "finishReason SAFETY".into()
        }
    );

    let blocked = answering(ResponseTemplate::new(200).set_body_json(json!({
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 10, "totalTokenCount": 10}
    })))
    .await;
    let error = model(GEMINI, &blocked)
        .complete_json(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ContentError::Refused { .. })
            && error.to_string().contains("PROHIBITED_CONTENT"),
        "{error}"
    );
    assert_eq!(requests_to(&blocked).await, 1);
}

#[tokio::test]
async fn a_max_tokens_finish_is_truncated() {
    let server = answering(candidate("{\"subject\": \"Late", "MAX_TOKENS")).await;

    let error = model(GEMINI, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ContentError::Truncated {
            provider: "gemini",
            limit: Some(300)
        }
    );
}

#[tokio::test]
async fn invalid_json_in_the_text_is_a_bad_answer() {
    let server = answering(candidate("{subject: Late trucks?}", "STOP")).await;

    let error = model(GEMINI, &server)
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
    let server = answering(api_error(
        403,
        "PERMISSION_DENIED",
        &format!("API key not valid: {KEY}. Please pass a valid API key."),
    ))
    .await;

    let error = model(GEMINI, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert_rejected_key(
        error,
        &server,
        403,
        "PERMISSION_DENIED: API key not valid: [redacted]",
    )
    .await;
}
