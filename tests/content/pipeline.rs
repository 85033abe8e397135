//! From store rows to the text that is sent: context, spintax, templates, provider.

use outreachd::content::{
    ContentSettings, GenerationRequest, RenderContext, TemplatePart, TemplateProvider,
    build_provider, render, render_draft, spin_seed,
};

use crate::rows;

const SUBJECT: &str = "{Quick question|A question} about {{ company }}";
const BODY: &str = "{Hi|Hello} {{ first_name }},\n\n\
{% if custom.fleet_size %}With {{ custom.fleet_size }} trucks{% else %}With a fleet{% endif %}, \
{{ persona.pain_points[0] }} cost money. {{ product.name }} helps: {{ product.description }}\n\n\
{{ sender.signature }}";

fn context() -> RenderContext {
    let product = rows::product();
    RenderContext::new(
        &rows::lead(),
        &rows::mailbox(),
        &rows::campaign(Some(&product)),
        Some(&product),
        1,
    )
}

#[test]
fn store_rows_render_into_a_complete_email() {
    let lead = rows::lead();
    let draft = render_draft(SUBJECT, BODY, &context(), spin_seed(lead.id, 1)).unwrap();

    assert!(
        draft.subject.ends_with("question about Acme Freight"),
        "{}",
        draft.subject
    );
    assert!(
        draft
            .body
            .contains(" Ann,\n\nWith 120 trucks, late trucks cost money."),
        "{}",
        draft.body
    );
    assert!(
        draft
            .body
            .contains("Routey helps: Route planning for regional fleets."),
        "{}",
        draft.body
    );
    assert!(draft.body.ends_with("Bob Smith\nRoutey"), "{}", draft.body);
}

#[test]
fn the_same_lead_and_step_always_render_the_same_text() {
    let lead = rows::lead();
    let first = render_draft(SUBJECT, BODY, &context(), spin_seed(lead.id, 2)).unwrap();
    let again = render_draft(SUBJECT, BODY, &context(), spin_seed(lead.id, 2)).unwrap();
    assert_eq!(first, again);
}

#[test]
fn the_context_exposes_names_sender_and_campaign_and_hides_blank_fields() {
    let ctx = context();
    let out = render(
        TemplatePart::Body,
        "{{ full_name }}|{{ lead.title }}|{{ sender.first_name }}|{{ sender.name }}|{{ campaign.goal }}|{{ step }}",
        &ctx,
        0,
    )
    .unwrap();
    assert_eq!(
        out,
        "Ann Lee|Head of Operations|Bob|Bob Smith|Book a 15-minute call|1"
    );
    // phone is "" on the row and linkedin is missing: both undefined, never printed blank.
    for template in [
        "{{ phone }}",
        "{{ lead.linkedin }}",
        "{{ persona.seniority }}",
    ] {
        let err = render(TemplatePart::Body, template, &ctx, 0).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("body template: undefined variable"),
            "{template}: {err}"
        );
    }
}

#[test]
fn a_lead_without_the_printed_field_fails_with_a_reason_to_store() {
    let mut lead = rows::lead();
    lead.first_name = None;
    let product = rows::product();
    let ctx = RenderContext::new(
        &lead,
        &rows::mailbox(),
        &rows::campaign(None),
        Some(&product),
        1,
    );
    let err = render_draft(SUBJECT, "Hi {{ first_name }},", &ctx, 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"body template: undefined variable "first_name" (line 1)"#
    );
}

#[tokio::test]
async fn the_template_provider_sends_the_rendered_draft() {
    let ctx = context();
    let draft = render_draft(SUBJECT, BODY, &ctx, 5).unwrap();
    let models = std::sync::Arc::new(
        outreachd::ai::Models::new(&outreachd::ai::AiSettings::default()).unwrap(),
    );
    let provider = build_provider(&ContentSettings::default(), &models).unwrap();
    let request = GenerationRequest {
        draft: draft.clone(),
        keep_subject: false,
        ai_instructions: None,
        context: ctx,
        ai: Default::default(),
        tone: None,
    };

    let generated = provider.generate(&request).await.unwrap();

    assert_eq!(generated, TemplateProvider::draft(&request));
    assert_eq!(
        (generated.subject, generated.body),
        (draft.subject, draft.body)
    );
}
