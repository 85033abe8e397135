//! Unit tests for the email prompt and how an answer becomes a `Generated`.

use std::time::Duration;

use super::*;
use crate::ai::CallUsage;
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
        ai: Default::default(),
        tone: None,
    }
}

fn answer(value: serde_json::Value) -> JsonAnswer {
    let serde_json::Value::Object(value) = value else {
        panic!("not an object")
    };
    JsonAnswer {
        value,
        usage: CallUsage {
            provider: "anthropic",
            model: "claude-test".into(),
            input_tokens: 1000,
            output_tokens: 500,
            cost_usd: 0.003,
            latency: Duration::from_millis(5),
        },
    }
}

#[test]
fn the_request_carries_the_prompt_the_inputs_and_the_schema() {
    let request = email_request(&request(false)).unwrap();
    assert_eq!(request.purpose, Purpose::Email);
    assert_eq!(request.system, SYSTEM_PROMPT);
    assert_eq!(request.schema_name, "email");
    assert_eq!(
        request.schema["required"],
        serde_json::json!(["subject", "body"])
    );
    assert_eq!(request.schema["additionalProperties"], false);
    let user: serde_json::Value = serde_json::from_str(&request.user).unwrap();
    assert_eq!(user["campaign_goal"], "book a demo");
    assert_eq!(user["step_instructions"], "mention trucks");
    assert_eq!(user["recipient"]["first_name"], "Ann");
    assert!(
        user["recipient"].get("email").is_none(),
        "the address is not the model's business"
    );
    assert_eq!(user["draft"]["body"], "Draft body");
    assert_eq!((request.max_tokens, request.temperature), (None, None));
    assert!(user.get("tone").is_none(), "no tone unless asked");
}

#[test]
fn a_tone_asked_for_is_in_the_inputs() {
    let mut req = request(false);
    req.tone = Some(" warmer ".into());
    let user: serde_json::Value = serde_json::from_str(&email_request(&req).unwrap().user).unwrap();
    assert_eq!(user["tone"], "warmer");
}

#[test]
fn a_good_answer_gives_subject_body_tokens_and_cost() {
    let generated = generated_from(
        answer(serde_json::json!({"subject": "Trucks\nat Acme", "body": "Hi Ann"})),
        &request(false),
    )
    .unwrap();
    assert_eq!(generated.subject, "Trucks at Acme");
    assert_eq!(generated.body, "Hi Ann");
    assert_eq!(generated.provider, "anthropic");
    assert_eq!(generated.model.as_deref(), Some("claude-test"));
    assert_eq!(
        (generated.prompt_tokens, generated.completion_tokens),
        (1000, 500)
    );
    assert_eq!(generated.cost_usd, 0.003);
}

#[test]
fn keep_subject_ignores_the_model_subject() {
    let generated = generated_from(
        answer(serde_json::json!({"subject": "New", "body": "B"})),
        &request(true),
    )
    .unwrap();
    assert_eq!(generated.subject, "Draft subject");
}

#[test]
fn unusable_answers_are_bad_answers_naming_the_defect() {
    for (value, defect) in [
        (serde_json::json!({"subject": "S"}), "no body"),
        (
            serde_json::json!({"subject": "S", "body": "  "}),
            "empty body",
        ),
        (
            serde_json::json!({"body": "Hi {{ name }}"}),
            "template placeholders",
        ),
        (serde_json::json!({"body": 3}), "body is not a string"),
    ] {
        let err = generated_from(answer(value.clone()), &request(false)).unwrap_err();
        assert!(
            matches!(err, ContentError::BadAnswer { .. }) && err.to_string().contains(defect),
            "{value}: {err}"
        );
        assert!(!err.is_retryable());
    }
}
