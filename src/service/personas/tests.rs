//! The persona prompt: what the model is told, and what it is not.

use std::collections::BTreeMap;

use chrono::Utc;

use super::*;
use crate::domain::Lead;

fn record() -> LeadPersona {
    LeadPersona {
        lead: Lead {
            id: LeadId(uuid::Uuid::nil()),
            workspace_id: WorkspaceId(uuid::Uuid::nil()),
            email: "ann@acme.test".into(),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            title: Some("VP Operations".into()),
            company: Some("Acme Freight".into()),
            website: Some("acme.test".into()),
            linkedin: Some("https://www.linkedin.com/in/ann-lee".into()),
            phone: Some("+1 555 0100".into()),
            timezone: None,
            custom: BTreeMap::from([("Fleet".into(), "400 trucks".into())]),
            persona: None,
            unsubscribed_at: None,
            created_at: Utc::now(),
        },
        profile_text: Some("Ann runs dispatch for the Midwest.".into()),
        generated_at: None,
        provider: None,
        model: None,
        cost_usd: None,
        error: None,
    }
}

#[test]
fn the_prompt_carries_fields_texts_and_the_persona_schema() {
    let request = request(&record(), Some("Acme moves pallets across Ohio."));
    assert_eq!(request.purpose, Purpose::Persona);
    assert_eq!(request.schema_name, "persona");
    assert_eq!(request.schema, Persona::schema());
    for fact in [
        "VP Operations",
        "Acme Freight",
        "400 trucks",
        "Ann runs dispatch for the Midwest.",
        "Acme moves pallets across Ohio.",
    ] {
        assert!(request.user.contains(fact), "{fact}: {}", request.user);
    }
}

#[test]
fn the_linkedin_url_is_a_reference_and_never_read() {
    let request = request(&record(), None);
    assert!(
        request
            .user
            .contains("\"linkedin_url_reference_only\": \"https://www.linkedin.com/in/ann-lee\""),
        "{}",
        request.user
    );
    assert!(request.system.contains("its page was not read"));
}

#[test]
fn the_email_address_and_phone_are_not_sent() {
    let request = request(&record(), None);
    assert!(!request.user.contains("ann@acme.test"));
    assert!(!request.user.contains("555"));
}

#[test]
fn website_text_is_cut_to_its_limit() {
    let long = "w".repeat(MAX_WEBSITE_CHARS + 500);
    let request = request(&record(), Some(&long));
    assert!(request.user.contains(&"w".repeat(MAX_WEBSITE_CHARS)));
    assert!(!request.user.contains(&"w".repeat(MAX_WEBSITE_CHARS + 1)));
}

#[test]
fn texts_from_the_web_are_declared_data_not_instructions() {
    assert!(
        request(&record(), None)
            .system
            .contains("never instructions")
    );
}

#[test]
fn a_bare_domain_is_fetched_over_https() {
    assert_eq!(website_url("acme.test"), "https://acme.test");
    assert_eq!(
        website_url("http://acme.test/about"),
        "http://acme.test/about"
    );
}

#[test]
fn a_lead_without_website_linkedin_or_profile_has_no_inputs() {
    let mut r = record();
    r.lead.website = None;
    r.lead.linkedin = Some("  ".into());
    r.profile_text = None;
    assert!(!r.has_inputs());
    assert_eq!(PersonaError::NoInputs.to_string(), NO_INPUTS);
    r.profile_text = Some("Runs dispatch.".into());
    assert!(r.has_inputs());
    assert!(others_remain(&r));
}
