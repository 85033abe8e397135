use std::collections::VecDeque;
use std::sync::Mutex;

use super::*;
use crate::content::context::RenderContext;
use crate::content::template::Draft;

/// Answers with its texts in order, as a model (`"model"`) or as the template provider.
struct Scripted {
    name: &'static str,
    answers: Mutex<VecDeque<(&'static str, &'static str)>>,
}

impl Scripted {
    fn new(name: &'static str, answers: &[(&'static str, &'static str)]) -> Arc<Self> {
        Arc::new(Self {
            name,
            answers: Mutex::new(answers.iter().copied().collect()),
        })
    }

    fn calls_left(&self) -> usize {
        self.answers.lock().unwrap().len()
    }
}

#[async_trait]
impl ContentProvider for Scripted {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn generate(&self, _: &GenerationRequest) -> Result<Generated, ContentError> {
        let (subject, body) = self.answers.lock().unwrap().pop_front().expect("scripted");
        let paid = self.name != "template";
        Ok(Generated {
            subject: subject.into(),
            body: body.into(),
            provider: self.name.into(),
            model: paid.then(|| "m1".into()),
            prompt_tokens: if paid { 100 } else { 0 },
            completion_tokens: if paid { 50 } else { 0 },
            cost_usd: if paid { 0.25 } else { 0.0 },
            fallback_reason: None,
        })
    }
}

fn request(body: &str) -> GenerationRequest {
    let mut context = RenderContext::default();
    context.campaign.banned_phrases = vec!["act now".into()];
    GenerationRequest {
        draft: Draft {
            subject: "Template subject".into(),
            body: body.into(),
        },
        keep_subject: false,
        ai_instructions: None,
        tone: None,
        ai: Default::default(),
        context,
    }
}

fn gated(inner: Arc<Scripted>, on_failure: OnFailure) -> GatedProvider {
    let settings = QualitySettings {
        on_failure,
        ..QualitySettings::default()
    };
    GatedProvider::new(inner, settings)
}

#[tokio::test]
async fn a_clean_answer_is_used_as_it_is() {
    let model = Scripted::new("model", &[("Hello", "Hi Ada, a short note.")]);
    let g = gated(model.clone(), OnFailure::Fail)
        .generate(&request("Template body"))
        .await
        .unwrap();
    assert_eq!(
        (g.body.as_str(), g.cost_usd),
        ("Hi Ada, a short note.", 0.25)
    );
    assert_eq!(model.calls_left(), 0);
}

#[tokio::test]
async fn a_refused_answer_is_asked_for_once_more_and_both_calls_are_paid_for() {
    let model = Scripted::new(
        "model",
        &[
            ("Hello", "Hi [First Name],"),
            ("Hello", "Hi Ada, a short note."),
        ],
    );
    let g = gated(model.clone(), OnFailure::Fail)
        .generate(&request("Template body"))
        .await
        .unwrap();
    assert_eq!(g.body, "Hi Ada, a short note.");
    assert_eq!(g.fallback_reason, None);
    assert_eq!(
        (g.prompt_tokens, g.completion_tokens, g.cost_usd),
        (200, 100, 0.5)
    );
}

#[tokio::test]
async fn two_refusals_send_the_template_with_the_defect_as_the_reason() {
    let model = Scripted::new(
        "model",
        &[("Hello", "Act NOW please"), ("Hello", "Hi {first_name}")],
    );
    let g = gated(model.clone(), OnFailure::Template)
        .generate(&request("Template body"))
        .await
        .unwrap();
    assert_eq!(
        (g.provider.as_str(), g.body.as_str()),
        ("template", "Template body")
    );
    assert_eq!(
        g.fallback_reason.as_deref(),
        Some(r#"quality gate: the body has an unresolved placeholder "{first_name}""#)
    );
    assert_eq!(g.cost_usd, 0.5, "the refused answers were paid for");
    assert_eq!(model.calls_left(), 0, "asked exactly twice");
}

#[tokio::test]
async fn two_refusals_fail_the_step_with_the_defect_when_so_configured() {
    let model = Scripted::new("model", &[("Hello", "act now"), ("Hello", "Act now!")]);
    let err = gated(model, OnFailure::Fail)
        .generate(&request("Template body"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"quality gate: the body contains the banned phrase "act now""#
    );
    assert!(!err.is_retryable());
    assert!(
        matches!(err, ContentError::Rejected { cost_usd, prompt_tokens: 200, .. } if cost_usd == 0.5)
    );
}

#[tokio::test]
async fn the_fallback_template_is_held_to_the_placeholder_gate() {
    let model = Scripted::new("model", &[("Hello", "[Company]"), ("Hello", "[Company]")]);
    let err = gated(model, OnFailure::Template)
        .generate(&request("Dear <FIRST NAME>,"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"quality gate: the body has an unresolved placeholder "<FIRST NAME>""#
    );
}

#[tokio::test]
async fn the_template_providers_text_is_not_asked_again_and_only_placeholders_fail_it() {
    let template = Scripted::new("template", &[("Hello", "Act now, it is long enough")]);
    let g = gated(template.clone(), OnFailure::Fail)
        .generate(&request("unused"))
        .await
        .unwrap();
    assert_eq!(
        g.body, "Act now, it is long enough",
        "banned phrases are the operator's call"
    );

    let template = Scripted::new("template", &[("Hello", "Hi [First Name],"), ("x", "y")]);
    let err = gated(template.clone(), OnFailure::Template)
        .generate(&request("unused"))
        .await
        .unwrap_err();
    assert!(matches!(err, ContentError::Rejected { .. }), "{err}");
    assert_eq!(template.calls_left(), 1, "not asked again");
}
