//! Personas end to end: a lead created through the API gets its persona in the background from
//! an OpenAI-compatible server (wiremock, speaking chat completions), once; every email written
//! for it afterwards carries that persona, and asking again reuses it unless told to
//! regenerate; every persona call writes one `api_usage` row. Another workspace's lead is a 404; a lead with nothing to go on is a 422.

use std::time::Duration;

use outreachd::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::campaign_setup::{id, mailboxes, workspace};
use crate::client::{ApiClient, signed_in};
use crate::helpers::{TestApp, spawn_app_with};
use crate::support::TestBackend;
use crate::support::database::usage_rows;

crate::on_both_backends!(
    a_persona_is_generated_once_and_reused_by_every_email,
    asking_for_a_persona_reuses_it_unless_told_to_regenerate,
    a_lead_without_website_linkedin_or_profile_cannot_have_a_persona,
);

/// Recognises the persona prompt among the requests the server receives.
const PERSONA_PROMPT: &str = "research one B2B prospect";

fn chat_completion(content: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "persona-model-2025",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content.to_string(), "refusal": null},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 900, "completion_tokens": 250, "total_tokens": 1150}
    }))
}

fn persona() -> Value {
    json!({
        "title": "VP Operations",
        "industry": "Freight",
        "painPoints": ["late trucks across Ohio"],
        "priorities": ["on-time delivery"],
        "icebreakerHooks": ["the new Columbus depot"],
        "openingLines": ["Saw the Columbus depot opening."],
        "companyContext": "Acme runs 400 trucks in the Midwest.",
        "keyTakeaways": ["measures everything in hours late"]
    })
}

/// A server answering persona prompts with [`persona`] and anything else with an email.
async fn model_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(body_string_contains(PERSONA_PROMPT))
        .respond_with(chat_completion(&persona()))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(chat_completion(
            &json!({"subject": "Columbus depot", "body": "Hi Ann,\n\nQuick question.\n\nBob"}),
        ))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

async fn app_with_personas(backend: TestBackend, server: &MockServer) -> TestApp {
    let uri = server.uri();
    spawn_app_with(
        backend,
        &[
            ("OUTREACHD__PERSONAS__ENABLED", "true"),
            ("OUTREACHD__PERSONAS__PROVIDER", "openai_compatible"),
            ("OUTREACHD__PERSONAS__MODEL", "persona-model"),
            ("OUTREACHD__AI__OPENAI_COMPATIBLE__BASE_URL", &uri),
            ("OUTREACHD__AI__OPENAI_COMPATIBLE__MODEL", "email-model"),
            ("OUTREACHD__CONTENT__PROVIDER", "openai_compatible"),
            ("OUTREACHD__CONTENT__ON_FAILURE", "fail"),
        ],
    )
    .await
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

fn is_persona_call(r: &Request) -> bool {
    String::from_utf8_lossy(&r.body).contains(PERSONA_PROMPT)
}

async fn persona_calls(server: &MockServer) -> usize {
    requests(server)
        .await
        .iter()
        .filter(|r| is_persona_call(r))
        .count()
}

/// Creates a lead with a LinkedIn URL and profile text (no website: the daemon's fetcher
/// refuses the loopback test servers) and returns its id.
async fn create_lead(client: &ApiClient<'_>) -> String {
    let (status, lead) = client
        .post(
            "/api/v1/leads",
            json!({
                "email": "ann@acme.test",
                "first_name": "Ann",
                "company": "Acme Freight",
                "title": "VP Operations",
                "linkedin": "https://www.linkedin.com/in/ann-lee"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");
    id(&lead)
}

/// The lead once its persona is stored (the background actor writes it).
async fn wait_for_persona(client: &ApiClient<'_>, lead: &str) -> Value {
    for _ in 0..100 {
        let (status, body) = client.get(&format!("/api/v1/leads/{lead}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if !body["persona"].is_null() {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no persona was generated for lead {lead}");
}

async fn a_persona_is_generated_once_and_reused_by_every_email(backend: TestBackend) {
    let server = model_server().await;
    let app = app_with_personas(backend, &server).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 9).await;
    let lead = create_lead(&client).await;

    let stored = wait_for_persona(&client, &lead).await;
    assert_eq!(stored["persona"], persona());

    // Two campaigns, one email previewed in each: two emails written for the lead.
    for name in ["Q4", "Q1"] {
        let (status, campaign) = client
            .post(
                "/api/v1/campaigns",
                json!({"name": name, "mailbox_ids": pool, "steps": [
                    {"subject": "Hi {{ first_name }}", "body": "Hello {{ first_name }}."}
                ]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{campaign}");
        let path = format!("/api/v1/campaigns/{}", id(&campaign));
        client
            .post(&format!("{path}/leads"), json!({"lead_ids": [lead]}))
            .await;
        let (status, preview) = client
            .post(&format!("{path}/leads/{lead}/preview"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["subject"], "Columbus depot");
    }

    let all = requests(&server).await;
    let emails: Vec<&Request> = all.iter().filter(|r| !is_persona_call(r)).collect();
    assert_eq!(persona_calls(&server).await, 1, "one persona call in all");
    assert_eq!(emails.len(), 2);
    for email in emails {
        let body = String::from_utf8_lossy(&email.body);
        assert!(
            body.contains("late trucks across Ohio"),
            "the email request carries the persona: {body}"
        );
    }
}

async fn asking_for_a_persona_reuses_it_unless_told_to_regenerate(backend: TestBackend) {
    let server = model_server().await;
    let app = app_with_personas(backend, &server).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let lead = create_lead(&client).await;
    wait_for_persona(&client, &lead).await;
    let persona_path = format!("/api/v1/leads/{lead}/persona");

    let (status, reused) = client.post(&persona_path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{reused}");
    assert_eq!(reused["generated"], false);
    assert_eq!(reused["provider"], "openai_compatible");
    assert_eq!(reused["model"], "persona-model-2025");
    assert_eq!(persona_calls(&server).await, 1);

    let (status, fresh) = client
        .post(
            &format!("{persona_path}?regenerate=true"),
            json!({"profile_text": "Ann moved from rail to road freight in 2019."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(fresh["generated"], true);
    assert_eq!(fresh["persona"], persona());
    assert_eq!(
        fresh["profile_text"],
        "Ann moved from rail to road freight in 2019."
    );
    assert_eq!(persona_calls(&server).await, 2);
    let last = requests(&server)
        .await
        .into_iter()
        .rfind(is_persona_call)
        .unwrap();
    let prompt = String::from_utf8_lossy(&last.body);
    assert!(
        prompt.contains("moved from rail to road freight"),
        "{prompt}"
    );
    assert!(!prompt.contains("ann@acme.test"), "{prompt}");

    let admin = signed_in(&app, "acme", Role::Admin).await;
    let (status, export) = admin
        .get("/api/v1/privacy/export?email=ann@acme.test")
        .await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(
        export["lead"]["profile_text"],
        "Ann moved from rail to road freight in 2019."
    );

    let other = signed_in(&app, "globex", Role::Member).await;
    let (status, body) = other.post(&persona_path, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // The background call and the regeneration each wrote one usage row with the stub's tokens
    // (the daemon's recorder writes in batches, so the rows may land a moment later).
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = usage_rows(&app.database_url, "persona").await;
        if rows.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ok = (900, 250, "ok".to_owned(), true);
    assert_eq!(rows, vec![ok.clone(), ok], "one row per persona call");
}

async fn a_lead_without_website_linkedin_or_profile_cannot_have_a_persona(backend: TestBackend) {
    let server = model_server().await;
    let app = app_with_personas(backend, &server).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let (status, lead) = client
        .post(
            "/api/v1/leads",
            json!({"email": "bo@acme.test", "company": "Acme"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");

    let (status, body) = client
        .post(&format!("/api/v1/leads/{}/persona", id(&lead)), json!({}))
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["detail"],
        "Either a LinkedIn URL or a website is required"
    );
    assert_eq!(persona_calls(&server).await, 0);
}
