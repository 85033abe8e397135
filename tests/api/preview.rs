//! Previews over HTTP: what a lead receives next, written by the configured generator (the
//! template provider here) and stored, so the message that goes out later carries exactly the
//! previewed words; follow-ups reply under step 1's subject; defects answer 404, 409 or 422.

use outreachd::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::campaign_setup::{id, leads, mailboxes, workspace};
use crate::client::{ApiClient, signed_in};
use crate::helpers::{spawn_app, spawn_app_with};
use crate::sink::{Sink, message};
use crate::support::TestBackend;

crate::on_both_backends!(
    the_previewed_text_is_exactly_what_the_lead_receives,
    a_follow_up_previews_under_step_ones_subject,
    previews_of_what_cannot_go_out_say_why,
    a_preview_can_name_a_provider_a_model_and_a_tone,
    a_preview_naming_an_unconfigured_provider_or_a_tone_for_the_template_says_why,
);

/// A two-step campaign whose texts vary per lead (spintax, fields); returns its path.
async fn campaign(client: &ApiClient<'_>, body: Value) -> String {
    let (status, created) = client.post("/api/v1/campaigns", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    format!("/api/v1/campaigns/{}", id(&created))
}

fn two_steps(pool: &[outreachd::domain::MailboxId]) -> Value {
    json!({
        "name": "Q4",
        "mailbox_ids": pool,
        "steps": [
            {"subject": "{Quick|Short} question, {{ first_name }}",
             "body": "{Hi|Hello|Hey} {{ first_name }}, how is {{ company }} doing?"},
            {"delay": "2d", "body": "Any thoughts, {{ first_name }}?"},
        ],
    })
}

async fn the_previewed_text_is_exactly_what_the_lead_receives(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, sink.port).await;
    let lead = leads(&app, ws, "lead", 1).await[0];
    let path = campaign(&client, two_steps(&pool)).await;
    client
        .post(&format!("{path}/leads"), json!({"lead_ids": [lead]}))
        .await;
    let preview_path = format!("{path}/leads/{lead}/preview");

    let (status, preview) = client.post(&preview_path, json!({})).await;

    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["step"], 1);
    assert_eq!(preview["provider"], "template");
    assert_eq!(preview["stored_before"], false);
    let subject = preview["subject"].as_str().unwrap().to_owned();
    let body = preview["body"].as_str().unwrap().to_owned();
    assert!(subject.ends_with("question, Lead0"), "{subject}");
    assert!(body.contains("how is Company0 doing?"), "{body}");
    let (_, again) = client
        .call(reqwest::Method::POST, &preview_path, None)
        .await;
    assert_eq!(
        (&again["subject"], &again["body"]),
        (&preview["subject"], &preview["body"])
    );
    assert_eq!(again["stored_before"], true);

    client
        .post(&format!("{path}/status"), json!({"status": "running"}))
        .await;
    let (status, run) = client
        .post(&format!("{path}/run?timeout=8"), json!({}))
        .await;
    assert_eq!(
        (status, &run["emails_sent"]),
        (StatusCode::OK, &json!(1)),
        "{run}"
    );
    let dumps = sink.dumps(1).await;
    let sent = message(&dumps[0]);
    assert!(sent.contains(&format!("Subject: {subject}")), "{sent}");
    assert!(sent.contains(&body), "{sent}");
}

async fn a_follow_up_previews_under_step_ones_subject(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let lead = leads(&app, ws, "lead", 1).await[0];
    let path = campaign(&client, two_steps(&pool)).await;
    client
        .post(&format!("{path}/leads"), json!({"lead_ids": [lead]}))
        .await;
    let preview_path = format!("{path}/leads/{lead}/preview");

    let (status, problem) = client.post(&preview_path, json!({"step": 2})).await;
    assert_eq!(status, StatusCode::CONFLICT, "step 1 first: {problem}");
    let (_, first) = client.post(&preview_path, json!({"step": 1})).await;

    let (status, second) = client.post(&preview_path, json!({"step": 2})).await;

    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(
        second["subject"].as_str().unwrap(),
        format!("Re: {}", first["subject"].as_str().unwrap())
    );
    assert_eq!(second["body"], "Any thoughts, Lead0?");
}

async fn previews_of_what_cannot_go_out_say_why(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let enrolled = leads(&app, ws, "lead", 1).await[0];
    let outsider = leads(&app, ws, "outsider", 1).await[0];
    let without_company = app
        .store
        .insert_leads(
            ws,
            &[outreachd::domain::NewLead {
                email: Some(outreachd::domain::EmailAddress::parse("bare@rcpt.test").unwrap()),
                first_name: Some("Bare".into()),
                ..Default::default()
            }],
        )
        .await
        .unwrap()[0]
        .id();
    let path = campaign(&client, two_steps(&pool)).await;
    client
        .post(
            &format!("{path}/leads"),
            json!({"lead_ids": [enrolled, without_company]}),
        )
        .await;

    let cases = [
        (outsider, json!({}), StatusCode::NOT_FOUND),
        (
            enrolled,
            json!({"step": 3}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            enrolled,
            json!({"step": "two"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (without_company, json!({}), StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (lead, body, expected) in cases {
        let (status, problem) = client
            .post(&format!("{path}/leads/{lead}/preview"), body.clone())
            .await;
        assert_eq!(status, expected, "{body}: {problem}");
    }
    let (_, problem) = client
        .post(
            &format!("{path}/leads/{without_company}/preview"),
            json!({}),
        )
        .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("company"),
        "{problem}"
    );
}

/// Anthropic's Messages API answering every call with one `email` tool call.
async fn anthropic_server() -> wiremock::MockServer {
    use wiremock::matchers::{header, method, path};
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "sk-ant-test"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_01", "type": "message", "role": "assistant",
            "model": "claude-preview-1",
            "content": [{"type": "tool_use", "id": "toolu_01", "name": "email",
                         "input": {"subject": "Warm hello", "body": "Hi Lead0, warmly."}}],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 900, "output_tokens": 120}
        })))
        .mount(&server)
        .await;
    server
}

async fn a_preview_can_name_a_provider_a_model_and_a_tone(backend: TestBackend) {
    let server = anthropic_server().await;
    let base_url = server.uri();
    let app = spawn_app_with(
        backend,
        &[
            ("OUTREACHD__AI__ANTHROPIC__API_KEY", "sk-ant-test"),
            ("OUTREACHD__AI__ANTHROPIC__BASE_URL", &base_url),
        ],
    )
    .await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let lead = leads(&app, ws, "lead", 1).await[0];
    let path = campaign(&client, two_steps(&pool)).await;
    client
        .post(&format!("{path}/leads"), json!({"lead_ids": [lead]}))
        .await;

    let (status, preview) = client
        .post(
            &format!("{path}/leads/{lead}/preview"),
            json!({"ai_provider": "anthropic", "model": "claude-preview", "tone": "warmer"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        (&preview["subject"], &preview["body"]),
        (&json!("Warm hello"), &json!("Hi Lead0, warmly."))
    );
    assert_eq!(
        (&preview["provider"], &preview["model"]),
        (&json!("anthropic"), &json!("claude-preview-1"))
    );
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(sent["model"], "claude-preview");
    let user: Value =
        serde_json::from_str(sent["messages"][0]["content"].as_str().unwrap()).unwrap();
    assert_eq!(user["tone"], "warmer");
}

async fn a_preview_naming_an_unconfigured_provider_or_a_tone_for_the_template_says_why(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let lead = leads(&app, ws, "lead", 1).await[0];
    let path = campaign(&client, two_steps(&pool)).await;
    client
        .post(&format!("{path}/leads"), json!({"lead_ids": [lead]}))
        .await;
    let preview_path = format!("{path}/leads/{lead}/preview");

    for (body, says) in [
        (
            json!({"ai_provider": "anthropic"}),
            "Anthropic API key not configured",
        ),
        (json!({"tone": "warmer"}), "name an ai_provider"),
        (json!({"model": "gpt-4o"}), "name an ai_provider"),
        (json!({"ai_provider": "mistral"}), "unknown variant"),
    ] {
        let (status, problem) = client.post(&preview_path, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert!(problem.to_string().contains(says), "{body}: {problem}");
    }
    let (_, nothing_stored) = client.post(&preview_path, json!({})).await;
    assert_eq!(nothing_stored["stored_before"], false);
}
