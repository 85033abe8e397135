//! Unit tests for the chat-completions request and answer parsing.

use super::*;
use crate::content::context::RenderContext;

fn request(keep_subject: bool) -> GenerationRequest {
    let mut context = RenderContext::default();
    context.lead.email = "ann@acme.test".into();
    context.lead.first_name = Some("Ann".into());
    context.campaign.goal = Some("book a demo".into());
    GenerationRequest {
        draft: Draft {
            subject: "Draft subject".into(),
            body: "Draft body".into(),
        },
        keep_subject,
        ai_instructions: Some("mention trucks".into()),
        context,
    }
}

fn completion(content: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-test-2025",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500}
    }))
    .unwrap()
}

fn settings() -> OpenAiSettings {
    OpenAiSettings {
        input_usd_per_million_tokens: 1.0,
        output_usd_per_million_tokens: 4.0,
        ..OpenAiSettings::default()
    }
}

#[test]
fn the_request_carries_model_format_and_inputs() {
    let body: serde_json::Value =
        serde_json::from_slice(&request_body(&settings(), &request(false)).unwrap()).unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["response_format"]["type"], "json_object");
    assert_eq!(body["messages"][0]["role"], "system");
    let user: serde_json::Value =
        serde_json::from_str(body["messages"][1]["content"].as_str().unwrap()).unwrap();
    assert_eq!(user["campaign_goal"], "book a demo");
    assert_eq!(user["step_instructions"], "mention trucks");
    assert_eq!(user["recipient"]["first_name"], "Ann");
    assert!(
        user["recipient"].get("email").is_none(),
        "the address is not the model's business"
    );
    assert!(
        body.get("temperature").is_none() && body.get("max_tokens").is_none(),
        "unset by default"
    );
    assert_eq!(user["draft"]["body"], "Draft body");
}

#[test]
fn a_good_answer_gives_subject_body_tokens_and_cost() {
    let raw = completion(r#"{"subject": "Trucks\nat Acme", "body": "Hi Ann"}"#);
    let generated = parse_answer(&raw, &request(false), &settings()).unwrap();
    assert_eq!(generated.subject, "Trucks at Acme");
    assert_eq!(generated.body, "Hi Ann");
    assert_eq!(generated.model.as_deref(), Some("gpt-test-2025"));
    assert_eq!(
        (generated.prompt_tokens, generated.completion_tokens),
        (1000, 500)
    );
    assert!(
        (generated.cost_usd - 0.003).abs() < 1e-12,
        "{}",
        generated.cost_usd
    );
}

#[test]
fn code_fences_around_the_json_are_tolerated() {
    let raw = completion("```json\n{\"subject\": \"S\", \"body\": \"B\"}\n```");
    let generated = parse_answer(&raw, &request(false), &settings()).unwrap();
    assert_eq!(
        (generated.subject.as_str(), generated.body.as_str()),
        ("S", "B")
    );
}

#[test]
fn keep_subject_ignores_the_model_subject() {
    let raw = completion(r#"{"subject": "New", "body": "B"}"#);
    assert_eq!(
        parse_answer(&raw, &request(true), &settings())
            .unwrap()
            .subject,
        "Draft subject"
    );
}

#[test]
fn unusable_answers_are_bad_answers() {
    for content in [
        "not json",
        r#"{"subject": "S"}"#,
        r#"{"subject": "S", "body": "  "}"#,
        r#"{"body": "Hi {{ name }}"}"#,
    ] {
        let err = parse_answer(&completion(content), &request(false), &settings()).unwrap_err();
        assert!(
            matches!(err, ContentError::BadAnswer { .. }),
            "{content}: {err}"
        );
        assert!(!err.is_retryable());
    }
    let cut = serde_json::to_vec(&serde_json::json!({
        "choices": [{"message": {"content": "{\"body\": \"x"}, "finish_reason": "length"}]
    }))
    .unwrap();
    assert!(
        parse_answer(&cut, &request(false), &settings())
            .unwrap_err()
            .to_string()
            .contains("max_tokens")
    );
}

#[test]
fn clip_cuts_on_a_character_boundary() {
    assert_eq!(clip("ééé", 2), "éé…");
    assert_eq!(clip("ab", 5), "ab");
}
