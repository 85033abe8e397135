//! Unit tests for rendering: strict undefined, custom and persona access, no includes, size caps,
//! subject normalisation and apply-time validation.

use std::collections::BTreeMap;

use super::*;
use crate::content::context::{CampaignVars, LeadVars, ProductVars, SenderVars};

fn ctx() -> RenderContext {
    RenderContext {
        lead: LeadVars {
            email: "ann@acme.test".into(),
            first_name: Some("Ann".into()),
            company: Some("Acme".into()),
            ..LeadVars::default()
        },
        custom: BTreeMap::from([("industry".to_owned(), "logistics".to_owned())]),
        persona: Some(serde_json::json!({"pain_points": ["late trucks", "paperwork"]})),
        insight: None,
        product: Some(ProductVars {
            name: "Routey".into(),
            description: None,
        }),
        campaign: CampaignVars {
            name: "Q3".into(),
            goal: Some("book a call".into()),
            banned_phrases: Vec::new(),
        },
        sender: SenderVars {
            address: "bob@us.test".into(),
            name: Some("Bob Smith".into()),
            first_name: Some("Bob".into()),
            signature: Some("Bob\nUs Inc.".into()),
        },
        step: 1,
    }
}

fn body(template: &str) -> Result<String, ContentError> {
    render(TemplatePart::Body, template, &ctx(), 0)
}

#[test]
fn lead_fields_are_reachable_at_the_top_level_and_under_lead() {
    assert_eq!(
        body("Hi {{ first_name }} at {{ lead.company }}").unwrap(),
        "Hi Ann at Acme"
    );
}

#[test]
fn custom_fields_persona_product_and_sender_are_reachable() {
    let out = body(
        "{{ custom.industry }}/{{ persona.pain_points[0] }}/{{ product.name }}/{{ sender.first_name }}/{{ campaign.goal }}/{{ step }}",
    )
    .unwrap();
    assert_eq!(out, "logistics/late trucks/Routey/Bob/book a call/1");
}

#[test]
fn an_unknown_variable_fails_naming_the_variable_the_template_and_the_line() {
    let err = body("Hello\n{{ first_nme }}").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"body template: undefined variable "first_nme" (line 2)"#
    );
    assert!(!err.is_retryable());
}

#[test]
fn a_missing_field_of_this_lead_fails_rather_than_leaving_a_hole() {
    let err = body("Hi {{ last_name }},").unwrap_err();
    assert!(
        matches!(err, ContentError::UndefinedVariable { ref name, .. } if name == "last_name"),
        "{err}"
    );
    let err = render(TemplatePart::Subject, "{{ custom.size }}", &ctx(), 0).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(r#"subject template: undefined variable "custom.size""#),
        "{err}"
    );
}

#[test]
fn optional_fields_can_be_tested_and_defaulted() {
    assert_eq!(
        body("{% if last_name %}x{% else %}y{% endif %}").unwrap(),
        "y"
    );
    assert_eq!(
        body(r#"Hi {{ last_name | default("there") }}"#).unwrap(),
        "Hi there"
    );
}

#[test]
fn printing_a_null_is_refused() {
    let mut with_null = ctx();
    with_null.persona = Some(serde_json::json!({"list": [null]}));
    let err = render(TemplatePart::Body, "{{ persona.list[0] }}", &with_null, 0).unwrap_err();
    assert!(err.to_string().contains("null"), "{err}");
}

#[test]
fn includes_imports_and_extends_are_refused() {
    for template in [
        r#"{% include "x" %}"#,
        r#"{% import "x" as y %}"#,
        r#"{% extends "x" %}"#,
    ] {
        let err = body(template).unwrap_err();
        assert!(
            matches!(err, ContentError::IncludeNotAllowed { .. }),
            "{template}: {err}"
        );
    }
}

#[test]
fn the_debug_global_is_not_available() {
    assert!(body("{{ debug() }}").is_err());
}

#[test]
fn output_is_plain_text_without_html_escaping() {
    assert_eq!(body("{{ '<b>&' }}").unwrap(), "<b>&");
}

#[test]
fn spintax_is_expanded_before_jinja_and_is_stable_per_seed() {
    let template = "{Hi|Hello|Hey} {{ first_name }}";
    let out = render(TemplatePart::Body, template, &ctx(), 11).unwrap();
    assert!(
        ["Hi Ann", "Hello Ann", "Hey Ann"].contains(&out.as_str()),
        "{out}"
    );
    assert_eq!(
        out,
        render(TemplatePart::Body, template, &ctx(), 11).unwrap()
    );
}

#[test]
fn syntax_errors_name_the_template() {
    let err = render(TemplatePart::Subject, "{% if x %}", &ctx(), 0).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("subject template: syntax error:"),
        "{err}"
    );
}

#[test]
fn oversized_templates_and_outputs_are_refused() {
    let big = "x".repeat(MAX_TEMPLATE_BYTES + 1);
    assert!(matches!(
        body(&big),
        Err(ContentError::TooLarge {
            what: "template",
            ..
        })
    ));
    let runaway = "{% for i in range(100000) %}{{ 'xxxxxxxxxx' }}{% endfor %}";
    assert!(matches!(body(runaway), Err(ContentError::TooLarge { .. })));
    // Nested loops that print nothing are stopped by fuel, not by the output cap.
    let silent = "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}";
    assert!(matches!(
        body(silent),
        Err(ContentError::TooLarge {
            what: "rendering work",
            ..
        })
    ));
}

#[test]
fn render_draft_normalises_the_subject() {
    let draft = render_draft("Hi\r\n{{ first_name }}\t ", "Body", &ctx(), 0).unwrap();
    assert_eq!(
        draft,
        Draft {
            subject: "Hi Ann".into(),
            body: "Body".into()
        }
    );
}

#[test]
fn subjects_come_out_on_one_line() {
    assert_eq!(
        normalize_subject("  Quick\r\nquestion\t\tfor  you \n"),
        "Quick question for you"
    );
    assert_eq!(normalize_subject("a\u{0}b"), "a b");
    assert_eq!(normalize_subject(""), "");
}

#[test]
fn long_subjects_are_cut_on_a_character_boundary() {
    let long = "é".repeat(MAX_SUBJECT_CHARS + 10);
    let cut = normalize_subject(&long);
    assert_eq!(cut.chars().count(), MAX_SUBJECT_CHARS);
    let spaced = format!("{} tail", "a".repeat(MAX_SUBJECT_CHARS - 1));
    assert_eq!(
        normalize_subject(&spaced),
        "a".repeat(MAX_SUBJECT_CHARS - 1)
    );
}

#[test]
fn validate_accepts_known_and_free_form_names() {
    let ok = "{Hi|Hey} {{ first_name | default('there') }} {{ custom.x }} {{ persona.a.b }} \
              {{ lead.company }} {{ sender.signature }} {% for p in range(2) %}{{ p }}{% endfor %}";
    validate(TemplatePart::Body, ok).unwrap();
}

#[test]
fn validate_flags_typos_and_syntax_errors() {
    let err = validate(TemplatePart::Body, "{{ first_nme }}").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"body template: undefined variable "first_nme""#
    );
    let err = validate(TemplatePart::Body, "{{ lead.compnay }}").unwrap_err();
    assert!(err.to_string().contains("lead.compnay"), "{err}");
    assert!(validate(TemplatePart::Subject, "{{ x ").is_err());
}
