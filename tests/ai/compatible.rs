//! An OpenAI-compatible server (Ollama, vLLM, a gateway): `json_object`, no key needed, chatter
//! around the object tolerated.

use outreachd::ai::ProviderName;
use outreachd::content::ContentError;
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::openai::{answer, api_error};
use crate::{
    MODEL, OBJECT, assert_object, assert_usage, model, model_from, request, requests_to, sent_body,
    server, settings,
};

const COMPATIBLE: ProviderName = ProviderName::OpenaiCompatible;

#[tokio::test]
async fn a_keyless_server_gets_json_object_and_no_authorization() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(json!({
            "model": MODEL,
            "response_format": {"type": "json_object"},
            "max_tokens": 300
        })))
        .respond_with(answer(OBJECT))
        .expect(1)
        .mount(&server)
        .await;
    let mut ai = settings(COMPATIBLE, &format!("{}/v1/", server.uri()));
    ai.openai_compatible.api_key = SecretString::default();

    let answer = model_from(&ai, COMPATIBLE)
        .complete_json(&request())
        .await
        .unwrap();

    assert_object(&answer.value);
    assert_usage(&answer.usage, "openai_compatible", "test-model-2025-01-01");
    let received = &server.received_requests().await.unwrap()[0];
    assert!(received.headers.get("authorization").is_none());
    assert!(
        sent_body(&server)
            .await
            .get("max_completion_tokens")
            .is_none()
    );
}

#[tokio::test]
async fn code_fences_and_chatter_around_the_object_are_tolerated() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(answer(&format!(
            "Sure! Here it is:\n```json\n{OBJECT}\n```"
        )))
        .mount(&server)
        .await;

    let answer = model(COMPATIBLE, &server)
        .complete_json(&request())
        .await
        .unwrap();

    assert_object(&answer.value);
}

#[tokio::test]
async fn a_gateway_page_instead_of_a_completion_is_a_bad_answer() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway</html>"))
        .mount(&server)
        .await;

    let error = model(COMPATIBLE, &server)
        .complete_json(&request())
        .await
        .unwrap_err();

    assert!(matches!(error, ContentError::BadAnswer { .. }), "{error}");
    assert!(
        error.to_string().contains("not a chat completion"),
        "{error}"
    );
    assert_eq!(requests_to(&server).await, 1);
}

#[tokio::test]
async fn a_busy_server_is_retried() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(api_error(503, "busy", "server_error", ""))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(answer(OBJECT))
        .mount(&server)
        .await;

    model(COMPATIBLE, &server)
        .complete_json(&request())
        .await
        .unwrap();

    assert_eq!(requests_to(&server).await, 3);
}
